"""Encoders: the only way spec text reaches generated files.

The spec is untrusted input. Every string from it lands in the output through the encoder for
the place it lands in: a Python string literal, docstring text, a comment, TOML, Markdown. Each
returns `Code`, the one type templates may print (see `render._finalize`): a template that
prints a raw `str` fails to render, so a new template cannot paste spec text by mistake.
Identifiers are made in `naming.py`; code fragments (annotations, converters) are put together
with `fragment`, which takes only `Code` parts.
"""

from __future__ import annotations

import math
import re
import textwrap
import unicodedata
from collections.abc import Iterable

__all__ = [
    "Code",
    "comment",
    "docstring",
    "docstring_block",
    "fragment",
    "join",
    "markdown",
    "markdown_code",
    "plain_line",
    "py_literal",
    "py_str",
    "py_str_list",
    "toml_str",
]


class Code(str):
    """Text that is safe to write where it stands: encoded spec text or generator-made code."""

    __slots__ = ()


def fragment(template: str, *parts: Code) -> Code:
    """`template` (generator-written, `{}` placeholders) filled with already-encoded parts."""
    for part in parts:
        if not isinstance(part, Code):
            raise TypeError(f"fragment part is not encoded: {part!r}")
    return Code(template.format(*parts))


def _escaped(char: str) -> str:
    """The Python escape of one character (`\\n`, `\\x00`, `\\u2028`), as repr writes it."""
    code = ord(char)
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
    if named:
        return named
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _printable(text: str, keep: str = "") -> str:
    """Every character that is not printable (line breaks, controls, private use, unassigned)
    written as its escape, so it shows instead of acting.

    A lone surrogate becomes U+FFFD instead, in every text encoder (docstring, comment,
    Markdown, TOML): its escape inside a docstring would rebuild the surrogate when Python
    reads the string, and such a docstring fails to import; a surrogate cannot be written as
    UTF-8 anywhere else. Prose loses nothing a reader could use. Only `py_str` keeps the exact
    value, as an ASCII escape, because there it is data the API may need as sent.
    """
    rest = text.translate(dict.fromkeys(map(ord, keep))) if keep else text
    if rest.isprintable():
        return text  # the usual case, decided without a loop over each character
    text = _LONE_SURROGATE.sub("\ufffd", text)
    return "".join(c if c.isprintable() or c in keep else _escaped(c) for c in text)


def py_str(value: str) -> Code:
    """A double-quoted Python string literal whose value is exactly `value`.

    repr makes the literal; only the quote style is switched to the one ruff writes, so
    formatting does not churn.
    """
    text = repr(str(value))
    if text.startswith("'"):
        text = '"' + text[1:-1].replace("\\'", "'").replace('"', '\\"') + '"'
    return Code(text)


