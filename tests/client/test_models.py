"""Typed, tolerant responses: unknown fields kept, unknown enums accepted, oneOf resolved."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import httpx
import pytest


def _event_converter(api: ModuleType) -> Any:
    """The runtime converter of the `Event` union, defined beside its variant classes."""
    return vars(sys.modules[api.models.EventVariant1.__module__])["EVENT"]


def _get(api: ModuleType, body: Any) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    client = api.Client(http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    return client.get_item_by_id("1")


ITEM = {
    "id": "1",
    "name": "first",
    "created_at": "2024-01-02T03:04:05.000Z",
    "kind": "plain",
    "tags": ["a"],
    "owner": {"username": "u", "verified": True},
    "parent": {"id": "0", "name": "root"},
    "scores": {"x": 3},
    "class": "k",
}


def test_fields_are_typed_on_access(mini_api: ModuleType) -> None:
    result = _get(mini_api, {"data": ITEM})
    from mini_api.models import Item, ItemOwner

    item = result.data
    assert isinstance(item, Item)
    assert item.id == "1" and item.name == "first"
    assert item.created_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert isinstance(item.owner, ItemOwner) and item.owner.verified is True
    assert isinstance(item.parent, Item) and item.parent.name == "root"
    assert item.scores == {"x": 3}
    assert item.class_ == "k"
    assert item.note is None
    result.validate()


def test_unknown_fields_and_enum_values_survive(mini_api: ModuleType) -> None:
    body = {"data": {**ITEM, "kind": "brand-new-kind", "new_field": {"n": 1}}, "new_top": 1}
    result = _get(mini_api, body)
    assert result.data.kind == "brand-new-kind"
    assert result.data.extra_fields == {"new_field": {"n": 1}}
    assert result.data["new_field"] == {"n": 1}
    assert result.extra_fields == {"new_top": 1}
    # The known fields around the unknown ones still read back typed.
    from mini_api.models import Item, ItemOwner

    assert isinstance(result.data, Item)
    assert result.data.created_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert isinstance(result.data.owner, ItemOwner) and result.data.owner.username == "u"
    assert isinstance(result.data.parent, Item) and result.data.parent.id == "0"
    assert result.data.tags == ["a"] and result.data.class_ == "k"
    result.validate()  # unknown enum members and fields are not errors


def test_problem_union_is_resolved_by_discriminator(mini_api: ModuleType) -> None:
    from mini_api.models import InvalidProblem, NotFoundProblem

    body = {
        "data": ITEM,
        "errors": [
            {
                "type": "https://api.example.test/problems/not-found",
                "title": "nf",
                "resource_id": "2",
            },
            {"type": "https://api.example.test/problems/invalid", "title": "bad"},
            # the same problem served from another host still resolves by its path
            {"type": "https://other.example/problems/invalid", "title": "elsewhere"},
            {"type": "https://api.example.test/problems/brand-new", "title": "unknown"},
        ],
    }
    errors = _get(mini_api, body).errors
    assert [type(e).__name__ for e in errors] == [
        "NotFoundProblem",
        "InvalidProblem",
        "InvalidProblem",
        "UnlistedKind",
    ]
    assert isinstance(errors[0], NotFoundProblem) and errors[0].resource_id == "2"
    assert isinstance(errors[1], InvalidProblem) and errors[1].title == "bad"
    # A kind the spec does not list is none of the listed ones, and reads what they all have.
    unknown = errors[3]
    assert not isinstance(unknown, NotFoundProblem | InvalidProblem)
    assert isinstance(unknown, mini_api._models.UnlistedKind)
    assert (unknown.title, unknown.detail, unknown["title"]) == ("unknown", None, "unknown")
    with pytest.raises(AttributeError, match=r"'resource_id': .*kind the spec does not list"):
        _ = unknown.resource_id


def test_validate_reports_wrong_shapes(mini_api: ModuleType) -> None:
    from mini_api import ResponseValidationError

    result = _get(mini_api, {"data": {"id": 5, "tags": "notalist", "created_at": "yesterday"}})
    with pytest.raises(ResponseValidationError) as info:
        result.validate()
    problems = info.value.problems
    assert "GetItemByIdResponse.data.id: expected string, got int" in problems
    assert "GetItemByIdResponse.data.name: required field is missing" in problems
    assert "GetItemByIdResponse.data.tags: expected array, got str" in problems
    assert any("created_at: expected an ISO 8601 date-time" in p for p in problems)
    with pytest.raises(AttributeError, match="required field 'name' is missing"):
        _ = result.data.name


def test_untagged_oneof_chooses_by_required_keys(mini_api: ModuleType) -> None:
    from mini_api.models import EventVariant1, EventVariant2

    EVENT = _event_converter(mini_api)

    a = EVENT.load({"data": ITEM})
    b = EVENT.load(
        {"errors": [{"type": "https://api.example.test/problems/invalid", "title": "t"}]}
    )
    assert isinstance(a, EventVariant1) and a.data.name == "first"
    assert isinstance(b, EventVariant2) and type(b.errors[0]).__name__ == "InvalidProblem"


def test_models_compare_and_repr(mini_api: ModuleType) -> None:
    from mini_api.models import Item

    a = Item.from_dict({"id": "1", "name": "n"})
    assert a == Item.from_dict({"id": "1", "name": "n"})
    assert a != Item.from_dict({"id": "2", "name": "n"})
    assert repr(a) == "Item(id='1', name='n')"
    a.name = "changed"
    assert a.to_dict() == {"id": "1", "name": "changed"}


def test_allof_merges_properties(mini_api: ModuleType) -> None:
    from mini_api.models import Owner

    owner = Owner(username="u", display_name="U")
    assert owner.to_dict() == {"display_name": "U", "username": "u"}
    with pytest.raises(TypeError):
        Owner()  # type: ignore[call-arg]  # username is required


def test_validate_requires_an_untagged_oneof_to_fit_one_variant(mini_api: ModuleType) -> None:
    EVENT = _event_converter(mini_api)

    problems: list[str] = []
    EVENT.check({"data": {"id": 5, "name": "n"}}, "Event", problems)
    assert problems[0] == "Event: matches none of the declared variants"
    assert "Event.data.id: expected string, got int" in problems
    fine: list[str] = []
    EVENT.check({"data": {"id": "5", "name": "n"}}, "Event", fine)
    assert fine == []


def test_to_dict_is_a_deep_copy(mini_api: ModuleType) -> None:
    from mini_api.models import Item

    item = Item.from_dict({"id": "1", "tags": ["a"], "owner": {"username": "u"}})
    copy = item.to_dict()
    copy["id"] = "2"
    copy["tags"].append("b")
    copy["owner"]["username"] = "changed"
    assert item.id == "1" and item.tags == ["a"]
    assert item.owner is not None and item.owner.username == "u"
    assert item.to_dict() == {"id": "1", "tags": ["a"], "owner": {"username": "u"}}


def test_to_json_is_compact_in_received_order(mini_api: ModuleType) -> None:
    from mini_api.models import Item

    item = Item.from_dict({"name": "é", "id": "1", "owner": {"verified": True, "username": "u"}})
    assert item.to_json() == '{"name":"é","id":"1","owner":{"verified":true,"username":"u"}}'
    assert item.to_json(indent=1) == (
        '{\n "name": "é",\n "id": "1",\n "owner": {\n  "verified": true,\n  "username": "u"\n }\n}'
    )


def test_repr_is_bounded_and_keeps_the_first_fields(mini_api: ModuleType) -> None:
    from mini_api.models import Item

    big = Item.from_dict(
        {
            "id": "1",
            "name": "n" * 100_000,
            "tags": [str(i) for i in range(100_000)],
            "scores": {str(i): i for i in range(100_000)},
            **{f"extra{i}": i for i in range(1000)},
        }
    )
    text = repr(big)
    assert len(text) <= 200
    assert text.startswith("Item(id='1', name='nnn")
    assert text.endswith(", ...)")
    assert "tags=['0', '1', '2', '3', ...]" in text
    # Nested objects keep the order they came in (reprlib alone would sort their keys).
    nested = Item.from_dict({"owner": {"username": "u", "display_name": "d"}})
    assert repr(nested) == "Item(owner={'username': 'u', 'display_name': 'd'})"


def test_help_shows_each_fields_type_and_description(mini_api: ModuleType) -> None:
    import pydoc

    from mini_api.models import Item

    text = pydoc.render_doc(Item, renderer=pydoc.plaintext)
    assert "name\n |      str: The name shown to users.\n" in text
    assert "owner\n |      ItemOwner | None: Who owns the item.\n" in text
    assert "id\n |      str\n" in text  # no description: the type alone
    assert "kind\n |      Literal['fancy', 'plain'] | str | None\n" in text
    assert Item.name.__doc__ == "str: The name shown to users."


def test_required_narrows_or_names_the_missing_field(mini_api: ModuleType) -> None:
    result = _get(mini_api, {"data": ITEM})
    item = mini_api.required(result.data, "data")
    assert item.name == "first"
    empty = _get(mini_api, {"errors": [{"title": "gone"}]})
    with pytest.raises(mini_api.ResponseValidationError) as info:
        mini_api.required(empty.data, "data")
    assert str(info.value) == "data: missing from the response"
    assert mini_api.required(0, "count") == 0  # only None is missing, not a falsy value


class _Mapping(dict[str, Any]):
    """A dict subclass, as data a caller builds a model from may hold."""


class _Items(list[Any]):
    """A list subclass, likewise."""


def test_objects_held_in_dict_or_list_subclasses_are_read_as_models(mini_api: ModuleType) -> None:
    from mini_api.models import Item, ItemOwner, ItemPage

    item = Item.from_dict({"owner": _Mapping(username="u"), "parent": _Mapping(id="0")})
    assert isinstance(item.owner, ItemOwner) and item.owner.username == "u"
    assert isinstance(item.parent, Item) and item.parent.id == "0"
    page = ItemPage.from_dict({"data": _Items([_Mapping(id="1"), {"id": "2"}, "odd", None])})
    first, second, odd, none = page.data
    assert isinstance(first, Item) and first.id == "1"
    assert isinstance(second, Item) and second.id == "2"
    assert (odd, none) == ("odd", None)  # not objects: as they came


def test_assigning_a_field_stores_its_wire_form(mini_api: ModuleType) -> None:
    from mini_api import _models
    from mini_api.models import Item, ItemOwner

    item = Item.from_dict({"id": "1"})
    item.created_at = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    item.owner = ItemOwner(username="u")
    item.class_ = "k"
    assert item.to_dict() == {
        "id": "1",
        "created_at": "2024-01-02T03:04:05Z",
        "owner": {"username": "u"},
        "class": "k",
    }
    assert item.created_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    # On the class, a field is itself: its wire name and declared type stay readable.
    assert isinstance(Item.class_, _models.Field) and Item.class_.wire == "class"
    assert Item.owner.required is False and Item.id.required is True


def test_fields_pickle_and_copy_as_themselves(mini_api: ModuleType) -> None:
    import copy
    import pickle

    from mini_api.models import Item

    for field in (Item.id, Item.owner, Item.class_):
        for clone in (pickle.loads(pickle.dumps(field)), copy.copy(field), copy.deepcopy(field)):
            assert (clone.wire, clone.name, clone.required, clone.__doc__) == (
                field.wire,
                field.name,
                field.required,
                field.__doc__,
            )


def test_a_date_time_that_does_not_parse_is_returned_as_sent(mini_api: ModuleType) -> None:
    from mini_api.models import Item

    item = Item.from_dict({"id": "1", "name": "n", "created_at": "yesterday"})
    assert item.created_at == "yesterday"  # readable, like any other unforeseen value
    with pytest.raises(mini_api.ResponseValidationError, match="created_at: expected an ISO"):
        item.validate()


def test_an_unlisted_kind_pickles_and_copies_as_itself(mini_api: ModuleType) -> None:
    import copy
    import pickle

    body = {"data": ITEM, "errors": [{"type": "https://elsewhere.test/new", "title": "t"}]}
    (unknown,) = _get(mini_api, body).errors
    for clone in (pickle.loads(pickle.dumps(unknown)), copy.copy(unknown), copy.deepcopy(unknown)):
        assert type(clone) is type(unknown) and clone == unknown
        assert clone.title == "t"  # the shared fields still read
