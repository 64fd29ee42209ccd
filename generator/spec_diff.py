"""What changed between two versions of an OpenAPI document, and what of it breaks clients.

`diff_specs(old, new)` compares two raw documents (local `$ref`s are resolved here) and returns
a `SpecDiff`: operations added, removed and changed (matched by operationId), schemas added,
removed, renamed and changed, and security-scheme changes. Every change says whether it breaks
code written against the old version; the rules are in the module's `_Comparer`.

"Breaking" is judged from a client's side: a schema only sent by clients (a request body) may
gain optional properties, a schema only received (a response) may gain any property; a removal
of anything a client could use breaks. Schemas reachable from both, or from neither, get the
stricter of the two rules.

Renames are guessed, in this order, from: schemas referenced at the same place of the same
operation in both versions; equal structure and similar names; equal names once X's 2.167
vocabulary change (Tweet -> Post, Retweet -> Repost) is undone.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, TextIO, TypeGuard

from generator.errors import GeneratorError, pointer

__all__ = [
    "Change",
    "ChangeKind",
    "OperationDiff",
    "OperationRef",
    "SchemaDiff",
    "SchemaRename",
    "SpecDiff",
    "add_arguments",
    "cli_main",
    "diff_specs",
    "is_breaking",
    "render",
    "render_json",
    "render_markdown",
    "render_text",
    "run",
    "summary",
]

HTTP_METHODS: Final = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_SCHEMA_PREFIX: Final = "#/components/schemas/"
# Keywords that document a schema without changing what it accepts.
_DOC_KEYWORDS: Final = frozenset(
    {"description", "example", "examples", "title", "externalDocs", "deprecated", "xml"}
)
# String formats that change the Python type a generator picks.
_TYPED_FORMATS: Final = frozenset({"date-time", "date", "binary", "byte"})
# X renamed its vocabulary in 2.167; names are compared with the old words replaced.
_VOCABULARY: Final = (("retweet", "repost"), ("tweet", "post"))
_INPUT: Final = "input"
_OUTPUT: Final = "output"
_BOTH: Final = frozenset({_INPUT, _OUTPUT})


class ChangeKind(StrEnum):
    OPERATION_ADDED = "operation-added"
    OPERATION_REMOVED = "operation-removed"
    OPERATION_MOVED = "operation-moved"
    OPERATION_DEPRECATED = "operation-deprecated"
    PARAMETER_ADDED = "parameter-added"
    PARAMETER_REMOVED = "parameter-removed"
    PARAMETER_RENAMED = "parameter-renamed"
    PARAMETER_REQUIRED = "parameter-became-required"
    PARAMETER_OPTIONAL = "parameter-became-optional"
    PARAMETER_STYLE_CHANGED = "parameter-style-changed"
    REQUEST_BODY_ADDED = "request-body-added"
    REQUEST_BODY_REMOVED = "request-body-removed"
    REQUEST_BODY_REQUIRED = "request-body-became-required"
    REQUEST_BODY_OPTIONAL = "request-body-became-optional"
    MEDIA_TYPE_ADDED = "media-type-added"
    MEDIA_TYPE_REMOVED = "media-type-removed"
    RESPONSE_ADDED = "response-added"
    RESPONSE_REMOVED = "response-removed"
    SECURITY_ADDED = "security-requirement-added"
    SECURITY_REMOVED = "security-requirement-removed"
    SCOPES_ADDED = "required-scopes-added"
    SCOPES_REMOVED = "required-scopes-removed"
    SCHEMA_ADDED = "schema-added"
    SCHEMA_REMOVED = "schema-removed"
    SCHEMA_RENAMED = "schema-renamed"
    PROPERTY_ADDED = "property-added"
    PROPERTY_REMOVED = "property-removed"
    PROPERTY_RENAMED = "property-renamed"
    PROPERTY_REQUIRED = "property-became-required"
    PROPERTY_OPTIONAL = "property-became-optional"
    TYPE_CHANGED = "type-changed"
    ENUM_VALUE_ADDED = "enum-value-added"
    ENUM_VALUE_REMOVED = "enum-value-removed"
    VARIANT_ADDED = "variant-added"
    VARIANT_REMOVED = "variant-removed"
    SECURITY_SCHEME_ADDED = "security-scheme-added"
    SECURITY_SCHEME_REMOVED = "security-scheme-removed"
    SECURITY_SCHEME_CHANGED = "security-scheme-changed"
    SCOPE_ADDED = "scope-added"
    SCOPE_REMOVED = "scope-removed"


# Kinds that add something; a diff with one of these (and nothing breaking) is a minor release.
ADDITIONS: Final = frozenset(
    {
        ChangeKind.OPERATION_ADDED,
        ChangeKind.PARAMETER_ADDED,
        ChangeKind.REQUEST_BODY_ADDED,
        ChangeKind.MEDIA_TYPE_ADDED,
        ChangeKind.RESPONSE_ADDED,
        ChangeKind.SECURITY_ADDED,
        ChangeKind.SCHEMA_ADDED,
        ChangeKind.PROPERTY_ADDED,
        ChangeKind.ENUM_VALUE_ADDED,
        ChangeKind.VARIANT_ADDED,
        ChangeKind.SECURITY_SCHEME_ADDED,
        ChangeKind.SCOPE_ADDED,
    }
)


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    subject: str  # the operationId, schema name or security scheme the change belongs to
    location: str  # where inside the subject ("" for the subject itself)
    message: str  # one sentence, without the subject
    breaking: bool
    before: str | None = None  # renames, moves and type changes: the old name/route/type
    after: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": str(self.kind),
            "subject": self.subject,
            "location": self.location,
            "message": self.message,
            "breaking": self.breaking,
        }
        if self.before is not None or self.after is not None:
            data["before"], data["after"] = self.before, self.after
        return data


@dataclass(frozen=True, slots=True)
class OperationRef:
    operation_id: str
    method: str  # upper case
    path: str
    replaced_by: str | None = None  # removed operations: the new operationId at the same route

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "operation_id": self.operation_id,
            "method": self.method,
            "path": self.path,
        }
        if self.replaced_by is not None:
            data["replaced_by"] = self.replaced_by
        return data


@dataclass(frozen=True, slots=True)
class OperationDiff:
    operation_id: str
    method: str
    path: str
    old_method: str
    old_path: str
    changes: tuple[Change, ...]

    @property
    def moved(self) -> bool:
        return (self.method, self.path) != (self.old_method, self.old_path)

    def to_json(self) -> dict[str, Any]:
        return {
            "operation_id": self.operation_id,
            "method": self.method,
            "path": self.path,
            "old_method": self.old_method,
            "old_path": self.old_path,
            "changes": [c.to_json() for c in self.changes],
        }


@dataclass(frozen=True, slots=True)
class SchemaRename:
    old: str
    new: str
    evidence: str

    def to_json(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "evidence": self.evidence}


@dataclass(frozen=True, slots=True)
class SchemaDiff:
    name: str
    old_name: str  # differs from `name` for a renamed schema
    changes: tuple[Change, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "old_name": self.old_name,
            "changes": [c.to_json() for c in self.changes],
        }


@dataclass(frozen=True)
class SpecDiff:
    old_version: str
    new_version: str
    operations_added: tuple[OperationRef, ...] = ()
    operations_removed: tuple[OperationRef, ...] = ()
    operations_changed: tuple[OperationDiff, ...] = ()
    schemas_added: tuple[str, ...] = ()
    schemas_removed: tuple[str, ...] = ()
    schemas_renamed: tuple[SchemaRename, ...] = ()
    schemas_changed: tuple[SchemaDiff, ...] = ()
    security_changes: tuple[Change, ...] = ()
    _all: tuple[Change, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_all", tuple(self._collect()))

    def _collect(self) -> Iterator[Change]:
        for op in self.operations_removed:
            note = f" ({op.method} {op.path} is now {op.replaced_by})" if op.replaced_by else ""
            yield Change(
                ChangeKind.OPERATION_REMOVED,
                op.operation_id,
                "",
                f"operation removed: {op.method} {op.path}{note}",
                True,
            )
        for op in self.operations_added:
            yield Change(
                ChangeKind.OPERATION_ADDED,
                op.operation_id,
                "",
                f"operation added: {op.method} {op.path}",
                False,
            )
        for diff in self.operations_changed:
            yield from diff.changes
        yield from self.security_changes
        for name in self.schemas_removed:
            yield Change(ChangeKind.SCHEMA_REMOVED, name, "", "schema removed", True)
        for rename in self.schemas_renamed:
            yield Change(
                ChangeKind.SCHEMA_RENAMED,
                rename.new,
                "",
                f"schema renamed from {rename.old} ({rename.evidence})",
                True,
                rename.old,
                rename.new,
            )
        for name in self.schemas_added:
            yield Change(ChangeKind.SCHEMA_ADDED, name, "", "schema added", False)
        for schema in self.schemas_changed:
            yield from schema.changes

    def changes(self) -> tuple[Change, ...]:
        """Every change, added and removed things included, in report order."""
        return self._all

    @property
    def breaking_changes(self) -> tuple[Change, ...]:
        return tuple(c for c in self._all if c.breaking)

    @property
    def is_breaking(self) -> bool:
        return any(c.breaking for c in self._all)

    @property
    def has_additions(self) -> bool:
        return any(c.kind in ADDITIONS for c in self._all)

    @property
    def is_empty(self) -> bool:
        return not self._all

    @property
    def summary(self) -> str:
        breaking = len(self.breaking_changes)
        ops = _counts(
            ("operation", "operations"),
            added=len(self.operations_added),
            removed=len(self.operations_removed),
            changed=len(self.operations_changed),
        )
        schemas = _counts(
            ("schema", "schemas"),
            added=len(self.schemas_added),
            removed=len(self.schemas_removed),
            renamed=len(self.schemas_renamed),
            changed=len(self.schemas_changed),
        )
        parts = [p for p in (ops, schemas) if p]
        if self.security_changes:
            parts.append(_plural(len(self.security_changes), "security change", "security changes"))
        body = "; ".join(parts) if parts else "no changes"
        verdict = f"{_plural(breaking, 'breaking change', 'breaking changes')}" if breaking else ""
        return f"{self.old_version} -> {self.new_version}: {body}" + (
            f" ({verdict})" if verdict else ""
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "summary": self.summary,
            "breaking": self.is_breaking,
            "breaking_changes": len(self.breaking_changes),
            "operations": {
                "added": [o.to_json() for o in self.operations_added],
                "removed": [o.to_json() for o in self.operations_removed],
                "changed": [o.to_json() for o in self.operations_changed],
            },
            "schemas": {
                "added": list(self.schemas_added),
                "removed": list(self.schemas_removed),
                "renamed": [r.to_json() for r in self.schemas_renamed],
                "changed": [s.to_json() for s in self.schemas_changed],
            },
            "security": [c.to_json() for c in self.security_changes],
        }


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _counts(nouns: tuple[str, str], **counts: int) -> str:
    shown = [(label, n) for label, n in counts.items() if n]
    if not shown:
        return ""
    (first_label, first), rest = shown[0], shown[1:]
    head = f"{_plural(first, *nouns)} {first_label}"
    return ", ".join([head, *(f"{n} {label}" for label, n in rest)])


def summary(diff: SpecDiff) -> str:
    """One line: versions, counts, and the number of breaking changes."""
    return diff.summary


def is_breaking(diff: SpecDiff) -> bool:
    return diff.is_breaking


# --------------------------------------------------------------------------------------------
# Documents: reference checking, resolution, operations
# --------------------------------------------------------------------------------------------


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


class _Document:
    """One side of the diff: the raw document plus what the comparison keeps asking for."""

    def __init__(self, origin: str, raw: Mapping[str, Any]) -> None:
        self.origin = origin
        self.raw = raw
        self.version = str(_mapping(raw.get("info")).get("version", ""))
        components = raw.get("components") or {}
        self.schemas: Mapping[str, Any] = _mapping_at(origin, components, "schemas")
        self.schemes: Mapping[str, Any] = _mapping_at(origin, components, "securitySchemes")
        self._cache: dict[str, Any] = {}
        self._check_refs(raw, [])
        self.operations = self._collect_operations()
        self.usage = self._schema_usage()

    def resolve_ref(self, ref: str) -> Any:
        if ref in self._cache:
            return self._cache[ref]
        node: Any = self.raw
        for token in ref[2:].split("/") if ref != "#" else []:
            key = _unescape(token)
            if isinstance(node, Mapping) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                raise KeyError(ref)
        self._cache[ref] = node
        return node

    def deref(self, node: Any) -> Any:
        """Follow `$ref`s until a node that is not one (cycles of bare refs end at the last)."""
        seen: set[str] = set()
        while _is_map(node) and isinstance(node.get("$ref"), str) and node["$ref"] not in seen:
            seen.add(node["$ref"])
            node = self.resolve_ref(node["$ref"])
        return node

    def _check_refs(self, node: Any, path: list[str | int]) -> None:
        # Every reference is checked once, up front, so the comparison never meets a bad one.
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str):
                if not ref.startswith("#"):
                    raise GeneratorError(
                        self.origin, pointer(*path, "$ref"), f"external $ref {ref!r} not supported"
                    )
                try:
                    self.resolve_ref(ref)
                except KeyError:
                    raise GeneratorError(
                        self.origin, pointer(*path, "$ref"), f"dangling $ref {ref!r}"
                    ) from None
            for key, value in node.items():
                if isinstance(value, Mapping | list):
                    path.append(key)
                    self._check_refs(value, path)
                    path.pop()
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, Mapping | list):
                    path.append(index)
                    self._check_refs(value, path)
                    path.pop()

    def _collect_operations(self) -> dict[str, _Operation]:
        operations: dict[str, _Operation] = {}
        paths = _mapping_at(self.origin, self.raw, "paths", top=True)
        for route, item in paths.items():
            if not _is_map(item):
                raise GeneratorError(self.origin, pointer("paths", route), "not an object")
            item = self.deref(item)
            shared = item.get("parameters") or []
            for method in HTTP_METHODS:
                op = item.get(method)
                if op is None:
                    continue
                if not _is_map(op):
                    raise GeneratorError(
                        self.origin, pointer("paths", route, method), "not an object"
                    )
                op_id = op.get("operationId")
                key = op_id if isinstance(op_id, str) and op_id else f"{method.upper()} {route}"
                if key in operations:
                    raise GeneratorError(
                        self.origin,
                        pointer("paths", route, method, "operationId"),
                        f"duplicate operationId {key!r}",
                    )
                operations[key] = _Operation(
                    key, method.upper(), route, op, self._parameters(shared, op)
                )
        return operations

    def _parameters(self, shared: Any, op: Mapping[str, Any]) -> dict[tuple[str, str], Any]:
        params: dict[tuple[str, str], Any] = {}
        for raw in [*_list(shared), *_list(op.get("parameters"))]:
            param = self.deref(raw)
            if _is_map(param) and isinstance(param.get("name"), str):
                params[(str(param.get("in", "")), param["name"])] = param
        return params

    def security(self, op: Mapping[str, Any]) -> list[Any] | None:
        requirements = op["security"] if "security" in op else self.raw.get("security")
        return requirements if isinstance(requirements, list) else None

    def _schema_usage(self) -> dict[str, frozenset[str]]:
        """For each component schema: reached from requests (input), responses (output)."""
        refs_of: dict[str, set[str]] = {
            name: _schema_refs(body) for name, body in self.schemas.items()
        }
        roots: dict[str, set[str]] = {_INPUT: set(), _OUTPUT: set()}
        for op in self.operations.values():
            for param in op.params.values():
                roots[_INPUT] |= _schema_refs(param)
            body = op.node.get("requestBody")
            if body is not None:
                roots[_INPUT] |= _schema_refs(self.deref(body))
            for response in _responses(op.node).values():
                roots[_OUTPUT] |= _schema_refs(self.deref(response))
        usage: dict[str, set[str]] = {}
        for context, start in roots.items():
            stack = list(start)
            seen: set[str] = set()
            while stack:
                name = stack.pop()
                if name in seen or name not in refs_of:
                    continue
                seen.add(name)
                usage.setdefault(name, set()).add(context)
                stack.extend(refs_of[name])
        return {name: frozenset(contexts) for name, contexts in usage.items()}


@dataclass(frozen=True, slots=True)
class _Operation:
    key: str
    method: str
    path: str
    node: Mapping[str, Any]
    params: dict[tuple[str, str], Any]


def _is_map(value: object) -> TypeGuard[Mapping[str, Any]]:
    return isinstance(value, Mapping)


def _mapping_at(origin: str, parent: Any, key: str, top: bool = False) -> Mapping[str, Any]:
    value = parent.get(key) if _is_map(parent) else None
    if value is None:
        return {}
    if not _is_map(value):
        where = pointer(key) if top else pointer("components", key)
        raise GeneratorError(origin, where, "must be an object")
    return value


def _schema_refs(node: Any) -> set[str]:
    """Names of the component schemas referenced anywhere inside `node`."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Mapping):
            ref = current.get("$ref")
            if isinstance(ref, str) and ref.startswith(_SCHEMA_PREFIX):
                found.add(_unescape(ref[len(_SCHEMA_PREFIX) :]))
            stack.extend(v for v in current.values() if isinstance(v, Mapping | list))
        elif isinstance(current, list):
            stack.extend(v for v in current if isinstance(v, Mapping | list))
    return found


