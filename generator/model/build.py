"""Stage two: the validated document to the generator model (`ir.Api`)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from generator.errors import GeneratorError
from generator.load import original_place, validate_document
from generator.model.ir import Api, ServerVariable
from generator.model.naming import Identifier, class_name
from generator.model.operations import (
    find_operations,
    parse_operations,
    path_item,
    resolve_component,
)
from generator.model.schemas import SchemaRegistry, const_name
from generator.model.security import (
    api_keys,
    check_schemes,
    client_credentials,
    requirements,
    servers,
)
from generator.pointers import pointer, unescape


@dataclass(frozen=True)
class Selection:
    include_tags: Sequence[str] = ()
    exclude_tags: Sequence[str] = ()
    include_operations: Sequence[str] = ()
    exclude_operations: Sequence[str] = ()

    @property
    def active(self) -> bool:
        return any(
            (self.include_tags, self.exclude_tags, self.include_operations, self.exclude_operations)
        )


def build_api(origin: str, document: dict[str, Any], sha256: str, selection: Selection) -> Api:
    try:
        return _build_api(origin, document, sha256, selection)
    except GeneratorError as exc:
        # A schema that bundling moved is reported where the spec's author wrote it.
        place = original_place(document, exc.location) if exc.file == origin else None
        if place is None:
            raise
        raise GeneratorError(place[0], place[1], exc.message) from None


def _build_api(origin: str, document: dict[str, Any], sha256: str, selection: Selection) -> Api:
    validate_document(origin, document)
    if "paths" not in document:  # 3.1: a document of webhooks or components only
        document = {**document, "paths": {}}
    _check_selection(origin, document, selection)
    registry = SchemaRegistry(document, origin)
    operations = parse_operations(
        document,
        registry,
        include_tags=selection.include_tags,
        exclude_tags=selection.exclude_tags,
        include_operations=selection.include_operations,
        exclude_operations=selection.exclude_operations,
    )
    # Without a filter every component schema gets its class, used by an operation or not:
    # users type their own code with them. With one, only the schemas the selected operations
    # reach (built as their types were) are generated.
    if not selection.active:
        for name in sorted(registry.components):
            registry.component_type(name)
    _webhook_models(document, registry)
    problem = None
    # Error bodies are parsed with the spec's Problem union (X's); a plain object schema of
    # that name is just a model.
    problem_union = _component_of_kind(registry, "Problem", "_m.alias(")
    if problem_union is not None:
        problem = (problem_union[0], const_name(problem_union[1]), problem_union[1])
    # X's Activity API event envelope: what `webhooks.parse_event` returns typed.
    webhook_event = _component_of_kind(registry, "ActivityStreamResponse", "_m.ref(")
    schemes = _security_schemes(origin, document)
    check_schemes(origin, schemes)
    requirements(origin, document.get("security"), pointer("security"), schemes)
    authorize_url, token_url, revoke_url, scopes = "", "", "", {}
    for scheme in schemes.values():
        flow = _mapping(_mapping(scheme.get("flows")).get("authorizationCode"))
        if flow:
            authorize_url = str(flow.get("authorizationUrl", ""))
            token_url = str(flow.get("tokenUrl", ""))
            # OpenAPI has no field for it: an extension (or an overlay) names it.
            revoke_url = str(flow.get("x-revocationUrl") or "")
            declared = _mapping(flow.get("scopes"))
            scopes = {str(k): str(v) for k, v in sorted(declared.items(), key=lambda i: str(i[0]))}
            break
    server_urls = servers(origin, document.get("servers"), pointer("servers"))
    first_server = _mapping(document["servers"][0]) if server_urls else {}
    variables = [
        ServerVariable(
            str(name),
            str(_mapping(v).get("default", "")),
            [str(e) for e in _mapping(v).get("enum") or []],
            str(_mapping(v).get("description") or ""),
        )
        for name, v in _mapping(first_server.get("variables")).items()
    ]
    # The default base URL is the server URL with each variable at its default.
    base_url = server_urls[0] if server_urls else "https://api.x.com"
    info = _mapping(document.get("info"))
    return Api(
        title=str(info.get("title", "")),
        version=str(info.get("version", "")),
        sha256=sha256,
        default_base_url=base_url.rstrip("/"),
        server_variables=variables,
        security_types={name: security_type(scheme) for name, scheme in schemes.items()},
        authorize_url=authorize_url,
        token_url=token_url,
        revoke_url=revoke_url,
        api_keys=api_keys(schemes),
        client_credentials=client_credentials(schemes),
        scopes=scopes,
        operations=operations,
        modules=registry.ordered_modules(),
        aliases=sorted(registry.aliases, key=lambda a: a.name),
        problem=problem,
        webhook_event=webhook_event,
        warnings=registry.warnings,
    )


def _security_schemes(origin: str, document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The component security schemes by name, each a `$ref` resolved (chains followed)."""
    declared = _mapping(_mapping(document.get("components")).get("securitySchemes"))
    return {
        str(name): dict(
            resolve_component(
                document,
                scheme,
                "securitySchemes",
                origin,
                pointer("components", "securitySchemes", name),
            )
        )
        for name, scheme in declared.items()
    }


