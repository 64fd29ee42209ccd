"""Operations of the spec to OperationDefs: parameters, body, response, security, paging."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator.encode import Code, join
from generator.errors import GeneratorError
from generator.model.ir import OperationDef, ParamDef, TypeInfo
from generator.model.naming import (
    METHOD_RESERVED,
    PARAM_RESERVED,
    Identifier,
    Namespace,
    class_name,
    identifier,
)
from generator.model.schemas import BINARY_TYPE, SchemaRegistry
from generator.pointers import escape, pointer, unescape

# Every method OpenAPI 3.0 and 3.1 give a Path Item Object.
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_PATH_ITEM_FIELDS = frozenset(
    ("$ref", "summary", "description", "servers", "parameters", *HTTP_METHODS)
)
PAGE_TOKEN_PARAMS = ("pagination_token", "next_token")


@dataclass(frozen=True)
class FoundOperation:
    """An operation of the spec as written: where it is, and its operationId when it has one."""

    path: str
    method: str
    op: Mapping[str, Any]
    shared_params: list[Any]
    where: str
    explicit_id: str | None


def path_item(
    document: Mapping[str, Any], value: Any, origin: str, where: str
) -> Mapping[str, Any]:
    """A Path Item Object, or the `#/components/pathItems/<name>` one its `$ref` names (chains
    followed, cycles refused); members beside the `$ref` take precedence, as when bundling."""
    if not isinstance(value, dict):
        raise GeneratorError(origin, where, "a path item must be an object")
    item = value
    if "$ref" in value:
        resolved = resolve_component(document, value, "pathItems", origin, where)
        item = {**resolved, **{k: v for k, v in value.items() if k != "$ref"}}
    for key in item:
        # An unknown field would be dropped without a word: `GET` or `query` is no method here.
        if key not in _PATH_ITEM_FIELDS and not str(key).startswith("x-"):
            raise GeneratorError(
                origin,
                f"{where}/{escape(key)}",
                f"not a field of a path item (methods: {', '.join(HTTP_METHODS)})",
            )
    return item


def find_operations(document: Mapping[str, Any], origin: str) -> list[FoundOperation]:
    """Every operation under `paths`, in spec order."""
    found: list[FoundOperation] = []
    for path, value in _mapping(document.get("paths")).items():
        if str(path).startswith("x-"):
            continue  # an extension of the Paths object, not a path
        item = path_item(document, value, origin, pointer("paths", path))
        shared_params = item.get("parameters") or []
        for method in HTTP_METHODS:
            if method not in item:
                continue
            op = item[method]
            where = pointer("paths", path, method)
            if not isinstance(op, dict):  # `get:` left empty in YAML would drop the operation
                raise GeneratorError(origin, where, "an operation must be an object")
            op_id = op.get("operationId")
            explicit = op_id if isinstance(op_id, str) and op_id else None
            found.append(FoundOperation(str(path), method, op, shared_params, where, explicit))
    return found


def parse_operations(
    document: Mapping[str, Any],
    registry: SchemaRegistry,
    *,
    include_tags: Sequence[str] = (),
    exclude_tags: Sequence[str] = (),
    include_operations: Sequence[str] = (),
    exclude_operations: Sequence[str] = (),
) -> list[OperationDef]:
    origin = registry.origin
    paths = document.get("paths")
    if not isinstance(paths, dict):
        raise GeneratorError(origin, pointer("paths"), "the document has no paths object")
    found = find_operations(document, origin)
    seen_ids: dict[str, str] = {}
    for f in found:
        if f.explicit_id is None:
            continue
        if f.explicit_id in seen_ids:
            raise GeneratorError(
                origin,
                f.where,
                f"operationId {f.explicit_id!r} is also used at {seen_ids[f.explicit_id]}",
            )
        seen_ids[f.explicit_id] = f.where
    # Explicit operationIds claim their names first, in spec order, then the derived names
    # of operations without one (see README): both stable whatever the selection, and a
    # derived name never takes the name an operationId gives.
    methods = Namespace(METHOD_RESERVED)
    method_names: dict[str, Identifier] = {}
    for f in sorted(found, key=lambda f: f.explicit_id is None):
        base = f.explicit_id or derived_operation_id(f.method, f.path)
        method_names[f.where] = methods.claim(identifier(base, METHOD_RESERVED, "call"))
    operations: list[OperationDef] = []
    for f in found:
        tags = [str(t) for t in f.op.get("tags") or []] or ["default"]
        # Filters name operationIds only: an operation without one is selected by its tags.
        if not _selected(
            f.explicit_id, tags, include_tags, exclude_tags, include_operations, exclude_operations
        ):
            continue
        method_name = method_names[f.where]
        operations.append(
            _operation(
                document,
                registry,
                f.path,
                f.method,
                f.op,
                f.shared_params,
                tags[0],
                f.where,
                method_name,
                f.explicit_id or str(method_name),
            )
        )
    unknown = set(include_operations) - set(seen_ids)
    if unknown:
        raise GeneratorError(
            origin,
            pointer("paths"),
            f"unknown operationId(s) in filters: {', '.join(sorted(unknown))}",
        )
    operations.sort(key=lambda o: o.method_name)
    return operations


def derived_operation_id(method: str, path: str) -> str:
    """`get` + `/users/{id}/posts` -> `get_users_by_id_posts`: the name of an operation the
    spec gives no operationId."""
    words = [method]
    for segment in path.split("/"):
        words.extend(f"by_{m[1:-1]}" if m.startswith("{") else m for m in _SEGMENT.findall(segment))
    return "_".join(w for w in words if w)


_SEGMENT = re.compile(r"\{[^}]*\}|[^{}]+")
# A template variable of a path left once the declared ones are taken out: a name in braces.
# Brace text with spaces (`{ 7 * 7 }`) is no parameter name; it stays literal text.
_TEMPLATE_VARIABLE = re.compile(r"\{([^{}\s]+)\}")


def _selected(
    op_id: str | None,
    tags: Sequence[str],
    include_tags: Sequence[str],
    exclude_tags: Sequence[str],
    include_operations: Sequence[str],
    exclude_operations: Sequence[str],
) -> bool:
    if op_id in exclude_operations or any(t in exclude_tags for t in tags):
        return False
    if not include_tags and not include_operations:
        return True
    return op_id in include_operations or any(t in include_tags for t in tags)


def resolve_component(
    document: Mapping[str, Any], value: Any, kind: str, origin: str, where: str
) -> Mapping[str, Any]:
    """`value`, or the `#/components/<kind>/<name>` object its `$ref` names (chains followed)."""
    prefix = f"#/components/{kind}/"
    for _ in range(50):
        if not isinstance(value, dict) or "$ref" not in value:
            if not isinstance(value, dict):
                raise GeneratorError(origin, where, f"expected an object, found {value!r:.40}")
            return value
        ref = value["$ref"]
        if not isinstance(ref, str) or not ref.startswith(prefix):
            raise GeneratorError(origin, where, f"$ref {ref!r:.80} must point into {prefix}")
        name = unescape(ref[len(prefix) :])
        value = _mapping(_mapping(document.get("components")).get(kind)).get(name)
        if value is None:
            raise GeneratorError(origin, where, f"dangling $ref {ref!r:.80}")
    raise GeneratorError(origin, where, "circular $ref chain")


def _resolve_param(
    document: Mapping[str, Any], param: Any, origin: str, where: str
) -> Mapping[str, Any]:
    resolved = resolve_component(document, param, "parameters", origin, where)
    if not isinstance(resolved.get("name"), str) or resolved.get("in") not in LOCATIONS:
        raise GeneratorError(
            origin, where, "a parameter needs a `name` and `in` (path, query, header or cookie)"
        )
    return resolved


def _param_hint(
    document: Mapping[str, Any], param: Any, op_id: str, resolved: Mapping[str, Any]
) -> str:
    """A name for a parameter's enum alias: the component parameter's, else the operation's."""
    if isinstance(param, dict) and "$ref" in param:
        base = str(param["$ref"]).rsplit("/", 1)[-1]
        return class_name(base.removesuffix("Parameter"))
    return class_name(op_id) + class_name(str(resolved["name"]))


