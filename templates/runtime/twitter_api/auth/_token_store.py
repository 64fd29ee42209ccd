"""A token persisted in a private JSON file, written so that a crash never corrupts it.

Writes go to a temporary file in the same directory, are fsynced, then renamed over the store:
a reader (or a process killed mid-write) sees the old token or the new one, never a mixture.
The file is 0600 and every directory this module creates is 0700. Writers must hold the store's
`RefreshLock` (see `lock()`); readers need no lock because the rename is atomic.
"""

from __future__ import annotations

import glob
import os
import sys
import tempfile
from pathlib import Path
from typing import Final

from .._files import FileRefused, read_small_bytes
from .._secrets import check_private_file, make_private_dirs
from ._errors import TokenStoreError
from ._single_flight import RefreshLock
from ._store import decode_record, encode_record
from ._token import Token

__all__ = ["FileTokenStore"]

# A token record is a few hundred bytes; anything far larger is not a store this module wrote.
MAX_TOKEN_BYTES: Final = 1024 * 1024


class FileTokenStore:
    """The token file at `path` (`~` is expanded): the default store, for one machine."""

    def __init__(
        self, path: str | os.PathLike[str], *, allow_insecure_permissions: bool = False
    ) -> None:
        self.path: Path = Path(path).expanduser()
        self.allow_insecure_permissions = allow_insecure_permissions

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def lock(self) -> RefreshLock:
        """A lock excluding every other writer of this store, in this process or another."""
        return RefreshLock(self.lock_path)

    def load(self) -> Token | None:
        """The stored token, or None when there is none yet."""
        try:
            check_private_file(
                self.path, "OAuth tokens", allow_insecure=self.allow_insecure_permissions
            )
            raw, _ = read_small_bytes(self.path, MAX_TOKEN_BYTES)
        except FileNotFoundError:
            return None
        except FileRefused as exc:
            raise TokenStoreError(f"refusing the token store {self.path}: {exc}") from None
        except OSError as exc:
            raise TokenStoreError(
                f"cannot read the token store {self.path}: {exc.strerror}"
            ) from None
        return decode_record(raw, str(self.path))

    def save(self, token: Token) -> None:
        """Atomically replace the stored token. The caller holds `lock()`."""
        try:
            self._replace(token)
        except OSError as exc:  # a full disk, a folder that became a file, no permission
            raise TokenStoreError(
                f"cannot write the token store {self.path}: {exc.strerror or type(exc).__name__}"
            ) from None

    def _replace(self, token: Token) -> None:
        directory = self.path.parent
        make_private_dirs(directory)
        self._remove_stale_temporaries()
        payload = encode_record(token)
        fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=self._temp_prefix, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as tmp:
                if sys.platform != "win32":  # no POSIX modes there (see _secrets)
                    os.fchmod(tmp.fileno(), 0o600)
                tmp.write(payload)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, self.path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        _fsync_directory(directory)

    def delete(self) -> bool:
        """Remove the stored token; True when there was one. The caller holds `lock()`."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        _fsync_directory(self.path.parent)
        return True

    @property
    def _temp_prefix(self) -> str:
        return f".{self.path.name}."

    def _remove_stale_temporaries(self) -> None:
        # Only a writer killed mid-write leaves these; under the lock no live writer owns one.
        for leftover in self.path.parent.glob(glob.escape(self._temp_prefix) + "*.tmp"):
            leftover.unlink(missing_ok=True)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable, not only the file's contents. Windows cannot open a
    # directory (no O_DIRECTORY); its rename is made durable by the file system's journal.
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
