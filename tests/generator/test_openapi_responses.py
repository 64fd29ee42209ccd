"""Responses of any OpenAPI document: several success statuses (and `2XX` ranges) of different
types, responses offering several media types, and a `default` response as the only one.

One small spec is generated once; each test calls the generated client over
httpx.MockTransport and checks the request's Accept header and the value parsed.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.conftest import generate_in_process

PACKAGE = "resp_api"
PET = {"$ref": "#/components/schemas/Pet"}
JOB = {"$ref": "#/components/schemas/Job"}
JSON_DEFAULT = "application/json, application/problem+json"


def _ok(content: dict[str, Any]) -> dict[str, Any]:
    return {"description": "ok", "content": {ct: {"schema": s} for ct, s in content.items()}}


def _get(op_id: str, responses: dict[str, Any]) -> dict[str, Any]:
    return {"get": {"operationId": op_id, "responses": responses}}


SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Resp", "version": "1"},
    "servers": [{"url": "https://api.example.test"}],
    "paths": {
        "/pets": {
            "post": {
                "operationId": "createPet",
                "responses": {
                    "200": _ok({"application/json": PET}),
                    "202": {"$ref": "#/components/responses/Accepted"},
                    "400": _ok({"application/json": {"type": "object"}}),
                },
            }
        },
        "/report": _get(
            "getReport",
            {
                "200": _ok({"text/plain": {"type": "string"}}),
                "201": _ok({"application/json": PET}),
            },
        ),
        "/pets/{id}": {
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "put": {
                "operationId": "putPet",
                "responses": {"200": _ok({"application/json": PET}), "204": {"description": "-"}},
            },
        },
        "/ranges": _get(
            "getRanged",
            {"200": _ok({"application/json": PET}), "2XX": _ok({"application/json": JOB})},
        ),
        "/later": _get(
            "getLater",
            {"201": {"description": "none"}, "202": _ok({"application/json": JOB})},
        ),
        "/same": _get(
            "getSame",
            {"200": _ok({"application/json": PET}), "201": _ok({"application/json": PET})},
        ),
        "/export": _get(
            "exportPets",
            {"200": _ok({"application/json": PET, "text/csv": {"type": "string"}})},
        ),
        "/invoice": _get(
            "getInvoice",
            {
                "200": _ok(
                    {
                        "application/pdf": {"type": "string", "format": "binary"},
                        "application/json": PET,
                    }
                )
            },
        ),
        "/fallback": _get("getFallback", {"default": _ok({"application/json": PET})}),
    },
    "components": {
        "schemas": {
            "Pet": {"type": "object", "properties": {"name": {"type": "string"}}},
            "Job": {"type": "object", "properties": {"job": {"type": "string"}}},
        },
        "responses": {"Accepted": _ok({"application/json": JOB})},
    },
}


@pytest.fixture(scope="module")
def resp_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("resp")
    spec_path = root / "spec.json"
    spec_path.write_text(json.dumps(SPEC), encoding="utf-8")
    code, err = generate_in_process(spec_path, root / "out", PACKAGE)
    assert code == 0, err
    return root / "out"


@pytest.fixture(scope="module")
def api(resp_dir: Path) -> Iterator[ModuleType]:
    sys.path.insert(0, str(resp_dir))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(resp_dir))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


class Recorder:
    """Answers each request with the next of `responses` and keeps the requests."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.requests: list[httpx.Request] = []
        self._responses = iter(responses)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return next(self._responses)

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        return self(request)

    def accepts(self) -> list[str]:
        return [r.headers["accept"] for r in self.requests]


def _client(api: ModuleType, rec: Recorder) -> Any:
    return api.Client(http_client=httpx.Client(transport=httpx.MockTransport(rec)))


def _returns(api: ModuleType, method: str) -> str:
    return str(inspect.signature(getattr(api.Client, method)).return_annotation)


def _json(status: int, value: Any) -> httpx.Response:
    return httpx.Response(status, json=value)


