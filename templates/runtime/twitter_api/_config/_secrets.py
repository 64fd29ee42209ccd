"""Secrets in the configuration: where they may be written, and how references are resolved.

A literal secret in a file that group or others can read is refused (it has leaked already).
For the chosen profile, each reference (a literal, `{ env = "NAME" }`, `{ file = "PATH" }`,
relative to the config file, `{ keyring = "SERVICE/NAME" }` from the OS credential store, or
`{ command = [...] }`, a credential helper's output) becomes a `Secret`; secret files must be
private, regular and small, checked on the opened descriptor. The token store's permissions
are checked too.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from .._files import MAX_SECRET_BYTES, FileRefused, owned_by_user, read_small_file
from .._secrets import Secret, group_or_others_can_read
from ..auth._errors import TokenStoreError
from ..auth._store import TokenStore, names_a_url, open_token_store
from ._schema import (
    DEFAULT_FILE,
    ENV_CONFIG,
    ENV_CONFIG_DATA,
    MODULE,
    PROFILE_KEYS,
    Location,
    Problems,
    describe,
)
from ._sources import Environment, Merged, Value

# A credential helper that takes longer than this is stuck (waiting for input it cannot get).
COMMAND_TIMEOUT = 30.0


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
        if not isinstance(raw, dict) or len(raw) != 1:
            return None  # the wrong shape was reported while type-checking
        argv = raw.get("command")
        if isinstance(argv, list):
            if not argv or not all(isinstance(part, str) and part for part in argv):
                return None  # reported while type-checking
            return self._from_command(key, value, [str(part) for part in argv])
        if not all(isinstance(v, str) for v in raw.values()):
            return None
        if "keyring" in raw:
            return self._from_keyring(key, value, str(raw["keyring"]))
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

    def _from_keyring(self, key: str, value: Value, where: str) -> str | None:
        service, slash, name = where.partition("/")
        if not (service and slash and name):
            self._fail(value, key, f'keyring = "{where}" must be "SERVICE/NAME"')
            return None
        try:
            import keyring
            import keyring.errors
        except ImportError:
            self._fail(value, key, f"needs the keyring extra: pip install '{MODULE}[keyring]'")
            return None
        try:
            found = keyring.get_password(service, name)
        except keyring.errors.KeyringError as exc:
            self._fail(value, key, f"the OS keyring failed ({type(exc).__name__})")
            return None
        if not found:
            self._fail(value, key, f"no secret in the OS keyring under {service}/{name}")
            return None
        return str(found)

    def _from_command(self, key: str, value: Value, argv: list[str]) -> str | None:
        # A command runs a program: it is taken only from a file the user named (a Config.toml
        # in a cloned repository must not run anything) and owns, that no one else can change
        # (never from the environment, which holds only strings).
        if value.layer is not None and value.layer.implicit:
            self._fail(
                value,
                key,
                f"{{ command = ... }} is refused: ./{DEFAULT_FILE} is read only because it is "
                f"in the working directory; name the file with --config, {ENV_CONFIG} or "
                "Client.from_config(path) to run its command",
            )
            return None
        opened = value.layer.opened if value.layer is not None else None
        if opened is None:
            self._fail(
                value,
                key,
                f"{{ command = ... }} is refused: it runs a program, so it is taken only from a "
                f"Config.toml file you own, not from {ENV_CONFIG_DATA}",
            )
            return None
        if not owned_by_user(opened.uid) or opened.writable_by_others:
            self._fail(
                value,
                key,
                f"{{ command = ... }} is refused: the file is owned by another user or writable "
                f"by group or others (mode {opened.mode:04o})",
            )
            return None
        program = os.path.basename(argv[0])
        try:
            # No shell, no input, a timeout; stderr is never shown (it may echo the secret).
            done = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=COMMAND_TIMEOUT,
                check=False,
                cwd=value.base_dir,
            )
        except FileNotFoundError:
            self._fail(value, key, f"command {program!r} not found")
            return None
        except subprocess.TimeoutExpired:
            self._fail(value, key, f"command {program!r} did not finish in {COMMAND_TIMEOUT:g} s")
            return None
        except OSError as exc:
            self._fail(value, key, f"command {program!r} cannot run: {exc.strerror}")
            return None
        if done.returncode != 0:
            self._fail(value, key, f"command {program!r} exited with status {done.returncode}")
            return None
        try:
            text = done.stdout.decode("utf-8").strip()
        except UnicodeDecodeError:
            self._fail(value, key, f"command {program!r} printed something that is not UTF-8")
            return None
        if not text:
            self._fail(value, key, f"command {program!r} printed nothing")
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
        if value is not None and isinstance(value.raw, str) and names_a_url(value.raw):
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
