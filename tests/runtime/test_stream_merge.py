"""Firehose partitions read through one iterator: every line, each partition's own request,
one close for all, and the first error of any partition raised to the reader."""

from __future__ import annotations

import threading
import time
from typing import Any

import anyio
import pytest
import twitter_api
from twitter_api import AsyncMergedStream, MergedStream, StreamOptions, merge_streams
from twitter_api._stream_merge import _Buffer, _Done
from twitter_api.auth import BearerToken

from tests.loopback import WAIT, Exchange, Loopback

FIREHOSE = "/2/tweets/firehose/stream"
# Reads wait longer than any test: a connection not closed by the client shows as such.
FAST = StreamOptions(stall_timeout=60.0, network_backoff=0.01, max_reconnects=0)
LINES = 30


def partition_of(ex: Exchange) -> int:
    return int(ex.request.query["partition"][0])


def firehose(ex: Exchange, sent: threading.Semaphore | None = None) -> None:
    """Partition p sends LINES posts with ids "p-1" .. "p-LINES", then waits for the hang-up."""
    p = partition_of(ex)
    ex.start_stream()
    for n in range(1, LINES + 1):
        ex.line({"data": {"id": f"{p}-{n}", "text": "x"}})
        if n % 10 == 0 and n < LINES:  # none after the last: the client may be gone
            ex.keep_alive()
    if sent is not None:
        sent.release()
    ex.wait_until_client_hangs_up()


def failing_partition(bad: int, status: int | None = None, others: int = 2) -> Any:
    """Like `firehose`, but partition `bad` answers `status`, or sends a garbled line once the
    `others` have sent all theirs (so each of them sees the client hang up, not a write fail).
    With `status`, the others send headers only: the client closes them as soon as `bad` is
    refused, which would otherwise race their writes."""
    sent = threading.Semaphore(0)

    def handle(ex: Exchange) -> None:
        if partition_of(ex) != bad and status is not None:
            ex.start_stream()
            ex.wait_until_client_hangs_up()
        elif partition_of(ex) != bad:
            firehose(ex, sent)
        elif status is not None:
            ex.respond(status, {"title": "Forbidden", "detail": "partition refused"})
        else:
            ex.start_stream()
            ex.line({"data": {"id": f"{bad}-1", "text": "x"}})
            for _ in range(others):
                assert sent.acquire(timeout=WAIT)
            ex.chunk(b"{garbled\r\n")
            ex.wait_until_client_hangs_up()

    return handle


def expected(partitions: range) -> set[str]:
    return {f"{p}-{n}" for p in partitions for n in range(1, LINES + 1)}


def check_requests(server: Loopback, partitions: range) -> None:
    assert sorted(partition_of(ex) for ex in server.exchanges) == list(partitions)
    for r in server.requests:
        assert (r.path, r.query["tweet.fields"]) == (FIREHOSE, ["created_at"])


def test_merged_partitions_deliver_every_line_and_close_together() -> None:
    partitions = range(1, 5)
    with Loopback(firehose) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        streams = [
            client.stream_posts_firehose(partition=p, tweet_fields=["created_at"]).with_options(
                FAST
            )
            for p in partitions
        ]
        got: list[str] = []
        with merge_streams(streams, buffer=8) as merged:
            assert isinstance(merged, MergedStream)
            for item in merged:
                got.append(item.data.id)
                if len(got) == len(partitions) * LINES:
                    break
        assert all(ex.closed_by_client.wait(WAIT) for ex in server.exchanges)
        client.close()
    assert sorted(got) == sorted(expected(partitions))
    for p in partitions:  # each partition's lines in their own order
        assert [i for i in got if i.startswith(f"{p}-")] == [f"{p}-{n}" for n in range(1, 31)]
    check_requests(server, partitions)


def test_an_error_in_one_partition_reaches_the_reader_and_closes_all() -> None:
    with Loopback(failing_partition(bad=2)) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        streams = [client.stream_posts_firehose(partition=p).with_options(FAST) for p in (1, 2, 3)]
        got: list[str] = []
        with pytest.raises(twitter_api.APIResponseError, match="not valid JSON") as info:
            with merge_streams(streams) as merged:
                for item in merged:
                    got.append(item.data.id)
        assert "2-1" in got
        assert info.value.__notes__ == ["from stream 2 of 3 given to merge_streams"]
        assert all(ex.closed_by_client.wait(WAIT) for ex in server.exchanges)
        client.close()