def py_literal(value: object) -> Code:
    """A Python literal for a JSON scalar (an enum value, a default)."""
    if isinstance(value, str):
        return py_str(value)
    if value is None or isinstance(value, bool | int):
        return Code(repr(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a JSON number")
        return Code(repr(value))
    raise TypeError(f"not a JSON scalar: {type(value).__name__}")


def _docstring_text(text: str) -> str:
    """Text that can stand inside a triple-quoted string and reads as written.

    Backslashes are doubled (no escape sequence forms), every run of quotes that could close
    the string is broken with a backslash, and non-printable characters show as escapes.
    """
    text = _printable(text.replace("\\", "\\\\"), keep="\n")
    text = text.replace('"""', '\\"\\"\\"')
    # A quote at the very end would run into the closing quotes, unless an odd run of
    # backslashes before it escapes it already (`\\"` is an escaped backslash, then a quote).
    if text.endswith('"'):
        before = text[:-1]
        if (len(before) - len(before.rstrip("\\"))) % 2 == 0:
            text = before + '\\"'
    return text


def docstring(text: str, indent: int, width: int = 96) -> Code:
    """A triple-quoted docstring of `text`, paragraphs wrapped to fit, indented for its place."""
    pad = " " * indent
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = [p for p in (" ".join(p.split()) for p in normalized.split("\n\n")) if p]
    lines: list[str] = []
    for i, paragraph in enumerate(paragraphs):
        if i:
            lines.append("")
        wrapped = textwrap.wrap(
            paragraph, width=max(width - indent, 20), break_long_words=False, break_on_hyphens=False
        )
        lines.extend(_docstring_text(line) for line in wrapped)
    if not lines:
        lines = [""]
    if len(lines) == 1:
        return Code(f'"""{lines[0]}"""')
    body = "\n".join(f"{pad}{line}" if line else "" for line in lines[1:])
    return Code(f'"""{lines[0]}\n{body}\n{pad}"""')


def comment(text: str) -> Code:
    """Text for after a `#`: one line, whatever the input holds.

    Every character that Python or `str.splitlines` takes as a line break is non-printable,
    so it is written as its escape.
    """
    return Code(_printable(text))


def plain_line(text: str) -> Code:
    """One line of plain text for a terminal or a log: non-printable characters (line breaks,
    terminal escape sequences) are written as their escapes, so they show instead of acting."""
    return Code(_printable(text))


def toml_str(value: str) -> Code:
    """A TOML basic string whose value is `value` (surrogates, which TOML cannot hold, become
    U+FFFD)."""
    out = ['"']
    for char in value:
        code = ord(char)
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif 0xD800 <= code <= 0xDFFF:
            out.append("\ufffd")
        elif code < 0x20 or code == 0x7F or not char.isprintable():
            out.append(f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}")
        else:
            out.append(char)
    out.append('"')
    return Code("".join(out))


_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()<>#!|~&")
# Text that would open a block (list item, heading underline, ordered item) at a line start.
_MARKDOWN_BLOCK_START = re.compile(r"^([-+=]|\d+[.)])(?=\s|$)")


def markdown(text: str) -> Code:
    """Markdown inline text that shows `text` literally: one line; the punctuation that can
    form emphasis, code, links, HTML, headings or tables is escaped with a backslash (which
    CommonMark allows before any ASCII punctuation), and so is a list marker at its start."""
    flat = _printable(" ".join(text.split()))
    escaped = "".join(f"\\{c}" if c in _MARKDOWN_SPECIAL else c for c in flat)
    return Code(_MARKDOWN_BLOCK_START.sub(lambda m: _escape_start(m.group(1)), escaped))


def _escape_start(marker: str) -> str:
    # `-` -> `\-`; `12.` -> `12\.`: the punctuation is what makes it a marker.
    return marker[:-1] + "\\" + marker[-1]


def markdown_code(text: str) -> Code:
    """A Markdown code span showing `text` (one line); the fence is longer than any run of
    backticks inside, as CommonMark requires."""
    flat = _printable(" ".join(text.split()))
    run, fence = 0, 1
    for char in flat:
        run = run + 1 if char == "`" else 0
        fence = max(fence, run + 1)
    ticks = "`" * fence
    pad = " " if flat.startswith("`") or flat.endswith("`") or not flat.strip() else ""
    return Code(f"{ticks}{pad}{flat}{pad}{ticks}")


def ascii_words(text: str) -> str:
    """`text` with accents folded to ASCII (`Ñame` -> `Name`) and other letters dropped."""
    folded = unicodedata.normalize("NFKD", text)
    return "".join(c for c in folded if c.isascii())


def join(separator: str, parts: Iterable[Code]) -> Code:
    """Encoded parts joined by a generator-written separator."""
    items = list(parts)
    for part in items:
        if not isinstance(part, Code):
            raise TypeError(f"join part is not encoded: {part!r}")
    return Code(separator.join(items))


def py_str_list(values: Iterable[str]) -> Code:
    """A Python list literal of strings."""
    return fragment("[{}]", join(", ", (py_str(v) for v in values)))


def docstring_block(text: str, indent: int, closing_line: bool = False) -> Code:
    """A triple-quoted docstring keeping `text`'s own lines (already wrapped, e.g. an Args
    list): each line is made safe, later lines are indented for the place. `closing_line`
    puts the closing quotes on a line of their own even after a single line."""
    pad = " " * indent
    lines = [_docstring_text(line) for line in text.replace("\r\n", "\n").split("\n")]
    if len(lines) == 1 and not closing_line:
        return Code(f'"""{lines[0]}"""')
    body = "\n".join(f"{pad}{line}" if line else "" for line in lines[1:])
    return Code(f'"""{lines[0]}\n{body}\n{pad}"""')
