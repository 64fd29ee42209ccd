"""Helpers shared by the auth tests (fixtures live in conftest.py)."""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

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


def save_locked(store: Any, token: Any) -> None:
    """Store `token` the way the package does: holding the store's lock."""
    lock = store.lock()
    lock.acquire()
    try:
        store.save(token)
    finally:
        lock.release()


def write_pkce_config(path: Path, profile: str, token_store: str) -> Path:
    """A private Config.toml with one pkce profile using `token_store`."""
    path.write_text(
        f"[twitter_api.profiles.{profile}]\n"
        'flow = "pkce"\n'
        f'client_id = "{profile}-client"\n'
        'redirect_uri = "http://127.0.0.1:8976/callback"\n'
        'scopes = ["tweet.read", "users.read", "offline.access"]\n'
        f"token_store = {json.dumps(token_store)}\n"
    )
    path.chmod(0o600)
    return path
