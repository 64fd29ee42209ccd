"""Python names for spec names, made once and never re-cased in templates.

The casing rules are openapi-python-client's, so names match what users of its stock output
already know (`getPostsById` -> `get_posts_by_id`, `post.fields` -> `post_fields`).
"""

from __future__ import annotations

import builtins
import keyword

from openapi_python_client.strings import pascal_case, snake_case

__all__ = ["class_name", "identifier", "module_name", "pascal_case", "snake_case"]

# Attributes of the runtime Model base class; a field with one of these names gets a suffix.
MODEL_RESERVED = frozenset(
    {
        "to_dict",
        "from_dict",
        "validate",
        "extra_fields",
        "http_response",
        "rate_limit",
        "_raw",
        "_response",
        "_fields",
        "_wrap",
        "_check",
    }
)


def identifier(name: str, reserved: frozenset[str] = frozenset()) -> str:
    """A snake_case Python identifier for a spec name; keywords and reserved names get `_`."""
    result = snake_case(name) or "value"
    if result[0].isdigit():
        result = f"n{result}"
    # Soft keywords (match, case, type, _) are valid names; treating them as reserved would make
    # the output depend on the Python version generating it.
    if keyword.iskeyword(result) or result in reserved:
        result += "_"
    return result


def class_name(name: str) -> str:
    result = pascal_case(name) or "Model"
    if result[0].isdigit():
        result = f"M{result}"
    if keyword.iskeyword(result) or result in dir(builtins):
        result += "Model"
    return result


def module_name(class_name_: str) -> str:
    return identifier(class_name_)
