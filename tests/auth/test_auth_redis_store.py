"""The Redis token store: machines that share one X account refresh its token once, together.

Against a real redis-server on 127.0.0.1 (see redis_server.py) and the loopback fake X, whose
refresh tokens each work once. "Machines" are processes with their own HOME and TMPDIR: they
share nothing but Redis.
"""

from __future__ import annotations

import asyncio
import functools
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from auth_fake_x import FakeX
from auth_support import HERE, PYTHON, USER_SCOPES, save_locked, subprocess_env, write_pkce_config
from redis_server import RedisServer
from test_auth_traceback_locals import formatted
from twitter_api import APIConnectionError, AsyncClient, Client, RateLimitError
from twitter_api._secrets import Secret
from twitter_api.auth import (
    FileTokenStore,
    OAuth2PKCE,
    RedisTokenStore,
    Token,
    TokenStoreError,
    TokenStoreUnavailableError,
    open_token_store,
)
from twitter_api.auth._store import encode_record

from tests.loopback import Exchange, Loopback, scripted

MACHINES = 3
THREADS = 8
ME = "/2/users/me"


def token_from(access: str, refresh: str | None, expires_at: float) -> Token:
    return Token(
        access_token=Secret(access),
        refresh_token=Secret(refresh) if refresh else None,
        expires_at=expires_at,
        scope=frozenset(USER_SCOPES),
    )


def seed(fake: FakeX, url: str) -> Token:
    """A logged-in account: a valid token pair at the fake, stored in Redis."""
    access, refresh = fake.issue(" ".join(USER_SCOPES), expires_in=3600)
    token = token_from(access, refresh, time.time() + 3600)
    save_locked(RedisTokenStore(url), token)
    return token


def make_auth(fake: FakeX, store: str | RedisTokenStore) -> OAuth2PKCE:
    return OAuth2PKCE(
        fake.client_id, fake.redirect_uri, USER_SCOPES, token_store=store, token_url=fake.token_url
    )