def _ref_name(node: Any) -> str | None:
    if _is_map(node):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_SCHEMA_PREFIX):
            return _unescape(ref[len(_SCHEMA_PREFIX) :])
    return None


def _canon(name: str) -> str:
    lowered = name.lower()
    for old, new in _VOCABULARY:
        lowered = lowered.replace(old, new)
    return lowered


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, _canon(a), _canon(b)).ratio()


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if _is_map(value) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _responses(op: Mapping[str, Any]) -> dict[str, Any]:
    """Responses by status code as text (YAML reads `200:` as an integer)."""
    return {str(code): response for code, response in _mapping(op.get("responses")).items()}


def _content(node: Any) -> Mapping[str, Any]:
    content = node.get("content") if _is_map(node) else None
    return content if _is_map(content) else {}


def _kind(node: Any) -> str:
    """The JSON type a schema describes, as far as the comparison cares."""
    if not _is_map(node):
        return "any"
    declared = node.get("type")
    if isinstance(declared, list):  # OpenAPI 3.1: ["string", "null"]
        declared = "|".join(sorted(str(t) for t in declared if t != "null")) or "null"
    if isinstance(declared, str):
        return declared
    for key in ("oneOf", "anyOf"):
        if isinstance(node.get(key), list):
            return key
    if "properties" in node or "additionalProperties" in node or "allOf" in node:
        return "object"
    if "items" in node:
        return "array"
    enum = node.get("enum")
    if isinstance(enum, list) and enum:
        first = enum[0]
        return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(
            type(first), "any"
        )
    return "any"


