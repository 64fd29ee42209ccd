"""`generator.evolve.changelog`: version bumps and CHANGELOG sections, over the real spec chain."""

from __future__ import annotations

import json
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from generator.evolve.changelog import bump_version, changelog_section, update_changelog
from generator.evolve.spec_diff import SpecDiff, diff_specs

SPEC_DIR = Path("../shared/spec")
CHAIN = ("2.152", "2.157", "2.159", "2.167")


@cache
def _load(version: str) -> dict[str, Any]:
    with (SPEC_DIR / f"x-api-v2-{version}.json").open(encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


@cache
def real_diff(old: str, new: str) -> SpecDiff:
    return diff_specs(_load(old), _load(new))


def tiny(paths: dict[str, Any], version: str) -> dict[str, Any]:
    return {"openapi": "3.0.0", "info": {"title": "t", "version": version}, "paths": paths}


def op(op_id: str, **fields: Any) -> dict[str, Any]:
    return {"operationId": op_id, "responses": {"200": {"description": "ok"}}, **fields}


QUERY = {"name": "q", "in": "query", "schema": {"type": "string"}}
ADDITIVE = diff_specs(
    tiny({"/a": {"get": op("a")}}, "1"), tiny({"/a": {"get": op("a")}, "/b": {"get": op("b")}}, "2")
)
# Neither breaking nor an addition: a parameter that is no longer required.
RELAXED = diff_specs(
    tiny({"/a": {"get": op("a", parameters=[{**QUERY, "required": True}])}}, "1"),
    tiny({"/a": {"get": op("a", parameters=[QUERY])}}, "2"),
)
BREAKING = diff_specs(tiny({"/a": {"get": op("a")}}, "1"), tiny({}, "2"))
EMPTY = diff_specs(tiny({}, "1"), tiny({}, "1"))


def test_bump_version_follows_semver() -> None:
    assert bump_version("1.4.2", BREAKING) == "2.0.0"
    assert bump_version("1.4.2", ADDITIVE) == "1.5.0"
    assert bump_version("1.4.2", RELAXED) == "1.4.3"
    assert bump_version("1.4.2", EMPTY) == "1.4.3"
    assert bump_version("0.1.0", BREAKING) == "1.0.0"


@pytest.mark.parametrize("bad", ["1.2", "v1.2.3", "1.2.3-rc1", "01.2.3", ""])
def test_bump_version_rejects_what_is_not_major_minor_patch(bad: str) -> None:
    with pytest.raises(ValueError, match=r"not a MAJOR\.MINOR\.PATCH version"):
        bump_version(bad, EMPTY)


def test_the_real_chain_bumps_major_at_every_breaking_step() -> None:
    versions = ["0.1.0"]
    for old, new in pairwise(CHAIN):
        versions.append(bump_version(versions[-1], real_diff(old, new)))
    # 2.152 -> 2.157 removes an enum value from a request; 2.157 -> 2.159 removes response
    # properties; 2.159 -> 2.167 removes operations.
    assert versions == ["0.1.0", "1.0.0", "2.0.0", "3.0.0"]


def test_section_for_the_breaking_step_has_migration_notes_in_client_names() -> None:
    text = changelog_section(real_diff("2.159", "2.167"), "2.159", "2.167", "3.0.0")
    lines = text.splitlines()
    assert lines[0] == "## 3.0.0 — X API spec `2.167`"
    assert lines[2] == "Generated from spec `2.167` (previously `2.159`)."
    assert lines[4].startswith("Spec changes: `2.159` -> `2.167`: 19 operations added, 4 removed")
    assert "### Migration notes (breaking changes)" in lines
    assert (
        "- `client.get_user_public_keys()` is gone; `GET /2/users/{id}/public_keys` is now "
        "`client.get_users_public_key()`." in lines
    )
    assert (
        "- `client.get_insights_28_hr()` (`GET /2/insights/28hr`) was removed from the API."
        in lines
    )
    assert (
        "  - query parameter `tweet.fields` renamed to `post.fields`: pass `post_fields=` "
        "instead of `tweet_fields=`" in lines
    )
    assert (
        "  - path parameter `conversation_id` renamed to `id`: pass `id=` instead of "
        "`conversation_id=`" in lines
    )
    assert "- `Tweet` is now `Post`" in lines
    assert "<summary>205 models renamed</summary>" in lines
    assert "- `client.article_create_draft()` — `POST /2/articles/draft`" in lines
    # Non-breaking operation changes are not migration notes.
    assert "now also accepts UserToken" not in text


def test_section_without_breaking_changes_has_no_migration_notes() -> None:
    text = changelog_section(ADDITIVE, "1", "2", "1.1.0")
    assert text == (
        "## 1.1.0 — X API spec `2`\n"
        "\n"
        "Generated from spec `2` (previously `1`).\n"
        "\n"
        "Spec changes: `1` -> `2`: 1 operation added.\n"
        "\n"
        "### Added\n"
        "\n"
        "- `client.b()` — `GET /b`\n"
    )


def test_section_uses_the_naming_functions_it_is_given() -> None:
    text = changelog_section(
        BREAKING, None, "2", "2.0.0", method_name=lambda name: f"call_{name.upper()}"
    )
    assert text == (
        "## 2.0.0 — X API spec `2`\n"
        "\n"
        "Generated from spec `2`.\n"
        "\n"
        "Spec changes: `1` -> `2`: 1 operation removed (1 breaking change).\n"
        "\n"
        "### Migration notes (breaking changes)\n"
        "\n"
        "#### Removed operations\n"
        "\n"
        "- `client.call_A()` (`GET /a`) was removed from the API.\n"
    )


def test_update_changelog_puts_the_newest_section_first_and_replaces_a_regenerated_one() -> None:
    first = "## 1.0.0 — X API spec 1\n\nfirst\n"
    second = "## 2.0.0 — X API spec 2\n\nsecond\n"
    text = update_changelog(None, first)
    assert text == "# Changelog\n\n## 1.0.0 — X API spec 1\n\nfirst\n"
    text = update_changelog(text, second)
    assert text == (
        "# Changelog\n\n## 2.0.0 — X API spec 2\n\nsecond\n\n## 1.0.0 — X API spec 1\n\nfirst\n"
    )
    regenerated = "## 2.0.0 — X API spec 2\n\nsecond, again\n"
    assert update_changelog(text, regenerated) == (
        "# Changelog\n\n## 2.0.0 — X API spec 2\n\nsecond, again\n\n"
        "## 1.0.0 — X API spec 1\n\nfirst\n"
    )
    with pytest.raises(ValueError, match="starts with a '## ' heading"):
        update_changelog(text, "no heading\n")


def test_the_real_chain_writes_one_section_per_step(tmp_path: Path) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    version = "0.1.0"
    for old, new in pairwise(CHAIN):
        diff = real_diff(old, new)
        version = bump_version(version, diff)
        existing = changelog.read_text(encoding="utf-8") if changelog.exists() else None
        section = changelog_section(diff, old, new, version)
        changelog.write_text(update_changelog(existing, section), encoding="utf-8")
    headings = [line for line in changelog.read_text().splitlines() if line.startswith("## ")]
    assert headings == [
        "## 3.0.0 — X API spec `2.167`",
        "## 2.0.0 — X API spec `2.159`",
        "## 1.0.0 — X API spec `2.157`",
    ]
