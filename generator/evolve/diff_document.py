"""One side of a spec diff: a raw OpenAPI document with its `$ref`s checked, its operations,
and where each component schema is used; plus the small readers the comparison uses on nodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeGuard

from generator.errors import GeneratorError
from generator.pointers import pointer, unescape

HTTP_METHODS: Final = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SCHEMA_PREFIX: Final = "#/components/schemas/"
# Far deeper than any real spec, and shallow enough for the recursive comparison.
MAX_DEPTH: Final = 128
# Where a schema is used: sent by clients (requests), received by them (responses), or both.
INPUT: Final = "input"
OUTPUT: Final = "output"
BOTH: Final = frozenset({INPUT, OUTPUT})


class Document:
    """One side of the diff: the raw document plus what the comparison keeps asking for."""

    def __init__(self, origin: str, raw: Mapping[str, Any]) -> None:
        self.origin = origin
        self.raw: Mapping[str, Any] = self._text_keys(raw, [], set())
        self.version = str(as_mapping(self.raw.get("info")).get("version", ""))
        components = self.raw.get("components") or {}
        self.schemas: Mapping[str, Any] = _mapping_at(origin, components, "schemas")
        self.schemes: Mapping[str, Any] = _mapping_at(origin, components, "securitySchemes")
        self._cache: dict[str, Any] = {}
        self._check_refs(self.raw, [])
        self.servers = self._server_urls(self.raw, []) or ()
        self.operations = self._collect_operations()
        self.usage = self._schema_usage()

    def resolve_ref(self, ref: str) -> Any:
        if ref in self._cache:
            return self._cache[ref]
        node: Any = self.raw
        for token in ref[2:].split("/") if ref != "#" else []:
            key = unescape(token)
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
        while is_map(node) and isinstance(node.get("$ref"), str) and node["$ref"] not in seen:
            seen.add(node["$ref"])
            node = self.resolve_ref(node["$ref"])
        return node

    def _text_keys(self, node: Any, path: list[str | int], open_nodes: set[int]) -> Any:
        """`node` with every key a string (YAML reads `200:` as a number), copied only where
        one is not; refuses a document nested too deep or holding itself (a YAML alias)."""
        if not isinstance(node, Mapping | list):
            return node
        if id(node) in open_nodes:
            raise GeneratorError(self.origin, pointer(*path), "the node contains itself")
        if len(path) > MAX_DEPTH:
            raise GeneratorError(
                self.origin, pointer(*path), f"nested more than {MAX_DEPTH} levels deep"
            )
        open_nodes.add(id(node))
        try:
            if isinstance(node, list):
                items = [self._text_keys(v, [*path, i], open_nodes) for i, v in enumerate(node)]
                return node if all(a is b for a, b in zip(items, node, strict=True)) else items
            pairs = {
                str(k): self._text_keys(v, [*path, str(k)], open_nodes) for k, v in node.items()
            }
            same = all(isinstance(k, str) and pairs[k] is v for k, v in node.items())
            return node if same else pairs
        finally:
            open_nodes.discard(id(node))

    def _check_refs(self, node: Any, path: list[str | int]) -> None:
        # Every reference is checked once, up front, so the comparison never meets a bad one.
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str):
                where = pointer(*path, "$ref")
                if not ref.startswith("#"):
                    raise GeneratorError(self.origin, where, f"external $ref {ref!r} not supported")
                try:
                    target = self.resolve_ref(ref)
                except KeyError:
                    raise GeneratorError(self.origin, where, f"dangling $ref {ref!r}") from None
                self._check_chain(ref, target, where)
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

    def _check_chain(self, ref: str, target: Any, where: str) -> None:
        """A `$ref` to a `$ref` to ... that comes back to itself names nothing."""
        seen = {ref}
        while is_map(target) and isinstance(target.get("$ref"), str):
            ref = target["$ref"]
            if ref in seen:
                raise GeneratorError(self.origin, where, f"circular $ref chain through {ref!r}")
            seen.add(ref)
            try:
                target = self.resolve_ref(ref)
            except KeyError:
                return  # reported where that reference stands

    def _collect_operations(self) -> dict[str, Operation]:
        operations: dict[str, Operation] = {}
        paths = _mapping_at(self.origin, self.raw, "paths", top=True)
        for route, item in paths.items():
            if str(route).startswith("x-"):
                continue  # an extension of the Paths object, not a path
            if not is_map(item):
                raise GeneratorError(self.origin, pointer("paths", route), "not an object")
            item = self.deref(item)
            shared = item.get("parameters") or []
            item_servers = self._server_urls(item, ["paths", route])
            for method in HTTP_METHODS:
                op = item.get(method)
                if op is None:
                    continue
                if not is_map(op):
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
                op_servers = self._server_urls(op, ["paths", route, method])
                operations[key] = Operation(
                    key,
                    method.upper(),
                    route,
                    op,
                    self._parameters(shared, op),
                    item_servers if op_servers is None else op_servers,
                )
        return operations

    def _server_urls(self, node: Mapping[str, Any], where: list[str]) -> tuple[str, ...] | None:
        """Where a `servers` list sends calls (variables at their defaults); None without one."""
        servers = node.get("servers")
        if servers is None:
            return None
        if not isinstance(servers, list):
            raise GeneratorError(self.origin, pointer(*where, "servers"), "must be an array")
        urls: list[str] = []
        for index, server in enumerate(servers):
            url = server.get("url") if is_map(server) else None
            if not isinstance(url, str):
                raise GeneratorError(
                    self.origin, pointer(*where, "servers", index), "a server needs a string url"
                )
            for name, variable in as_mapping(server.get("variables")).items():
                default = as_mapping(variable).get("default")
                if default is not None:
                    url = url.replace(f"{{{name}}}", str(default))
            urls.append(url)
        return tuple(urls)

    def _parameters(self, shared: Any, op: Mapping[str, Any]) -> dict[tuple[str, str], Any]:
        params: dict[tuple[str, str], Any] = {}
        for raw in [*as_list(shared), *as_list(op.get("parameters"))]:
            param = self.deref(raw)
            if is_map(param) and isinstance(param.get("name"), str):
                params[(str(param.get("in", "")), param["name"])] = param
        return params

    def security(self, op: Mapping[str, Any]) -> list[Any] | None:
        requirements = op["security"] if "security" in op else self.raw.get("security")
        return requirements if isinstance(requirements, list) else None

    def _schema_usage(self) -> dict[str, frozenset[str]]:
        """For each component schema: reached from requests (input), responses (output)."""
        refs_of: dict[str, set[str]] = {
            name: schema_refs(body) for name, body in self.schemas.items()
        }
        roots: dict[str, set[str]] = {INPUT: set(), OUTPUT: set()}
        for op in self.operations.values():
            for param in op.params.values():
                roots[INPUT] |= schema_refs(param)
            body = op.node.get("requestBody")
            if body is not None:
                roots[INPUT] |= schema_refs(self.deref(body))
            for response in responses_of(op.node).values():
                roots[OUTPUT] |= schema_refs(self.deref(response))
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
class Operation:
    key: str
    method: str
    path: str
    node: Mapping[str, Any]
    params: dict[tuple[str, str], Any]
    servers: tuple[str, ...] | None = None  # its own or its path's; None: the document's


def is_map(value: object) -> TypeGuard[Mapping[str, Any]]:
    return isinstance(value, Mapping)


def _mapping_at(origin: str, parent: Any, key: str, top: bool = False) -> Mapping[str, Any]:
    value = parent.get(key) if is_map(parent) else None
    if value is None:
        return {}
    if not is_map(value):
        where = pointer(key) if top else pointer("components", key)
        raise GeneratorError(origin, where, "must be an object")
    return value


def schema_refs(node: Any) -> set[str]:
    """Names of the component schemas referenced anywhere inside `node`."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Mapping):
            ref = current.get("$ref")
            if isinstance(ref, str) and ref.startswith(SCHEMA_PREFIX):
                found.add(unescape(ref[len(SCHEMA_PREFIX) :]))
            stack.extend(v for v in current.values() if isinstance(v, Mapping | list))
        elif isinstance(current, list):
            stack.extend(v for v in current if isinstance(v, Mapping | list))
    return found


def ref_name(node: Any) -> str | None:
    if is_map(node):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_PREFIX):
            return unescape(ref[len(SCHEMA_PREFIX) :])
    return None


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if is_map(value) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def responses_of(op: Mapping[str, Any]) -> dict[str, Any]:
    """Responses by status code as text (YAML reads `200:` as an integer)."""
    return {str(code): response for code, response in as_mapping(op.get("responses")).items()}


def content_of(node: Any) -> Mapping[str, Any]:
    content = node.get("content") if is_map(node) else None
    return content if is_map(content) else {}


def schema_kind(node: Any) -> str:
    """The JSON type a schema describes, as far as the comparison cares."""
    if not is_map(node):
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
