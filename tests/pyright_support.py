"""Running the pinned pyright (tests/typing/package-lock.json) on a generated package.

Each check reads the package the way an installed wheel leaves it: a scratch venv holding a
plain copy of the package, with this interpreter's site-packages (httpx, ...) behind it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
import venv
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

PYRIGHT = ROOT / "tests" / "typing" / "node_modules" / ".bin" / "pyright"
SETUP_HINT = "run scripts/setup (npm ci --prefix tests/typing) to install the pinned pyright"


def install_copy(package_dir: Path, where: Path) -> Path:
    """A venv at `where` with `package_dir` installed as a plain folder; returns `where`."""
    assert PYRIGHT.exists(), f"{PYRIGHT} is missing: {SETUP_HINT}"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(where)
    (site,) = (where / "lib").glob("python3*/site-packages")
    shutil.copytree(
        package_dir, site / package_dir.name, ignore=shutil.ignore_patterns("__pycache__")
    )
    # Paths of a .pth file come after the venv's own site-packages: the copy wins over any
    # editable install of the same package in this interpreter's environment.
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (site / "test_dependencies.pth").write_text("\n".join(ours) + "\n", encoding="utf-8")
    return where


def run(env_dir: Path, *args: str, cwd: Path) -> dict[str, Any]:
    """pyright `args` with the python of `env_dir`; its --outputjson report."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(env_dir)
    result = subprocess.run(
        [str(PYRIGHT), "--outputjson", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    # 0: clean, 1: errors found; anything else is pyright failing to run.
    assert result.returncode in (0, 1), result.stdout[-3000:] + result.stderr[-3000:]
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def strict_errors(env_dir: Path, files: list[Path], cwd: Path) -> dict[str, dict[int, str]]:
    """pyright in strict mode over `files` (all in `cwd`): by file name, the lines with errors
    and their messages."""
    config = {"typeCheckingMode": "strict", "pythonVersion": "3.11"}
    (cwd / "pyrightconfig.json").write_text(json.dumps(config), encoding="utf-8")
    report = run(env_dir, *(f.name for f in files), cwd=cwd)
    errors: dict[str, dict[int, str]] = {f.name: {} for f in files}
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] == "error":
            line = diagnostic["range"]["start"]["line"] + 1
            found = errors[Path(diagnostic["file"]).name]
            found[line] = f"{found.get(line, '')}{diagnostic['message']} ".replace("\n", " ")
    return errors
