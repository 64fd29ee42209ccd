"""JSON pointer tokens (RFC 6901): every stage escapes and reads them the same way."""

from __future__ import annotations

import pytest

from generator.pointers import escape, pointer, resolves, unescape


@pytest.mark.parametrize("key", ["plain", "a/b", "a~b", "~1", "~0", "/~", "~01", "", "{id}"])
def test_a_key_survives_escaping_and_reading_back(key: str) -> None:
    assert unescape(escape(key)) == key
    assert "/" not in escape(key)


def test_tokens_are_read_as_the_rfc_says() -> None:
    # `~01` is the key `~1`: `~1` is replaced before `~0`, never after.
    assert unescape("~01") == "~1"
    assert unescape("a~1b~0c") == "a/b~c"
    assert escape("~1") == "~01"


def test_a_pointer_escapes_each_part() -> None:
    assert pointer("paths", "/users/{id}", "get", 0) == "#/paths/~1users~1{id}/get/0"
    assert pointer() == "#/"


def test_a_reference_resolves_only_to_a_place_in_the_document() -> None:
    document = {"a/b": {"~x": [{"c": None}]}, "list": [1]}
    assert resolves(document, "#/a~1b/~0x/0/c")
    assert resolves(document, "#")
    assert resolves(document, "#/a~1b/%7Ex/0/c")  # a URI fragment: percent-decoded
    assert not resolves(document, "#/a~1b/~0x/1")
    assert not resolves(document, "#/a/b")
    assert not resolves(document, "#/list/x")
    assert not resolves(document, "#/list/0/deeper")
