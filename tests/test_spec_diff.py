"""`generator.evolve.spec_diff`: the real X snapshots, then one tiny inline spec per rule."""

from __future__ import annotations

import copy
import io
import json
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from generator.errors import GeneratorError
from generator.evolve.spec_diff import (
    Change,
    ChangeKind,
    SpecDiff,
    cli_main,
    diff_specs,
    is_breaking,
    render_json,
    render_markdown,
    render_text,
    summary,
)
from generator.pointers import pointer

SPEC_DIR = Path("../shared/spec")
VERSIONS = ("2.152", "2.157", "2.159", "2.167")


@cache
def _load(version: str) -> dict[str, Any]:
    with (SPEC_DIR / f"x-api-v2-{version}.json").open(encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


def snapshot(version: str) -> dict[str, Any]:
    return copy.deepcopy(_load(version))


@cache
def real_diff(old: str, new: str) -> SpecDiff:
    return diff_specs(_load(old), _load(new))


def changes_of(diff: SpecDiff, subject: str) -> list[Change]:
    return [c for c in diff.changes() if c.subject == subject]


def messages(diff: SpecDiff, subject: str) -> list[str]:
    return [c.message for c in changes_of(diff, subject)]


def schema_messages(diff: SpecDiff, name: str) -> list[str]:
    return [c.message for s in diff.schemas_changed if s.name == name for c in s.changes]


def spec(
    paths: dict[str, Any] | None = None,
    schemas: dict[str, Any] | None = None,
    version: str = "1",
    **extra: Any,
) -> dict[str, Any]:
    components: dict[str, Any] = {"schemas": schemas or {}}
    components.update(extra.pop("components", {}))
    return {
        "openapi": "3.0.0",
        "info": {"title": "t", "version": version},
        "paths": paths or {},
        "components": components,
        **extra,
    }


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def get_op(op_id: str, **fields: Any) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": op_id,
        "responses": {"200": {"description": "ok"}},
    }
    op.update(fields)
    return op


def json_response(schema: Any) -> dict[str, Any]:
    return {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}


