"""What the Prism tests share: the raw spec's operations, values valid for a schema, the auth
an operation accepts, and a check that a parsed result holds the body in typed form.

Everything is derived from the raw spec, not from the generated code, so a request Prism
rejects points at the client's serialisation, and a body that does not read back with the
spec's types points at the generated models.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import string
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import twitter_api
import twitter_api.auth
import twitter_api.models
from openapi_python_client.strings import snake_case
from twitter_api._models import Model

HERE = Path(__file__).resolve().parent
SPEC_PATH = HERE.parent.parent.parent / "shared" / "spec" / "x-api-v2-2.167.json"
SAMPLE_TIME = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)


def _load_spec() -> dict[str, Any]:
    if not SPEC_PATH.is_file():
        return {"paths": {}}
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return spec


SPEC = _load_spec()


def resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


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
class SpecOperation:
    method: str
    operation_id: str
    path: str
    params: tuple[Param, ...]
    security: tuple[Mapping[str, list[str]], ...] | None
    streaming: bool
    binary: bool
    response_ref: str | None  # component schema name of the 2xx JSON body, when it is a $ref
    response_schema: Mapping[str, Any] | None  # the 2xx JSON body's schema
    body: Mapping[str, Mapping[str, Any]]  # request media type -> schema

    @property
    def path_params(self) -> list[Param]:
        # The URL template order, which is also the spec's order for every 2.167 operation.
        order = re.findall(r"{([^}]+)}", self.path)
        by_name = {p.name: p for p in self.params if p.location == "path"}
        return [by_name[name] for name in order]

    @property
    def query_params(self) -> list[Param]:
        return [p for p in self.params if p.location == "query"]

    @property
    def python_name(self) -> str:
        return snake_case(self.operation_id)


def spec_operations(methods: Sequence[str]) -> list[SpecOperation]:
    ops: list[SpecOperation] = []
    for path, item in SPEC["paths"].items():
        for method in methods:
            op = item.get(method)
            if op is not None:
                ops.append(_operation(method, path, item, op))
    return ops


def _operation(
    method: str, path: str, item: Mapping[str, Any], op: Mapping[str, Any]
) -> SpecOperation:
    params: list[Param] = []
    for raw in [*item.get("parameters", []), *op.get("parameters", [])]:
        p = resolve(raw)
        if p["in"] not in ("path", "query"):
            raise AssertionError(f"{op['operationId']}: unexpected parameter in {p['in']}")
        params.append(
            Param(
                name=p["name"],
                location=p["in"],
                required=bool(p.get("required", False)),
                schema=resolve(p.get("schema", {})),
                example=p.get("example"),
                comma_joined=p.get("style", "form") == "form" and p.get("explode") is False,
            )
        )
    ok = next(code for code in op["responses"] if code.startswith("2"))
    content = resolve(op["responses"][ok]).get("content", {})
    json_schema = content.get("application/json", {}).get("schema")
    json_ref = (json_schema or {}).get("$ref")
    security = op.get("security", SPEC.get("security"))
    request = resolve(op.get("requestBody", {})).get("content", {})
    return SpecOperation(
        method=method.upper(),
        operation_id=op["operationId"],
        path=path,
        params=tuple(params),
        security=None if security is None else tuple(security),
        streaming=bool(op.get("x-twitter-streaming", False)),
        binary="application/octet-stream" in content,
        response_ref=None if json_ref is None else json_ref.rpartition("/")[2],
        response_schema=json_schema,
        body={media: entry.get("schema", {}) for media, entry in request.items()},
    )


# --- values that satisfy a schema -------------------------------------------------------------


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
        elif name == "CATEGORY" and str(arg) == "CATEGORY_SPACE":
            chars.append(" ")
        elif name == "CATEGORY" and str(arg) == "CATEGORY_NOT_SPACE":
            chars.extend(string.ascii_letters + string.digits)
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
        elif name == "ASSERT" and arg[0] == 1:
            # A lookahead "must contain X": write X here; what follows still matches after it.
            out.append(_sample_regex(arg[1]))
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
    """A value valid for a parameter's `schema`; `full` picks every enum member of an array."""
    if example is not None:
        return example
    schema = resolve(schema)
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


