"""What a configuration may say, and how the loader reports on it.

The keys each table and each flow accept, where a value was set (`Location`), the problems
found (`ConfigProblem`, collected in `Problems`, raised together as `ConfigError`), and the
result handed to a client (`Settings`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import httpx

from .._exceptions import APIError
from .._names import ENV_CONFIG as ENV_CONFIG
from .._names import ENV_CONFIG_DATA as ENV_CONFIG_DATA
from .._names import ENV_PREFIX as ENV_PREFIX
from .._names import TABLE

MODULE: Final = TABLE  # the table name follows the package name
DEFAULT_FILE: Final = "Config.toml"
DEFAULT_TIMEOUT: Final = 30.0

Kind = Literal["flow", "text", "url", "path", "scopes", "secret", "id", "number", "bool"]

MODULE_KEYS: Final[Mapping[str, Kind]] = {
    "base_url": "url",
    "timeout": "number",
    "default_profile": "text",
    "allow_insecure_permissions": "bool",
    "allow_insecure_http": "bool",
}
PROFILE_KEYS: Final[Mapping[str, Kind]] = {
    "flow": "flow",
    "client_id": "id",
    "client_secret": "secret",
    "redirect_uri": "url",
    "scopes": "scopes",
    "token_store": "path",
    "authorize_url": "url",
    "token_url": "url",
    "revoke_url": "url",
    "bearer_token": "secret",
    "api_key": "secret",
    "api_secret": "secret",
    "access_token": "secret",
    "access_token_secret": "secret",
    "allow_insecure_http": "bool",
}
# Settings that decide where and how credentials are sent (see `_trust`).
ENDPOINT_KEYS: Final = frozenset({"base_url", "authorize_url", "token_url", "revoke_url"})
ROUTING_KEYS: Final = ENDPOINT_KEYS | {"allow_insecure_http"}
# Keys every flow accepts besides its own.
COMMON_PROFILE_KEYS: Final = frozenset({"flow", "allow_insecure_http"})
# flow -> (required keys, optional keys); `flow` itself is always required.
FLOWS: Final[Mapping[str, tuple[frozenset[str], frozenset[str]]]] = {
    "pkce": (
        frozenset({"client_id", "redirect_uri", "scopes"}),
        frozenset({"client_secret", "token_store", "authorize_url", "token_url", "revoke_url"}),
    ),
    "app": (frozenset({"client_id", "client_secret"}), frozenset({"token_url"})),
    "bearer": (frozenset({"bearer_token"}), frozenset()),
    "oauth1": (
        frozenset({"api_key", "api_secret", "access_token", "access_token_secret"}),
        frozenset(),
    ),
}


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """ "; did you mean `x`?" when one of `choices` is close to the misspelt `name`, else ""."""
    close = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.7)
    return f"; did you mean `{close[0]}`?" if close else ""


@dataclass(frozen=True, slots=True)
class Location:
    """Where a value was set: a file (or the inline data) with line and column, or a variable."""

    source: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.source
        return f"{self.source}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    message: str
    location: Location
    key: str | None = None
    profile: str | None = None

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class ConfigError(APIError):
    """The configuration is unusable; `.problems` lists every reason found."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        count = len(self.problems)
        super().__init__(f"{count} configuration problem{'s' if count > 1 else ''}:\n{lines}")


@dataclass(frozen=True, slots=True)
class Settings:
    """What a client needs: where to send requests, how long to wait, how to authenticate."""

    base_url: str
    timeout: float
    auth: httpx.Auth
    profile: str
    flow: str
    allow_insecure_http: bool = False


class Problems(list[ConfigProblem]):
    """Every problem found so far; loading goes on after one, to report them all at once."""

    def add(
        self, location: Location, message: str, key: str | None = None, profile: str | None = None
    ) -> None:
        self.append(ConfigProblem(message, location, key, profile))


def describe(key: str | None, profile: str | None) -> str:
    """How a message names a key: in the module table or in a profile."""
    if profile is None:
        return f"`{key}` in [{MODULE}]"
    return f"`{key}` in profile `{profile}`"
