"""Secret values and the files that hold them.

`Secret` wraps a credential so that printing, logging or formatting it never shows the value;
code that really needs the value calls `.reveal()`, which makes every use easy to audit.

Permission checks (0600 files, 0700 folders) apply where the OS has POSIX modes. On Windows
`st_mode` only mirrors the read-only attribute (every file looks readable by "others") and
access is governed by ACLs, which already keep a user's profile folder private; there the
checks are skipped rather than refusing every file.
"""

from __future__ import annotations

import hmac
import os
import stat
from pathlib import Path
from typing import Final

from ._exceptions import APIError
from ._names import TABLE

__all__ = [
    "InsecureFileError",
    "Secret",
    "check_private_file",
    "group_or_others_can_read",
    "make_private_dirs",
]

_MASK: Final = "**********"
POSIX_MODES: Final = os.name == "posix"
_PRIVATE_DIR: Final = 0o700


class Secret:
    """A credential whose repr and str are redacted."""

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        self._value = value.reveal() if isinstance(value, Secret) else value

    def reveal(self) -> str:
        """The real value; call it only where the value leaves the process (a header, a form)."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, format_spec: str) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        # Constant time: the comparison must not tell an attacker how much of a token matched.
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


class InsecureFileError(APIError):
    """A file holding a secret is readable by group or others."""

    def __init__(self, path: Path, what: str, mode: int) -> None:
        super().__init__(
            f"refusing to use {path}: it holds {what} and group or others can read it "
            f"(mode {mode:04o}); fix: chmod 600 {path} "
            f"(or set allow_insecure_permissions = true in [{TABLE}] to accept the risk)"
        )
        self.path = path
        self.mode = mode


def group_or_others_can_read(path: Path) -> int | None:
    """The file's permission bits when group or others may read it, else None."""
    if not POSIX_MODES:
        return None
    mode = stat.S_IMODE(os.stat(path).st_mode)
    return mode if mode & (stat.S_IRGRP | stat.S_IROTH) else None


def check_private_file(path: Path, what: str, *, allow_insecure: bool = False) -> None:
    """Raise InsecureFileError when `path` (holding `what`) is readable beyond its owner."""
    if allow_insecure:
        return
    mode = group_or_others_can_read(path)
    if mode is not None:
        raise InsecureFileError(path, what, mode)


def make_private_dirs(directory: Path) -> None:
    """Create `directory` and any missing parents, each one 0700; existing ones stay as they are.

    `Path.mkdir(parents=True)` gives the parents the default mode, which would leave e.g. a new
    `~/.local/state` readable by others.
    """
    missing: list[Path] = []
    for candidate in (directory, *directory.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=_PRIVATE_DIR)
        except FileExistsError:
            continue  # created by someone else meanwhile: theirs, leave it alone
        if POSIX_MODES:
            os.chmod(folder, _PRIVATE_DIR)  # the umask may have removed owner bits
