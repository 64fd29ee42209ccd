"""The sync twin of an async runtime module, derived by rewriting its tokens.

The runtime's I/O code is written once, async. `unasync` turns it into the sync code with a
fixed table: `async`/`await` keywords are dropped, names in `RENAMES` are replaced, and two
type wrappers are rewritten (`Awaitable[X]` -> `X`, `AsyncGenerator[Y, S]` ->
`Generator[Y, S, None]`). A module named `_async_<name>.py` becomes `_sync_<name>.py`, and so
does every import of one. Strings and comments (f-strings included) are never rewritten, so a
docstring of async code should read right for both twins.

The result is checked: a name still containing "async" means the table lacks it, and the
rewrite refuses rather than emit a sync module that would block on a coroutine.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from typing import Final

from generator.errors import GeneratorError

ASYNC_PREFIX: Final = "_async_"
SYNC_PREFIX: Final = "_sync_"

# Every name that differs between the twins: Python's protocols, httpx's and asyncio's sync
# spellings, then the runtime's own pairs.
RENAMES: Final = {
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
    "StopAsyncIteration": "StopIteration",
    "AsyncIterator": "Iterator",
    "AsyncIterable": "Iterable",
    "AsyncGenerator": "Generator",  # in imports; a subscript also gains `None` (see below)
    "AsyncContextManager": "ContextManager",
    "aclose": "close",
    "aread": "read",
    "aiter_lines": "iter_lines",
    "aiter_bytes": "iter_bytes",
    "aiter_text": "iter_text",
    "aiter_raw": "iter_raw",
    "AsyncClient": "Client",
    "AsyncByteStream": "SyncByteStream",
    "async_auth_flow": "sync_auth_flow",
    "asyncio": "time",  # only `asyncio.sleep` has a twin there: `time.sleep`
    "AsyncAPIClient": "SyncAPIClient",
    "AsyncStream": "Stream",
    "AsyncPaginator": "Paginator",
    "AsyncMediaClient": "SyncMediaClient",
    "AsyncFlowDriver": "SyncFlowDriver",
    "upload_media_async": "upload_media",
    "acquire_async": "acquire",
    "store_io_async": "store_io",
    "sleep_async": "sleep",
    "shielded_async": "shielded",
}
_DROPPED: Final = frozenset({"async", "await"})
_UNWRAPPED: Final = "Awaitable"  # Awaitable[X] -> X
_GENERATOR: Final = ("AsyncGenerator", "Generator")  # AsyncGenerator[Y, S] -> Generator[Y, S, None]
_LEFTOVER: Final = re.compile("async|await", re.IGNORECASE)

_Pos = tuple[int, int]


def sync_name(async_name: str) -> str:
    """The file name of the sync twin: `_async_streaming.py` -> `_sync_streaming.py`."""
    if not async_name.startswith(ASYNC_PREFIX):
        raise ValueError(f"{async_name}: an async runtime module is named {ASYNC_PREFIX}*")
    return SYNC_PREFIX + async_name[len(ASYNC_PREFIX) :]


def rename(name: str) -> str:
    """The sync spelling of one identifier (itself when it has none)."""
    if name in RENAMES:
        return RENAMES[name]
    if name.startswith(ASYNC_PREFIX):
        return SYNC_PREFIX + name[len(ASYNC_PREFIX) :]
    return name


def unasync(source: str, origin: str) -> str:
    """The sync twin of `source` (the text of the async module `origin`, for errors)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise GeneratorError(origin, "", f"cannot tokenize: {exc}") from None
    edits: list[tuple[_Pos, _Pos, str]] = []
    depth = 0  # inside an f-string (Python 3.12+ splits them into tokens): leave it as it is
    for i, tok in enumerate(tokens):
        kind = tok.type
        if kind == getattr(tokenize, "FSTRING_START", -1):
            depth += 1
        elif kind == getattr(tokenize, "FSTRING_END", -1):
            depth -= 1
        if depth or kind != tokenize.NAME:
            continue
        if tok.string in _DROPPED:
            # The keyword and the space after it: `await x` -> `x`, `async def` -> `def`.
            edits.append((tok.start, tokens[i + 1].start, ""))
        elif tok.string == _UNWRAPPED and _is_imported(tokens, i):
            edits.append(_unimport(tokens, i))
        elif tok.string == _UNWRAPPED and _is_open(tokens, i + 1):
            close = _closing(tokens, i + 1, origin)
            edits.append((tok.start, tokens[i + 1].end, ""))
            edits.append((tokens[close].start, tokens[close].end, ""))
        elif tok.string == _GENERATOR[0] and _is_open(tokens, i + 1):
            close = _closing(tokens, i + 1, origin)
            edits.append((tok.start, tok.end, _GENERATOR[1]))
            edits.append((tokens[close].start, tokens[close].start, ", None"))
        elif (new := rename(tok.string)) != tok.string:
            edits.append((tok.start, tok.end, new))
    result = _apply(source, edits)
    _check(result, origin)
    return result


