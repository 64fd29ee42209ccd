"""Single-flight refresh: 32 threads, 32 asyncio tasks and 2 processes meet an expired token."""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
from pathlib import Path

import httpx
from auth_fake_x import FakeX
from auth_support import HERE, PYTHON, USER_SCOPES, subprocess_env
from twitter_api._secrets import Secret
from twitter_api.auth import FileTokenStore, OAuth2PKCE, Token

THREADS = 32
TASKS = 32
PROCESSES = 2
CALLS_PER_PROCESS = 4


def seed_expired_token(fake: FakeX, store_path: Path) -> None:
    scope = " ".join(USER_SCOPES)
    access, refresh = fake.issue(scope, expires_in=-10)
    store = FileTokenStore(store_path)
    lock = store.lock()
    lock.acquire()
    try:
        store.save(
            Token(
                access_token=Secret(access),
                refresh_token=Secret(refresh or ""),
                expires_at=time.time() - 10,
                scope=frozenset(USER_SCOPES),
            )
        )
    finally:
        lock.release()


def make_auth(fake: FakeX, store_path: Path) -> OAuth2PKCE:
    return OAuth2PKCE(
        fake.client_id,
        fake.redirect_uri,
        USER_SCOPES,
        token_store=store_path,
        token_url=fake.token_url,
    )


def test_everyone_waits_for_one_refresh(fake: FakeX, store_path: Path) -> None:
    seed_expired_token(fake, store_path)
    fake.refresh_delay = 0.3  # hold the refresh open so that every caller piles up behind it

    workers = [
        subprocess.Popen(
            [
                PYTHON,
                str(HERE / "auth_worker_refresh.py"),
                str(store_path),
                fake.url,
                fake.client_id,
                str(CALLS_PER_PROCESS),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=subprocess_env(),
        )
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"

    # Separate auth objects for threads and tasks: they meet only through the store and locks.
    thread_auth = make_auth(fake, store_path)
    task_auth = make_auth(fake, store_path)
    go = threading.Event()
    statuses: list[int] = []
    errors: list[BaseException] = []
    guard = threading.Lock()

    def in_a_thread(client: httpx.Client) -> None:
        go.wait()
        try:
            status = client.get(fake.url + "/2/users/me").status_code
            with guard:
                statuses.append(status)
        except BaseException as exc:
            with guard:
                errors.append(exc)

    async def tasks() -> list[int]:
        async with httpx.AsyncClient(auth=task_auth, timeout=30) as client:
            while not go.is_set():
                await asyncio.sleep(0.001)

            async def one() -> int:
                return (await client.get(fake.url + "/2/users/me")).status_code

            return list(await asyncio.gather(*(one() for _ in range(TASKS))))

    task_results: list[int] = []
    loop_thread = threading.Thread(target=lambda: task_results.extend(asyncio.run(tasks())))
    with httpx.Client(auth=thread_auth, timeout=30) as client:
        threads = [threading.Thread(target=in_a_thread, args=(client,)) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        loop_thread.start()
        go.set()
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        for thread in threads:
            thread.join()
        loop_thread.join()
    process_results: list[int] = []
    for worker in workers:
        out, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0
        process_results += json.loads(out.strip().splitlines()[-1])

    assert errors == []
    assert statuses == [200] * THREADS
    assert task_results == [200] * TASKS
    assert process_results == [200] * (PROCESSES * CALLS_PER_PROCESS)
    assert fake.count("refresh_token:ok") == 1
    assert fake.count("refresh_token:invalid_grant") == 0
    assert fake.outcomes("token") == ["refresh_token:ok"]
    assert fake.outcomes("me") == ["me:200"] * (THREADS + TASKS + PROCESSES * CALLS_PER_PROCESS)
    # Every caller used the one new token, which the store holds.
    final = FileTokenStore(store_path).load()
    assert final is not None
    users = {e.headers["authorization"] for e in fake.events if e.endpoint == "me"}
    assert users == {f"Bearer {final.access_token.reveal()}"}