def _enum_values(node: Any) -> list[Any] | None:
    enum = node.get("enum") if _is_map(node) else None
    return enum if isinstance(enum, list) else None


def _show(values: Sequence[Any]) -> str:
    return ", ".join(json.dumps(v) if not isinstance(v, str) else v for v in values)


def _where(preposition: str, path: str) -> str:
    """` of 'data.id'`; nothing for the schema itself or its bare array items."""
    return f"{preposition} '{path}'" if path.strip("[]") else ""


def _unique(values: Sequence[Any]) -> list[Any]:
    return sorted({json.dumps(v, sort_keys=True): v for v in values}.values(), key=str)


def _breaks(ctx: frozenset[str], *, on_input: bool = False, on_output: bool = False) -> bool:
    return (on_input and _INPUT in ctx) or (on_output and _OUTPUT in ctx)


@dataclass(slots=True)
class _Sink:
    """Where one comparison's changes go, and the words that place them."""

    subject: str
    prefix: str  # "" for a component schema, "request body (application/json)" in an operation
    ctx: frozenset[str]
    out: list[Change]

    def add(
        self,
        kind: ChangeKind,
        path: str,
        message: str,
        breaking: bool,
        before: str | None = None,
        after: str | None = None,
    ) -> None:
        location = ": ".join(p for p in (self.prefix, path) if p)
        text = f"{self.prefix}: {message}" if self.prefix else message
        self.out.append(Change(kind, self.subject, location, text, breaking, before, after))


_NAME_SIMILARITY: Final = 0.5  # SequenceMatcher ratio below which equal structure is a coincidence
_MAX_ROUNDS: Final = 6


