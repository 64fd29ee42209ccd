"""Recovery on reconnect follows each stream operation's own `backfill_minutes` parameter.

A small spec is generated: a stream whose parameter allows at most 2 minutes, one that takes
no such parameter, one whose parameter gives no maximum, and a plain operation that takes one.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import generate_in_process
from tests.loopback import Exchange, Loopback, scripted

PACKAGE = "backfill_api"
ITEM = {"type": "object", "properties": {"id": {"type": "string"}}}


def _op(op_id: str, stream: bool, backfill: dict[str, Any] | None) -> dict[str, Any]:
    params = [] if backfill is None else [{"name": "backfill_minutes", "in": "query", **backfill}]
    op: dict[str, Any] = {
        "operationId": op_id,
        "parameters": params,
        "responses": {
            "200": {"description": "ok", "content": {"application/json": {"schema": ITEM}}}
        },
    }
    if stream:
        op["x-twitter-streaming"] = True
    return {"get": op}


INTEGER = {"type": "integer", "minimum": 0}
SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Backfill", "version": "1"},
    "servers": [{"url": "https://api.example.test"}],
    "paths": {
        "/two": _op("streamTwo", True, {"schema": {**INTEGER, "maximum": 2}}),
        "/none": _op("streamNone", True, None),
        "/unbounded": _op("streamUnbounded", True, {"schema": INTEGER}),
        "/exclusive": _op(
            "streamExclusive", True, {"schema": {**INTEGER, "maximum": 4, "exclusiveMaximum": True}}
        ),
        "/plain": _op("getPlain", False, {"schema": {**INTEGER, "maximum": 2}}),
        "/fraction": _op("streamFraction", True, {"schema": {"type": "number", "maximum": 2.5}}),
        "/huge": _op("streamHuge", True, {"schema": {**INTEGER, "maximum": 10**40}}),
    },
}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("backfill")
    spec = root / "spec.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    out = root / "out"
    code, err = generate_in_process(spec, out, PACKAGE)
    assert code == 0, err
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _source(api: ModuleType) -> str:
    return "".join(p.read_text() for p in sorted(Path(api.__file__).parent.glob("_api/[!_]*.py")))


def test_each_stream_records_the_maximum_of_its_backfill_minutes(api: ModuleType) -> None:
    by_method = {
        name: op
        for module in sorted(Path(api.__file__).parent.glob("_api/[!_]*.py"))
        for name, op in importlib.import_module(f"{PACKAGE}._api.{module.stem}").by_method.items()
    }
    assert {name: op.backfill_max for name, op in by_method.items()} == {
        "stream_two": 2,
        "stream_none": 0,
        "stream_unbounded": 5,  # no maximum: X's five minutes
        "stream_exclusive": 3,
        "get_plain": 0,  # not a stream: nothing to recover
        "stream_fraction": 2,
        "stream_huge": 2**31 - 1,
    }
    assert _source(api).count("backfill_max=") == 5


@pytest.mark.parametrize("kind", ["Client", "AsyncClient"])
def test_options_beyond_the_operation_are_refused_by_name(api: ModuleType, kind: str) -> None:
    client = getattr(api, kind)(base_url="http://127.0.0.1:9")
    assert client.stream_two().with_options(backfill_minutes=2).options.backfill_minutes == 2
    assert client.stream_unbounded().with_options(backfill_minutes=5).options.backfill_minutes == 5
    with pytest.raises(ValueError) as info:
        client.stream_two().with_options(backfill_minutes=3)
    assert str(info.value) == (
        "StreamOptions.backfill_minutes must be at most 2 for streamTwo"
        " (the maximum of its backfill_minutes), not 3"
    )
    with pytest.raises(ValueError, match="at most 5 for streamUnbounded"):
        client.stream_unbounded().with_options(backfill_minutes=6)
    options = importlib.import_module(f"{PACKAGE}._streaming").StreamOptions(backfill_minutes=1)
    with pytest.raises(ValueError) as info:
        client.stream_none().with_options(options)
    assert str(info.value) == (
        "streamNone cannot recover on reconnect: it takes no backfill_minutes"
        " (StreamOptions.backfill_minutes must be 0, not 1)"
    )
    assert client.stream_none().with_options(stall_timeout=3).options.stall_timeout == 3


def test_a_stream_without_the_parameter_reconnects_without_it(api: ModuleType) -> None:
    def cut(ex: Exchange) -> None:
        ex.start_stream()
        ex.line({"id": "1"})
        ex.cut()

    def serve(ex: Exchange) -> None:
        ex.start_stream()
        ex.line({"id": "2"})
        ex.wait_until_client_hangs_up()

    with Loopback(scripted(cut, serve)) as server:
        client = api.Client(base_url=server.url)
        client._sleep = lambda seconds: None
        with client.stream_none().with_options(network_backoff=0.01) as s:
            items = iter(s)
            assert [next(items).id, next(items).id] == ["1", "2"]
        client.close()
    assert [r.target for r in server.requests] == ["/none", "/none"]
