"""`diff_specs`: compare two OpenAPI documents into a `SpecDiff`.

Operations are matched by operationId and compared here (route, parameters, request body,
responses, security), as are the security schemes; schemas are compared by `diff_schemas`
once `diff_renames` has paired renamed ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from generator.diff_document import (
    BOTH,
    INPUT,
    OUTPUT,
    Document,
    Operation,
    as_list,
    as_mapping,
    content_of,
    is_map,
    responses_of,
)
from generator.diff_model import Change, ChangeKind, OperationDiff, OperationRef, SpecDiff
from generator.diff_renames import canon, find_renames
from generator.diff_schemas import SchemaComparer, Sink


def diff_specs(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    *,
    old_origin: str = "old spec",
    new_origin: str = "new spec",
) -> SpecDiff:
    """Compare two raw OpenAPI documents. A dangling `$ref` raises GeneratorError naming the
    origin and the JSON pointer of the reference."""
    return _compare(Document(old_origin, old), Document(new_origin, new))


def _compare(old: Document, new: Document) -> SpecDiff:
    old_ops, new_ops = old.operations, new.operations
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
    chosen = find_renames(old, new, [*common, *replaced])
    schemas = SchemaComparer(old, new, {name: r.new for name, r in chosen.items()})
    operations = _OperationComparer(old, new, schemas)
    changed = [d for o, n in common if (d := operations.compare(o, n)) is not None]
    renamed = sorted(chosen.values(), key=lambda r: (r.old, r.new))
    renamed_new = {r.new for r in renamed}
    schema_pairs = [(n, n) for n in old.schemas if n in new.schemas]
    schema_pairs += [(r.old, r.new) for r in renamed]
    schema_changes = [
        sd
        for o, n in sorted(schema_pairs, key=lambda p: p[1])
        if (sd := schemas.compare_schema(o, n)) is not None
    ]

    def route(op: OperationRef | OperationDiff) -> tuple[str, str, str]:
        return (op.path, op.method, op.operation_id)

    return SpecDiff(
        old_version=old.version,
        new_version=new.version,
        operations_added=tuple(sorted(added, key=route)),
        operations_removed=tuple(sorted(removed, key=route)),
        operations_changed=tuple(sorted(changed, key=route)),
        schemas_added=tuple(sorted(set(new.schemas) - set(old.schemas) - renamed_new)),
        schemas_removed=tuple(sorted(set(old.schemas) - set(new.schemas) - set(chosen))),
        schemas_renamed=tuple(renamed),
        schemas_changed=tuple(schema_changes),
        security_changes=tuple(_compare_security_schemes(old, new)),
    )


class _OperationComparer:
    def __init__(self, old: Document, new: Document, schemas: SchemaComparer) -> None:
        self.old = old
        self.new = new
        self.schemas = schemas

    def compare(self, old: Operation, new: Operation) -> OperationDiff | None:
        out: list[Change] = []
        sink = Sink(new.key, "", BOTH, out)
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

    def _compare_parameters(self, old: Operation, new: Operation, sink: Sink) -> None:
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
                    if a[0] == key[0] and canon(a[1]) == canon(key[1]) and a not in renamed.values()
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

    def _compare_parameter(self, old: Any, new: Any, sink: Sink) -> None:
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
        inner = Sink(sink.subject, label, frozenset({INPUT}), sink.out)
        self.schemas.compare(old.get("schema"), new.get("schema"), "", inner, set())

    def _compare_request_body(self, old: Operation, new: Operation, sink: Sink) -> None:
        old_body = self.old.deref(old.node.get("requestBody"))
        new_body = self.new.deref(new.node.get("requestBody"))
        if not is_map(old_body) and not is_map(new_body):
            return
        if not is_map(old_body):
            required = bool(new_body.get("required"))
            message = f"{'required ' if required else ''}request body added"
            sink.add(ChangeKind.REQUEST_BODY_ADDED, "", message, required)
            return
        if not is_map(new_body):
            sink.add(ChangeKind.REQUEST_BODY_REMOVED, "", "request body removed", True)
            return
        was, now = bool(old_body.get("required")), bool(new_body.get("required"))
        if now and not was:
            sink.add(ChangeKind.REQUEST_BODY_REQUIRED, "", "request body became required", True)
        elif was and not now:
            sink.add(ChangeKind.REQUEST_BODY_OPTIONAL, "", "request body became optional", False)
        self._compare_content("request body", old_body, new_body, INPUT, sink)

    def _compare_content(self, label: str, old: Any, new: Any, ctx: str, sink: Sink) -> None:
        old_content, new_content = content_of(old), content_of(new)
        for media in sorted(set(old_content) - set(new_content)):
            message = f"{label}: media type {media} removed"
            sink.add(ChangeKind.MEDIA_TYPE_REMOVED, label, message, True)
        for media in sorted(set(new_content) - set(old_content)):
            message = f"{label}: media type {media} added"
            sink.add(ChangeKind.MEDIA_TYPE_ADDED, label, message, False)
        for media in sorted(set(old_content) & set(new_content)):
            old_media, new_media = old_content[media], new_content[media]
            if is_map(old_media) and is_map(new_media):
                inner = Sink(sink.subject, f"{label} ({media})", frozenset({ctx}), sink.out)
                self.schemas.compare(
                    old_media.get("schema"), new_media.get("schema"), "", inner, set()
                )

    def _compare_responses(self, old: Operation, new: Operation, sink: Sink) -> None:
        old_responses, new_responses = responses_of(old.node), responses_of(new.node)
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
                self._compare_content(label, old_response, new_response, OUTPUT, sink)

    def _compare_security(self, old: Operation, new: Operation, sink: Sink) -> None:
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


def _compare_security_schemes(old_doc: Document, new_doc: Document) -> list[Change]:
    out: list[Change] = []
    old_schemes, new_schemes = old_doc.schemes, new_doc.schemes
    for name in sorted(set(old_schemes) | set(new_schemes)):
        sink = Sink(name, "", BOTH, out)
        if name not in new_schemes:
            sink.add(ChangeKind.SECURITY_SCHEME_REMOVED, "", "security scheme removed", True)
        elif name not in old_schemes:
            sink.add(ChangeKind.SECURITY_SCHEME_ADDED, "", "security scheme added", False)
        else:
            old = old_doc.deref(old_schemes[name])
            new = new_doc.deref(new_schemes[name])
            if is_map(old) and is_map(new):
                _compare_scheme(old, new, sink)
    return out


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
        if not is_map(requirement):
            continue
        schemes = tuple(sorted(str(s) for s in requirement))
        result[schemes] = {
            str(s): frozenset(str(x) for x in as_list(requirement[s])) for s in requirement
        }
    return result


def _alternatives(requirements: _Requirements) -> str:
    return " or ".join(" + ".join(schemes) or "anonymous" for schemes in sorted(requirements))


def _compare_scheme(old: Mapping[str, Any], new: Mapping[str, Any], sink: Sink) -> None:
    changed = ChangeKind.SECURITY_SCHEME_CHANGED
    for key in ("type", "scheme", "in", "name", "openIdConnectUrl"):
        if old.get(key) != new.get(key):
            sink.add(changed, key, f"{key} changed from {old.get(key)} to {new.get(key)}", True)
    old_flows, new_flows = as_mapping(old.get("flows")), as_mapping(new.get("flows"))
    for flow in sorted(set(old_flows) - set(new_flows)):
        sink.add(changed, flow, f"OAuth flow {flow} removed", True)
    for flow in sorted(set(new_flows) - set(old_flows)):
        sink.add(ChangeKind.SECURITY_SCHEME_ADDED, flow, f"OAuth flow {flow} added", False)
    for flow in sorted(set(old_flows) & set(new_flows)):
        before, after = as_mapping(old_flows[flow]), as_mapping(new_flows[flow])
        for key in ("authorizationUrl", "tokenUrl", "refreshUrl"):
            if before.get(key) != after.get(key):
                message = f"{flow} {key} changed from {before.get(key)} to {after.get(key)}"
                sink.add(changed, flow, message, True)
        old_scopes = set(as_mapping(before.get("scopes")))
        new_scopes = set(as_mapping(after.get("scopes")))
        for scope in sorted(old_scopes - new_scopes):
            sink.add(ChangeKind.SCOPE_REMOVED, flow, f"{flow} scope {scope} removed", True)
        for scope in sorted(new_scopes - old_scopes):
            sink.add(ChangeKind.SCOPE_ADDED, flow, f"{flow} scope {scope} added", False)
