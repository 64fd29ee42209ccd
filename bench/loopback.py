"""Start and stop the loopback server process (bench/server.py)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent


@contextmanager
def running_server(*args: str) -> Iterator[str]:
    """Yield the server's base URL; stop the process (and only it) on exit."""
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "server.py"), *args],
        cwd=HERE,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "PORT":
            raise RuntimeError(f"loopback server did not start: {line!r}")
        yield f"http://127.0.0.1:{line[1]}"
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
