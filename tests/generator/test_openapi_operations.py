"""Operations of any OpenAPI document: parameters in every place and style, request and
response media types, derived method names, deprecation and security schemes.

One small spec is generated once; each test calls the generated client and checks the exact
request it sends (captured by httpx.MockTransport) and the value it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import io
import json
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from generator.model.naming import PARAM_RESERVED
from tests.conftest import generate_in_process

PACKAGE = "ops_api"
BASE = "https://eu.api.example.test/v1"


def _json_response(schema: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    return {"description": "ok", "content": {media: {"schema": schema}}}


NO_CONTENT = {"204": {"description": "done"}}
ITEM = {"$ref": "#/components/schemas/Item"}


def _secured(scheme: str, scopes: list[str] | None = None) -> dict[str, Any]:
    return {"get": {"security": [{scheme: scopes or []}], "responses": NO_CONTENT}}


# Parameters named like every name a generated method uses itself (its locals, options,
# helpers and the names its result annotation may hold): each must still reach the wire.
LOCAL_NAMES = sorted(PARAM_RESERVED)
LOCALS_PATH = "/locals/{options}/{cast}"
LOCALS_PARAMS: list[dict[str, Any]] = [
    {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
    for n in ("options", "cast")
] + [{"name": n, "in": "query", "schema": {"type": "string"}} for n in LOCAL_NAMES]

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Ops", "version": "1"},
    "servers": [
        {
            "url": "https://{region}.api.example.test/{version}",
            "variables": {
                "region": {"default": "eu", "enum": ["eu", "us"], "description": "data centre"},
                "version": {"default": "v1"},
            },
        }
    ],
    "paths": {
        "/items/{id}": {
            "parameters": [{"$ref": "#/components/parameters/Item~1Id"}],
            "get": {
                "operationId": "getItem",
                "parameters": [
                    {
                        "name": "X-Request-Id",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {"name": "Accept", "in": "header", "schema": {"type": "string"}},
                    {"name": "session", "in": "cookie", "schema": {"type": "string"}},
                    {"name": "trace-id", "in": "query", "schema": {"type": "string"}},
                    {"name": "trace_id", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {"200": {"$ref": "#/components/responses/ItemResponse"}},
            },
        },
        "/styles/{m}/{l}/{s}": {
            "get": {
                "operationId": "getStyles",
                "parameters": [
                    {
                        "name": "m",
                        "in": "path",
                        "required": True,
                        "style": "matrix",
                        "schema": {"type": "array", "items": {"type": "string"}},
                    },
                    {
                        "name": "l",
                        "in": "path",
                        "required": True,
                        "style": "label",
                        "explode": True,
                        "schema": {"type": "array", "items": {"type": "string"}},
                    },
                    {
                        "name": "s",
                        "in": "path",
                        "required": True,
                        "explode": True,
                        "schema": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                    {
                        "name": "deep",
                        "in": "query",
                        "style": "deepObject",
                        "explode": True,
                        "schema": {"type": "object"},
                    },
                    {
                        "name": "space",
                        "in": "query",
                        "style": "spaceDelimited",
                        "explode": False,
                        "schema": {"type": "array", "items": {"type": "string"}},
                    },
                    {
                        "name": "pipe",
                        "in": "query",
                        "style": "pipeDelimited",
                        "explode": False,
                        "schema": {"type": "array", "items": {"type": "integer"}},
                    },
                    {"name": "obj", "in": "query", "schema": {"type": "object"}},
                    {
                        "name": "filter",
                        "in": "query",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                ],
                "responses": NO_CONTENT,
            }
        },
        "/cookies": {
            "get": {
                "operationId": "getCookies",
                "parameters": [
                    {
                        "name": "tags",
                        "in": "cookie",
                        "explode": False,
                        "schema": {"type": "array", "items": {"type": "string"}},
                    },
                    {"name": "prefs", "in": "cookie", "schema": {"type": "object"}},
                    {
                        "name": "X-Tags",
                        "in": "header",
                        "schema": {"type": "array", "items": {"type": "string"}},
                    },
                ],
                "responses": NO_CONTENT,
            }
        },
        "/forms": {
            "post": {
                "operationId": "postForm",
                "requestBody": {"$ref": "#/components/requestBodies/Form"},
                "responses": {"201": _json_response({"type": "string"}, "text/plain")},
            }
        },
        "/uploads": {
            "post": {
                "operationId": "upload",
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    "title": {"type": "string"},
                                    "meta": {"type": "object"},
                                },
                            }
                        }
                    },
                },
                "responses": {"200": _json_response(ITEM, "application/vnd.example+json")},
            }
        },
        "/blobs/{id}": {
            "put": {
                "operationId": "putBlob",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/octet-stream": {
                            "schema": {"type": "string", "format": "binary"}
                        }
                    },
                },
                "responses": {
                    "200": _json_response({"type": "string", "format": "binary"}, "image/png")
                },
            }
        },
        "/channels/{channel}": {
            "post": {
                "operationId": "subscribeChannel",
                "parameters": [
                    {
                        "name": "channel",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": {"content": {}, "required": False},
                "responses": NO_CONTENT,
            }
        },
        "/notes": {
            "get": {
                "operationId": "notes/list-for-repo",
                "responses": NO_CONTENT,
            },
            "post": {
                "operationId": "postNote",
                "requestBody": {
                    "required": True,
                    "content": {
                        "text/plain": {"schema": {"type": "string"}},
                        "application/merge-patch+json": {"schema": ITEM},
                    },
                },
                "responses": NO_CONTENT,
            },
        },
        "/users/{id}/posts": {
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "get": {"responses": {"default": {"description": "anything"}}},
            "post": {
                "deprecated": True,
                # Replaces the path item's `id` (a repeat within one list is refused).
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "description": "the user",
                        "schema": {"type": "string"},
                    }
                ],
                "responses": NO_CONTENT,
            },
        },
        "/users/{id}.posts": {
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "get": {"responses": NO_CONTENT},
        },
        LOCALS_PATH: {
            "parameters": LOCALS_PARAMS,
            "get": {
                "operationId": "getLocals",
                "deprecated": True,
                "responses": {"200": _json_response({"type": "string"}, "text/plain")},
            },
            "post": {
                "operationId": "postLocals",
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"type": "integer"}},
                        "text/plain": {"schema": {"type": "string"}},
                    }
                },
                "responses": {"200": _json_response({"type": "integer"})},
            },
        },
        "/secure/header": _secured("headerKey"),
        "/secure/query": _secured("queryKey"),
        "/secure/cookie": _secured("cookieKey"),
        "/secure/basic": _secured("basic"),
        "/secure/bearer": _secured("jwt"),
        "/secure/oidc": _secured("oidc"),
        "/secure/client": _secured("clientCredentials", ["items:read"]),
    },
    "components": {
        "schemas": {
            "Item": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
                # Data and extensions that look like references are not followed.
                "example": {"$ref": "#/not/a/place"},
                "x-note": {"$ref": "#/nowhere"},
            }
        },
        "parameters": {
            "Item/Id": {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
        },
        "responses": {
            "ItemResponse": {
                "description": "ok",
                # A reference is a URI fragment: percent-encoded names are found.
                "content": {
                    "application/json": {
                        "schema": ITEM,
                        "examples": {"one": {"$ref": "#/components/examples/An%20Item"}},
                    }
                },
            }
        },
        "examples": {"An Item": {"value": {"id": "1", "name": "one"}}},
        "requestBodies": {
            "Form": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "required": ["name"],
                            "properties": {
                                "name": {"type": "string"},
                                "tags": {"type": "array", "items": {"type": "string"}},
                                "age": {"type": "integer"},
                            },
                        }
                    }
                },
            }
        },
        "securitySchemes": {
            "headerKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            "queryKey": {"type": "apiKey", "in": "query", "name": "api_key"},
            "cookieKey": {"type": "apiKey", "in": "cookie", "name": "key"},
            "basic": {"type": "http", "scheme": "basic"},
            "jwt": {"type": "http", "scheme": "Bearer", "bearerFormat": "JWT"},
            "oidc": {"type": "openIdConnect", "openIdConnectUrl": "https://id.example.test"},
            "clientCredentials": {
                "type": "oauth2",
                "flows": {
                    "clientCredentials": {
                        "tokenUrl": "https://id.example.test/token",
                        "scopes": {"items:read": "read items"},
                    }
                },
            },
        },
    },
}


def _generate(spec: dict[str, Any], root: Path, package: str) -> tuple[int, str, Path]:
    spec_path = root / "spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    out = root / "out"
    code, err = generate_in_process(spec_path, out, package)
    return code, err, out


@pytest.fixture(scope="module")
def ops_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    code, err, out = _generate(SPEC, tmp_path_factory.mktemp("ops"), PACKAGE)
    assert code == 0, err
    return out


@pytest.fixture(scope="module")
def api(ops_dir: Path) -> Iterator[ModuleType]:
    out = ops_dir
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


class Recorder:
    def __init__(self, respond: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.respond = respond or (lambda r: httpx.Response(204))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.respond(request)

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        return self.respond(request)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def _client(api: ModuleType, rec: Recorder, **kwargs: Any) -> Any:
    return api.Client(http_client=httpx.Client(transport=httpx.MockTransport(rec)), **kwargs)


def _async_client(api: ModuleType, rec: Recorder, **kwargs: Any) -> Any:
    transport = httpx.MockTransport(rec.handle_async)
    return api.AsyncClient(http_client=httpx.AsyncClient(transport=transport), **kwargs)


# -- parameters ---------------------------------------------------------------------------


def test_header_cookie_and_colliding_query_parameters(api: ModuleType) -> None:
    rec = Recorder(lambda r: httpx.Response(200, json={"id": "7", "name": "seven"}))
    item = _client(api, rec).get_item(
        "7/8", x_request_id="r-1", session="s 1;x", trace_id="a", trace_id_2=3
    )
    assert str(rec.last.url) == f"{BASE}/items/7%2F8?trace-id=a&trace_id=3"
    assert rec.last.headers["x-request-id"] == "r-1"
    assert rec.last.headers["cookie"] == "session=s%201%3Bx"
    # OpenAPI ignores an `Accept` header parameter: the client sets Accept itself.
    assert rec.last.headers["accept"] == "application/json, application/problem+json"
    assert "accept" not in inspect.signature(api.Client.get_item).parameters
    # The 200 response is a $ref to components/responses: typed by the schema it names.
    assert type(item).__name__ == "Item" and item.name == "seven"


def test_parameters_named_like_the_names_a_method_uses_reach_the_wire(api: ModuleType) -> None:
    assert {"options", "cast", "self", "timeout", "body", "RequestOptions"} <= set(LOCAL_NAMES)
    # Which argument sends which parameter: as the method's docstring documents it.
    documented = re.findall(r"(\w+): the `([^`]+)` query parameter", api.Client.get_locals.__doc__)
    python = {wire: name for name, wire in documented}
    assert sorted(python) == LOCAL_NAMES
    keyword_only = {
        name
        for name, p in inspect.signature(api.Client.get_locals).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }
    options = {"timeout", "extra_headers", "extra_query", "extra_body"}
    assert keyword_only == {*python.values(), *options}
    kwargs = {python[n]: f"v {n}" for n in LOCAL_NAMES}
    expected = sorted(f"{n}=v%20{n}" for n in LOCAL_NAMES)

    def sent() -> tuple[str, list[str]]:
        path, _, query = rec.last.url.raw_path.decode().partition("?")
        return path, sorted(query.split("&")) if query else []

    rec = Recorder(
        lambda r: (
            httpx.Response(200, text="7", headers={"Content-Type": "text/plain"})
            if r.method == "GET"
            else httpx.Response(200, json=7)
        )
    )
    with pytest.warns(DeprecationWarning):
        assert _client(api, rec).get_locals("o/1", "c", **kwargs) == "7"
    assert sent() == ("/v1/locals/o%2F1/c", expected)
    assert _client(api, rec).post_locals("o", "c", body=5, **kwargs, timeout=3) == 7
    assert sent() == ("/v1/locals/o/c", expected)
    assert rec.last.content == b"5"

    async def call() -> None:
        async with _async_client(api, rec) as client:
            assert await client.post_locals("o", "c", body="x", content_type="text/plain") == 7
            assert sent() == ("/v1/locals/o/c", [])
            with pytest.warns(DeprecationWarning):
                await client.get_locals("a", "b", **kwargs)
            assert sent() == ("/v1/locals/a/b", expected)

    asyncio.run(call())
    assert rec.last.method == "GET" and len(rec.requests) == 4


def test_optional_header_and_cookie_parameters_left_out(api: ModuleType) -> None:
    rec = Recorder(lambda r: httpx.Response(200, json={"id": "7"}))
    _client(api, rec).get_item("7", x_request_id="r")
    assert str(rec.last.url) == f"{BASE}/items/7"
    assert "cookie" not in rec.last.headers


def test_a_line_break_in_a_header_parameter_is_refused(api: ModuleType) -> None:
    rec = Recorder()
    with pytest.raises(ValueError, match="line breaks"):
        _client(api, rec).get_item("7", x_request_id="r\r\nX-Evil: 1")
    with pytest.raises(ValueError, match="line breaks"):
        _client(api, rec).get_cookies(x_tags=["a\nb"])
    assert rec.requests == []


def test_a_header_parameter_http_cannot_carry_is_refused_by_name(api: ModuleType) -> None:
    rec = Recorder()
    client = _client(api, rec)
    for value in (" r", "r\t"):
        with pytest.raises(
            ValueError, match="getItem: header 'X-Request-Id' must not start or end with a space"
        ):
            client.get_item("7", x_request_id=value)
    for value, position in (("ré", 2), ("r\x7f", 2), ("\x01", 1)):
        with pytest.raises(
            ValueError,
            match=rf"header 'X-Request-Id' must be printable ASCII \(character {position} is",
        ):
            client.get_item("7", x_request_id=value)
    with pytest.raises(ValueError, match="header 'X-Tags' must be printable ASCII"):
        client.get_cookies(x_tags=["a", "ü"])
    assert rec.requests == []
    client.get_item("7", x_request_id="r 1\t2")
    assert rec.last.headers["x-request-id"] == "r 1\t2"


def test_path_and_query_styles_exact_bytes(api: ModuleType) -> None:
    rec = Recorder()
    _client(api, rec).get_styles(
        ["a", "b c"],
        ["x", "y"],
        {"k": "v", "n": "1"},
        deep={"f": {"x": "1"}, "g": "2", "h": ["3", "4"]},
        space=["a", "b"],
        pipe=[1, 2],
        obj={"p": "1", "q": "2"},
        filter={"w": [1]},
    )
    assert rec.last.url.raw_path.decode() == (
        "/v1/styles/;m=a,b%20c/.x.y/k=v,n=1"
        "?deep[f][x]=1&deep[g]=2&deep[h]=3&deep[h]=4&filter=%7B%22w%22%3A%5B1%5D%7D"
        "&p=1&q=2&pipe=1|2&space=a%20b"
    )


def test_a_label_value_that_makes_a_dot_segment_is_refused(api: ModuleType) -> None:
    rec = Recorder()
    with pytest.raises(ValueError, match="dot segment"):
        _client(api, rec).get_styles(["a"], ["."], {"k": "v"})
    assert rec.requests == []


def test_cookie_and_header_styles(api: ModuleType) -> None:
    rec = Recorder()
    _client(api, rec).get_cookies(tags=["a", "b"], prefs={"x": "1", "y": "2"}, x_tags=["p", "q"])
    assert rec.last.headers["cookie"] == "x=1; y=2; tags=a,b"
    assert rec.last.headers["x-tags"] == "p,q"


# -- request bodies and responses -----------------------------------------------------------


def test_form_body_and_text_response(api: ModuleType) -> None:
    rec = Recorder(
        lambda r: httpx.Response(201, text="créé", headers={"Content-Type": "text/plain"})
    )
    result = _client(api, rec).post_form(body={"name": "Ann Lee", "tags": ["a", "b"], "age": 3})
    assert rec.last.method == "POST"
    assert rec.last.headers["content-type"] == "application/x-www-form-urlencoded"
    assert rec.last.content == b"name=Ann+Lee&tags=a&tags=b&age=3"
    assert rec.last.headers["accept"] == "text/plain"
    assert result == "créé"


def test_multipart_parts_and_vendor_json_response(api: ModuleType) -> None:
    rec = Recorder(
        lambda r: httpx.Response(
            200, content=b'{"id": "9"}', headers={"Content-Type": "application/vnd.example+json"}
        )
    )
    result = _client(api, rec).upload(
        body={"file": io.BytesIO(b"\x00\x01"), "title": "T", "meta": {"a": 1}}
    )
    content_type = rec.last.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    boundary = content_type.split("boundary=")[1]
    assert rec.last.content.decode("latin-1") == (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="file"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n\x00\x01\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="title"\r\n\r\nT\r\n'
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="meta"\r\n'
        'Content-Type: application/json\r\n\r\n{"a":1}\r\n'
        f"--{boundary}--\r\n"
    )
    assert rec.last.headers["accept"] == "application/vnd.example+json"
    assert type(result).__name__ == "Item" and result.id == "9"


def test_multipart_without_files_is_still_multipart(api: ModuleType) -> None:
    rec = Recorder(lambda r: httpx.Response(200, json={}))
    _client(api, rec).upload(body={"title": "T"})
    assert rec.last.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="title"\r\n\r\nT\r\n' in rec.last.content


def test_octet_stream_body_streamed_from_a_file_and_binary_response(api: ModuleType) -> None:
    rec = Recorder(lambda r: httpx.Response(200, content=b"\x89PNG"))
    source = io.BytesIO(b"skip" + bytes(range(256)) * 600)
    source.seek(4)
    result = _client(api, rec).put_blob("b1", body=source)
    assert rec.last.method == "PUT"
    assert rec.last.headers["content-type"] == "application/octet-stream"
    # Sent in chunks (no Content-Length known up front), from the file's position.
    assert rec.last.headers["transfer-encoding"] == "chunked"
    assert rec.last.content == bytes(range(256)) * 600
    assert rec.last.headers["accept"] == "image/png"
    assert result == b"\x89PNG"


class StreamingTransport(httpx.BaseTransport):
    """Reads each request body from its stream, as a network transport does (MockTransport
    reads it into the request first, which would hide a body that cannot be sent twice)."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(b"".join(request.stream))  # type: ignore[arg-type]
        if len(self.bodies) == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, content=b"ok")


