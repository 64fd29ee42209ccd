"""Shared fixtures: paths of the spec snapshots and a generated copy of the feature fixture."""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_SPECS = ROOT.parent / "shared" / "spec"
SNAPSHOTS = {v: SHARED_SPECS / f"x-api-v2-{v}.json" for v in ("2.152", "2.157", "2.159", "2.167")}
FEATURES_SPEC = ROOT / "spec" / "fixtures" / "features.yaml"


# Outside any project: no [tool.sdkgen] settings, overlays or auth profile apply.
NEUTRAL = Path(tempfile.gettempdir())


def generate_in_process(spec: Path, out: Path, package: str) -> tuple[int, str]:
    """`sdkgen generate` in this process (faster than a subprocess): exit code and stderr.

    Run from the spec's folder, outside any project: no [tool.sdkgen], overlays or auth
    profile apply."""
    from generator.cli import main as sdkgen_main

    err = io.StringIO()
    with (
        contextlib.chdir(spec.parent),
        contextlib.redirect_stderr(err),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        code = sdkgen_main(
            ["generate", "--spec", str(spec), "--output", str(out), "--package-name", package]
        )
    return code, err.getvalue()


def methods_source(package_dir: Path) -> str:
    """The source of every operation method: the group modules of `_api`, in name order."""
    return "".join(p.read_text() for p in sorted((package_dir / "_api").glob("*.py")))


def run_sdkgen(*args: str, cwd: Path = NEUTRAL) -> subprocess.CompletedProcess[str]:
    """Run the real command line, as a user would (from `cwd`)."""
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="session")
def mini_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mini") / "out"
    result = run_sdkgen(
        "generate", "--spec", str(FEATURES_SPEC), "--output", str(out), "--package-name", "mini_api"
    )
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def mini_api(mini_dir: Path) -> Iterator[ModuleType]:
    sys.path.insert(0, str(mini_dir))
    try:
        yield importlib.import_module("mini_api")
    finally:
        sys.path.remove(str(mini_dir))


@pytest.fixture(scope="session")
def generated_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch venv with generated/twitter_api installed as a plain folder, for pyright."""
    from tests.pyright_support import install_copy

    venv_dir = tmp_path_factory.mktemp("pyright") / "venv"
    return install_copy(ROOT / "generated" / "twitter_api", venv_dir)
