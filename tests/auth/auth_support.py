"""Helpers shared by the auth tests (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
USER_SCOPES = ["tweet.read", "users.read", "offline.access"]


def subprocess_env() -> dict[str, str]:
    """The environment for helper processes: they must import the same `twitter_api`."""
    import twitter_api

    package_root = str(Path(twitter_api.__file__).resolve().parent.parent)
    paths = [package_root, str(HERE), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