class _Comparer:
    def __init__(self, old: _Document, new: _Document) -> None:
        self.old = old
        self.new = new
        self.renames: dict[str, str] = {}  # old schema name -> new schema name
        self.chosen: dict[str, SchemaRename] = {}

    # -- describing schemas -------------------------------------------------------------------

    def _is_model(self, doc: _Document, name: str) -> bool:
        body = doc.deref(doc.schemas.get(name))
        if not _is_map(body):
            return False
        if any(k in body for k in ("properties", "allOf", "oneOf", "anyOf")):
            return True
        return body.get("type") == "object" and not _is_map(body.get("additionalProperties"))

    @staticmethod
    def _unwrap(doc: _Document, node: Any) -> Any:
        """The one variant of a `oneOf`/`anyOf`/`allOf` that has only one (a common wrapper
        for adding a description or `nullable` next to a `$ref`)."""
        for _ in range(8):
            body = doc.deref(node)
            if not _is_map(body) or "properties" in body or "type" in body:
                return node
            composites = [k for k in ("oneOf", "anyOf", "allOf") if k in body]
            parts = body.get(composites[0]) if len(composites) == 1 else None
            if not (isinstance(parts, list) and len(parts) == 1):
                return node
            node = parts[0]
        return node

    def describe(self, doc: _Document, node: Any, old_side: bool, depth: int = 0) -> str:
        """A short type description: model names for models, structure for everything else.

        On the old side, renamed models get their new names, so a rename alone compares equal;
        `shown` gives the names as each document spells them, for messages.
        """
        name = _ref_name(node)
        if name is not None and (depth > 8 or self._is_model(doc, name)):
            return self.renames.get(name, name) if old_side else name
        inner = self._unwrap(doc, node)
        if inner is not node:
            return self.describe(doc, inner, old_side, depth + 1)
        body = doc.deref(node)
        kind = _kind(body)
        if kind in ("oneOf", "anyOf"):
            inner = sorted({self.describe(doc, v, old_side, depth + 1) for v in body[kind]})
            return f"{kind}({', '.join(inner)})"
        if kind == "array":
            return f"array<{self.describe(doc, body.get('items'), old_side, depth + 1)}>"
        if kind == "string" and body.get("format") in _TYPED_FORMATS:
            return f"string({body['format']})"
        extra = body.get("additionalProperties") if _is_map(body) else None
        if kind == "object" and "properties" not in body and _is_map(extra):
            return f"map<{self.describe(doc, extra, old_side, depth + 1)}>"
        return kind

    def _object_parts(
        self, doc: _Document, body: Any, depth: int = 0
    ) -> tuple[dict[str, Any], set[str]]:
        """Properties and required names, with allOf parts merged in."""
        props: dict[str, Any] = {}
        required: set[str] = set()
        if not _is_map(body) or depth > 8:
            return props, required
        for part in _list(body.get("allOf")):
            more, more_required = self._object_parts(doc, doc.deref(part), depth + 1)
            props.update(more)
            required |= more_required
        own = body.get("properties")
        if _is_map(own):
            props.update(own)
        required |= {r for r in _list(body.get("required")) if isinstance(r, str)}
        return props, required

    # -- comparing schemas ----------------------------------------------------------------------

    def compare(self, old: Any, new: Any, path: str, sink: _Sink, seen: set[Any]) -> None:
        old_name, new_name = _ref_name(old), _ref_name(new)
        same = old_name is not None and self.renames.get(old_name, old_name) == new_name
        if same:
            return  # the same schema: its own changes are reported under its name
        old_inner, new_inner = self._unwrap(self.old, old), self._unwrap(self.new, new)
        if old_inner is not old or new_inner is not new:
            self.compare(old_inner, new_inner, path, sink, seen)
            return
        old_desc = self.describe(self.old, old, True)
        new_desc = self.describe(self.new, new, False)
        old_model = old_name is not None and self._is_model(self.old, old_name)
        new_model = new_name is not None and self._is_model(self.new, new_name)
        shown = (self.shown(self.old, old), new_desc)
        if old_model and new_model:
            self._type_changed(path, old_desc, new_desc, sink, shown)
            return
        old_body, new_body = self.old.deref(old), self.new.deref(new)
        key = (id(old_body), id(new_body))
        if key in seen:
            return
        seen.add(key)
        old_kind, new_kind = _kind(old_body), _kind(new_body)
        if old_kind != new_kind:
            self._type_changed(path, old_desc, new_desc, sink, shown)
        elif old_kind in ("oneOf", "anyOf"):
            self._compare_variants(old_body, new_body, old_kind, path, sink)
        elif old_kind == "array":
            items_path = f"{path}[]" if path else "[]"
            self.compare(old_body.get("items"), new_body.get("items"), items_path, sink, seen)
        elif old_kind == "object":
            self._compare_object(old_body, new_body, path, sink, seen)
        else:
            if old_desc != new_desc:
                self._type_changed(path, old_desc, new_desc, sink, shown)
            self._compare_enum(old_body, new_body, path, sink)

    def shown(self, doc: _Document, node: Any) -> str:
        saved, self.renames = self.renames, {}
        try:
            return self.describe(doc, node, False)
        finally:
            self.renames = saved

    def _type_changed(
        self, path: str, old: str, new: str, sink: _Sink, shown: tuple[str, str] | None = None
    ) -> None:
        if old == new:
            return
        if old == "any":  # gained a type: narrower for senders only
            breaking = _breaks(sink.ctx, on_input=True)
        elif new == "any":  # lost its type: receivers lose what they relied on
            breaking = _breaks(sink.ctx, on_output=True)
        else:
            breaking = True
        before, after = shown or (old, new)
        what = f"type{_where(' of', path)}"
        message = f"{what} changed from {before} to {after}"
        sink.add(ChangeKind.TYPE_CHANGED, path, message, breaking, before, after)

    def _compare_variants(self, old: Any, new: Any, key: str, path: str, sink: _Sink) -> None:
        old_set = {self.describe(self.old, v, True) for v in _list(old.get(key))}
        new_set = {self.describe(self.new, v, False) for v in _list(new.get(key))}
        for variant in sorted(old_set - new_set):
            sink.add(
                ChangeKind.VARIANT_REMOVED,
                path,
                f"{key} variant {variant} removed{_where(' from', path)}",
                _breaks(sink.ctx, on_input=True),
            )
        for variant in sorted(new_set - old_set):
            sink.add(
                ChangeKind.VARIANT_ADDED,
                path,
                f"{key} variant {variant} added{_where(' to', path)}",
                _breaks(sink.ctx, on_output=True),
            )

    def _compare_enum(self, old: Any, new: Any, path: str, sink: _Sink) -> None:
        old_values, new_values = _enum_values(old), _enum_values(new)
        if old_values is None and new_values is not None:
            sink.add(
                ChangeKind.ENUM_VALUE_REMOVED,
                path,
                f"values{_where(' of', path)} restricted to {_show(new_values)}",
                _breaks(sink.ctx, on_input=True),
            )
            return
        if old_values is None or new_values is None:
            return  # lost its enum: anything is accepted now
        new_keys = {json.dumps(v, sort_keys=True) for v in new_values}
        old_keys = {json.dumps(v, sort_keys=True) for v in old_values}
        removed = [v for v in old_values if json.dumps(v, sort_keys=True) not in new_keys]
        added = [v for v in new_values if json.dumps(v, sort_keys=True) not in old_keys]
        if removed:
            sink.add(
                ChangeKind.ENUM_VALUE_REMOVED,
                path,
                f"enum value(s) removed{_where(' from', path)}: {_show(_unique(removed))}",
                _breaks(sink.ctx, on_input=True),
            )
        if added:
            sink.add(
                ChangeKind.ENUM_VALUE_ADDED,
                path,
                f"enum value(s) added{_where(' to', path)}: {_show(_unique(added))}",
                False,
            )

    def _compare_object(self, old: Any, new: Any, path: str, sink: _Sink, seen: set[Any]) -> None:
        old_props, old_required = self._object_parts(self.old, old)
        new_props, new_required = self._object_parts(self.new, new)
        removed = [p for p in old_props if p not in new_props]
        added = [p for p in new_props if p not in old_props]
        renamed: dict[str, str] = {}
        by_canon = {_canon(p): p for p in added}
        for name in removed:
            match = by_canon.get(_canon(name))
            if match is not None and match not in renamed.values():
                renamed[name] = match

        def sub(name: str) -> str:
            return f"{path}.{name}" if path else name

        for name in sorted(removed):
            if name in renamed:
                sink.add(
                    ChangeKind.PROPERTY_RENAMED,
                    sub(name),
                    f"property '{sub(name)}' renamed to '{renamed[name]}'",
                    True,
                    name,
                    renamed[name],
                )
            else:
                sink.add(
                    ChangeKind.PROPERTY_REMOVED, sub(name), f"property '{sub(name)}' removed", True
                )
        for name in sorted(added):
            if name in renamed.values():
                continue
            required = name in new_required
            sink.add(
                ChangeKind.PROPERTY_ADDED,
                sub(name),
                f"{'required ' if required else ''}property '{sub(name)}' added",
                required and _breaks(sink.ctx, on_input=True),
            )
        pairs = [(p, p) for p in old_props if p in new_props] + sorted(renamed.items())
        for old_name, new_name in sorted(pairs, key=lambda pair: pair[1]):
            was, now = old_name in old_required, new_name in new_required
            if now and not was:
                sink.add(
                    ChangeKind.PROPERTY_REQUIRED,
                    sub(new_name),
                    f"property '{sub(new_name)}' became required",
                    _breaks(sink.ctx, on_input=True),
                )
            elif was and not now:
                sink.add(
                    ChangeKind.PROPERTY_OPTIONAL,
                    sub(new_name),
                    f"property '{sub(new_name)}' became optional",
                    _breaks(sink.ctx, on_output=True),
                )
            self.compare(old_props[old_name], new_props[new_name], sub(new_name), sink, seen)
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if _is_map(old_extra) and _is_map(new_extra):
            self.compare(old_extra, new_extra, f"{path}{{}}" if path else "{}", sink, seen)

    def _context(self, old_name: str, new_name: str) -> frozenset[str]:
        used = self.old.usage.get(old_name, frozenset()) | self.new.usage.get(new_name, frozenset())
        return used or _BOTH

    def compare_schema(self, old_name: str, new_name: str) -> SchemaDiff | None:
        out: list[Change] = []
        sink = _Sink(new_name, "", self._context(old_name, new_name), out)
        self.compare(self.old.schemas[old_name], self.new.schemas[new_name], "", sink, set())
        return SchemaDiff(new_name, old_name, tuple(out)) if out else None

    # -- renames ----------------------------------------------------------------------------------

    def _schema_roots(self, old: _Operation, new: _Operation) -> Iterator[tuple[Any, Any]]:
        """Schemas at the same place of two versions of one operation."""
        old_body = self.old.deref(old.node.get("requestBody"))
        new_body = self.new.deref(new.node.get("requestBody"))
        for media, old_media in _content(old_body).items():
            new_media = _content(new_body).get(media)
            if _is_map(old_media) and _is_map(new_media):
                yield old_media.get("schema"), new_media.get("schema")
        old_responses, new_responses = _responses(old.node), _responses(new.node)
        for code in old_responses:
            if code not in new_responses:
                continue
            old_content = _content(self.old.deref(old_responses[code]))
            new_content = _content(self.new.deref(new_responses[code]))
            for media, old_media in old_content.items():
                new_media = new_content.get(media)
                if _is_map(old_media) and _is_map(new_media):
                    yield old_media.get("schema"), new_media.get("schema")
        for key, param in old.params.items():
            if key in new.params:
                yield param.get("schema"), new.params[key].get("schema")

    def _align(
        self,
        start: tuple[Any, Any],
        why: str,
        candidates: tuple[set[str], set[str]],
        votes: Counter[tuple[str, str]],
        evidence: dict[tuple[str, str], tuple[int, str]],
        seen: set[Any],
    ) -> None:
        """Walk two schemas side by side; schema names met at the same place are candidates.

        The evidence kept for a pair is the shallowest place it was met: "the response of
        getPostsById" says more than "somewhere inside the includes of a DM event".
        """
        removed, added = candidates
        stack: list[tuple[Any, Any, int]] = [(*start, 0)]
        while stack:
            old, new, depth = stack.pop()
            old_name, new_name = _ref_name(old), _ref_name(new)
            key: Any
            if old_name is not None and new_name is not None:
                pair = (old_name, new_name)
                if old_name in removed and new_name in added:
                    votes[pair] += 1
                    if pair not in evidence or evidence[pair][0] > depth:
                        evidence[pair] = (depth, why)
                key = pair
            else:
                key = (id(old), id(new))
            if key in seen:
                continue
            seen.add(key)
            old_body, new_body = self.old.deref(old), self.new.deref(new)
            if not (_is_map(old_body) and _is_map(new_body)):
                continue
            below = depth + 1
            old_props, new_props = old_body.get("properties"), new_body.get("properties")
            if _is_map(old_props) and _is_map(new_props):
                by_canon = {_canon(p): p for p in new_props}
                for name, value in old_props.items():
                    match = name if name in new_props else by_canon.get(_canon(name))
                    if match is not None:
                        stack.append((value, new_props[match], below))
            for single in ("items", "additionalProperties"):
                if _is_map(old_body.get(single)) and _is_map(new_body.get(single)):
                    stack.append((old_body[single], new_body[single], below))
            for many in ("allOf", "oneOf", "anyOf"):
                old_list, new_list = old_body.get(many), new_body.get(many)
                if not (isinstance(old_list, list) and isinstance(new_list, list)):
                    continue
                if len(old_list) == len(new_list):
                    stack.extend((o, n, below) for o, n in zip(old_list, new_list, strict=True))

    def _fingerprint(self, doc: _Document, node: Any, old_side: bool) -> Any:
        if isinstance(node, Mapping):
            result: dict[str, Any] = {}
            for key, value in node.items():
                if key in _DOC_KEYWORDS or key.startswith("x-"):
                    continue
                if key == "$ref" and isinstance(value, str):
                    name = _unescape(value.rsplit("/", 1)[-1])
                    result[key] = self.renames.get(name, name) if old_side else name
                else:
                    result[key] = self._fingerprint(doc, value, old_side)
            return result
        if isinstance(node, list):
            return [self._fingerprint(doc, v, old_side) for v in node]
        return node

    def detect_renames(self, old_ops: Sequence[tuple[_Operation, _Operation]]) -> None:
        removed = set(self.old.schemas) - set(self.new.schemas)
        added = set(self.new.schemas) - set(self.old.schemas)
        votes: Counter[tuple[str, str]] = Counter()
        evidence: dict[tuple[str, str], tuple[int, str]] = {}
        seen: set[Any] = set()
        candidates = (removed, added)
        for old_op, new_op in old_ops:
            why = f"used in the same place by {new_op.key}"
            for pair in self._schema_roots(old_op, new_op):
                self._align(pair, why, candidates, votes, evidence, seen)
        for name in sorted(set(self.old.schemas) & set(self.new.schemas)):
            ref = {"$ref": _SCHEMA_PREFIX + name.replace("~", "~0").replace("/", "~1")}
            self._align(
                (ref, ref), f"used in the same place in {name}", candidates, votes, evidence, seen
            )
        chosen: dict[str, SchemaRename] = {}
        for _ in range(_MAX_ROUNDS):
            before = len(chosen)
            self._pick_by_votes(votes, evidence, chosen)
            self._pick_by_structure(removed, added, chosen)
            self._pick_by_vocabulary(removed, added, chosen)
            fresh = [r for r in chosen.values() if (r.old, r.new) not in seen]
            for rename in sorted(fresh, key=lambda r: r.old):
                ref_old = {"$ref": _SCHEMA_PREFIX + rename.old}
                ref_new = {"$ref": _SCHEMA_PREFIX + rename.new}
                why = f"used in the same place in {rename.new}"
                self._align((ref_old, ref_new), why, candidates, votes, evidence, seen)
            if len(chosen) == before:
                break
        self.chosen = chosen

    def _accept(self, chosen: dict[str, SchemaRename], old: str, new: str, why: str) -> None:
        chosen[old] = SchemaRename(old, new, why)
        self.renames[old] = new

    def _pick_by_votes(
        self,
        votes: Counter[tuple[str, str]],
        evidence: dict[tuple[str, str], tuple[int, str]],
        chosen: dict[str, SchemaRename],
    ) -> None:
        taken = set(self.renames.values())
        ranked = sorted(votes.items(), key=lambda kv: (-kv[1], -_similarity(*kv[0]), kv[0]))
        for (old, new), _count in ranked:
            if old not in chosen and new not in taken:
                self._accept(chosen, old, new, evidence[(old, new)][1])
                taken.add(new)

    def _pick_by_structure(
        self, removed: set[str], added: set[str], chosen: dict[str, SchemaRename]
    ) -> None:
        taken = set(self.renames.values())
        groups: dict[str, list[str]] = {}
        for name in sorted(added - taken):
            body = self.new.schemas[name]
            print_ = json.dumps(self._fingerprint(self.new, body, False), sort_keys=True)
            groups.setdefault(print_, []).append(name)
        for old in sorted(removed - set(chosen)):
            body = self.old.schemas[old]
            print_ = json.dumps(self._fingerprint(self.old, body, True), sort_keys=True)
            options = [n for n in groups.get(print_, []) if n not in taken]
            scored = sorted((-_similarity(old, n), n) for n in options)
            if scored and -scored[0][0] >= _NAME_SIMILARITY:
                self._accept(chosen, old, scored[0][1], "same structure")
                taken.add(scored[0][1])

    def _pick_by_vocabulary(
        self, removed: set[str], added: set[str], chosen: dict[str, SchemaRename]
    ) -> None:
        taken = set(self.renames.values())
        by_canon = {_canon(n): n for n in sorted(added - taken)}
        for old in sorted(removed - set(chosen)):
            new = by_canon.get(_canon(old))
            if new is None or new in taken or new == old:
                continue
            old_kind = _kind(self.old.deref(self.old.schemas[old]))
            if old_kind == _kind(self.new.deref(self.new.schemas[new])):
                self._accept(chosen, old, new, "same name with Tweet -> Post")
                taken.add(new)

    # -- comparing operations -----------------------------------------------------------------

    def compare_operation(self, old: _Operation, new: _Operation) -> OperationDiff | None:
        out: list[Change] = []
        sink = _Sink(new.key, "", _BOTH, out)
        if (old.method, old.path) != (new.method, new.path):
            before, after = f"{old.method} {old.path}", f"{new.method} {new.path}"
            message = f"moved from '{before}' to '{after}'"
            sink.add(ChangeKind.OPERATION_MOVED, "", message, True, before, after)
        if new.node.get("deprecated") and not old.node.get("deprecated"):
            sink.add(ChangeKind.OPERATION_DEPRECATED, "", "deprecated", False)
        self._compare_parameters(old, new, sink)
        self._compare_request_body(old, new, sink)
        self._compare_responses(old, new, sink)
        self._compare_security(old, new, sink)
        if not out:
            return None
        return OperationDiff(new.key, new.method, new.path, old.method, old.path, tuple(out))

    def _compare_parameters(self, old: _Operation, new: _Operation, sink: _Sink) -> None:
        removed = [k for k in old.params if k not in new.params]
        added = [k for k in new.params if k not in old.params]
        renamed: dict[tuple[str, str], tuple[str, str]] = {}
        # A path template's parameters pair up by position; others by name in the new words.
        for before, after in zip(
            _template_names(old.path), _template_names(new.path), strict=False
        ):
            if ("path", before) in removed and ("path", after) in added:
                renamed[("path", before)] = ("path", after)
        for key in removed:
            match = next(
                (
                    a
                    for a in added
                    if a[0] == key[0]
                    and _canon(a[1]) == _canon(key[1])
                    and a not in renamed.values()
                ),
                None,
            )
            if key not in renamed and match is not None:
                renamed[key] = match
        for key in removed:
            where, name = key
            if key in renamed:
                after = renamed[key][1]
                message = f"{where} parameter '{name}' renamed to '{after}'"
                sink.add(ChangeKind.PARAMETER_RENAMED, name, message, True, name, after)
            else:
                sink.add(
                    ChangeKind.PARAMETER_REMOVED, name, f"{where} parameter '{name}' removed", True
                )
        for key in added:
            if key not in renamed.values():
                where, name = key
                required = bool(new.params[key].get("required"))
                message = f"{'required ' if required else ''}{where} parameter '{name}' added"
                sink.add(ChangeKind.PARAMETER_ADDED, name, message, required)
        pairs = [(k, k) for k in old.params if k in new.params] + list(renamed.items())
        for old_key, new_key in pairs:
            self._compare_parameter(old.params[old_key], new.params[new_key], sink)

    def _compare_parameter(self, old: Any, new: Any, sink: _Sink) -> None:
        where, name = str(new.get("in", "")), str(new.get("name", ""))
        label = f"{where} parameter '{name}'"
        was, now = bool(old.get("required")), bool(new.get("required"))
        if now and not was:
            sink.add(ChangeKind.PARAMETER_REQUIRED, name, f"{label} became required", True)
        elif was and not now:
            sink.add(ChangeKind.PARAMETER_OPTIONAL, name, f"{label} became optional", False)
        old_style, new_style = _serialisation(old), _serialisation(new)
        if old_style != new_style:
            message = f"{label} serialisation changed from {old_style} to {new_style}"
            sink.add(ChangeKind.PARAMETER_STYLE_CHANGED, name, message, True, old_style, new_style)
        inner = _Sink(sink.subject, label, frozenset({_INPUT}), sink.out)
        self.compare(old.get("schema"), new.get("schema"), "", inner, set())

    def _compare_request_body(self, old: _Operation, new: _Operation, sink: _Sink) -> None:
        old_body = self.old.deref(old.node.get("requestBody"))
        new_body = self.new.deref(new.node.get("requestBody"))
        if not _is_map(old_body) and not _is_map(new_body):
            return
        if not _is_map(old_body):
            required = bool(new_body.get("required"))
            message = f"{'required ' if required else ''}request body added"
            sink.add(ChangeKind.REQUEST_BODY_ADDED, "", message, required)
            return
        if not _is_map(new_body):
            sink.add(ChangeKind.REQUEST_BODY_REMOVED, "", "request body removed", True)
            return
        was, now = bool(old_body.get("required")), bool(new_body.get("required"))
        if now and not was:
            sink.add(ChangeKind.REQUEST_BODY_REQUIRED, "", "request body became required", True)
        elif was and not now:
            sink.add(ChangeKind.REQUEST_BODY_OPTIONAL, "", "request body became optional", False)
        self._compare_content("request body", old_body, new_body, _INPUT, sink)

    def _compare_content(self, label: str, old: Any, new: Any, ctx: str, sink: _Sink) -> None:
        old_content, new_content = _content(old), _content(new)
        for media in sorted(set(old_content) - set(new_content)):
            message = f"{label}: media type {media} removed"
            sink.add(ChangeKind.MEDIA_TYPE_REMOVED, label, message, True)
        for media in sorted(set(new_content) - set(old_content)):
            message = f"{label}: media type {media} added"
            sink.add(ChangeKind.MEDIA_TYPE_ADDED, label, message, False)
        for media in sorted(set(old_content) & set(new_content)):
            old_media, new_media = old_content[media], new_content[media]
            if _is_map(old_media) and _is_map(new_media):
                inner = _Sink(sink.subject, f"{label} ({media})", frozenset({ctx}), sink.out)
                self.compare(old_media.get("schema"), new_media.get("schema"), "", inner, set())

    def _compare_responses(self, old: _Operation, new: _Operation, sink: _Sink) -> None:
        old_responses, new_responses = _responses(old.node), _responses(new.node)
        for code in sorted(set(old_responses) | set(new_responses)):
            label = f"response {code}"
            if code not in new_responses:
                # Losing a success response changes what the method returns.
                success = code.startswith("2")
                sink.add(ChangeKind.RESPONSE_REMOVED, label, f"{label} removed", success)
            elif code not in old_responses:
                sink.add(ChangeKind.RESPONSE_ADDED, label, f"{label} added", False)
            elif code.startswith("2"):
                old_response = self.old.deref(old_responses[code])
                new_response = self.new.deref(new_responses[code])
                self._compare_content(label, old_response, new_response, _OUTPUT, sink)

    def _compare_security(self, old: _Operation, new: _Operation, sink: _Sink) -> None:
        before = _requirements(self.old.security(old.node))
        after = _requirements(self.new.security(new.node))
        if before == after:
            return
        if not before:
            message = f"now requires authentication ({_alternatives(after)})"
            sink.add(ChangeKind.SECURITY_ADDED, "security", message, True)
            return
        if not after:
            message = "no longer requires authentication"
            sink.add(ChangeKind.SECURITY_REMOVED, "security", message, False)
            return
        for schemes in sorted(set(before) - set(after)):
            message = f"no longer accepts {' + '.join(schemes) or 'anonymous calls'}"
            sink.add(ChangeKind.SECURITY_REMOVED, "security", message, True)
        for schemes in sorted(set(after) - set(before)):
            message = f"now also accepts {' + '.join(schemes) or 'anonymous calls'}"
            sink.add(ChangeKind.SECURITY_ADDED, "security", message, False)
        for schemes in sorted(set(before) & set(after)):
            for scheme in schemes:
                had, needs = before[schemes][scheme], after[schemes][scheme]
                if needs - had:
                    message = f"{scheme} now needs scope(s) {', '.join(sorted(needs - had))}"
                    sink.add(ChangeKind.SCOPES_ADDED, "security", message, True)
                if had - needs:
                    message = f"{scheme} no longer needs scope(s) {', '.join(sorted(had - needs))}"
                    sink.add(ChangeKind.SCOPES_REMOVED, "security", message, False)

    def compare_security_schemes(self) -> list[Change]:
        out: list[Change] = []
        old_schemes, new_schemes = self.old.schemes, self.new.schemes
        for name in sorted(set(old_schemes) | set(new_schemes)):
            sink = _Sink(name, "", _BOTH, out)
            if name not in new_schemes:
                sink.add(ChangeKind.SECURITY_SCHEME_REMOVED, "", "security scheme removed", True)
            elif name not in old_schemes:
                sink.add(ChangeKind.SECURITY_SCHEME_ADDED, "", "security scheme added", False)
            else:
                old = self.old.deref(old_schemes[name])
                new = self.new.deref(new_schemes[name])
                if _is_map(old) and _is_map(new):
                    _compare_scheme(old, new, sink)
        return out

    # -- the whole diff -------------------------------------------------------------------------

    def run(self) -> SpecDiff:
        old_ops, new_ops = self.old.operations, self.new.operations
        new_by_route = {(op.method, op.path): op.key for op in new_ops.values()}
        removed = [
            OperationRef(
                op.key,
                op.method,
                op.path,
                replacement
                if (replacement := new_by_route.get((op.method, op.path))) not in old_ops
                else None,
            )
            for key, op in old_ops.items()
            if key not in new_ops
        ]
        added = [
            OperationRef(op.key, op.method, op.path)
            for key, op in new_ops.items()
            if key not in old_ops
        ]
        common = [(old_ops[k], new_ops[k]) for k in sorted(old_ops.keys() & new_ops.keys())]
        replaced = [
            (old_ops[r.operation_id], new_ops[r.replaced_by])
            for r in removed
            if r.replaced_by is not None
        ]
        self.detect_renames([*common, *replaced])
        changed = [d for o, n in common if (d := self.compare_operation(o, n)) is not None]
        renamed = sorted(self.chosen.values(), key=lambda r: (r.old, r.new))
        renamed_new = {r.new for r in renamed}
        schema_pairs = [(n, n) for n in self.old.schemas if n in self.new.schemas]
        schema_pairs += [(r.old, r.new) for r in renamed]
        schema_changes = [
            sd
            for o, n in sorted(schema_pairs, key=lambda p: p[1])
            if (sd := self.compare_schema(o, n)) is not None
        ]

        def route(op: OperationRef | OperationDiff) -> tuple[str, str, str]:
            return (op.path, op.method, op.operation_id)

        return SpecDiff(
            old_version=self.old.version,
            new_version=self.new.version,
            operations_added=tuple(sorted(added, key=route)),
            operations_removed=tuple(sorted(removed, key=route)),
            operations_changed=tuple(sorted(changed, key=route)),
            schemas_added=tuple(
                sorted(set(self.new.schemas) - set(self.old.schemas) - renamed_new)
            ),
            schemas_removed=tuple(
                sorted(set(self.old.schemas) - set(self.new.schemas) - set(self.chosen))
            ),
            schemas_renamed=tuple(renamed),
            schemas_changed=tuple(schema_changes),
            security_changes=tuple(self.compare_security_schemes()),
        )


