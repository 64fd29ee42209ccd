"""The four real X API v2 snapshots generate; 2.167 in full, every module importable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SNAPSHOTS, methods_source, run_sdkgen

GENERATED = ROOT / "generated" / "twitter_api"


def _operation_ids(spec: Path) -> set[str]:
    doc = json.loads(spec.read_text())
    return {
        op["operationId"]
        for item in doc["paths"].values()
        for method, op in item.items()
        if method in ("get", "post", "put", "delete", "patch")
    }


@pytest.mark.parametrize("version", sorted(SNAPSHOTS))
def test_snapshot_generates_every_operation(version: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_sdkgen("generate", "--spec", str(SNAPSHOTS[version]), "--output", str(out))
    assert result.returncode == 0, result.stderr
    ops = methods_source(out / "twitter_api")
    for op_id in _operation_ids(SNAPSHOTS[version]):
        assert f'    "{op_id}",\n' in ops, op_id
    # Every generated module compiles and the package imports in a fresh interpreter.
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import twitter_api, twitter_api.models as m; "
            "[getattr(m, n) for n in m.__all__]; print(len(m.__all__))",
        ],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    assert int(check.stdout) > 300


def test_2167_has_171_methods_and_512_component_classes() -> None:
    sys.path.insert(0, str(ROOT / "generated"))
    import twitter_api
    import twitter_api.models as models

    doc = json.loads(SNAPSHOTS["2.167"].read_text())
    ids = _operation_ids(SNAPSHOTS["2.167"])
    assert len(ids) == 171
    from generator.model.naming import class_name, snake_case

    for op_id in ids:
        for cls in (twitter_api.Client, twitter_api.AsyncClient):
            assert callable(getattr(cls, snake_case(op_id))), op_id
    schemas = doc["components"]["schemas"]
    assert len(schemas) == 512
    object_like = [
        n for n, s in schemas.items() if s.get("properties") or s.get("oneOf") or s.get("allOf")
    ]
    for name in object_like:
        assert class_name(name) in models.__all__, name


def test_every_generated_module_imports() -> None:
    names = sorted(
        p.relative_to(GENERATED.parent).with_suffix("").as_posix().replace("/", ".")
        for p in GENERATED.rglob("*.py")
        if p.name != "__main__.py"
    )
    code = "import importlib,sys\nfor n in sys.argv[1:]: importlib.import_module(n)\nprint('ok')"
    result = subprocess.run(
        [sys.executable, "-c", code, *names],
        cwd=GENERATED.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(names) > 60


def test_importing_the_client_loads_no_model_module() -> None:
    code = (
        "import sys, twitter_api\n"
        "c = twitter_api.Client()\n"
        "print(sorted(m for m in sys.modules if m.startswith('twitter_api.models')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=GENERATED.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
