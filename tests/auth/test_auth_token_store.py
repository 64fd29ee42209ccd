"""The token store: private files, atomic replacement, and survival of SIGKILL mid-write."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import stat
import subprocess
import threading
from pathlib import Path

import httpx
import pytest
from auth_fake_x import FakeX
from auth_support import HERE, PYTHON, USER_SCOPES, save_locked, subprocess_env
from twitter_api._secrets import InsecureFileError, Secret
from twitter_api.auth import (
    FileTokenStore,
    NotLoggedInError,
    OAuth2PKCE,
    Token,
    TokenStore,
    TokenStoreError,
)
from twitter_api.auth._store import open_token_store
from twitter_api.auth._token_store import MAX_TOKEN_BYTES

WRITER = str(HERE / "auth_worker_store_writer.py")


def sample(i: int = 1) -> Token:
    return Token(
        access_token=Secret(f"access-{i}"),
        refresh_token=Secret(f"refresh-{i}"),
        expires_at=1700000000.5,
        scope=frozenset({"users.read", "tweet.read"}),
    )


def test_round_trip_with_private_modes(store_path: Path) -> None:
    store = FileTokenStore(store_path)
    assert store.load() is None
    save_locked(store, sample())
    assert stat.S_IMODE(store_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store_path.parent.stat().st_mode) == 0o700
    assert json.loads(store_path.read_text()) == {
        "version": 1,
        "token_type": "bearer",
        "access_token": "access-1",
        "refresh_token": "refresh-1",
        "expires_at": 1700000000.5,
        "scope": "tweet.read users.read",
    }
    assert store.load() == sample()
    # Only the store and its lock file: no temporary left behind.
    assert sorted(p.name for p in store_path.parent.iterdir()) == ["bot.json", "bot.json.lock"]


def test_private_even_under_a_permissive_umask(store_path: Path) -> None:
    old = os.umask(0)
    try:
        save_locked(FileTokenStore(store_path), sample())
    finally:
        os.umask(old)
    assert stat.S_IMODE(store_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store_path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(Path(str(store_path) + ".lock").stat().st_mode) == 0o600


def test_a_store_others_can_read_is_refused(store_path: Path) -> None:
    save_locked(FileTokenStore(store_path), sample())
    store_path.chmod(0o644)
    with pytest.raises(InsecureFileError) as caught:
        FileTokenStore(store_path).load()
    assert str(store_path) in str(caught.value)
    assert f"chmod 600 {store_path}" in str(caught.value)
    assert "access-1" not in str(caught.value)
    # The documented opt-out.
    assert FileTokenStore(store_path, allow_insecure_permissions=True).load() == sample()


def test_a_corrupt_store_is_reported_without_its_content(store_path: Path) -> None:
    store_path.parent.mkdir(parents=True)
    store_path.write_text('{"version": 1, "access_token": "secret-looking-value", "scope": 5}')
    store_path.chmod(0o600)
    with pytest.raises(TokenStoreError) as caught:
        FileTokenStore(store_path).load()
    assert "scope is not a string" in str(caught.value)
    assert "secret-looking-value" not in str(caught.value)
    store_path.write_text("{not json")
    with pytest.raises(TokenStoreError, match="invalid JSON"):
        FileTokenStore(store_path).load()


LOAD = """
import sys
from twitter_api.auth import FileTokenStore, TokenStoreError
try:
    FileTokenStore(sys.argv[1]).load()
except TokenStoreError as exc:
    print(exc)
