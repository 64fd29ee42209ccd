"""Operations of the spec to OperationDefs: parameters, body, response, security, paging."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.encode import Code, join
from generator.errors import GeneratorError
from generator.model.ir import OperationDef, ParamDef, PartEncoding, TypeInfo
from generator.model.naming import (
    METHOD_RESERVED,
    PARAM_RESERVED,
    Identifier,
    Namespace,
    class_name,
    has_identifier,
    identifier,
)
from generator.model.schemas import BINARY_BODY_TYPE, SchemaRegistry
from generator.model.security import (
    HTTP_TOKEN,
    PAIR_BREAKERS,
    is_header_name,
    operation_server,
)
from generator.model.security import requirements as security_requirements
from generator.pointers import escape, pointer, unescape

# Every method OpenAPI 3.0 and 3.1 give a Path Item Object.
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_PATH_ITEM_FIELDS = frozenset(
    ("$ref", "summary", "description", "servers", "parameters", *HTTP_METHODS)
)
PAGE_TOKEN_PARAMS = ("pagination_token", "next_token")
PAGINATE_RESERVED = frozenset({"limit", "max_items"})
# The query parameter by which a stream resends what it sent in the last minutes, and the most
# minutes it takes when its schema sets no maximum (X keeps five).
BACKFILL_PARAM = "backfill_minutes"
DEFAULT_BACKFILL_MAX = 5
INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class FoundOperation:
    """An operation of the spec as written: where it is, and its operationId when it has one."""

    path: str
    method: str
    op: Mapping[str, Any]
    shared_params: list[Any]
    where: str
    explicit_id: str | None
    item: Mapping[str, Any]  # the path item it belongs to (its servers, its parameters)


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
            found.append(
                FoundOperation(str(path), method, op, shared_params, where, explicit, item)
            )
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
    # An operationId with nothing a name can keep counts as none here: the derived name says
    # more than a placeholder would.
    methods = Namespace(METHOD_RESERVED)
    method_names: dict[str, Identifier] = {}
    named = {
        f.where: f.explicit_id for f in found if f.explicit_id and has_identifier(f.explicit_id)
    }
    for f in sorted(found, key=lambda f: f.where not in named):
        base = named.get(f.where) or derived_operation_id(f.method, f.path)
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
                operation_server(origin, f.op, f.item, f.where, pointer("paths", f.path)),
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
    # 3.1: a `summary` or `description` beside the `$ref` replaces the referenced one's.
    notes = (
        {k: value[k] for k in ("summary", "description") if k in value}
        if isinstance(value, dict)
        and "$ref" in value
        and str(document.get("openapi", "")).startswith("3.1")
        else {}
    )
    for _ in range(50):
        if not isinstance(value, dict) or "$ref" not in value:
            if not isinstance(value, dict):
                raise GeneratorError(origin, where, f"expected an object, found {value!r:.40}")
            return {**value, **notes} if notes else value
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


def _forges_cookies(name: str) -> bool:
    return any((c in PAIR_BREAKERS and c != " ") or not c.isprintable() for c in name)


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
    server: str,
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
    # `content_type` and `accept` choose the body's and the response's media type; `limit` and
    # `max_items` are `paginate`'s own bounds, so a paginated operation's parameters avoid them.
    reserved = PARAM_RESERVED
    if any(key in by_key for key in (("query", name) for name in PAGE_TOKEN_PARAMS)):
        reserved = reserved | PAGINATE_RESERVED
    names = Namespace(reserved | {"content_type", "accept"})
    backfill_schema: Any = None
    for (location, wire), (param, resolved, p_where) in by_key.items():
        if location == "header" and not is_header_name(wire):
            # A line break, control or colon would split or forge a header: hostile, refused.
            # Other non-token names (a space) occur in real specs; such a header can never be
            # sent, so the parameter is left out and the rest of the spec still generates.
            if ":" in wire or any(not c.isprintable() for c in wire):
                raise GeneratorError(
                    origin, f"{p_where}/name", f"{wire!r:.60} is not a valid header name"
                )
            registry.warnings.append(
                f"{origin}:{p_where}/name: {wire!r:.60} is not a valid header name; "
                "the parameter is left out"
            )
            continue
        if location == "cookie" and _forges_cookies(wire):
            # `;`, `=` or a control in a cookie's name would forge other cookies or headers
            # (a space, as in real specs, splits nothing: sent as before).
            raise GeneratorError(
                origin, f"{p_where}/name", f"{wire!r:.60} is not a valid cookie name"
            )
        if location == "header" and wire.lower() in _IGNORED_HEADERS:
            continue
        raw_schema = _param_schema(resolved)
        schema = registry.deref(raw_schema, f"{p_where}/schema")
        if (location, wire) == ("query", BACKFILL_PARAM):
            backfill_schema = schema
        info = registry.type_of(
            raw_schema,
            hint=_param_hint(document, param, op_id, resolved),
            module=module,
            where=f"{p_where}/schema",
            response=False,
        )
        name = names.claim(identifier(wire, reserved, fallback="param"))
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
    requirements = _security(document, op, origin, where)
    backfill_max = 0
    if response.kind == "stream" and backfill_schema is not None:
        backfill_max = _backfill_max(backfill_schema)
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
        encodings=body.encodings if body else {},
        response=response.type,
        response_kind=response.kind,
        accept=response.accept,
        returns=response.returns,
        statuses=response.statuses,
        accepts=response.accepts,
        security=[pair for alternative in requirements for pair in alternative.items()],
        requirements=requirements,
        server=server,
        paginated_by=paginated_by,
        backfill_max=backfill_max,
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
    encodings: dict[str, dict[str, PartEncoding]]  # media type -> property -> encoding


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
    encodings: dict[str, dict[str, PartEncoding]] = {}
    for ct, kind in offered:
        media = _mapping(content[ct])
        if kind in ("form", "multipart"):
            e_where = f"{b_where}/content/{escape(ct)}/encoding"
            found = _encodings(document, registry, media.get("encoding"), kind, e_where)
            if found:
                encodings[ct] = found
        if kind == "text":
            info = TEXT_TYPE
        elif kind == "binary":
            info = BINARY_BODY_TYPE
        else:
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
    # JSON, or form-data for a body holding files; another multipart type is the caller's choice.
    multipart = kinds == ["json", "multipart"] and [ct for ct, _ in offered] == [
        "application/json",
        "multipart/form-data",
    ]
    plain = multipart or [ct for ct, _ in offered] == ["application/json"]
    body_type = types[0] if len(types) == 1 or multipart else _union(types)
    return _Body(
        body_type, bool(request.get("required")), multipart, [] if plain else offered, encodings
    )


def _encodings(
    document: Mapping[str, Any], registry: SchemaRegistry, raw: Any, kind: str, where: str
) -> dict[str, PartEncoding]:
    """The `encoding` object of a form or multipart body: how each property is sent.

    Form properties get a style token (left out when it is the default, form exploded);
    multipart parts their media type and the part headers whose value the spec fixes.
    """
    origin = registry.origin
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise GeneratorError(origin, where, "`encoding` must be an object")
    found: dict[str, PartEncoding] = {}
    for name, encoding in raw.items():
        e_where = f"{where}/{escape(str(name))}"
        if not isinstance(encoding, dict):
            raise GeneratorError(origin, e_where, "an encoding must be an object")
        part_type = _part_type(encoding.get("contentType"), origin, f"{e_where}/contentType")
        json_part = bool(part_type) and media_kind(part_type) == "json"
        if kind == "form":
            style = _form_style(encoding, json_part, origin, e_where)
            if style != "multi":
                found[str(name)] = PartEncoding(style=style)
            continue
        headers = _part_headers(document, registry, encoding.get("headers"), f"{e_where}/headers")
        if part_type or headers:
            found[str(name)] = PartEncoding("json" if json_part else "", part_type, headers)
    return found


def _form_style(encoding: Mapping[str, Any], json_part: bool, origin: str, where: str) -> str:
    """The style token of a form property, as a query parameter's (see `_style`)."""
    # OpenAPI: contentType applies unless style, explode or allowReserved is given.
    if json_part and not {"style", "explode", "allowReserved"} & encoding.keys():
        return "json"
    style = encoding.get("style", "form")
    if style not in _STYLES["query"]:
        raise GeneratorError(
            origin, f"{where}/style", f"style {style!r:.40} is not allowed in a form body"
        )
    explode = bool(encoding.get("explode", style == "form"))
    if style == "form":
        return "multi" if explode else "csv"
    return str(style) + ("*" if explode else "")


