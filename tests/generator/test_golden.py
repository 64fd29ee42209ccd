"""Golden output: the fixture spec's generated files, compared file by file with a reviewed copy.

The copy's files end in `.golden`, so linters, type checkers and pytest leave them alone.

Regenerate the copy after an intended change, and review its diff like code:
    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/generator/test_golden.py
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from generator.render.package import RUNTIME
from generator.unasync import ASYNC_PREFIX, sync_name
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden" / "features"
# Runtime files are copied verbatim (or derived: the sync twins) and have their own tests;
# the golden copy holds what the templates render.
RUNTIME_FILES = {f"mini_api/{p.relative_to(RUNTIME).as_posix()}" for p in RUNTIME.rglob("*.py")}
RUNTIME_FILES |= {
    f"mini_api/{p.relative_to(RUNTIME).with_name(sync_name(p.name)).as_posix()}"
    for p in RUNTIME.rglob(f"{ASYNC_PREFIX}*.py")
}


def _rendered(root: Path) -> dict[str, str]:
    return {
        rel: p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and "__pycache__" not in p.parts
        and (rel := p.relative_to(root).as_posix()) not in RUNTIME_FILES
    }


def test_fixture_output_matches_golden_copy(mini_dir: Path) -> None:
    actual = _rendered(mini_dir)
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, text in actual.items():
            target = GOLDEN / f"{rel}.golden"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    expected = {k.removesuffix(".golden"): v for k, v in _rendered(GOLDEN).items()}
    assert sorted(actual) == sorted(expected)
    for rel, text in expected.items():
        assert actual[rel] == text, f"{rel} differs from the golden copy"
