"""Waiting out 429s within bounds, and never resending a write that reached the server.

The client's wall clock and sleep are replaced by a fake whose sleeps advance its clock, so
each test asserts the exact waits the client chose, lower and upper bound alike.
"""

from __future__ import annotations

import asyncio
import email.utils
from typing import Any

import pytest
import twitter_api

from tests.loopback import Exchange, Handler, Loopback, scripted

POST = {"id": "20", "text": "hello"}
START = 1_800_000_000.0  # the fake wall clock, seconds since the epoch


class FakeTime:
    """A wall clock that moves only when the client sleeps."""

    def __init__(self) -> None:
        self.now = START
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


def sync_client(url: str, fake: FakeTime, **kwargs: Any) -> twitter_api.Client:
    client = twitter_api.Client(base_url=url, **kwargs)
    client._now = lambda: fake.now  # type: ignore[method-assign]
    client._sleep = fake.sleep  # type: ignore[method-assign]
    return client


def async_client(url: str, fake: FakeTime, **kwargs: Any) -> twitter_api.AsyncClient:
    client = twitter_api.AsyncClient(base_url=url, **kwargs)
    client._now = lambda: fake.now  # type: ignore[method-assign]
    client._sleep = fake.async_sleep  # type: ignore[method-assign]
    return client


def too_many(headers: dict[str, str]) -> Handler:
    return lambda ex: ex.respond(429, {"title": "Too Many Requests"}, headers)


def ok(ex: Exchange) -> None:
    ex.respond(200, {"data": POST})


def until(fake: FakeTime, seconds_after_start: int) -> dict[str, str]:
    reset = int(START) + seconds_after_start
    return {
        "x-rate-limit-limit": "300",
        "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": str(reset),
    }


def call(client: Any, is_async: bool) -> Any:
    if is_async:

        async def main() -> Any:
            async with client:
                return await client.get_posts_by_id("20")

        return asyncio.run(main())
    with client:
        return client.get_posts_by_id("20")


CLIENTS = pytest.mark.parametrize(
    ("make", "is_async"), [(sync_client, False), (async_client, True)], ids=["sync", "async"]
)


@CLIENTS
def test_429_waits_until_the_reset_and_no_longer(make: Any, is_async: bool) -> None:
    fake = FakeTime()
    with Loopback(scripted(too_many(until(fake, 100)), ok)) as server:
        post = call(make(server.url, fake, wait_on_rate_limit=True), is_async)
    assert post.data.text == "hello"
    assert len(server.requests) == 2
    # Until the reset plus one second of clock skew: never earlier, never later.
    assert fake.slept == [101.0]


@CLIENTS
def test_429_wait_is_capped_at_15_minutes_and_30_in_total(make: Any, is_async: bool) -> None:
    fake = FakeTime()
    with Loopback(too_many(until(fake, 3600))) as server:
        client = make(server.url, fake, wait_on_rate_limit=True)
        with pytest.raises(twitter_api.RateLimitError) as info:
            call(client, is_async)
    assert fake.slept == [900.0, 900.0]  # a third 15-minute wait would pass the 30-minute total
    assert len(server.requests) == 3
    assert int(info.value.reset_at.timestamp()) == int(START) + 3600


@CLIENTS
def test_retry_after_zero_waits_a_second_and_gives_up(
    make: Any, is_async: bool, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeTime()
    with Loopback(too_many({"retry-after": "0"})) as server:
        client = make(server.url, fake, wait_on_rate_limit=True)
        with pytest.raises(twitter_api.RateLimitError):
            call(client, is_async)
    assert fake.slept == [1.0] * 5  # the floor, and the default count of waits
    assert len(server.requests) == 6
    assert "GET /2/tweets/20 still rate limited after 5 waits (5s); giving up" in caplog.messages


@CLIENTS
def test_retry_after_is_honoured_on_429(make: Any, is_async: bool) -> None:
    fake = FakeTime()
    steps = (too_many({"retry-after": "7", **until(fake, 100)}), ok)
    with Loopback(scripted(*steps)) as server:
        call(make(server.url, fake, wait_on_rate_limit=True), is_async)
    assert fake.slept == [7.0]  # Retry-After wins over the reset time
    assert len(server.requests) == 2


@CLIENTS
def test_retry_after_as_an_http_date_is_honoured(make: Any, is_async: bool) -> None:
    fake = FakeTime()
    date = email.utils.formatdate(START + 7, usegmt=True)  # RFC 9110 allows a date too
    steps = (too_many({"retry-after": date, **until(fake, 100)}), ok)
    with Loopback(scripted(*steps)) as server:
        call(make(server.url, fake, wait_on_rate_limit=True), is_async)
    assert fake.slept == [7.0]
    assert len(server.requests) == 2


@CLIENTS
def test_rate_limit_bounds_are_configurable(make: Any, is_async: bool) -> None:
    fake = FakeTime()
    with Loopback(too_many(until(fake, 10))) as server:
        client = make(server.url, fake, wait_on_rate_limit=True)
        client.rate_limit_max_waits = 2
        client.rate_limit_max_total_wait = 15.0
        with pytest.raises(twitter_api.RateLimitError):
            call(client, is_async)
    # 11 s, then the reset has passed (clock skew second only), then the count is spent.
    assert fake.slept == [11.0, 1.0]
    assert len(server.requests) == 3

    fake = FakeTime()
    with Loopback(too_many(until(fake, 10))) as server:
        client = make(server.url, fake, wait_on_rate_limit=True)
        client.rate_limit_max_total_wait = 10.0
        with pytest.raises(twitter_api.RateLimitError):
            call(client, is_async)
    assert fake.slept == []  # 11 s would pass the 10 s total: raised at once
    assert len(server.requests) == 1


@CLIENTS
def test_429_without_wait_on_rate_limit_raises_at_once(make: Any, is_async: bool) -> None:
    fake = FakeTime()
    with Loopback(too_many(until(fake, 3))) as server:
        with pytest.raises(twitter_api.RateLimitError) as info:
            call(make(server.url, fake), is_async)
    assert fake.slept == []
    assert len(server.requests) == 1
    assert (info.value.limit, info.value.remaining) == (300, 0)


def _reset_without_answer(ex: Exchange) -> None:
    ex.reset()


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_post_whose_connection_resets_after_sending_is_not_resent(is_async: bool) -> None:
    fake = FakeTime()
    with Loopback(_reset_without_answer) as server:
        if is_async:
            client: Any = async_client(server.url, fake, max_retries=2)

            async def main() -> None:
                async with client:
                    await client.create_posts(body={"text": "once"})

            with pytest.raises(twitter_api.APIConnectionError, match="POST /2/tweets"):
                asyncio.run(main())
        else:
            with sync_client(server.url, fake, max_retries=2) as client:
                with pytest.raises(twitter_api.APIConnectionError, match="POST /2/tweets"):
                    client.create_posts(body={"text": "once"})
    assert [(r.method, r.path) for r in server.requests] == [("POST", "/2/tweets")]
    assert server.requests[0].json() == {"text": "once"}
    assert fake.slept == []


def test_get_whose_connection_resets_is_retried() -> None:
    # The same fault on a GET is retried: what makes the POST above safe is the method.
    fake = FakeTime()
    with Loopback(scripted(_reset_without_answer, _reset_without_answer, ok)) as server:
        with sync_client(server.url, fake, max_retries=2) as client:
            post = client.get_posts_by_id("20")
    assert post.data.id == "20"
    assert len(server.requests) == 3
    assert len(fake.slept) == 2
