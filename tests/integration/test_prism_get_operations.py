"""Every GET operation of X API v2 2.167, called through the generated client against Prism.

Arguments are derived from the raw spec (not from the generated code), so a request Prism
rejects (422/400/401) points at the client's serialisation, and a 200 body that does not parse
points at the generated models.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import re
import string
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import twitter_api
import twitter_api.auth
import twitter_api.models
from openapi_python_client.strings import snake_case
from twitter_api._models import Model

HERE = Path(__file__).resolve().parent
SPEC_PATH = HERE.parent.parent.parent / "shared" / "spec" / "x-api-v2-2.167.json"
SAMPLE_TIME = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)


# --- the operations, read from the raw spec -------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    location: str  # "path" | "query"
    required: bool
    schema: Mapping[str, Any]
    example: Any
    comma_joined: bool  # style form (the default for query) with explode false


@dataclass(frozen=True)
class GetOperation:
    operation_id: str
    path: str
    params: tuple[Param, ...]
    security: tuple[Mapping[str, list[str]], ...] | None
    streaming: bool
    binary: bool
    response_ref: str | None  # component schema name of the 2xx JSON body, when it is a $ref

    @property
    def path_params(self) -> list[Param]:
        # The URL template order, which is also the spec's order for every 2.167 operation.
        order = re.findall(r"{([^}]+)}", self.path)
        by_name = {p.name: p for p in self.params if p.location == "path"}
        return [by_name[name] for name in order]

    @property
    def query_params(self) -> list[Param]:
        return [p for p in self.params if p.location == "query"]


def _load_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return spec


def _resolve(spec: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _get_operations(spec: Mapping[str, Any]) -> list[GetOperation]:
    ops: list[GetOperation] = []
    for path, item in spec["paths"].items():
        op = item.get("get")
        if op is None:
            continue
        params: list[Param] = []
        for raw in [*item.get("parameters", []), *op.get("parameters", [])]:
            p = _resolve(spec, raw)
            if p["in"] not in ("path", "query"):
                raise AssertionError(f"{op['operationId']}: unexpected parameter in {p['in']}")
            params.append(
                Param(
                    name=p["name"],
                    location=p["in"],
                    required=bool(p.get("required", False)),
                    schema=_resolve(spec, p.get("schema", {})),
                    example=p.get("example"),
                    comma_joined=p.get("style", "form") == "form" and p.get("explode") is False,
                )
            )
        ok = next(code for code in op["responses"] if code.startswith("2"))
        content = _resolve(spec, op["responses"][ok]).get("content", {})
        json_ref = content.get("application/json", {}).get("schema", {}).get("$ref")
        security = op.get("security", spec.get("security"))
        ops.append(
            GetOperation(
                operation_id=op["operationId"],
                path=path,
                params=tuple(params),
                security=None if security is None else tuple(security),
                streaming=bool(op.get("x-twitter-streaming", False)),
                binary="application/octet-stream" in content,
                response_ref=None if json_ref is None else json_ref.rpartition("/")[2],
            )
        )
    return ops


# --- values that satisfy a parameter schema --------------------------------------------------


def _class_chars(items: list[tuple[Any, Any]]) -> list[str]:
    """Characters a `[...]` class admits (only the constructs the spec's patterns use)."""
    chars: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            chars.append(chr(arg))
        elif name == "RANGE":
            chars.extend(chr(c) for c in range(arg[0], arg[1] + 1))
        elif name == "CATEGORY" and str(arg) == "CATEGORY_DIGIT":
            chars.extend(string.digits)
        elif name == "CATEGORY" and str(arg) == "CATEGORY_WORD":
            chars.extend(string.ascii_letters + string.digits + "_")
        else:
            raise AssertionError(f"unsupported regex class item {name} {arg!r}")
    return chars


def _sample_regex(parsed: Any) -> str:
    out: list[str] = []
    for op, arg in parsed:
        name = str(op)
        if name == "AT":
            continue  # ^ and $ anchors
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "IN":
            chars = _class_chars(list(arg))
            out.append(chars[1 % len(chars)])
        elif name in ("MAX_REPEAT", "MIN_REPEAT"):
            low, _high, sub = arg
            count = max(low, 1)
            pieces = [_sample_regex(sub) for _ in range(count)]
            if len(sub) == 1 and str(sub[0][0]) == "IN":
                # Cycle through the class so repeated ids look like ids ("1234...") not "1111".
                chars = _class_chars(list(sub[0][1]))
                pieces = [chars[(i + 1) % len(chars)] for i in range(count)]
            out.append("".join(pieces))
        elif name == "SUBPATTERN":
            out.append(_sample_regex(arg[-1]))
        elif name == "BRANCH":
            out.append(_sample_regex(arg[1][0]))
        else:
            raise AssertionError(f"unsupported regex construct {name} {arg!r}")
    return "".join(out)


def sample_for_pattern(pattern: str) -> str:
    # The stdlib's own regex parser (private, hence imported by name); the spec's patterns are tiny.
    parser = importlib.import_module("re._parser")
    value = _sample_regex(parser.parse(pattern))
    assert re.fullmatch(pattern.removeprefix("^").removesuffix("$"), value), (pattern, value)
    return value


def sample_value(schema: Mapping[str, Any], example: Any = None, *, full: bool = False) -> Any:
    """A value valid for `schema`; `full` picks every enum member of an array (longer lists)."""
    if example is not None:
        return example
    schema = _resolve(SPEC, schema)
    if "example" in schema:
        return schema["example"]
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items", {})
        if "enum" in items:
            members = list(dict.fromkeys(items["enum"]))  # the spec repeats some members
            return members if full else members[:1]
        return [sample_value(items)] * max(int(schema.get("minItems", 1)), 1)
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "boolean":
        return True
    if kind == "integer":
        if "minimum" in schema:
            return int(schema["minimum"])
        return int(schema.get("maximum", 1))
    if kind == "string":
        if "pattern" in schema:
            return sample_for_pattern(schema["pattern"])
        if schema.get("format") == "date-time":
            # A datetime, so the client's own date-time serialisation is what Prism checks.
            return SAMPLE_TIME
        length = max(int(schema.get("minLength", 1)), 8)
        length = min(length, int(schema.get("maxLength", length)))
        return ("token" * length)[:length]
    raise AssertionError(f"no sample for schema {dict(schema)!r}")


SPEC = _load_spec() if SPEC_PATH.is_file() else {"paths": {}}
GET_OPERATIONS = _get_operations(SPEC)
OPERATION_IDS = [op.operation_id for op in GET_OPERATIONS]


def test_spec_snapshot_is_present_and_has_all_get_operations() -> None:
    # Guards against an empty parametrisation silently passing when ../shared is missing.
    assert SPEC_PATH.is_file(), f"spec snapshot missing: {SPEC_PATH}"
    assert SPEC["info"]["version"] == "2.167"
    assert len(GET_OPERATIONS) == 97


# --- calling the generated client ------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    args: tuple[Any, ...]  # path parameters, URL template order
    kwargs: dict[str, Any]  # query parameters by their Python names
    wire_path: str  # the path Prism must see
    wire_query: dict[str, str]  # wire name -> the exact query value Prism must see


def _wire_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, list):
        return ",".join(_wire_text(v) for v in value)
    return str(value)