def machine(index: int, url: str, fake: FakeX, root: Path) -> subprocess.Popen[str]:
    home = root / f"machine{index}"
    (home / "tmp").mkdir(parents=True)
    env = {**subprocess_env(), "HOME": str(home), "TMPDIR": str(home / "tmp")}
    env.pop("XDG_STATE_HOME", None)
    worker = subprocess.Popen(
        [PYTHON, str(HERE / "auth_worker_refresh.py"), url, fake.url, fake.client_id, str(THREADS)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "ready"
    return worker


def go(worker: subprocess.Popen[str]) -> None:
    assert worker.stdin is not None
    worker.stdin.write("go\n")
    worker.stdin.flush()


def statuses(worker: subprocess.Popen[str]) -> list[int]:
    out, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0
    result: list[int] = json.loads(out.strip().splitlines()[-1])
    return result


@pytest.fixture
def machines(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for worker in started:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def bearers_that_got_200(fake: FakeX) -> set[str]:
    with fake.lock:
        return {e.headers["authorization"] for e in fake.events if e.outcome == "me:200"}


# -- across machines ------------------------------------------------------------------------


def test_three_machines_refresh_a_revoked_token_once_after_a_redis_restart(
    fake: FakeX, redis_db: RedisServer, tmp_path: Path, machines: list[subprocess.Popen[str]]
) -> None:
    url = redis_db.url()
    seed(fake, url)
    machines += [machine(i, url, fake, tmp_path) for i in range(MACHINES)]
    redis_db.restart()  # under the machines' open connections (it keeps its data, as on disk)
    fake.revoke_access_tokens()  # every machine's token now gets a 401
    fake.refresh_delay = 0.3  # hold the refresh open so that the others pile up behind it
    for worker in machines:
        go(worker)

    assert [statuses(worker) for worker in machines] == [[200] * THREADS] * MACHINES
    assert fake.outcomes("token") == ["refresh_token:ok"]
    assert fake.count("me:200") == MACHINES * THREADS
    final = RedisTokenStore(url).load()
    assert final is not None
    assert bearers_that_got_200(fake) == {f"Bearer {final.access_token.reveal()}"}


def test_tasks_and_threads_of_one_machine_wait_for_one_refresh(
    fake: FakeX, redis_db: RedisServer
) -> None:
    url = redis_db.url()
    seed(fake, url)
    fake.revoke_access_tokens()
    fake.refresh_delay = 0.2
    # Separate auth objects (and store objects): they meet only in Redis.
    task_auth, thread_auth = make_auth(fake, url), make_auth(fake, url)

    async def tasks() -> list[int]:
        async with httpx.AsyncClient(auth=task_auth, timeout=30) as client:
            calls = (client.get(fake.url + ME) for _ in range(THREADS))
            return [r.status_code for r in await asyncio.gather(*calls)]

    with httpx.Client(auth=thread_auth, timeout=30) as client:
        with ThreadPoolExecutor(THREADS) as pool:
            threads = [pool.submit(client.get, fake.url + ME) for _ in range(THREADS)]
            task_statuses = asyncio.run(tasks())
            thread_statuses = [f.result().status_code for f in threads]
    assert (task_statuses, thread_statuses) == ([200] * THREADS, [200] * THREADS)
    assert fake.outcomes("token") == ["refresh_token:ok"]


def test_a_killed_lock_holder_blocks_the_others_for_one_lease(
    fake: FakeX, redis_db: RedisServer, tmp_path: Path, machines: list[subprocess.Popen[str]]
) -> None:
    url = redis_db.url("lease=2")
    seed(fake, url)
    machines += [machine(i, url, fake, tmp_path) for i in range(MACHINES)]
    holder, others = machines[0], machines[1:]
    fake.revoke_access_tokens()
    fake.stall_refreshes = 1  # the holder's refresh never reaches X: it is killed meanwhile
    go(holder)
    assert fake.stalled.wait(10)
    lock_key = RedisTokenStore(url).lock_key
    assert redis_db.client().exists(lock_key) == 1
    holder.kill()
    holder.wait()
    fake.release_stalled.set()
    for worker in others:
        go(worker)

    # The dead holder's key stays until its lease ends; then one of the others refreshes.
    assert [statuses(worker) for worker in others] == [[200] * THREADS] * (MACHINES - 1)
    assert sorted(fake.outcomes("token")) == ["refresh_token:dropped", "refresh_token:ok"]
    assert fake.count("refresh_token:invalid_grant") == 0


def test_the_lock_key_carries_the_lease(redis_db: RedisServer) -> None:
    store = RedisTokenStore(redis_db.url("lease=7.5"))
    lock = store.lock()
    lock.acquire()
    try:
        remaining = redis_db.client().pttl(store.lock_key)
        assert 0 < remaining <= 7500
    finally:
        lock.release()
    assert redis_db.client().exists(store.lock_key) == 0


# -- the guards of one refresh ----------------------------------------------------------------


def test_a_holder_whose_lease_ran_out_cannot_overwrite_a_newer_token(
    redis_db: RedisServer,
) -> None:
    url = redis_db.url()
    late, next_holder = RedisTokenStore(url), RedisTokenStore(url)
    late.lock().acquire()
    redis_db.client().delete(late.lock_key)  # its lease runs out while it works
    next_holder.lock().acquire()
    newer = token_from("at-newer", "rt-newer", 2e9)
    next_holder.save(newer)

    with pytest.raises(TokenStoreError, match="outlived its lease") as caught:
        late.save(token_from("at-stale", "rt-stale", 2e9))
    late.lock().release()
    assert "rt-" not in str(caught.value)
    assert RedisTokenStore(url).load() == newer
    # Releasing the lost lock left the next holder's lock in place.
    assert redis_db.client().exists(late.lock_key) == 1
    next_holder.lock().release()
    assert redis_db.client().exists(late.lock_key) == 0


def test_the_new_token_is_stored_before_the_lock_is_freed_and_before_it_is_used(
    fake: FakeX, redis_db: RedisServer
) -> None:
    url = redis_db.url()
    seed(fake, url)
    store = RedisTokenStore(url)
    stored_at_release: list[str | None] = []
    stored_at_use: list[str | None] = []

    def stored_access() -> str | None:
        token = RedisTokenStore(url).load()
        return token.access_token.reveal() if token else None

    lock = store.lock()
    real_release = lock.release

    def release() -> None:
        stored_at_release.append(stored_access())
        real_release()

    lock.release = release  # type: ignore[method-assign]
    fake.on_user_call = lambda bearer: stored_at_use.append(stored_access())
    fake.revoke_access_tokens()
    with httpx.Client(auth=make_auth(fake, store), timeout=30) as client:
        assert client.get(fake.url + ME).status_code == 200
    final = RedisTokenStore(url).load()
    assert final is not None
    assert stored_at_release == [final.access_token.reveal()]
    assert stored_at_use == [final.access_token.reveal()]
    assert fake.outcomes("token") == ["refresh_token:ok"]


# -- Redis down -------------------------------------------------------------------------------


def test_redis_down_is_a_connection_error_and_the_next_call_works_once_it_is_back(
    fake: FakeX, redis_db: RedisServer
) -> None:
    url = redis_db.url()
    seed(fake, url)
    auth = make_auth(fake, url)
    with Client(auth=auth, base_url=fake.url, max_retries=0) as client:
        assert client.request("GET", ME).status_code == 200
        redis_db.stop()
        fake.revoke_access_tokens()
        with pytest.raises(APIConnectionError) as caught:
            client.request("GET", ME)
        redis_db.start()
        assert client.request("GET", ME).status_code == 200
    error = caught.value
    assert isinstance(error, TokenStoreUnavailableError)
    assert f"redis://127.0.0.1:{redis_db.port}/0" in str(error)
    assert redis_db.password not in str(error)
    assert error.__cause__ is None and error.__suppress_context__
    assert fake.outcomes("token") == ["refresh_token:ok"]


def test_a_token_refreshed_while_redis_goes_down_is_stored_when_it_is_back(
    fake: FakeX, redis_db: RedisServer
) -> None:
    url = redis_db.url()
    seed(fake, url)
    fake.revoke_access_tokens()
    fake.on_refresh = redis_db.stop  # X rotates the token, but it cannot be stored now
    auth = make_auth(fake, url)
    with httpx.Client(auth=auth, timeout=30) as client:
        with pytest.raises(TokenStoreUnavailableError):
            client.get(fake.url + ME)
        fake.on_refresh = None
        assert fake.outcomes("token") == ["refresh_token:ok"]
        redis_db.start()
        assert client.get(fake.url + ME).status_code == 200
    # No second refresh (the first one's token was not lost), and Redis holds that token.
    assert fake.outcomes("token") == ["refresh_token:ok"]
    final = RedisTokenStore(url).load()
    assert final is not None
    assert bearers_that_got_200(fake) == {f"Bearer {final.access_token.reveal()}"}


def test_a_kept_token_that_a_newer_holder_outdated_is_dropped_not_raised(
    redis_db: RedisServer,
) -> None:
    url = redis_db.url()
    mine = RedisTokenStore(url)
    lock = mine.lock()
    lock.acquire()
    try:
        redis_db.stop()  # this holder's write cannot land: the token is kept for later
        with pytest.raises(TokenStoreUnavailableError):
            mine.save(token_from("at-mine", "rt-mine", 2e9))
    finally:
        redis_db.start()
        lock.release()
    save_locked(RedisTokenStore(url), token_from("at-newer", "rt-newer", 2e9))  # a newer lock
    stored = mine.load()  # the kept token is older than what is stored: dropped quietly
    assert stored is not None and stored.access_token.reveal() == "at-newer"
    assert mine.load() == stored


def test_a_failed_tls_handshake_is_a_configuration_error_not_an_outage() -> None:
    import ssl

    import redis

    store = RedisTokenStore("rediss://:pw@127.0.0.1:6390/0")

    def handshake_fails(_: Any) -> None:
        try:
            raise ssl.SSLError("certificate verify failed")
        except ssl.SSLError:
            raise redis.ConnectionError("Error connecting") from None

    with pytest.raises(TokenStoreError, match="failed the TLS handshake") as info:
        store._call(handshake_fails)
    assert not isinstance(info.value, TokenStoreUnavailableError)


def test_a_token_redis_refuses_to_store_is_kept_and_stored_once_it_takes_writes(
    fake: FakeX, redis_db: RedisServer
) -> None:
    url = redis_db.url()
    seed(fake, url)
    fake.revoke_access_tokens()
    admin = redis_db.client()
    # X rotates the token, then Redis refuses writes (out of memory), as a full or read-only
    # server after a failover does.
    fake.on_refresh = lambda: admin.config_set("maxmemory", "1")
    auth = make_auth(fake, url)
    with httpx.Client(auth=auth, timeout=30) as client:
        with pytest.raises(TokenStoreError, match="refused a command"):
            client.get(fake.url + ME)
        fake.on_refresh = None
        with pytest.raises(TokenStoreError, match="refused a command"):
            client.get(fake.url + ME)  # still refusing: the token is still kept
        admin.config_set("maxmemory", "0")
        assert client.get(fake.url + ME).status_code == 200
    # No second refresh (the first one's token was not lost), and Redis holds that token.
    assert fake.outcomes("token") == ["refresh_token:ok"]
    final = RedisTokenStore(url).load()
    assert final is not None
    assert bearers_that_got_200(fake) == {f"Bearer {final.access_token.reveal()}"}


# -- keys, values, settings -------------------------------------------------------------------


def test_keys_hold_no_secret_and_the_value_is_the_file_stores_record(
    fake: FakeX, redis_db: RedisServer, tmp_path: Path
) -> None:
    url = redis_db.url("key_prefix=team7:")
    seed(fake, url)
    fake.revoke_access_tokens()
    with httpx.Client(auth=make_auth(fake, url), timeout=30) as client:
        assert client.get(fake.url + ME).status_code == 200
    keys = sorted(k.decode() for k in redis_db.client().keys("*"))
    assert keys == ["team7:default:lock-fence", "team7:default:token", "team7:default:token-fence"]
    for secret in fake.seen_secrets | {redis_db.password}:
        assert all(secret not in key for key in keys)
    stored = RedisTokenStore(url).load()
    assert stored is not None
    file_store = FileTokenStore(tmp_path / "token.json")
    save_locked(file_store, stored)
    assert redis_db.client().get("team7:default:token") == file_store.path.read_bytes()
    assert encode_record(stored) == file_store.path.read_bytes()


def test_the_store_names_no_password(redis_db: RedisServer) -> None:
    store = open_token_store(redis_db.url(), name="bot")
    assert isinstance(store, RedisTokenStore)
    assert store.location == f"redis://127.0.0.1:{redis_db.port}/0"
    assert redis_db.password not in repr(store)
    assert store.token_key == "twitter_api:bot:token"
    tls = RedisTokenStore("rediss://:pw-Zx@cache.internal:6380/2?lease=3", name="bot")
    assert (tls.location, tls.lease) == ("rediss://cache.internal:6380/2", 3.0)


@pytest.mark.parametrize("query", ["lease=0", "lease=soon", "lease=inf"])
def test_a_bad_lease_is_refused(query: str) -> None:
    with pytest.raises(TokenStoreError, match="lease") as caught:
        RedisTokenStore(f"redis://:pw-Zx@127.0.0.1:1/0?{query}")
    assert "pw-Zx" not in str(caught.value)


def test_a_config_profile_names_a_redis_store(redis_db: RedisServer, tmp_path: Path) -> None:
    from twitter_api._config import load_settings

    store = f"redis://127.0.0.1:{redis_db.port}/0?key_prefix=ops:"
    config = write_pkce_config(tmp_path / "Config.toml", "bot", store)
    auth = load_settings(config, environ={}).auth
    assert isinstance(auth, OAuth2PKCE)
    assert isinstance(auth.token_store, RedisTokenStore)
    assert auth.token_store.token_key == "ops:bot:token"


def test_without_the_redis_extra_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # as if redis-py were not installed
    with pytest.raises(TokenStoreError, match=r"needs the redis package: pip install"):
        open_token_store("redis://127.0.0.1:6379/0")


def test_a_write_without_the_lock_is_refused(redis_db: RedisServer) -> None:
    store = RedisTokenStore(redis_db.url())
    with pytest.raises(TokenStoreError, match="without its lock"):
        store.save(token_from("at-x", "rt-x", 2e9))
    assert redis_db.client().keys("*") == []


def test_an_empty_key_prefix_is_kept_and_an_ipv6_host_is_shown_bracketed() -> None:
    store = RedisTokenStore("redis://:pw@[::1]:6390/2?key_prefix=")
    assert store.location == "redis://[::1]:6390/2"
    assert store.token_key == "default:token"


def test_a_wrong_password_is_a_configuration_error_not_an_outage(redis_db: RedisServer) -> None:
    url = redis_db.url().replace(f":{redis_db.password}@", ":wrong-password@")
    with pytest.raises(TokenStoreError, match="refused the password") as info:
        RedisTokenStore(url).load()
    assert not isinstance(info.value, TokenStoreUnavailableError)
    assert "wrong-password" not in str(info.value)


def test_a_lost_lock_counter_does_not_refuse_every_later_write(redis_db: RedisServer) -> None:
    store = RedisTokenStore(redis_db.url())
    save_locked(store, token_from("at-1", "rt-1", 2e9))
    save_locked(store, token_from("at-2", "rt-2", 2e9))
    redis_db.client().delete(store.lock_fence_key)  # evicted (allkeys-lru), or deleted by hand
    save_locked(store, token_from("at-3", "rt-3", 2e9))
    stored = store.load()
    assert stored is not None and stored.access_token.reveal() == "at-3"


# -- rate limits shared by the machines ---------------------------------------------------------

START = 1_800_000_000.0  # the fake wall clock of the clients, seconds since the epoch


class FakeTime:
    """A wall clock that moves only when a client sleeps; each sleep notes the requests so far."""

    def __init__(self, server: Loopback) -> None:
        self.now = START
        self.server = server
        self.slept: list[tuple[float, int]] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append((seconds, len(self.server.requests)))
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


def stored_auth(url: str) -> OAuth2PKCE:
    """An auth over its own store object, as on another machine; its token is valid."""
    store = RedisTokenStore(url)
    if store.load() is None:
        save_locked(store, token_from("at-shared", "rt-shared", 4e9))
    return OAuth2PKCE("cid", "http://127.0.0.1:8976/callback", USER_SCOPES, token_store=store)


def on_fake_time(client: Any, clock: FakeTime) -> Any:
    client._now = lambda: clock.now
    client._sleep = clock.async_sleep if isinstance(client, AsyncClient) else clock.sleep
    return client


def limited(ex: Exchange) -> None:
    reset = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(START) + 100)}
    ex.respond(429, {"title": "Too Many Requests"}, reset)


def fine(ex: Exchange) -> None:
    ex.respond(200, {"data": {"id": "1"}})


class ThreadNotingStore(RedisTokenStore):
    """A Redis store that notes the thread each shared rate limit call runs on."""

    threads: list[tuple[str, threading.Thread]]

    def rate_limited_until(self, endpoint: str) -> float | None:
        self.threads.append(("read", threading.current_thread()))
        return super().rate_limited_until(endpoint)

    def share_rate_limit(self, endpoint: str, reset_at: float, now: float) -> None:
        self.threads.append(("share", threading.current_thread()))
        super().share_rate_limit(endpoint, reset_at, now)


def test_an_async_client_shares_rate_limits_off_the_event_loop(redis_db: RedisServer) -> None:
    # Each is a Redis round trip (5 s when Redis hangs): never on the loop, which would stall.
    store = ThreadNotingStore(redis_db.url())
    store.threads = []
    save_locked(store, token_from("at-shared", "rt-shared", 4e9))
    auth = OAuth2PKCE("cid", "http://127.0.0.1:8976/callback", USER_SCOPES, token_store=store)
    with Loopback(scripted(limited, fine)) as server:
        clock = FakeTime(server)
        client = on_fake_time(
            AsyncClient(auth=auth, base_url=server.url, wait_on_rate_limit=True), clock
        )

        async def main() -> tuple[int, threading.Thread]:
            async with client:
                status = (await client.request("GET", "/2/users/123")).status_code
            return status, threading.current_thread()

        status, loop_thread = asyncio.run(main())
    assert status == 200
    assert {kind for kind, _ in store.threads} == {"read", "share"}
    assert all(thread is not loop_thread for _, thread in store.threads)


class CallCountingStore(RedisTokenStore):
    calls = 0

    def _call(self, action: Any) -> Any:
        self.calls += 1
        return super()._call(action)


def test_once_redis_fails_to_answer_requests_go_without_shared_limits_for_a_while(
    redis_db: RedisServer,
) -> None:
    store = CallCountingStore(redis_db.url())
    redis_db.stop()
    try:
        assert store.rate_limited_until("GET /2/users/:id") is None
        assert store.calls == 1
        # Each later request would wait for Redis again (up to the socket timeout): not for now.
        assert store.rate_limited_until("GET /2/users/:id") is None
        store.share_rate_limit("GET /2/users/:id", START + 100, START)
        assert store.calls == 1
    finally:
        redis_db.start()


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_a_429_on_one_machine_makes_the_others_wait_for_that_endpoint(
    redis_db: RedisServer, is_async: bool
) -> None:
    url = redis_db.url()
    with Loopback(scripted(limited, fine)) as server:
        clock = FakeTime(server)
        first = on_fake_time(Client(auth=stored_auth(url), base_url=server.url), clock)
        with pytest.raises(RateLimitError):
            first.request("GET", "/2/users/123")
        first.close()

        # Another machine, same endpoint (another id): it waits for the reset, then sends once.
        kind = AsyncClient if is_async else Client
        other = on_fake_time(
            kind(auth=stored_auth(url), base_url=server.url, wait_on_rate_limit=True), clock
        )
        if is_async:

            async def main() -> int:
                async with other:
                    return (await other.request("GET", "/2/users/456")).status_code

            assert asyncio.run(main()) == 200
        else:
            with other:
                assert other.request("GET", "/2/users/456").status_code == 200
        # 101 s: to the reset, plus the second X's whole-second resets may be off by.
        assert clock.slept == [(101.0, 1)]
        # A different endpoint, or another account (key prefix), is not held back.
        for client_url, path in (
            (url, "/2/tweets/9"),
            (redis_db.url("key_prefix=b:"), "/2/users/7"),
        ):
            with on_fake_time(
                Client(auth=stored_auth(client_url), base_url=server.url, wait_on_rate_limit=True),
                clock,
            ) as unrelated:
                assert unrelated.request("GET", path).status_code == 200
        assert clock.slept == [(101.0, 1)]
    assert [r.path for r in server.requests] == [
        "/2/users/123",
        "/2/users/456",
        "/2/tweets/9",
        "/2/users/7",
    ]


# -- no password in errors or tracebacks ------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "redis://:pw-TB-77@127.0.0.1:notaport/0",
        "http://:pw-TB-77@127.0.0.1:6379/0",
        "redis://:pw-TB-77@127.0.0.1:6379/0?lease=-1",
        "redis://:pw-TB-77@127.0.0.1:6379/abc",  # redis-py would use database 0
    ],
)
def test_a_bad_url_is_refused_without_showing_its_password(url: str) -> None:
    text = formatted(functools.partial(RedisTokenStore, url), TokenStoreError)
    assert "TokenStoreError" in text
    assert "pw-TB-77" not in text