def json_body(schema: Any, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


STRING = {"type": "string"}


# --------------------------------------------------------------------------------------------
# The real X history
# --------------------------------------------------------------------------------------------


def test_snapshot_steps_count_the_operations_the_spec_readme_lists() -> None:
    counts = {
        (old, new): (len(d.operations_added), len(d.operations_removed))
        for old, new in pairwise(VERSIONS)
        for d in [real_diff(old, new)]
    }
    assert counts == {
        ("2.152", "2.157"): (4, 0),
        ("2.157", "2.159"): (14, 0),
        ("2.159", "2.167"): (19, 4),
    }


def test_2159_to_2167_removes_four_operations_and_names_the_replacement_route() -> None:
    diff = real_diff("2.159", "2.167")
    removed = {op.operation_id: op for op in diff.operations_removed}
    assert sorted(removed) == [
        "createAccountActivityReplayJob",
        "getInsights28Hr",
        "getInsightsHistorical",
        "getUserPublicKeys",
    ]
    public_keys = removed["getUserPublicKeys"]
    assert (public_keys.method, public_keys.path) == ("GET", "/2/users/{id}/public_keys")
    assert public_keys.replaced_by == "getUsersPublicKey"
    assert removed["getInsights28Hr"].replaced_by is None
    assert all(c.breaking for c in diff.changes() if c.kind is ChangeKind.OPERATION_REMOVED)


def test_2159_to_2167_reports_the_six_moved_paths_as_breaking_moves() -> None:
    diff = real_diff("2.159", "2.167")
    moved = {op.operation_id: (op.old_path, op.path) for op in diff.operations_changed if op.moved}
    assert moved == {
        "getChatConversation": (
            "/2/chat/conversations/{conversation_id}",
            "/2/chat/conversations/{id}",
        ),
        "sendChatMessage": (
            "/2/chat/conversations/{conversation_id}/messages",
            "/2/chat/conversations/{id}/messages",
        ),
        "markChatConversationRead": (
            "/2/chat/conversations/{conversation_id}/read",
            "/2/chat/conversations/{id}/read",
        ),
        "sendChatTypingIndicator": (
            "/2/chat/conversations/{conversation_id}/typing",
            "/2/chat/conversations/{id}/typing",
        ),
        "chatMediaDownload": (
            "/2/chat/media/{conversation_id}/{media_hash_key}",
            "/2/chat/media/{id}/{media_hash_key}",
        ),
        "evaluateCommunityNotes": ("/2/evaluate_note", "/2/notes/evaluate"),
    }
    move = next(
        c for c in changes_of(diff, "sendChatMessage") if c.kind is ChangeKind.OPERATION_MOVED
    )
    assert move.breaking
    assert (move.before, move.after) == (
        "POST /2/chat/conversations/{conversation_id}/messages",
        "POST /2/chat/conversations/{id}/messages",
    )
    # The path template's parameter is renamed, not removed and added.
    renamed = [
        c for c in changes_of(diff, "sendChatMessage") if c.kind is ChangeKind.PARAMETER_RENAMED
    ]
    assert [(c.before, c.after, c.breaking) for c in renamed] == [("conversation_id", "id", True)]


def test_2159_to_2167_reports_tweet_to_post_schema_renames() -> None:
    diff = real_diff("2.159", "2.167")
    renames = {r.old: r.new for r in diff.schemas_renamed}
    assert renames["Tweet"] == "Post"
    assert renames["TweetId"] == "PostId"
    assert renames["TweetCreateRequest"] == "CreatePostsRequest"
    assert renames["Get2TweetsIdResponse"] == "GetPostsByIdResponse"
    assert renames["ActivityStreamingResponse"] == "ActivityStreamResponse"
    evidence = {r.old: r.evidence for r in diff.schemas_renamed}
    assert evidence["Tweet"] == "used in the same place by getPostsById"
    # A rename is neither a removal nor an addition, and the name counts add up to the
    # README's: 350 names disappear, 438 appear.
    assert "Tweet" not in diff.schemas_removed
    assert "Post" not in diff.schemas_added
    assert len(diff.schemas_removed) + len(diff.schemas_renamed) == 350
    assert len(diff.schemas_added) + len(diff.schemas_renamed) == 438
    # Schemas that only served the removed operations stay removed.
    assert "Get2Insights28hrResponse" in diff.schemas_removed


def test_2159_to_2167_diffs_renamed_schemas_against_their_old_selves() -> None:
    diff = real_diff("2.159", "2.167")
    post = next(s for s in diff.schemas_changed if s.name == "Post")
    assert post.old_name == "Tweet"
    by_message = {c.message: c for c in post.changes}
    renamed = by_message["property 'referenced_tweets' renamed to 'referenced_posts'"]
    assert renamed.kind is ChangeKind.PROPERTY_RENAMED and renamed.breaking
    assert not by_message["property 'article' added"].breaking
    assert by_message["property 'organic_metrics.like_count' removed"].breaking


def test_2159_to_2167_parameter_rename_and_enum_changes_on_get_posts_by_id() -> None:
    diff = real_diff("2.159", "2.167")
    changes = changes_of(diff, "getPostsById")
    rename = next(c for c in changes if c.kind is ChangeKind.PARAMETER_RENAMED)
    assert (rename.before, rename.after, rename.breaking) == ("tweet.fields", "post.fields", True)
    removed = next(
        c for c in changes if c.kind is ChangeKind.ENUM_VALUE_REMOVED and "post.fields" in c.message
    )
    assert removed.breaking
    assert removed.message.endswith(
        "enum value(s) removed: author_id, edit_history_tweet_ids, in_reply_to_user_id, "
        "note_tweet, referenced_tweets"
    )


def test_2159_to_2167_security_changes() -> None:
    diff = real_diff("2.159", "2.167")
    assert [(c.subject, c.message, c.breaking) for c in diff.security_changes] == [
        ("OAuth2UserToken", "authorizationCode scope broadcast.read added", False),
        ("OAuth2UserToken", "authorizationCode scope broadcast.write added", False),
    ]
    assert "now also accepts UserToken" in messages(diff, "searchNews")
    assert "OAuth2UserToken no longer needs scope(s) dm.read, tweet.read" in messages(
        diff, "createActivitySubscription"
    )


def test_2159_to_2167_is_breaking_and_earlier_steps_have_additions() -> None:
    step = real_diff("2.159", "2.167")
    assert is_breaking(step) and step.is_breaking
    assert summary(step).startswith(
        "2.159 -> 2.167: 19 operations added, 4 removed, 105 changed; 233 schemas added, "
        "145 removed, 205 renamed"
    )
    assert real_diff("2.152", "2.157").has_additions


def test_a_snapshot_against_itself_is_empty() -> None:
    diff = diff_specs(_load("2.167"), snapshot("2.167"))
    assert diff.is_empty
    assert not diff.is_breaking
    assert diff.summary == "2.167 -> 2.167: no changes"


def test_diff_does_not_modify_its_inputs() -> None:
    old, new = snapshot("2.159"), snapshot("2.167")
    diff_specs(old, new)
    assert old == _load("2.159")
    assert new == _load("2.167")


# --------------------------------------------------------------------------------------------
# Operations
# --------------------------------------------------------------------------------------------


def test_operations_added_removed_and_moved_by_operation_id() -> None:
    old = spec({"/a": {"get": get_op("keep")}, "/b": {"get": get_op("gone")}})
    new = spec({"/a2": {"post": get_op("keep")}, "/c": {"get": get_op("fresh")}})
    diff = diff_specs(old, new)
    assert [(o.operation_id, o.method, o.path) for o in diff.operations_added] == [
        ("fresh", "GET", "/c")
    ]
    assert [o.operation_id for o in diff.operations_removed] == ["gone"]
    (moved,) = diff.operations_changed
    assert (moved.old_method, moved.old_path, moved.method, moved.path) == (
        "GET",
        "/a",
        "POST",
        "/a2",
    )
    assert moved.changes[0].message == "moved from 'GET /a' to 'POST /a2'"


def test_extensions_of_the_paths_object_are_not_routes() -> None:
    old = spec({"/a": {"get": get_op("keep")}, "x-root": "/v1"})
    new = spec({"/a": {"get": get_op("keep")}, "x-root": "/v2", "x-new": {"a": 1}})
    diff = diff_specs(old, new)
    assert not diff.operations_added and not diff.operations_removed
    assert not diff.operations_changed


def test_operations_without_operation_id_are_matched_by_route() -> None:
    old = spec({"/a": {"get": {"responses": {"200": {"description": "x"}}}}})
    new = spec({"/a": {"get": {"responses": {"200": {"description": "x"}}, "deprecated": True}}})
    (changed,) = diff_specs(old, new).operations_changed
    assert changed.operation_id == "GET /a"
    assert [(c.kind, c.breaking) for c in changed.changes] == [
        (ChangeKind.OPERATION_DEPRECATED, False)
    ]


def _param(name: str, where: str = "query", **fields: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "schema": fields.pop("schema", STRING), **fields}


def _param_diff(old_params: list[Any], new_params: list[Any]) -> list[tuple[str, bool]]:
    old = spec({"/a": {"get": get_op("op", parameters=old_params)}})
    new = spec({"/a": {"get": get_op("op", parameters=new_params)}})
    return [(c.message, c.breaking) for c in diff_specs(old, new).changes()]


def test_parameter_added_optional_is_not_breaking_required_is() -> None:
    assert _param_diff([], [_param("q")]) == [("query parameter 'q' added", False)]
    assert _param_diff([], [_param("q", required=True)]) == [
        ("required query parameter 'q' added", True)
    ]


def test_parameter_removed_and_required_changes() -> None:
    assert _param_diff([_param("q")], []) == [("query parameter 'q' removed", True)]
    assert _param_diff([_param("q")], [_param("q", required=True)]) == [
        ("query parameter 'q' became required", True)
    ]
    assert _param_diff([_param("q", required=True)], [_param("q")]) == [
        ("query parameter 'q' became optional", False)
    ]


def test_parameter_type_style_and_enum_changes() -> None:
    assert _param_diff([_param("n", schema={"type": "integer"})], [_param("n")]) == [
        ("query parameter 'n': type changed from integer to string", True)
    ]
    listed = {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}
    fewer = {"type": "array", "items": {"type": "string", "enum": ["a", "c"]}}
    assert _param_diff(
        [_param("f", schema=listed, explode=False)], [_param("f", schema=fewer, explode=False)]
    ) == [
        ("query parameter 'f': enum value(s) removed: b", True),
        ("query parameter 'f': enum value(s) added: c", False),
    ]
    assert _param_diff(
        [_param("f", schema=listed, explode=False)], [_param("f", schema=listed)]
    ) == [
        (
            "query parameter 'f' serialisation changed from style=form explode=false "
            "to style=form explode=true",
            True,
        )
    ]


def test_parameter_renamed_in_the_new_vocabulary_and_shared_path_parameters() -> None:
    # Path-level parameters apply to every operation of the path; component refs resolve.
    old = spec(
        {"/u/{user}": {"parameters": [_param("user", "path", required=True)], "get": get_op("op")}},
    )
    old["paths"]["/u/{user}"]["get"]["parameters"] = [{"$ref": "#/components/parameters/TF"}]
    old["components"]["parameters"] = {"TF": _param("tweet.fields")}
    new = spec(
        {
            "/u/{user}": {
                "get": get_op(
                    "op", parameters=[_param("user", "path", required=True), _param("post.fields")]
                )
            }
        }
    )
    assert [(c.kind, c.before, c.after) for c in diff_specs(old, new).changes()] == [
        (ChangeKind.PARAMETER_RENAMED, "tweet.fields", "post.fields")
    ]


def test_request_body_changes() -> None:
    def body_diff(old_body: Any, new_body: Any) -> list[tuple[str, bool]]:
        old_op = get_op("op") if old_body is None else get_op("op", requestBody=old_body)
        new_op = get_op("op") if new_body is None else get_op("op", requestBody=new_body)
        old, new = spec({"/a": {"post": old_op}}), spec({"/a": {"post": new_op}})
        return [(c.message, c.breaking) for c in diff_specs(old, new).changes()]

    assert body_diff(None, json_body(STRING, required=False)) == [("request body added", False)]
    assert body_diff(None, json_body(STRING)) == [("required request body added", True)]
    assert body_diff(json_body(STRING), None) == [("request body removed", True)]
    assert body_diff(json_body(STRING, required=False), json_body(STRING)) == [
        ("request body became required", True)
    ]
    multipart = {"content": {"multipart/form-data": {"schema": STRING}}}
    assert body_diff(json_body(STRING, required=False), multipart) == [
        ("request body: media type application/json removed", True),
        ("request body: media type multipart/form-data added", False),
    ]
    assert body_diff(
        json_body(obj({"a": STRING})), json_body(obj({"a": STRING, "b": STRING}, ["b"]))
    ) == [("request body (application/json): required property 'b' added", True)]


def test_response_changes_are_judged_from_the_receiving_side() -> None:
    def response_diff(old_schema: Any, new_schema: Any) -> list[tuple[str, bool]]:
        old = spec({"/a": {"get": get_op("op", responses=json_response(old_schema))}})
        new = spec({"/a": {"get": get_op("op", responses=json_response(new_schema))}})
        return [(c.message, c.breaking) for c in diff_specs(old, new).changes()]

    prefix = "response 200 (application/json): "
    before = obj({"a": STRING, "b": STRING}, ["a"])
    assert response_diff(before, obj({"a": STRING, "b": STRING, "c": STRING}, ["a", "c"])) == [
        (prefix + "required property 'c' added", False)
    ]
    assert response_diff(before, obj({"a": STRING, "b": STRING})) == [
        (prefix + "property 'a' became optional", True)
    ]
    assert response_diff(before, obj({"a": STRING}, ["a"])) == [
        (prefix + "property 'b' removed", True)
    ]
    with_enum = obj({"s": {"type": "string", "enum": ["x", "y"]}})
    assert response_diff(with_enum, obj({"s": {"type": "string", "enum": ["x"]}})) == [
        (prefix + "enum value(s) removed from 's': y", False)
    ]
    assert response_diff(
        obj({"t": {"type": "string", "format": "date-time"}}), obj({"t": STRING})
    ) == [(prefix + "type of 't' changed from string(date-time) to string", True)]


def test_response_status_codes() -> None:
    ok = {"description": "ok"}
    old = spec({"/a": {"get": get_op("op", responses={"200": ok, "404": ok})}})
    new = spec({"/a": {"get": get_op("op", responses={"201": ok})}})
    assert [(c.message, c.breaking) for c in diff_specs(old, new).changes()] == [
        ("response 200 removed", True),
        ("response 201 added", False),
        ("response 404 removed", False),
    ]


def test_status_codes_read_from_yaml_as_integers_match_json_strings() -> None:
    schema = obj({"a": STRING})
    old = spec({"/a": {"get": get_op("op", responses={200: json_response(schema)["200"]})}})
    new = spec({"/a": {"get": get_op("op", responses=json_response(schema))}})
    assert diff_specs(old, new).is_empty


def test_operation_security_requirements_and_scopes() -> None:
    def security_diff(old_security: Any, new_security: Any) -> list[tuple[str, bool]]:
        old_op, new_op = get_op("op"), get_op("op")
        if old_security is not None:
            old_op["security"] = old_security
        if new_security is not None:
            new_op["security"] = new_security
        old, new = spec({"/a": {"get": old_op}}), spec({"/a": {"get": new_op}})
        return [(c.message, c.breaking) for c in diff_specs(old, new).changes()]

    bearer: dict[str, list[str]] = {"BearerToken": []}
    oauth = {"OAuth2UserToken": ["tweet.read"]}
    assert security_diff([bearer], [bearer, oauth]) == [("now also accepts OAuth2UserToken", False)]
    assert security_diff([bearer, oauth], [oauth]) == [("no longer accepts BearerToken", True)]
    assert security_diff([oauth], [{"OAuth2UserToken": ["tweet.read", "users.read"]}]) == [
        ("OAuth2UserToken now needs scope(s) users.read", True)
    ]
    assert security_diff([{"OAuth2UserToken": ["a", "b"]}], [{"OAuth2UserToken": ["b"]}]) == [
        ("OAuth2UserToken no longer needs scope(s) a", False)
    ]
    assert security_diff(None, [bearer]) == [("now requires authentication (BearerToken)", True)]
    assert security_diff([bearer, oauth], [oauth, bearer]) == []


def test_operation_security_falls_back_to_the_document_default() -> None:
    old = spec({"/a": {"get": get_op("op")}}, security=[{"BearerToken": []}])
    new = spec({"/a": {"get": get_op("op")}}, security=[{"UserToken": []}])
    assert [(c.message, c.breaking) for c in diff_specs(old, new).changes()] == [
        ("no longer accepts BearerToken", True),
        ("now also accepts UserToken", False),
    ]


def test_security_scheme_changes() -> None:
    def oauth(scopes: list[str], token_url: str = "https://x/token") -> dict[str, Any]:
        flow = {"authorizationUrl": "https://x/auth", "tokenUrl": token_url, "scopes": {}}
        flow["scopes"] = {s: s for s in scopes}
        return {"type": "oauth2", "flows": {"authorizationCode": flow}}

    old = spec(components={"securitySchemes": {"O": oauth(["a", "b"]), "Gone": {"type": "http"}}})
    new = spec(
        components={
            "securitySchemes": {
                "O": oauth(["b", "c"], "https://x/token2"),
                "New": {"type": "http", "scheme": "bearer"},
            }
        }
    )
    assert [(c.subject, c.message, c.breaking) for c in diff_specs(old, new).security_changes] == [
        ("Gone", "security scheme removed", True),
        ("New", "security scheme added", True),
        ("O", "authorizationCode tokenUrl changed from https://x/token to https://x/token2", True),
        ("O", "authorizationCode scope a removed", True),
        ("O", "authorizationCode scope c added", False),
    ]


# --------------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------------


def test_component_schema_changes_use_where_the_schema_is_used() -> None:
    paths = {
        "/a": {
            "post": get_op(
                "op", requestBody=json_body(ref("In")), responses=json_response(ref("Out"))
            )
        }
    }
    old = spec(paths, {"In": obj({"a": STRING}), "Out": obj({"a": STRING}), "Free": obj({})})
    new = spec(
        paths,
        {
            "In": obj({"a": STRING, "b": STRING}, ["b"]),
            "Out": obj({"a": STRING, "b": STRING}, ["b"]),
            "Free": obj({"b": STRING}, ["b"]),
        },
    )
    diff = diff_specs(old, new)
    found = {(c.subject, c.message): c.breaking for c in diff.changes()}
    assert found == {
        ("Free", "required property 'b' added"): True,  # unused: judged strictly
        ("In", "required property 'b' added"): True,  # sent by clients
        ("Out", "required property 'b' added"): False,  # only received
    }


def test_schema_added_removed_and_type_changes() -> None:
    old = spec(schemas={"Gone": STRING, "Same": obj({"n": {"type": "integer"}})})
    new = spec(schemas={"Fresh": obj({"z": STRING}), "Same": obj({"n": STRING})})
    diff = diff_specs(old, new)
    assert diff.schemas_added == ("Fresh",)
    assert diff.schemas_removed == ("Gone",)
    assert messages(diff, "Same") == ["type of 'n' changed from integer to string"]


def test_rename_by_structure_and_the_new_vocabulary() -> None:
    old = spec(
        schemas={
            "TweetId": {"type": "string", "pattern": "^[0-9]+$", "description": "Tweet id"},
            "TweetThing": obj({"id": ref("TweetId")}),
            "Unrelated": obj({"q": {"type": "integer"}}),
        }
    )
    new = spec(
        schemas={
            "PostId": {"type": "string", "pattern": "^[0-9]+$", "description": "Post id"},
            "PostThing": obj({"id": ref("PostId"), "extra": STRING}),
            "Other": obj({"q": {"type": "integer"}}),
        }
    )
    diff = diff_specs(old, new)
    assert [(r.old, r.new, r.evidence) for r in diff.schemas_renamed] == [
        ("TweetId", "PostId", "same structure"),
        ("TweetThing", "PostThing", "same name with Tweet -> Post"),
    ]
    # Equal structure alone, with unrelated names, is not a rename.
    assert diff.schemas_removed == ("Unrelated",)
    assert diff.schemas_added == ("Other",)
    # The renamed schema is diffed against its old self.
    assert schema_messages(diff, "PostThing") == ["property 'extra' added"]


def test_rename_by_place_in_the_same_operation() -> None:
    old = spec(
        {"/a": {"get": get_op("op", responses=json_response(ref("Get2AResponse")))}},
        {"Get2AResponse": obj({"data": ref("Tweet")}), "Tweet": obj({"text": STRING})},
    )
    new = spec(
        {"/a": {"get": get_op("op", responses=json_response(ref("GetAResponse")))}},
        {
            "GetAResponse": obj({"data": ref("Message")}),
            "Message": obj({"text": STRING, "lang": STRING}),
        },
    )
    diff = diff_specs(old, new)
    assert [(r.old, r.new, r.evidence) for r in diff.schemas_renamed] == [
        ("Get2AResponse", "GetAResponse", "used in the same place by op"),
        ("Tweet", "Message", "used in the same place by op"),
    ]
    # A rename leaves the operation unchanged; the new property is reported on the schema.
    assert diff.operations_changed == ()
    assert schema_messages(diff, "Message") == ["property 'lang' added"]
    assert [c.breaking for c in diff.changes() if c.kind is ChangeKind.SCHEMA_RENAMED] == [
        True,
        True,
    ]


def test_reference_swapped_for_an_unrelated_model_is_a_type_change() -> None:
    schemas = {"A": obj({"x": STRING}), "B": obj({"y": STRING})}
    old = spec({"/a": {"get": get_op("op", responses=json_response(ref("A")))}}, schemas)
    new = spec({"/a": {"get": get_op("op", responses=json_response(ref("B")))}}, schemas)
    assert messages(diff_specs(old, new), "op") == [
        "response 200 (application/json): type changed from A to B"
    ]


def test_wrappers_and_inlined_aliases_are_not_changes() -> None:
    old = spec(
        schemas={
            "Id": {"type": "string"},
            "Kind": {"type": "string", "enum": ["a", "b"]},
            "T": obj(
                {"id": ref("Id"), "kind": ref("Kind"), "tags": {"type": "array", "items": STRING}}
            ),
        }
    )
    new = spec(
        schemas={
            "Id": {"type": "string"},
            "Kind": {"type": "string", "enum": ["a", "b"]},
            "T": obj(
                {
                    "id": STRING,  # the alias inlined
                    "kind": {"oneOf": [ref("Kind")], "description": "wrapped for a description"},
                    "tags": {"allOf": [{"type": "array", "items": STRING}]},
                }
            ),
        }
    )
    assert diff_specs(old, new).is_empty


def test_all_of_properties_are_compared_as_one_object() -> None:
    base = obj({"id": STRING}, ["id"])
    old = spec(schemas={"Base": base, "T": {"allOf": [ref("Base"), obj({"a": STRING})]}})
    new = spec(schemas={"Base": base, "T": {"allOf": [ref("Base"), obj({"b": STRING})]}})
    assert messages(diff_specs(old, new), "T") == [
        "property 'a' removed",
        "property 'b' added",
    ]


def test_one_of_variants() -> None:
    old = spec(schemas={"U": {"oneOf": [STRING, {"type": "integer"}]}})
    new = spec(schemas={"U": {"oneOf": [STRING, {"type": "boolean"}]}})
    assert [(c.message, c.breaking) for c in diff_specs(old, new).changes()] == [
        ("oneOf variant integer removed", True),
        ("oneOf variant boolean added", True),
    ]


def test_recursive_schemas_terminate() -> None:
    node = obj({"children": {"type": "array", "items": ref("Node")}})
    grown = obj({"children": {"type": "array", "items": ref("Node")}, "name": STRING})
    diff = diff_specs(spec(schemas={"Node": node}), spec(schemas={"Node": grown}))
    assert messages(diff, "Node") == ["property 'name' added"]


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


def test_dangling_ref_names_the_document_and_the_pointer() -> None:
    bad = spec({"/a/{b}": {"get": get_op("op", responses=json_response(ref("Missing")))}})
    with pytest.raises(GeneratorError) as caught:
        diff_specs(spec(), bad, new_origin="new.json")
    assert str(caught.value) == (
        "new.json:#/paths/~1a~1{b}/get/responses/200/content/application~1json/schema/$ref: "
        "dangling $ref '#/components/schemas/Missing'"
    )


def test_duplicate_operation_id_is_an_error() -> None:
    bad = spec({"/a": {"get": get_op("op")}, "/b": {"get": get_op("op")}})
    with pytest.raises(GeneratorError, match=r"old\.yaml:#/paths/~1b/get/operationId: duplicate"):
        diff_specs(bad, spec(), old_origin="old.yaml")


def test_paths_must_be_an_object() -> None:
    with pytest.raises(GeneratorError, match=r"^s:#/paths: must be an object$"):
        diff_specs({"paths": []}, spec(), old_origin="s")


# --------------------------------------------------------------------------------------------
# Output formats
# --------------------------------------------------------------------------------------------


def _small_diff() -> SpecDiff:
    old = spec(
        {"/a": {"get": get_op("op", parameters=[_param("q")])}, "/gone": {"get": get_op("gone")}},
        {"Tweet": obj({"t": STRING})},
        version="1.0",
    )
    new = spec(
        {
            "/a": {"get": get_op("op", parameters=[_param("q", required=True)])},
            "/new": {"get": get_op("fresh")},
        },
        {"Post": obj({"t": STRING})},
        version="2.0",
    )
    return diff_specs(old, new)


def test_render_text() -> None:
    assert render_text(_small_diff()) == (
        "spec diff 1.0 -> 2.0: 1 operation added, 1 removed, 1 changed; 1 schema renamed "
        "(3 breaking changes)\n"
        "(! breaking, + added, ~ other change)\n"
        "\n"
        "Operations removed (1)\n"
        "  ! gone: GET /gone\n"
        "\n"
        "Operations added (1)\n"
        "  + fresh: GET /new\n"
        "\n"
        "Operations changed (1)\n"
        "  op: GET /a\n"
        "    ! query parameter 'q' became required\n"
        "\n"
        "Schemas renamed (1)\n"
        "  ! Tweet -> Post (same structure)\n"
    )


def test_render_json_round_trips_the_diff() -> None:
    data = json.loads(render_json(_small_diff()))
    assert data["old_version"] == "1.0" and data["new_version"] == "2.0"
    assert data["breaking"] is True and data["breaking_changes"] == 3
    assert data["operations"]["removed"] == [
        {"operation_id": "gone", "method": "GET", "path": "/gone"}
    ]
    assert data["operations"]["changed"][0]["changes"] == [
        {
            "kind": "parameter-became-required",
            "subject": "op",
            "location": "q",
            "message": "query parameter 'q' became required",
            "breaking": True,
            "security": False,
        }
    ]
    assert data["schemas"]["renamed"] == [
        {"old": "Tweet", "new": "Post", "evidence": "same structure"}
    ]


def test_render_markdown() -> None:
    text = render_markdown(_small_diff())
    assert text.startswith("# Spec diff `1.0` → `2.0`\n\n`1.0` -> `2.0`: 1 operation added")
    assert "## Operations removed (1)\n\n- **breaking** `gone`: `GET /gone`\n" in text
    assert "### `op`: `GET /a`\n\n- **breaking** query parameter `q` became required\n" in text
    assert "- **breaking** `Tweet` → `Post` (same structure)\n" in text


# --------------------------------------------------------------------------------------------
# sdkgen diff
# --------------------------------------------------------------------------------------------


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_cli_on_the_real_breaking_step() -> None:
    old = str(SPEC_DIR / "x-api-v2-2.159.json")
    new = str(SPEC_DIR / "x-api-v2-2.167.json")
    code, out, err = _run(old, new, "--fail-on-breaking")
    assert (code, err) == (1, "")
    assert out.startswith("spec diff 2.159 -> 2.167: 19 operations added, 4 removed")
    code, out, _ = _run(old, new, "--format", "json")
    assert code == 0
    assert len(json.loads(out)["operations"]["removed"]) == 4


def test_cli_non_breaking_change_exits_zero_with_the_flag(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    new = tmp_path / "new.json"
    old.write_text("openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n")
    new.write_text(json.dumps(spec({"/a": {"get": get_op("op")}}, version="2")))
    code, out, err = _run(str(old), str(new), "--fail-on-breaking", "--format", "markdown")
    assert (code, err) == (0, "")
    assert "## Operations added (1)\n\n- `op`: `GET /a`\n" in out


def test_cli_invalid_json_names_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "openapi": "3.0.0",\n  "paths": {,}\n}\n')
    code, out, err = _run(str(bad), str(bad))
    assert (code, out) == (2, "")
    reason = "invalid JSON: Expecting property name enclosed in double quotes"
    assert err == f"sdkgen: error: {bad}:3:13: {reason}\n"


def test_cli_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("openapi: 3.0.0\npaths: {}\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: 3.0.0\npaths:\n  - [unclosed\n")
    code, _, err = _run(str(good), str(bad))
    assert code == 2
    assert err.startswith(f"sdkgen: error: {bad}:4:1: invalid YAML: ")
    assert err.count("\n") == 1
    code, _, err = _run(str(tmp_path / "nope.json"), str(good))
    assert code == 2
    assert (
        err == f"sdkgen: error: {tmp_path / 'nope.json'}: cannot read: No such file or directory\n"
    )


def test_cli_dangling_ref_exits_two(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(spec()))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(spec(schemas={"A": ref("Nope")})))
    code, _, err = _run(str(good), str(bad))
    assert code == 2
    where = "#/components/schemas/A/$ref"
    assert err == f"sdkgen: error: {bad}:{where}: dangling $ref '#/components/schemas/Nope'\n"


