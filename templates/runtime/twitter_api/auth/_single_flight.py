"""One refresh at a time across threads, event-loop tasks and processes.

A `RefreshLock` is a thread lock shared by every lock on the same key (so two auth objects that
share a token store in one process exclude each other) plus, when a lock file is given, an
exclusive `flock` on it (so processes sharing the store exclude each other). `flock` belongs to
an open file description, which is why the thread lock is needed in-process as well.

Async callers never block the event loop: they try both locks without waiting and sleep a few
milliseconds between attempts; a refresh is rare and short, so polling costs nothing that matters.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from typing import Final

import anyio

__all__ = ["RefreshLock"]

_POLL_FIRST: Final = 0.002
_POLL_MAX: Final = 0.05

_registry_guard = threading.Lock()
_thread_locks: dict[str, threading.Lock] = {}


def _shared_thread_lock(key: str) -> threading.Lock:
    with _registry_guard:
        lock = _thread_locks.get(key)
        if lock is None:
            lock = _thread_locks[key] = threading.Lock()
        return lock


class RefreshLock:
    """Mutual exclusion for refreshing one token; `lock_path` None means in-process only."""

    def __init__(self, lock_path: Path | None) -> None:
        self._lock_path = lock_path
        self._thread_lock = (
            _shared_thread_lock(str(lock_path)) if lock_path is not None else threading.Lock()
        )
        self._fd: int | None = None

    def acquire(self) -> None:
        """Block until this thread holds the lock."""
        self._thread_lock.acquire()
        try:
            self._lock_file(blocking=True)
        except BaseException:
            self._thread_lock.release()
            raise

    def try_acquire(self) -> bool:
        """Take the lock if it is free right now."""
        if not self._thread_lock.acquire(blocking=False):
            return False
        try:
            if self._lock_file(blocking=False):
                return True
        except BaseException:
            self._thread_lock.release()
            raise
        self._thread_lock.release()
        return False

    async def acquire_async(self) -> None:
        """Wait for the lock without blocking the event loop; cancellation leaves it free."""
        delay = _POLL_FIRST
        while not self.try_acquire():
            await anyio.sleep(delay)
            delay = min(delay * 2, _POLL_MAX)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        try:
            if fd is not None:
                # Closing the descriptor drops the flock; no explicit LOCK_UN needed.
                os.close(fd)
        finally:
            self._thread_lock.release()

    def _lock_file(self, *, blocking: bool) -> bool:
        if self._lock_path is None:
            return True
        self._lock_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True
