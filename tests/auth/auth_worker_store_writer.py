"""A process that writes tokens to a store, to be killed with SIGKILL by the test.

argv: store_path mode, where mode is
  loop            write token 0, 1, 2, ... forever (each about 256 KB, so writes take a while)
  before-fsync    write token 0, then stop inside the write of token 1 before its fsync
  before-rename   write token 0, then stop inside the write of token 1 before its rename
Prints "ready" once token 0 is stored, and "paused" when it stops mid-write.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from twitter_api._secrets import Secret
from twitter_api.auth import FileTokenStore, Token

PADDING = "p" * (256 * 1024)


def token(i: int) -> Token:
    return Token(
        access_token=Secret(f"access-{i}-{PADDING}"),
        refresh_token=Secret(f"refresh-{i}"),
        expires_at=1e9 + i,
        scope=frozenset({"tweet.read"}),
    )


def pause(*_: Any) -> None:
    print("paused", flush=True)
    while True:
        time.sleep(60)


def main() -> None:
    store = FileTokenStore(sys.argv[1])
    mode = sys.argv[2]
    lock = store.lock()
    lock.acquire()
    store.save(token(0))
    print("ready", flush=True)
    if mode == "before-fsync":
        os.fsync = pause  # type: ignore[assignment]
    elif mode == "before-rename":
        os.replace = pause  # type: ignore[assignment]
    i = 1
    while True:
        store.save(token(i))
        i += 1


if __name__ == "__main__":
    main()
