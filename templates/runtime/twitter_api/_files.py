"""Reading small files safely: config files, the secret files they name, the token store.

The file is opened first and everything is checked on the open descriptor, so a file swapped
between the check and the read cannot slip through. Opening never blocks (a FIFO or a device
is refused, not waited on). Symlinks are followed on purpose: config and secret files are
often links into a dotfiles folder or /run/secrets, and the checks apply to the file reached.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from . import _secrets

__all__ = [
    "MAX_CONFIG_BYTES",
    "MAX_SECRET_BYTES",
    "FileRefused",
    "OpenedFile",
    "owned_by_user",
    "read_small_bytes",
    "read_small_file",
]


def _flag(*names: str) -> int:
    flags = 0
    for name in names:
        flags |= getattr(os, name, 0)
    return flags


MAX_CONFIG_BYTES: Final = 1024 * 1024
MAX_SECRET_BYTES: Final = 64 * 1024
# POSIX and Windows name their flags differently; each is added where the OS has it.
# O_BINARY matters on Windows: text mode would rewrite line ends and stop at a Ctrl-Z byte.
_FLAGS: Final = os.O_RDONLY | _flag(
    "O_NONBLOCK", "O_NOCTTY", "O_CLOEXEC", "O_NOINHERIT", "O_BINARY"
)


class FileRefused(Exception):
    """The path is not a regular file of acceptable size; the message says why."""


@dataclass(frozen=True, slots=True)
class OpenedFile:
    # The text may hold literal secrets: kept out of the repr (tracebacks show locals).
    text: str = field(repr=False)
    mode: int  # permission bits
    uid: int  # owner

    # Where the OS has no POSIX modes the bits mean nothing (see _secrets): never "others".
    @property
    def readable_by_others(self) -> bool:
        return _secrets.POSIX_MODES and bool(self.mode & (stat.S_IRGRP | stat.S_IROTH))

    @property
    def writable_by_others(self) -> bool:
        return _secrets.POSIX_MODES and bool(self.mode & (stat.S_IWGRP | stat.S_IWOTH))


def read_small_bytes(path: Path, limit: int) -> tuple[bytes, os.stat_result]:
    """The bytes of a regular file of at most `limit` bytes, with the opened file's status.

    Raises OSError when it cannot be opened, FileRefused when it is not a regular file or
    too large.
    """
    fd = os.open(path, _FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused("it is not a regular file")
        data = bytearray()
        while len(data) <= limit:  # one byte past the limit is enough to refuse
            chunk = os.read(fd, limit + 1 - len(data))
            if not chunk:
                break
            data += chunk
        if len(data) > limit:
            raise FileRefused(f"it is larger than {limit} bytes")
    finally:
        os.close(fd)
    return bytes(data), info


def read_small_file(path: Path, limit: int) -> OpenedFile:
    """The UTF-8 text of a regular file of at most `limit` bytes, with its mode and owner.

    Raises OSError when it cannot be opened, FileRefused when it is not a regular file or
    too large, UnicodeDecodeError when it is not UTF-8.
    """
    data, info = read_small_bytes(path, limit)
    return OpenedFile(data.decode("utf-8"), stat.S_IMODE(info.st_mode), info.st_uid)


def owned_by_user(uid: int) -> bool:
    """True when `uid` is the current user (always on systems without POSIX owners)."""
    getuid = getattr(os, "getuid", None)
    return getuid is None or uid == getuid()
