"""A private redis-server on 127.0.0.1 for the Redis token store tests (Debian's redis-server).

It listens on a free port with a password, keeps no snapshot on its own (`--save ''`), and
writes one only when the tests restart it (SHUTDOWN SAVE), so a restart keeps the data as a
persistent production Redis would. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import subprocess
import time
from pathlib import Path

import redis
from auth_support import free_port
from redis.backoff import NoBackoff
from redis.retry import Retry

WAIT = 10.0


class RedisServer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.password = "redis-pw-" + secrets.token_hex(8)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def down(self) -> bool:
        return self._process is None

    def url(self, query: str = "") -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0" + (f"?{query}" if query else "")

    def client(self) -> redis.Redis:
        # No retries: a test sees the server as it is (and SHUTDOWN is not sent twice).
        return redis.Redis(
            host="127.0.0.1", port=self.port, password=self.password, retry=Retry(NoBackoff(), 0)
        )

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self._process = subprocess.Popen(
            [
                binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.directory),
                "--requirepass", self.password,
            ],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + WAIT
        while True:
            try:
                if self.client().ping():
                    return self
            except redis.ConnectionError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)

    def stop(self, *, save: bool = True) -> None:
        """Shut the server down, writing its data to disk first when `save`."""
        if self._process is None:
            return
        with contextlib.suppress(redis.ConnectionError):  # it hangs up as it exits
            self.client().shutdown(save=save, nosave=not save)
        self._process.wait(WAIT)
        self._process = None

    def restart(self) -> None:
        self.stop()
        self.start()