def build_call(op: GetOperation, *, all_params: bool) -> Call:
    """Arguments for `op`: required parameters, or every parameter when `all_params`."""
    args: list[Any] = []
    wire_path = op.path
    for p in op.path_params:
        value = sample_value(p.schema, p.example)
        args.append(value)
        wire_path = wire_path.replace("{" + p.name + "}", _wire_text(value))
    kwargs: dict[str, Any] = {}
    wire_query: dict[str, str] = {}
    for p in op.query_params:
        if p.required or all_params:
            value = sample_value(p.schema, p.example, full=all_params)
            # Every array query parameter of 2.167 is one comma-joined list on the wire.
            assert not isinstance(value, list) or p.comma_joined, (op.operation_id, p.name)
            kwargs[snake_case(p.name)] = value
            wire_query[p.name] = _wire_text(value)
    return Call(tuple(args), kwargs, wire_path, wire_query)


def auth_for(op: GetOperation) -> httpx.Auth:
    """App-only bearer where the operation accepts it, else a user-context OAuth2 token.

    The client refuses, before sending, an operation whose spec security does not accept the
    configured scheme, so user-context-only operations cannot be called with a BearerToken.
    """
    accepted: dict[str, list[str]] = {}
    for requirement in op.security or ():
        accepted.update(requirement)
    if not accepted or "BearerToken" in accepted:
        return twitter_api.auth.BearerToken("test-token")
    if "OAuth2UserToken" in accepted:
        return twitter_api.auth.OAuth2UserToken(
            "test-token", scopes=list(accepted["OAuth2UserToken"])
        )
    raise AssertionError(f"{op.operation_id}: no test auth for {sorted(accepted)}")


class Recorder:
    """An httpx response hook: keeps every response the client received from Prism."""

    def __init__(self) -> None:
        self.responses: list[httpx.Response] = []

    def __call__(self, response: httpx.Response) -> None:
        self.responses.append(response)

    def only(self) -> httpx.Response:
        assert len(self.responses) == 1, [str(r.request.url) for r in self.responses]
        return self.responses[0]


def assert_request_accepted(response: httpx.Response, call: Call) -> None:
    """Prism answered 200 and found nothing wrong with the request the client built."""
    violations = json.loads(response.headers.get("sl-violations", "[]"))
    request_violations = [v for v in violations if v["location"][:1] == ["request"]]
    assert response.status_code == 200, (response.status_code, request_violations)
    assert request_violations == []
    assert response.request.headers["Authorization"] == "Bearer test-token"
    url = response.request.url
    assert url.path == call.wire_path
    sent = {key: url.params.get_list(key) for key in url.params}
    assert sent == {key: [value] for key, value in call.wire_query.items()}


