"""Request bodies of any OpenAPI document: each media type has one encoder, whatever else the
operation offers, and the `encoding` object of form and multipart bodies is followed.

One small spec is generated once; each test calls the generated client and checks the exact
bytes it sends (captured by httpx.MockTransport).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.generator.test_openapi_operations import Recorder, _generate

PACKAGE = "bodies_api"
MULTIPART = "multipart/form-data"
FORM = "application/x-www-form-urlencoded"
NO_CONTENT = {"204": {"description": "done"}}

MIXED_FIELDS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "file": {"type": "string", "format": "binary"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "meta": {"type": "object"},
        "n": {"type": "integer"},
    },
}


def _post(op_id: str, content: dict[str, Any]) -> dict[str, Any]:
    return {
        "post": {
            "operationId": op_id,
            "requestBody": {"required": True, "content": content},
            "responses": NO_CONTENT,
        }
    }


SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Bodies", "version": "1"},
    "servers": [{"url": "https://api.example.test"}],
    "paths": {
        # JSON by default, multipart when the body holds files (X's media uploads).
        "/json-or-multipart": _post(
            "jsonOrMultipart",
            {"application/json": {"schema": MIXED_FIELDS}, MULTIPART: {"schema": MIXED_FIELDS}},
        ),
        "/multipart-only": _post("multipartOnly", {MULTIPART: {"schema": MIXED_FIELDS}}),
        "/form-or-multipart": _post(
            "formOrMultipart",
            {FORM: {"schema": MIXED_FIELDS}, MULTIPART: {"schema": MIXED_FIELDS}},
        ),
    },
}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    code, err, out = _generate(SPEC, tmp_path_factory.mktemp("bodies"), PACKAGE)
    assert code == 0, err
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _client(api: ModuleType, rec: Recorder) -> Any:
    return api.Client(http_client=httpx.Client(transport=httpx.MockTransport(rec)))


def _parts(request: httpx.Request, media_type: str = MULTIPART) -> str:
    """The multipart body with its boundary written as `B`, checked against the header."""
    content_type = request.headers["content-type"]
    assert content_type.startswith(f"{media_type}; boundary=")
    boundary = content_type.split("boundary=", 1)[1]
    return request.content.decode("latin-1").replace(boundary, "B")


# -- one encoder per media type -------------------------------------------------------------

MIXED_PARTS = (
    "--B\r\n"
    'Content-Disposition: form-data; name="file"; filename="file"\r\n'
    "Content-Type: application/octet-stream\r\n\r\n\x00\x01\r\n"
    '--B\r\nContent-Disposition: form-data; name="tags"\r\n\r\na\r\n'
    '--B\r\nContent-Disposition: form-data; name="tags"\r\n\r\nb\r\n'
    '--B\r\nContent-Disposition: form-data; name="meta"\r\n'
    'Content-Type: application/json\r\n\r\n{"k":1}\r\n'
    '--B\r\nContent-Disposition: form-data; name="n"\r\n\r\n3\r\n'
    "--B--\r\n"
)


def test_multipart_parts_are_the_same_when_json_is_offered_too(api: ModuleType) -> None:
    rec = Recorder()
    client = _client(api, rec)
    body = {"file": b"\x00\x01", "tags": ["a", "b"], "meta": {"k": 1}, "n": 3}
    client.multipart_only(body=body)
    assert _parts(rec.last) == MIXED_PARTS
    client.json_or_multipart(body=body)
    assert _parts(rec.last) == MIXED_PARTS
    # Without files the same body goes out as JSON.
    client.json_or_multipart(body={"tags": ["a"], "meta": {"k": 1}})
    assert rec.last.headers["content-type"] == "application/json"
    assert rec.last.content == b'{"tags":["a"],"meta":{"k":1}}'


def test_bytes_in_a_form_body_are_sent_as_their_octets(api: ModuleType) -> None:
    rec = Recorder()
    _client(api, rec).form_or_multipart(body={"file": b"b\xffn", "n": 1})
    assert rec.last.headers["content-type"] == FORM
    assert rec.last.content == b"file=b%FFn&n=1"


def test_a_file_object_in_a_form_body_is_refused_before_sending(api: ModuleType) -> None:
    import io

    rec = Recorder()
    with pytest.raises(TypeError, match="body field 'file' is a file, which a form cannot carry"):
        _client(api, rec).form_or_multipart(body={"file": io.BytesIO(b"x")})
    assert rec.requests == []
    _client(api, rec).form_or_multipart(body={"file": io.BytesIO(b"x")}, content_type=MULTIPART)
    assert 'filename="file"\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n' in _parts(
        rec.last
    )
