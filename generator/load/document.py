"""Stage one: check the raw document against the OpenAPI schema.

openapi-python-client's typed OpenAPI models do the structural validation. Stage two then
reads the validated raw document rather than those models, because they fill in defaults
that contradict the OpenAPI specification (`explode` comes back false for `style: form`,
where the spec says true) and wrap every string in a class that has to be unwrapped again.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from generator.errors import GeneratorError, pointer


def validate_document(origin: str, document: dict[str, Any]) -> None:
    version = str(document.get("openapi", ""))
    if not version.startswith(("3.0", "3.1")):
        raise GeneratorError(
            origin, pointer("openapi"), f"unsupported OpenAPI version {version or '(missing)'!r}"
        )
    from openapi_python_client.schema import OpenAPI

    try:
        OpenAPI.model_validate(
            _with_31_defaults(document) if version.startswith("3.1") else document
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        # pydantic's location holds model-internal names for union branches; keep the keys
        # that are really in the document so the pointer can be followed.
        loc = _document_path(document, first["loc"])
        raise GeneratorError(origin, pointer(*loc), f"invalid OpenAPI: {first['msg']}") from None


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
    return {**document, "paths": filled}
