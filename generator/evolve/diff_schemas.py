"""Comparing two versions of a schema, and whether each difference breaks clients.

"Breaking" is judged from a client's side: a schema only sent by clients (a request body) may
gain optional properties, a schema only received (a response) may gain any property; a removal
of anything a client could use breaks. Schemas reachable from both, or from neither, get the
stricter of the two rules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from generator.evolve.diff_document import (
    BOTH,
    INPUT,
    OUTPUT,
    Document,
    as_list,
    is_map,
    ref_name,
    schema_kind,
)
from generator.evolve.diff_model import Change, ChangeKind, SchemaDiff, Text, joined, text
from generator.evolve.diff_renames import canon

# String formats that change the Python type a generator picks.
_TYPED_FORMATS: Final = frozenset({"date-time", "date", "binary", "byte"})


def _enum_values(node: Any) -> list[Any] | None:
    enum = node.get("enum") if is_map(node) else None
    return enum if isinstance(enum, list) else None


def _show(values: Sequence[Any]) -> Text:
    return joined([json.dumps(v) if not isinstance(v, str) else v for v in values])


def _where(preposition: str, path: str) -> Text:
    """` of 'data.id'`; nothing for the schema itself or its bare array items."""
    return text(f"{preposition} '{{}}'", path) if path.strip("[]") else text("")


def _unique(values: Sequence[Any]) -> list[Any]:
    return sorted({json.dumps(v, sort_keys=True): v for v in values}.values(), key=str)


def _breaks(ctx: frozenset[str], *, on_input: bool = False, on_output: bool = False) -> bool:
    return (on_input and INPUT in ctx) or (on_output and OUTPUT in ctx)


@dataclass(slots=True)
class Sink:
    """Where one comparison's changes go, and the words that place them."""

    subject: str
    prefix: Text  # empty for a component schema, "request body (application/json)" in an operation
    ctx: frozenset[str]
    out: list[Change]

    def add(
        self,
        kind: ChangeKind,
        path: str,
        message: Text,
        breaking: bool,
        before: str | None = None,
        after: str | None = None,
    ) -> None:
        prefix = str(self.prefix)
        location = ": ".join(p for p in (prefix, path) if p)
        words = self.prefix + text(": ") + message if prefix else message
        self.out.append(Change.of(kind, self.subject, location, words, breaking, before, after))


