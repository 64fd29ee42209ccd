"""Shared fixtures: paths of the spec snapshots and a generated copy of the feature fixture."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_SPECS = ROOT.parent / "shared" / "spec"
SNAPSHOTS = {v: SHARED_SPECS / f"x-api-v2-{v}.json" for v in ("2.152", "2.157", "2.159", "2.167")}
FEATURES_SPEC = ROOT / "spec" / "fixtures" / "features.yaml"


def run_sdkgen(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the real command line, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
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