def _template_names(path: str) -> list[str]:
    names: list[str] = []
    rest = path
    while "{" in rest and "}" in rest:
        start = rest.index("{")
        end = rest.index("}", start)
        names.append(rest[start + 1 : end])
        rest = rest[end + 1 :]
    return names


def _serialisation(param: Mapping[str, Any]) -> str:
    where = param.get("in")
    style = param.get("style") or ("form" if where in ("query", "cookie") else "simple")
    explode = param.get("explode")
    if not isinstance(explode, bool):
        explode = style == "form"
    return f"style={style} explode={str(explode).lower()}"


_Requirements = dict[tuple[str, ...], dict[str, frozenset[str]]]


def _requirements(raw: list[Any] | None) -> _Requirements:
    """Security alternatives keyed by their schemes; `{}` (no auth) becomes the empty key."""
    result: _Requirements = {}
    for requirement in raw or []:
        if not _is_map(requirement):
            continue
        schemes = tuple(sorted(str(s) for s in requirement))
        result[schemes] = {
            str(s): frozenset(str(x) for x in _list(requirement[s])) for s in requirement
        }
    return result


def _alternatives(requirements: _Requirements) -> str:
    return " or ".join(" + ".join(schemes) or "anonymous" for schemes in sorted(requirements))


def _compare_scheme(old: Mapping[str, Any], new: Mapping[str, Any], sink: _Sink) -> None:
    changed = ChangeKind.SECURITY_SCHEME_CHANGED
    for key in ("type", "scheme", "in", "name", "openIdConnectUrl"):
        if old.get(key) != new.get(key):
            sink.add(changed, key, f"{key} changed from {old.get(key)} to {new.get(key)}", True)
    old_flows, new_flows = _mapping(old.get("flows")), _mapping(new.get("flows"))
    for flow in sorted(set(old_flows) - set(new_flows)):
        sink.add(changed, flow, f"OAuth flow {flow} removed", True)
    for flow in sorted(set(new_flows) - set(old_flows)):
        sink.add(ChangeKind.SECURITY_SCHEME_ADDED, flow, f"OAuth flow {flow} added", False)
    for flow in sorted(set(old_flows) & set(new_flows)):
        before, after = _mapping(old_flows[flow]), _mapping(new_flows[flow])
        for key in ("authorizationUrl", "tokenUrl", "refreshUrl"):
            if before.get(key) != after.get(key):
                message = f"{flow} {key} changed from {before.get(key)} to {after.get(key)}"
                sink.add(changed, flow, message, True)
        old_scopes = set(_mapping(before.get("scopes")))
        new_scopes = set(_mapping(after.get("scopes")))
        for scope in sorted(old_scopes - new_scopes):
            sink.add(ChangeKind.SCOPE_REMOVED, flow, f"{flow} scope {scope} removed", True)
        for scope in sorted(new_scopes - old_scopes):
            sink.add(ChangeKind.SCOPE_ADDED, flow, f"{flow} scope {scope} added", False)


