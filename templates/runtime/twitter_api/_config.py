"""Config.toml: the runtime settings and auth profiles, Ballerina style.

    [twitter_api]                       # one table per module; other modules' tables are ignored
    base_url = "https://api.x.com"      # optional
    timeout = 30.0                      # optional, seconds
    default_profile = "bot"             # optional; else the first profile defined
    allow_insecure_permissions = false  # optional; true accepts secret files others can read
    allow_insecure_http = false         # optional (here or in a profile); true allows http URLs

    [twitter_api.profiles.bot]
    flow = "pkce"                       # "pkce" | "app" | "bearer" | "oauth1"
    client_id = "..."                   # client_id and secrets: "literal", { env = "NAME" }
    client_secret = { env = "X_SECRET" }  #   or { file = "PATH" } (relative to the config file)
    ...

Sources, highest precedence first (a key set by a higher source wins, key by key):

1. environment variables `TWITTER_API_<PROFILE>_<KEY>` (e.g. `TWITTER_API_BOT_CLIENT_ID`; the
   profile name upper-cased with non-alphanumerics as `_`) and `TWITTER_API_<KEY>` for the
   module keys (`TWITTER_API_TIMEOUT`). Variables that match no key are ignored.
2. the files given as `path` (one path or a list), or else listed in `TWITTER_API_CONFIG`
   (separated by `os.pathsep`); an earlier file wins over a later one.
3. inline TOML in `TWITTER_API_CONFIG_DATA`.
4. `./Config.toml`, read only when none of the three above is given.

Every problem is collected and reported at once in a `ConfigError`, each naming the key, the
profile and where it was set (file:line:column or the environment variable). Unknown keys are
errors. A file holding a literal secret, a `{ file = ... }` secret or a token store that group
or others can read is refused (fix: chmod 600) unless `allow_insecure_permissions = true`.
Secret values never appear in a message.

Endpoint settings (`base_url`, `*_url`) decide where credentials go, so a value other than the
default is taken only from a file owned by the current user that group and others cannot
write, and from the implicit `./Config.toml` only when the profile's credentials are literals
in that same file (a file planted in the working directory must not redirect credentials from
the environment, other files or the token store). They must be https, or http to a loopback
host, unless `allow_insecure_http = true`. Config and secret files must be regular files of
bounded size.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import httpx

from . import _spec_info
from ._endpoints import insecure_http_reason
from ._exceptions import APIError
from ._files import (
    MAX_CONFIG_BYTES,
    MAX_SECRET_BYTES,
    FileRefused,
    OpenedFile,
    owned_by_user,
    read_small_file,
)
from ._secrets import Secret, group_or_others_can_read
from ._toml_positions import KeyPath, Position, key_positions, split_error_position
from .auth import AppOnly, BearerToken, OAuth1, OAuth2PKCE
from .auth._app_only import DEFAULT_TOKEN_URL as APP_TOKEN_URL
from .auth._errors import TokenStoreError
from .auth._store import TokenStore, is_store_url, open_token_store

__all__ = ["ConfigError", "ConfigProblem", "Settings", "load_settings"]

MODULE: Final = __name__.split(".")[0]  # the table name follows the package name
ENV_PREFIX: Final = MODULE.upper()
ENV_CONFIG: Final = f"{ENV_PREFIX}_CONFIG"
ENV_CONFIG_DATA: Final = f"{ENV_PREFIX}_CONFIG_DATA"
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
# Settings that decide where and how credentials are sent (see the module docstring).
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


# -- results and errors -----------------------------------------------------------------------


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


# -- sources ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Value:
    raw: object = field(repr=False)  # may be a literal secret: never in a repr or a traceback
    location: Location
    base_dir: Path  # relative paths in the value resolve against this
    file: Path | None = None  # the config file that holds it, if any
    from_env: bool = False  # a string from an environment variable, to be converted
    layer: _Layer | None = None  # the TOML source that set it (None: an environment variable)


@dataclass(slots=True)
class _Merged:
    module: dict[str, _Value] = field(default_factory=dict)
    profiles: dict[str, dict[str, _Value]] = field(default_factory=dict)
    headers: dict[str, Location] = field(default_factory=dict)  # where each profile is declared
    # (layer, key, location) of every literal secret in a file, overridden or not
    literal_secrets: list[tuple[_Layer, str, Location]] = field(default_factory=list)


class _Problems(list[ConfigProblem]):
    def add(
        self, location: Location, message: str, key: str | None = None, profile: str | None = None
    ) -> None:
        self.append(ConfigProblem(message, location, key, profile))


def load_settings(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    profile: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read the configuration and build the settings of one profile (the default one when None).

    Raises ConfigError listing every problem found.
    """
    settings, problems = _load(path, profile, os.environ if environ is None else environ)
    # Raised here, where no local holds a parsed value, a secret or the environment: tracebacks
    # printed with their locals (Sentry, rich) show this frame.
    if settings is None:
        raise ConfigError(problems)
    return settings