def test_octet_stream_body_is_read_again_on_a_retry(api: ModuleType) -> None:
    transport = StreamingTransport()
    client = api.Client(http_client=httpx.Client(transport=transport))
    client._sleep = lambda seconds: None
    source = io.BytesIO(b"head-payload")
    source.seek(5)
    assert client.put_blob("b1", body=source) == b"ok"
    assert transport.bodies == [b"payload", b"payload"]


def test_octet_stream_from_a_file_with_the_async_client(api: ModuleType) -> None:
    rec = Recorder(lambda r: httpx.Response(200, content=b"ok"))

    async def call() -> bytes:
        async with _async_client(api, rec) as client:
            result: bytes = await client.put_blob("b2", body=io.BytesIO(b"abc" * 30000))
            return result

    assert asyncio.run(call()) == b"ok"
    assert rec.last.content == b"abc" * 30000


def test_bytes_body(api: ModuleType) -> None:
    rec = Recorder(lambda r: httpx.Response(200, content=b""))
    _client(api, rec).put_blob("b3", body=b"raw")
    assert rec.last.content == b"raw"
    assert rec.last.headers["content-length"] == "3"


def test_several_content_types_the_caller_chooses(api: ModuleType) -> None:
    rec = Recorder()
    client = _client(api, rec)
    client.post_note(body={"id": "1"})
    # The first JSON type is the default.
    assert rec.last.headers["content-type"] == "application/merge-patch+json"
    assert rec.last.content == b'{"id":"1"}'
    client.post_note(body="héllo", content_type="text/plain")
    assert rec.last.headers["content-type"] == "text/plain; charset=utf-8"
    assert rec.last.content == "héllo".encode()
    with pytest.raises(ValueError, match="content_type must be one of"):
        client.post_note(body="x", content_type="text/html")


