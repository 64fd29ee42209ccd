"""JSON pointers (RFC 6901): the places errors name, and what `$ref`s point to."""

from __future__ import annotations


def escape(key: str | int) -> str:
    """One key as a pointer token: `~` and `/` are the two characters a token escapes."""
    return str(key).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """The key a pointer token names (`~1` before `~0`, so `~01` stays `~1`)."""
    return token.replace("~1", "/").replace("~0", "~")


def pointer(*parts: str | int) -> str:
    """A pointer to a place in the spec, as errors show it: `#/paths/~1users/get`."""
    return "#/" + "/".join(escape(p) for p in parts)
