"""`diff_specs`: compare two OpenAPI documents into a `SpecDiff`.

Operations are matched by operationId and compared here (route, parameters, request body,
responses, security), as are the security schemes; schemas are compared by `diff_schemas`
once `diff_renames` has paired renamed ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from generator.evolve.diff_document import (
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
from generator.evolve.diff_model import (
    Change,
    ChangeKind,
    OperationDiff,
    OperationRef,
    SpecDiff,
    Text,
    joined,
    text,
)
from generator.evolve.diff_renames import canon, find_renames
from generator.evolve.diff_schemas import SchemaComparer, Sink


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
        server_changes=tuple(_document_servers(old, new)),
    )


def _document_servers(old: Document, new: Document) -> list[Change]:
    out: list[Change] = []
    compare_servers(old.servers, new.servers, Sink("servers", text(""), BOTH, out))
    return out


def compare_servers(old: Sequence[str], new: Sequence[str], sink: Sink) -> None:
    """Every difference in where calls go is breaking: the first server is the client's
    default base URL, and any other is one a user may be pointed to."""
    if tuple(old) == tuple(new):
        return
    reported: set[str] = set()
    if old and new and old[0] != new[0]:
        message = text("default server changed from '{}' to '{}'", old[0], new[0])
        sink.add(ChangeKind.SERVER_CHANGED, "servers", message, True, old[0], new[0])
        reported = {old[0], new[0]}
    for url in old:
        if url not in new and url not in reported:
            message = text("server '{}' removed", url)
            sink.add(ChangeKind.SERVER_REMOVED, "servers", message, True, url, None)
    for url in new:
        if url not in old and url not in reported:
            message = text("server '{}' added", url)
            sink.add(ChangeKind.SERVER_ADDED, "servers", message, True, None, url)


class _OperationComparer:
    def __init__(self, old: Document, new: Document, schemas: SchemaComparer) -> None:
        self.old = old
        self.new = new
        self.schemas = schemas

    def compare(self, old: Operation, new: Operation) -> OperationDiff | None:
        out: list[Change] = []
        sink = Sink(new.key, text(""), BOTH, out)
        if (old.method, old.path) != (new.method, new.path):
            before, after = f"{old.method} {old.path}", f"{new.method} {new.path}"
            message = text("moved from '{}' to '{}'", before, after)
            sink.add(ChangeKind.OPERATION_MOVED, "", message, True, before, after)
        if new.node.get("deprecated") and not old.node.get("deprecated"):
            sink.add(ChangeKind.OPERATION_DEPRECATED, "", text("deprecated"), False)
        if old.servers is not None or new.servers is not None:
            # Its own servers (or its path's); the document's are compared once, apart.
            compare_servers(
                self.old.servers if old.servers is None else old.servers,
                self.new.servers if new.servers is None else new.servers,
                sink,
            )
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
                message = _parameter(where, name) + text(" renamed to '{}'", after)
                sink.add(ChangeKind.PARAMETER_RENAMED, name, message, True, name, after)
            else:
                message = _parameter(where, name) + text(" removed")
                sink.add(ChangeKind.PARAMETER_REMOVED, name, message, True)
        for key in added:
            if key not in renamed.values():
                where, name = key
                required = bool(new.params[key].get("required"))
                message = text("required " if required else "") + _parameter(where, name)
                sink.add(ChangeKind.PARAMETER_ADDED, name, message + text(" added"), required)
        pairs = [(k, k) for k in old.params if k in new.params] + list(renamed.items())
        for old_key, new_key in pairs:
            self._compare_parameter(old.params[old_key], new.params[new_key], sink)

    def _compare_parameter(self, old: Any, new: Any, sink: Sink) -> None:
        where, name = str(new.get("in", "")), str(new.get("name", ""))
        label = _parameter(where, name)
        was, now = bool(old.get("required")), bool(new.get("required"))
        if now and not was:
            message = label + text(" became required")
            sink.add(ChangeKind.PARAMETER_REQUIRED, name, message, True)
        elif was and not now:
            message = label + text(" became optional")
            sink.add(ChangeKind.PARAMETER_OPTIONAL, name, message, False)
        old_style, new_style = _serialisation(old), _serialisation(new)
        if old_style != new_style:
            message = label + text(" serialisation changed from {} to {}", old_style, new_style)
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
            message = text(f"{'required ' if required else ''}request body added")
            sink.add(ChangeKind.REQUEST_BODY_ADDED, "", message, required)
            return
        if not is_map(new_body):
            sink.add(ChangeKind.REQUEST_BODY_REMOVED, "", text("request body removed"), True)
            return
        was, now = bool(old_body.get("required")), bool(new_body.get("required"))
        if now and not was:
            message = text("request body became required")
            sink.add(ChangeKind.REQUEST_BODY_REQUIRED, "", message, True)
        elif was and not now:
            message = text("request body became optional")
            sink.add(ChangeKind.REQUEST_BODY_OPTIONAL, "", message, False)
        self._compare_content(text("request body"), old_body, new_body, INPUT, sink)

    def _compare_content(self, label: Text, old: Any, new: Any, ctx: str, sink: Sink) -> None:
        old_content, new_content = content_of(old), content_of(new)
        where = str(label)
        for media in sorted(set(old_content) - set(new_content)):
            message = label + text(": media type {} removed", media)
            sink.add(ChangeKind.MEDIA_TYPE_REMOVED, where, message, True)
        for media in sorted(set(new_content) - set(old_content)):
            message = label + text(": media type {} added", media)
            sink.add(ChangeKind.MEDIA_TYPE_ADDED, where, message, False)
        for media in sorted(set(old_content) & set(new_content)):
            old_media, new_media = old_content[media], new_content[media]
            if is_map(old_media) and is_map(new_media):
                prefix = label + text(" ({})", media)
                inner = Sink(sink.subject, prefix, frozenset({ctx}), sink.out)
                self.schemas.compare(
                    old_media.get("schema"), new_media.get("schema"), "", inner, set()
                )

    def _compare_responses(self, old: Operation, new: Operation, sink: Sink) -> None:
        old_responses, new_responses = responses_of(old.node), responses_of(new.node)
        for code in sorted(set(old_responses) | set(new_responses)):
            label = text("response {}", code)
            if code not in new_responses:
                # Losing a success response changes what the method returns.
                success = code.startswith("2")
                message = label + text(" removed")
                sink.add(ChangeKind.RESPONSE_REMOVED, str(label), message, success)
            elif code not in old_responses:
                message = label + text(" added")
                sink.add(ChangeKind.RESPONSE_ADDED, str(label), message, False)
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
            message = text("now requires authentication (") + _alternatives(after) + text(")")
            sink.add(ChangeKind.SECURITY_ADDED, "security", message, True)
            return
        if not after:
            message = text("no longer requires authentication")
            sink.add(ChangeKind.SECURITY_REMOVED, "security", message, False)
            return
        for schemes in sorted(set(before) - set(after)):
            message = text("no longer accepts ") + _schemes(schemes, "anonymous calls")
            sink.add(ChangeKind.SECURITY_REMOVED, "security", message, True)
        for schemes in sorted(set(after) - set(before)):
            message = text("now also accepts ") + _schemes(schemes, "anonymous calls")
            sink.add(ChangeKind.SECURITY_ADDED, "security", message, False)
        for schemes in sorted(set(before) & set(after)):
            for scheme in schemes:
                had, needs = before[schemes][scheme], after[schemes][scheme]
                if needs - had:
                    message = text("{} now needs scope(s) ", scheme) + joined(sorted(needs - had))
                    sink.add(ChangeKind.SCOPES_ADDED, "security", message, True)
                if had - needs:
                    message = text("{} no longer needs scope(s) ", scheme)
                    message += joined(sorted(had - needs))
                    sink.add(ChangeKind.SCOPES_REMOVED, "security", message, False)


def _compare_security_schemes(old_doc: Document, new_doc: Document) -> list[Change]:
    out: list[Change] = []
    old_schemes, new_schemes = old_doc.schemes, new_doc.schemes
    for name in sorted(set(old_schemes) | set(new_schemes)):
        sink = Sink(name, text(""), BOTH, out)
        if name not in new_schemes:
            message = text("security scheme removed")
            sink.add(ChangeKind.SECURITY_SCHEME_REMOVED, "", message, True)
        elif name not in old_schemes:
            # A new way of sending credentials: reviewed like any other change of where they go.
            message = text("security scheme added")
            sink.add(ChangeKind.SECURITY_SCHEME_ADDED, "", message, True)
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


_PARAMETER_PLACES: Final = frozenset({"query", "path", "header", "cookie"})


def _parameter(where: str, name: str) -> Text:
    """`query parameter 'q'`; a place OpenAPI does not define is shown as the spec's value."""
    if where in _PARAMETER_PLACES:
        return text(f"{where} parameter '{{}}'", name)
    return text("{} parameter '{}'", where, name)


