"""Tokens in the OS credential store (macOS Keychain, Windows Credential Locker, Secret Service).

Through the `keyring` package (the `keyring` extra). The entry is service `<package name>` (or the
one named after `keyring:`), user name = the profile; its password is the same JSON record the
file store keeps. Refreshes are locked across the processes of this machine with a lock file in
the state directory, which holds no secret.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Final

from .._names import TABLE
from ._errors import TokenStoreError
from ._single_flight import RefreshLock
from ._store import decode_record, encode_record
from ._token import Token

__all__ = ["DEFAULT_SERVICE", "KeyringTokenStore"]

DEFAULT_SERVICE: Final = TABLE


def _require_keyring() -> None:
    try:
        import keyring  # noqa: F401
    except ImportError:
        raise TokenStoreError(
            "token_store = 'keyring:' needs the keyring package: "
            "pip install 'twitter-api[keyring]' (or pip install keyring)"
        ) from None


class KeyringTokenStore:
    """The token of account `name` in the OS credential store, under `service`."""

    def __init__(self, *, name: str = "default", service: str | None = None) -> None:
        _require_keyring()
        self.service: str = service or DEFAULT_SERVICE
        self.name = name
        self.location: str = f"keyring:{self.service}/{name}"

    def __repr__(self) -> str:
        return f"KeyringTokenStore({self.location!r})"

    @property
    def lock_path(self) -> Path:
        state = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
        digest = hashlib.sha256(self.location.encode()).hexdigest()[:16]
        return Path(state) / TABLE / f"keyring-{digest}.lock"

    def lock(self) -> RefreshLock:
        return RefreshLock(self.lock_path)

    def load(self) -> Token | None:
        import keyring.errors

        try:
            record = keyring.get_password(self.service, self.name)
        except keyring.errors.KeyringError as exc:
            raise self._failed("read", exc) from None
        return None if record is None else decode_record(record.encode(), self.location)

    def save(self, token: Token) -> None:
        import keyring.errors

        try:
            keyring.set_password(self.service, self.name, encode_record(token).decode())
        except keyring.errors.KeyringError as exc:
            raise self._failed("write", exc) from None

    def delete(self) -> bool:
        import keyring.errors

        try:
            keyring.delete_password(self.service, self.name)
        except keyring.errors.PasswordDeleteError:
            return False
        except keyring.errors.KeyringError as exc:
            raise self._failed("delete", exc) from None
        return True

    def _failed(self, action: str, exc: Exception) -> TokenStoreError:
        return TokenStoreError(
            f"cannot {action} the token in the OS credential store ({self.location}): "
            f"{type(exc).__name__}"
        )
