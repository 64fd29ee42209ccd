"""Where things sit in a TOML text, as 1-based (line, column), so messages can name file:line:col.

tomllib gives values but no positions. `key_positions` walks a document tomllib has already
accepted and records where each table header and key starts; it only has to skip values
correctly, not understand them. `split_error_position` takes the position out of a
`TOMLDecodeError` message.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from collections.abc import Iterator
from typing import Final

__all__ = ["KeyPath", "Position", "key_positions", "split_error_position"]

KeyPath = tuple[str, ...]
Position = tuple[int, int]

_ERROR_POSITION: Final = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_BARE_KEY: Final = re.compile(r"[A-Za-z0-9_-]+")


def split_error_position(message: str) -> tuple[str, Position | None]:
    """A tomllib error message without its trailing "(at line L, column C)", and that position."""
    match = _ERROR_POSITION.search(message)
    if not match:
        return message, None
    return message[: match.start()], (int(match[1]), int(match[2]))


def key_positions(text: str) -> dict[KeyPath, Position]:
    """The position of every table and key of a valid document, by full dotted path.

    A dotted key or header also gives its position to each of its prefixes that has none yet.
    """
    line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]

    def position(index: int) -> Position:
        line = bisect.bisect_right(line_starts, index)
        return line, index - line_starts[line - 1] + 1

    found: dict[KeyPath, Position] = {}
    table: KeyPath = ()
    for index, path, is_header in _scan_keys(text):
        full = path if is_header else table + path
        if is_header:
            table = path
        for end in range(1, len(full) + 1):
            found.setdefault(full[:end], position(index))
    return found


def _scan_keys(text: str) -> Iterator[tuple[int, KeyPath, bool]]:
    """(start index, key path, is a table header) for each header and each `key = value` line."""
    i, n = 0, len(text)
    while True:
        i = _skip_blank(text, i, newlines=True)
        if i >= n:
            return
        start = i
        if text[i] == "[":
            i += 2 if text.startswith("[[", i) else 1
            path, i = _read_key(text, i)
            i = text.find("\n", i)
            yield start, path, True
            if i < 0:
                return
            continue
        path, i = _read_key(text, i)
        if not path:  # cannot happen in a valid document; never loop forever
            i += 1
            continue
        yield start, path, False
        i = _skip_blank(text, i, newlines=False)
        if i < n and text[i] == "=":
            i = _skip_value(text, _skip_blank(text, i + 1, newlines=False))


def _skip_blank(text: str, i: int, *, newlines: bool) -> int:
    n = len(text)
    while i < n:
        c = text[i]
        if c in " \t" or (newlines and c in "\r\n"):
            i += 1
        elif c == "#" and newlines:
            end = text.find("\n", i)
            i = n if end < 0 else end
        else:
            break
    return i


def _read_key(text: str, i: int) -> tuple[KeyPath, int]:
    parts: list[str] = []
    while True:
        i = _skip_blank(text, i, newlines=False)
        if i >= len(text):
            break
        if text[i] in "\"'":
            end = _skip_string(text, i)
            raw = text[i + 1 : end - 1]
            if text[i] == '"':
                with contextlib.suppress(ValueError):  # keep the raw text of an odd key
                    raw = json.loads(f'"{raw}"')
            parts.append(raw)
            i = end
        else:
            match = _BARE_KEY.match(text, i)
            if not match:
                break
            parts.append(match.group())
            i = match.end()
        i = _skip_blank(text, i, newlines=False)
        if i < len(text) and text[i] == ".":
            i += 1
            continue
        break
    return tuple(parts), i


def _skip_string(text: str, i: int) -> int:
    """The index just past the string starting at `i` (any of the four TOML string forms)."""
    quote = text[i]
    if text.startswith(quote * 3, i):
        j = i + 3
        while True:
            j = text.find(quote * 3, j)
            if j < 0:
                return len(text)
            if quote == '"' and _escaped(text, j):
                j += 1
                continue
            j += 3
            while j < len(text) and text[j] == quote:  # up to two quotes may end the content
                j += 1
            return j
    j = i + 1
    while j < len(text) and text[j] != "\n":
        if text[j] == "\\" and quote == '"':
            j += 2
            continue
        if text[j] == quote:
            return j + 1
        j += 1
    return j


def _escaped(text: str, j: int) -> bool:
    backslashes = 0
    while j - backslashes - 1 >= 0 and text[j - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _skip_value(text: str, i: int) -> int:
    n = len(text)
    if i >= n:
        return i
    if text[i] in "\"'":
        return _skip_string(text, i)
    if text[i] in "[{":
        depth = 0
        while i < n:
            c = text[i]
            if c in "[{":
                depth += 1
                i += 1
            elif c in "]}":
                depth -= 1
                i += 1
                if depth == 0:
                    return i
            elif c in "\"'":
                i = _skip_string(text, i)
            elif c == "#":
                end = text.find("\n", i)
                i = n if end < 0 else end
            else:
                i += 1
        return i
    end = text.find("\n", i)
    return n if end < 0 else end
