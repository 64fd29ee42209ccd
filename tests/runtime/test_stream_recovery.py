"""Recovery on reconnect: `backfill_minutes` in the exact reconnect URL, and re-sent posts dropped.

The client's monotonic clock and sleep are replaced by a fake whose every sleep lasts `gap`
seconds, so a disconnect lasts as long as a test says without any real waiting.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest
import twitter_api
from twitter_api._async_streaming import AsyncStream
from twitter_api._streaming import StreamOptions, _Recovery
from twitter_api._sync_streaming import Stream
from twitter_api.auth import BearerToken

from tests.loopback import WAIT, Exchange, Handler, Loopback, scripted

SAMPLE = "/2/tweets/sample/stream"
FAST = StreamOptions(stall_timeout=0.5, network_backoff=0.01, http_backoff=0.02)
RECOVER = StreamOptions(stall_timeout=0.5, network_backoff=0.01, backfill_minutes=5)


class FakeTime:
    """The client's monotonic clock; each sleep advances it by `gap` seconds."""

    def __init__(self, gap: float) -> None:
        self.now = 12_345.0
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
    client._monotonic = fake.time  # type: ignore[method-assign]
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
        client._monotonic = fake.time  # type: ignore[method-assign]
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
        client._monotonic = fake.time  # type: ignore[method-assign]
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


def async_client(server: Loopback, fake: FakeTime) -> twitter_api.AsyncClient:
    client = twitter_api.AsyncClient(auth=BearerToken("t"), base_url=server.url)
    client._monotonic = fake.time  # type: ignore[method-assign]
    client._sleep = fake.async_sleep  # type: ignore[method-assign]
    return client


async def read_async(stream: AsyncStream[Any], count: int) -> list[str | None]:
    out: list[str | None] = []
    async with stream as s:
        async for item in s:
            out.append(item.data.id if item.data else None)
            if len(out) == count:
                break
    return out


def read_either(
    server: Loopback,
    fake: FakeTime,
    mode: str,
    count: int,
    wall: Callable[[], float] | None = None,
    **options: Any,
) -> list[str | None]:
    """`count` ids read from streamPostsSample with RECOVER changed by `options`, the sync or
    the async way; `wall` replaces the client's wall clock."""
    recover = dataclasses.replace(RECOVER, **options)
    if mode == "sync":
        sync = sync_client(server, fake)
        if wall is not None:
            sync._now = wall  # type: ignore[method-assign]
        return read(sync.stream_posts_sample().with_options(recover), count)

    async def run() -> list[str | None]:
        client = async_client(server, fake)
        if wall is not None:
            client._now = wall  # type: ignore[method-assign]
        try:
            return await read_async(client.stream_posts_sample().with_options(recover), count)
        finally:
            await client.aclose()

    return asyncio.run(run())


MODES = ["sync", "async"]
PART = b'{"data": {"id": "2", "tex'  # a line the body ended in the middle of


def ends_mid_line_chunked(ex: Exchange) -> None:
    ex.start_stream()
    ex.line(post("1"))
    ex.chunk(PART)
    ex.end_stream()  # the terminating chunk: the body ends cleanly


def ends_mid_line_on_close(ex: Exchange) -> None:
    ex.respond_until_close(200, json.dumps(post("1")).encode() + b"\r\n" + PART)


def ends_mid_line_at_its_length(ex: Exchange) -> None:
    ex.respond_raw(200, json.dumps(post("1")).encode() + b"\r\n" + PART)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "ends", [ends_mid_line_chunked, ends_mid_line_on_close, ends_mid_line_at_its_length]
)
def test_a_body_that_ends_mid_line_was_cut_and_is_recovered(mode: str, ends: Handler) -> None:
    handler = scripted(ends, sends("1", "2", "3", then="wait"))
    with Loopback(handler) as server:
        got = read_either(server, FakeTime(gap=70.0), mode, 3)
    assert got == ["1", "2", "3"]  # the half line is not yielded; "1" comes once
    assert targets(server) == [SAMPLE, f"{SAMPLE}?backfill_minutes=2"]


def garbled_then(after: str) -> Handler:
    def handle(ex: Exchange) -> None:
        ex.start_stream()
        ex.line(post("1"))
        ex.chunk(b"{not json}\r\n")
        if after == "keep-alive":
            ex.keep_alive()
        elif after == "line":
            ex.line(post("2"))
        elif after == "end":
            ex.end_stream()
        ex.wait_until_client_hangs_up()

    return handle


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("after", ["keep-alive", "line", "end", "nothing"])
def test_a_whole_garbled_line_is_raised_without_reconnect(mode: str, after: str) -> None:
    # Raised as soon as it is read, whatever follows (the server never hangs up first).
    with Loopback(garbled_then(after)) as server:
        with pytest.raises(twitter_api.APIResponseError, match="not valid JSON"):
            read_either(server, FakeTime(gap=1.0), mode, 3)
        assert server.exchanges[0].closed_by_client.wait(WAIT)
    assert targets(server) == [SAMPLE]


def too_many(ex: Exchange) -> None:
    ex.respond(429, {"title": "Too Many Requests"})


def keep_alive_then_cut(ex: Exchange) -> None:
    ex.start_stream()
    ex.keep_alive()
    ex.cut()


