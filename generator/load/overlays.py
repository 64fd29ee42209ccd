"""OpenAPI Overlay 1.0 documents ("sanitations") applied to a spec before generation.

An overlay is an ordered list of actions; each action selects nodes of the spec with a JSONPath
target and either deep-merges `update` into them or removes them (`remove: true`). Our rule on
top of the Overlay specification: every action carries its reason in `description`.

Targets are RFC 9535 JSONPath queries, evaluated by the `jsonpath-rfc9535` library. A filter
that tests for the defect itself (say `!@.enum[?@ == 'author_id']`) makes an action match
nothing once the upstream spec is fixed, so it is reported stale instead of doing harm.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jsonpath_rfc9535

from generator.errors import GeneratorError
from generator.load.spec_source import MAX_DEPTH, parse_document
from generator.pointers import pointer

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

Location = tuple[str | int, ...]

# Bounds on untrusted overlays: far beyond what a sanitation needs (the shipped targets are
# under 200 characters and 3 levels deep), well short of what the library's recursive parser
# and evaluator can take before exhausting the stack.
MAX_TARGET_CHARS: Final = 1000
MAX_TARGET_NESTING: Final = 32
MAX_OVERLAY_BYTES: Final = 4 * 1024 * 1024


class JSONPathError(ValueError):
    """A target that is not a valid RFC 9535 query, or that cannot be evaluated."""


class OverlayError(GeneratorError):
    """A malformed overlay file or an action that cannot be applied."""


class _Environment(jsonpath_rfc9535.JSONPathEnvironment):
    # `..` descends through any document the spec loader accepts (containers at most
    # MAX_DEPTH below the root) and stops with an error below that.
    max_recursion_depth = MAX_DEPTH + 1


_ENVIRONMENT: Final = _Environment()


def _nesting(expression: str) -> int:
    """How deeply brackets and parentheses nest outside string literals."""
    depth = deepest = 0
    quote = ""
    escaped = False
    for char in expression:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "[(":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "])":
            depth -= 1
    return deepest


def _describe(exc: jsonpath_rfc9535.JSONPathError) -> str:
    """The library's message with a 1-based position (it reports 0-based columns)."""
    message = str(exc.args[0]) if exc.args else type(exc).__name__
    token = exc.token
    if token is None:
        return message
    line = token.query.count("\n", 0, token.index) + 1
    column = token.index - (token.query.rfind("\n", 0, token.index) + 1) + 1
    return (
        f"{message} at line {line}, column {column}"
        if line > 1
        else f"{message} at column {column}"
    )


class JSONPath:
    """A compiled target expression."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        if len(expression) > MAX_TARGET_CHARS:
            raise JSONPathError(f"longer than {MAX_TARGET_CHARS} characters")
        if _nesting(expression) > MAX_TARGET_NESTING:
            raise JSONPathError(
                f"brackets and parentheses nest deeper than {MAX_TARGET_NESTING} levels"
            )
        try:
            self._query = _ENVIRONMENT.compile(expression)
        except jsonpath_rfc9535.JSONPathError as exc:
            raise JSONPathError(_describe(exc)) from None
        except RecursionError:
            raise JSONPathError("nested too deeply to parse") from None

    def select(self, document: Any) -> list[tuple[Location, Any]]:
        """(location, value) of every selected node, in document order, each once."""
        try:
            nodes = self._query.find(document)
        except jsonpath_rfc9535.JSONPathRecursionError:
            raise JSONPathError(
                f"'..' met a document nested deeper than {MAX_DEPTH} levels"
            ) from None
        except jsonpath_rfc9535.JSONPathError as exc:
            raise JSONPathError(_describe(exc)) from None
        except RecursionError:
            raise JSONPathError("the document is nested too deeply to search") from None
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


def _read_structured(path: Path) -> dict[str, Any]:
    """The overlay file as JSON values, with the spec loader's bounds on depth and size."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_OVERLAY_BYTES + 1)
    except OSError as exc:
        raise OverlayError(str(path), "", f"cannot read: {exc.strerror}") from None
    if len(raw) > MAX_OVERLAY_BYTES:
        raise OverlayError(str(path), "", f"larger than {MAX_OVERLAY_BYTES} bytes")
    try:
        return parse_document(str(path), raw, "an overlay")
    except GeneratorError as exc:
        raise OverlayError(exc.file, exc.location, exc.message) from None


def load_overlay(path: Path | str) -> Overlay:
    """Read and check one Overlay 1.0 document (YAML or JSON)."""
    path = Path(path)
    file = str(path)
    data = _read_structured(path)
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
            raise ValueError(f"cannot merge {kinds} at {pointer(*where, key)}")


def _removal_order(location: Location) -> tuple[tuple[int, int, str], ...]:
    # Sorted descending: later array elements and deeper nodes go first, so earlier removals
    # never shift the positions of later ones.
    return tuple((1, k, "") if isinstance(k, int) else (0, 0, k) for k in location)


def _apply_action(document: dict[str, Any], overlay: Overlay, action: OverlayAction) -> int:
    file = str(overlay.path)
    where = f"#/actions/{action.index}"
    try:
        matches = [location for location, _ in action.target.select(document)]
    except JSONPathError as exc:
        raise OverlayError(file, f"{where}/target", f"cannot select: {exc}") from None
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
                    file, where, f"update must be an object to merge into {pointer(*location)}"
                )
            try:
                _merge(node, action.update, location)
            except ValueError as exc:
                raise OverlayError(file, where, str(exc)) from None
        elif isinstance(node, list):
            node.append(copy.deepcopy(action.update))
        else:
            raise OverlayError(
                file, where, f"target {pointer(*location)} is neither an object nor an array"
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


def would_apply(document: dict[str, Any], overlay_path: Path) -> bool:
    """Whether applying the overlay would apply an action, found without copying `document`.

    Until an action matches, none has changed the document; so some action matches in
    sequence exactly when one matches the document as it is.
    """
    overlay = load_overlay(overlay_path)
    return any(action.target.select(document) for action in overlay.actions)


def _apply_all(document: dict[str, Any], overlays: Sequence[Overlay]) -> OverlayResult:
    result = copy.deepcopy(document)
    stale: list[StaleAction] = []
    applied: list[AppliedAction] = []
    for overlay in overlays:
        _apply_in_place(result, overlay, stale, applied)
    return OverlayResult(result, tuple(stale), tuple(applied))
