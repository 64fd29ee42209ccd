"""The spec is untrusted: whatever text stands in any of its string slots, the generated
package parses, imports without running any of it, and keeps the values the runtime uses.

A hypothesis test fills every slot of a small spec with arbitrary text mixed with break-out
attempts (each of which would set a sentinel on import if it escaped its context); fixed
cases pin the break-outs from the issue reports.
"""

from __future__ import annotations

import ast
import builtins
import re
import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from generator.model.operations import derived_operation_id
from generator.model.security import is_header_name
from tests.conftest import methods_source
from tests.spec_package import generate, imported, webhook

SENTINEL = "SDKGEN_SENTINEL"
CODE = f"__import__('builtins').__setattr__('{SENTINEL}', 1)"
# Text that runs CODE if pasted raw into a comment, a string literal (either quote), a
# docstring, a TOML string or a template, whichever the slot lands in.
BREAK_OUTS = [
    f"Things\n{CODE}\n#",
    f"Things\r{CODE}\r#",
    f"x\u2028{CODE}\u2029#",
    f"x\x0c\n{CODE}\n#",
    f'"); {CODE}; ("',
    f'"+{CODE}+"',
    f"'+{CODE}+'",
    f'"""\n{CODE}\n"""',
    f"'''\n{CODE}\n'''",
    f'e.g. "photo"\\" + {CODE} #',
    'ends in a quote "',
    'ends in a backslash and a quote \\"',
    "ends in a backslash \\",
    "{{ 7 * 7 }}{% raw %}{#",
    '"\n[evil]\nx = 1\n"',
    "<script>alert(1)</script> [x](http://evil.example) # `code`",
    "\x00nul and \x1b[31m escape",
    "class",
    "self",
    "request",
    "__init__",
    "名前",
]
slot_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(BREAK_OUTS),
    st.tuples(st.text(max_size=8), st.sampled_from(BREAK_OUTS)).map("".join),
)


@dataclass
class Slots:
    title: str = "T"
    version: str = "1"
    info_description: str = "d"
    server_url: str = "https://api.example.test"
    tag: str = "things"
    operation_id: str = "getThing"
    summary: str = "s"
    description: str = "d"
    path_segment: str = "things"
    path_param: str = "id"
    query_param: str = "thing.fields"
    param_description: str = "p"
    param_default: str = "a"
    param_enum: str = "a"
    param_example: str = "a"
    schema_name: str = "Thing"
    property_name: str = "name"
    property_description: str = "n"
    property_default: str = "b"
    property_enum: str = "b"
    scheme_name: str = "OAuth2UserToken"
    scope: str = "thing.read"
    scope_description: str = "read"
    authorize_url: str = "https://api.example.test/authorize"
    token_url: str = "https://api.example.test/token"
    docs_url: str = "https://docs.example.test"
    const_value: str = "c"
    defs_name: str = "Inner"
    webhook_name: str = "thingHappened"
    header_param: str = "X-Thing"
    cookie_param: str = "sid"
    body_json_type: str = "application/vnd.thing+json"
    body_other_type: str = "text/plain"
    http_scheme: str = "basic"
    server_variable: str = "region"
    server_variable_default: str = "eu"
    server_variable_description: str = "r"


SLOT_NAMES = [name for name in Slots.__dataclass_fields__]


