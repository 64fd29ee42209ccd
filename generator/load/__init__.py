"""Stage 1, loading the spec: the lock and the document it pins (a file or an https URL,
checked against its sha256, cached), the overlays that fix it, the check against the OpenAPI
schema, and the project's `[tool.sdkgen]` settings.

Hands on a `LoadedSpec` (the document as plain dicts and lists, with its origin and sha256)
and the `Settings`; `validate_document` is the check `model.build_api` starts with.
"""

from generator.load.bundle import original_place
from generator.load.document import validate_document
from generator.load.overlays import apply_overlays, would_apply
from generator.load.settings import Settings, check_package_name, find_project, load_settings
from generator.load.spec_source import (
    LoadedSpec,
    SpecLock,
    cache_dir,
    is_url,
    load_locked_spec,
    load_spec,
    read_toml,
    store_in_cache,
)

__all__ = [
    "LoadedSpec",
    "Settings",
    "SpecLock",
    "apply_overlays",
    "cache_dir",
    "check_package_name",
    "find_project",
    "is_url",
    "load_locked_spec",
    "load_settings",
    "load_spec",
    "original_place",
    "read_toml",
    "store_in_cache",
    "validate_document",
    "would_apply",
]
