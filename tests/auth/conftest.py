"""Fixtures of the auth tests: the fake X server and a private state directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from auth_fake_x import FakeX
from redis_server import RedisServer


@pytest.fixture
def fake() -> Iterator[FakeX]:
    server = FakeX().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def confidential_fake() -> Iterator[FakeX]:
    server = FakeX(client_secret="fake-client-secret-Zq8").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """Where a token store goes: a directory that does not exist yet."""
    return tmp_path / "state" / "twitter_api" / "bot.json"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.stop(save=False)


@pytest.fixture
def redis_db(redis_server: RedisServer) -> Iterator[RedisServer]:
    """The session's Redis, running and empty."""
    if redis_server.down:
        redis_server.start()
    redis_server.client().flushall()
    yield redis_server