def refused_once_all_arrived(bad: int, count: int) -> Any:
    """Partition `bad` answers 403 only once every partition's request has arrived (so they
    can only have been sent together); the others send headers and wait for the hang-up."""
    together = threading.Barrier(count, timeout=WAIT)

    def handle(ex: Exchange) -> None:
        together.wait()
        if partition_of(ex) == bad:
            ex.respond(403, {"title": "Forbidden", "detail": "partition refused"})
        else:
            ex.start_stream()
            ex.wait_until_client_hangs_up()

    return handle


def check_refused(server: Loopback) -> None:
    assert sorted(partition_of(ex) for ex in server.exchanges) == [1, 2, 3]
    assert all(ex.closed_by_client.wait(WAIT) for ex in server.exchanges if partition_of(ex) != 2)
    assert not server.errors


def test_a_partition_refused_on_open_raises_and_closes_those_opened() -> None:
    with Loopback(refused_once_all_arrived(bad=2, count=3)) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        streams = [client.stream_posts_firehose(partition=p).with_options(FAST) for p in (1, 2, 3)]
        with pytest.raises(twitter_api.PermissionDeniedError, match="partition refused") as info:
            with merge_streams(streams):
                pass
        assert info.value.__notes__ == ["from stream 2 of 3 given to merge_streams"]
        check_refused(server)
        client.close()


@pytest.mark.anyio
async def test_async_partition_refused_on_open_raises_and_closes_those_opened() -> None:
    with Loopback(refused_once_all_arrived(bad=2, count=3)) as server:
        client = twitter_api.AsyncClient(auth=BearerToken("t"), base_url=server.url)
        streams = [client.stream_posts_firehose(partition=p).with_options(FAST) for p in (1, 2, 3)]
        with pytest.raises(twitter_api.PermissionDeniedError, match="partition refused") as info:
            async with merge_streams(streams):
                pass
        assert info.value.__notes__ == ["from stream 2 of 3 given to merge_streams"]
        check_refused(server)
        await client.aclose()


def unavailable_once() -> Any:
    """Partition 1 answers 503 to its first request; every other request is `firehose`."""
    seen: set[int] = set()
    lock = threading.Lock()

    def handle(ex: Exchange) -> None:
        with lock:
            first = partition_of(ex) not in seen
            seen.add(partition_of(ex))
        if first and partition_of(ex) == 1:
            ex.respond(503, {"title": "Service Unavailable"})
        else:
            firehose(ex)

    return handle


RETRYING = StreamOptions(stall_timeout=60.0, http_backoff=3.0, max_reconnects=1)


def check_read_while_retrying(
    server: Loopback, got: list[str], slept: list[float], read_meanwhile: list[bool]
) -> None:
    assert slept == [3.0]  # partition 1's wait before its second try
    assert read_meanwhile == [True]  # partition 2 was read during that wait
    assert sorted(partition_of(ex) for ex in server.exchanges) == [1, 1, 2]
    for p in (1, 2):
        assert [i for i in got if i.startswith(f"{p}-")] == [f"{p}-{n}" for n in range(1, 31)]


def test_partitions_are_read_while_another_retries_its_connect() -> None:
    with Loopback(unavailable_once()) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        streams = [client.stream_posts_firehose(partition=p).with_options(RETRYING) for p in (1, 2)]
        merged = merge_streams(streams)
        slept: list[float] = []
        read_meanwhile: list[bool] = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            deadline = time.monotonic() + WAIT
            while len(merged._buffer._items) < LINES and time.monotonic() < deadline:
                time.sleep(0.001)
            read_meanwhile.append(len(merged._buffer._items) == LINES)

        client._sleep = sleep  # type: ignore[method-assign]
        got: list[str] = []
        with merged:
            for item in merged:
                got.append(item.data.id)
                if len(got) == 2 * LINES:
                    break
        client.close()
    check_read_while_retrying(server, got, slept, read_meanwhile)