@pytest.mark.parametrize("mode", MODES)
def test_a_reconnect_that_sends_only_a_keep_alive_recovers_nothing(mode: str) -> None:
    handler = scripted(
        sends("1"), too_many, too_many, keep_alive_then_cut, sends("1", "2", then="wait")
    )
    with Loopback(handler) as server:
        assert read_either(server, FakeTime(gap=70.0), mode, 2) == ["1", "2"]
    # Every reconnect asks for the whole gap since the first cut, 70 s more each time.
    assert targets(server) == [SAMPLE] + [f"{SAMPLE}?backfill_minutes={m}" for m in (2, 3, 4, 5)]


@pytest.mark.parametrize("mode", MODES)
def test_a_keep_alive_connection_past_the_window_starts_a_new_gap(mode: str) -> None:
    fake = FakeTime(gap=100.0)

    def lives_400_seconds(ex: Exchange) -> None:
        ex.start_stream()
        ex.keep_alive()
        fake.now += 400.0  # the connection stays up, quiet, for longer than the window
        ex.cut()

    handler = scripted(sends("1"), lives_400_seconds, sends("2", then="wait"))
    with Loopback(handler) as server:
        assert read_either(server, fake, mode, 2) == ["1", "2"]
    # The first gap is past recovery; the second one, 100 s, is not.
    assert targets(server) == [SAMPLE] + [f"{SAMPLE}?backfill_minutes=2"] * 2


@pytest.mark.parametrize("mode", MODES)
def test_gaps_are_measured_on_the_monotonic_clock(mode: str) -> None:
    # The wall clock steps back an hour at every reading; only the monotonic one counts.
    wall = [1_700_000_000.0]

    def stepping() -> float:
        wall[0] -= 3600.0
        return wall[0]

    with Loopback(scripted(sends("1", "2"), sends("2", "3", then="wait"))) as server:
        got = read_either(server, FakeTime(gap=70.0), mode, 3, wall=stepping)
    assert got == ["1", "2", "3"]
    assert targets(server) == [SAMPLE, f"{SAMPLE}?backfill_minutes=2"]


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


def test_ids_are_forgotten_with_the_second_they_arrived_in() -> None:
    clock = Clock()
    recovery = _Recovery(minutes=1, cap=100, now=clock)
    for at, post_id in ((0.0, "1"), (0.5, "2"), (0.99, "3"), (1.0, "4"), (1.5, "5")):
        clock.now = at
        assert recovery.is_new(post(post_id))
    clock.now = 60.5  # never forgotten early; "1" and "2" stay until "3", within 1 s, goes
    assert ids_passed(recovery, "1", "2", "3", "4", "5") == []
    clock.now = 61.0
    assert ids_passed(recovery, "1", "2", "3", "4", "5") == ["1", "2", "3"]
    clock.now = 61.5
    assert ids_passed(recovery, "4", "5", "1") == ["4", "5"]
    assert len(recovery._ids) == len(recovery._order) == sum(b.count for b in recovery._buckets)


def test_the_cap_evicts_the_oldest_across_seconds_of_arrival() -> None:
    clock = Clock()
    recovery = _Recovery(minutes=5, cap=3, now=clock)
    for at, post_id in ((0.0, "1"), (0.2, "2"), (2.0, "3"), (4.0, "4"), (4.5, "5")):
        clock.now = at
        assert recovery.is_new(post(post_id))
    assert list(recovery._order) == [3, 4, 5]  # decimal ids are kept as ints
    assert [b.count for b in recovery._buckets] == [1, 2]
    assert ids_passed(recovery, "3", "4", "5", "2") == ["2"]


def test_ids_that_only_read_alike_stay_apart() -> None:
    recovery = _Recovery(minutes=5, cap=100, now=Clock())
    # "07" and the Arabic-Indic digit seven are not the post "7", nor is the number 7.
    assert ids_passed(recovery, "7", "07", "\u0667", "7", "07", "\u0667") == ["7", "07", "\u0667"]
    assert recovery.is_new({"data": {"id": 7}})
    assert sorted(map(repr, recovery._ids)) == ["'07'", "'\u0667'", "7"]


def test_items_without_a_post_id_always_pass() -> None:
    recovery = _Recovery(minutes=1, cap=10, now=Clock())
    for raw in ({"meta": {}}, {"data": {"id": 7}}, {"data": [1]}, [1], {"errors": []}):
        assert recovery.is_new(raw) and recovery.is_new(raw)
    assert not recovery._ids


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"backfill_minutes": -1}, "backfill_minutes must not be negative"),
        ({"recent_ids_max": 0}, "recent_ids_max must be at least 1"),
    ],
)
def test_recovery_options_are_checked(changes: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError) as info:
        StreamOptions(**changes)  # type: ignore[arg-type]
    assert str(info.value) == f"StreamOptions.{message}"


def test_x_streams_recover_up_to_the_five_minutes_of_the_spec() -> None:
    client = twitter_api.Client(auth=BearerToken("t"), base_url="http://127.0.0.1:9")
    assert client.stream_posts_sample().with_options(backfill_minutes=5).options.backfill_minutes
    with pytest.raises(ValueError) as info:
        client.stream_posts_sample().with_options(backfill_minutes=6)
    assert str(info.value) == (
        "StreamOptions.backfill_minutes must be at most 5 for streamPostsSample"
        " (the maximum of its backfill_minutes), not 6"
    )