def test_undescribed_responses_are_returned_as_sent(api: ModuleType) -> None:
    bodies = iter(
        [
            httpx.Response(200, json={"a": [1]}),
            httpx.Response(200, text="plain", headers={"Content-Type": "text/csv"}),
            httpx.Response(200, content=b"\x00", headers={"Content-Type": "image/gif"}),
            httpx.Response(200),
        ]
    )
    rec = Recorder(lambda r: next(bodies))
    client = _client(api, rec)
    assert client.get_users_by_id_posts("5") == {"a": [1]}
    assert client.get_users_by_id_posts("5") == "plain"
    assert client.get_users_by_id_posts("5") == b"\x00"
    assert client.get_users_by_id_posts("5") is None
    assert rec.last.headers["accept"] == "*/*"


# -- names and deprecation ------------------------------------------------------------------


def test_operations_without_operation_id_get_derived_names(api: ModuleType) -> None:
    rec = Recorder()
    client = _client(api, rec)
    # `/users/{id}/posts` and `/users/{id}.posts` derive the same name: the later one in the
    # spec gets a stable suffix.
    client.get_users_by_id_posts_2("u")
    assert str(rec.last.url) == f"{BASE}/users/u.posts"
    assert set(api._operations.BY_METHOD) >= {
        "get_users_by_id_posts",
        "post_users_by_id_posts",
        "get_users_by_id_posts_2",
    }