@pytest.mark.anyio
async def test_async_partitions_are_read_while_another_retries_its_connect() -> None:
    with Loopback(unavailable_once()) as server:
        client = twitter_api.AsyncClient(auth=BearerToken("t"), base_url=server.url)
        streams = [client.stream_posts_firehose(partition=p).with_options(RETRYING) for p in (1, 2)]
        merged = merge_streams(streams)
        slept: list[float] = []
        read_meanwhile: list[bool] = []

        def buffered() -> int:
            assert merged._receive is not None
            return merged._receive.statistics().current_buffer_used

        async def sleep(seconds: float) -> None:
            slept.append(seconds)
            deadline = time.monotonic() + WAIT
            while buffered() < LINES and time.monotonic() < deadline:
                await anyio.sleep(0.001)
            read_meanwhile.append(buffered() == LINES)

        client._sleep = sleep  # type: ignore[method-assign]
        got: list[str] = []
        async with merged:
            async for item in merged:
                got.append(item.data.id)
                if len(got) == 2 * LINES:
                    break
        await client.aclose()
    check_read_while_retrying(server, got, slept, read_meanwhile)


@pytest.mark.anyio
async def test_async_merge_cancelled_from_outside_closes_every_connection() -> None:
    # anyio cancels every await on the way out of a cancelled scope: closing is shielded.
    with Loopback(firehose) as server:
        client = twitter_api.AsyncClient(auth=BearerToken("t"), base_url=server.url)
        streams = [client.stream_posts_firehose(partition=p).with_options(FAST) for p in (1, 2)]
        got: list[str] = []
        with anyio.move_on_after(1.0) as scope:
            async with merge_streams(streams) as merged:
                async for item in merged:
                    got.append(item.data.id)
        assert scope.cancelled_caught
        assert len(server.exchanges) == 2
        assert all(ex.closed_by_client.wait(WAIT) for ex in server.exchanges)
        await client.aclose()
    assert sorted(got) == sorted(expected(range(1, 3)))


@pytest.mark.anyio
async def test_async_merged_partitions_deliver_every_line_and_close_together() -> None:
    partitions = range(1, 4)
    with Loopback(firehose) as server:
        client = twitter_api.AsyncClient(auth=BearerToken("t"), base_url=server.url)
        streams = [
            client.stream_posts_firehose(partition=p, tweet_fields=["created_at"]).with_options(
                FAST
            )
            for p in partitions
        ]
        got: list[str] = []
        async with merge_streams(streams, buffer=4) as merged:
            assert isinstance(merged, AsyncMergedStream)
            async for item in merged:
                got.append(item.data.id)
                if len(got) == len(partitions) * LINES:
                    break
        assert all(ex.closed_by_client.wait(WAIT) for ex in server.exchanges)
        await client.aclose()
    assert sorted(got) == sorted(expected(partitions))
    check_requests(server, partitions)


@pytest.mark.anyio
async def test_async_error_in_one_partition_reaches_the_reader_and_closes_all() -> None:
    with Loopback(failing_partition(bad=3)) as server:
        client = twitter_api.AsyncClient(auth=BearerToken("t"), base_url=server.url)
        streams = [client.stream_posts_firehose(partition=p).with_options(FAST) for p in (1, 2, 3)]
        with pytest.raises(twitter_api.APIResponseError, match="not valid JSON") as info:
            async with merge_streams(streams) as merged:
                async for _ in merged:
                    pass
        assert info.value.__notes__ == ["from stream 3 of 3 given to merge_streams"]
        assert all(ex.closed_by_client.wait(WAIT) for ex in server.exchanges)
        await client.aclose()


def test_each_partition_reconnects_with_its_own_backfill() -> None:
    def handle(ex: Exchange) -> None:
        p = partition_of(ex)
        ex.start_stream()
        ex.line({"data": {"id": f"{p}-1", "text": "x"}})
        if p == 2 and ex.request.query.get("backfill_minutes") is None:
            ex.cut()  # partition 2's first connection drops; its reconnect re-sends 2-1
        else:
            ex.line({"data": {"id": f"{p}-2", "text": "x"}})
            ex.wait_until_client_hangs_up()

    recover = StreamOptions(stall_timeout=60.0, network_backoff=0.01, backfill_minutes=5)
    with Loopback(handle) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        clock = [1_700_000_000.0]
        client._monotonic = lambda: clock[0]  # type: ignore[method-assign]
        client._sleep = lambda seconds: clock.__setitem__(0, clock[0] + 90.0)  # type: ignore[method-assign]
        streams = [client.stream_posts_firehose(partition=p).with_options(recover) for p in (1, 2)]
        got: list[str] = []
        with merge_streams(streams) as merged:
            for item in merged:
                got.append(item.data.id)
                if len(got) == 4:
                    break
        client.close()
    assert sorted(got) == ["1-1", "1-2", "2-1", "2-2"]  # 2-1 once: the re-sent copy dropped
    assert sorted(r.target.partition("?")[2] for r in server.requests) == [
        "partition=1",
        "partition=2",
        "partition=2&backfill_minutes=2",
    ]