def test_cli_usage_error_exits_two() -> None:
    code, _, _ = _run("only-one-argument")
    assert code == 2
    code, _, _ = _run("a", "b", "--format", "xml")
    assert code == 2


# --------------------------------------------------------------------------------------------
# Where calls and credentials go: breaking and security-relevant
# --------------------------------------------------------------------------------------------


def _server_changes(old_servers: Any, new_servers: Any) -> list[tuple[str, str]]:
    old = spec(servers=old_servers) if old_servers is not None else spec()
    new = spec(servers=new_servers) if new_servers is not None else spec()
    diff = diff_specs(old, new)
    assert all(c.breaking and c.security for c in diff.changes())
    return [(str(c.kind), c.message) for c in diff.changes()]


def test_a_spec_that_only_moves_every_call_to_another_host_is_breaking(tmp_path: Path) -> None:
    old = spec(servers=[{"url": "https://api.x.com"}])
    new = spec(servers=[{"url": "https://collector.example"}])
    diff = diff_specs(old, new)
    assert not diff.is_empty and diff.is_breaking
    assert diff.summary == "1 -> 1: 1 server change (1 breaking change, 1 security-relevant)"
    [change] = diff.security_relevant
    assert (change.kind, change.subject, change.before, change.after) == (
        ChangeKind.SERVER_CHANGED,
        "servers",
        "https://api.x.com",
        "https://collector.example",
    )
    assert change.message == (
        "default server changed from 'https://api.x.com' to 'https://collector.example'"
    )
    text = render_text(diff)
    assert "(! breaking, + added, ~ other change; [security] where calls or credentials go)" in text
    assert (
        "Security-relevant changes: review these first (1)\n"
        "  ! [security] servers: default server changed from 'https://api.x.com' to "
        "'https://collector.example'\n" in text
    )
    data = json.loads(render_json(diff))
    assert data["security_relevant_changes"] == 1
    assert (
        data["servers"]
        == data["security_relevant"]
        == [
            {
                "kind": "default-server-changed",
                "subject": "servers",
                "location": "servers",
                "message": change.message,
                "breaking": True,
                "security": True,
                "before": "https://api.x.com",
                "after": "https://collector.example",
            }
        ]
    )
    markdown = render_markdown(diff)
    assert (
        "## Security-relevant changes: review these first (1)\n\n- **breaking** **security** "
        "`servers`: default server changed from `https://api.x.com` to "
        "`https://collector.example`\n" in markdown
    )
    old_file, new_file = tmp_path / "old.json", tmp_path / "new.json"
    old_file.write_text(json.dumps(old))
    new_file.write_text(json.dumps(new))
    assert _run(str(old_file), str(new_file))[0] == 0
    assert _run(str(old_file), str(new_file), "--fail-on-breaking")[0] == 1