def test_operation_id_separators_become_word_breaks(api: ModuleType) -> None:
    # GitHub-style ids (`notes/list-for-repo`): the slash separates words like `-` does.
    rec = Recorder()
    _client(api, rec).notes_list_for_repo()
    assert (rec.last.method, str(rec.last.url)) == ("GET", f"{BASE}/notes")
    assert hasattr(api.AsyncClient, "notes_list_for_repo")


def test_a_request_body_without_media_types_sends_no_body(api: ModuleType) -> None:
    rec = Recorder()
    assert "body" not in inspect.signature(api.Client.subscribe_channel).parameters
    _client(api, rec).subscribe_channel("email")
    assert (rec.last.method, str(rec.last.url)) == ("POST", f"{BASE}/channels/email")
    assert rec.last.content == b"" and "content-type" not in rec.last.headers


def test_deprecated_operations_warn_sync_and_async(api: ModuleType) -> None:
    rec = Recorder()
    with pytest.warns(DeprecationWarning, match="post_users_by_id_posts is deprecated"):
        _client(api, rec).post_users_by_id_posts("u")
    assert rec.last.method == "POST"

    async def call() -> None:
        async with _async_client(api, rec) as client:
            await client.post_users_by_id_posts("u")

    with pytest.warns(DeprecationWarning, match="post_users_by_id_posts is deprecated"):
        asyncio.run(call())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _client(api, rec).get_users_by_id_posts_2("u")