# --- auth and the responses Prism sent --------------------------------------------------------


def auth_for(op: SpecOperation) -> httpx.Auth:
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


def request_violations(response: httpx.Response) -> list[Any]:
    """What Prism found wrong with the request (it answers anyway with --errors=false)."""
    violations = json.loads(response.headers.get("sl-violations", "[]"))
    return [v for v in violations if v["location"][:1] == ["request"]]


# --- the parsed result holds the body, typed as the spec says --------------------------------


def declared_classes(name: str) -> tuple[type, ...]:
    """The model classes a generated type name stands for (a oneOf alias names several)."""
    value = getattr(twitter_api.models, name)
    if isinstance(value, str):  # a union TypeAlias, kept as a string at run time
        return tuple(cls for part in value.split("|") for cls in declared_classes(part.strip()))
    if args := typing.get_args(value):
        return tuple(cls for arg in args for cls in declared_classes(arg.__name__))
    assert isinstance(value, type), (name, value)
    return (value,)


def assert_typed(
    result: Any,
    method: Any,
    raw: Any,
    schema: Mapping[str, Any] | None,
    *,
    item_of_stream: bool = False,
) -> None:
    """`result` is the type the method declares, validates, and reads back every field of
    the body with the type the spec's `schema` gives it (datetimes, nested models, lists)."""
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
    assert schema is not None
    read = assert_reads_back(result, raw, schema, "body")
    assert read > 0 or raw == {}, "nothing of the body was read through the typed model"


def _properties(schema: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Declared properties of an object schema, `allOf` parts merged."""
    schema = resolve(schema)
    found: dict[str, Mapping[str, Any]] = {}
    for part in schema.get("allOf", []):
        found.update(_properties(part))
    found.update(schema.get("properties", {}))
    return found


def _variants(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [resolve(s) for s in [*schema.get("oneOf", []), *schema.get("anyOf", [])]]


def assert_reads_back(value: Any, raw: Any, schema: Mapping[str, Any], where: str) -> int:
    """Read `value` as a user would (attributes, items) and compare each leaf with `raw`,
    typed by `schema`; the number of leaves read."""
    schema = resolve(schema)
    if raw is None:
        assert value is None, where
        return 1
    variants = _variants(schema)
    if variants and not schema.get("properties") and not schema.get("allOf"):
        problems: list[str] = []
        for variant in variants:
            try:
                return assert_reads_back(value, raw, variant, where)
            except AssertionError as exc:
                problems.append(str(exc))
        raise AssertionError(f"{where}: no variant reads back: {problems}")
    properties = _properties(schema)
    if properties:
        assert isinstance(value, Model), (where, type(value))
        names = {f.wire: f.name for f in type(value)._fields}
        leaves = 0
        for wire, sub in properties.items():
            if wire in raw:
                assert wire in names, f"{where}.{wire}: no attribute for a declared field"
                item = getattr(value, names[wire])
                leaves += assert_reads_back(item, raw[wire], sub, f"{where}.{wire}")
        return leaves
    kind = schema.get("type")
    if kind == "array":
        assert isinstance(value, list), (where, type(value))
        assert len(value) == len(raw), where
        items = schema.get("items", {})
        return sum(
            assert_reads_back(v, r, items, f"{where}[{i}]")
            for i, (v, r) in enumerate(zip(value, raw, strict=True))
        )
    if kind == "string" and schema.get("format") == "date-time":
        assert isinstance(value, datetime), (where, value)
        assert value == datetime.fromisoformat(raw), where
        return 1
    expected_type = {"string": str, "integer": int, "number": (int, float), "boolean": bool}
    if kind in expected_type:
        assert isinstance(value, expected_type[kind]), (where, type(value))
    assert value == raw, where
    return 1