def _typed(value: Any) -> tuple[str, dict[str, Any]]:
    return type(value).__name__, value.to_dict()


# -- several success statuses ----------------------------------------------------------------


def test_each_status_is_parsed_as_its_own_response(api: ModuleType) -> None:
    rec = Recorder(_json(200, {"name": "rex"}), _json(202, {"job": "j1"}))
    client = _client(api, rec)
    assert _typed(client.create_pet()) == ("Pet", {"name": "rex"})
    # The 202 response is a $ref to components/responses: typed by the schema it names.
    assert _typed(client.create_pet()) == ("Job", {"job": "j1"})
    assert _returns(api, "create_pet") == "Pet | Job"
    assert rec.accepts() == [JSON_DEFAULT] * 2


def test_the_async_client_reads_the_status_too(api: ModuleType) -> None:
    rec = Recorder(_json(202, {"job": "j2"}))

    async def call() -> Any:
        transport = httpx.MockTransport(rec.handle_async)
        async with api.AsyncClient(http_client=httpx.AsyncClient(transport=transport)) as c:
            return await c.create_pet()

    assert _typed(asyncio.run(call())) == ("Job", {"job": "j2"})


def test_a_text_status_and_a_json_status(api: ModuleType) -> None:
    rec = Recorder(
        httpx.Response(200, text="a,b", headers={"Content-Type": "text/plain"}),
        _json(201, {"name": "made"}),
    )
    client = _client(api, rec)
    assert client.get_report() == "a,b"
    assert _typed(client.get_report()) == ("Pet", {"name": "made"})
    assert _returns(api, "get_report") == "str | Pet"
    assert rec.accepts() == ["application/json, text/plain"] * 2


def test_a_no_content_status_returns_none(api: ModuleType) -> None:
    rec = Recorder(_json(200, {"name": "rex"}), httpx.Response(204))
    client = _client(api, rec)
    assert _typed(client.put_pet("p1")) == ("Pet", {"name": "rex"})
    assert client.put_pet("p1") is None
    assert _returns(api, "put_pet") == "Pet | None"


def test_a_no_content_status_before_a_json_one(api: ModuleType) -> None:
    rec = Recorder(httpx.Response(201), _json(202, {"job": "j3"}))
    client = _client(api, rec)
    assert client.get_later() is None
    assert _typed(client.get_later()) == ("Job", {"job": "j3"})
    assert _returns(api, "get_later") == "Job | None"
    assert rec.accepts() == [JSON_DEFAULT] * 2


def test_a_status_range_covers_the_statuses_not_named(api: ModuleType) -> None:
    rec = Recorder(_json(200, {"name": "p"}), _json(201, {"job": "r"}), _json(206, {"job": "s"}))
    client = _client(api, rec)
    assert _typed(client.get_ranged()) == ("Pet", {"name": "p"})
    assert _typed(client.get_ranged()) == ("Job", {"job": "r"})
    assert _typed(client.get_ranged()) == ("Job", {"job": "s"})
    assert _returns(api, "get_ranged") == "Pet | Job"


def test_statuses_of_one_type_keep_the_single_return_type(resp_dir: Path, api: ModuleType) -> None:
    rec = Recorder(_json(201, {"name": "same"}))
    assert _typed(_client(api, rec).get_same()) == ("Pet", {"name": "same"})
    assert _returns(api, "get_same") == "Pet"
    source = (resp_dir / PACKAGE / "_api" / "default.py").read_text()
    definition = source[source.index("_GET_SAME = ") :].split(")\n", 1)[0]
    assert "statuses=" not in definition


# -- several media types ---------------------------------------------------------------------