def _significant(tokens: list[tokenize.TokenInfo], i: int, step: int) -> int:
    """The index of the next token from i in direction `step` that is not a line break."""
    i += step
    while 0 <= i < len(tokens) and tokens[i].type in (tokenize.NL, tokenize.COMMENT):
        i += step
    return i


def _is_imported(tokens: list[tokenize.TokenInfo], i: int) -> bool:
    """Whether tokens[i] is one of several names in a `from x import a, b` list."""
    before = tokens[_significant(tokens, i, -1)].string
    after = tokens[_significant(tokens, i, 1)].string
    return (before == "," or (before in ("import", "(") and after == ",")) and _in_import(tokens, i)


def _in_import(tokens: list[tokenize.TokenInfo], i: int) -> bool:
    for j in range(i - 1, -1, -1):
        if tokens[j].type == tokenize.NEWLINE:
            return False
        if tokens[j].type == tokenize.NAME and tokens[j].string == "import":
            return True
    return False


def _unimport(tokens: list[tokenize.TokenInfo], i: int) -> tuple[_Pos, _Pos, str]:
    """Drop a name the sync twin does not use from its import list, with one comma."""
    before, after = _significant(tokens, i, -1), _significant(tokens, i, 1)
    if tokens[after].string == ",":
        return (tokens[before].end, tokens[after].end, "")
    return (tokens[before].start, tokens[i].end, "")


def _is_open(tokens: list[tokenize.TokenInfo], i: int) -> bool:
    return i < len(tokens) and tokens[i].type == tokenize.OP and tokens[i].string == "["


def _closing(tokens: list[tokenize.TokenInfo], open_at: int, origin: str) -> int:
    depth = 0
    for j in range(open_at, len(tokens)):
        if tokens[j].type == tokenize.OP and tokens[j].string in "([{":
            depth += 1
        elif tokens[j].type == tokenize.OP and tokens[j].string in ")]}":
            depth -= 1
            if depth == 0:
                return j
    raise GeneratorError(origin, f"line {tokens[open_at].start[0]}", "unbalanced brackets")


def _apply(source: str, edits: list[tuple[_Pos, _Pos, str]]) -> str:
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(pos: _Pos) -> int:
        return starts[pos[0] - 1] + pos[1]

    out = source
    for start, end, text in sorted(edits, key=lambda e: (offset(e[0]), offset(e[1])), reverse=True):
        out = out[: offset(start)] + text + out[offset(end) :]
    return out


def _check(result: str, origin: str) -> None:
    """Refuse a twin that would still hold async code or an async name the table lacks."""
    try:
        tree = ast.parse(result)
    except SyntaxError as exc:
        raise GeneratorError(origin, f"line {exc.lineno}", "its sync twin does not parse") from None
    async_nodes = (ast.AsyncFunctionDef, ast.AsyncFor, ast.AsyncWith, ast.Await)
    for node in ast.walk(tree):
        if isinstance(node, async_nodes):
            raise GeneratorError(origin, f"line {node.lineno}", "async code left in its sync twin")
    for tok in tokenize.generate_tokens(io.StringIO(result).readline):
        if tok.type == tokenize.NAME and _LEFTOVER.search(tok.string):
            raise GeneratorError(
                origin,
                f"line {tok.start[0]}",
                f"no sync spelling for {tok.string!r}: add it to generator/unasync.py RENAMES",
            )