"""


def test_a_fifo_at_the_store_path_is_refused_not_waited_on(store_path: Path) -> None:
    store_path.parent.mkdir(parents=True)
    os.mkfifo(store_path, 0o600)
    # In a process of its own: a read that blocks on the FIFO is then killed, not the tests.
    # The timeout only detects a hang; no writer ever opens the FIFO.
    done = subprocess.run(
        [PYTHON, "-c", LOAD, str(store_path)],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
        check=True,
    )
    assert done.stdout == f"refusing the token store {store_path}: it is not a regular file\n"


def test_an_oversized_store_is_refused_unread(store_path: Path) -> None:
    store_path.parent.mkdir(parents=True)
    store_path.write_bytes(b" " * (MAX_TOKEN_BYTES + 1))
    store_path.chmod(0o600)
    with pytest.raises(TokenStoreError) as caught:
        FileTokenStore(store_path).load()
    assert str(caught.value) == (
        f"refusing the token store {store_path}: it is larger than {MAX_TOKEN_BYTES} bytes"
    )


def test_a_store_that_cannot_be_written_is_a_store_error(store_path: Path) -> None:
    # Not a bare OSError: callers catch the package's errors (a full disk, a folder in the way).
    (store_path / "in-the-way").mkdir(parents=True)
    with pytest.raises(TokenStoreError, match=f"cannot write the token store {store_path}: "):
        save_locked(FileTokenStore(store_path), sample())
    assert sorted(p.name for p in store_path.parent.iterdir()) == ["bot.json", "bot.json.lock"]


@pytest.mark.parametrize("url", ["unix:///run/redis.sock", "s3://bucket/token.json"])
def test_a_store_url_of_another_scheme_is_refused_not_taken_for_a_file_name(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TokenStoreError, match=r"URL scheme .* is not supported"):
        open_token_store(url)
    assert list(tmp_path.iterdir()) == []


def _start_writer(store_path: Path, mode: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [PYTHON, WRITER, str(store_path), mode],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    return process


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL


@pytest.mark.parametrize("mode", ["before-fsync", "before-rename"])
def test_sigkill_inside_a_write_keeps_the_old_token(store_path: Path, mode: str) -> None:
    process = _start_writer(store_path, mode)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "paused"  # token 1 is half-way to disk
    leftovers = list(store_path.parent.glob(".bot.json.*.tmp"))
    assert len(leftovers) == 1 and leftovers[0].stat().st_size > 0
    _kill(process)

    token = FileTokenStore(store_path).load()
    assert token is not None
    assert token.refresh_token == Secret("refresh-0")
    # The dead writer's lock is gone with it, and the next write clears its temporary file.
    save_locked(FileTokenStore(store_path), sample(7))
    assert FileTokenStore(store_path).load() == sample(7)
    assert list(store_path.parent.glob(".bot.json.*.tmp")) == []


def test_sigkill_at_random_moments_never_leaves_a_broken_store(store_path: Path) -> None:
    rng = random.Random(5849)
    for _ in range(8):
        process = _start_writer(store_path, "loop")
        # Let it write for a while; the kill lands wherever the writer happens to be.
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=rng.uniform(0.0, 0.05))
        _kill(process)
        token = FileTokenStore(store_path).load()
        assert token is not None
        access = token.access_token.reveal()
        index = access.split("-")[1]
        assert access == f"access-{index}-" + "p" * (256 * 1024)
        assert token.refresh_token == Secret(f"refresh-{index}")
    assert stat.S_IMODE(store_path.stat().st_mode) == 0o600


class DictStore:
    """A store of one's own: the TokenStore protocol over a dict, for one process."""

    location = "dict-store"

    def __init__(self) -> None:
        self.record: dict[str, object] | None = None
        self._lock = threading.Lock()
        self.writes = 0

    def lock(self) -> DictStore:
        return self

    def acquire(self) -> None:
        self._lock.acquire()

    def try_acquire(self) -> bool:
        return self._lock.acquire(blocking=False)

    async def acquire_async(self) -> None:
        while not self.try_acquire():
            await asyncio.sleep(0.001)

    def release(self) -> None:
        self._lock.release()

    def load(self) -> Token | None:
        return Token.from_json(self.record) if self.record else None

    def save(self, token: Token) -> None:
        assert self._lock.locked()
        self.record, self.writes = token.to_json(), self.writes + 1

    def delete(self) -> bool:
        existed, self.record = self.record is not None, None
        return existed


def test_a_store_of_ones_own_holds_the_refreshed_token(fake: FakeX) -> None:
    store = DictStore()
    assert isinstance(store, TokenStore)
    access, refresh = fake.issue(" ".join(USER_SCOPES), expires_in=-10)
    store.record = Token(Secret(access), Secret(refresh or ""), expires_at=1.0).to_json()
    auth = OAuth2PKCE(
        fake.client_id, fake.redirect_uri, USER_SCOPES, token_store=store, token_url=fake.token_url
    )
    assert auth.token_store is store
    with httpx.Client(auth=auth) as client:
        assert client.get(fake.url + "/2/users/me").status_code == 200
    assert fake.outcomes("token") == ["refresh_token:ok"]
    assert (store.writes, store.load()) == (1, auth.token)
    with pytest.raises(NotLoggedInError, match="in dict-store"):
        store.delete()
        with httpx.Client(auth=auth) as client:
            fake.revoke_access_tokens()
            client.get(fake.url + "/2/users/me")
