"""Every public document in ../shared/corpus generates a working client: the package compiles,
every module imports, both clients construct, and every operation of the spec is a method of
both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.spec_package import generate_from, imported

CORPUS = ROOT.parent / "shared" / "corpus"
DOCUMENTS = sorted(p for p in CORPUS.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _operation_count(document: dict[str, Any]) -> int:
    return sum(
        1
        for item in (document.get("paths") or {}).values()
        for method, op in (item or {}).items()
        if method in METHODS and isinstance(op, dict)
    )


def test_the_corpus_is_there() -> None:
    assert len(DOCUMENTS) == 14, [p.name for p in DOCUMENTS]


@pytest.mark.parametrize("spec", DOCUMENTS, ids=[p.name for p in DOCUMENTS])
def test_a_corpus_document_generates_a_client_with_every_operation(
    spec: Path, tmp_path: Path
) -> None:
    code, err, out, package = generate_from(spec, tmp_path, "corpus")
    assert code == 0, err
    for path in (out / package).rglob("*.py"):
        compile(path.read_bytes(), str(path), "exec")
    document = yaml.safe_load(spec.read_text(encoding="utf-8"))
    with imported(out, package) as modules:
        root = modules[package]
        client = root.Client(base_url="https://api.example.test")
        async_client = root.AsyncClient(base_url="https://api.example.test")
        try:
            names = list(modules[f"{package}._operations"].BY_METHOD)
            assert len(names) == _operation_count(document)
            for name in names:
                assert callable(getattr(client, name)), name
                assert callable(getattr(async_client, name)), name
        finally:
            client.close()
