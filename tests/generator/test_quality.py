"""Generated code is ruff-formatted and clean under mypy --strict; the generator is too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_generated_package_is_mypy_strict_clean() -> None:
    result = _run(
        "mypy",
        "--strict",
        "--no-incremental",
        "--cache-dir",
        os.devnull,
        "twitter_api",
        cwd=ROOT / "generated",
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Success: no issues found" in result.stdout


def test_fixture_package_is_mypy_strict_clean(mini_dir: Path) -> None:
    result = _run(
        "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, "mini_api", cwd=mini_dir
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_generated_package_is_ruff_formatted() -> None:
    result = _run(
        "ruff", "format", "--isolated", "--line-length", "100", "--check", "generated/twitter_api"
    )
    assert result.returncode == 0, result.stdout[-3000:]


def test_generator_and_runtime_sources_are_mypy_strict_clean() -> None:
    result = _run("mypy", "--strict", "generator")
    assert result.returncode == 0, result.stdout[-3000:]


def test_generator_sources_pass_ruff() -> None:
    result = _run("ruff", "check", "generator", "templates/runtime", "tests", "bench")
    assert result.returncode == 0, result.stdout[-3000:]