# -- security and servers ------------------------------------------------------------------


def test_api_keys_in_header_query_and_cookie(api: ModuleType) -> None:
    from ops_api.auth import APIKey

    rec = Recorder()
    _client(api, rec, auth=APIKey("k1", name="X-API-Key")).get_secure_header()
    assert rec.last.headers["x-api-key"] == "k1"
    _client(api, rec, auth=APIKey("k 2", name="api_key", location="query")).get_secure_query()
    assert str(rec.last.url) == f"{BASE}/secure/query?api_key=k+2"
    _client(api, rec, auth=APIKey("k3", name="key", location="cookie")).get_secure_cookie()
    assert rec.last.headers["cookie"] == "key=k3"
    assert "k1" not in repr(APIKey("k1", name="X-API-Key"))


def test_an_api_key_name_that_would_break_its_header_or_cookie_is_refused(
    api: ModuleType,
) -> None:
    from ops_api.auth import APIKey

    for name in ("a;b", "a=b", "X\r\nEvil", ""):
        with pytest.raises(ValueError, match="name must be"):
            APIKey("k", name=name, location="cookie")
    with pytest.raises(ValueError, match="location must be one of"):
        APIKey("k", name="k", location="body")  # type: ignore[arg-type]


def test_http_basic_bearer_and_oauth2_tokens(api: ModuleType) -> None:
    from ops_api.auth import BearerToken, HTTPBasic, OAuth2UserToken

    rec = Recorder()
    _client(api, rec, auth=HTTPBasic("ann", "pw")).get_secure_basic()
    assert rec.last.headers["authorization"] == "Basic YW5uOnB3"
    assert "pw" not in repr(HTTPBasic("ann", "pw"))
    _client(api, rec, auth=BearerToken("b1")).get_secure_bearer()
    assert rec.last.headers["authorization"] == "Bearer b1"
    _client(api, rec, auth=OAuth2UserToken("t1")).get_secure_oidc()
    assert rec.last.headers["authorization"] == "Bearer t1"
    _client(api, rec, auth=OAuth2UserToken("t2", scopes=["items:read"])).get_secure_client()
    assert rec.last.headers["authorization"] == "Bearer t2"
    assert len(rec.requests) == 4
    with pytest.raises(api.OperationNotAllowedError, match="BearerToken auth"):
        _client(api, rec, auth=BearerToken("t")).get_secure_client()


