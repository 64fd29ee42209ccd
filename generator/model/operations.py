"""Operations of the spec to OperationDefs: parameters, body, response, security, paging."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from generator.errors import GeneratorError, pointer
from generator.model.ir import OperationDef, ParamDef, TypeInfo
from generator.model.naming import (
    METHOD_RESERVED,
    PARAM_RESERVED,
    Identifier,
    Namespace,
    class_name,
    identifier,
)
from generator.model.schemas import SchemaRegistry

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
PARAM_PREFIX = "#/components/parameters/"
PAGE_TOKEN_PARAMS = ("pagination_token", "next_token")


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
    operations: list[OperationDef] = []
    seen_ids: dict[str, str] = {}
    # Method names are claimed in spec order, so two operationIds that sanitise alike get
    # stable suffixes whatever the selection.
    methods = Namespace(METHOD_RESERVED)
    method_names: dict[str, Identifier] = {}
    for path, item in paths.items():
        if not isinstance(item, dict):
            raise GeneratorError(origin, pointer("paths", path), "a path item must be an object")
        shared_params = item.get("parameters") or []
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            where = pointer("paths", path, method)
            op_id = op.get("operationId")
            if not isinstance(op_id, str) or not op_id:
                raise GeneratorError(origin, where, "operation has no operationId")
            if op_id in seen_ids:
                raise GeneratorError(
                    origin, where, f"operationId {op_id!r} is also used at {seen_ids[op_id]}"
                )
            seen_ids[op_id] = where
            method_names[op_id] = methods.claim(identifier(op_id, METHOD_RESERVED, "call"))
            tags = [str(t) for t in op.get("tags") or []] or ["default"]
            if not _selected(
                op_id, tags, include_tags, exclude_tags, include_operations, exclude_operations
            ):
                continue
            operations.append(
                _operation(
                    document,
                    registry,
                    str(path),
                    method,
                    op,
                    shared_params,
                    tags[0],
                    where,
                    method_names[op_id],
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


def _selected(
    op_id: str,
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


def _resolve_param(
    document: Mapping[str, Any], param: Any, origin: str, where: str
) -> Mapping[str, Any]:
    if isinstance(param, dict) and "$ref" in param:
        ref = param["$ref"]
        name = ref[len(PARAM_PREFIX) :] if ref.startswith(PARAM_PREFIX) else None
        target = (
            (document.get("components") or {}).get("parameters", {}).get(name) if name else None
        )
        if not isinstance(target, dict):
            raise GeneratorError(origin, where, f"dangling $ref {ref!r}")
        return target
    if not isinstance(param, dict) or "name" not in param or "in" not in param:
        raise GeneratorError(origin, where, "a parameter needs `name` and `in`")
    return param


def _param_hint(
    document: Mapping[str, Any], param: Any, op_id: str, resolved: Mapping[str, Any]
) -> str:
    """A name for a parameter's enum alias: the component parameter's, else the operation's."""
    if isinstance(param, dict) and "$ref" in param:
        base = str(param["$ref"]).rsplit("/", 1)[-1]
        return class_name(base.removesuffix("Parameter"))
    return class_name(op_id) + class_name(str(resolved["name"]))


def _style(location: str, resolved: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    if location != "query" or schema.get("type") != "array":
        return ""
    style = resolved.get("style", "form")
    # OpenAPI: explode defaults to true for style form.
    explode = resolved.get("explode", style == "form")
    return "multi" if explode else "csv"


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
) -> OperationDef:
    origin = registry.origin
    op_id = str(op["operationId"])
    cls = class_name(op_id, fallback="Operation")
    module = registry.tag_module(tag)
    by_key: dict[tuple[str, str], tuple[Any, Mapping[str, Any], str]] = {}
    for i, param in enumerate([*shared_params, *(op.get("parameters") or [])]):
        p_where = f"{where}/parameters/{i}"
        resolved = _resolve_param(document, param, origin, p_where)
        by_key[(str(resolved["in"]), str(resolved["name"]))] = (param, resolved, p_where)
    path_params: list[ParamDef] = []
    query_params: list[ParamDef] = []
    names = Namespace(PARAM_RESERVED)
    for (location, wire), (param, resolved, p_where) in by_key.items():
        if location not in ("path", "query"):
            # The X spec has none; dropping one silently would send incomplete requests.
            raise GeneratorError(
                origin,
                p_where,
                f"{location} parameter {wire!r} is not supported (path and query are)",
            )
        schema = registry.deref(resolved.get("schema") or {}, f"{p_where}/schema")
        info = registry.type_of(
            resolved.get("schema") or {},
            hint=_param_hint(document, param, op_id, resolved),
            module=module,
            where=f"{p_where}/schema",
            response=False,
        )
        name = names.claim(identifier(wire, PARAM_RESERVED, fallback="param"))
        p = ParamDef(
            name,
            wire,
            location,
            info,
            bool(resolved.get("required")) or location == "path",
            _style(location, resolved, schema),
            str(resolved.get("description") or "").strip(),
        )
        (path_params if location == "path" else query_params).append(p)
    # Path parameters in the order they appear in the path; required query parameters first.
    path_params.sort(key=lambda p: path.find("{" + p.wire_name + "}"))
    query_params.sort(key=lambda p: (not p.required, p.python_name))
    for p in path_params:
        if "{" + p.wire_name + "}" not in path:
            raise GeneratorError(
                origin, where, f"path parameter {p.wire_name!r} is not in the path"
            )

    body, body_required, multipart = _body(registry, op, cls, module, where)
    response, kind = _response(registry, op, cls, module, where)
    paginated_by = _page_param(registry, query_params, op)
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
        query_params=query_params,
        body=body,
        body_required=body_required,
        multipart=multipart,
        response=response,
        response_kind=kind,
        security=_security(document, op),
        paginated_by=paginated_by,
        deprecated=bool(op.get("deprecated")),
        source=where,
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _body(
    registry: SchemaRegistry, op: Mapping[str, Any], cls: str, module: Identifier, where: str
) -> tuple[TypeInfo | None, bool, bool]:
    request = op.get("requestBody")
    if not isinstance(request, dict):
        return None, False, False
    content = request.get("content") or {}
    multipart = "multipart/form-data" in content
    media = content.get("application/json") or content.get("multipart/form-data")
    if not isinstance(media, dict):
        raise GeneratorError(
            registry.origin,
            f"{where}/requestBody/content",
            f"unsupported request content type(s): {', '.join(content) or 'none'}",
        )
    info = registry.type_of(
        media.get("schema") or {}, hint=f"{cls}Body", module=module, where=f"{where}/requestBody"
    )
    registry.mark_constructible(info)
    return info, bool(request.get("required")), multipart


def _response(
    registry: SchemaRegistry, op: Mapping[str, Any], cls: str, module: Identifier, where: str
) -> tuple[TypeInfo | None, str]:
    responses = op.get("responses") or {}
    success = sorted(code for code in responses if str(code).startswith("2"))
    if not success:
        return None, "empty"
    response = responses[success[0]]
    content = response.get("content") or {} if isinstance(response, dict) else {}
    if op.get("x-twitter-streaming"):
        media = content.get("application/json") or {}
        info = registry.type_of(
            media.get("schema") or {},
            hint=f"{cls}Item",
            module=module,
            where=f"{where}/responses/{success[0]}",
        )
        return info, "stream"
    if "application/json" in content:
        info = registry.type_of(
            content["application/json"].get("schema") or {},
            hint=f"{cls}Response",
            module=module,
            where=f"{where}/responses/{success[0]}",
        )
        return info, "json"
    if content:
        return None, "bytes"
    return None, "empty"


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