def _load(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None,
    profile: str | None,
    env: Mapping[str, str],
) -> tuple[Settings | None, list[ConfigProblem]]:
    problems = _Problems()
    merged = _Merged()
    for layer in reversed(_toml_layers(path, env, problems)):  # lowest precedence first
        _merge_layer(layer, merged, problems)
    _merge_environment(env, merged, problems)

    module = {k: _typed(MODULE_KEYS[k], v, k, None, problems) for k, v in merged.module.items()}
    for name, values in merged.profiles.items():
        for key, value in values.items():
            typed = _typed(PROFILE_KEYS[key], value, key, name, problems)
            if value.from_env and typed is not None:
                value.raw = typed  # e.g. "a b c" from a variable -> ["a", "b", "c"]
    allow_insecure = module.get("allow_insecure_permissions") is True
    if not allow_insecure:
        _refuse_readable_literal_secrets(merged, problems)

    chosen = _choose_profile(profile, merged, module.get("default_profile"), problems)
    auth = None
    flow = ""
    allow_http = False
    if chosen is not None:
        flow_value = merged.profiles[chosen].get("flow")
        flow = flow_value.raw if flow_value and isinstance(flow_value.raw, str) else ""
        allow_http = _allow_insecure_http(module, merged.profiles[chosen])
        _check_endpoints(chosen, flow, merged, allow_http, problems)
        auth = _build_auth(chosen, merged, env, allow_insecure, allow_http, problems)
    if problems or auth is None or chosen is None:
        return None, list(problems)
    base_url = module.get("base_url")
    timeout = module.get("timeout")
    settings = Settings(
        base_url=base_url if isinstance(base_url, str) else _spec_info.DEFAULT_BASE_URL,
        timeout=float(timeout) if isinstance(timeout, float) else DEFAULT_TIMEOUT,
        auth=auth,
        profile=chosen,
        flow=flow,
        allow_insecure_http=allow_http,
    )
    return settings, []


@dataclass(slots=True)
class _Layer:
    label: str
    data: dict[str, Any] = field(repr=False)  # the parsed TOML, literal secrets included
    positions: dict[KeyPath, Position]  # where each table and key starts in the text
    base_dir: Path
    file: Path | None
    opened: OpenedFile | None = None  # the file's owner and mode, as read
    implicit: bool = False  # ./Config.toml, read because no source was named


def _toml_layers(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None,
    env: Mapping[str, str],
    problems: _Problems,
) -> list[_Layer]:
    """The TOML sources, highest precedence first."""
    if path is None:
        listed = [p for p in env.get(ENV_CONFIG, "").split(os.pathsep) if p]
    elif isinstance(path, str | os.PathLike):
        listed = [os.fspath(path)]
    else:
        listed = [os.fspath(p) for p in path]
    inline = env.get(ENV_CONFIG_DATA)
    implicit = not listed and inline is None and Path(DEFAULT_FILE).exists()
    if implicit:
        listed = [DEFAULT_FILE]
    layers: list[_Layer] = []
    for name in listed:
        file = Path(name).expanduser()
        try:
            opened = read_small_file(file, MAX_CONFIG_BYTES)
        except FileNotFoundError:
            problems.add(Location(name), "config file not found")
            continue
        except FileRefused as exc:
            problems.add(Location(name), f"refusing the config file: {exc}")
            continue
        except OSError as exc:
            problems.add(Location(name), f"cannot read the config file: {exc.strerror}")
            continue
        except UnicodeDecodeError as exc:
            problems.add(Location(name), f"cannot read the config file: {exc}")
            continue
        layer = _parse(name, opened.text, file.absolute().parent, file, problems)
        if layer is not None:
            layer.opened, layer.implicit = opened, implicit
            layers.append(layer)
    if inline is not None:
        layer = _parse(ENV_CONFIG_DATA, inline, Path.cwd(), None, problems)
        if layer is not None:
            layers.append(layer)
    return layers


