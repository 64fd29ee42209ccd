"""JSON pointers (RFC 6901): the places errors name, and what `$ref`s point to."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote


def escape(key: str | int) -> str:
    """One key as a pointer token: `~` and `/` are the two characters a token escapes."""
    return str(key).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """The key a pointer token names (`~1` before `~0`, so `~01` stays `~1`)."""
    return token.replace("~1", "/").replace("~0", "~")


def pointer(*parts: str | int) -> str:
    """A pointer to a place in the spec, as errors show it: `#/paths/~1users/get`."""
    return "#/" + "/".join(escape(p) for p in parts)


def resolves(document: Any, ref: str) -> bool:
    """Whether the local reference `ref` (`#/a/b`, or `#` for the whole) names a place in
    `document`. It is a URI fragment, so it is percent-decoded first (`%7Bid%7D` is `{id}`)."""
    ref = unquote(ref)
    node = document
    for token in ref[2:].split("/") if ref != "#" else []:
        key = unescape(token)
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return False
    return True