def test_a_partition_waiting_to_reconnect_does_not_once_closed() -> None:
    def cut(ex: Exchange) -> None:
        ex.start_stream()
        ex.line({"data": {"id": "1-1", "text": "x"}})
        ex.cut()

    sleeping, release = threading.Event(), threading.Event()

    def sleep(seconds: float) -> None:
        sleeping.set()
        release.wait(WAIT)

    with Loopback(cut) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        client._sleep = sleep  # type: ignore[method-assign]
        with merge_streams([client.stream_posts_firehose(partition=1)]) as merged:
            assert next(iter(merged)).data.id == "1-1"
            assert sleeping.wait(WAIT)  # the connection was cut: backing off
        release.set()
        (reader,) = [t for t in threading.enumerate() if t.name == "twitter_api stream 1/1"]
        reader.join(WAIT)
        assert not reader.is_alive()
        assert len(server.requests) == 1
        client.close()


def test_a_full_buffer_holds_writers_until_read_or_closed() -> None:
    buffer: _Buffer[int] = _Buffer(2)
    assert buffer.put(1) and buffer.put(2)
    results: list[bool] = []
    writer = threading.Thread(target=lambda: results.append(buffer.put(3)))
    writer.start()
    assert buffer.get() == 1  # makes room: the waiting writer gets in
    writer.join(WAIT)
    assert results == [True]
    assert [buffer.get(), buffer.get()] == [2, 3]

    buffer = _Buffer(1)
    assert buffer.put(1)
    writer = threading.Thread(target=lambda: results.append(buffer.put(2)))
    writer.start()
    buffer.close()  # the reader is gone: the writer is released and told so
    writer.join(WAIT)
    assert results == [True, False]
    buffer.done(_Done(None))  # a stopping stream never waits for room
    assert isinstance(buffer.get(), _Done)


def test_writers_waiting_for_room_get_in_in_the_order_they_came() -> None:
    # No stream can starve another: the writers of a full buffer are let in first come,
    # first served.
    buffer: _Buffer[str] = _Buffer(1)
    assert buffer.put("first")
    writers = []
    for name in ("a", "b", "c"):
        writer = threading.Thread(target=buffer.put, args=(name,))
        writer.start()
        writers.append(writer)
        waiting = buffer._not_full._waiters  # type: ignore[attr-defined]
        deadline = time.monotonic() + WAIT
        while len(waiting) < len(writers) and time.monotonic() < deadline:
            time.sleep(0.001)  # until this writer waits for room
        assert len(waiting) == len(writers)
    assert [buffer.get() for _ in range(4)] == ["first", "a", "b", "c"]
    for writer in writers:
        writer.join(WAIT)


def test_merge_streams_refuses_what_it_cannot_merge() -> None:
    client = twitter_api.Client(auth=BearerToken("t"), base_url="http://127.0.0.1:9")
    async_client = twitter_api.AsyncClient(auth=BearerToken("t"), base_url="http://127.0.0.1:9")
    one = client.stream_posts_firehose(partition=1)
    cases: list[tuple[Any, Any, str]] = [
        ([], ValueError, "merge_streams: no streams given"),
        ([one, one], ValueError, "merge_streams: stream 2 is given twice"),
        ([one, [1]], TypeError, "merge_streams: item 2 is a list, not a stream"),
        (
            [one, async_client.stream_posts_firehose(partition=2)],
            TypeError,
            "merge_streams: streams of a Client and of an AsyncClient do not mix",
        ),
    ]
    for streams, error, message in cases:
        with pytest.raises(error) as info:
            merge_streams(streams)
        assert str(info.value) == message
    with pytest.raises(ValueError, match="buffer must be a positive int, not 0"):
        merge_streams([one], buffer=0)
    one._opened = True  # as after `with one:`
    with pytest.raises(RuntimeError, match="stream 1 is already open; pass it unopened"):
        merge_streams([one])
