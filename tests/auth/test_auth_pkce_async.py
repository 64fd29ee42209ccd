"""OAuth2PKCE from async code: acomplete(), alogin() and arevoke() against the loopback fake X.

The event loop must stay free while the user authorizes: a ticker task counts its turns, and
the "browser" approves only after the ticker has run, so a login that blocked the loop would
never receive its callback (and time out) instead of passing.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import anyio
import httpx
import pytest
from auth_fake_x import FakeX, approve_in_place_of_a_browser
from auth_support import USER_SCOPES, free_port
from twitter_api.auth import LoginTimeoutError, OAuth2PKCE, StateMismatchError, Token
from twitter_api.auth._store import StoreLock, open_token_store

TICKS_BEFORE_APPROVING = 5


def make_auth(fake: FakeX, store: Path | None) -> OAuth2PKCE:
    return OAuth2PKCE(
        fake.client_id,
        fake.redirect_uri,
        USER_SCOPES,
        client_secret=fake.client_secret,
        token_store=store,
        authorize_url=fake.authorize_url,
        token_url=fake.token_url,
        revoke_url=fake.revoke_url,
    )


def loopback_fake() -> FakeX:
    return FakeX(redirect_uri=f"http://127.0.0.1:{free_port()}/callback").start()


def stored(store: Path) -> dict[str, object]:
    data = json.loads(store.read_text())
    assert isinstance(data, dict)
    return data


def test_acomplete_exchanges_the_code_and_persists(fake: FakeX, store_path: Path) -> None:
    auth = make_auth(fake, store_path)
    callback = approve_in_place_of_a_browser(auth.authorization_url())
    token = asyncio.run(auth.acomplete(callback))
    assert isinstance(token, Token)
    assert stored(store_path)["access_token"] == token.access_token.reveal()
    assert fake.outcomes("token") == ["authorization_code:S256:ok"]
    with pytest.raises(StateMismatchError):  # the state was used up
        asyncio.run(auth.acomplete(callback))


def test_arevoke_revokes_both_tokens_and_clears_the_store(fake: FakeX, store_path: Path) -> None:
    auth = make_auth(fake, store_path)
    auth.complete(approve_in_place_of_a_browser(auth.authorization_url()))
    data = stored(store_path)
    assert asyncio.run(auth.arevoke()) is True
    assert fake.outcomes("revoke") == ["revoke:refresh_token", "revoke:access_token"]
    assert fake.is_revoked(str(data["access_token"]))
    assert fake.is_revoked(str(data["refresh_token"]))
    assert not store_path.exists()
    assert auth.token is None
    assert asyncio.run(auth.arevoke()) is False


def _browser_after_ticks(ticked: threading.Event) -> Callable[[str], None]:
    """An `open_url` whose user approves once the event loop has shown it is still running."""

    def open_url(url: str) -> None:
        def run() -> None:
            if ticked.wait(30):
                httpx.get(approve_in_place_of_a_browser(url))

        threading.Thread(target=run, daemon=True).start()

    return open_url


def test_alogin_keeps_the_event_loop_running(tmp_path: Path) -> None:
    fake = loopback_fake()
    try:
        store = tmp_path / "store.json"
        auth = make_auth(fake, store)
        ticked = threading.Event()
        ticks: list[int] = []

        async def ticker() -> None:
            while True:
                ticks.append(len(ticks))
                if len(ticks) >= TICKS_BEFORE_APPROVING:
                    ticked.set()
                await anyio.sleep(0.01)

        async def main() -> tuple[Token, int]:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(ticker)
                token = await auth.alogin(
                    open_browser=False, timeout=30, open_url=_browser_after_ticks(ticked)
                )
                tasks.cancel_scope.cancel()
            return token, len(ticks)

        token, count = asyncio.run(main())
        assert count >= TICKS_BEFORE_APPROVING
        assert stored(store)["access_token"] == token.access_token.reveal()
        assert fake.outcomes("token") == ["authorization_code:S256:ok"]
    finally:
        fake.stop()


def test_alogin_times_out_and_frees_the_port(capsys: pytest.CaptureFixture[str]) -> None:
    fake = loopback_fake()
    try:
        auth = make_auth(fake, None)
        with pytest.raises(LoginTimeoutError, match=r"within 0\.2 s"):
            asyncio.run(auth.alogin(open_browser=False, timeout=0.2))
        assert "Open this URL" in capsys.readouterr().err
        assert auth._pending == {}
        _assert_port_free(fake.redirect_uri)
    finally:
        fake.stop()


def test_cancelling_alogin_frees_the_port() -> None:
    fake = loopback_fake()
    try:
        auth = make_auth(fake, None)
        shown = threading.Event()

        async def main() -> None:
            with anyio.move_on_after(30) as scope:
                async with anyio.create_task_group() as tasks:
                    tasks.start_soon(
                        lambda: auth.alogin(open_browser=False, open_url=lambda _: shown.set())
                    )
                    while not shown.is_set():
                        await anyio.sleep(0.01)
                    tasks.cancel_scope.cancel()
            assert not scope.cancelled_caught  # cancelled by us, not by the safety timeout

        asyncio.run(main())
        assert shown.is_set()
        _assert_port_free(fake.redirect_uri)
        assert fake.outcomes("token") == []
    finally:
        fake.stop()


def _assert_port_free(redirect_uri: str) -> None:
    port = httpx.URL(redirect_uri).port
    assert port is not None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # raises if the login still listens


class StoreThatNeedsTheLoop:
    """A file token store whose every call first waits for the event loop to take two more
    turns: called on the loop itself, it waits for turns that cannot come, and says so."""

    def __init__(self, path: Path, turns: list[int]) -> None:
        self._inner = open_token_store(path)
        self._turns = turns
        self.calls: list[str] = []
        self.on_the_loop: list[str] = []

    @property
    def location(self) -> str:
        return self._inner.location

    def lock(self) -> StoreLock:
        return self._inner.lock()

    def _wait_for_the_loop(self, call: str) -> None:
        self.calls.append(call)
        start = self._turns[0]
        for _ in range(2000):  # at most ~4 s: the loop turns every millisecond when free
            if self._turns[0] >= start + 2:
                return
            time.sleep(0.002)
        self.on_the_loop.append(call)

    def load(self) -> Token | None:
        self._wait_for_the_loop("load")
        return self._inner.load()

    def save(self, token: Token) -> None:
        self._wait_for_the_loop("save")
        self._inner.save(token)

    def delete(self) -> bool:
        self._wait_for_the_loop("delete")
        return self._inner.delete()


def test_token_store_io_of_async_calls_leaves_the_event_loop_free(
    fake: FakeX, tmp_path: Path
) -> None:
    turns = [0]
    store = StoreThatNeedsTheLoop(tmp_path / "store.json", turns)
    auth = make_auth(fake, None)
    auth.token_store = store
    auth._lock = store.lock()

    async def turning() -> None:
        while True:
            turns[0] += 1
            await anyio.sleep(0.001)

    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(turning)
            await auth.acomplete(approve_in_place_of_a_browser(auth.authorization_url()))
            fake.revoke_access_tokens()  # the next call gets a 401 and refreshes
            async with httpx.AsyncClient(auth=auth) as client:
                assert (await client.get(fake.url + "/2/users/me")).status_code == 200
            assert await auth.arevoke() is True
            tasks.cancel_scope.cancel()

    asyncio.run(main())
    assert store.on_the_loop == []
    # Each kind of store call was made (the refresh reads, then saves, under the lock).
    assert {"load", "save", "delete"} <= set(store.calls)
    assert fake.outcomes("token") == ["authorization_code:S256:ok", "refresh_token:ok"]