def diff_specs(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    *,
    old_origin: str = "old spec",
    new_origin: str = "new spec",
) -> SpecDiff:
    """Compare two raw OpenAPI documents. A dangling `$ref` raises GeneratorError naming the
    origin and the JSON pointer of the reference."""
    comparer = _Comparer(_Document(old_origin, old), _Document(new_origin, new))
    return comparer.run()


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _mark(change: Change) -> str:
    if change.breaking:
        return "!"
    return "+" if change.kind in ADDITIONS else "~"


def render_text(diff: SpecDiff) -> str:
    lines = [f"spec diff {diff.summary}", "(! breaking, + added, ~ other change)"]

    def section(title: str, count: int) -> None:
        lines.extend(["", f"{title} ({count})"])

    if diff.operations_removed:
        section("Operations removed", len(diff.operations_removed))
        for op in diff.operations_removed:
            note = f" (the route is now {op.replaced_by})" if op.replaced_by else ""
            lines.append(f"  ! {op.operation_id}: {op.method} {op.path}{note}")
    if diff.operations_added:
        section("Operations added", len(diff.operations_added))
        lines.extend(
            f"  + {op.operation_id}: {op.method} {op.path}" for op in diff.operations_added
        )
    if diff.operations_changed:
        section("Operations changed", len(diff.operations_changed))
        for changed in diff.operations_changed:
            lines.append(f"  {changed.operation_id}: {changed.method} {changed.path}")
            lines.extend(f"    {_mark(c)} {c.message}" for c in changed.changes)
    if diff.security_changes:
        section("Security schemes", len(diff.security_changes))
        lines.extend(f"  {_mark(c)} {c.subject}: {c.message}" for c in diff.security_changes)
    if diff.schemas_removed:
        section("Schemas removed", len(diff.schemas_removed))
        lines.extend(f"  ! {name}" for name in diff.schemas_removed)
    if diff.schemas_renamed:
        section("Schemas renamed", len(diff.schemas_renamed))
        lines.extend(f"  ! {r.old} -> {r.new} ({r.evidence})" for r in diff.schemas_renamed)
    if diff.schemas_added:
        section("Schemas added", len(diff.schemas_added))
        lines.extend(f"  + {name}" for name in diff.schemas_added)
    if diff.schemas_changed:
        section("Schemas changed", len(diff.schemas_changed))
        for schema in diff.schemas_changed:
            was = f" (was {schema.old_name})" if schema.old_name != schema.name else ""
            lines.append(f"  {schema.name}{was}")
            lines.extend(f"    {_mark(c)} {c.message}" for c in schema.changes)
    return "\n".join(lines) + "\n"


