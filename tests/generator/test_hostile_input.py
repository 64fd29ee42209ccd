"""Hostile or odd input ends in one line naming the file and place, exit 2, nothing written;
never a traceback. Odd but valid input generates."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from contextlib import redirect_stderr
from pathlib import Path
from typing import Any

import pytest

from generator.cli import main as sdkgen_main
from generator.encode import Code
from generator.render import package as render
from tests.conftest import methods_source, run_sdkgen

HEAD = '{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {}, "x-data": '


def _run(tmp_path: Path, name: str, text: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    spec = tmp_path / name
    spec.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    return run_sdkgen("generate", "--spec", str(spec), "--output", str(out)), out


def _refused(result: subprocess.CompletedProcess[str], out: Path, *needles: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("sdkgen: error: ")
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("name", "text", "needles"),
    [
        ("deep.json", HEAD + "[" * 100_000 + "]" * 100_000 + "}", ["deep.json", "nested"]),
        ("deep2.json", HEAD + "[" * 300 + "]" * 300 + "}", ["deep2.json:#/x-data/0/0", "nested"]),
        ("digits.json", HEAD + "9" * 5000 + "}", ["digits.json:1:", "5000 digits"]),
        ("nan.json", HEAD + "NaN}", ["nan.json:1:", "NaN is not a JSON number"]),
        ("inf.yaml", "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\nx: .inf\n",
         ["inf.yaml:#/x", "not a JSON number"]),
        ("cycle.yaml", "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\nx: &a [*a]\n",
         ["cycle.yaml:4:", "refers to itself"]),
        ("cycle2.yaml", "openapi: 3.0.3\ninfo: &i {title: t, version: '1', me: *i}\npaths: {}\n",
         ["cycle2.yaml:2:", "refers to itself"]),
        ("set.yaml", "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\nx: !!set {a}\n",
         ["set.yaml:#/x", "unsupported value"]),
        ("list.json", "[1, 2]", ["list.json:1:1", "must be an object"]),
    ],
)  # fmt: skip
def test_hostile_documents_are_refused_in_one_line(
    tmp_path: Path, name: str, text: str, needles: list[str]
) -> None:
    result, out = _run(tmp_path, name, text)
    _refused(result, out, *needles)


YAML_HEAD = b"openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n"


@pytest.mark.parametrize(
    ("name", "raw", "needles"),
    [
        ("u16.json", HEAD.encode("utf-16"), ["u16.json:1:1:", "UTF-8 text: byte 0xff", "UTF-16"]),
        ("u16le.yaml", YAML_HEAD.decode().encode("utf-16-le"), ["u16le.yaml:1:2:", "NUL"]),
        ("latin.yaml", YAML_HEAD + b"x: caf\xe9\n", ["latin.yaml:4:7:", "byte 0xe9"]),
        ("bell.yaml", YAML_HEAD + b"x: a\x07\n", ["bell.yaml:4:5:", "character U+0007"]),
        ("nul.json", HEAD.encode() + b'"\x00"}', ["nul.json:1:", "NUL"]),
    ],
)  # fmt: skip
def test_a_file_that_is_not_utf8_text_is_refused_in_one_line(
    tmp_path: Path, name: str, raw: bytes, needles: list[str]
) -> None:
    spec = tmp_path / name
    spec.write_bytes(raw)
    out = tmp_path / "out"
    result = run_sdkgen("generate", "--spec", str(spec), "--output", str(out))
    _refused(result, out, str(spec), *needles)


def test_a_yaml_alias_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    levels = "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 12)
    )
    text = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\na0: &a0 [x, x]\n" + levels
    result, out = _run(tmp_path, "bomb.yaml", text)
    _refused(result, out, "bomb.yaml:", "expands to more than")


def test_shared_yaml_aliases_within_bounds_are_read_as_copies(tmp_path: Path) -> None:
    text = """openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /a:
    get:
      operationId: getA
      responses:
        '200': &ok
          description: ok
          content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}
  /b:
    get:
      operationId: getB
      responses: {'200': *ok}
