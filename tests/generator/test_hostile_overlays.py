"""Hostile overlays through the real command line: one error line naming the overlay file and
the place in it, exit 2, nothing written; never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator.load.overlays import MAX_OVERLAY_BYTES
from tests.conftest import FEATURES_SPEC, run_sdkgen


def _chain(levels: int) -> dict[str, Any]:
    """{"x": {"x": ... {"end": true}}} with `levels` x's."""
    node: dict[str, Any] = {"end": True}
    for _ in range(levels):
        node = {"x": node}
    return node


def _overlay(actions: list[dict[str, Any]]) -> str:
    return json.dumps(
        {"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": actions}
    )


def _refused(tmp_path: Path, name: str, content: str | bytes) -> str:
    """Generate with the overlay `name` holding `content`; the one error line, checked."""
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        f'[tool.sdkgen]\noutput = "gen"\noverlays = ["{name}"]\n'
    )
    overlay = project / name
    if isinstance(content, bytes):
        overlay.write_bytes(content)
    else:
        overlay.write_text(content)
    result = run_sdkgen("generate", "--spec", str(FEATURES_SPEC), cwd=project)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"sdkgen: error: {overlay}:"), line
    assert not (project / "gen").exists()
    return line.removeprefix(f"sdkgen: error: {overlay}:")


def _target(expression: str) -> str:
    return _overlay([{"target": expression, "description": "d", "remove": True}])


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        # 5,000 nested brackets, and as many nested filters.
        ("$" + "[0" * 5000 + "]" * 5000, "longer than 1000 characters"),
        ("$" + "[?@" * 5000 + "]" * 5000, "longer than 1000 characters"),
        # Short, but past what the parser can nest.
        ("$" + "[?@" * 40 + "]" * 40, "brackets and parentheses nest deeper than 32 levels"),
        (
            "$[?" + "(" * 40 + "@.a" + ")" * 40 + "]",
            "brackets and parentheses nest deeper than 32 levels",
        ),
        # Not nested, but long enough to exhaust the stack while evaluating.
        ("$" + ".a" * 5000, "longer than 1000 characters"),
        # Within both bounds, but the parser still recurses once per '!'.
        ("$[?" + "!" * 900 + "@.a]", "nested too deeply to parse"),
    ],
)
def test_a_target_nested_or_long_past_the_bounds(
    tmp_path: Path, expression: str, message: str
) -> None:
    line = _refused(tmp_path, "o.json", _target(expression))
    assert line == f"#/actions/0/target: bad JSONPath: {message}"


def test_brackets_inside_a_string_do_not_count_as_nesting(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[tool.sdkgen]\noutput = "gen"\noverlays = ["o.json"]\n'
    )
    name = "'" + "[(" * 40 + "\\'" + "'"
    (project / "o.json").write_text(_target(f"$.info[{name}]"))
    result = run_sdkgen("generate", "--spec", str(FEATURES_SPEC), cwd=project)
    assert result.returncode == 0, result.stderr
    assert "stale overlay action" in result.stderr  # parsed, matched nothing


def test_descendants_of_a_document_deeper_than_the_loader_allows(tmp_path: Path) -> None:
    # Each update stays within the loader's 200 levels; together they nest about 380 deep.
    actions: list[dict[str, Any]] = [
        {"target": "$.info", "description": "d", "update": {"x-deep": _chain(190)}},
        {"target": "$..[?@.end == true]", "description": "d", "update": {"x": _chain(190)}},
        {"target": "$..*", "description": "d", "remove": True},
    ]
    line = _refused(tmp_path, "o.json", _overlay(actions))
    assert line == (
        "#/actions/2/target: cannot select: '..' met a document nested deeper than 200 levels"
    )


def test_a_yaml_alias_bomb(tmp_path: Path) -> None:
    lines = ["overlay: 1.0.0", "info: {title: t, version: '1'}", "x-bomb:"]
    lines.append("  a0: &a0 [" + ", ".join(["lol"] * 10) + "]")
    for level in range(1, 9):
        lines.append(f"  a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    lines.append("actions: [{target: $.info, description: d, update: {x: *a8}}]")
    line = _refused(tmp_path, "o.yaml", "\n".join(lines) + "\n")
    assert line.endswith(": the document expands to more than 5000000 nodes (YAML aliases)")


def test_a_self_referencing_yaml_alias(tmp_path: Path) -> None:
    text = "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions: &a [{target: $, update: *a}]\n"
    assert _refused(tmp_path, "o.yaml", text) == "3:10: a YAML alias refers to itself"


def test_an_overlay_nested_past_the_loader_depth(tmp_path: Path) -> None:
    actions = [{"target": "$.info", "description": "d", "update": _chain(300)}]
    line = _refused(tmp_path, "o.json", _overlay(actions))
    assert line.startswith("#/actions/0/update/x/x/x/x/x/...: nested deeper than 200 levels")


def test_a_huge_overlay_file(tmp_path: Path) -> None:
    padding = b"# " + b"x" * MAX_OVERLAY_BYTES + b"\n"
    line = _refused(tmp_path, "o.yaml", padding + _target("$.info").encode())
    assert line == f" larger than {MAX_OVERLAY_BYTES} bytes"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("u16.yaml", "overlay: 1.0.0\n".encode("utf-16"), "1:1: not UTF-8 text: byte 0xff"),
        ("bell.yaml", b"overlay: 1.0.0\ninfo: {title: \x07}\n", "2:15: invalid YAML: character"),
    ],
)
def test_an_overlay_that_is_not_utf8_yaml_is_named(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    line = _refused(tmp_path, name, content)
    assert line.startswith(message), line