def _code(text: str) -> str:
    """'name' quoting in messages becomes markdown code spans."""
    out: list[str] = []
    parts = text.split("'")
    for index, part in enumerate(parts):
        # Odd pieces sit between a pair of quotes; a trailing unpaired quote stays a quote.
        if index % 2 == 1 and index < len(parts) - 1:
            out.append(f"`{part}`")
        elif index % 2 == 1:
            out.append("'" + part)
        else:
            out.append(part)
    return "".join(out)


def _md_change(change: Change) -> str:
    tag = "**breaking** " if change.breaking else ""
    return f"- {tag}{_code(change.message)}"


def render_markdown(diff: SpecDiff, heading_level: int = 1) -> str:
    h1 = "#" * heading_level
    h2, h3 = h1 + "#", h1 + "##"
    lines = [f"{h1} Spec diff {diff.old_version} → {diff.new_version}", "", diff.summary]

    def section(title: str, count: int) -> None:
        lines.extend(["", f"{h2} {title} ({count})", ""])

    if diff.operations_removed:
        section("Operations removed", len(diff.operations_removed))
        for op in diff.operations_removed:
            note = f" (the route is now `{op.replaced_by}`)" if op.replaced_by else ""
            lines.append(f"- **breaking** `{op.operation_id}`: `{op.method} {op.path}`{note}")
    if diff.operations_added:
        section("Operations added", len(diff.operations_added))
        lines.extend(
            f"- `{op.operation_id}`: `{op.method} {op.path}`" for op in diff.operations_added
        )
    if diff.operations_changed:
        section("Operations changed", len(diff.operations_changed))
        for changed in diff.operations_changed:
            lines.extend(
                ["", f"{h3} `{changed.operation_id}`: `{changed.method} {changed.path}`", ""]
            )
            lines.extend(_md_change(c) for c in changed.changes)
    if diff.security_changes:
        section("Security schemes", len(diff.security_changes))
        for change in diff.security_changes:
            lines.append(_md_change(change).replace("- ", f"- `{change.subject}`: ", 1))
    if diff.schemas_removed:
        section("Schemas removed", len(diff.schemas_removed))
        lines.extend(f"- **breaking** `{name}`" for name in diff.schemas_removed)
    if diff.schemas_renamed:
        section("Schemas renamed", len(diff.schemas_renamed))
        lines.extend(
            f"- **breaking** `{r.old}` → `{r.new}` ({r.evidence})" for r in diff.schemas_renamed
        )
    if diff.schemas_added:
        section("Schemas added", len(diff.schemas_added))
        lines.extend(f"- `{name}`" for name in diff.schemas_added)
    if diff.schemas_changed:
        section("Schemas changed", len(diff.schemas_changed))
        for schema in diff.schemas_changed:
            was = f" (was `{schema.old_name}`)" if schema.old_name != schema.name else ""
            lines.extend(["", f"{h3} `{schema.name}`{was}", ""])
            lines.extend(_md_change(c) for c in schema.changes)
    return "\n".join(lines) + "\n"


