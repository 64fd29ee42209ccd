"""Generation settings: [tool.sdkgen] in pyproject.toml, overridden by command-line flags."""

from __future__ import annotations

import keyword
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import GeneratorError
from generator.load.spec_source import read_toml

_KEYS = {
    "spec_lock": str,
    "spec": str,
    "output": str,
    "package_name": str,
    "config": str,
    "profile": str,
    "include_tags": list,
    "exclude_tags": list,
    "include_operations": list,
    "exclude_operations": list,
    "overlays": list,
}


_PACKAGE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
# What the generated package imports (httpx and what httpx imports, the async backend, the
# store extras): a package of one of these names would shadow it and fail on import.
_DEPENDENCY_MODULES = frozenset(
    {"httpx", "httpcore", "h11", "anyio", "sniffio", "idna", "certifi", "redis", "keyring"}
)


def check_package_name(name: str, file: str, location: str) -> str:
    """The name of the generated package: an ASCII Python name that shadows no keyword,
    standard library module or dependency (it becomes a folder and every import of it)."""
    if (
        not _PACKAGE_NAME.fullmatch(name)
        or keyword.iskeyword(name)
        or name in sys.stdlib_module_names
        or name.lower() in _DEPENDENCY_MODULES
    ):
        raise GeneratorError(
            file,
            location,
            f"{name!r} is not a usable package name (ASCII letters, digits and _, at most 64, "
            "not a keyword, a standard library module or a module the package imports)",
        )
    return name


@dataclass
class Settings:
    root: Path
    spec_lock: Path | None = None
    spec: str | None = None  # a path or URL; when set, the lock is not used
    output: Path = Path("generated")
    package_name: str = "twitter_api"
    config: Path | None = None
    profile: str | None = None
    include_tags: list[str] = field(default_factory=list)
    exclude_tags: list[str] = field(default_factory=list)
    include_operations: list[str] = field(default_factory=list)
    exclude_operations: list[str] = field(default_factory=list)
    overlays: list[Path] = field(default_factory=list)


def find_project(start: Path) -> Path | None:
    for candidate in [start, *start.parents]:
        if (candidate / "pyproject.toml").is_file():
            data = read_toml(candidate / "pyproject.toml")
            if "sdkgen" in data.get("tool", {}):
                return candidate
    return None


def load_settings(root: Path | None) -> Settings:
    """The project's [tool.sdkgen] table, with paths resolved against the project root."""
    if root is None:
        return Settings(root=Path.cwd())
    path = root / "pyproject.toml"
    table: dict[str, Any] = read_toml(path).get("tool", {}).get("sdkgen", {})
    for key, value in table.items():
        expected = _KEYS.get(key)
        if expected is None:
            raise GeneratorError(str(path), f"tool.sdkgen.{key}", "unknown setting")
        if not isinstance(value, expected):
            raise GeneratorError(str(path), f"tool.sdkgen.{key}", f"must be a {expected.__name__}")
    settings = Settings(root=root)
    for key in ("spec_lock", "config", "output"):
        if key in table:
            setattr(settings, key, root / table[key])
    for key in ("spec", "package_name", "profile"):
        if key in table:
            setattr(settings, key, table[key])
    check_package_name(settings.package_name, str(path), "tool.sdkgen.package_name")
    for key in ("include_tags", "exclude_tags", "include_operations", "exclude_operations"):
        setattr(settings, key, [str(v) for v in table.get(key, [])])
    settings.overlays = [root / str(p) for p in table.get("overlays", [])]
    if settings.output == Path("generated"):
        settings.output = root / "generated"
    return settings
