"""Scale: GitHub's REST API description (about 1,100 operations) and the synthetic spec of
`synthetic.py` through `sdkgen generate`, and each generated client's cold start to its first
endpoint against `import httpx`.

GitHub's description comes from the npm registry (`@octokit/openapi`, pinned by
bench/github/package.json and its package-lock.json), installed with `npm ci` into
bench/.work/github/. Generation runs `runs` times into fresh directories (median reported).
The cold-start probes run in fresh processes, alternating, after one discarded run each (it
writes the .pyc files): `import httpx` alone, and import + construct + the first endpoint bound
with its response model imported (no request), as the X probe "ours, to first endpoint" does.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import synthetic

HERE = Path(__file__).resolve().parent
PINS = HERE / "github"  # package.json + package-lock.json
GITHUB_SPEC = Path("node_modules/@octokit/openapi/generated/api.github.com.json")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class ScaleSpec:
    label: str
    package: str
    first_method: str  # the endpoint the probe binds
    first_model: str  # its response model


GITHUB = ScaleSpec("GitHub REST API", "github_api", "repos_get", "FullRepository")
SYNTHETIC = ScaleSpec(
    "synthetic", "scale_api", "get_resource_0_item_0", "Account0Item0Response"
)  # synthetic.FIRST_OPERATION, snake-cased


def github_spec(work: Path, log: Callable[[str], None]) -> Path:
    """The pinned description, installed with `npm ci` when missing or when the pins changed."""
    target = work / "github"
    spec = target / GITHUB_SPEC
    pins = ("package.json", "package-lock.json")
    current = spec.exists() and all(
        (target / n).exists() and filecmp.cmp(PINS / n, target / n, shallow=False) for n in pins
    )
    if not current:
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is not installed: GitHub's description cannot be fetched")
        target.mkdir(parents=True, exist_ok=True)
        for name in pins:
            shutil.copyfile(PINS / name, target / name)
        log("installing @octokit/openapi (GitHub's REST API description) with npm ci")
        cmd = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
        subprocess.run(cmd, cwd=target, check=True, stdout=subprocess.DEVNULL)
    return spec


def _probes(spec: ScaleSpec) -> dict[str, str]:
    client = (
        f"from {spec.package} import Client\n"
        "c = Client(base_url='https://api.example.test')\n"
        f"endpoint = c.{spec.first_method}\n"
        f"from {spec.package}.models import {spec.first_model}"
    )
    return {"import httpx": "import httpx", f"{spec.package}, to first endpoint": client}


def _script(body: str) -> str:
    return "\n".join(
        [
            "import time",
            "_t0 = time.perf_counter()",
            body,
            "_t1 = time.perf_counter()",
            "import sys",
            "sys.stdout.write(repr(_t1 - _t0))",
        ]
    )


def _probe(python: Path, body: str, package_root: Path) -> float:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(package_root)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run(
        [str(python), "-c", _script(body)], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    return float(done.stdout)


def _counts(path: Path) -> tuple[int, int]:
    document = json.loads(path.read_text(encoding="utf-8"))
    operations = sum(
        1
        for item in document.get("paths", {}).values()
        for method, op in item.items()
        if method in METHODS and isinstance(op, dict)
    )
    return operations, len(document.get("components", {}).get("schemas", {}))


def measure_spec(
    python: Path, sdkgen: list[str], spec_path: Path, spec: ScaleSpec, runs: int, rounds: int
) -> dict[str, object]:
    """Median generation seconds and cold-start milliseconds for one spec."""
    out = spec_path.parent / f"out-{spec.package}"
    times: list[float] = []
    for _ in range(runs):
        shutil.rmtree(out, ignore_errors=True)
        start = time.perf_counter()
        cmd = [*sdkgen, "generate", "--spec", str(spec_path), "--output", str(out)]
        # From outside the repository: its [tool.sdkgen] settings and auth profile are X's.
        done = subprocess.run(
            [*cmd, "--package-name", spec.package],
            cwd=tempfile.gettempdir(),
            capture_output=True,
            text=True,
        )
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
            raise RuntimeError(f"sdkgen failed on {spec_path.name}: {' '.join(tail)}")
    package = out / spec.package
    files = sum(1 for _ in package.rglob("*.py"))
    groups = sorted(p.stat().st_size for p in (package / "_api").glob("*.py"))
    probes = _probes(spec)
    samples: dict[str, list[float]] = {name: [] for name in probes}
    for body in probes.values():
        _probe(python, body, out)  # writes .pyc files
    names = list(probes)
    for r in range(rounds):
        for name in names[r % 2 :] + names[: r % 2]:
            samples[name].append(_probe(python, probes[name], out))
    rows = {name: statistics.median(values) * 1e3 for name, values in samples.items()}
    operations, schemas = _counts(spec_path)
    return {
        "label": spec.label,
        "operations": operations,
        "schemas": schemas,
        "spec_bytes": spec_path.stat().st_size,
        "files": files,
        "client_bytes": (package / "_client.py").stat().st_size,
        "groups": len(groups) - 1,  # without _api/__init__.py
        "largest_group_bytes": groups[-1] if groups else 0,
        "generate_s": statistics.median(times),
        "generate_runs": runs,
        "startup_ms": rows,
        "ratio": rows[names[1]] / rows[names[0]],
        "rounds": rounds,
    }


def measure(
    python: Path,
    sdkgen: list[str],
    work: Path,
    runs: int,
    rounds: int,
    log: Callable[[str], None] = print,
) -> dict[str, dict[str, object]]:
    """Both scale specs; a spec that cannot be had (no npm) is reported, not fatal."""
    results: dict[str, dict[str, object]] = {}
    try:
        spec = github_spec(work, log)
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        results["github"] = {"label": GITHUB.label, "unavailable": str(exc)}
    else:
        log(f"scale: {runs} generations of GitHub's description, {rounds} rounds")
        results["github"] = measure_spec(python, sdkgen, spec, GITHUB, runs, rounds)
    synthetic_path = work / "scale" / "synthetic.json"
    synthetic.write(synthetic_path)
    log(f"scale: {runs} generations of the synthetic spec, {rounds} rounds")
    results["synthetic"] = measure_spec(python, sdkgen, synthetic_path, SYNTHETIC, runs, rounds)
    return results


if __name__ == "__main__":
    import sys

    work = HERE / ".work"
    work.mkdir(exist_ok=True)
    python = Path(sys.executable)
    result = measure(python, [str(python), "-m", "generator"], work, 1, 5)
    print(json.dumps(result, indent=2))