def test_auth_of_another_scheme_type_or_scope_is_refused_before_sending(api: ModuleType) -> None:
    from ops_api.auth import APIKey, HTTPBasic, OAuth2UserToken

    rec = Recorder()
    with pytest.raises(
        api.OperationNotAllowedError,
        match=r"get_secure_header\(\) cannot be called with HTTPBasic auth; it needs APIKey ",
    ):
        _client(api, rec, auth=HTTPBasic("a", "b")).get_secure_header()
    with pytest.raises(
        api.OperationNotAllowedError,
        match=r"get_secure_basic\(\) cannot be called with APIKey \(for headerKey\) auth; it "
        r"needs HTTPBasic ",
    ):
        _client(api, rec, auth=APIKey("k", scheme="headerKey")).get_secure_basic()
    with pytest.raises(api.OperationNotAllowedError, match="items:read"):
        _client(api, rec, auth=OAuth2UserToken("t", scopes=[])).get_secure_client()
    assert rec.requests == []


def test_server_variables_default_base_url_and_docstring(api: ModuleType) -> None:
    rec = Recorder()
    _client(api, rec).get_secure_header()
    assert str(rec.last.url) == f"{BASE}/secure/header"
    doc = api.Client.__doc__ or ""
    assert "region = eu (one of: eu, us): data centre" in doc
    assert "version = v1" in doc