def test_server_lists_added_removed_reordered_and_variables() -> None:
    a, b, c = ({"url": f"https://{h}.example"} for h in "abc")
    assert _server_changes([a], [a, b]) == [("server-added", "server 'https://b.example' added")]
    assert _server_changes([a, b], [a]) == [
        ("server-removed", "server 'https://b.example' removed")
    ]
    assert _server_changes([a, b], [b, a]) == [
        (
            "default-server-changed",
            "default server changed from 'https://a.example' to 'https://b.example'",
        )
    ]
    assert _server_changes([a, b], [c, b]) == [
        (
            "default-server-changed",
            "default server changed from 'https://a.example' to 'https://c.example'",
        )
    ]
    assert _server_changes(None, [a]) == [("server-added", "server 'https://a.example' added")]
    templated = {"url": "https://{host}/2", "variables": {"host": {"default": "api.x.com"}}}
    moved = {"url": "https://{host}/2", "variables": {"host": {"default": "x.example"}}}
    assert _server_changes([templated], [moved]) == [
        (
            "default-server-changed",
            "default server changed from 'https://api.x.com/2' to 'https://x.example/2'",
        )
    ]
    assert _server_changes([templated], [{"url": "https://api.x.com/2"}]) == []


def test_path_and_operation_servers_are_compared_per_operation() -> None:
    home = [{"url": "https://api.x.com"}]
    elsewhere = [{"url": "https://upload.example"}]

    def ops_diff(old_item: dict[str, Any], new_item: dict[str, Any]) -> list[tuple[str, str]]:
        old = spec({"/a": {"get": get_op("op"), **old_item}}, servers=home)
        new = spec({"/a": {"get": get_op("op"), **new_item}}, servers=home)
        diff = diff_specs(old, new)
        assert all(c.breaking and c.security for c in diff.changes())
        assert diff.server_changes == ()
        return [(c.subject, c.message) for c in diff.changes()]

    moved = [("op", "default server changed from 'https://api.x.com' to 'https://upload.example'")]
    assert ops_diff({}, {"servers": elsewhere}) == moved
    assert ops_diff({}, {"get": get_op("op", servers=elsewhere)}) == moved
    back = [("op", "default server changed from 'https://upload.example' to 'https://api.x.com'")]
    assert ops_diff({"servers": elsewhere}, {}) == back
    # An operation's own servers win over its path's.
    both = {"servers": home, "get": get_op("op", servers=elsewhere)}
    assert ops_diff(both, {"servers": home}) == back
    # The same place, spelled out: no change.
    assert ops_diff({}, {"servers": home}) == []


