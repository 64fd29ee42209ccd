"""`generator.load.overlays`: RFC 9535 targets, Overlay 1.0 semantics, and the shipped overlays."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from generator.load.overlays import (
    JSONPath,
    JSONPathError,
    OverlayError,
    apply_overlay,
    apply_overlays,
    load_overlay,
    would_apply,
)
from generator.load.spec_source import MAX_DEPTH, parse_document
from generator.pointers import pointer

SPEC_DIR = Path("../shared/spec")
SHIPPED = sorted(Path("spec/overlays").glob("*.yaml"))


@cache
def _load(version: str) -> dict[str, Any]:
    with (SPEC_DIR / f"x-api-v2-{version}.json").open(encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


DOC: dict[str, Any] = {
    "info": {"title": "T", "version": "1.0"},
    "paths": {
        "/a/{id}": {
            "get": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True},
                    {"name": "post.fields", "in": "query", "n": 3},
                    {"name": "flag", "in": "query", "n": 1, "deprecated": True},
                ]
            }
        }
    },
    "tags": ["x", "y", "z"],
    "nums": [1, 2.0, True, None, "2"],
}


def select(expression: str, document: Any = DOC) -> list[Any]:
    return [value for _, value in JSONPath(expression).select(document)]


def locations(expression: str, document: Any = DOC) -> list[tuple[str | int, ...]]:
    return [location for location, _ in JSONPath(expression).select(document)]


# --------------------------------------------------------------------------------------------
# JSONPath
# --------------------------------------------------------------------------------------------


def test_root_child_and_bracket_names() -> None:
    assert select("$") == [DOC]
    assert select("$.info.version") == ["1.0"]
    assert select("$['info']['title']") == ["T"]
    assert select('$["paths"]["/a/{id}"].get.parameters[0].name') == ["id"]
    assert select("$.info['title', 'version']") == ["T", "1.0"]
    assert select("$.info.missing") == []
    assert select("$.tags.name") == []  # a member of an array does not exist


def test_indexes_and_wildcards() -> None:
    assert select("$.tags[0]") == ["x"]
    assert select("$.tags[-1]") == ["z"]
    assert locations("$.tags[-1]") == [("tags", 2)]
    assert select("$.tags[3]") == []
    assert select("$.tags[*]") == ["x", "y", "z"]
    assert select("$.info.*") == ["T", "1.0"]
    assert select("$.tags[1:]") == ["y", "z"]
    assert select("$.tags[::-2]") == ["z", "x"]


def test_recursive_descent() -> None:
    assert select("$..name") == ["id", "post.fields", "flag"]
    assert select("$..parameters[1].name") == ["post.fields"]
    assert select("$.info..*") == ["T", "1.0"]
    assert select("$..[0]") == [DOC["paths"]["/a/{id}"]["get"]["parameters"][0], "x", 1]
    # Every node but the root: info 3, paths 17 (4 levels, 3 parameters, 10 members),
    # tags 4, nums 6.
    assert len(select("$..*")) == 30


def test_filters_in_both_spellings() -> None:
    params = "$.paths['/a/{id}'].get.parameters"
    assert select(f"{params}[?(@.name == 'flag')].in") == ["query"]
    assert select(f"{params}[?@.name == 'flag'].in") == ["query"]
    assert select(f'{params}[?@.name == "post.fields"].n') == [3]
    assert select(f"{params}[?@.n > 1].name") == ["post.fields"]
    assert select(f"{params}[?@.n <= 3 && @.in != 'path'].name") == ["post.fields", "flag"]
    assert select(f"{params}[?@.required == true || @.deprecated].name") == ["id", "flag"]
    assert select(f"{params}[?!@.n].name") == ["id"]
    assert select(f"{params}[?!(@.n == 1)].name") == ["id", "post.fields"]
    assert locations(f"{params}[?@.name == 'flag']") == [
        ("paths", "/a/{id}", "get", "parameters", 2)
    ]


def test_filters_over_object_members_and_plain_values() -> None:
    assert select("$.info[?@ == '1.0']") == ["1.0"]
    assert locations("$.paths[?@.get]") == [("paths", "/a/{id}")]
    # JSON equality: 2 == 2.0, but true is not 1 and "2" is not 2.
    assert select("$.nums[?@ == 2]") == [2.0]
    assert select("$.nums[?@ == true]") == [True]
    assert select("$.nums[?@ == null]") == [None]
    assert select("$.nums[?@ < 2]") == [1]  # comparing across types is false, not an error


def test_functions_and_absolute_queries_in_filters() -> None:
    assert select("$[?length(@) == 3].*") == ["x", "y", "z"]  # only tags has 3 children
    assert select("$.info[?length(@) == 3]") == ["1.0"]  # string length
    assert select("$.nums[?length(@) == 1]") == ["2"]  # numbers have no length
    assert select("$.paths.*.get[?count(@[*]) == 3]") == [
        DOC["paths"]["/a/{id}"]["get"]["parameters"]
    ]
    assert select("$.tags[?$.info.version == '1.0']") == ["x", "y", "z"]
    assert select("$.tags[?@ == $.tags[1]]") == ["y"]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("info.title", "expected '$', found 'i' at column 1"),
        ("$[01]", "leading zero in index selector at column 3"),
        ("$.info.", "unexpected end of expression at column 8"),
        ("$.paths./a", "unexpected shorthand selector '/' at column 9"),
        ("$.tags[?@.x ==]", "unexpected end of expression at column 15"),
        ("$.tags[?'a']", "literals outside of function expressions must be compared"),
        ("$['unterminated]", "unclosed string"),
        ("$.tags extra", "expected '.', '..' or a bracketed selection, found 'e' at column 8"),
        ("$.info\n .x\n ?", "at line 3, column 2"),
        # Accepted by the earlier hand-written parser, rejected by RFC 9535:
        ("$['\\q']", "invalid escape at column 4"),
        ("$[?@[*] == 1]", "non-singular query is not comparable"),
        ("$[?length(@.*) == 1]", "length() argument 0 must be of ValueType"),
        ("$[?@.n == 01]", "invalid integer literal"),
        ("$.tags[9007199254740992]", "index out of range"),
    ],
)
def test_invalid_expressions(expression: str, message: str) -> None:
    with pytest.raises(JSONPathError) as caught:
        JSONPath(expression)
    assert message in str(caught.value)


def test_descendants_reach_the_deepest_document_the_loader_accepts() -> None:
    text = '{"x":' * MAX_DEPTH + "[]" + "}" * MAX_DEPTH
    document = parse_document("deep.json", text.encode())
    found = locations("$..*", document)
    assert len(found) == MAX_DEPTH
    assert found[-1] == ("x",) * MAX_DEPTH
    with pytest.raises(
        JSONPathError, match=rf"^'\.\.' met a document nested deeper than {MAX_DEPTH}"
    ):
        JSONPath("$..*").select({"y": document})


def test_comparing_values_deeper_than_the_stack_is_an_error() -> None:
    a: list[Any] = []
    b: list[Any] = []
    for _ in range(5000):  # two equal, separate values: Python compares them recursively
        a, b = [a], [b]
    document = {"x": {"a": a, "b": b}}
    with pytest.raises(JSONPathError, match=r"^the document is nested too deeply to search$"):
        JSONPath("$[?@.a == @.b]").select(document)


# --------------------------------------------------------------------------------------------
# Overlay documents
# --------------------------------------------------------------------------------------------


def write_overlay(directory: Path, name: str, actions: list[dict[str, Any]]) -> Path:
    path = directory / name
    overlay = {"overlay": "1.0.0", "info": {"title": name, "version": "1"}, "actions": actions}
    path.write_text(json.dumps(overlay) if name.endswith(".json") else _yaml(overlay))
    return path


def _yaml(data: Any) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False)


def test_update_merges_objects_concatenates_arrays_and_replaces_primitives(tmp_path: Path) -> None:
    document = {"info": {"title": "T", "x-list": [1], "contact": {"name": "a"}}}
    path = write_overlay(
        tmp_path,
        "o.yaml",
        [
            {
                "target": "$.info",
                "description": "merge",
                "update": {"title": "U", "x-list": [2], "contact": {"url": "u"}, "new": {"k": 1}},
            }
        ],
    )
    result = apply_overlays(document, [path])
    assert result.document == {
        "info": {
            "title": "U",
            "x-list": [1, 2],
            "contact": {"name": "a", "url": "u"},
            "new": {"k": 1},
        }
    }
    assert result.stale == ()
    assert [(a.index, a.matched) for a in result.applied] == [(0, 1)]
    # The input is untouched, and the output shares nothing with the overlay's values.
    assert document == {"info": {"title": "T", "x-list": [1], "contact": {"name": "a"}}}


def test_update_of_an_array_appends_the_value(tmp_path: Path) -> None:
    path = write_overlay(
        tmp_path, "o.yaml", [{"target": "$.tags", "description": "add", "update": {"n": 1}}]
    )
    result = apply_overlays({"tags": ["a"]}, [path, path])
    assert result.document == {"tags": ["a", {"n": 1}, {"n": 1}]}
    result.document["tags"][1]["n"] = 99
    assert result.document["tags"][2] == {"n": 1}


def test_remove_deletes_members_and_array_elements(tmp_path: Path) -> None:
    document = {"enum": ["a", "b", "a", "c", "a"], "keep": 1, "drop": {"x": 1}}
    path = write_overlay(
        tmp_path,
        "o.json",
        [
            {"target": "$.enum[?@ == 'a']", "description": "dedupe", "remove": True},
            {"target": "$.drop", "description": "gone", "remove": True},
        ],
    )
    result = apply_overlays(document, [path])
    assert result.document == {"enum": ["b", "c"], "keep": 1}
    assert [(a.index, a.matched) for a in result.applied] == [(0, 3), (1, 1)]


def test_actions_and_files_apply_in_order(tmp_path: Path) -> None:
    first = write_overlay(
        tmp_path, "1.yaml", [{"target": "$", "description": "add", "update": {"a": {"v": 1}}}]
    )
    second = write_overlay(
        tmp_path,
        "2.yaml",
        [
            {"target": "$.a", "description": "then change", "update": {"v": 2}},
            {"target": "$.a[?@ == 2]", "description": "then see the change", "remove": True},
        ],
    )
    assert apply_overlays({}, [first, second]).document == {"a": {}}


def test_stale_actions_are_reported_with_file_index_and_reason(tmp_path: Path) -> None:
    path = write_overlay(
        tmp_path,
        "o.yaml",
        [
            {"target": "$.info", "description": "fine", "update": {"x": 1}},
            {
                "target": "$.components.schemas.Gone",
                "description": "upstream fixed",
                "remove": True,
            },
        ],
    )
    (stale,) = apply_overlays({"info": {}}, [path]).stale
    assert (stale.file, stale.index, stale.target) == (path, 1, "$.components.schemas.Gone")
    assert str(stale) == (
        f"{path}:#/actions/1: target $.components.schemas.Gone matched nothing (upstream fixed)"
    )


def test_apply_overlay_takes_a_loaded_overlay(tmp_path: Path) -> None:
    overlay = load_overlay(
        write_overlay(tmp_path, "o.yaml", [{"target": "$", "description": "d", "update": {"a": 1}}])
    )
    document: dict[str, Any] = {}
    assert apply_overlay(document, overlay).document == {"a": 1}
    assert document == {}


@pytest.mark.parametrize(
    ("action", "location", "message"),
    [
        ({"target": "$.info", "update": {}}, "#/actions/1", "description is required"),
        ({"target": "$.info", "description": " ", "remove": True}, "#/actions/1", "description"),
        ({"description": "d", "remove": True}, "#/actions/1", "target (a JSONPath expression)"),
        (
            {"target": "$.a[?@ == 01]", "description": "d", "remove": True},
            "#/actions/1/target",
            "bad JSONPath: invalid integer literal",
        ),
        ({"target": "$", "description": "d"}, "#/actions/1", "needs update or remove: true"),
        (
            {"target": "$", "description": "d", "remove": True, "update": {}},
            "#/actions/1",
            "either updates or removes",
        ),
        ({"target": "$", "description": "d", "remove": "yes"}, "#/actions/1/remove", "true or"),
        ({"target": "$", "description": "d", "copy": "$.x"}, "#/actions/1", "unknown action"),
    ],
)
def test_bad_actions_name_the_file_and_the_action(
    tmp_path: Path, action: dict[str, Any], location: str, message: str
) -> None:
    good = {"target": "$.info", "description": "fine", "update": {}}
    path = write_overlay(tmp_path, "bad.yaml", [good, action])
    with pytest.raises(OverlayError) as caught:
        load_overlay(path)
    assert str(caught.value).startswith(f"{path}:{location}: ")
    assert message in str(caught.value)


def test_bad_overlay_documents(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("overlay: 1.0.0\nactions:\n  - target: [\n")
    with pytest.raises(OverlayError, match=rf"^{broken}:4:1: invalid YAML: "):
        load_overlay(broken)
    broken_json = tmp_path / "broken.json"
    broken_json.write_text('{"overlay": "1.0.0",\n "info": }')
    with pytest.raises(OverlayError, match=rf"^{broken_json}:2:10: invalid JSON: "):
        load_overlay(broken_json)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("overlay: 2.0.0\ninfo: {title: t, version: '1'}\nactions: []\n")
    with pytest.raises(OverlayError, match=r"#/overlay: unsupported overlay version '2.0.0'"):
        load_overlay(wrong)
    empty = tmp_path / "empty.yaml"
    empty.write_text("overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions: []\n")
    with pytest.raises(OverlayError, match=r"#/actions: actions must be a non-empty list"):
        load_overlay(empty)
    with pytest.raises(OverlayError, match=r"cannot read"):
        load_overlay(tmp_path / "missing.yaml")


def test_a_bad_file_fails_before_anything_is_applied(tmp_path: Path) -> None:
    good = write_overlay(tmp_path, "1.yaml", [{"target": "$", "description": "d", "update": {}}])
    bad = write_overlay(tmp_path, "2.yaml", [{"target": "$"}])
    with pytest.raises(OverlayError, match=r"2\.yaml:#/actions/0: description is required"):
        apply_overlays({}, [good, bad])


def test_incompatible_merges_and_targets_are_errors(tmp_path: Path) -> None:
    into_string = write_overlay(
        tmp_path, "a.yaml", [{"target": "$.info", "description": "d", "update": {"t": {"x": 1}}}]
    )
    with pytest.raises(OverlayError) as caught:
        apply_overlays({"info": {"t": "text"}}, [into_string])
    assert str(caught.value) == f"{into_string}:#/actions/0: cannot merge str with dict at #/info/t"
    primitive = write_overlay(
        tmp_path, "b.yaml", [{"target": "$.info.t", "description": "d", "update": {"x": 1}}]
    )
    with pytest.raises(OverlayError, match=r"#/info/t is neither an object nor an array"):
        apply_overlays({"info": {"t": "text"}}, [primitive])
    not_object = write_overlay(
        tmp_path, "c.yaml", [{"target": "$.info", "description": "d", "update": [1]}]
    )
    with pytest.raises(OverlayError, match=r"update must be an object to merge into #/info"):
        apply_overlays({"info": {}}, [not_object])
    root = write_overlay(tmp_path, "d.yaml", [{"target": "$", "description": "d", "remove": True}])
    with pytest.raises(OverlayError, match=r"cannot remove the document root"):
        apply_overlays({}, [root])


# --------------------------------------------------------------------------------------------
# The shipped sanitations
# --------------------------------------------------------------------------------------------


def _params(document: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = document["components"]["parameters"]
    return params


def test_shipped_overlays_load_and_every_action_has_a_reason() -> None:
    assert [p.name for p in SHIPPED] == [
        "10-unique-enum-values.yaml",
        "20-selectable-id-fields.yaml",
        "30-list-valued-field-selectors.yaml",
        "40-x-consent-page.yaml",
        "50-x-revocation-url.yaml",
    ]
    for path in SHIPPED:
        overlay = load_overlay(path)
        assert all(len(action.description) > 40 for action in overlay.actions)


def test_shipped_overlays_fix_2167_and_none_is_stale() -> None:
    original = _load("2.167")
    result = apply_overlays(original, SHIPPED)
    assert result.stale == ()
    assert len(result.applied) == 14
    fixed = result.document
    news = _params(fixed)["NewsFieldsParameter"]["schema"]["items"]["enum"]
    assert news.count("contexts") == 1
    assert len(news) == len(set(news)) == 10
    dm = _params(fixed)["DmEventExpansionsParameter"]["schema"]["items"]["enum"]
    assert sorted(dm) == [
        "attachments.media_keys",
        "participant_ids",
        "referenced_posts",
        "sender_id",
    ]
    flow = fixed["components"]["securitySchemes"]["OAuth2UserToken"]["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == "https://x.com/i/oauth2/authorize"
    assert flow["tokenUrl"] == "https://api.x.com/2/oauth2/token"  # left where X serves it
    assert flow["x-revocationUrl"] == "https://api.x.com/2/oauth2/revoke"
    post_fields = _params(fixed)["PostFieldsParameter"]["schema"]["items"]["enum"]
    assert post_fields[-2:] == ["author_id", "in_reply_to_user_id"]
    assert len(post_fields) == len(set(post_fields))
    space_fields = _params(fixed)["SpaceFieldsParameter"]["schema"]["items"]["enum"]
    assert {"creator_id", "host_ids", "invited_user_ids", "speaker_ids", "topic_ids"} <= set(
        space_fields
    )
    for route in ("/2/tweets/counts/all", "/2/tweets/counts/recent"):
        (param,) = [
            p
            for p in fixed["paths"][route]["get"]["parameters"]
            if p.get("name") == "search_count.fields"
        ]
        assert param == {
            "name": "search_count.fields",
            "in": "query",
            "required": False,
            "style": "form",
            "explode": False,
            "schema": {
                "type": "array",
                "minItems": 1,
                "uniqueItems": True,
                "items": {"type": "string"},
            },
        }
    (rules,) = fixed["paths"]["/2/tweets/search/stream/rules/counts"]["get"]["parameters"]
    component = _params(fixed)["RulesCountFieldsParameter"]["schema"]["items"]["enum"]
    assert rules["schema"]["items"]["enum"] == component
    assert original == _load("2.167")  # the input is not modified


def test_shipped_overlays_go_stale_once_applied_or_on_other_versions() -> None:
    fixed = apply_overlays(_load("2.167"), SHIPPED).document
    again = apply_overlays(fixed, SHIPPED)
    assert again.document == fixed
    assert len(again.stale) == 14
    for version in ("2.152", "2.157", "2.159"):
        # Older specs carry the same OAuth 2.0 URLs; only those two actions apply.
        result = apply_overlays(_load(version), SHIPPED)
        assert [action.file.name for action in result.applied] == [
            "40-x-consent-page.yaml",
            "50-x-revocation-url.yaml",
        ]
        assert len(result.stale) == 12
        flows = result.document["components"]["securitySchemes"]["OAuth2UserToken"]["flows"]
        flows["authorizationCode"]["authorizationUrl"] = "https://api.x.com/2/oauth2/authorize"
        del flows["authorizationCode"]["x-revocationUrl"]
        assert result.document == _load(version)


def test_shipped_targets_select_the_recorded_nodes_on_every_snapshot() -> None:
    # tests/overlay_selections.json holds what the earlier hand-written JSONPath engine
    # selected for each action, applied in order on each snapshot, as JSON pointers.
    recorded = json.loads(Path("tests/overlay_selections.json").read_text())
    selected: dict[str, dict[str, dict[str, list[str]]]] = {path.name: {} for path in SHIPPED}
    for version in ("2.152", "2.157", "2.159", "2.167"):
        document = _load(version)
        for path in SHIPPED:
            overlay = load_overlay(path)
            for action in overlay.actions:
                nodes = [pointer(*location) for location, _ in action.target.select(document)]
                selected[path.name].setdefault(f"actions/{action.index}", {})[version] = nodes
                document = apply_overlay(document, replace(overlay, actions=(action,))).document
    assert selected == recorded
    counts = [len(nodes) for actions in recorded.values() for nodes in _flat(actions)]
    assert sum(counts) == 25  # over 20 (action, snapshot) pairs that select something


def _flat(actions: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    return [nodes for by_version in actions.values() for nodes in by_version.values()]


def test_shipped_overlays_keep_the_rest_of_2167_intact() -> None:
    original = _load("2.167")
    fixed = apply_overlays(original, SHIPPED).document
    untouched = copy.deepcopy(fixed)
    flows = untouched["components"]["securitySchemes"]["OAuth2UserToken"]["flows"]
    assert flows["authorizationCode"]["authorizationUrl"] == "https://x.com/i/oauth2/authorize"
    flows["authorizationCode"]["authorizationUrl"] = "https://api.x.com/2/oauth2/authorize"
    assert flows["authorizationCode"].pop("x-revocationUrl") == "https://api.x.com/2/oauth2/revoke"
    del untouched["components"]["parameters"]
    del untouched["paths"]
    trimmed = copy.deepcopy(original)
    del trimmed["components"]["parameters"]
    del trimmed["paths"]
    assert untouched == trimmed
    changed_paths = {p for p in original["paths"] if original["paths"][p] != fixed["paths"][p]}
    assert changed_paths == {
        "/2/tweets/counts/all",
        "/2/tweets/counts/recent",
        "/2/tweets/search/stream/rules/counts",
    }


@pytest.mark.parametrize("version", ["2.152", "2.167"])
def test_would_apply_agrees_with_applying_each_shipped_overlay(version: str) -> None:
    document = _load(version)
    before = json.dumps(document, sort_keys=True)
    found = {p.name: would_apply(document, p) for p in SHIPPED}
    assert found == {p.name: bool(apply_overlays(document, [p]).applied) for p in SHIPPED}
    assert any(found.values())
    stripped = copy.deepcopy(DOC)
    assert not any(would_apply(stripped, p) for p in SHIPPED)
    assert json.dumps(document, sort_keys=True) == before  # looked at, never changed