LOCATIONS = ("path", "query", "header", "cookie")
_STYLES = {
    "path": ("simple", "label", "matrix"),
    "query": ("form", "spaceDelimited", "pipeDelimited", "deepObject"),
    "header": ("simple",),
    "cookie": ("form",),
}
# OpenAPI: these header parameters are ignored; the client sets them itself.
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})


def _schema_kind(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind in ("array", "object"):
        return str(kind)
    if kind is None and "properties" in schema:
        return "object"
    return "scalar" if kind is not None else "any"


def _style(
    location: str, resolved: Mapping[str, Any], schema: Mapping[str, Any], origin: str, where: str
) -> str:
    """How the runtime serialises the value: "" as plain text, else a style token.

    Tokens are the OpenAPI style, `*` when exploded; query `form` keeps its short names
    `csv` (not exploded) and `multi` (exploded).
    """
    if "schema" not in resolved and isinstance(resolved.get("content"), dict):
        return "json"  # a parameter described by `content` carries its value as JSON text
    style = resolved.get("style", _STYLES[location][0])
    if style not in _STYLES[location]:
        raise GeneratorError(
            origin,
            f"{where}/style",
            f"style {style!r:.40} is not allowed in a {location} parameter",
        )
    # OpenAPI: explode defaults to true for style form only.
    explode = bool(resolved.get("explode", style == "form"))
    kind = _schema_kind(schema)
    if location == "query" and style == "form":
        if kind == "scalar":
            return ""
        return "multi" if explode else "csv"
    if kind == "scalar" and style in ("simple", "form"):
        return ""
    return str(style) + ("*" if explode else "")


def _param_schema(resolved: Mapping[str, Any]) -> Any:
    if "schema" in resolved:
        return resolved["schema"]
    content = _mapping(resolved.get("content"))
    return _mapping(next(iter(content.values()), None)).get("schema") or {}


def _operation(
    document: Mapping[str, Any],
    registry: SchemaRegistry,
    path: str,
    method: str,
    op: Mapping[str, Any],
    shared_params: list[Any],
    tag: str,
    where: str,
    method_name: Identifier,
    op_id: str,
) -> OperationDef:
    origin = registry.origin
    cls = class_name(op_id, fallback="Operation")
    module = registry.tag_module(tag)
    by_key: dict[tuple[str, str], tuple[Any, Mapping[str, Any], str]] = {}
    # An operation's parameter replaces the path item's of the same name and place; within
    # one list, OpenAPI forbids a repeat.
    for params, list_where in (
        (shared_params, f"{pointer('paths', path)}/parameters"),
        (op.get("parameters") or [], f"{where}/parameters"),
    ):
        listed: dict[tuple[str, str], str] = {}
        for i, param in enumerate(params):
            p_where = f"{list_where}/{i}"
            resolved = _resolve_param(document, param, origin, p_where)
            key = (str(resolved["in"]), str(resolved["name"]))
            if key in listed:
                raise GeneratorError(
                    origin,
                    p_where,
                    f"the {key[0]} parameter {key[1]!r:.80} is also listed at {listed[key]}",
                )
            listed[key] = p_where
            by_key[key] = (param, resolved, p_where)
    by_location: dict[str, list[ParamDef]] = {location: [] for location in LOCATIONS}
    # `content_type` is the body's media type argument.
    names = Namespace(PARAM_RESERVED | {"content_type"})
    for (location, wire), (param, resolved, p_where) in by_key.items():
        if location == "header" and wire.lower() in _IGNORED_HEADERS:
            continue
        raw_schema = _param_schema(resolved)
        schema = registry.deref(raw_schema, f"{p_where}/schema")
        info = registry.type_of(
            raw_schema,
            hint=_param_hint(document, param, op_id, resolved),
            module=module,
            where=f"{p_where}/schema",
            response=False,
        )
        name = names.claim(identifier(wire, PARAM_RESERVED, fallback="param"))
        by_location[location].append(
            ParamDef(
                name,
                wire,
                location,
                info,
                bool(resolved.get("required")) or location == "path",
                _style(location, resolved, schema, origin, p_where),
                str(resolved.get("description") or "").strip(),
            )
        )
    path_params = by_location["path"]
    # Path parameters in the order they appear in the path; required query parameters first.
    path_params.sort(key=lambda p: path.find("{" + p.wire_name + "}"))
    for location in ("query", "header", "cookie"):
        by_location[location].sort(key=lambda p: (not p.required, p.python_name))
    for p in path_params:
        if "{" + p.wire_name + "}" not in path:
            raise GeneratorError(
                origin, where, f"path parameter {p.wire_name!r} is not in the path"
            )
    undeclared = path
    for p in path_params:
        undeclared = undeclared.replace("{" + p.wire_name + "}", "")
    for variable in _TEMPLATE_VARIABLE.findall(undeclared):
        # The runtime would send it as literal text (`%7Bx%7D`).
        hint = " (a query string is no part of a path)" if "?" in path else ""
        raise GeneratorError(
            origin, where, f"the path's {{{variable:.80}}} has no path parameter declared{hint}"
        )

    body = _body(document, registry, op, cls, module, where)
    response = _response(document, registry, op, cls, module, where)
    paginated_by = _page_param(registry, by_location["query"], op)
    return OperationDef(
        operation_id=op_id,
        method_name=method_name,
        const_name=Identifier(method_name.upper()),
        http_method=method.upper(),
        path=path,
        tag=tag,
        summary=str(op.get("summary") or "").strip(),
        description=str(op.get("description") or "").strip(),
        docs_url=str(_mapping(op.get("externalDocs")).get("url") or ""),
        path_params=path_params,
        query_params=by_location["query"],
        header_params=by_location["header"],
        cookie_params=by_location["cookie"],
        body=body.type if body else None,
        body_required=body.required if body else False,
        multipart=body.multipart if body else False,
        content_types=body.content_types if body else [],
        response=response.type,
        response_kind=response.kind,
        accept=response.accept,
        security=_security(document, op),
        paginated_by=paginated_by,
        deprecated=bool(op.get("deprecated")),
        source=where,
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def media_kind(content_type: str) -> str:
    """What a media type carries: json, form, multipart, text or binary."""
    base = content_type.split(";", 1)[0].strip().lower()
    if base == "application/json" or base.endswith("+json"):
        return "json"
    if base == "application/x-www-form-urlencoded":
        return "form"
    if base.startswith("multipart/"):
        return "multipart"
    if base.startswith("text/") or base in ("application/xml",) or base.endswith("+xml"):
        return "text"
    return "binary"


TEXT_TYPE = TypeInfo(Code("str"), Code("str"), Code("_m.ANY"))


@dataclass
class _Body:
    type: TypeInfo
    required: bool
    multipart: bool  # JSON, or multipart when the value holds files (X's media operations)
    content_types: list[tuple[str, str]]  # (media type, kind), when not plain JSON


def _body(
    document: Mapping[str, Any],
    registry: SchemaRegistry,
    op: Mapping[str, Any],
    cls: str,
    module: Identifier,
    where: str,
) -> _Body | None:
    if "requestBody" not in op:
        return None
    b_where = f"{where}/requestBody"
    request = resolve_component(
        document, op["requestBody"], "requestBodies", registry.origin, b_where
    )
    content = _mapping(request.get("content"))
    if not content:
        return None  # `content: {}` describes no media type, so there is nothing to send
    # The first JSON type is the default; then the others, in the spec's order.
    offered = sorted(
        ((str(ct), media_kind(str(ct))) for ct in content),
        key=lambda item: item[1] != "json",
    )
    types: list[TypeInfo] = []
    for ct, kind in offered:
        if kind == "text":
            info = TEXT_TYPE
        elif kind == "binary":
            info = BINARY_TYPE
        else:
            media = _mapping(content[ct])
            info = registry.type_of(
                media.get("schema") or {},
                hint=f"{cls}Body",
                module=module,
                where=f"{b_where}/content/{escape(ct)}/schema",
            )
            registry.mark_constructible(info)
        if info not in types:
            types.append(info)
    kinds = [kind for _, kind in offered]
    multipart = kinds == ["json", "multipart"] and offered[0][0] == "application/json"
    plain = multipart or [ct for ct, _ in offered] == ["application/json"]
    body_type = types[0] if len(types) == 1 or multipart else _union(types)
    return _Body(body_type, bool(request.get("required")), multipart, [] if plain else offered)


def _union(types: list[TypeInfo]) -> TypeInfo:
    imports: frozenset[tuple[Identifier, Identifier]] = frozenset()
    aliases: frozenset[Identifier] = frozenset()
    for t in types:
        imports |= t.imports
        aliases |= t.type_aliases
    return TypeInfo(
        join(" | ", (t.annotation for t in types)),
        join(" | ", (t.input_annotation for t in types)),
        Code("_m.ANY"),
        imports,
        aliases,
    )


@dataclass
class _Response:
    type: TypeInfo | None
    kind: str  # "json" | "text" | "bytes" | "stream" | "empty" | "auto"
    accept: str  # the Accept header when not the default for the kind, else ""


def _response(
    document: Mapping[str, Any],
    registry: SchemaRegistry,
    op: Mapping[str, Any],
    cls: str,
    module: Identifier,
    where: str,
) -> _Response:
    responses = _mapping(op.get("responses"))
    success = sorted(str(code) for code in responses if str(code).startswith("2"))
    if not success:
        # The spec does not say what success returns: whatever comes back is returned.
        return _Response(None, "auto", "")
    r_where = f"{where}/responses/{success[0]}"
    response = resolve_component(
        document, responses[success[0]], "responses", registry.origin, r_where
    )
    content = _mapping(response.get("content"))
    raw = _mapping(responses[success[0]])
    # Schema places for messages: in the components when the response is a reference.
    c_where = f"{raw['$ref'] if isinstance(raw.get('$ref'), str) else r_where}/content"
    if op.get("x-twitter-streaming"):
        media = _mapping(content.get("application/json"))
        info = registry.type_of(
            media.get("schema") or {},
            hint=f"{cls}Item",
            module=module,
            where=f"{c_where}/application~1json/schema",
        )
        return _Response(info, "stream", "")
    if not content:
        return _Response(None, "empty", "")
    by_kind: dict[str, list[str]] = {}
    for ct in content:
        by_kind.setdefault(media_kind(str(ct)), []).append(str(ct))
    if "json" in by_kind:
        json_types = by_kind["json"]
        ct = "application/json" if "application/json" in json_types else json_types[0]
        info = registry.type_of(
            _mapping(content[ct]).get("schema") or {},
            hint=f"{cls}Response",
            module=module,
            where=f"{c_where}/{escape(ct)}/schema",
        )
        accept = "" if json_types == ["application/json"] else ", ".join(json_types)
        return _Response(info, "json", accept)
    if "text" in by_kind:
        return _Response(None, "text", ", ".join(by_kind["text"]))
    binary = [ct for ct in content if ct != "application/octet-stream"]
    return _Response(None, "bytes", ", ".join(map(str, binary or content)) if binary else "")


def _security(document: Mapping[str, Any], op: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    requirements = op.get("security", document.get("security")) or []
    result: list[tuple[str, list[str]]] = []
    for requirement in requirements:
        for scheme, scopes in (requirement or {}).items():
            result.append((str(scheme), [str(s) for s in scopes or []]))
    return result


def _page_param(
    registry: SchemaRegistry, query_params: list[ParamDef], op: Mapping[str, Any]
) -> str | None:
    """The token parameter of a paginated operation: it takes one and returns meta.next_token."""
    token = next((p for p in query_params if p.wire_name in PAGE_TOKEN_PARAMS), None)
    if token is None:
        return None
    responses = op.get("responses") or {}
    ok = responses.get("200") or {}
    schema = ((ok.get("content") or {}).get("application/json") or {}).get("schema") or {}
    schema = registry.deref(schema, "")
    meta = registry.deref((schema.get("properties") or {}).get("meta") or {}, "")
    if "next_token" in (meta.get("properties") or {}):
        return token.python_name
    return None