def test_oauth_urls_and_security_scheme_changes_are_breaking_and_security_relevant() -> None:
    def oauth(**flow: Any) -> dict[str, Any]:
        base = {"authorizationUrl": "https://x/auth", "tokenUrl": "https://x/token"}
        return {"type": "oauth2", "flows": {"authorizationCode": {**base, **flow}}}

    def scheme_changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, bool, bool]]:
        diff = diff_specs(
            spec(components={"securitySchemes": old}), spec(components={"securitySchemes": new})
        )
        return [(c.message, c.breaking, c.security) for c in diff.changes()]

    assert scheme_changes({"O": oauth()}, {"O": oauth(authorizationUrl="https://evil/auth")}) == [
        (
            "authorizationCode authorizationUrl changed from https://x/auth to https://evil/auth",
            True,
            True,
        )
    ]
    assert scheme_changes({"O": oauth()}, {"O": oauth(refreshUrl="https://evil/refresh")}) == [
        ("authorizationCode refreshUrl changed from None to https://evil/refresh", True, True)
    ]
    revoke = "https://x/revoke"
    assert scheme_changes(
        {"O": oauth(**{"x-revocationUrl": revoke})},
        {"O": oauth(**{"x-revocationUrl": "https://evil/revoke"})},
    ) == [
        (
            "authorizationCode x-revocationUrl changed from https://x/revoke to "
            "https://evil/revoke",
            True,
            True,
        )
    ]
    key = {"type": "apiKey", "in": "header", "name": "X-Key"}
    assert scheme_changes({"K": key}, {"K": {**key, "in": "query"}}) == [
        ("in changed from header to query", True, True)
    ]
    assert scheme_changes({"K": key}, {"K": {**key, "name": "X-Other"}}) == [
        ("name changed from X-Key to X-Other", True, True)
    ]
    assert scheme_changes({"K": key}, {"K": key, "B": {"type": "http", "scheme": "basic"}}) == [
        ("security scheme added", True, True)
    ]
    implicit = {"authorizationUrl": "https://evil/auth", "scopes": {}}
    with_implicit = oauth()
    with_implicit["flows"]["implicit"] = implicit
    assert scheme_changes({"O": oauth()}, {"O": with_implicit}) == [
        ("OAuth flow implicit added", True, True)
    ]
    assert scheme_changes(
        {"O": oauth(scopes={"a": "", "b": ""})}, {"O": oauth(scopes={"b": ""})}
    ) == [("authorizationCode scope a removed", True, True)]
    # A new scope is neither: it changes nothing an existing client sends.
    assert scheme_changes({"O": oauth(scopes={})}, {"O": oauth(scopes={"c": ""})}) == [
        ("authorizationCode scope c added", False, False)
    ]