def test_the_generated_package_is_mypy_strict_clean(ops_dir: Path) -> None:
    mypy = ["mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull]
    result = subprocess.run(
        [sys.executable, "-m", *mypy, PACKAGE],
        cwd=ops_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        (
            ("paths", "/forms", "post", "requestBody"),
            {"$ref": "#/components/requestBodies/Nope"},
            "spec.json:#/paths/~1forms/post/requestBody: dangling $ref "
            "'#/components/requestBodies/Nope'",
        ),
        (
            ("paths", "/items/{id}", "get", "responses", "200"),
            {"$ref": "#/components/schemas/Item"},
            "spec.json:#/paths/~1items~1{id}/get/responses/200: $ref "
            "'#/components/schemas/Item' must point into #/components/responses/",
        ),
        (
            ("paths", "/cookies", "get", "responses", "204"),
            {"description": "d", "headers": {"X-Rate": {"$ref": "#/components/headers/Nope"}}},
            "spec.json:#/paths/~1cookies/get/responses/204/headers/X-Rate: dangling $ref "
            "'#/components/headers/Nope'",
        ),
        (
            ("paths", "/cookies", "get", "responses", "default"),
            {"$ref": "#/components/responses/Nope"},
            "spec.json:#/paths/~1cookies/get/responses/default: dangling $ref "
            "'#/components/responses/Nope'",
        ),
        (
            ("components", "schemas", "Item", "properties", "default"),
            {"$ref": "#/components/schemas/Item~1Nope"},
            "spec.json:#/components/schemas/Item/properties/default: dangling $ref "
            "'#/components/schemas/Item~1Nope'",
        ),
        (
            ("components", "responses", "Unused"),
            {"$ref": "#/components/responses/Nope"},
            "spec.json:#/components/responses/Unused: dangling $ref '#/components/responses/Nope'",
        ),
        (
            ("paths", "/uploads", "post", "responses", "200", "content", "image/png"),
            {"examples": {"one": {"$ref": "#/components/examples/Nope"}}},
            "spec.json:#/paths/~1uploads/post/responses/200/content/image~1png/examples/one: "
            "dangling $ref '#/components/examples/Nope'",
        ),
        (
            ("paths", "/a/{x}/{y}"),
            {
                "parameters": [
                    {"name": "y", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "get": {"responses": NO_CONTENT},
            },
            "spec.json:#/paths/~1a~1{x}~1{y}/get: the path's {x} has no path parameter declared",
        ),
        (
            ("paths", "/find?q={q}"),
            {
                "get": {
                    "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
                    "responses": NO_CONTENT,
                }
            },
            "spec.json:#/paths/~1find?q={q}/get: the path's {q} has no path parameter declared "
            "(a query string is no part of a path)",
        ),
        (
            ("paths", "/cookies", "get", "parameters", 3),
            {"name": "tags", "in": "cookie", "schema": {"type": "string"}},
            "spec.json:#/paths/~1cookies/get/parameters/3: the cookie parameter 'tags' is also "
            "listed at #/paths/~1cookies/get/parameters/0",
        ),
        (
            ("paths", "/users/{id}.posts", "parameters", 1),
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
            "spec.json:#/paths/~1users~1{id}.posts/parameters/1: the path parameter 'id' is "
            "also listed at #/paths/~1users~1{id}.posts/parameters/0",
        ),
        (
            ("paths", "/echo"),
            {"GET": {"responses": NO_CONTENT}},
            "spec.json:#/paths/~1echo/GET: not a field of a path item (methods: get, put, post, "
            "delete, patch, head, options, trace)",
        ),
        (
            ("paths", "/cookies", "get"),
            None,
            "spec.json:#/paths/~1cookies/get: an operation must be an object",
        ),
        (
            ("paths", "/cookies", "get", "parameters", 0, "style"),
            "deepObject",
            "spec.json:#/paths/~1cookies/get/parameters/0/style: style 'deepObject' is not "
            "allowed in a cookie parameter",
        ),
    ],
)
def test_bad_references_and_styles_are_one_line_errors(
    tmp_path: Path, where: tuple[Any, ...], value: Any, message: str
) -> None:
    spec = json.loads(json.dumps(SPEC))
    target = spec
    for key in where[:-1]:
        target = target[key]
    if isinstance(target, list):
        target.append(value)
    else:
        target[where[-1]] = value
    code, err, out = _generate(spec, tmp_path, "bad_api")
    assert code == 2
    assert err == f"sdkgen: error: {tmp_path}/{message}\n"
    assert not out.exists()


# -- path items, names and security schemes reached through references -----------------------

REFS_BASE = "https://api.example.test"
REFS_SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Refs", "version": "1"},
    "servers": [{"url": REFS_BASE}],
    "paths": {
        "/shared": {"$ref": "#/components/pathItems/Shared"},
        "/echo": {"trace": {"operationId": "traceEcho", "responses": NO_CONTENT}},
        # Operations without an operationId listed before explicit ones deriving the same
        # name: the explicit ones keep theirs.
        "/users/{id}": {
            "get": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": NO_CONTENT,
            }
        },
        "/lookup": {"get": {"operationId": "getUsersById", "responses": NO_CONTENT}},
        "/users": {"get": {"tags": ["people"], "responses": NO_CONTENT}},
        "/people": {"get": {"operationId": "get_users", "responses": NO_CONTENT}},
        "/keyed": {
            "get": {
                "operationId": "getKeyed",
                "security": [{"Alias": []}],
                "responses": NO_CONTENT,
            }
        },
    },
    "webhooks": {"ping": {"$ref": "#/components/pathItems/Ping"}},
    "components": {
        "pathItems": {
            "Shared": {"$ref": "#/components/pathItems/SharedItem"},
            "SharedItem": {
                "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
                "get": {"operationId": "getShared", "responses": NO_CONTENT},
            },
            "Ping": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"at": {"type": "string"}},
                                }
                            }
                        }
                    },
                    "responses": NO_CONTENT,
                }
            },
        },
        "securitySchemes": {
            "Key": {"$ref": "sec.yaml#/ApiKey"},
            "Alias": {"$ref": "#/components/securitySchemes/Key"},
        },
    },
}