# A media type of RFC 9110 (type/subtype, then parameters), in printable ASCII only.
_MEDIA_TYPE = re.compile(rf"{HTTP_TOKEN}/{HTTP_TOKEN}(?:\s*;[\x20-\x7e]*)?")


def _part_type(raw: Any, origin: str, where: str) -> str:
    """The part media type to send: the first one listed without a wildcard, else ""."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise GeneratorError(origin, where, "contentType must be a string")
    for media in (m.strip() for m in raw.split(",")):
        if not _MEDIA_TYPE.fullmatch(media):
            raise GeneratorError(origin, where, f"{media!r:.60} is not a media type")
        if "*" not in media.split(";", 1)[0]:
            return media
    return ""


def _part_headers(
    document: Mapping[str, Any], registry: SchemaRegistry, raw: Any, where: str
) -> tuple[tuple[str, str], ...]:
    """Part headers whose value the spec fixes (`const`, a one-value `enum`, a `default`).

    Others have no value to send. Content-Type and Content-Disposition are written from the
    part itself (OpenAPI: a Content-Type here is ignored).
    """
    origin = registry.origin
    headers: list[tuple[str, str]] = []
    for name, header in _mapping(raw).items():
        h_where = f"{where}/{escape(str(name))}"
        if str(name).lower() in ("content-type", "content-disposition"):
            continue
        resolved = resolve_component(document, header, "headers", origin, h_where)
        schema = registry.deref(resolved.get("schema") or {}, f"{h_where}/schema")
        value = _fixed_value(schema)
        if value is None:
            continue
        if not is_header_name(str(name)):
            raise GeneratorError(origin, h_where, f"{str(name)!r:.60} is not a header name")
        if value != value.strip(" \t") or not all(" " <= c <= "~" or c == "\t" for c in value):
            raise GeneratorError(
                origin, f"{h_where}/schema", "a header value must be one line of printable ASCII"
            )
        headers.append((str(name), value))
    return tuple(headers)


def _fixed_value(schema: Mapping[str, Any]) -> str | None:
    enum = schema.get("enum")
    for value in (
        schema.get("const"),
        enum[0] if isinstance(enum, list) and len(enum) == 1 else None,
        schema.get("default"),
    ):
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str | int | float):
            return str(value)
    return None


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
    returns: TypeInfo | None = None
    statuses: list[tuple[str, str, TypeInfo | None]] = field(default_factory=list)
    accepts: list[str] = field(default_factory=list)


@dataclass
class _Outcome:
    """What one success response (a status, a `2XX` range or `default`) returns."""

    status: str
    kind: str  # "json" | "text" | "bytes" | "empty"
    type: TypeInfo | None  # of the JSON body
    media: list[tuple[str, str]]  # (media type, "json" | "text" | "binary"), JSON first


NONE_TYPE = TypeInfo(Code("None"), Code("None"), Code("_m.ANY"))
# The Accept header each kind sends unless the spec names other media types.
_DEFAULT_MEDIA = {
    "json": "application/json",
    "empty": "application/json",
    "bytes": "application/octet-stream",
}


def _response(
    document: Mapping[str, Any],
    registry: SchemaRegistry,
    op: Mapping[str, Any],
    cls: str,
    module: Identifier,
    where: str,
) -> _Response:
    responses = _mapping(op.get("responses"))
    keys = {str(code).upper(): code for code in responses if str(code).startswith("2")}
    if not keys and "default" in responses:
        fallback = resolve_component(
            document,
            responses["default"],
            "responses",
            registry.origin,
            f"{where}/responses/default",
        )
        if _mapping(fallback.get("content")):
            # Only `default` describes what comes back: it types success too.
            keys = {"default": "default"}
    if not keys:
        # The spec does not say what success returns: whatever comes back is returned.
        return _Response(None, "auto", "")
    success = sorted(keys)
    if op.get("x-twitter-streaming"):
        content, c_where = _content(document, registry, responses, keys[success[0]], where)
        media = _mapping(content.get("application/json"))
        info = registry.type_of(
            media.get("schema") or {},
            hint=f"{cls}Item",
            module=module,
            where=f"{c_where}/application~1json/schema",
        )
        return _Response(info, "stream", "")
    outcomes = [
        _outcome(document, registry, responses, keys[status], status, hint, module, where)
        for status, hint in zip(
            success, [f"{cls}Response"] + [f"{cls}Response{s}" for s in success[1:]], strict=True
        )
    ]
    first = outcomes[0]
    offered: list[str] = []
    for wanted in ("json", "text", "binary"):  # JSON first, the one parsed into a model
        for o in outcomes:
            offered += [ct for ct, k in o.media if k == wanted and ct not in offered]
    types: list[TypeInfo] = []
    for o in outcomes:
        kinds = {k for _, k in o.media}
        found = [o.type if o.kind == "json" else None]
        found += [
            TEXT_TYPE if "text" in kinds else None,
            BINARY_BODY_TYPE if "binary" in kinds else None,
        ]
        types += [t for t in found if t is not None and t.annotation not in _annotations(types)]
    if any(o.kind == "empty" for o in outcomes):
        types.append(NONE_TYPE)
    default_media = _DEFAULT_MEDIA.get(first.kind)
    accept = "" if not offered or offered == [default_media] else ", ".join(offered)
    same = all(_reads(o) == _reads(first) for o in outcomes)
    return _Response(
        first.type if first.kind == "json" else None,
        first.kind,
        accept,
        returns=_union(types) if len(types) > 1 else None,
        statuses=[] if same else [(o.status, o.kind, o.type) for o in outcomes],
        accepts=offered if len(offered) > 1 else [],
    )


def _annotations(types: list[TypeInfo]) -> list[str]:
    return [t.annotation for t in types]


def _reads(outcome: _Outcome) -> tuple[str, str]:
    """How the runtime reads a body of this outcome: its kind and JSON converter."""
    return outcome.kind, outcome.type.converter if outcome.type else ""


def _content(
    document: Mapping[str, Any],
    registry: SchemaRegistry,
    responses: Mapping[str, Any],
    key: Any,
    where: str,
) -> tuple[Mapping[str, Any], str]:
    """A response's `content`, and the JSON pointer of that content for messages."""
    r_where = f"{where}/responses/{escape(str(key))}"
    response = resolve_component(document, responses[key], "responses", registry.origin, r_where)
    raw = _mapping(responses[key])
    # Schema places for messages: in the components when the response is a reference.
    c_where = f"{raw['$ref'] if isinstance(raw.get('$ref'), str) else r_where}/content"
    return _mapping(response.get("content")), c_where