def render_json(diff: SpecDiff) -> str:
    return json.dumps(diff.to_json(), indent=2, ensure_ascii=False) + "\n"


FORMATS: Final = ("text", "json", "markdown")


def render(diff: SpecDiff, fmt: str) -> str:
    if fmt == "json":
        return render_json(diff)
    if fmt == "markdown":
        return render_markdown(diff)
    if fmt == "text":
        return render_text(diff)
    raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")


# --------------------------------------------------------------------------------------------
# `sdkgen diff OLD_SPEC NEW_SPEC [--format text|json|markdown] [--fail-on-breaking]`
# --------------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `diff` arguments, for a subcommand parser of the main CLI."""
    parser.add_argument("old_spec", metavar="OLD_SPEC", help="path or URL of the older spec")
    parser.add_argument("new_spec", metavar="NEW_SPEC", help="path or URL of the newer spec")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument(
        "--fail-on-breaking",
        action="store_true",
        help="exit 1 when a change breaks code written against OLD_SPEC",
    )


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Exit status: 0, 1 (breaking change with --fail-on-breaking), 2 (bad input)."""
    from generator.spec_source import load_spec

    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        old = load_spec(args.old_spec)
        new = load_spec(args.new_spec)
        diff = diff_specs(
            old.document, new.document, old_origin=args.old_spec, new_origin=args.new_spec
        )
    except GeneratorError as exc:
        print(f"sdkgen: error: {exc}", file=err)
        return 2
    out.write(render(diff, args.format))
    return 1 if args.fail_on_breaking and diff.is_breaking else 0


def cli_main(argv: Sequence[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="sdkgen diff",
        description="Compare two OpenAPI documents and classify each change as breaking or not.",
    )
    add_arguments(parser)
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:  # argparse reports usage errors (2) and --help (0) this way
        return exc.code if isinstance(exc.code, int) else 2
    return run(args, out, err)