def spec_for(s: Slots) -> dict[str, Any]:
    path = f"/{s.path_segment}/{{{s.path_param}}}"
    return {
        "openapi": "3.1.0",
        "info": {"title": s.title, "version": s.version, "description": s.info_description},
        "servers": [
            {
                "url": s.server_url,
                "variables": {
                    s.server_variable: {
                        "default": s.server_variable_default,
                        "description": s.server_variable_description,
                    }
                },
            }
        ],
        "tags": [{"name": s.tag}],
        "paths": {
            path: {
                "get": {
                    "operationId": s.operation_id,
                    "summary": s.summary,
                    "description": s.description,
                    "tags": [s.tag],
                    "externalDocs": {"url": s.docs_url},
                    "security": [{s.scheme_name: [s.scope]}],
                    "parameters": [
                        {
                            "name": s.path_param,
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        {"name": s.header_param, "in": "header", "schema": {"type": "string"}},
                        {"name": s.cookie_param, "in": "cookie", "schema": {"type": "string"}},
                        {
                            "name": s.query_param,
                            "in": "query",
                            "description": s.param_description,
                            "style": "form",
                            "explode": False,
                            "example": [s.param_example],
                            "schema": {
                                "type": "array",
                                "items": {
                                    "type": "string",
                                    "enum": [s.param_enum, "fixed"],
                                    "default": s.param_default,
                                },
                            },
                        },
                    ],
                    "requestBody": {
                        "content": {
                            s.body_json_type: {"schema": {"type": "object"}},
                            s.body_other_type: {"schema": {"type": "string"}},
                        }
                    },
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "$ref": f"#/components/schemas/{_escape(s.schema_name)}"
                                    }
                                }
                            },
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                s.schema_name: {
                    "type": "object",
                    "description": s.description,
                    "properties": {
                        s.property_name: {
                            "type": "string",
                            "description": s.property_description,
                            "default": s.property_default,
                            "enum": [s.property_enum, "fixed"],
                        },
                        "other": {"type": "integer"},
                        "kind": {"const": s.const_value},
                        "inner": {
                            "$ref": f"#/components/schemas/{_escape(s.schema_name)}"
                            f"/$defs/{_escape(s.defs_name)}"
                        },
                    },
                    "$defs": {
                        s.defs_name: {"type": "object", "properties": {"v": {"type": "integer"}}}
                    },
                }
            },
            "securitySchemes": {
                "other": {"type": "http", "scheme": s.http_scheme},
                s.scheme_name: {
                    "type": "oauth2",
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": s.authorize_url,
                            "tokenUrl": s.token_url,
                            "scopes": {s.scope: s.scope_description},
                        }
                    },
                },
            },
        },
        "webhooks": {
            s.webhook_name: webhook({"type": "object", "properties": {"w": {"type": "string"}}})
        },
    }


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _generate(spec: dict[str, Any], root: Path) -> tuple[int, str, Path, str]:
    return generate(spec, root, "untrusted")