def test_security_relevant_changes_lead_the_changelog() -> None:
    from generator.evolve.changelog import changelog_section

    diff = diff_specs(
        spec(servers=[{"url": "https://api.x.com"}], version="1"),
        spec(servers=[{"url": "https://collector.example"}], version="2"),
    )
    section = changelog_section(diff, "1", "2", "2.0.0")
    assert (
        "### Where calls and credentials go (review these)\n\n- `servers`: default server "
        "changed from `https://api.x.com` to `https://collector.example`\n" in section
    )


# --------------------------------------------------------------------------------------------
# Hostile spec text in the output
# --------------------------------------------------------------------------------------------

EVIL = "x`y <script>alert(1)</script> [x](http://evil)\n# Owned *now*\x1b[2J"


def _hostile_pair() -> tuple[dict[str, Any], dict[str, Any]]:
    enum_param = {"name": EVIL, "in": "query", "schema": {"type": "string", "enum": [EVIL, "a"]}}
    old = spec(
        {
            f"/gone/{EVIL}": {"get": get_op(f"gone{EVIL}", description=EVIL)},
            "/a": {"get": get_op(f"op{EVIL}", parameters=[enum_param], summary=EVIL)},
        },
        {f"Old{EVIL}": obj({EVIL: STRING}), "Kept": obj({EVIL: STRING, "k": STRING})},
        version=f"1{EVIL}",
        servers=[{"url": f"https://api.x.com/{EVIL}"}],
        components={"securitySchemes": {EVIL: {"type": "http", "scheme": EVIL}}},
    )
    new_param = {**enum_param, "required": True, "schema": {"type": "string", "enum": ["a"]}}
    new = spec(
        {
            f"/new/{EVIL}": {"get": get_op(f"new{EVIL}", description=EVIL)},
            "/a": {"get": get_op(f"op{EVIL}", parameters=[new_param])},
        },
        {f"New{EVIL}": {"type": "integer"}, "Kept": obj({"k": {"type": "integer"}})},
        version=f"2{EVIL}",
        servers=[{"url": f"https://evil.example/{EVIL}"}],
        components={"securitySchemes": {f"{EVIL}2": {"type": "apiKey"}}},
    )
    return old, new


