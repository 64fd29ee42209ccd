"""Stage two: the validated document to the generator model (`ir.Api`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from generator.load import validate_document
from generator.model.ir import Api
from generator.model.operations import parse_operations
from generator.model.schemas import SchemaRegistry, const_name


@dataclass(frozen=True)
class Selection:
    include_tags: Sequence[str] = ()
    exclude_tags: Sequence[str] = ()
    include_operations: Sequence[str] = ()
    exclude_operations: Sequence[str] = ()


def build_api(origin: str, document: dict[str, Any], sha256: str, selection: Selection) -> Api:
    validate_document(origin, document)
    registry = SchemaRegistry(document, origin)
    operations = parse_operations(
        document,
        registry,
        include_tags=selection.include_tags,
        exclude_tags=selection.exclude_tags,
        include_operations=selection.include_operations,
        exclude_operations=selection.exclude_operations,
    )
    # Every component schema gets its class, used by the selected operations or not:
    # users type their own code with them.
    for name in sorted(registry.components):
        registry.component_type(name)
    problem = None
    if "Problem" in registry.components:
        # Error bodies are parsed with the spec's Problem union (X's); a plain object schema
        # of that name is just a model.
        problem_type = registry.component_type("Problem")
        if problem_type.converter.startswith("_m.alias("):
            problem = (
                registry.module_of("Problem"),
                const_name(registry.class_of("Problem")),
                registry.class_of("Problem"),
            )
    schemes = _mapping((document.get("components") or {}).get("securitySchemes"))
    authorize_url, token_url, scopes = "", "", {}
    for scheme in schemes.values():
        flow = _mapping(_mapping(_mapping(scheme).get("flows")).get("authorizationCode"))
        if flow:
            authorize_url = str(flow.get("authorizationUrl", ""))
            token_url = str(flow.get("tokenUrl", ""))
            declared = _mapping(flow.get("scopes"))
            scopes = {str(k): str(v) for k, v in sorted(declared.items(), key=lambda i: str(i[0]))}
            break
    servers = document.get("servers")
    first_server = _mapping(servers[0]) if isinstance(servers, list) and servers else {}
    info = _mapping(document.get("info"))
    return Api(
        title=str(info.get("title", "")),
        version=str(info.get("version", "")),
        sha256=sha256,
        default_base_url=str(first_server.get("url", "https://api.x.com")).rstrip("/"),
        authorize_url=authorize_url,
        token_url=token_url,
        scopes=scopes,
        operations=operations,
        modules=registry.ordered_modules(),
        aliases=sorted(registry.aliases, key=lambda a: a.name),
        problem=problem,
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
