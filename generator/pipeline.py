"""Stage two: the validated document to the generator model (`ir.Api`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from generator.document import validate_document
from generator.ir import Api
from generator.operations import parse_operations
from generator.schemas import SchemaRegistry


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
    problem = registry.component_type("Problem") if "Problem" in registry.components else None
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    authorize_url, token_url, scopes = "", "", {}
    for scheme in schemes.values():
        flow = ((scheme or {}).get("flows") or {}).get("authorizationCode")
        if isinstance(flow, dict):
            authorize_url = str(flow.get("authorizationUrl", ""))
            token_url = str(flow.get("tokenUrl", ""))
            scopes = {str(k): str(v) for k, v in sorted((flow.get("scopes") or {}).items())}
            break
    servers = document.get("servers") or [{}]
    info = document.get("info") or {}
    return Api(
        title=str(info.get("title", "")),
        version=str(info.get("version", "")),
        sha256=sha256,
        default_base_url=str(servers[0].get("url", "https://api.x.com")).rstrip("/"),
        authorize_url=authorize_url,
        token_url=token_url,
        scopes=scopes,
        operations=operations,
        modules=registry.ordered_modules(),
        aliases=sorted(registry.aliases, key=lambda a: a.name),
        problem=problem,
    )
