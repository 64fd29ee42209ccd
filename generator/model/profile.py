"""The auth profile the client is generated for: flow and scopes from Config.toml.

Only `flow`, `scopes` and the table structure are read here; secret values are never
looked at, whatever form they take.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from generator.errors import GeneratorError
from generator.load import read_toml
from generator.model.ir import Api

MODULE = "twitter_api"
FLOWS = ("pkce", "app", "bearer", "oauth1")
USER_CONTEXT_SCHEME = "OAuth2UserToken"


@dataclass(frozen=True)
class AuthProfile:
    name: str
    flow: str
    scopes: tuple[str, ...]
    file: Path


def read_profile(path: Path, name: str | None) -> AuthProfile:
    data = read_toml(path)
    text = path.read_text(encoding="utf-8")
    module = data.get(MODULE)
    if not isinstance(module, dict):
        raise GeneratorError(str(path), "", f"no [{MODULE}] table")
    profiles = module.get("profiles")
    if not isinstance(profiles, dict) or not profiles:
        raise GeneratorError(str(path), "", f"no [{MODULE}.profiles.<name>] table")
    chosen = name or module.get("default_profile") or next(iter(profiles))
    table = profiles.get(chosen)
    if not isinstance(table, dict):
        known = ", ".join(sorted(profiles))
        raise GeneratorError(str(path), "", f"no profile {chosen!r} (profiles: {known})")
    section = f"{MODULE}.profiles.{chosen}"
    flow = table.get("flow")
    if flow not in FLOWS:
        raise GeneratorError(
            str(path),
            _locate(text, section, "flow", None),
            f"profile {chosen!r}: flow must be one of {', '.join(FLOWS)}",
        )
    scopes = table.get("scopes", [])
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise GeneratorError(
            str(path),
            _locate(text, section, "scopes", None),
            f"profile {chosen!r}: scopes must be a list of strings",
        )
    return AuthProfile(str(chosen), str(flow), tuple(scopes), path)


def check_profile(profile: AuthProfile, api: Api) -> list[str]:
    """Refuse scopes the spec doesn't define; warn about operations the scopes can't call."""
    text = profile.file.read_text(encoding="utf-8")
    section = f"{MODULE}.profiles.{profile.name}"
    for scope in profile.scopes:
        if scope not in api.scopes:
            raise GeneratorError(
                str(profile.file),
                _locate(text, section, "scopes", scope),
                f"profile {profile.name!r}: unknown scope {scope!r} (the spec defines: "
                f"{', '.join(api.scopes)})",
            )
    if profile.flow != "pkce":
        return []
    granted = set(profile.scopes)
    blocked = [
        op.operation_id
        for op in api.operations
        if (needs := _user_scopes(op.security)) is not None and not set(needs) <= granted
    ]
    if not blocked:
        return []
    return [
        f"profile {profile.name!r} lacks scopes for {len(blocked)} operation(s), e.g. "
        f"{', '.join(blocked[:3])}; all operations need: {' '.join(minimal_scopes(api))}"
    ]


def _user_scopes(security: list[tuple[str, list[str]]]) -> list[str] | None:
    for scheme, scopes in security:
        if scheme == USER_CONTEXT_SCHEME:
            return scopes
    return None


def minimal_scopes(api: Api) -> list[str]:
    """The scopes that let a user-context token call every generated operation."""
    needed: set[str] = set()
    for op in api.operations:
        needed.update(_user_scopes(op.security) or [])
    return sorted(needed)


def _locate(text: str, section: str, key: str, value: str | None) -> str:
    """line:column of `key` (or of the quoted `value` after it) inside [section]."""
    lines = text.splitlines()
    header = re.compile(rf"^\s*\[\s*{re.escape(section)}\s*\]")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        return ""
    key_line = None
    for i in range(start + 1, len(lines)):
        if lines[i].lstrip().startswith("["):
            break
        if re.match(rf"^\s*{re.escape(key)}\s*=", lines[i]):
            key_line = i
            break
    if key_line is None:
        return f"{start + 1}:1"
    if value is None:
        return f"{key_line + 1}:{lines[key_line].index(key) + 1}"
    for i in range(key_line, len(lines)):
        for quote in ('"', "'"):
            col = lines[i].find(f"{quote}{value}{quote}")
            if col >= 0:
                return f"{i + 1}:{col + 1}"
        if "]" in lines[i]:
            break
    return f"{key_line + 1}:1"
