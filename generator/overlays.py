"""OpenAPI Overlay 1.0 documents ("sanitations") applied to a spec before generation.

An overlay is an ordered list of actions; each action selects nodes of the spec with a JSONPath
target and either deep-merges `update` into them or removes them (`remove: true`). Our rule on
top of the Overlay specification: every action carries its reason in `description`.

Targets use the JSONPath subset overlays need (RFC 9535 syntax):

    $                    the root
    .name  ['name']      a member (several: ['a', 'b'])
    *  [*]               every member or element
    [0]  [-1]            an array element
    ..name  ..*  ..[…]   descendants, then the selector
    [?(@.k == 'v')]      a filter over the children, with == != < <= > >=, && || !,
    [?@.k == 'v']        parentheses, existence tests (`@.k`), `$`-rooted queries,
                         and the functions length(value) and count(query)

A filter that tests for the defect itself (say `!@.enum[?@ == 'author_id']`) makes an action
match nothing once the upstream spec is fixed, so it is reported stale instead of doing harm.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from generator.errors import GeneratorError

__all__ = [
    "AppliedAction",
    "JSONPath",
    "JSONPathError",
    "Overlay",
    "OverlayAction",
    "OverlayError",
    "OverlayResult",
    "StaleAction",
    "apply_overlay",
    "apply_overlays",
    "load_overlay",
]

Key = str | int
Location = tuple[Key, ...]


class JSONPathError(ValueError):
    """A target that is not valid in the supported JSONPath subset."""

    def __init__(self, expression: str, position: int, message: str) -> None:
        super().__init__(f"{message} at column {position + 1} of {expression!r}")
        self.expression = expression
        self.position = position


class OverlayError(GeneratorError):
    """A malformed overlay file or an action that cannot be applied."""


# --------------------------------------------------------------------------------------------
# JSONPath: parsing into closures, then evaluation over (location, value) nodes.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Node:
    location: Location
    value: Any


class _Nothing:
    """The absence of a value (RFC 9535 "Nothing"): only equal to itself."""

    def __repr__(self) -> str:
        return "Nothing"


_NOTHING: Final = _Nothing()

# A selector maps one node to the nodes it selects; `root` is the document (for `$` in filters).
_Selector = Callable[[_Node, Any], Iterator[_Node]]
# A filter expression is evaluated with the candidate child (`@`) and the document root (`$`).
_Logical = Callable[[Any, Any], bool]
_Value = Callable[[Any, Any], Any]


@dataclass(frozen=True, slots=True)
class _Operand:
    """One side of a comparison; `nodes` is set when it is a query (for tests and count())."""

    value: _Value
    nodes: Callable[[Any, Any], list[_Node]] | None = None


def _children(node: _Node) -> Iterator[_Node]:
    value = node.value
    if isinstance(value, dict):
        for key, child in value.items():
            yield _Node((*node.location, key), child)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield _Node((*node.location, index), child)


def _descendants_or_self(node: _Node) -> Iterator[_Node]:
    yield node
    for child in _children(node):
        yield from _descendants_or_self(child)


def _name_selector(name: str) -> _Selector:
    def select(node: _Node, root: Any) -> Iterator[_Node]:
        if isinstance(node.value, dict) and name in node.value:
            yield _Node((*node.location, name), node.value[name])

    return select


def _index_selector(index: int) -> _Selector:
    def select(node: _Node, root: Any) -> Iterator[_Node]:
        if isinstance(node.value, list):
            actual = index + len(node.value) if index < 0 else index
            if 0 <= actual < len(node.value):
                yield _Node((*node.location, actual), node.value[actual])

    return select


def _wildcard_selector(node: _Node, root: Any) -> Iterator[_Node]:
    return _children(node)


def _filter_selector(test: _Logical) -> _Selector:
    def select(node: _Node, root: Any) -> Iterator[_Node]:
        for child in _children(node):
            if test(child.value, root):
                yield child

    return select


def _union(selectors: Sequence[_Selector]) -> _Selector:
    if len(selectors) == 1:
        return selectors[0]

    def select(node: _Node, root: Any) -> Iterator[_Node]:
        for selector in selectors:
            yield from selector(node, root)

    return select


def _descendant_segment(selector: _Selector) -> _Selector:
    def select(node: _Node, root: Any) -> Iterator[_Node]:
        for each in _descendants_or_self(node):
            yield from selector(each, root)

    return select


def _run_segments(segments: Sequence[_Selector], start: _Node, root: Any) -> list[_Node]:
    nodes = [start]
    for segment in segments:
        nodes = [selected for node in nodes for selected in segment(node, root)]
        if not nodes:
            break
    return nodes


def _json_equal(left: Any, right: Any) -> bool:
    # Python says True == 1; JSON does not.
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left is right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(map(_json_equal, left, right))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(_json_equal(left[k], right[k]) for k in left)
    return bool(left == right)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        if left is _NOTHING or right is _NOTHING:
            return left is right
        return _json_equal(left, right)
    if op == "!=":
        return not _compare("==", left, right)
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right))
    strings = isinstance(left, str) and isinstance(right, str)
    if not (numbers or strings):
        return False
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def _constant(literal: Any) -> _Operand:
    return _Operand(lambda current, root: literal)


_COMPARISON_OPS: Final = ("==", "!=", "<=", ">=", "<", ">")
_NAME_EXTRA: Final = frozenset("_")


class _Parser:
    """Recursive descent over the expression text; builds closures as it goes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    # -- helpers --------------------------------------------------------------------------

    def error(self, message: str) -> JSONPathError:
        return JSONPathError(self.text, self.pos, message)

    def peek(self, literal: str = "") -> bool:
        if literal:
            return self.text.startswith(literal, self.pos)
        return self.pos < len(self.text)

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\n\r":
            self.pos += 1

    def expect(self, literal: str) -> None:
        self.skip_ws()
        if not self.peek(literal):
            raise self.error(f"expected {literal!r}")
        self.pos += len(literal)

    # -- queries --------------------------------------------------------------------------

    def parse_query(self) -> list[_Selector]:
        self.skip_ws()
        if not self.peek("$"):
            raise self.error("a target must start with '$'")
        self.pos += 1
        segments = self.parse_segments()
        self.skip_ws()
        if self.peek():
            raise self.error("unexpected text")
        return segments

    def parse_segments(self) -> list[_Selector]:
        segments: list[_Selector] = []
        while True:
            save = self.pos
            self.skip_ws()
            if self.peek(".."):
                self.pos += 2
                if self.peek("["):
                    segments.append(_descendant_segment(self.parse_bracket()))
                else:
                    segments.append(_descendant_segment(self.parse_dot_member()))
            elif self.peek("."):
                self.pos += 1
                segments.append(self.parse_dot_member())
            elif self.peek("["):
                segments.append(self.parse_bracket())
            else:
                self.pos = save
                return segments

    def parse_dot_member(self) -> _Selector:
        if self.peek("*"):
            self.pos += 1
            return _wildcard_selector
        start = self.pos
        while self.pos < len(self.text) and (
            self.text[self.pos].isalnum() or self.text[self.pos] in _NAME_EXTRA
        ):
            self.pos += 1
        name = self.text[start : self.pos]
        if not name or name[0].isdigit():
            self.pos = start
            raise self.error("expected a member name (use ['...'] for other characters)")
        return _name_selector(name)

    def parse_bracket(self) -> _Selector:
        self.expect("[")
        selectors = [self.parse_selector()]
        self.skip_ws()
        while self.peek(","):
            self.pos += 1
            selectors.append(self.parse_selector())
            self.skip_ws()
        self.expect("]")
        return _union(selectors)

    def parse_selector(self) -> _Selector:
        self.skip_ws()
        if self.peek("'") or self.peek('"'):
            return _name_selector(self.parse_string())
        if self.peek("*"):
            self.pos += 1
            return _wildcard_selector
        if self.peek("?"):
            self.pos += 1
            return _filter_selector(self.parse_or())
        number = self.parse_number_text()
        if number is None:
            raise self.error("expected a name, index, '*' or filter")
        if not number.lstrip("-").isdigit():
            raise self.error("an array index must be an integer")
        self.skip_ws()
        if self.peek(":"):
            raise self.error("array slices are not supported")
        return _index_selector(int(number))

    def parse_string(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        chars: list[str] = []
        while True:
            if self.pos >= len(self.text):
                raise self.error("unterminated string")
            char = self.text[self.pos]
            if char == quote:
                self.pos += 1
                return "".join(chars)
            if char == "\\":
                self.pos += 1
                if self.pos >= len(self.text):
                    raise self.error("unterminated string")
                escaped = self.text[self.pos]
                simple = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
                if escaped in simple:
                    chars.append(simple[escaped])
                elif escaped == "u":
                    code = self.text[self.pos + 1 : self.pos + 5]
                    try:
                        chars.append(chr(int(code, 16)))
                    except ValueError:
                        raise self.error("bad \\u escape") from None
                    self.pos += 4
                else:
                    chars.append(escaped)
                self.pos += 1
            else:
                chars.append(char)
                self.pos += 1

    def parse_number_text(self) -> str | None:
        start = self.pos
        if self.peek("-"):
            self.pos += 1
        while self.pos < len(self.text) and (
            self.text[self.pos].isdigit() or self.text[self.pos] in ".eE+-"
        ):
            if self.text[self.pos] in "+-" and self.text[self.pos - 1] not in "eE":
                break
            self.pos += 1
        text = self.text[start : self.pos]
        if not text or text == "-":
            self.pos = start
            return None
        return text

    # -- filter expressions -----------------------------------------------------------------

    def parse_or(self) -> _Logical:
        parts = [self.parse_and()]
        self.skip_ws()
        while self.peek("||"):
            self.pos += 2
            parts.append(self.parse_and())
            self.skip_ws()
        if len(parts) == 1:
            return parts[0]
        return lambda current, root: any(part(current, root) for part in parts)

    def parse_and(self) -> _Logical:
        parts = [self.parse_basic()]
        self.skip_ws()
        while self.peek("&&"):
            self.pos += 2
            parts.append(self.parse_basic())
            self.skip_ws()
        if len(parts) == 1:
            return parts[0]
        return lambda current, root: all(part(current, root) for part in parts)

    def parse_basic(self) -> _Logical:
        self.skip_ws()
        if self.peek("!") and not self.peek("!="):
            self.pos += 1
            inner = self.parse_basic()
            return lambda current, root: not inner(current, root)
        if self.peek("("):
            self.pos += 1
            inner = self.parse_or()
            self.expect(")")
            return inner
        start = self.pos
        left = self.parse_operand()
        self.skip_ws()
        for op in _COMPARISON_OPS:
            if self.peek(op):
                self.pos += len(op)
                right = self.parse_operand()
                return lambda current, root: _compare(
                    op, left.value(current, root), right.value(current, root)
                )
        query = left.nodes
        if query is None:
            self.pos = start
            raise self.error("expected a comparison or a query to test for existence")
        return lambda current, root: bool(query(current, root))

    def parse_operand(self) -> _Operand:
        self.skip_ws()
        if self.peek("@") or self.peek("$"):
            return self.parse_embedded_query()
        if self.peek("'") or self.peek('"'):
            return _constant(self.parse_string())
        for word, literal in (("true", True), ("false", False), ("null", None)):
            if self.peek(word):
                self.pos += len(word)
                return _constant(literal)
        for function in ("length", "count"):
            if self.peek(function + "("):
                self.pos += len(function) + 1
                return self.parse_function(function)
        number = self.parse_number_text()
        if number is not None:
            try:
                parsed: float | int = int(number) if number.lstrip("-").isdigit() else float(number)
            except ValueError:
                raise self.error(f"bad number {number!r}") from None
            if isinstance(parsed, float) and not math.isfinite(parsed):
                raise self.error(f"bad number {number!r}")
            return _constant(parsed)
        raise self.error("expected a query, string, number, true, false, null or function")

    def parse_embedded_query(self) -> _Operand:
        relative = self.text[self.pos] == "@"
        self.pos += 1
        segments = self.parse_segments()

        def nodes(current: Any, root: Any) -> list[_Node]:
            return _run_segments(segments, _Node((), current if relative else root), root)

        def value(current: Any, root: Any) -> Any:
            found = nodes(current, root)
            return found[0].value if len(found) == 1 else _NOTHING

        return _Operand(value, nodes)

    def parse_function(self, name: str) -> _Operand:
        argument = self.parse_operand()
        self.expect(")")
        if name == "count":
            query = argument.nodes
            if query is None:
                raise self.error("count() takes a query")
            return _Operand(lambda current, root: len(query(current, root)))

        def length(current: Any, root: Any) -> Any:
            value = argument.value(current, root)
            return len(value) if isinstance(value, str | list | dict) else _NOTHING

        return _Operand(length)


class JSONPath:
    """A compiled target expression."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self._segments = _Parser(expression).parse_query()

    def select(self, document: Any) -> list[tuple[Location, Any]]:
        """(location, value) of every selected node, in document order."""
        nodes = _run_segments(self._segments, _Node((), document), document)
        unique: dict[Location, Any] = {}
        for node in nodes:
            unique.setdefault(node.location, node.value)
        return list(unique.items())

    def __repr__(self) -> str:
        return f"JSONPath({self.expression!r})"


# --------------------------------------------------------------------------------------------
# Overlay documents
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OverlayAction:
    index: int  # position in the file's `actions`, for messages
    target: JSONPath
    description: str
    update: Any = None
    remove: bool = False


@dataclass(frozen=True, slots=True)
class Overlay:
    path: Path
    title: str
    version: str
    actions: tuple[OverlayAction, ...]


@dataclass(frozen=True, slots=True)
class StaleAction:
    """An action whose target matched nothing: fixed upstream, or a target gone wrong."""

    file: Path
    index: int
    target: str
    description: str

    def __str__(self) -> str:
        return (
            f"{self.file}:#/actions/{self.index}: target {self.target} matched nothing "
            f"({self.description})"
        )


@dataclass(frozen=True, slots=True)
class AppliedAction:
    file: Path
    index: int
    matched: int


@dataclass(frozen=True, slots=True)
class OverlayResult:
    document: dict[str, Any]
    stale: tuple[StaleAction, ...]
    applied: tuple[AppliedAction, ...]


def _read_structured(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OverlayError(str(path), "", f"cannot read: {exc.strerror}") from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise OverlayError(
                str(path), f"{exc.lineno}:{exc.colno}", f"invalid JSON: {exc.msg}"
            ) from None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise OverlayError(str(path), where, f"invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise OverlayError(str(path), "", f"invalid YAML: {exc}") from None


def load_overlay(path: Path | str) -> Overlay:
    """Read and check one Overlay 1.0 document (YAML or JSON)."""
    path = Path(path)
    file = str(path)
    data = _read_structured(path)
    if not isinstance(data, dict):
        raise OverlayError(file, "#", "an overlay must be an object")
    version = data.get("overlay")
    if not isinstance(version, str) or not version.startswith("1.0"):
        raise OverlayError(
            file, "#/overlay", f"unsupported overlay version {version!r} (want 1.0.x)"
        )
    info = data.get("info")
    if not isinstance(info, dict) or not isinstance(info.get("title"), str):
        raise OverlayError(file, "#/info", "info.title is required")
    if "version" not in info:
        raise OverlayError(file, "#/info", "info.version is required")
    raw_actions = data.get("actions")
    if not isinstance(raw_actions, list) or not raw_actions:
        raise OverlayError(file, "#/actions", "actions must be a non-empty list")
    actions = tuple(_parse_action(file, i, raw) for i, raw in enumerate(raw_actions))
    return Overlay(path, info["title"], str(info["version"]), actions)


def _parse_action(file: str, index: int, raw: Any) -> OverlayAction:
    where = f"#/actions/{index}"
    if not isinstance(raw, dict):
        raise OverlayError(file, where, "an action must be an object")
    unknown = sorted(k for k in raw if k not in {"target", "description", "update", "remove"})
    if unknown and not all(k.startswith("x-") for k in unknown):
        raise OverlayError(file, where, f"unknown action field(s): {', '.join(unknown)}")
    target = raw.get("target")
    if not isinstance(target, str) or not target.strip():
        raise OverlayError(file, where, "target (a JSONPath expression) is required")
    description = raw.get("description")
    if not isinstance(description, str) or not description.strip():
        raise OverlayError(file, where, "description is required: say why the spec needs this")
    try:
        path = JSONPath(target)
    except JSONPathError as exc:
        raise OverlayError(file, f"{where}/target", f"bad JSONPath: {exc}") from None
    remove = raw.get("remove", False)
    if not isinstance(remove, bool):
        raise OverlayError(file, f"{where}/remove", "remove must be true or false")
    has_update = "update" in raw
    if remove and has_update:
        raise OverlayError(file, where, "an action either updates or removes, not both")
    if not remove and not has_update:
        raise OverlayError(file, where, "an action needs update or remove: true")
    return OverlayAction(index, path, " ".join(description.split()), raw.get("update"), remove)


def _pointer(location: Location) -> str:
    return "#/" + "/".join(str(k).replace("~", "~0").replace("/", "~1") for k in location)


def _lookup(document: Any, location: Location) -> tuple[bool, Any]:
    node = document
    for key in location:
        in_object = isinstance(node, dict) and isinstance(key, str) and key in node
        in_array = isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)
        if not (in_object or in_array):
            return False, None
        node = node[key]
    return True, node


def _merge(target: dict[str, Any], update: dict[str, Any], where: Location) -> None:
    """Overlay merge: objects recurse, arrays concatenate, primitives replace primitives."""
    for key, new in update.items():
        if key not in target:
            target[key] = copy.deepcopy(new)
            continue
        old = target[key]
        if isinstance(old, dict) and isinstance(new, dict):
            _merge(old, new, (*where, key))
        elif isinstance(old, list) and isinstance(new, list):
            old.extend(copy.deepcopy(new))
        elif not isinstance(old, dict | list) and not isinstance(new, dict | list):
            target[key] = new
        else:
            kinds = f"{type(old).__name__} with {type(new).__name__}"
            raise ValueError(f"cannot merge {kinds} at {_pointer((*where, key))}")


def _removal_order(location: Location) -> tuple[tuple[int, int, str], ...]:
    # Sorted descending: later array elements and deeper nodes go first, so earlier removals
    # never shift the positions of later ones.
    return tuple((1, k, "") if isinstance(k, int) else (0, 0, k) for k in location)


def _apply_action(document: dict[str, Any], overlay: Overlay, action: OverlayAction) -> int:
    file = str(overlay.path)
    where = f"#/actions/{action.index}"
    matches = [location for location, _ in action.target.select(document)]
    if action.remove:
        if () in matches:
            raise OverlayError(file, where, "cannot remove the document root")
        for location in sorted(matches, key=_removal_order, reverse=True):
            found, parent = _lookup(document, location[:-1])
            if found:
                del parent[location[-1]]
        return len(matches)
    for location in matches:
        found, node = _lookup(document, location)
        if not found:
            continue
        if isinstance(node, dict):
            if not isinstance(action.update, dict):
                raise OverlayError(
                    file, where, f"update must be an object to merge into {_pointer(location)}"
                )
            try:
                _merge(node, action.update, location)
            except ValueError as exc:
                raise OverlayError(file, where, str(exc)) from None
        elif isinstance(node, list):
            node.append(copy.deepcopy(action.update))
        else:
            raise OverlayError(
                file, where, f"target {_pointer(location)} is neither an object nor an array"
            )
    return len(matches)


def _apply_in_place(
    document: dict[str, Any],
    overlay: Overlay,
    stale: list[StaleAction],
    applied: list[AppliedAction],
) -> None:
    for action in overlay.actions:
        matched = _apply_action(document, overlay, action)
        if matched:
            applied.append(AppliedAction(overlay.path, action.index, matched))
        else:
            target = action.target.expression
            stale.append(StaleAction(overlay.path, action.index, target, action.description))


def apply_overlay(document: dict[str, Any], overlay: Overlay) -> OverlayResult:
    """Apply one loaded overlay to a deep copy of `document`."""
    return _apply_all(document, [overlay])


def apply_overlays(document: dict[str, Any], overlay_paths: Sequence[Path]) -> OverlayResult:
    """Load and apply the overlays in order; the input document is never changed.

    Every file is loaded (and checked) before anything is applied, so a bad overlay fails
    the run without a half-sanitised document.
    """
    return _apply_all(document, [load_overlay(path) for path in overlay_paths])


def _apply_all(document: dict[str, Any], overlays: Sequence[Overlay]) -> OverlayResult:
    result = copy.deepcopy(document)
    stale: list[StaleAction] = []
    applied: list[AppliedAction] = []
    for overlay in overlays:
        _apply_in_place(result, overlay, stale, applied)
    return OverlayResult(result, tuple(stale), tuple(applied))