def _parse(
    label: str, text: str, base_dir: Path, file: Path | None, problems: _Problems
) -> _Layer | None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message, position = split_error_position(str(exc))
        location = Location(label, *position) if position else Location(label)
        problems.add(location, f"malformed TOML: {message}")
        return None
    return _Layer(label, data, key_positions(text), base_dir, file)


def _location(layer: _Layer, key_path: KeyPath) -> Location:
    # A key inside an inline table has no own position: use the nearest enclosing one.
    for end in range(len(key_path), 0, -1):
        position = layer.positions.get(key_path[:end])
        if position is not None:
            return Location(layer.label, *position)
    return Location(layer.label)


def _merge_layer(layer: _Layer, merged: _Merged, problems: _Problems) -> None:
    table = layer.data.get(MODULE)
    if table is None:
        return  # the file configures other modules only
    here = _location(layer, (MODULE,))
    if not isinstance(table, dict):
        problems.add(here, f"`{MODULE}` must be a table")
        return
    for key, raw in table.items():
        where = _location(layer, (MODULE, key))
        if key == "profiles":
            if not isinstance(raw, dict):
                problems.add(where, f"`{MODULE}.profiles` must be a table of profiles")
                continue
            for name, body in raw.items():
                _merge_profile(layer, name, body, merged, problems)
        elif key in MODULE_KEYS:
            merged.module[key] = _Value(raw, where, layer.base_dir, layer.file, layer=layer)
        else:
            problems.add(where, f"unknown key `{key}` in [{MODULE}]", key)


def _merge_profile(
    layer: _Layer, name: str, body: object, merged: _Merged, problems: _Problems
) -> None:
    header = _location(layer, (MODULE, "profiles", name))
    if not isinstance(body, dict):
        problems.add(header, f"profile `{name}` must be a table", profile=name)
        return
    merged.headers[name] = header  # layers arrive lowest first: the last one wins
    values = merged.profiles.setdefault(name, {})
    for key, raw in body.items():
        where = _location(layer, (MODULE, "profiles", name, key))
        if key in PROFILE_KEYS:
            values[key] = _Value(raw, where, layer.base_dir, layer.file, layer=layer)
            if PROFILE_KEYS[key] == "secret" and isinstance(raw, str) and layer.file is not None:
                merged.literal_secrets.append((layer, key, where))
        else:
            problems.add(where, f"unknown key `{key}` in profile `{name}`", key, name)


