"""Request bodies of any OpenAPI document: each media type has one encoder, whatever else the
operation offers, and the `encoding` object of form and multipart bodies is followed.

One small spec is generated once; each test calls the generated client and checks the exact
bytes it sends (captured by httpx.MockTransport).
"""

from __future__ import annotations

import importlib
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


FORM_FIELDS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "metadata": {"type": "object"},
        "csv": {"type": "array", "items": {"type": "string"}},
        "space": {"type": "array", "items": {"type": "string"}},
        "pipe": {"type": "array", "items": {"type": "integer"}},
        "plain": {"type": "object"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "doc": {"type": "object"},
        'we"ird': {"type": "array", "items": {"type": "string"}},
    },
}
FORM_ENCODING: dict[str, Any] = {
    "metadata": {"style": "deepObject", "explode": True},
    "csv": {"style": "form", "explode": False},
    "space": {"style": "spaceDelimited", "explode": False},
    "pipe": {"style": "pipeDelimited", "explode": False},
    "doc": {"contentType": "application/json"},
    'we"ird': {"explode": False},
}
PHOTO_FIELDS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "photo": {"type": "string", "format": "binary"},
        "meta": {"type": "object"},
        "caption": {"type": "string"},
        "ids": {"type": "array", "items": {"type": "integer"}},
    },
}
PHOTO_ENCODING: dict[str, Any] = {
    "photo": {
        "contentType": "image/png, image/jpeg",
        "headers": {
            "X-Kind": {"$ref": "#/components/headers/Kind"},
            "X-Free": {"schema": {"type": "string"}},  # no value to send
            "Content-Type": {"schema": {"type": "string", "default": "text/html"}},
        },
    },
    "meta": {"contentType": "application/json"},
    "caption": {"contentType": "text/plain; charset=utf-8"},
    "ids": {"contentType": "application/json"},
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
        "/mixed": _post("mixedOnly", {"multipart/mixed": {"schema": MIXED_FIELDS}}),
        "/json-or-mixed": _post(
            "jsonOrMixed",
            {
                "application/json": {"schema": MIXED_FIELDS},
                "multipart/mixed": {"schema": MIXED_FIELDS},
            },
        ),
        "/styled-form": _post(
            "styledForm", {FORM: {"schema": FORM_FIELDS, "encoding": FORM_ENCODING}}
        ),
        "/photos": _post(
            "uploadPhoto", {MULTIPART: {"schema": PHOTO_FIELDS, "encoding": PHOTO_ENCODING}}
        ),
    },
    "components": {
        "headers": {"Kind": {"schema": {"type": "string", "enum": ["thumb"]}}},
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
    # A list of file parts is a body holding files too.
    client.json_or_multipart(body={"file": [("a.txt", b"A", "text/plain")]})
    assert _parts(rec.last) == (
        '--B\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        "Content-Type: text/plain\r\n\r\nA\r\n--B--\r\n"
    )
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


def test_another_multipart_type_is_sent_as_itself(api: ModuleType) -> None:
    rec = Recorder()
    client = _client(api, rec)
    body = {"file": b"\x00\x01", "tags": ["a", "b"], "meta": {"k": 1}, "n": 3}
    client.mixed_only(body=body)
    assert _parts(rec.last, "multipart/mixed") == MIXED_PARTS
    client.json_or_mixed(body=body, content_type="multipart/mixed")
    assert _parts(rec.last, "multipart/mixed") == MIXED_PARTS
    client.json_or_mixed(body={"n": 1})
    assert rec.last.headers["content-type"] == "application/json"


# -- the encoding object ----------------------------------------------------------------------


def test_form_fields_follow_their_encoding_style(api: ModuleType) -> None:
    rec = Recorder()
    _client(api, rec).styled_form(
        body={
            "name": "A B",
            "metadata": {"k": "v w", "n": {"a": {"b": "c"}}},
            "csv": ["x", "y,z"],
            "space": ["p", "q"],
            "pipe": [1, 2],
            "plain": {"p": "1", "q": "2"},
            "tags": ["t1", "t2"],
            "doc": {"d": [1]},
            'we"ird': ["a", "b"],
        }
    )
    assert rec.last.headers["content-type"] == FORM
    assert rec.last.content.decode() == (
        "name=A+B&metadata[k]=v+w&metadata[n][a][b]=c&csv=x,y%2Cz&space=p%20q&pipe=1|2"
        "&p=1&q=2&tags=t1&tags=t2&doc=%7B%22d%22%3A%5B1%5D%7D&we%22ird=a,b"
    )


PHOTO_PARTS = (
    "--B\r\n"
    'Content-Disposition: form-data; name="photo"; filename="photo"\r\n'
    "X-Kind: thumb\r\nContent-Type: image/png\r\n\r\n\x89P\r\n"
    '--B\r\nContent-Disposition: form-data; name="meta"\r\n'
    'Content-Type: application/json\r\n\r\n{"a":1}\r\n'
    '--B\r\nContent-Disposition: form-data; name="caption"\r\n'
    "Content-Type: text/plain; charset=utf-8\r\n\r\nhi\r\n"
    '--B\r\nContent-Disposition: form-data; name="ids"\r\n'
    "Content-Type: application/json\r\n\r\n[1,2]\r\n"
    "--B--\r\n"
)


def test_multipart_parts_follow_their_encoding(api: ModuleType) -> None:
    rec = Recorder()
    _client(api, rec).upload_photo(
        body={"photo": b"\x89P", "meta": {"a": 1}, "caption": "hi", "ids": [1, 2]}
    )
    assert _parts(rec.last) == PHOTO_PARTS


def test_a_file_part_carries_its_filename_and_content_type(api: ModuleType) -> None:
    import io

    rec = Recorder()
    client = _client(api, rec)
    client.upload_photo(body={"photo": ("cat.jpg", io.BytesIO(b"J"), "image/jpeg")})
    expected = (
        "--B\r\n"
        'Content-Disposition: form-data; name="photo"; filename="cat.jpg"\r\n'
        "X-Kind: thumb\r\nContent-Type: image/jpeg\r\n\r\nJ\r\n"
        "--B--\r\n"
    )
    assert _parts(rec.last) == expected
    # The same through the typed model.
    models = importlib.import_module(f"{PACKAGE}.models")
    client.upload_photo(body=models.UploadPhotoBody(photo=("cat.jpg", b"J", "image/jpeg")))
    assert _parts(rec.last) == expected
    with pytest.raises(ValueError, match="content type of file part 'photo' must be one line"):
        client.upload_photo(body={"photo": ("a.png", b"x", "image/png\r\nX-Evil: 1")})
    assert len(rec.requests) == 2


def test_the_file_part_tuple_is_typed_in_the_model(tmp_path: Path) -> None:
    code, err, out = _generate(SPEC, tmp_path, "typed_bodies_api")
    assert code == 0, err
    usage = out / "usage.py"
    usage.write_text(
        "import io\n"
        "from typed_bodies_api import Client\n"
        "from typed_bodies_api.models import UploadPhotoBody\n\n\n"
        "def send(client: Client) -> None:\n"
        '    part = ("cat.jpg", io.BytesIO(b"J"), "image/jpeg")\n'
        "    client.upload_photo(body=UploadPhotoBody(photo=part))\n"
        '    client.upload_photo(body=UploadPhotoBody(photo=("cat.jpg", b"J", 3)))\n',
        encoding="utf-8",
    )
    mypy = ["mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull]
    result = subprocess.run(
        [sys.executable, "-m", *mypy, "usage.py"],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
    )
    # Only the last call, whose content type is not a str, is refused.
    assert result.stdout.count("error:") == 1, result.stdout[-3000:]
    assert 'usage.py:9: error: Argument "photo" to "UploadPhotoBody"' in result.stdout


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "encoding", "message"),
    [
        (
            "/photos",
            {"photo": {"contentType": "image/png\r\nX-Evil: 1"}},
            "#/paths/~1photos/post/requestBody/content/multipart~1form-data/encoding/photo/"
            "contentType: 'image/png\\r\\nX-Evil: 1' is not a media type",
        ),
        (
            "/photos",
            {"photo": {"headers": {"X-A": {"schema": {"type": "string", "const": "a\nb"}}}}},
            "#/paths/~1photos/post/requestBody/content/multipart~1form-data/encoding/photo/"
            "headers/X-A/schema: a header value must be one line of printable ASCII",
        ),
        (
            "/photos",
            {"photo": {"headers": {"X A": {"schema": {"type": "string", "enum": ["a"]}}}}},
            "#/paths/~1photos/post/requestBody/content/multipart~1form-data/encoding/photo/"
            "headers/X A: 'X A' is not a header name",
        ),
        (
            "/styled-form",
            {"csv": {"style": "matrix"}},
            "#/paths/~1styled-form/post/requestBody/content/"
            "application~1x-www-form-urlencoded/encoding/csv/style: style 'matrix' is not "
            "allowed in a form body",
        ),
    ],
)
def test_bad_encodings_are_one_line_errors(
    tmp_path: Path, path: str, encoding: dict[str, Any], message: str
) -> None:
    spec = json.loads(json.dumps(SPEC))
    media = next(iter(spec["paths"][path]["post"]["requestBody"]["content"].values()))
    media["encoding"] = encoding
    code, err, out = _generate(spec, tmp_path, "bad_api")
    assert code == 2
    assert err == f"sdkgen: error: {tmp_path}/spec.json:{message}\n"
    assert not out.exists()