components:
  schemas:
    A: {type: object, properties: {when: {type: string, example: 2020-01-01}}}
"""
    result, out = _run(tmp_path, "shared.yaml", text)
    assert result.returncode == 0, result.stderr
    client = methods_source(out / "twitter_api")
    assert "def get_a(" in client and "def get_b(" in client


def _spec(**schemas: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/a": {
                "get": {
                    "operationId": "getA",
                    "responses": {"204": {"description": "none"}},
                }
            }
        },
    }
    if schemas:
        document["components"] = {"schemas": schemas}
    return document


def test_a_spec_without_component_schemas_generates(tmp_path: Path) -> None:
    result, out = _run(tmp_path, "bare.json", json.dumps(_spec()))
    assert result.returncode == 0, result.stderr
    assert "def get_a(" in methods_source(out / "twitter_api")


def test_a_300_character_schema_name_gets_a_bounded_module_name(tmp_path: Path) -> None:
    name = "Very" + "Long" * 74
    result, out = _run(
        tmp_path,
        "long.json",
        json.dumps(_spec(**{name: {"type": "object", "properties": {"a": {"type": "string"}}}})),
    )
    assert result.returncode == 0, result.stderr
    modules = [p.name for p in (out / "twitter_api" / "models").iterdir()]
    assert all(len(m) <= 67 for m in modules), modules
    exported = (out / "twitter_api" / "models" / "__init__.pyi").read_text()
    assert f"{name} as {name}" in " ".join(exported.split())
    index = (out / "twitter_api" / "models" / "__init__.py").read_text()
    assert f'" {name}:' in index


def test_lone_surrogates_and_controls_in_spec_text_are_escaped(tmp_path: Path) -> None:
    spec = _spec(
        A={
            "type": "object",
            "description": "bad \ud800 \x00 \x1b[2J",
            "properties": {"a": {"type": "string"}},
        }
    )
    spec["info"]["title"] = "T \udfff"
    spec["components"]["schemas"]["A"]["properties"]["a"]["enum"] = ["\ud800"]
    result, out = _run(tmp_path, "odd.json", json.dumps(spec))
    assert result.returncode == 0, result.stderr
    text = (out / "twitter_api" / "models" / "a.py").read_text(encoding="utf-8")
    assert "bad \ufffd \\x00" in text and "\x1b" not in text
    # The package imports: a surrogate left in a docstring fails at class creation. The enum
    # value in code keeps the exact surrogate, written as an escape.
    script = (
        "import twitter_api, twitter_api.models as m; "
        "print(ascii(m.A.__doc__), ascii(twitter_api.__doc__), ascii(m.A(a='\\ud800').a))"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], cwd=out, capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr
    assert "bad \\ufffd" in ran.stdout and "\\ud800" in ran.stdout, ran.stdout
    for path in (out / "twitter_api").rglob("*"):
        if path.is_file():
            path.read_bytes().decode("utf-8")


def test_a_template_that_prints_raw_text_is_refused(tmp_path: Path) -> None:
    env = render._environment()
    assert env.from_string("{{ x }}").render(x=Code("ok")) == "ok"
    assert env.from_string("{{ x | py_str }}").render(x='a"b') == '"a\\"b"'
    with pytest.raises(render.RawOutputError, match="raw str"):
        env.from_string("{{ x }}").render(x="raw")
    with pytest.raises(render.RawOutputError):
        env.from_string('{{ "literal" }}').render()


def test_code_that_does_not_parse_names_the_generated_file_line_and_spec_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An encoder that pastes text raw, as the generator did before encoders: the safety net
    # behind them must say where the bad text came from.
    monkeypatch.setattr(render, "py_str", lambda value: Code(f'"{value}"'))
    spec = _spec()
    spec["paths"]['/a"b'] = spec["paths"].pop("/a")
    path = tmp_path / "q.json"
    path.write_text(json.dumps(spec))
    err = io.StringIO()
    monkeypatch.chdir(tmp_path)
    with redirect_stderr(err):
        code = sdkgen_main(["generate", "--spec", str(path), "--output", str(tmp_path / "o")])
    assert code == 2
    message = err.getvalue()
    assert message.count("\n") == 1
    assert f'{path}:#/paths/~1a"b/get: generated twitter_api/_api/default.py:' in message
    assert "does not parse" in message
    assert not (tmp_path / "o").exists()


REF = "#/components/schemas/"


@pytest.mark.parametrize(
    ("schemas", "loop"),
    [
        ({"A": {"$ref": REF + "B"}, "B": {"$ref": REF + "A"}}, "A -> B -> A"),
        ({"A": {"$ref": REF + "A"}}, "A -> A"),
        # A null alternative beside the $ref does not make it a value.
        ({"A": {"oneOf": [{"$ref": REF + "B"}, {"type": "null"}]}, "B": {"$ref": REF + "A"}},
         "A -> B -> A"),
    ],
)  # fmt: skip
def test_a_schema_that_is_only_a_ref_cycle_is_refused(
    tmp_path: Path, schemas: dict[str, Any], loop: str
) -> None:
    spec = _spec(**schemas)
    spec["openapi"] = "3.1.0"
    result, out = _run(tmp_path, "loop.json", json.dumps(spec))
    _refused(result, out, "loop.json:#/components/schemas/A:", f"$ref cycle with no value ({loop})")


def test_a_ref_cycle_through_a_property_is_a_recursive_model(tmp_path: Path) -> None:
    schemas = {
        "A": {"$ref": REF + "B"},
        "B": {"type": "object", "properties": {"next": {"$ref": REF + "A"}}},
    }
    result, out = _run(tmp_path, "rec.json", json.dumps(_spec(**schemas)))
    assert result.returncode == 0, result.stderr
    script = (
        "import twitter_api.models as m; "
        "print(type(m.B.from_dict({'next': {'next': {}}}).next.next).__name__)"
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], cwd=out, capture_output=True, text=True, check=False
    )
    assert (ran.returncode, ran.stdout) == (0, "B\n"), ran.stderr


TWICE_JSON = (
    '{"openapi": "3.0.3", "servers": [{"url": "https://a.test"}],\n'
    ' "info": {"title": "t", "version": "1"}, "paths": {},\n'
    ' "servers": [{"url": "https://b.test"}]}'
)
TWICE_YAML = (
    "openapi: 3.0.3\nservers: [{url: 'https://a.test'}]\ninfo: {title: t, version: '1'}\n"
    "paths: {}\nservers: [{url: 'https://b.test'}]\n"
)


@pytest.mark.parametrize(
    ("name", "text", "needles"),
    [
        ("dup.json", TWICE_JSON, ["dup.json:3:2:", "'servers' appears twice"]),
        # Found inside the object the duplicate is in, past equal keys in other objects.
        ("deep.json", HEAD + '{"a": [{"k": 0}, {"k": 1, "j": {"k": 3}, "k": 2}]}}',
         ["deep.json:1:126:", "'k' appears twice"]),
        ("dup.yaml", TWICE_YAML, ["dup.yaml:5:1:", "'servers' appears twice", "first on line 2"]),
        ("flow.yaml", YAML_HEAD.decode() + "x: {a: 1, b: 2, a: 3}\n", ["flow.yaml:4:17:", "'a'"]),
        ("typed.yaml", YAML_HEAD.decode() + "x: {1: a, '1': b}\n", ["typed.yaml:#/x/1:", "'1'"]),
    ],
)  # fmt: skip
def test_a_key_twice_in_one_object_is_refused(
    tmp_path: Path, name: str, text: str, needles: list[str]
) -> None:
    result, out = _run(tmp_path, name, text)
    _refused(result, out, *needles)


def test_a_yaml_merge_may_override_the_keys_it_brings(tmp_path: Path) -> None:
    text = YAML_HEAD.decode() + "x-base: &b {a: 1, b: 2}\nx-m: {<<: *b, a: 3}\n"
    result, _ = _run(tmp_path, "merge.yaml", text)
    assert result.returncode == 0, result.stderr