def test_the_caller_chooses_the_response_media_type(api: ModuleType) -> None:
    rec = Recorder(
        _json(200, {"name": "rex"}),
        httpx.Response(200, text="name\nrex\n", headers={"Content-Type": "text/csv"}),
    )
    client = _client(api, rec)
    assert _typed(client.export_pets()) == ("Pet", {"name": "rex"})
    assert client.export_pets(accept="text/csv") == "name\nrex\n"
    assert rec.accepts() == ["application/json, text/csv", "text/csv"]
    assert _returns(api, "export_pets") == "Pet | str"
    accept = inspect.signature(api.Client.export_pets).parameters["accept"]
    assert accept.kind is inspect.Parameter.KEYWORD_ONLY
    assert accept.annotation == "Literal['application/json', 'text/csv'] | None"
    # Only operations whose responses offer a choice take `accept=`.
    assert "accept" not in inspect.signature(api.Client.create_pet).parameters


def test_an_accept_the_operation_does_not_offer_is_refused_before_sending(
    api: ModuleType,
) -> None:
    rec = Recorder()
    with pytest.raises(ValueError, match="accept must be one of application/json, text/csv"):
        _client(api, rec).export_pets(accept="text/html")
    assert rec.requests == []


def test_another_offered_media_type_is_returned_not_refused(api: ModuleType) -> None:
    # Asked for any of them, the server picks CSV (and then PDF): returned as str and bytes.
    rec = Recorder(
        httpx.Response(200, text="name\n", headers={"Content-Type": "text/csv; charset=utf-8"}),
        httpx.Response(200, content=b"%PDF-1.7", headers={"Content-Type": "application/pdf"}),
        _json(200, {"name": "inv"}),
    )
    client = _client(api, rec)
    assert client.export_pets() == "name\n"
    assert client.get_invoice(accept="application/pdf") == b"%PDF-1.7"
    assert _typed(client.get_invoice()) == ("Pet", {"name": "inv"})
    assert rec.accepts() == [
        "application/json, text/csv",
        "application/pdf",
        "application/json, application/pdf",
    ]
    assert _returns(api, "get_invoice") == "Pet | bytes"


def test_a_media_type_nobody_offered_is_still_read_as_json(api: ModuleType) -> None:
    rec = Recorder(httpx.Response(200, text="<html>", headers={"Content-Type": "text/html"}))
    with pytest.raises(api.APIResponseError, match="not valid JSON"):
        _client(api, rec).export_pets()


# -- only a default response -----------------------------------------------------------------


def test_a_default_response_types_an_operation_without_success_responses(
    api: ModuleType,
) -> None:
    rec = Recorder(_json(200, {"name": "d"}))
    assert _typed(_client(api, rec).get_fallback()) == ("Pet", {"name": "d"})
    assert _returns(api, "get_fallback") == "Pet"
    assert rec.accepts() == [JSON_DEFAULT]


# -- static typing ---------------------------------------------------------------------------

USER_CODE = """
from resp_api import Client

def use(client: Client) -> None:
    reveal_type(client.create_pet())
    reveal_type(client.put_pet("p"))
    reveal_type(client.export_pets(accept="text/csv"))
    reveal_type(client.get_fallback())
    client.export_pets(accept="text/html")
"""


def test_return_types_and_accept_choices_for_type_checkers(resp_dir: Path) -> None:
    (resp_dir / "user_code.py").write_text(USER_CODE, encoding="utf-8")
    mypy = ["mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull]
    result = subprocess.run(
        [sys.executable, "-m", *mypy, PACKAGE, "user_code.py"],
        cwd=resp_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    notes = [line.split(": ", 1)[1] for line in result.stdout.splitlines() if "user_code" in line]
    assert notes == [
        'note: Revealed type is "resp_api.models.default_api.Pet | resp_api.models.job.Job"',
        'note: Revealed type is "resp_api.models.default_api.Pet | None"',
        'note: Revealed type is "resp_api.models.default_api.Pet | str"',
        'note: Revealed type is "resp_api.models.default_api.Pet"',
        'error: Argument "accept" to "export_pets" of "SyncMethods" has incompatible type '
        "\"Literal['text/html']\"; expected \"Literal['application/json', 'text/csv'] | None\"  "
        "[arg-type]",
    ], result.stdout[-3000:]
