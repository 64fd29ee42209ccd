"""YAML specs are read by the YAML 1.2 core schema that OpenAPI 3.x names, not YAML 1.1."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from generator.load.spec_source import parse_document
from tests.spec_package import generate_from, imported


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("on", "on"),
        ("off", "off"),
        ("yes", "yes"),
        ("No", "No"),
        ("y", "y"),
        ("true", True),
        ("False", False),
        ("TRUE", True),
        ("0777", 777),
        ("0o17", 15),
        ("0x1f", 31),
        ("-3", -3),
        ("+4", 4),
        ("1:30", "1:30"),
        ("1_000", "1_000"),
        ("1.5", 1.5),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("~", None),
        ("null", None),
        ("2001-12-14", "2001-12-14"),
    ],
)
def test_plain_scalars_read_as_yaml_1_2_core(text: str, value: object) -> None:
    got = parse_document("spec.yaml", f"key: {text}\n".encode())["key"]
    assert got == value and type(got) is type(value)


def test_a_yaml_1_1_boolean_word_stays_a_string_key(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        """
openapi: 3.1.0
info: {title: Switches, version: "1"}
paths:
  /switch:
    post:
      operationId: setSwitch
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                on: {type: boolean}
                mode: {type: string, enum: [on, off, yes, no]}
      responses:
        "204": {description: done}
""",
        encoding="utf-8",
    )
    code, err, out, package = generate_from(spec, tmp_path, "switches")
    assert code == 0, err
    with imported(out, package) as modules:
        body = modules[f"{package}.models"].SetSwitchBody
        parameters = inspect.signature(body.__init__).parameters
        assert str(parameters["mode"].annotation) == "Literal['no', 'off', 'on', 'yes'] | None"
        assert body(on=True, mode="off").to_dict() == {"on": True, "mode": "off"}