class SchemaComparer:
    """Old schemas against new ones; a renamed model compares equal to its new name."""

    def __init__(self, old: Document, new: Document, renames: Mapping[str, str]) -> None:
        self.old = old
        self.new = new
        self.renames = renames  # old schema name -> new schema name

    # -- describing schemas -------------------------------------------------------------------

    def _is_model(self, doc: Document, name: str) -> bool:
        body = doc.deref(doc.schemas.get(name))
        if not is_map(body):
            return False
        if any(k in body for k in ("properties", "allOf", "oneOf", "anyOf")):
            return True
        return body.get("type") == "object" and not is_map(body.get("additionalProperties"))

    @staticmethod
    def _unwrap(doc: Document, node: Any) -> Any:
        """The one variant of a `oneOf`/`anyOf`/`allOf` that has only one (a common wrapper
        for adding a description or `nullable` next to a `$ref`)."""
        for _ in range(8):
            body = doc.deref(node)
            if not is_map(body) or "properties" in body or "type" in body:
                return node
            composites = [k for k in ("oneOf", "anyOf", "allOf") if k in body]
            parts = body.get(composites[0]) if len(composites) == 1 else None
            if not (isinstance(parts, list) and len(parts) == 1):
                return node
            node = parts[0]
        return node

    def describe(self, doc: Document, node: Any, old_side: bool, depth: int = 0) -> str:
        """A short type description: model names for models, structure for everything else.

        On the old side, renamed models get their new names, so a rename alone compares equal;
        `shown` gives the names as each document spells them, for messages.
        """
        name = ref_name(node)
        if name is not None and (depth > 8 or self._is_model(doc, name)):
            return self.renames.get(name, name) if old_side else name
        inner = self._unwrap(doc, node)
        if inner is not node:
            return self.describe(doc, inner, old_side, depth + 1)
        body = doc.deref(node)
        kind = schema_kind(body)
        if kind in ("oneOf", "anyOf"):
            inner = sorted({self.describe(doc, v, old_side, depth + 1) for v in body[kind]})
            return f"{kind}({', '.join(inner)})"
        if kind == "array":
            return f"array<{self.describe(doc, body.get('items'), old_side, depth + 1)}>"
        if kind == "string" and body.get("format") in _TYPED_FORMATS:
            return f"string({body['format']})"
        extra = body.get("additionalProperties") if is_map(body) else None
        if kind == "object" and "properties" not in body and is_map(extra):
            return f"map<{self.describe(doc, extra, old_side, depth + 1)}>"
        return kind

    def _object_parts(
        self, doc: Document, body: Any, depth: int = 0
    ) -> tuple[dict[str, Any], set[str]]:
        """Properties and required names, with allOf parts merged in."""
        props: dict[str, Any] = {}
        required: set[str] = set()
        if not is_map(body) or depth > 8:
            return props, required
        for part in as_list(body.get("allOf")):
            more, more_required = self._object_parts(doc, doc.deref(part), depth + 1)
            props.update(more)
            required |= more_required
        own = body.get("properties")
        if is_map(own):
            props.update(own)
        required |= {r for r in as_list(body.get("required")) if isinstance(r, str)}
        return props, required

    # -- comparing schemas ----------------------------------------------------------------------

    def compare(self, old: Any, new: Any, path: str, sink: Sink, seen: set[Any]) -> None:
        old_name, new_name = ref_name(old), ref_name(new)
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
        old_kind, new_kind = schema_kind(old_body), schema_kind(new_body)
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

    def shown(self, doc: Document, node: Any) -> str:
        saved, self.renames = self.renames, {}
        try:
            return self.describe(doc, node, False)
        finally:
            self.renames = saved

    def _type_changed(
        self, path: str, old: str, new: str, sink: Sink, shown: tuple[str, str] | None = None
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
        message = text("type") + _where(" of", path) + text(" changed from {} to {}", before, after)
        sink.add(ChangeKind.TYPE_CHANGED, path, message, breaking, before, after)

    def _compare_variants(self, old: Any, new: Any, key: str, path: str, sink: Sink) -> None:
        old_set = {self.describe(self.old, v, True) for v in as_list(old.get(key))}
        new_set = {self.describe(self.new, v, False) for v in as_list(new.get(key))}
        for variant in sorted(old_set - new_set):
            sink.add(
                ChangeKind.VARIANT_REMOVED,
                path,
                text(f"{key} variant {{}} removed", variant) + _where(" from", path),
                _breaks(sink.ctx, on_input=True),
            )
        for variant in sorted(new_set - old_set):
            sink.add(
                ChangeKind.VARIANT_ADDED,
                path,
                text(f"{key} variant {{}} added", variant) + _where(" to", path),
                _breaks(sink.ctx, on_output=True),
            )

    def _compare_enum(self, old: Any, new: Any, path: str, sink: Sink) -> None:
        old_values, new_values = _enum_values(old), _enum_values(new)
        if old_values is None and new_values is not None:
            sink.add(
                ChangeKind.ENUM_VALUE_REMOVED,
                path,
                text("values") + _where(" of", path) + text(" restricted to ") + _show(new_values),
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
                text("enum value(s) removed")
                + _where(" from", path)
                + text(": ")
                + _show(_unique(removed)),
                _breaks(sink.ctx, on_input=True),
            )
        if added:
            sink.add(
                ChangeKind.ENUM_VALUE_ADDED,
                path,
                text("enum value(s) added")
                + _where(" to", path)
                + text(": ")
                + _show(_unique(added)),
                False,
            )

    def _compare_object(self, old: Any, new: Any, path: str, sink: Sink, seen: set[Any]) -> None:
        old_props, old_required = self._object_parts(self.old, old)
        new_props, new_required = self._object_parts(self.new, new)
        removed = [p for p in old_props if p not in new_props]
        added = [p for p in new_props if p not in old_props]
        renamed: dict[str, str] = {}
        by_canon = {canon(p): p for p in added}
        for name in removed:
            match = by_canon.get(canon(name))
            if match is not None and match not in renamed.values():
                renamed[name] = match

        def sub(name: str) -> str:
            return f"{path}.{name}" if path else name

        for name in sorted(removed):
            if name in renamed:
                sink.add(
                    ChangeKind.PROPERTY_RENAMED,
                    sub(name),
                    text("property '{}' renamed to '{}'", sub(name), renamed[name]),
                    True,
                    name,
                    renamed[name],
                )
            else:
                message = text("property '{}' removed", sub(name))
                sink.add(ChangeKind.PROPERTY_REMOVED, sub(name), message, True)
        for name in sorted(added):
            if name in renamed.values():
                continue
            required = name in new_required
            sink.add(
                ChangeKind.PROPERTY_ADDED,
                sub(name),
                text(f"{'required ' if required else ''}property '{{}}' added", sub(name)),
                required and _breaks(sink.ctx, on_input=True),
            )
        pairs = [(p, p) for p in old_props if p in new_props] + sorted(renamed.items())
        for old_name, new_name in sorted(pairs, key=lambda pair: pair[1]):
            was, now = old_name in old_required, new_name in new_required
            if now and not was:
                sink.add(
                    ChangeKind.PROPERTY_REQUIRED,
                    sub(new_name),
                    text("property '{}' became required", sub(new_name)),
                    _breaks(sink.ctx, on_input=True),
                )
            elif was and not now:
                sink.add(
                    ChangeKind.PROPERTY_OPTIONAL,
                    sub(new_name),
                    text("property '{}' became optional", sub(new_name)),
                    _breaks(sink.ctx, on_output=True),
                )
            self.compare(old_props[old_name], new_props[new_name], sub(new_name), sink, seen)
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if is_map(old_extra) and is_map(new_extra):
            self.compare(old_extra, new_extra, f"{path}{{}}" if path else "{}", sink, seen)

    def _context(self, old_name: str, new_name: str) -> frozenset[str]:
        used = self.old.usage.get(old_name, frozenset()) | self.new.usage.get(new_name, frozenset())
        return used or BOTH

    def compare_schema(self, old_name: str, new_name: str) -> SchemaDiff | None:
        out: list[Change] = []
        sink = Sink(new_name, text(""), self._context(old_name, new_name), out)
        self.compare(self.old.schemas[old_name], self.new.schemas[new_name], "", sink, set())
        return SchemaDiff(new_name, old_name, tuple(out)) if out else None