def _outcome(
    document: Mapping[str, Any],
    registry: SchemaRegistry,
    responses: Mapping[str, Any],
    key: Any,
    status: str,
    hint: str,
    module: Identifier,
    where: str,
) -> _Outcome:
    content, c_where = _content(document, registry, responses, key, where)
    if not content:
        return _Outcome(status, "empty", None, [])
    media = sorted(((str(ct), media_kind(str(ct))) for ct in content), key=lambda m: m[1] != "json")
    media = [(ct, k if k in ("json", "text") else "binary") for ct, k in media]
    json_types = [ct for ct, k in media if k == "json"]
    if json_types:
        ct = "application/json" if "application/json" in json_types else json_types[0]
        info = registry.type_of(
            _mapping(content[ct]).get("schema") or {},
            hint=hint,
            module=module,
            where=f"{c_where}/{escape(ct)}/schema",
        )
        return _Outcome(status, "json", info, media)
    kinds = {k for _, k in media}
    return _Outcome(status, "text" if "text" in kinds else "bytes", None, media)


def _security(
    document: Mapping[str, Any], op: Mapping[str, Any], origin: str, where: str
) -> list[dict[str, list[str]]]:
    """The operation's security alternatives (its own, else the document's)."""
    schemes = _mapping(_mapping(document.get("components")).get("securitySchemes"))
    if "security" in op:
        return security_requirements(origin, op["security"], f"{where}/security", schemes)
    return security_requirements(origin, document.get("security"), pointer("security"), schemes)


def _backfill_max(schema: Any) -> int:
    """The most whole minutes a stream's `backfill_minutes` schema allows; X's 5 when it gives
    no bound, 0 when it allows none."""
    schema = _mapping(schema)
    bound = DEFAULT_BACKFILL_MAX
    maximum = schema.get("maximum")
    exclusive = schema.get("exclusiveMaximum")
    if _is_number(maximum):
        bound = math.floor(maximum)
        if exclusive is True and bound == maximum:  # OpenAPI 3.0: a flag on `maximum`
            bound -= 1
    if _is_number(exclusive):  # OpenAPI 3.1: the bound itself
        bound = min(bound, math.ceil(exclusive) - 1)
    return min(max(bound, 0), INT32_MAX)  # an int32, as X's is: a hostile number stays short


def _is_number(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)


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