def declared_classes(name: str) -> tuple[type, ...]:
    """The model classes a generated type name stands for (a oneOf alias names several)."""
    value = getattr(twitter_api.models, name)
    if isinstance(value, str):  # a union TypeAlias, kept as a string at run time
        return tuple(cls for part in value.split("|") for cls in declared_classes(part.strip()))
    if args := typing.get_args(value):
        return tuple(cls for arg in args for cls in declared_classes(arg.__name__))
    assert isinstance(value, type), (name, value)
    return (value,)


def assert_typed(result: Any, method: Any, raw: Any, *, item_of_stream: bool = False) -> None:
    """`result` is the type the method declares, validates, and holds the whole body."""
    declared = str(inspect.signature(method).return_annotation)
    if item_of_stream:
        declared = declared.removeprefix("Stream[").removesuffix("]")
    if declared == "dict[str, Any]":
        # A free-form `type: object` response (getOpenApiSpec) has no model to parse into.
        assert type(result) is dict
        assert result == raw
        return
    assert isinstance(result, Model), type(result)
    assert isinstance(result, declared_classes(declared)), (type(result), declared)
    assert result.validate() is result
    # The typed view covers the whole body, unknown fields included.
    assert result.to_dict() == raw


NON_STREAMING = [op for op in GET_OPERATIONS if not op.streaming]
STREAMING = [op for op in GET_OPERATIONS if op.streaming]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make_client(prism_url: str, recorder: Recorder) -> Iterator[Any]:
    http = httpx.Client(event_hooks={"response": [recorder]})

    def make(op: GetOperation) -> Any:
        # max_retries=0: exactly one request per call, so the recorder sees that one.
        return twitter_api.Client(
            auth=auth_for(op), base_url=prism_url, http_client=http, max_retries=0
        )

    yield make
    http.close()


@pytest.mark.parametrize("all_params", [False, True], ids=["required", "all-params"])
@pytest.mark.parametrize("op", NON_STREAMING, ids=[op.operation_id for op in NON_STREAMING])
def test_get_operation(
    op: GetOperation, all_params: bool, make_client: Any, recorder: Recorder
) -> None:
    call = build_call(op, all_params=all_params)
    method = getattr(make_client(op), snake_case(op.operation_id))

    result = method(*call.args, **call.kwargs)

    response = recorder.only()
    assert_request_accepted(response, call)
    if op.binary:
        assert isinstance(result, bytes)
        assert result == response.content and result
    else:
        assert_typed(result, method, json.loads(response.content))


@pytest.mark.parametrize("all_params", [False, True], ids=["required", "all-params"])
@pytest.mark.parametrize("op", STREAMING, ids=[op.operation_id for op in STREAMING])
def test_streaming_get_operation(
    op: GetOperation, all_params: bool, make_client: Any, recorder: Recorder
) -> None:
    call = build_call(op, all_params=all_params)
    method = getattr(make_client(op), snake_case(op.operation_id))

    with method(*call.args, **call.kwargs) as stream:
        first = next(iter(stream))

    response = recorder.only()
    assert_request_accepted(response, call)
    # Prism's static example is deterministic: fetch the same document again to compare.
    again = httpx.get(response.request.url, headers={"Authorization": "Bearer test-token"})
    assert_typed(first, method, json.loads(again.content), item_of_stream=True)


def test_async_client_calls_every_get_operation(prism_url: str) -> None:
    """The same calls through AsyncClient, concurrently, on one connection pool."""

    async def main() -> list[tuple[GetOperation, Any, Any, httpx.Response]]:
        recorder = Recorder()
        async with httpx.AsyncClient(event_hooks={"response": [_async(recorder)]}) as http:

            async def one(op: GetOperation) -> tuple[GetOperation, Any, Any, httpx.Response]:
                client = twitter_api.AsyncClient(
                    auth=auth_for(op), base_url=prism_url, http_client=http, max_retries=0
                )
                method = getattr(client, snake_case(op.operation_id))
                call = build_call(op, all_params=True)
                raw = await client.with_raw_response(method, *call.args, **call.kwargs)
                assert_request_accepted(raw.http_response, call)
                return op, raw.parse(), method, raw.http_response

            return list(await asyncio.gather(*(one(op) for op in NON_STREAMING)))

    results = asyncio.run(main())
    assert len(results) == len(NON_STREAMING) > 80
    for op, result, method, response in results:
        if op.binary:
            assert result == response.content and result
        else:
            assert_typed(result, method, json.loads(response.content))


def _async(hook: Recorder) -> Any:
    async def call(response: httpx.Response) -> None:
        hook(response)

    return call
