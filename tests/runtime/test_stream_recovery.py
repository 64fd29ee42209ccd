"""Recovery on reconnect: `backfill_minutes` in the exact reconnect URL, and re-sent posts dropped.

The client's clock and sleep are replaced by a fake whose every sleep lasts `gap` seconds,
so a disconnect lasts as long as a test says without any real waiting.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import twitter_api
from twitter_api._streaming import StreamOptions, _Recovery
from twitter_api._sync_streaming import Stream
from twitter_api.auth import BearerToken

from tests.loopback import WAIT, Exchange, Handler, Loopback, scripted

SAMPLE = "/2/tweets/sample/stream"
FAST = StreamOptions(stall_timeout=0.5, network_backoff=0.01, http_backoff=0.02)
RECOVER = StreamOptions(stall_timeout=0.5, network_backoff=0.01, backfill_minutes=5)


class FakeTime:
    """The client's wall clock; each sleep advances it by `gap` seconds."""

    def __init__(self, gap: float) -> None:
        self.now = 1_700_000_000.0
        self.gap = gap

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += self.gap

    async def async_sleep(self, seconds: float) -> None:
        self.now += self.gap


def post(post_id: str) -> dict[str, Any]:
    return {"data": {"id": post_id, "text": f"post {post_id}"}}


def sends(*ids: str, then: str = "cut") -> Handler:
    def handle(ex: Exchange) -> None:
        ex.start_stream()
        ex.keep_alive()
        for post_id in ids:
            ex.line(post(post_id) if post_id else {"meta": {"sent": "no id"}})
        if then == "cut":
            ex.cut()
        else:
            ex.wait_until_client_hangs_up()

    return handle


def unavailable(ex: Exchange) -> None:
    ex.respond(503, {"title": "Service Unavailable"})


def sync_client(server: Loopback, fake: FakeTime) -> twitter_api.Client:
    client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
    client._now = fake.time  # type: ignore[method-assign]
    client._sleep = fake.sleep  # type: ignore[method-assign]
    return client


def read(stream: Stream[Any], count: int) -> list[str | None]:
    out: list[str | None] = []
    with stream as s:
        for item in s:
            out.append(item.data.id if item.data else None)
            if len(out) == count:
                break
    return out


def targets(server: Loopback) -> list[str]:
    return [r.target for r in server.requests]


def test_short_disconnect_reconnects_with_backfill_and_drops_resent_posts() -> None:
    handler = scripted(sends("1", "2"), sends("2", "", "3", then="wait"))
    with Loopback(handler) as server:
        client = sync_client(server, FakeTime(gap=150.0))  # 2.5 minutes disconnected
        stream = client.stream_posts_sample(expansions=["author_id"])
        assert read(stream.with_options(RECOVER), 4) == ["1", "2", None, "3"]
        assert server.exchanges[-1].closed_by_client.wait(WAIT)
    assert targets(server) == [
        f"{SAMPLE}?expansions=author_id",  # the first connect asks for no backfill
        f"{SAMPLE}?expansions=author_id&backfill_minutes=3",
    ]


def cut_at_once(ex: Exchange) -> None:
    ex.start_stream()
    ex.cut()


def test_backfill_counts_the_whole_gap_across_failed_reconnects() -> None:
    handler = scripted(sends("1"), unavailable, cut_at_once, sends("1", "2", then="wait"))
    with Loopback(handler) as server:
        client = sync_client(server, FakeTime(gap=70.0))
        assert read(client.stream_posts_sample().with_options(RECOVER), 2) == ["1", "2"]
    # Neither the 503 nor a connection cut before its first byte restarts the gap.
    assert targets(server) == [
        SAMPLE,
        f"{SAMPLE}?backfill_minutes=2",  # 70 s after the cut
        f"{SAMPLE}?backfill_minutes=3",  # 140 s after it
        f"{SAMPLE}?backfill_minutes=4",  # 210 s after it
    ]


def test_each_disconnect_counts_from_its_own_start() -> None:
    handler = scripted(sends("1"), sends("2"), sends("3", then="wait"))
    with Loopback(handler) as server:
        client = sync_client(server, FakeTime(gap=100.0))
        assert read(client.stream_posts_sample().with_options(RECOVER), 3) == ["1", "2", "3"]
    assert targets(server) == [SAMPLE] + [f"{SAMPLE}?backfill_minutes=2"] * 2


@pytest.mark.parametrize(("gap", "query"), [(119.0, "?backfill_minutes=2"), (120.0, "")])
def test_the_window_is_the_minutes_chosen(gap: float, query: str) -> None:
    handler = scripted(sends("1"), sends("2", then="wait"))
    with Loopback(handler) as server:
        client = sync_client(server, FakeTime(gap=gap))
        options = dataclasses.replace(RECOVER, backfill_minutes=2)
        assert read(client.stream_posts_sample().with_options(options), 2) == ["1", "2"]
    assert targets(server) == [SAMPLE, SAMPLE + query]