def _schemes(schemes: tuple[str, ...], none: str) -> Text:
    return joined(schemes, " + ") if schemes else text(none)


def _alternatives(requirements: _Requirements) -> Text:
    parts = [_schemes(schemes, "anonymous") for schemes in sorted(requirements)]
    result = parts[0]
    for part in parts[1:]:
        result += text(" or ") + part
    return result


# Every URL of a flow the client sends credentials to: the revocation URL (an X extension)
# receives the tokens as much as the token URL does.
_FLOW_URLS = ("authorizationUrl", "tokenUrl", "refreshUrl", "x-revocationUrl")


def _compare_scheme(old: Mapping[str, Any], new: Mapping[str, Any], sink: Sink) -> None:
    changed = ChangeKind.SECURITY_SCHEME_CHANGED
    for key in ("type", "scheme", "in", "name", "openIdConnectUrl"):
        if old.get(key) != new.get(key):
            message = text(f"{key} changed from {{}} to {{}}", old.get(key), new.get(key))
            sink.add(changed, key, message, True)
    old_flows, new_flows = as_mapping(old.get("flows")), as_mapping(new.get("flows"))
    for flow in sorted(set(old_flows) - set(new_flows)):
        sink.add(changed, flow, text("OAuth flow {} removed", flow), True)
    for flow in sorted(set(new_flows) - set(old_flows)):
        sink.add(ChangeKind.SECURITY_SCHEME_ADDED, flow, text("OAuth flow {} added", flow), True)
    for flow in sorted(set(old_flows) & set(new_flows)):
        before, after = as_mapping(old_flows[flow]), as_mapping(new_flows[flow])
        for key in _FLOW_URLS:
            if before.get(key) != after.get(key):
                message = text(
                    f"{{}} {key} changed from {{}} to {{}}", flow, before.get(key), after.get(key)
                )
                sink.add(changed, flow, message, True)
        old_scopes = set(as_mapping(before.get("scopes")))
        new_scopes = set(as_mapping(after.get("scopes")))
        for scope in sorted(old_scopes - new_scopes):
            sink.add(ChangeKind.SCOPE_REMOVED, flow, text("{} scope {} removed", flow, scope), True)
        for scope in sorted(new_scopes - old_scopes):
            sink.add(ChangeKind.SCOPE_ADDED, flow, text("{} scope {} added", flow, scope), False)
