"""The bench venv (bench/.work/venv), machine facts and package sizes.

Baselines are installed into their own venv so the dev venv never gains tweepy, xdk or
pydantic. Our two packages are installed editable from the repository. A stamp file records
what was installed; the venv is only touched again when that changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import venv
from collections.abc import Callable
from pathlib import Path

BASELINES = [
    "openapi-python-client==0.29.1",
    "tweepy==4.17.0",
    "xdk==0.10.6",
    # Runtime dependencies of stock openapi-python-client output.
    "attrs>=22.2",
    "python-dateutil>=2.8",
    "httpx>=0.27,<0.29",
]
REPORTED = ["openapi-python-client", "tweepy", "xdk", "httpx", "requests", "pydantic", "ruff"]


def _python(venv_dir: Path) -> Path:
    return venv_dir / "bin" / "python"


def ours_installable(repo: Path) -> bool:
    return (repo / "generated" / "pyproject.toml").exists()


def ensure(repo: Path, venv_dir: Path, log: Callable[[str], None] = print) -> Path:
    """Create or refresh the bench venv; return its python."""
    editable = [str(repo)]
    digest = hashlib.sha256()
    for item in [*BASELINES, *editable]:
        digest.update(item.encode() + b"\0")
    for project in (repo / "pyproject.toml", repo / "generated" / "pyproject.toml"):
        if project.exists():
            digest.update(project.read_bytes())
    stamp = venv_dir / ".bench-stamp"
    python = _python(venv_dir)
    if python.exists() and stamp.exists() and stamp.read_text() == digest.hexdigest():
        return python
    if not python.exists():
        log(f"creating {venv_dir}")
        venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    log("installing baselines and our packages into the bench venv")
    cmd = [str(python), "-m", "pip", "install", "--quiet", *BASELINES]
    for path in editable:
        cmd += ["-e", path]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    stamp.write_text(digest.hexdigest())
    return python


def install_generated(repo: Path, python: Path) -> None:
    """Install generated/ as users get it (not editable: no import hook), fresh every run."""
    if ours_installable(repo):
        cmd = [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall"]
        subprocess.run([*cmd, str(repo / "generated")], check=True, stdout=subprocess.DEVNULL)


def versions(python: Path) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, sys\n"
        f"names = {REPORTED!r}\n"
        "out = {}\n"
        "for n in names:\n"
        "    try:\n"
        "        out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError:\n"
        "        pass\n"
        "out['python'] = sys.version.split()[0]\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True)
    result: dict[str, str] = json.loads(done.stdout)
    return result


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "os": f"{platform.system()} {platform.release()}",
        "load": f"{load[0]:.2f}",
        "orchestrator_python": sys.version.split()[0],
    }


def tree_size(root: Path) -> dict[str, int]:
    """Bytes of a package on disk, `__pycache__` excluded: apparent size and du-style blocks."""
    apparent = blocks = files = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        blocks += os.stat(dirpath).st_blocks * 512
        for name in filenames:
            st = os.stat(os.path.join(dirpath, name))
            apparent += st.st_size
            blocks += st.st_blocks * 512
            files += 1
    return {"apparent": apparent, "disk": blocks, "files": files}