def _check_package(slots: Slots, out: Path, package: str) -> None:
    for path in out.rglob("*.py"):
        ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    pyproject = tomllib.loads((out / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["description"] == (
        f"Typed client for the {slots.title} (spec {slots.version})"
    )
    example_config = tomllib.loads((out / "Config.example.toml").read_text(encoding="utf-8"))
    assert example_config[package]["base_url"] == slots.server_url.rstrip("/")
    readme = (out / "README.md").read_text(encoding="utf-8")
    # Spec text in fenced code blocks (TOML examples) is shown, not rendered: it is encoded on
    # one line, so it cannot close the fence. Outside them no markup may form.
    fences = re.findall(r"^```", readme, re.MULTILINE)
    assert len(fences) % 2 == 0
    prose = re.sub(r"^```.*?^```", "", readme, flags=re.MULTILINE | re.DOTALL)
    assert "<script>" not in prose

    assert not hasattr(builtins, SENTINEL)
    with imported(out, package) as modules:
        root = modules[package]
        root.Client(base_url="https://api.example.test").close()
        root.AsyncClient(base_url="https://api.example.test")
        assert not hasattr(builtins, SENTINEL), "importing the package ran spec text"

        info = modules[f"{package}._spec_info"]
        assert slots.title == info.SPEC_TITLE
        assert slots.version == info.SPEC_VERSION
        assert slots.server_url.rstrip("/") == info.DEFAULT_BASE_URL
        assert slots.authorize_url == info.OAUTH2_AUTHORIZE_URL
        assert slots.token_url == info.OAUTH2_TOKEN_URL
        assert dict(info.OAUTH2_SCOPES) == {slots.scope: slots.scope_description}

        (operation,) = modules[f"{package}._operations"].BY_METHOD.values()
        path = f"/{slots.path_segment}/{{{slots.path_param}}}"
        # An empty operationId is no operationId: the name is derived from method and path.
        assert operation.name == (slots.operation_id or derived_operation_id("get", path))
        assert operation.path == f"/{slots.path_segment}/{{{slots.path_param}}}"
        assert operation.security == (((slots.scheme_name, (slots.scope,)),),)
        assert operation.styles == {slots.query_param: "csv"}
        placed = {f"header:{slots.header_param}", f"cookie:{slots.cookie_param}"}
        if slots.header_param.lower() in ("accept", "content-type", "authorization"):
            placed.discard(f"header:{slots.header_param}")
        if not is_header_name(slots.header_param):  # left out: it can never be sent
            placed.discard(f"header:{slots.header_param}")
        assert operation.outside_query == placed
        assert set(operation.content_types) == {slots.body_json_type, slots.body_other_type}
        operations = modules[f"{package}._operations"]
        assert operations.SECURITY_TYPES["other"] == f"http:{slots.http_scheme.lower()}"

        types = modules[f"{package}.types"]
        (alias_name,) = [name for name in types.__all__ if name not in ("Problem", "WebhookEvent")]
        assert set(typing.get_args(getattr(types, alias_name))) == {slots.param_enum, "fixed"}

        models = modules[f"{package}.models"]
        by_wires = {
            frozenset(f.wire for f in vars(m).values() if type(f).__name__ == "Field"): m
            for m in (getattr(models, name) for name in models.__all__)
        }
        # The spec's schema, its $defs entry and the webhook's payload: three classes.
        assert set(by_wires) == {
            frozenset({slots.property_name, "other", "kind", "inner"}),
            frozenset({"v"}),
            frozenset({"w"}),
        }
        model = by_wires[frozenset({slots.property_name, "other", "kind", "inner"})]
        # The wire names are what a response is read by.
        data = {slots.property_name: slots.property_enum, "other": 3, "kind": slots.const_value}
        loaded = model.from_dict({**data, "inner": {"v": 1}})
        assert loaded.validate().to_dict() == {**data, "inner": {"v": 1}}
        assert type(loaded.inner) is by_wires[frozenset({"v"})] and loaded.inner.v == 1
        kind = next(f for f in vars(model).values() if getattr(f, "wire", None) == "kind")
        hint = eval(model.__annotations__[kind.name], vars(modules[model.__module__]))
        (optional,) = typing.get_args(hint)
        (literal,) = [a for a in typing.get_args(optional) if typing.get_origin(a) is Literal]
        assert typing.get_args(literal) == (slots.const_value,)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(slot=st.sampled_from(SLOT_NAMES), text=slot_text, second=st.sampled_from(SLOT_NAMES))
@example(slot="title", text=BREAK_OUTS[0], second="description")
@example(slot="property_enum", text=BREAK_OUTS[4], second="param_enum")
def test_any_text_in_any_slot_generates_an_inert_package(
    tmp_path: Path, slot: str, text: str, second: str
) -> None:
    slots = Slots()
    setattr(slots, slot, text)
    setattr(slots, second, text + "2")
    if slots.property_name in ("other", "kind", "inner"):
        slots.property_name += "_"
    code, err, out, package = _generate(spec_for(slots), tmp_path)
    if code != 0:
        # Refusals are one line that names the spec file and a place in it.
        assert code == 2
        assert err.count("\n") == 1 and err.startswith("sdkgen: error: "), err
        assert "spec" in err and "Traceback" not in err
        assert not out.exists()
        return
    _check_package(slots, out, package)


@pytest.mark.parametrize("text", BREAK_OUTS)
def test_every_slot_holding_a_break_out_at_once(tmp_path: Path, text: str) -> None:
    slots = Slots(**{name: f"{text}{i}" for i, name in enumerate(SLOT_NAMES)})
    # Braces in a server URL name variables, and an undeclared one is refused (see
    # test_openapi_security); here the URL keeps the text without them.
    slots.server_url = slots.server_url.replace("{", "(").replace("}", ")")
    # Text that cannot be a URL, a header name or a cookie name is refused instead (see
    # test_a_url_or_header_name_the_http_library_would_reject_is_refused and the cookie test).
    slots.server_url = slots.server_variable_default = "https://api.example.test"
    slots.header_param = "X-Thing"
    slots.cookie_param = "sid"
    code, err, out, package = _generate(spec_for(slots), tmp_path)
    assert code == 0, err
    _check_package(slots, out, package)


def test_a_description_ending_in_a_quote_reads_as_written(tmp_path: Path) -> None:
    # The second: a backslash before the last quote must not be read as escaping it.
    slots = Slots(property_description='e.g. \\"photo\\"', description='x "y"')
    code, err, out, package = _generate(spec_for(slots), tmp_path)
    assert code == 0, err
    with imported(out, package) as modules:
        model = modules[f"{package}.models"].Thing
        assert model.__doc__ == 'x "y"'


def test_colliding_and_reserved_names_get_stable_distinct_identifiers(tmp_path: Path) -> None:
    spec = spec_for(Slots(operation_id="request"))
    op = spec["paths"]["/things/{id}"]["get"]
    spec["paths"]["/b"] = {"get": {**op, "operationId": "Request", "parameters": []}}
    spec["paths"]["/c"] = {"get": {**op, "operationId": "close", "parameters": []}}
    spec["paths"]["/d"] = {"get": {**op, "operationId": "print", "parameters": []}}
    properties = spec["components"]["schemas"]["Thing"]["properties"]
    properties["a-b"] = {"type": "string"}
    properties["a_b"] = {"type": "string"}
    properties["to_dict"] = {"type": "string"}
    first = _generate(spec, tmp_path)
    second = _generate(spec, tmp_path)
    assert first[0] == 0 and second[0] == 0, first[1]
    client = methods_source(first[2] / first[3])
    again = methods_source(second[2] / second[3])
    assert client.replace(first[3], "") == again.replace(second[3], "")
    methods = {n.name for n in ast.walk(ast.parse(client)) if isinstance(n, ast.FunctionDef)}
    assert {"request_", "request_2", "close_", "print_"} <= methods
    with imported(first[2], first[3]) as modules:
        root = modules[first[3]]
        assert root.Client.request is not root.Client.request_
        model = modules[f"{first[3]}.models"].Thing
        fields = {name: f.wire for name, f in vars(model).items() if type(f).__name__ == "Field"}
        assert fields["a_b"] == "a-b" and fields["a_b_2"] == "a_b"
        assert fields["to_dict_"] == "to_dict"
        assert callable(model.to_dict)


PATH = "/things/{id}"
OP_AT = "#/paths/~1things~1{id}/get"


def _server(spec: dict[str, Any]) -> dict[str, Any]:
    server: dict[str, Any] = spec["servers"][0]
    return server


@pytest.mark.parametrize("bad", ["\n", "\r", "\x00", "\x0c", "\x1c", "\x7f", " ", "\u2028"])
@pytest.mark.parametrize(
    ("place", "where"),
    [
        ("url", "#/servers/0/url"),
        ("default", "#/servers/0/variables/region/default"),
        ("enum", "#/servers/0/variables/region/enum/1"),
        ("path", "#/paths/~1things~1{id}/servers/0/url"),
        ("operation", f"{OP_AT}/servers/0/url"),
    ],
)
def test_a_server_url_the_http_library_would_reject_is_refused(
    tmp_path: Path, bad: str, place: str, where: str
) -> None:
    spec = spec_for(Slots())
    url = f"https://api.example.test/v{bad}2"
    if place == "url":
        _server(spec)["url"] = url
    elif place == "default":
        _server(spec)["variables"]["region"]["default"] = f"e{bad}u"
    elif place == "enum":
        _server(spec)["variables"]["region"]["enum"] = ["eu", f"u{bad}s"]
    elif place == "path":
        spec["paths"][PATH]["servers"] = [{"url": url}]
    else:
        spec["paths"][PATH]["get"]["servers"] = [{"url": url}]
    code, err, out, _ = _generate(spec, tmp_path)
    assert code == 2, err
    assert err.count("\n") == 1 and f".json:{where}: a server URL cannot hold U+" in err, err
    assert not out.exists()


@pytest.mark.parametrize("name", ["X-H\nEvil: 1", "X:H", "X-\x00", "X\x7f", "X\r"])
def test_a_header_parameter_name_that_would_split_a_header_is_refused(
    tmp_path: Path, name: str
) -> None:
    spec = spec_for(Slots(header_param=name))
    code, err, out, _ = _generate(spec, tmp_path)
    assert code == 2, err
    assert err.count("\n") == 1, err
    assert f".json:{OP_AT}/parameters/1/name: " in err and "not a valid header name" in err, err
    assert not out.exists()


@pytest.mark.parametrize("name", ["a;b", "a=b", "a\nb", "a,b", "a\tb"])
def test_a_cookie_parameter_name_that_would_forge_other_cookies_is_refused(
    tmp_path: Path, name: str
) -> None:
    code, err, out, _ = _generate(spec_for(Slots(cookie_param=name)), tmp_path)
    assert code == 2, err
    assert err.count("\n") == 1, err
    assert f".json:{OP_AT}/parameters/2/name: " in err and "not a valid cookie name" in err, err
    assert not out.exists()


@pytest.mark.parametrize("name", ["X H", "Ä", "(x)"])
def test_a_header_parameter_that_can_never_be_sent_is_left_out_with_a_warning(
    tmp_path: Path, name: str
) -> None:
    code, err, out, package = _generate(spec_for(Slots(header_param=name)), tmp_path)
    assert code == 0, err
    assert f".json:{OP_AT}/parameters/1/name: {name!r} is not a valid header name" in err, err
    with imported(out, package) as modules:
        (operation,) = modules[f"{package}._operations"].BY_METHOD.values()
        assert operation.outside_query == {"cookie:sid"}


@pytest.mark.parametrize(("location", "name"), [("header", "X Key"), ("header", "X\nKey"),
                                                ("header", "a:b"), ("query", "a=b"),
                                                ("cookie", "a;b")])  # fmt: skip
def test_an_api_key_name_that_cannot_stand_in_its_place_is_refused(
    tmp_path: Path, location: str, name: str
) -> None:
    spec = spec_for(Slots())
    schemes = spec["components"]["securitySchemes"]
    schemes["key"] = {"type": "apiKey", "in": location, "name": name}
    code, err, out, _ = _generate(spec, tmp_path)
    assert code == 2, err
    assert err.count("\n") == 1, err
    where = "#/components/securitySchemes/key/name"
    assert f".json:{where}: {name!r} is not a valid {location} name" in err, err
    assert not out.exists()


def test_valid_servers_and_header_names_give_a_client_with_the_default_url(
    tmp_path: Path,
) -> None:
    spec = spec_for(Slots(header_param="X-Thing_1.~!"))
    _server(spec)["url"] = "https://api.example.test/{region}/v2"
    _server(spec)["variables"]["region"]["enum"] = ["eu", "us"]
    spec["components"]["securitySchemes"]["key"] = {"type": "apiKey", "in": "header", "name": "X-K"}
    code, err, out, package = _generate(spec, tmp_path)
    assert code == 0, err
    with imported(out, package) as modules:
        assert modules[f"{package}._spec_info"].DEFAULT_BASE_URL == "https://api.example.test/eu/v2"
        modules[package].Client().close()


def test_an_operation_id_with_nothing_a_name_can_keep_gets_the_derived_name(
    tmp_path: Path,
) -> None:
    spec = spec_for(Slots(operation_id="+++"))
    op = spec["paths"][PATH]["get"]
    spec["paths"]["/b"] = {"get": {**op, "operationId": "获取", "parameters": []}}
    spec["paths"]["/c"] = {"get": {**op, "operationId": "get_b", "parameters": []}}
    code, err, out, package = _generate(spec, tmp_path)
    assert code == 0, err
    source = methods_source(out / package)
    methods = {n.name for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)}
    # An operationId that names a method claims it first; the derived names come after.
    assert {"get_things_by_id", "get_b", "get_b_2"} <= methods, methods
    assert not {"call", "call_2"} & methods
    with imported(out, package) as modules:
        by_method = modules[f"{package}._operations"].BY_METHOD
        assert by_method["get_things_by_id"].name == "+++"
        assert by_method["get_b_2"].name == "获取"
