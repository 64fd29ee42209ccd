"""The sources of a configuration, read and merged by precedence, each value with its origin.

TOML layers (named files, or `<PACKAGE>_CONFIG`; the inline `<PACKAGE>_CONFIG_DATA`; or
the implicit `./Config.toml`) are merged lowest precedence first, then the per-key environment
variables on top. Every value keeps where it was set, for messages and for the trust checks.
Files are read through `_files.read_small_file`, which checks the opened descriptor.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .._files import MAX_CONFIG_BYTES, FileRefused, OpenedFile, read_small_file
from .._toml_positions import KeyPath, Position, key_positions, split_error_position
from ..auth._store import is_store_url
from ._schema import (
    DEFAULT_FILE,
    ENV_CONFIG,
    ENV_CONFIG_DATA,
    ENV_PREFIX,
    MODULE,
    MODULE_KEYS,
    PROFILE_KEYS,
    Location,
    Problems,
    did_you_mean,
)

PathArg = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None


class Environment(Mapping[str, str]):
    """Environment variables, read-only, with a repr that shows no value.

    Variables may hold secrets, and tracebacks printed with their locals (Sentry, rich) show
    every frame's arguments: the loader's frames hold this view, never `os.environ` itself.
    """

    __slots__ = ("_variables",)

    def __init__(self, variables: Mapping[str, str]) -> None:
        self._variables = variables

    def __getitem__(self, name: str) -> str:
        return self._variables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._variables)

    def __len__(self) -> int:
        return len(self._variables)

    def __repr__(self) -> str:
        return f"<Environment: {len(self._variables)} variables, values hidden>"


@dataclass(slots=True)
class Value:
    raw: object = field(repr=False)  # may be a literal secret: never in a repr or a traceback
    location: Location
    base_dir: Path  # relative paths in the value resolve against this
    file: Path | None = None  # the config file that holds it, if any
    from_env: bool = False  # a string from an environment variable, to be converted
    layer: Layer | None = None  # the TOML source that set it (None: an environment variable)


@dataclass(slots=True)
class Merged:
    module: dict[str, Value] = field(default_factory=dict)
    profiles: dict[str, dict[str, Value]] = field(default_factory=dict)
    headers: dict[str, Location] = field(default_factory=dict)  # where each profile is declared
    # (layer, key, location) of every literal secret in a file, overridden or not
    literal_secrets: list[tuple[Layer, str, Location]] = field(default_factory=list)


@dataclass(slots=True)
class Layer:
    label: str
    data: dict[str, Any] = field(repr=False)  # the parsed TOML, literal secrets included
    positions: dict[KeyPath, Position]  # where each table and key starts in the text
    base_dir: Path
    file: Path | None
    opened: OpenedFile | None = None  # the file's owner and mode, as read
    implicit: bool = False  # ./Config.toml, read because no source was named


def merge_sources(path: PathArg, env: Environment, problems: Problems) -> Merged:
    """Every source merged key by key; a higher source wins."""
    merged = Merged()
    for layer in reversed(_toml_layers(path, env, problems)):  # lowest precedence first
        _merge_layer(layer, merged, problems)
    _merge_environment(env, merged, problems)
    return merged


def _toml_layers(path: PathArg, env: Environment, problems: Problems) -> list[Layer]:
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
    layers: list[Layer] = []
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
    label: str, text: str, base_dir: Path, file: Path | None, problems: Problems
) -> Layer | None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message, position = split_error_position(str(exc))
        location = Location(label, *position) if position else Location(label)
        problems.add(location, f"malformed TOML: {message}")
        return None
    return Layer(label, data, key_positions(text), base_dir, file)


def _location(layer: Layer, key_path: KeyPath) -> Location:
    # A key inside an inline table has no own position: use the nearest enclosing one.
    for end in range(len(key_path), 0, -1):
        position = layer.positions.get(key_path[:end])
        if position is not None:
            return Location(layer.label, *position)
    return Location(layer.label)


def _merge_layer(layer: Layer, merged: Merged, problems: Problems) -> None:
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
            merged.module[key] = Value(raw, where, layer.base_dir, layer.file, layer=layer)
        else:
            hint = did_you_mean(key, [*MODULE_KEYS, "profiles"])
            problems.add(where, f"unknown key `{key}` in [{MODULE}]{hint}", key)


def _merge_profile(
    layer: Layer, name: str, body: object, merged: Merged, problems: Problems
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
            values[key] = Value(raw, where, layer.base_dir, layer.file, layer=layer)
            if layer.file is not None and _holds_literal_secret(key, raw):
                merged.literal_secrets.append((layer, key, where))
        else:
            hint = did_you_mean(key, PROFILE_KEYS)
            problems.add(where, f"unknown key `{key}` in profile `{name}`{hint}", key, name)


def _env_name(profile: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", profile.upper())


def _merge_environment(env: Environment, merged: Merged, problems: Problems) -> None:
    prefix = ENV_PREFIX + "_"
    keys_longest_first = sorted(PROFILE_KEYS, key=len, reverse=True)
    cwd = Path.cwd()
    for variable in sorted(env):
        if not variable.startswith(prefix) or variable in (ENV_CONFIG, ENV_CONFIG_DATA):
            continue
        rest = variable[len(prefix) :]
        where = Location(f"environment variable {variable}")
        if rest.lower() in MODULE_KEYS:
            merged.module[rest.lower()] = Value(env[variable], where, cwd, from_env=True)
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
                value = Value(env[variable], where, cwd, from_env=True)
                merged.profiles.setdefault(name, {})[key] = value
            break


def _holds_literal_secret(key: str, raw: object) -> bool:
    """A secret written as a plain string, or a store URL with a password in it."""
    if not isinstance(raw, str):
        return False
    if PROFILE_KEYS[key] == "secret":
        return True
    if key == "token_store" and is_store_url(raw):
        try:
            return urlsplit(raw).password is not None
        except ValueError:
            return False  # reported as a bad URL when the store is opened
    return False