def _outside_code_spans(line: str) -> str:
    """The line with its CommonMark code spans cut out (a run of n backticks to the next run
    of exactly n)."""
    out, i = [], 0
    while i < len(line):
        if line[i] != "`":
            out.append(line[i])
            i += 1
            continue
        run = len(line[i:]) - len(line[i:].lstrip("`"))
        close = i + run
        while True:
            close = line.find("`" * run, close)
            if close < 0:
                raise AssertionError(f"unclosed code span in {line!r}")
            after = len(line[close:]) - len(line[close:].lstrip("`"))
            if after == run:
                break
            close += after
        i = close + run
    return "".join(out)


def _assert_inert(markdown: str, headings: tuple[str, ...]) -> None:
    for line in markdown.splitlines():
        bare = _outside_code_spans(line)
        assert "<script" not in bare and "](" not in bare and "\x1b" not in line, line
        assert (
            "<" not in bare
            or bare.strip() in {"<details>", "</details>"}
            or bare.startswith("<summary>")
        ), line
        if line.startswith("#"):
            assert line.startswith(headings), line
        # Every line is one the renderer started: a heading, an item, a paragraph it writes.
        assert not line or line.startswith(("#", "- ", "  - ", "<", "`", "Generated", "Spec")), line


def test_hostile_names_show_literally_in_markdown() -> None:
    diff = diff_specs(*_hostile_pair())
    markdown = render_markdown(diff)
    _assert_inert(markdown, ("# Spec diff ", "## ", "### `"))
    flat = " ".join(EVIL.split()).replace("\x1b", "\\x1b")
    # Each name is one code span on the line of its item, and reads as written.
    assert f"- **breaking** ``gone{flat}``: ``GET /gone/{flat}``" in markdown
    assert f"### ``op{flat}``: `GET /a`" in markdown
    assert f"query parameter ``{flat}`` became required" in markdown
    assert f"- **breaking** **security** ``{flat}``: security scheme removed" in markdown
    # The same words in plain text keep the terminal safe.
    text = render_text(diff)
    assert "\x1b" not in text and "\\x1b[2J" in text
    assert all(not line.startswith("# ") for line in text.splitlines())


