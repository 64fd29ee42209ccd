"""What a spec diff is made of: classified changes, grouped by operation, schema and scheme.

Plain values: the comparison modules build them, `diff_render` prints them. A change's words
are a `Text`: the generator's template with the spec's values kept apart, so each output
format can encode those values for where they land.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final


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
    SERVER_ADDED = "server-added"
    SERVER_REMOVED = "server-removed"
    SERVER_CHANGED = "default-server-changed"


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


# Kinds that change where calls or credentials go: breaking, and shown apart for review.
SECURITY_RELEVANT: Final = frozenset(
    {
        ChangeKind.SERVER_ADDED,
        ChangeKind.SERVER_REMOVED,
        ChangeKind.SERVER_CHANGED,
        ChangeKind.SECURITY_SCHEME_ADDED,
        ChangeKind.SECURITY_SCHEME_REMOVED,
        ChangeKind.SECURITY_SCHEME_CHANGED,
        ChangeKind.SCOPE_REMOVED,
    }
)


@dataclass(frozen=True, slots=True)
class Text:
    """Words of a change: `template` is the generator's, with a `{}` for each of `values`,
    which come from the spec."""

    template: str
    values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.template.count("{}") != len(self.values):
            raise ValueError(f"{self.template!r} does not take {len(self.values)} value(s)")

    def __str__(self) -> str:
        pieces = self.template.split("{}")
        return pieces[0] + "".join(v + p for v, p in zip(self.values, pieces[1:], strict=True))

    def __add__(self, other: Text) -> Text:
        return Text(self.template + other.template, self.values + other.values)


def text(template: str, *values: object) -> Text:
    return Text(template, tuple(str(v) for v in values))


def joined(values: Sequence[object], separator: str = ", ") -> Text:
    """Spec values in a list, each its own value."""
    return Text(separator.join("{}" for _ in values), tuple(str(v) for v in values))


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    subject: str  # the operationId, schema name or security scheme the change belongs to
    location: str  # where inside the subject ("" for the subject itself)
    message: str  # one sentence, without the subject
    breaking: bool
    before: str | None = None  # renames, moves and type changes: the old name/route/type
    after: str | None = None
    words: Text | None = None  # `message` with the spec's values apart (see `Text`)

    @classmethod
    def of(
        cls,
        kind: ChangeKind,
        subject: str,
        location: str,
        words: Text,
        breaking: bool,
        before: str | None = None,
        after: str | None = None,
    ) -> Change:
        return cls(kind, subject, location, str(words), breaking, before, after, words)

    @property
    def text(self) -> Text:
        return self.words if self.words is not None else text("{}", self.message)

    @property
    def security(self) -> bool:
        """Changes where calls or credentials go."""
        return self.kind in SECURITY_RELEVANT

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": str(self.kind),
            "subject": self.subject,
            "location": self.location,
            "message": self.message,
            "breaking": self.breaking,
            "security": self.security,
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
    server_changes: tuple[Change, ...] = ()  # the document's servers; operations' are theirs
    _all: tuple[Change, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_all", tuple(self._collect()))

    def _collect(self) -> Iterator[Change]:
        yield from self.server_changes
        for op in self.operations_removed:
            words = text(f"operation removed: {op.method} {{}}", op.path)
            if op.replaced_by:
                words += text(f" ({op.method} {{}} is now {{}})", op.path, op.replaced_by)
            yield Change.of(ChangeKind.OPERATION_REMOVED, op.operation_id, "", words, True)
        for op in self.operations_added:
            words = text(f"operation added: {op.method} {{}}", op.path)
            yield Change.of(ChangeKind.OPERATION_ADDED, op.operation_id, "", words, False)
        for diff in self.operations_changed:
            yield from diff.changes
        yield from self.security_changes
        for name in self.schemas_removed:
            yield Change.of(ChangeKind.SCHEMA_REMOVED, name, "", text("schema removed"), True)
        for rename in self.schemas_renamed:
            yield Change.of(
                ChangeKind.SCHEMA_RENAMED,
                rename.new,
                "",
                text("schema renamed from {} ({})", rename.old, rename.evidence),
                True,
                rename.old,
                rename.new,
            )
        for name in self.schemas_added:
            yield Change.of(ChangeKind.SCHEMA_ADDED, name, "", text("schema added"), False)
        for schema in self.schemas_changed:
            yield from schema.changes

    def changes(self) -> tuple[Change, ...]:
        """Every change, added and removed things included, in report order."""
        return self._all

    @property
    def breaking_changes(self) -> tuple[Change, ...]:
        return tuple(c for c in self._all if c.breaking)

    @property
    def security_relevant(self) -> tuple[Change, ...]:
        """Changes where calls or credentials go, for review before anything else."""
        return tuple(c for c in self._all if c.security)

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
        return f"{self.old_version} -> {self.new_version}: {self.counts}"

    @property
    def counts(self) -> str:
        """The summary without the versions: only the generator's words and numbers."""
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
        if self.server_changes:
            parts.insert(0, _plural(len(self.server_changes), "server change", "server changes"))
        if self.security_changes:
            parts.append(_plural(len(self.security_changes), "security change", "security changes"))
        body = "; ".join(parts) if parts else "no changes"
        verdict = [_plural(breaking, "breaking change", "breaking changes")] if breaking else []
        if self.security_relevant:
            verdict.append(f"{len(self.security_relevant)} security-relevant")
        return body + (f" ({', '.join(verdict)})" if verdict else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "summary": self.summary,
            "breaking": self.is_breaking,
            "breaking_changes": len(self.breaking_changes),
            "security_relevant_changes": len(self.security_relevant),
            "security_relevant": [c.to_json() for c in self.security_relevant],
            "servers": [c.to_json() for c in self.server_changes],
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