def _component_of_kind(
    registry: SchemaRegistry, name: str, converter: str
) -> tuple[Identifier, Identifier] | None:
    """(module, class) of the component schema `name`, when the spec has it and its type is
    of the kind whose converter starts with `converter`."""
    if name not in registry.components:
        return None
    if not registry.component_type(name).converter.startswith(converter):
        return None
    return registry.module_of(name), registry.class_of(name)


def _check_selection(origin: str, document: dict[str, Any], selection: Selection) -> None:
    """Every tag and operationId a filter names exists in the spec."""
    tags: set[str] = set()
    operation_ids: set[str] = set()
    for found in find_operations(document, origin):
        tags.update(str(t) for t in found.op.get("tags") or ["default"])
        if found.explicit_id is not None:
            operation_ids.add(found.explicit_id)
    _check_names(origin, "tag", selection.include_tags, selection.exclude_tags, tags)
    _check_names(
        origin,
        "operationId",
        selection.include_operations,
        selection.exclude_operations,
        operation_ids,
    )


def _check_names(
    origin: str, kind: str, include: Iterable[str], exclude: Iterable[str], known: set[str]
) -> None:
    for name in [*include, *exclude]:
        if name in known:
            continue
        close = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.7)
        if not close:  # "Post" for "Posts": a prefix is closer than the ratio says
            close = sorted(k for k in known if k.lower().startswith(name.lower()))[:3]
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise GeneratorError(
            origin, pointer("paths"), f"no operation has the {kind} {name!r}{hint}"
        )


def _webhook_models(document: dict[str, Any], registry: SchemaRegistry) -> None:
    """Classes for the payloads of 3.1 `webhooks`: requests the API sends, so no operations;
    users parse what their server receives with them (`Model.from_dict`)."""
    webhooks = _mapping(document.get("webhooks"))
    for name in sorted(webhooks, key=str):
        item = path_item(document, webhooks[name], registry.origin, pointer("webhooks", name))
        for method in sorted(item):
            body = _mapping(_mapping(item[method]).get("requestBody"))
            ref = body.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/requestBodies/"):
                shared = _mapping(_mapping(document.get("components")).get("requestBodies"))
                body = _mapping(shared.get(unescape(ref.rsplit("/", 1)[-1])))
            for media, content in sorted(_mapping(body.get("content")).items()):
                schema = _mapping(content).get("schema")
                if isinstance(schema, dict) and "$ref" not in schema:
                    where = pointer("webhooks", name, method, "requestBody", "content", media)
                    registry.type_of(
                        schema,
                        hint=f"{class_name(str(name))}Payload",
                        module=registry.tag_module("webhooks"),
                        where=f"{where}/schema",
                    )


def security_type(scheme: dict[str, Any]) -> str:
    """What a client must send for a security scheme: "apiKey", "http:basic", "oauth2", ..."""
    kind = str(scheme.get("type", ""))
    if kind == "http":
        return f"http:{str(scheme.get('scheme', '')).lower()}"
    return kind


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
