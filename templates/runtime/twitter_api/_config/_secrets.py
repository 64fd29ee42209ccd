"""Secrets in the configuration: where they may be written, and how references are resolved.

A literal secret in a file that group or others can read is refused (it has leaked already).
For the chosen profile, each reference (a literal, `{ env = "NAME" }`, `{ file = "PATH" }`,
relative to the config file) becomes a `Secret`; secret files must be private, regular and
small, checked on the opened descriptor. The token store's permissions are checked too.
"""

from __future__ import annotations

import os
from pathlib import Path

from .._files import MAX_SECRET_BYTES, FileRefused, read_small_file
from .._secrets import Secret, group_or_others_can_read
from ..auth._errors import TokenStoreError
from ..auth._store import TokenStore, is_store_url, open_token_store
from ._schema import MODULE, PROFILE_KEYS, Location, Problems, describe
from ._sources import Environment, Merged, Value


def refuse_readable_literal_secrets(merged: Merged, problems: Problems) -> None:
    """Report each file holding a literal secret that group or others can read, once."""
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


class Resolver:
    """Resolves the selected profile's values; secrets come back as `Secret`."""

    def __init__(
        self,
        profile: str,
        values: dict[str, Value],
        env: Environment,
        allow_insecure: bool,
        problems: Problems,
    ) -> None:
        self._profile = profile
        self._values = values
        self._env = env
        self._allow_insecure = allow_insecure
        self._problems = problems
        # Resolve everything eagerly so one failing key does not hide the others.
        self._resolved: dict[str, object] = {}
        for key, value in values.items():
            if PROFILE_KEYS[key] in ("secret", "id"):
                # Passed straight on, so no local of this frame keeps a resolved secret.
                self._keep(key, self._indirect(key, value))
            elif value.raw is not None:
                self._resolved[key] = value.raw

    def _keep(self, key: str, resolved: str | None) -> None:
        if resolved is not None:
            self._resolved[key] = Secret(resolved) if PROFILE_KEYS[key] == "secret" else resolved

    def _fail(self, value: Value, key: str, message: str) -> None:
        self._problems.add(value.location, f"{describe(key, self._profile)}: {message}", key)

    def _indirect(self, key: str, value: Value) -> str | None:
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


def _readable_mode(path: Path) -> int | None:
    try:
        return group_or_others_can_read(path)
    except OSError:
        return None