def test_redis_down_leaves_no_password_in_the_traceback(fake: FakeX, redis_db: RedisServer) -> None:
    url = redis_db.url()
    seed(fake, url)
    auth = make_auth(fake, url)
    assert auth.token is not None
    redis_db.stop()
    fake.revoke_access_tokens()
    with Client(auth=auth, base_url=fake.url, max_retries=0) as client:
        text = formatted(lambda: client.request("GET", ME), TokenStoreUnavailableError)
    assert f"127.0.0.1:{redis_db.port}" in text
    assert redis_db.password not in text


def test_a_refresh_beaten_by_a_holder_whose_lease_ran_out_uses_that_holders_token(
    fake: FakeX, redis_db: RedisServer
) -> None:
    url = redis_db.url()
    first = seed(fake, url)
    late = RedisTokenStore(url)
    late.lock().acquire()
    redis_db.client().delete(late.lock_key)  # its lease ran out before it finished

    def late_holder_finishes() -> None:
        # While our refresh is in flight, the late holder spends the same refresh token at X
        # and stores what it got (no newer holder has written, so its fence still admits it).
        fake.on_refresh = None
        assert first.refresh_token is not None
        form = {"grant_type": "refresh_token", "client_id": fake.client_id}
        status, body, _ = fake.token_endpoint(
            {**form, "refresh_token": first.refresh_token.reveal()}, {}
        )
        assert status == 200
        late.save(Token.from_response(body, time.time()))
        late.lock().release()

    fake.revoke_access_tokens()
    fake.on_refresh = late_holder_finishes
    with httpx.Client(auth=make_auth(fake, url), timeout=30) as client:
        assert client.get(fake.url + ME).status_code == 200
    assert fake.outcomes("token") == ["refresh_token:invalid_grant"]
    final = RedisTokenStore(url).load()
    assert final is not None
    assert bearers_that_got_200(fake) == {f"Bearer {final.access_token.reveal()}"}


def test_a_script_reply_that_is_not_an_integer_is_refused() -> None:
    from twitter_api.auth._redis_store import _integer

    assert (_integer(3), _integer(b"4"), _integer("5")) == (3, 4, 5)
    for reply in (True, None, [1], 2.5):
        with pytest.raises(TypeError, match="not an integer"):
            _integer(reply)
