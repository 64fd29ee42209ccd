"""Every POST, PUT, PATCH and DELETE operation of X API v2 2.167, sent through the generated
client to Prism with a body built from the operation's own request schema.

Prism validates each request against the spec (path, query, headers, body) and names what is
wrong in `sl-violations`; each call must come back 2xx with no violation, and its answer must
read back through the typed model with the spec's types. The three upload operations that
take `multipart/form-data` as well as JSON are sent both ways: raw bytes in a multipart part,
and base64 text in a JSON body.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import httpx
import pytest
import twitter_api
from openapi_python_client.strings import snake_case
from twitter_api._models import dump

from tests.integration.prism_support import (
    SAMPLE_TIME,
    SPEC,
    SPEC_PATH,
    Recorder,
    SpecOperation,
    assert_typed,
    auth_for,
    request_violations,
    resolve,
    sample_for_pattern,
    sample_value,
    spec_operations,
)

WRITE_OPERATIONS = spec_operations(["post", "put", "patch", "delete"])
MULTIPART = "multipart/form-data"
# A few bytes that are not text, so a part decoded or re-encoded on the way is caught.
MEDIA_BYTES = bytes(range(256)) * 3


def test_spec_has_the_74_write_operations() -> None:
    # Guards against an empty parametrisation silently passing when ../shared is missing.
    assert SPEC_PATH.is_file(), f"spec snapshot missing: {SPEC_PATH}"
    assert SPEC["info"]["version"] == "2.167"
    assert len(WRITE_OPERATIONS) == 74
    methods = sorted({op.method for op in WRITE_OPERATIONS})
    assert methods == ["DELETE", "POST", "PUT"]  # 2.167 has no PATCH
    assert sorted(op.operation_id for op in WRITE_OPERATIONS if MULTIPART in op.body) == [
        "appendMediaUpload",
        "chatMediaUploadAppend",
        "mediaUpload",
    ]


# --- bodies built from the request schema -----------------------------------------------------


def _is_media(schema: Mapping[str, Any]) -> bool:
    """The `binary`-or-`byte` string of an upload: file content."""
    formats = {resolve(s).get("format") for s in schema.get("anyOf", schema.get("oneOf", []))}
    return schema.get("format") in ("binary", "byte") or bool(formats & {"binary", "byte"})


def sample_body(schema: Mapping[str, Any], *, multipart: bool, where: str = "body") -> Any:
    """A value valid for `schema`: required properties only, the spec's examples for leaves,
    the first enum member, and values that meet patterns, formats and bounds."""
    schema = resolve(schema)
    if _is_media(schema):
        # Bytes become a multipart file part; a JSON body carries them base64-encoded.
        return MEDIA_BYTES if multipart else base64.b64encode(MEDIA_BYTES).decode()
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(sample_body(part, multipart=multipart, where=where))
        return merged
    variants = schema.get("oneOf") or schema.get("anyOf")
    required = list(schema.get("required", []))
    if variants and "properties" in schema:
        # Alternatives that only require one property or another: meet the first.
        required += [n for n in resolve(variants[0]).get("required", []) if n not in required]
    elif variants:
        return sample_body(variants[0], multipart=multipart, where=where)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        body = {
            name: sample_body(properties[name], multipart=multipart, where=f"{where}.{name}")
            for name in required
        }
        assert len(body) >= int(schema.get("minProperties", 0)), where
        return body
    if kind == "array":
        items = resolve(schema.get("items", {}))
        count = max(int(schema.get("minItems", 1)), 1)
        if "enum" in items:
            return list(dict.fromkeys(items["enum"]))[:count]
        one = sample_body(items, multipart=multipart, where=f"{where}[]")
        if count > 1 and schema.get("uniqueItems"):
            raise AssertionError(f"{where}: {count} distinct items needed")
        return [one] * count
    if "example" in schema and not isinstance(schema["example"], dict | list):
        return schema["example"]
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
        return int(min(max(low, 1), schema.get("maximum", low)))
    if kind == "string":
        return _sample_string(schema, where)
    raise AssertionError(f"{where}: no sample for schema {dict(schema)!r}")


def _sample_string(schema: Mapping[str, Any], where: str) -> Any:
    if "pattern" in schema:
        return sample_for_pattern(schema["pattern"])
    fmt = schema.get("format")
    if fmt == "date-time":
        return SAMPLE_TIME  # the client's own date-time serialisation is what Prism checks
    if fmt == "uri":
        return "https://example.com/hooks/x"
    if fmt is not None:
        raise AssertionError(f"{where}: no sample for string format {fmt!r}")
    low, high = int(schema.get("minLength", 1)), int(schema.get("maxLength", 64))
    return ("sample-" * 10)[: max(low, min(8, high))]


# --- one call per operation -------------------------------------------------------------------


@dataclass(frozen=True)
class WriteCall:
    op: SpecOperation
    media_type: str | None  # the request body's media type, None without a body
    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    @property
    def id(self) -> str:
        suffix = "-multipart" if self.media_type == MULTIPART else ""
        return self.op.operation_id + suffix


def build_write_call(op: SpecOperation, media_type: str | None) -> WriteCall:
    args = tuple(sample_value(p.schema, p.example) for p in op.path_params)
    kwargs: dict[str, Any] = {}
    for p in op.query_params:
        if p.required:
            kwargs[snake_case(p.name)] = sample_value(p.schema, p.example)
    if media_type is not None:
        kwargs["body"] = sample_body(
            op.body[media_type], multipart=media_type == MULTIPART, where=op.operation_id
        )
    return WriteCall(op, media_type, args, kwargs)


def _calls() -> list[WriteCall]:
    calls: list[WriteCall] = []
    for op in WRITE_OPERATIONS:
        if not op.body:
            calls.append(build_write_call(op, None))
        for media_type in op.body:
            calls.append(build_write_call(op, media_type))
    return calls


CALLS = _calls()


def _multipart_fields(request: httpx.Request) -> dict[str, bytes]:
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    # A multipart body is streamed; its parts are in memory, so it can be read again.
    message = BytesParser(policy=HTTP).parsebytes(head + request.read())
    fields: dict[str, bytes] = {}
    for part in message.iter_parts():
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(name, str) and isinstance(payload, bytes)
        fields[name] = payload
    return fields


def _wire_text(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, bool):
        return b"true" if value else b"false"
    return str(value).encode()


def assert_accepted(response: httpx.Response, call: WriteCall) -> None:
    """Prism answered 2xx, found nothing wrong, and saw the body that was built."""
    violations = request_violations(response)
    assert 200 <= response.status_code < 300, (response.status_code, violations)
    assert violations == []
    request = response.request
    assert request.method == call.op.method
    assert request.headers["Authorization"] == "Bearer test-token"
    body = call.kwargs.get("body")
    if call.media_type is None:
        assert request.content == b""
    elif call.media_type == MULTIPART:
        assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
        assert _multipart_fields(request) == {k: _wire_text(v) for k, v in body.items()}
    else:
        assert request.headers["content-type"] == "application/json"
        assert json.loads(request.content) == dump(body)


def assert_result(result: Any, method: Any, response: httpx.Response, op: SpecOperation) -> None:
    assert response.content, "every write operation of 2.167 answers with a JSON body"
    assert_typed(result, method, json.loads(response.content), op.response_schema)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def http(recorder: Recorder) -> Iterator[httpx.Client]:
    with httpx.Client(event_hooks={"response": [recorder]}) as client:
        yield client


@pytest.mark.parametrize("call", CALLS, ids=[c.id for c in CALLS])
def test_write_operation(
    call: WriteCall, prism_url: str, http: httpx.Client, recorder: Recorder
) -> None:
    client = twitter_api.Client(
        auth=auth_for(call.op), base_url=prism_url, http_client=http, max_retries=0
    )
    method = getattr(client, call.op.python_name)

    result = method(*call.args, **call.kwargs)

    response = recorder.only()
    assert_accepted(response, call)
    assert_result(result, method, response, call.op)


def test_async_client_sends_every_write_operation(prism_url: str) -> None:
    """The same calls through AsyncClient, concurrently, on one connection pool."""

    async def main() -> list[tuple[WriteCall, Any, Any, httpx.Response]]:
        async with httpx.AsyncClient() as http:

            async def one(call: WriteCall) -> tuple[WriteCall, Any, Any, httpx.Response]:
                client = twitter_api.AsyncClient(
                    auth=auth_for(call.op), base_url=prism_url, http_client=http, max_retries=0
                )
                method = getattr(client, call.op.python_name)
                raw = await client.with_raw_response(method, *call.args, **call.kwargs)
                return call, raw.parse(), method, raw.http_response

            return list(await asyncio.gather(*(one(call) for call in CALLS)))

    results = asyncio.run(main())
    assert len(results) == len(CALLS) == 77
    for call, result, method, response in results:
        assert_accepted(response, call)
        assert_result(result, method, response, call.op)


def test_sample_bodies_meet_the_schema_constraints() -> None:
    by_id = {c.id: c for c in CALLS}
    upload = by_id["mediaUpload-multipart"].kwargs["body"]
    assert upload == {"media": MEDIA_BYTES, "media_category": "tweet_image"}
    assert base64.b64decode(by_id["mediaUpload"].kwargs["body"]["media"]) == MEDIA_BYTES
    # A pattern with a lookahead ("must contain a URL") is met, and an anyOf of required sets.
    note = by_id["createCommunityNotes"].kwargs["body"]["info"]
    assert re.fullmatch(r"[\s\S]*https?://\S+[\s\S]*", note["text"])
    assert by_id["createDirectMessagesByParticipantId"].kwargs["body"] == {"text": "sample-s"}


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("createLists", {}),  # `name` is required
        ("createComplianceJobs", {"type": "not-a-type"}),  # not one of the enum
        ("appendMediaUpload-multipart", {"media": MEDIA_BYTES}),  # no segment_index part
    ],
)
def test_prism_rejects_an_invalid_body(
    operation: str, body: dict[str, Any], prism_url: str, http: httpx.Client, recorder: Recorder
) -> None:
    # The control for the tests above: Prism does validate bodies, JSON and multipart.
    call = {c.id: c for c in CALLS}[operation]
    client = twitter_api.Client(
        auth=auth_for(call.op), base_url=prism_url, http_client=http, max_retries=0
    )
    with pytest.raises(twitter_api.APIStatusError) as info:
        getattr(client, call.op.python_name)(*call.args, body=body)
    assert info.value.status_code in (400, 422)
    violations = request_violations(recorder.only())
    assert violations and all(v["location"][:2] == ["request", "body"] for v in violations)
