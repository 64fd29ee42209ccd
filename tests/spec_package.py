"""Generating a package from a spec in-process, and importing every module of it."""

from __future__ import annotations

import contextlib
import importlib
import io
import itertools
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from generator.cli import main as sdkgen_main

_counter = itertools.count()


def webhook(schema: dict[str, Any]) -> dict[str, Any]:
    """A 3.1 webhook (a path item) whose POST request carries a JSON body of `schema`."""
    return {"post": {"requestBody": {"content": {"application/json": {"schema": schema}}}}}


def generate_from(spec_path: Path, root: Path, prefix: str = "pkg") -> tuple[int, str, Path, str]:
    """(exit code, stderr, output folder, package name) of `sdkgen generate` on `spec_path`."""
    package = f"{prefix}_{next(_counter)}"
    out = root / f"out_{package}"
    err = io.StringIO()
    # From a folder outside any project: no [tool.sdkgen], overlays or auth profile apply.
    with (
        contextlib.chdir(root),
        contextlib.redirect_stderr(err),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        code = sdkgen_main(
            ["generate", "--spec", str(spec_path), "--output", str(out), "--package-name", package]
        )
    return code, err.getvalue(), out, package


def generate(spec: dict[str, Any], root: Path, prefix: str = "pkg") -> tuple[int, str, Path, str]:
    """`generate_from` a spec given as data (written to `root` as JSON first)."""
    spec_path = root / f"spec_{prefix}_{next(_counter)}.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    return generate_from(spec_path, root, prefix)


@contextlib.contextmanager
def imported(out: Path, package: str) -> Iterator[dict[str, ModuleType]]:
    """Every module of the generated package, imported; then forgotten again."""
    sys.path.insert(0, str(out))
    modules: dict[str, ModuleType] = {}
    try:
        for path in sorted((out / package).rglob("*.py")):
            rel = path.relative_to(out).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            if parts[-1] == "__main__":
                continue
            name = ".".join(parts)
            modules[name] = importlib.import_module(name)
        yield modules
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
            del sys.modules[name]
