"""Scale: the synthetic spec of `synthetic.py` (ten times the X spec) through `sdkgen generate`,
and the generated client's cold start to its first endpoint against `import httpx`.

Generation runs `--scale-runs` times into fresh directories (median reported). The cold-start
probes run in fresh processes, alternating, after one discarded run each (it writes the .pyc
files): `import httpx` alone, and import + construct + the first endpoint bound with its
response model imported (no request), as the X probe "ours, to first endpoint" does.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import synthetic

PACKAGE = "scale_api"
FIRST_METHOD = "get_resource_0_item_0"  # synthetic.FIRST_OPERATION, snake-cased
FIRST_MODEL = "Account0Item0Response"  # its response model

_HTTPX = "import httpx"
_CLIENT = (
    f"from {PACKAGE} import Client\n"
    "c = Client(base_url='https://api.example.test')\n"
    f"endpoint = c.{FIRST_METHOD}\n"
    f"from {PACKAGE}.models import {FIRST_MODEL}"
)
PROBES = {"import httpx": _HTTPX, "scale client, to first endpoint": _CLIENT}


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


def measure(
    python: Path, sdkgen: list[str], work: Path, runs: int, rounds: int
) -> dict[str, object]:
    """Median generation seconds and cold-start milliseconds for the synthetic spec.

    `sdkgen` is the command that starts the generator (the bench venv's `sdkgen`).
    """
    spec = work / "scale" / "synthetic.json"
    operations, schemas, size = synthetic.write(spec)
    out = work / "scale" / "out"
    times: list[float] = []
    for _ in range(runs):
        shutil.rmtree(out, ignore_errors=True)
        start = time.perf_counter()
        cmd = [*sdkgen, "generate", "--spec", str(spec), "--output", str(out)]
        # From outside the repository: its [tool.sdkgen] settings and auth profile are X's.
        done = subprocess.run(
            [*cmd, "--package-name", PACKAGE],
            cwd=tempfile.gettempdir(),
            capture_output=True,
            text=True,
        )
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
            raise RuntimeError(f"sdkgen failed on the synthetic spec: {' '.join(tail)}")
    files = sum(1 for _ in (out / PACKAGE).rglob("*.py"))
    client_bytes = (out / PACKAGE / "_client.py").stat().st_size
    samples: dict[str, list[float]] = {name: [] for name in PROBES}
    for body in PROBES.values():
        _probe(python, body, out)  # writes .pyc files
    names = list(PROBES)
    for r in range(rounds):
        for name in names[r % 2 :] + names[: r % 2]:
            samples[name].append(_probe(python, PROBES[name], out))
    rows = {name: statistics.median(values) * 1e3 for name, values in samples.items()}
    return {
        "operations": operations,
        "schemas": schemas,
        "spec_bytes": size,
        "files": files,
        "client_bytes": client_bytes,
        "generate_s": statistics.median(times),
        "generate_runs": runs,
        "startup_ms": rows,
        "ratio": rows["scale client, to first endpoint"] / rows["import httpx"],
        "rounds": rounds,
    }


if __name__ == "__main__":
    import sys

    here = Path(__file__).resolve().parent
    work = here / ".work"
    work.mkdir(exist_ok=True)
    python = Path(sys.executable)
    result = measure(python, [str(python), "-m", "generator"], work, 1, 5)
    print(json.dumps(result, indent=2))