def test_hostile_names_show_literally_in_the_changelog() -> None:
    from generator.evolve.changelog import changelog_section

    diff = diff_specs(*_hostile_pair())
    section = changelog_section(
        diff, diff.old_version, diff.new_version, "2.0.0", method_name=lambda name: name
    )
    _assert_inert(section, ("## 2.0.0 — X API spec ``2", "### ", "#### "))
    flat = " ".join(EVIL.split()).replace("\x1b", "\\x1b")
    assert f"- ``client.gone{flat}()`` (``GET /gone/{flat}``) was removed from the API." in section


# --------------------------------------------------------------------------------------------
# Hostile documents: a one-line error or a diff, never a traceback
# --------------------------------------------------------------------------------------------


def _rich_spec() -> dict[str, Any]:
    """A small document with a bit of everything, no node shared with another call's."""
    return copy.deepcopy(_rich_parts())


def _rich_parts() -> dict[str, Any]:
    tag = obj({"name": STRING, "child": ref("Tag")})
    item = obj(
        {
            "id": STRING,
            "kind": {"type": "string", "enum": ["a", "b"]},
            "tags": {"type": "array", "items": ref("Tag")},
            "any": {"oneOf": [ref("Tag"), {"type": "integer"}]},
        },
        ["id"],
    )
    fields = {"name": "f", "in": "query", "style": "form", "explode": False, "schema": STRING}
    item_path = {
        "servers": [{"url": "https://{h}/2", "variables": {"h": {"default": "api.x.com"}}}],
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": STRING}],
        "get": get_op(
            "getItem",
            parameters=[{"$ref": "#/components/parameters/Fields"}],
            security=[{"OAuth": ["item.read"]}],
            responses={**json_response(ref("Item")), "404": {"$ref": "#/components/responses/NF"}},
        ),
        "put": get_op(
            "putItem",
            servers=[{"url": "https://upload.x.com"}],
            requestBody=json_body({"allOf": [ref("Item"), obj({"extra": STRING})]}),
        ),
    }
    flow = {"authorizationUrl": "https://x/a", "tokenUrl": "https://x/t", "scopes": {"r": ""}}
    return spec(
        {"/items/{id}": item_path},
        {"Item": item, "Tag": tag},
        servers=[{"url": "https://api.x.com"}],
        security=[{"Bearer": []}],
        components={
            "parameters": {"Fields": fields},
            "responses": {"NF": {"description": "nf", "content": {"application/json": {}}}},
            "securitySchemes": {
                "Bearer": {"type": "http", "scheme": "bearer"},
                "OAuth": {"type": "oauth2", "flows": {"authorizationCode": flow}},
            },
        },
    )


def _places(node: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [path] if path else []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    for key, value in items:
        found.extend(_places(value, (*path, key)))
    return found


def test_every_node_swapped_for_a_wrong_kind_gives_a_diff_or_a_one_line_error() -> None:
    results = {"diff": 0, "error": 0}
    cycles = 0
    for path in _places(_rich_spec()):
        wrong: tuple[Any, ...] = (None, "text", 3, [1], {"$ref": "#"}, {1: {}})
        for value in (*wrong, {"$ref": pointer(*path)}):
            bad = _rich_spec()
            parent: Any = bad
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = value
            for old, new in ((_rich_spec(), bad), (bad, _rich_spec())):
                try:
                    diff = diff_specs(old, new, old_origin="old.json", new_origin="new.json")
                except GeneratorError as exc:
                    message = str(exc)
                    assert "\n" not in message
                    origin = "new.json" if new is bad else "old.json"
                    assert message.startswith(f"{origin}:#"), message
                    cycles += "circular $ref" in message
                    results["error"] += 1
                    continue
                render_text(diff), render_json(diff), render_markdown(diff)
                results["diff"] += 1
    assert results["diff"] > 1000 and results["error"] > 100
    assert cycles > 50  # every self-reference is refused where it stands


def test_self_referencing_refs_and_nodes_are_errors_with_their_pointer() -> None:
    looped = spec(schemas={"A": ref("B"), "B": ref("A")})
    with pytest.raises(GeneratorError) as caught:
        diff_specs(spec(), looped, new_origin="new.json")
    assert str(caught.value) == (
        "new.json:#/components/schemas/A/$ref: circular $ref chain through '#/components/schemas/B'"
    )
    itself = spec()
    loop: list[Any] = []
    loop.append(loop)
    itself["x-loop"] = loop
    with pytest.raises(GeneratorError, match=r"^new\.json:#/x-loop/0: the node contains itself$"):
        diff_specs(spec(), itself, new_origin="new.json")
    deep: dict[str, Any] = STRING
    for _ in range(70):
        deep = obj({"p": deep})
    with pytest.raises(GeneratorError, match=r"^new\.json:#/components/schemas/Deep/.*: nested"):
        diff_specs(spec(), spec(schemas={"Deep": deep}), new_origin="new.json")


def test_yaml_number_keys_are_read_as_text() -> None:
    old = spec(components={"securitySchemes": {"O": {"type": "oauth2", "flows": {1: {}, "a": {}}}}})
    new = spec(components={"securitySchemes": {"O": {"type": "oauth2", "flows": {"a": {}}}}})
    assert [c.message for c in diff_specs(old, new).changes()] == ["OAuth flow 1 removed"]


def test_cli_reports_a_ref_cycle_in_one_line(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(spec()))
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a: {$ref: '#/paths/~1a'}\n"
    )
    code, out, err = _run(str(good), str(bad))
    assert (code, out) == (2, "")
    assert err == (f"sdkgen: error: {bad}:#/paths/~1a: a reference cycle through '#/paths/~1a'\n")
