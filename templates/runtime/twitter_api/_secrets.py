"""Secret values and the files that hold them.

`Secret` wraps a credential so that printing, logging or formatting it never shows the value;
code that really needs the value calls `.reveal()`, which makes every use easy to audit.
"""

from __future__ import annotations

import hmac
import os
import stat
from pathlib import Path
from typing import Final

from ._exceptions import APIError

__all__ = ["InsecureFileError", "Secret", "check_private_file", "group_or_others_can_read"]

_MASK: Final = "**********"


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
            "(or set allow_insecure_permissions = true in [twitter_api] to accept the risk)"
        )
        self.path = path
        self.mode = mode


def group_or_others_can_read(path: Path) -> int | None:
    """The file's permission bits when group or others may read it, else None."""
    mode = stat.S_IMODE(os.stat(path).st_mode)
    return mode if mode & (stat.S_IRGRP | stat.S_IROTH) else None


def check_private_file(path: Path, what: str, *, allow_insecure: bool = False) -> None:
    """Raise InsecureFileError when `path` (holding `what`) is readable beyond its owner."""
    if allow_insecure:
        return
    mode = group_or_others_can_read(path)
    if mode is not None:
        raise InsecureFileError(path, what, mode)