def test_a_stall_counts_the_silent_time_before_it() -> None:
    handler = scripted(sends("1", then="wait"), sends("2", then="wait"))
    with Loopback(handler) as server:
        # 60 s of sleep plus the 0.55 s the stall waited: more than a minute.
        client = sync_client(server, FakeTime(gap=60.0))
        assert read(client.stream_posts_sample().with_options(RECOVER), 2) == ["1", "2"]
    assert targets(server) == [SAMPLE, f"{SAMPLE}?backfill_minutes=2"]


def test_long_disconnect_reconnects_without_backfill_and_forgets_old_ids() -> None:
    handler = scripted(sends("1", "2"), sends("2", "3", then="wait"))
    with Loopback(handler) as server:
        client = sync_client(server, FakeTime(gap=301.0))  # longer than the 5 minute window
        stream = client.stream_posts_sample(backfill_minutes=4)
        assert read(stream.with_options(RECOVER), 4) == ["1", "2", "2", "3"]
    # The operation's own backfill_minutes is for the first connect only.
    assert targets(server) == [f"{SAMPLE}?backfill_minutes=4", SAMPLE]


def test_without_opt_in_reconnects_never_backfill_nor_drop() -> None:
    handler = scripted(sends("1", "2"), sends("2", "3", then="wait"))
    with Loopback(handler) as server:
        client = sync_client(server, FakeTime(gap=5.0))
        stream = client.stream_posts_sample(backfill_minutes=5)
        assert read(stream.with_options(FAST), 4) == ["1", "2", "2", "3"]
    assert targets(server) == [f"{SAMPLE}?backfill_minutes=5", SAMPLE]


@pytest.mark.anyio
async def test_async_short_disconnect_backfills_and_drops_resent_posts() -> None:
    handler = scripted(sends("1", "2"), sends("1", "2", "3", then="wait"))
    fake = FakeTime(gap=30.0)
    with Loopback(handler) as server:
        client = twitter_api.AsyncClient(auth=BearerToken("t"), base_url=server.url)
        client._now = fake.time  # type: ignore[method-assign]
        client._sleep = fake.async_sleep  # type: ignore[method-assign]
        got: list[str] = []
        async with client.stream_posts_sample().with_options(RECOVER) as s:
            async for item in s:
                got.append(item.data.id)
                if len(got) == 3:
                    break
        await client.aclose()
        assert server.exchanges[-1].closed_by_client.wait(WAIT)
    assert got == ["1", "2", "3"]
    assert targets(server) == [SAMPLE, f"{SAMPLE}?backfill_minutes=1"]


@pytest.mark.anyio
async def test_async_long_disconnect_reconnects_without_backfill() -> None:
    handler = scripted(sends("1", "2"), sends("2", "3", then="wait"))
    fake = FakeTime(gap=600.0)
    with Loopback(handler) as server:
        client = twitter_api.AsyncClient(auth=BearerToken("t"), base_url=server.url)
        client._now = fake.time  # type: ignore[method-assign]
        client._sleep = fake.async_sleep  # type: ignore[method-assign]
        got: list[str] = []
        async with client.stream_posts_sample(backfill_minutes=1).with_options(RECOVER) as s:
            async for item in s:
                got.append(item.data.id)
                if len(got) == 4:
                    break
        await client.aclose()
    assert got == ["1", "2", "2", "3"]
    assert targets(server) == [f"{SAMPLE}?backfill_minutes=1", SAMPLE]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def ids_passed(recovery: _Recovery, *ids: str) -> list[str]:
    return [i for i in ids if recovery.is_new(post(i))]


def test_recent_ids_are_forgotten_after_the_window() -> None:
    clock = Clock()
    recovery = _Recovery(minutes=5, cap=100, now=clock)
    assert ids_passed(recovery, "1", "2", "1") == ["1", "2"]
    clock.now = 299.0
    assert ids_passed(recovery, "1", "3") == ["3"]
    clock.now = 300.0  # "1" and "2" were seen 300 s ago: out of the window
    assert ids_passed(recovery, "1", "2", "3") == ["1", "2"]
    assert len(recovery._ids) == len(recovery._order) == 3  # "3" kept, "1" and "2" anew


def test_recent_ids_are_capped() -> None:
    recovery = _Recovery(minutes=5, cap=3, now=Clock())
    assert ids_passed(recovery, "1", "2", "3", "4") == ["1", "2", "3", "4"]
    assert len(recovery._ids) == 3
    assert ids_passed(recovery, "1") == ["1"]  # the oldest went to make room
    assert ids_passed(recovery, "4", "3") == []


def test_items_without_a_post_id_always_pass() -> None:
    recovery = _Recovery(minutes=1, cap=10, now=Clock())
    for raw in ({"meta": {}}, {"data": {"id": 7}}, {"data": [1]}, [1], {"errors": []}):
        assert recovery.is_new(raw) and recovery.is_new(raw)
    assert not recovery._ids


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"backfill_minutes": 6}, "backfill_minutes must be at most 5 (X keeps 5 minutes), not 6"),
        ({"backfill_minutes": -1}, "backfill_minutes must not be negative"),
        ({"recent_ids_max": 0}, "recent_ids_max must be at least 1"),
    ],
)
def test_recovery_options_are_checked(changes: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError) as info:
        StreamOptions(**changes)  # type: ignore[arg-type]
    assert str(info.value) == f"StreamOptions.{message}"