def _env_name(profile: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", profile.upper())


def _merge_environment(env: Mapping[str, str], merged: _Merged, problems: _Problems) -> None:
    prefix = ENV_PREFIX + "_"
    keys_longest_first = sorted(PROFILE_KEYS, key=len, reverse=True)
    cwd = Path.cwd()
    for variable in sorted(env):
        if not variable.startswith(prefix) or variable in (ENV_CONFIG, ENV_CONFIG_DATA):
            continue
        rest = variable[len(prefix) :]
        where = Location(f"environment variable {variable}")
        if rest.lower() in MODULE_KEYS:
            merged.module[rest.lower()] = _Value(env[variable], where, cwd, from_env=True)
            continue
        for key in keys_longest_first:
            suffix = "_" + key.upper()
            if not rest.endswith(suffix) or len(rest) == len(suffix):
                continue
            wanted = rest[: -len(suffix)]
            matches = [name for name in merged.profiles if _env_name(name) == wanted]
            if len(matches) > 1:
                problems.add(where, f"matches several profiles: {', '.join(matches)}", key)
            else:
                name = matches[0] if matches else wanted.lower()
                merged.headers.setdefault(name, where)
                value = _Value(env[variable], where, cwd, from_env=True)
                merged.profiles.setdefault(name, {})[key] = value
            break


# -- values -----------------------------------------------------------------------------------

_BOOLS: Final = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _describe(key: str | None, profile: str | None) -> str:
    if profile is None:
        return f"`{key}` in [{MODULE}]"
    return f"`{key}` in profile `{profile}`"


def _typed(kind: Kind, value: _Value, key: str, profile: str | None, problems: _Problems) -> object:
    """The checked value (None after reporting a problem). Secrets stay unresolved here."""
    raw = value.raw
    from_env = value.from_env
    what = _describe(key, profile)

    def bad(message: str) -> None:
        problems.add(value.location, f"{what} {message}", key, profile)

    if kind in ("secret", "id"):
        if isinstance(raw, str) and raw:
            return raw
        if isinstance(raw, dict) and len(raw) == 1:
            [(source, target)] = raw.items()
            if source in ("env", "file") and isinstance(target, str) and target:
                return raw
        bad('must be a non-empty string, { env = "NAME" } or { file = "PATH" }')
        return None
    if kind == "scopes":
        if from_env:
            raw = [s for s in re.split(r"[\s,]+", str(raw)) if s]
        if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
            bad('must be a list of scope names, e.g. ["tweet.read", "users.read"]')
            return None
        unknown = [s for s in raw if s not in _spec_info.OAUTH2_SCOPES]
        if unknown:
            bad(f"names scopes the API does not define: {', '.join(map(repr, unknown))}")
            return None
        return raw
    if kind == "number":
        if from_env:
            try:
                raw = float(str(raw))
            except ValueError:
                bad(f"must be a number of seconds, not {raw!r}")
                return None
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not raw > 0:
            bad("must be a positive number of seconds")
            return None
        return float(raw)
    if kind == "bool":
        if from_env:
            raw = _BOOLS.get(str(raw).strip().lower(), raw)
        if not isinstance(raw, bool):
            bad("must be true or false")
            return None
        return raw
    if not isinstance(raw, str) or not raw:
        bad("must be a non-empty string")
        return None
    if kind == "flow" and raw not in FLOWS:
        bad(f"must be one of {', '.join(map(repr, FLOWS))}, not {raw!r}")
        return None
    if kind == "url":
        parts = urlsplit(raw)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            bad(f"must be an http(s) URL, not {raw!r}")
            return None
    return raw


def _refuse_readable_literal_secrets(merged: _Merged, problems: _Problems) -> None:
    # A literal secret in a file others can read has leaked already: refuse the file.
    reported: set[int] = set()
    for layer, key, where in merged.literal_secrets:
        opened = layer.opened
        if id(layer) in reported or opened is None or not opened.readable_by_others:
            continue
        reported.add(id(layer))
        problems.add(
            where,
            f"the file holds a literal secret (`{key}`) and group or others can read it "
            f"(mode {opened.mode:04o}); fix: chmod 600 {where.source}, or use "
            '{ env = "NAME" } / { file = "PATH" }, or set allow_insecure_permissions = true',
            key,
        )


def _allow_insecure_http(module: Mapping[str, object], profile: Mapping[str, _Value]) -> bool:
    # The profile's setting wins over the module's.
    value = profile.get("allow_insecure_http")
    return (value.raw if value is not None else module.get("allow_insecure_http")) is True


def _default_endpoint(key: str, flow: str) -> object:
    if key == "base_url":
        return _spec_info.DEFAULT_BASE_URL
    if key == "authorize_url":
        return _spec_info.OAUTH2_AUTHORIZE_URL
    if key == "token_url":
        return _spec_info.OAUTH2_TOKEN_URL if flow == "pkce" else APP_TOKEN_URL
    if key == "revoke_url":
        return _spec_info.OAUTH2_REVOKE_URL
    return False  # allow_insecure_http


def _check_endpoints(
    profile: str, flow: str, merged: _Merged, allow_http: bool, problems: _Problems
) -> None:
    """Refuse endpoint settings that would send credentials where the user did not choose."""
    values = merged.profiles[profile]
    checked: list[tuple[str, str | None, _Value]] = [
        (key, None, value) for key, value in merged.module.items() if key in ROUTING_KEYS
    ]
    checked += [(key, profile, value) for key, value in values.items() if key in ROUTING_KEYS]
    for key, owner, value in checked:
        what = _describe(key, owner)
        if not isinstance(value.raw, str if key in ENDPOINT_KEYS else bool):
            continue  # reported while type-checking
        if key in ENDPOINT_KEYS:
            reason = insecure_http_reason(str(value.raw), allow_insecure_http=allow_http)
            if reason is not None:
                problems.add(value.location, f"{what} {reason}", key, owner)
        layer = value.layer
        if layer is None or layer.opened is None or value.raw == _default_endpoint(key, flow):
            continue
        opened = layer.opened
        if not owned_by_user(opened.uid) or opened.writable_by_others:
            problems.add(
                value.location,
                f"{what} is refused: it decides where credentials go, and the file is owned by "
                f"another user or writable by group or others (mode {opened.mode:04o}); fix: "
                f"chmod go-w {layer.label} (and own it), or set it in an environment variable",
                key,
                owner,
            )
        elif layer.implicit:
            outside = _credentials_outside(layer, values, flow)
            if outside:
                problems.add(
                    value.location,
                    f"{what} is refused: ./{DEFAULT_FILE} is read only because it is in the "
                    f"working directory, and it must not redirect credentials it does not hold "
                    f"({', '.join(outside)}); name the file with --config or {ENV_CONFIG} "
                    "to use it",
                    key,
                    owner,
                )


def _credentials_outside(layer: _Layer, values: Mapping[str, _Value], flow: str) -> list[str]:
    """The profile's credentials that are not literals written in `layer`, described."""
    found: list[str] = []
    for key, value in values.items():
        if PROFILE_KEYS[key] != "secret":
            continue
        if value.layer is not layer:
            found.append(f"`{key}` from {value.location.source}")
        elif isinstance(value.raw, dict):
            found.append(f"`{key}` from {{ {next(iter(value.raw))} = ... }}")
    if flow == "pkce":
        found.append("the token store")
    return found


def _readable_mode(path: Path) -> int | None:
    try:
        return group_or_others_can_read(path)
    except OSError:
        return None


def _choose_profile(
    requested: str | None, merged: _Merged, default: object, problems: _Problems
) -> str | None:
    names = list(merged.profiles)
    if requested is None and isinstance(default, str):
        requested = default
        if requested not in merged.profiles:
            where = merged.module["default_profile"].location
            problems.add(where, f"default_profile names an undefined profile `{requested}`")
            return None
    if requested is None:
        if names:
            return names[0]
        problems.add(
            Location("configuration"),
            f"no auth profile is defined; add a [{MODULE}.profiles.NAME] table "
            f"(sources: a path, {ENV_CONFIG}, {ENV_CONFIG_DATA} or ./{DEFAULT_FILE})",
        )
        return None
    if requested not in merged.profiles:
        known = ", ".join(names) or "none"
        problems.add(
            Location("configuration"),
            f"profile `{requested}` is not defined (profiles: {known})",
            profile=requested,
        )
        return None
    return requested


# -- the selected profile ---------------------------------------------------------------------


def _build_auth(
    name: str,
    merged: _Merged,
    env: Mapping[str, str],
    allow_insecure: bool,
    allow_http: bool,
    problems: _Problems,
) -> httpx.Auth | None:
    values = merged.profiles[name]
    header = merged.headers.get(name, Location("configuration"))
    flow_value = values.get("flow")
    if flow_value is None:
        problems.add(header, f"value not provided for required key `flow` in profile `{name}`")
        return None
    flow = flow_value.raw
    if not isinstance(flow, str) or flow not in FLOWS:
        return None  # already reported by _typed
    required, optional = FLOWS[flow]
    for key in sorted(required - values.keys()):
        problems.add(
            header,
            f"value not provided for required key `{key}` in profile `{name}` (flow `{flow}`)",
            key,
            name,
        )
    for key in sorted(values.keys() - required - optional - COMMON_PROFILE_KEYS):
        message = f"key `{key}` in profile `{name}` is not used by flow `{flow}`"
        problems.add(values[key].location, message, key, name)
    resolve = _Resolver(name, values, env, allow_insecure, problems)
    store = resolve.token_store() if flow == "pkce" else None
    if problems:  # from this profile or anywhere else: build nothing from a broken config
        return None
    if flow == "pkce":
        return OAuth2PKCE(
            resolve.text("client_id"),
            resolve.text("redirect_uri"),
            resolve.scopes(),
            client_secret=resolve.optional_secret("client_secret"),
            token_store=store,
            authorize_url=resolve.optional_text("authorize_url"),
            token_url=resolve.optional_text("token_url"),
            revoke_url=resolve.optional_text("revoke_url"),
            allow_insecure_permissions=allow_insecure,
            allow_insecure_http=allow_http,
        )
    if flow == "app":
        return AppOnly(
            resolve.text("client_id"),
            resolve.secret("client_secret"),
            token_url=resolve.optional_text("token_url"),
            allow_insecure_http=allow_http,
        )
    if flow == "bearer":
        return BearerToken(resolve.secret("bearer_token"))
    return OAuth1(
        resolve.secret("api_key"),
        resolve.secret("api_secret"),
        resolve.secret("access_token"),
        resolve.secret("access_token_secret"),
    )


class _Resolver:
    """Resolves the selected profile's values; secrets come back as `Secret`."""

    def __init__(
        self,
        profile: str,
        values: dict[str, _Value],
        env: Mapping[str, str],
        allow_insecure: bool,
        problems: _Problems,
    ) -> None:
        self._profile = profile
        self._values = values
        self._env = env
        self._allow_insecure = allow_insecure
        self._problems = problems
        # Resolve everything eagerly so one failing key does not hide the others.
        self._resolved: dict[str, object] = {}
        for key, value in values.items():
            kind = PROFILE_KEYS[key]
            if kind in ("secret", "id"):
                resolved = self._indirect(key, value)
                if resolved is not None:
                    self._resolved[key] = Secret(resolved) if kind == "secret" else resolved
            elif value.raw is not None:
                self._resolved[key] = value.raw

    def _fail(self, value: _Value, key: str, message: str) -> None:
        self._problems.add(value.location, f"{_describe(key, self._profile)}: {message}", key)

    def _indirect(self, key: str, value: _Value) -> str | None:
        raw = value.raw
        if isinstance(raw, str):
            return raw
        if (
            not isinstance(raw, dict)
            or len(raw) != 1
            or not all(isinstance(v, str) for v in raw.values())
        ):
            return None  # the wrong shape was reported while type-checking
        if "env" in raw:
            name = str(raw["env"])
            found = self._env.get(name)
            if not found:
                self._fail(value, key, f"environment variable {name} is not set or empty")
                return None
            return found
        if "file" not in raw:
            return None
        path = Path(os.path.expanduser(str(raw["file"])))
        path = path if path.is_absolute() else value.base_dir / path
        try:
            opened = read_small_file(path, MAX_SECRET_BYTES)
        except FileRefused as exc:
            self._fail(value, key, f"refusing {path}: {exc}")
            return None
        except OSError as exc:
            self._fail(value, key, f"cannot read {path}: {exc.strerror}")
            return None
        except UnicodeDecodeError:
            self._fail(value, key, f"the file {path} is not UTF-8 text")
            return None
        text = opened.text.strip()
        secret = PROFILE_KEYS[key] == "secret"
        if secret and opened.readable_by_others and not self._allow_insecure:
            self._fail(
                value,
                key,
                f"the secret file {path} is readable by group or others "
                f"(mode {opened.mode:04o}); fix: chmod 600 {path}, or set "
                "allow_insecure_permissions = true",
            )
            return None
        if not text:
            self._fail(value, key, f"the file {path} is empty")
            return None
        return text

    # Called only when no problem was found, so every required key is resolved.
    def text(self, key: str) -> str:
        return str(self._resolved[key])

    def optional_text(self, key: str) -> str | None:
        return str(self._resolved[key]) if key in self._resolved else None

    def secret(self, key: str) -> Secret:
        value = self._resolved[key]
        return value if isinstance(value, Secret) else Secret(str(value))

    def optional_secret(self, key: str) -> Secret | None:
        return self.secret(key) if key in self._values else None

    def scopes(self) -> list[str]:
        value = self._resolved["scopes"]
        return [str(s) for s in value] if isinstance(value, list) else []

    def token_store(self) -> Path | TokenStore | None:
        value = self._values.get("token_store")
        if value is not None and isinstance(value.raw, str) and is_store_url(value.raw):
            # Key names in a shared store tell accounts apart by profile.
            try:
                return open_token_store(value.raw, name=self._profile)
            except TokenStoreError as exc:
                self._problems.add(value.location, str(exc), "token_store", self._profile)
                return None
        if value is None or not isinstance(value.raw, str):
            state = self._env.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
            path = Path(state) / MODULE / f"{self._profile}.json"
            where = None
        else:
            path = Path(os.path.expanduser(value.raw))
            path = path if path.is_absolute() else value.base_dir / path
            where = value
        mode = _readable_mode(path) if path.exists() else None
        if mode is not None and not self._allow_insecure:
            self._problems.add(
                where.location if where else Location(str(path)),
                f"the token store {path} is readable by group or others (mode {mode:04o}); "
                f"fix: chmod 600 {path}, or set allow_insecure_permissions = true",
                "token_store",
                self._profile,
            )
        return path
