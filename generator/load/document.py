"""Stage one: check the raw document against the OpenAPI schema.

openapi-python-client's typed OpenAPI models do the structural validation. Stage two then
reads the validated raw document rather than those models, because they fill in defaults
that contradict the OpenAPI specification (`explode` comes back false for `style: form`,
where the spec says true) and wrap every string in a class that has to be unwrapped again.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import ValidationError

from generator.errors import GeneratorError
from generator.load.bundle import DATA_KEYS
from generator.pointers import pointer, resolves


def validate_document(origin: str, document: dict[str, Any]) -> None:
    version = str(document.get("openapi", ""))
    if "swagger" in document and not version:
        raise GeneratorError(
            origin,
            pointer("swagger"),
            "a Swagger 2.0 document: sdkgen reads OpenAPI 3.0 and 3.1 (convert it first, "
            "e.g. with swagger2openapi)",
        )
    if not version.startswith(("3.0", "3.1")):
        raise GeneratorError(
            origin, pointer("openapi"), f"unsupported OpenAPI version {version or '(missing)'!r}"
        )
    from openapi_python_client.schema import OpenAPI

    check_references(origin, document)
    checked = _without_unused_parts(document)
    try:
        OpenAPI.model_validate(_with_31_defaults(checked) if version.startswith("3.1") else checked)
    except ValidationError as exc:
        first = exc.errors()[0]
        # pydantic's location holds model-internal names for union branches; keep the keys
        # that are really in the document so the pointer can be followed.
        loc = _document_path(document, first["loc"])
        message = first["msg"]
        if first["type"] == "missing" and first["loc"]:
            message = f"the required field {str(first['loc'][-1])!r} is missing"
        raise GeneratorError(origin, pointer(*loc), f"invalid OpenAPI: {message}") from None


# Maps whose keys are names chosen by the spec's author (a property `default`, the `default`
# response, a component `example`): each value is an OpenAPI object, never data.
_NAMED: Final = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "schemas",
     "responses", "parameters", "requestBodies", "headers", "securitySchemes", "links",
     "callbacks", "pathItems", "paths", "webhooks", "content", "encoding", "variables"}
)  # fmt: skip


def check_references(origin: str, document: dict[str, Any]) -> None:
    """Every `$ref` in the document names something in it (after bundling, each one of the
    spec's references points into the document): the first that does not is an error where
    it stands. Data (examples, enums, defaults, extensions) is not read."""
    stack: list[tuple[Any, tuple[str, ...], bool]] = [(document, (), False)]
    while stack:
        node, path, named = stack.pop()
        if isinstance(node, list):
            stack.extend((v, (*path, str(i)), False) for i, v in reversed(list(enumerate(node))))
            continue
        if not isinstance(node, dict):
            continue
        ref = node.get("$ref")
        pointed = isinstance(ref, str) and (ref == "#" or ref.startswith("#/"))
        if not named and pointed and not resolves(document, str(ref)):
            raise GeneratorError(origin, pointer(*path), f"dangling $ref {ref!r}")
        children: list[tuple[Any, tuple[str, ...], bool]] = []
        for key, value in node.items():
            if named:
                children.append((value, (*path, key), False))
            elif key == "examples" and isinstance(value, dict):
                # Example Objects or references to them; their values are data.
                children.extend(
                    ({"$ref": v["$ref"]}, (*path, key, name), False)
                    for name, v in value.items()
                    if isinstance(v, dict) and "$ref" in v
                )
            elif key not in DATA_KEYS and not key.startswith("x-") and key != "$ref":
                children.append((value, (*path, key), key in _NAMED and isinstance(value, dict)))
        stack.extend(reversed(children))


def _document_path(document: Any, loc: tuple[Any, ...]) -> list[str | int]:
    path: list[str | int] = []
    node = document
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
            path.append(part)
    return path


def _without_unused_parts(document: dict[str, Any]) -> dict[str, Any]:
    """A copy without what the validator misreads and the client does not use: the Paths
    object's `x-` keys (taken for paths) and operations' callbacks (a callback given as a
    reference is taken for a path item)."""
    paths = document.get("paths")
    if not isinstance(paths, dict):
        return document
    kept: dict[str, Any] = {}
    for key, item in paths.items():
        if str(key).startswith("x-"):
            continue
        if isinstance(item, dict):
            item = {
                m: {k: v for k, v in op.items() if k != "callbacks"}
                if m in _METHODS and isinstance(op, dict)
                else op
                for m, op in item.items()
            }
        kept[key] = item
    return {**document, "paths": kept}


_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _with_31_defaults(document: dict[str, Any]) -> dict[str, Any]:
    """A copy for the 3.0-shaped validator: 3.1 makes `paths` and an operation's
    `responses` optional."""
    paths = document.get("paths")
    if not isinstance(paths, dict):
        return {**document, "paths": {}} if paths is None else document
    filled: dict[str, Any] = {}
    for key, item in paths.items():
        if isinstance(item, dict):
            item = {
                m: {**op, "responses": {}}
                if m in _METHODS and isinstance(op, dict) and "responses" not in op
                else op
                for m, op in item.items()
            }
        filled[key] = item
    checked: dict[str, Any] = _boolean_schemas_as_objects({**document, "paths": filled})
    return checked


# Places that hold a schema, a map of schemas or a list of them (JSON Schema 2020-12).
_SCHEMA_VALUES = frozenset(
    {"schema", "items", "not", "contains", "if", "then", "else", "propertyNames",
     "unevaluatedItems", "unevaluatedProperties", "additionalItems"}
)  # fmt: skip
_SCHEMA_MAPS = frozenset(
    {"properties", "patternProperties", "$defs", "dependentSchemas", "schemas"}
)
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})


def _boolean_schemas_as_objects(node: Any) -> Any:
    """A copy in which every boolean schema (3.1: `true` accepts anything, `false` nothing)
    is the equivalent object, and without object or array `const` values: shapes the
    3.0-shaped validator does not know but 3.1 allows."""

    def schema(value: Any) -> Any:
        if isinstance(value, bool):
            return {} if value else {"not": {}}
        return _boolean_schemas_as_objects(value)

    if isinstance(node, list):
        return [_boolean_schemas_as_objects(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[Any, Any] = {}
    for key, value in node.items():
        if key == "const" and isinstance(value, dict | list):
            # The 3.0-shaped validator takes scalar constants only; 3.1 allows any JSON value.
            continue
        if key in DATA_KEYS or (isinstance(key, str) and key.startswith("x-")):
            out[key] = value
        elif key in _SCHEMA_VALUES:
            out[key] = schema(value)
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {k: schema(v) for k, v in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [schema(v) for v in value]
        elif key == "responses" and isinstance(value, dict):  # `default` is a status here
            out[key] = {k: _boolean_schemas_as_objects(v) for k, v in value.items()}
        else:
            out[key] = _boolean_schemas_as_objects(value)
    return out
