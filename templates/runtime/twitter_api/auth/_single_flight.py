"""One refresh at a time across threads, event-loop tasks and processes.

A `RefreshLock` is a thread lock shared by every lock on the same key (so two auth objects that
share a token store in one process exclude each other) plus, when a lock file is given, an
exclusive `flock` on it (so processes sharing the store exclude each other; `msvcrt.locking`
on Windows). `flock` belongs to an open file description, which is why the thread lock is
needed in-process as well. The OS locking module is imported only when a lock file is used, so
flows that never touch a token store work where neither module exists.

Async callers never block the event loop: they try both locks without waiting and sleep a few
milliseconds between attempts; a refresh is rare and short, so polling costs nothing that matters.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Final

import anyio

from .._secrets import make_private_dirs
from ._errors import TokenStoreError

__all__ = ["POLL_FIRST", "POLL_MAX", "RefreshLock", "TwoLevelLock"]

POLL_FIRST: Final = 0.002
POLL_MAX: Final = 0.05

_registry_guard = threading.Lock()
_thread_locks: dict[str, threading.Lock] = {}


def _shared_thread_lock(key: str) -> threading.Lock:
    with _registry_guard:
        lock = _thread_locks.get(key)
        if lock is None:
            lock = _thread_locks[key] = threading.Lock()
        return lock


class TwoLevelLock:
    """A thread lock of this process, then an outer lock shared beyond it (`_take_outer`).

    Subclasses take and drop the outer lock; the order (thread lock first, released last) and
    the non-blocking and async forms are the same for all of them.
    """

    def __init__(self, thread_lock: threading.Lock) -> None:
        self._thread_lock = thread_lock

    def _take_outer(self, *, blocking: bool) -> bool:
        raise NotImplementedError

    def _release_outer(self) -> None:
        raise NotImplementedError

    def acquire(self) -> None:
        """Block until this thread holds the lock."""
        self._thread_lock.acquire()
        try:
            self._take_outer(blocking=True)
        except BaseException:
            self._thread_lock.release()
            raise

    def try_acquire(self) -> bool:
        """Take the lock if it is free right now."""
        if not self._thread_lock.acquire(blocking=False):
            return False
        try:
            if self._take_outer(blocking=False):
                return True
        except BaseException:
            self._thread_lock.release()
            raise
        self._thread_lock.release()
        return False

    async def acquire_async(self) -> None:
        """Wait for the lock without blocking the event loop; cancellation leaves it free."""
        delay = POLL_FIRST
        while not self.try_acquire():
            await anyio.sleep(delay)
            delay = min(delay * 2, POLL_MAX)

    def release(self) -> None:
        try:
            self._release_outer()
        finally:
            self._thread_lock.release()


class RefreshLock(TwoLevelLock):
    """Mutual exclusion for refreshing one token; `lock_path` None means in-process only."""

    def __init__(self, lock_path: Path | None) -> None:
        super().__init__(
            _shared_thread_lock(str(lock_path)) if lock_path is not None else threading.Lock()
        )
        self._lock_path = lock_path
        self._fd: int | None = None

    def _release_outer(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # Windows may drop it late on close
            # Closing the descriptor drops the flock; no explicit LOCK_UN needed.
            os.close(fd)

    def _take_outer(self, *, blocking: bool) -> bool:
        if self._lock_path is None:
            return True
        make_private_dirs(self._lock_path.parent)
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOINHERIT", 0)
        fd = os.open(self._lock_path, flags, 0o600)
        try:
            locked = _lock_descriptor(fd, self._lock_path, blocking=blocking)
        except BaseException:
            os.close(fd)
            raise
        if not locked:
            os.close(fd)
            return False
        self._fd = fd
        return True


def _lock_descriptor(fd: int, path: Path, *, blocking: bool) -> bool:
    """Take an exclusive lock on the open file `fd`; False when it is held and not `blocking`."""
    if sys.platform == "win32":
        import msvcrt

        # Locks the first byte; LK_LOCK itself gives up after ten one-second tries, so loop.
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK if not blocking else msvcrt.LK_LOCK, 1)
                return True
            except OSError:
                if not blocking:
                    return False
    try:
        import fcntl
    except ImportError:
        raise TokenStoreError(
            f"cannot lock {path}: this Python has no file locking (neither fcntl nor msvcrt), "
            "so a token store file cannot be shared safely; keep the token in memory instead "
            "(OAuth2PKCE(..., token_store=None))"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