def _generate_refs(root: Path, package: str, *args: str) -> tuple[int, str, Path]:
    from generator.cli import main as sdkgen_main

    (root / "sec.yaml").write_text(
        "ApiKey: {type: apiKey, in: header, name: X-Key}\n", encoding="utf-8"
    )
    spec_path = root / "spec.json"
    spec_path.write_text(json.dumps(REFS_SPEC), encoding="utf-8")
    out = root / "out"
    argv = ["generate", "--spec", str(spec_path), "--output", str(out)]
    err = io.StringIO()
    with contextlib.chdir(root), contextlib.redirect_stderr(err):
        with contextlib.redirect_stdout(io.StringIO()):
            code = sdkgen_main([*argv, "--package-name", package, *args])
    return code, err.getvalue(), out


@contextlib.contextmanager
def _imported(out: Path, package: str) -> Iterator[ModuleType]:
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(package)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def refs_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    code, err, out = _generate_refs(tmp_path_factory.mktemp("refs"), "refs_api")
    assert code == 0, err
    with _imported(out, "refs_api") as module:
        yield module


def test_a_path_item_reference_in_the_document_is_followed(refs_api: ModuleType) -> None:
    rec = Recorder()
    _client(refs_api, rec).get_shared(q="a b")
    assert (rec.last.method, str(rec.last.url)) == ("GET", f"{REFS_BASE}/shared?q=a%20b")
    # 3.1 webhooks given as path item references get their payload models too.
    models = importlib.import_module("refs_api.models")
    assert models.PingPayload.from_dict({"at": "noon"}).at == "noon"


def test_trace_operations_are_generated(refs_api: ModuleType) -> None:
    rec = Recorder()

    async def call() -> None:
        async with _async_client(refs_api, rec) as client:
            await client.trace_echo()

    _client(refs_api, rec).trace_echo()
    asyncio.run(call())
    assert [(r.method, str(r.url)) for r in rec.requests] == [("TRACE", f"{REFS_BASE}/echo")] * 2


def test_explicit_operation_ids_keep_their_names_before_derived_ones(refs_api: ModuleType) -> None:
    rec = Recorder()
    client = _client(refs_api, rec)
    client.get_users_by_id()
    client.get_users_by_id_2("7")
    client.get_users()
    client.get_users_2()
    assert [r.url.path for r in rec.requests] == ["/lookup", "/users/7", "/people", "/users"]


def test_operation_filters_match_explicit_operation_ids_only(tmp_path: Path) -> None:
    code, err, out = _generate_refs(
        tmp_path, "picked_api", "--operations", "get_users", "getShared"
    )
    assert code == 0, err
    with _imported(out, "picked_api") as module:
        assert set(module._operations.BY_METHOD) == {"get_users", "get_shared"}
        rec = Recorder()
        _client(module, rec).get_users()
        assert rec.last.url.path == "/people"


def test_security_schemes_given_as_references_are_resolved(refs_api: ModuleType) -> None:
    from refs_api.auth import APIKey, BearerToken

    rec = Recorder()
    _client(refs_api, rec, auth=APIKey("k1", name="X-Key")).get_keyed()
    assert rec.last.headers["x-key"] == "k1"
    with pytest.raises(refs_api.OperationNotAllowedError, match="BearerToken auth"):
        _client(refs_api, rec, auth=BearerToken("t")).get_keyed()
    assert len(rec.requests) == 1


def test_a_path_item_reference_cycle_is_refused(tmp_path: Path) -> None:
    spec = json.loads(json.dumps(REFS_SPEC))
    spec["components"]["pathItems"]["SharedItem"] = {"$ref": "#/components/pathItems/Shared"}
    del spec["components"]["securitySchemes"], spec["paths"]["/keyed"]
    code, err, out = _generate(spec, tmp_path, "cycle_api")
    assert code == 2 and not out.exists()
    assert err == f"sdkgen: error: {tmp_path}/spec.json:#/paths/~1shared: circular $ref chain\n"
