"""Streams against a loopback server that stalls, cuts, fails and resumes: items and reconnects.

Backoff bases are shrunk to milliseconds so the suite is fast; the delays each reconnect
chose are read from the log records, never measured.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import socket
import typing
from typing import Any

import anyio
import httpx
import pytest
import twitter_api
from twitter_api._streaming import StreamOptionChanges, StreamOptions, StreamStallError, _Backoff
from twitter_api.auth import BearerToken

from tests.loopback import WAIT, Exchange, Handler, Loopback, scripted

STREAM_PATH = "/2/tweets/search/stream"
FAST = StreamOptions(
    stall_timeout=0.5,
    network_backoff=0.01,
    network_backoff_max=0.03,
    http_backoff=0.02,
    http_backoff_max=0.08,
    rate_limit_backoff=0.05,
    rate_limit_backoff_max=0.2,
)
ERROR_LINE = {
    "errors": [
        {
            "type": "https://api.x.com/2/problems/resource-unavailable",
            "title": "Resource Unavailable",
            "detail": "Post 7 is withheld.",
            "resource_type": "tweet",
        }
    ]
}


def post(n: int) -> dict[str, Any]:
    return {
        "data": {"id": str(n), "text": f"post {n}", "author_id": "42"},
        "matching_rules": [{"id": "1700000000000000001", "tag": "cats"}],
    }


def _stalls_after_three(ex: Exchange) -> None:
    ex.start_stream()
    ex.line(post(1))
    ex.keep_alive()
    ex.line(post(2))
    ex.line(ERROR_LINE)
    ex.line(post(3))
    ex.wait_until_client_hangs_up()  # no byte, not even a keep-alive: a stall


def _cut_mid_line(ex: Exchange) -> None:
    ex.start_stream()
    ex.line(post(4))
    ex.keep_alive()
    ex.chunk(b'{"data": {"id": "99", "te')  # the half line must never be yielded
    ex.cut()


def _unavailable(ex: Exchange) -> None:
    ex.respond(503, {"title": "Service Unavailable", "detail": "Try again later."})


def _resumes(ex: Exchange) -> None:
    ex.start_stream()
    ex.keep_alive()
    ex.line(post(5))
    ex.wait_until_client_hangs_up()


def scenario() -> Handler:
    return scripted(_stalls_after_three, _cut_mid_line, _unavailable, _resumes)


def reconnects(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    """(reason, delay) of each reconnect the stream logged, in order."""
    found = []
    for record in caplog.records:
        m = re.fullmatch(r"(.*); reconnecting in ([0-9.]+)s", record.getMessage())
        if m:
            found.append((m.group(1), m.group(2)))
    return found


def check_scenario(server: Loopback, received: list[Any], caplog: pytest.LogCaptureFixture) -> None:
    assert [type(item).__name__ for item in received] == ["StreamPostsResponse"] * 6
    assert [item.data.id if item.data else None for item in received] == [
        "1", "2", None, "3", "4", "5"
    ]  # fmt: skip
    assert received[0].data.text == "post 1"
    assert received[0].matching_rules[0].tag == "cats"
    problem = received[2].errors[0]
    assert type(problem).__name__ == "ResourceUnavailableProblem"
    assert problem.detail == "Post 7 is withheld."

    assert len(server.requests) == 4
    for request in server.requests:
        assert (request.method, request.path) == ("GET", STREAM_PATH)
        assert request.query == {"expansions": ["author_id"], "tweet.fields": ["created_at"]}
        assert request.headers["authorization"] == "Bearer app-token-1"

    # stall -> network backoff; the next connection delivered data, so the schedule restarted:
    # cut -> network backoff again; then 503 -> HTTP backoff.
    log = reconnects(caplog)
    assert [delay for _, delay in log] == ["0.010", "0.010", "0.020"]
    assert log[0][0] == "streamPosts: no data on /2/tweets/search/stream for 0.5s"
    assert (
        log[1][0] == "streamPosts: connection to /2/tweets/search/stream lost: RemoteProtocolError"
    )
    assert log[2][0].startswith("503 Service Unavailable for GET /2/tweets/search/stream")

    # Leaving the `with` block closed the last connection: the server saw the client hang up.
    assert server.exchanges[-1].closed_by_client.wait(WAIT)


def test_stream_survives_stall_cut_and_503(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="twitter_api")
    with Loopback(scenario()) as server:
        client = twitter_api.Client(auth=BearerToken("app-token-1"), base_url=server.url)
        received: list[Any] = []
        stream = client.stream_posts(expansions=["author_id"], tweet_fields=["created_at"])
        with stream.with_options(FAST) as s:
            items = iter(s)
            for item in items:
                received.append(item)
                if len(received) == 6:
                    break
        # `items` is still alive, so only leaving the block can have closed the connection.
        assert s.connections == 4
        check_scenario(server, received, caplog)
        del items
        client.close()


@pytest.mark.anyio
async def test_async_stream_survives_stall_cut_and_503(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="twitter_api")
    with Loopback(scenario()) as server:
        client = twitter_api.AsyncClient(auth=BearerToken("app-token-1"), base_url=server.url)
        received: list[Any] = []
        stream = client.stream_posts(expansions=["author_id"], tweet_fields=["created_at"])
        async with stream.with_options(FAST) as s:
            items = aiter(s)
            async for item in items:
                received.append(item)
                if len(received) == 6:
                    break
        # `items` is still alive, so only leaving the block can have closed the connection.
        assert s.connections == 4
        check_scenario(server, received, caplog)
        await items.aclose()
        await client.aclose()


def test_503_twice_then_stream(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="twitter_api")
    with Loopback(scripted(_unavailable, _unavailable, _resumes)) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        with client.stream_posts_sample().with_options(FAST) as s:
            first = next(iter(s))
        assert first.data.id == "5"
        assert len(server.requests) == 3
    delays = [
        r.getMessage().rsplit(" ", 1)[1] for r in caplog.records if "reconnecting" in r.message
    ]
    assert delays == ["0.020s", "0.040s"]  # exponential


def test_clean_end_of_body_reconnects(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="twitter_api")

    def ends(ex: Exchange) -> None:
        ex.start_stream()
        ex.line(post(1))
        ex.end_stream()

    with Loopback(scripted(ends, _resumes)) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        with client.stream_posts().with_options(FAST) as s:
            items = iter(s)
            assert [next(items).data.id, next(items).data.id] == ["1", "5"]
        assert len(server.requests) == 2
    assert reconnects(caplog) == [
        ("streamPosts: the server ended the stream /2/tweets/search/stream", "0.010")
    ]


def test_429_on_connect_backs_off_then_streams(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="twitter_api")

    def too_many(ex: Exchange) -> None:
        ex.respond(429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": "1700000000"})

    with Loopback(scripted(too_many, too_many, _resumes)) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        with client.stream_posts().with_options(FAST) as s:
            assert next(iter(s)).data.id == "5"
        assert len(server.requests) == 3
    messages = [r.getMessage() for r in caplog.records if "reconnecting" in r.message]
    assert [m.rsplit(" ", 1)[1] for m in messages] == ["0.050s", "0.100s"]
    assert all(
        m.startswith("429 Too Many Requests for GET /2/tweets/search/stream") for m in messages
    )


def test_429_beyond_max_reconnects_raises_rate_limit_error() -> None:
    def too_many(ex: Exchange) -> None:
        ex.respond(
            429,
            {"title": "Too Many Requests", "detail": "Too many connections"},
            {"x-rate-limit-limit": "50", "x-rate-limit-remaining": "0", "x-rate-limit-reset": "1"},
        )

    with Loopback(too_many) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        stream = client.stream_posts().with_options(FAST, max_reconnects=1)
        with pytest.raises(twitter_api.RateLimitError) as info:
            stream.__enter__()
        assert len(server.requests) == 2
    assert info.value.limit == 50 and info.value.remaining == 0
    assert info.value.reset_at is not None and info.value.reset_at.timestamp() == 1
    assert "Too many connections" in str(info.value)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, "BadRequestError"),
        (401, "AuthenticationError"),
        (403, "PermissionDeniedError"),
        (404, "NotFoundError"),
        (409, "ConflictError"),
    ],
)
def test_client_errors_raise_without_reconnect(status: int, error: str) -> None:
    def refuse(ex: Exchange) -> None:
        ex.respond(status, {"title": "No", "detail": f"status {status}"})

    with Loopback(refuse) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        with pytest.raises(twitter_api.APIStatusError) as info:
            with client.stream_posts().with_options(FAST):
                pass
        assert len(server.requests) == 1
    assert type(info.value).__name__ == error
    assert info.value.status_code == status
    assert f"status {status}" in str(info.value)


def test_max_reconnects_ends_a_dead_stream_with_the_last_error() -> None:
    with Loopback(_unavailable) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        with pytest.raises(twitter_api.ServerError):
            with client.stream_posts().with_options(FAST, max_reconnects=2):
                pass
        assert len(server.requests) == 3


def test_stalls_beyond_max_reconnects_raise_stall_error() -> None:
    def stall(ex: Exchange) -> None:
        ex.start_stream()
        ex.wait_until_client_hangs_up()

    with Loopback(stall) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        with client.stream_posts().with_options(FAST, max_reconnects=1) as s:
            with pytest.raises(StreamStallError) as info:
                list(s)
        assert len(server.requests) == 2
        assert all(ex.closed_by_client.wait(WAIT) for ex in server.exchanges)
    assert isinstance(info.value, twitter_api.APITimeoutError)


def test_invalid_json_line_is_a_clear_error_without_reconnect() -> None:
    def garbled(ex: Exchange) -> None:
        ex.start_stream()
        ex.line(post(1))
        ex.chunk(b"{not json}\r\n")
        ex.wait_until_client_hangs_up()

    with Loopback(garbled) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        items: list[Any] = []
        with pytest.raises(twitter_api.APIResponseError, match="not valid JSON"):
            with client.stream_posts().with_options(FAST) as s:
                for item in s:
                    items.append(item)
        assert [i.data.id for i in items] == ["1"]
        assert len(server.requests) == 1


def test_line_with_trailing_data_is_an_error_and_padded_line_parses() -> None:
    def padded_then_trailing(ex: Exchange) -> None:
        ex.start_stream()
        ex.chunk(b' {"data": {"id": "1", "text": "a"}} \r\n')
        ex.chunk(b'{"data": {"id": "2", "text": "b"}}{"data": {}}\r\n')
        ex.wait_until_client_hangs_up()

    with Loopback(padded_then_trailing) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        items: list[Any] = []
        with pytest.raises(twitter_api.APIResponseError, match=r"not valid JSON.*Extra data"):
            with client.stream_posts().with_options(FAST, max_reconnects=0) as s:
                for item in s:
                    items.append(item)
        assert [(i.data.id, i.data.text) for i in items] == [("1", "a")]


@pytest.mark.parametrize(
    ("ending", "error"),
    [
        (b"\r\n", None),
        (b"\n", None),
        (b" \n", None),
        (b"\t\r\n", None),
        (b"x\n", "Extra data"),
        (b"\rx\n", "Extra data"),
    ],
)
def test_one_character_after_a_post_is_its_line_break_padding_or_an_error(
    ending: bytes, error: str | None
) -> None:
    def one_post(ex: Exchange) -> None:
        ex.start_stream()
        ex.chunk(b'{"data": {"id": "1", "text": "a"}}' + ending)
        ex.chunk(b'{"data": {"id": "2", "text": "b"}}\r\n')
        ex.wait_until_client_hangs_up()

    with Loopback(one_post) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        ids: list[str] = []
        stream = client.stream_posts().with_options(FAST, max_reconnects=0)
        if error is None:
            with stream as s:
                for item in s:
                    ids.append(item.data.id)
                    if len(ids) == 2:
                        break
            assert ids == ["1", "2"]
        else:
            with pytest.raises(twitter_api.APIResponseError, match=f"not valid JSON.*{error}"):
                with stream as s:
                    for item in s:
                        ids.append(item.data.id)
            assert ids == []


def test_xs_disconnect_messages_read_as_problems_of_an_unlisted_kind() -> None:
    # X ends streams with problem types its spec does not list; what every Problem has reads.
    line = {
        "errors": [
            {
                "title": "operational-disconnect",
                "disconnect_type": "UpstreamOperationalDisconnect",
                "detail": "This stream has been disconnected upstream for operational reasons.",
                "type": "https://api.twitter.com/2/problems/operational-disconnect",
            }
        ]
    }

    def disconnect(ex: Exchange) -> None:
        ex.start_stream()
        ex.chunk(json.dumps(line).encode() + b"\r\n")
        ex.wait_until_client_hangs_up()

    with Loopback(disconnect) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        with client.stream_posts_sample().with_options(FAST) as s:
            item = next(iter(s))
    assert item.data is None and item.errors is not None
    (problem,) = item.errors
    assert (problem.title, problem.type) == (
        "operational-disconnect",
        "https://api.twitter.com/2/problems/operational-disconnect",
    )
    assert problem.detail.startswith("This stream has been disconnected")
    assert problem["disconnect_type"] == "UpstreamOperationalDisconnect"


@pytest.mark.parametrize(
    ("line", "got"),
    [(b"[1, 2]", "an array"), (b"null", "null"), (b'"a"', "a string"), (b"7", "a number")],
)
def test_a_line_that_is_not_an_object_is_an_error(line: bytes, got: str) -> None:
    def odd_line(ex: Exchange) -> None:
        ex.start_stream()
        ex.chunk(b'{"data": {"id": "1", "text": "a"}}\r\n' + line + b"\r\n")
        ex.wait_until_client_hangs_up()

    with Loopback(odd_line) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        ids: list[str] = []
        with pytest.raises(
            twitter_api.APIResponseError, match=f"not a JSON object \\(got {got}\\)"
        ):
            with client.stream_posts().with_options(FAST, max_reconnects=0) as s:
                for item in s:
                    ids.append(item.data.id)
        assert ids == ["1"]
        assert len(server.requests) == 1  # not a network fault: no reconnect


def _lines_split_and_separated_oddly(ex: Exchange) -> None:
    ex.start_stream()
    # U+2028 and U+0085 are line breaks to `str.splitlines`, not to a stream: one post each.
    ex.chunk('{"data": {"id": "1", "text": "a\u2028b"}}\r\n'.encode())
    ex.chunk('{"data": {"id": "2", "text": "c\u0085d"}}\n'.encode())
    # A line split across chunks, and a "\r\n" split between two chunks.
    ex.chunk(b'{"data": {"id": "3",')
    ex.chunk(b' "text": "e"}}\r')
    ex.chunk(b"\n\r\n")
    ex.wait_until_client_hangs_up()


def _read_texts(server: Loopback, count: int) -> list[tuple[str, str]]:
    client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
    got: list[tuple[str, str]] = []
    with client.stream_posts().with_options(FAST) as s:
        for item in s:
            got.append((item.data.id, item.data.text))
            if len(got) == count:
                break
    return got


def test_only_line_feeds_end_stream_lines() -> None:
    with Loopback(_lines_split_and_separated_oddly) as server:
        got = _read_texts(server, 3)
    assert got == [("1", "a\u2028b"), ("2", "c\u0085d"), ("3", "e")]
    assert len(server.requests) == 1


@pytest.mark.anyio
async def test_async_stream_lines_end_at_line_feeds_only() -> None:
    with Loopback(_lines_split_and_separated_oddly) as server:
        client = twitter_api.AsyncClient(auth=BearerToken("t"), base_url=server.url)
        got: list[tuple[str, str]] = []
        async with client.stream_posts().with_options(FAST) as s:
            async for item in s:
                got.append((item.data.id, item.data.text))
                if len(got) == 3:
                    break
        await client.aclose()
    assert got == [("1", "a\u2028b"), ("2", "c\u0085d"), ("3", "e")]


def test_a_whole_last_line_without_its_break_is_delivered() -> None:
    def unterminated(ex: Exchange) -> None:
        ex.start_stream()
        ex.line(post(1))
        ex.chunk(json.dumps(post(2)).encode())  # no "\r\n": the body ends here
        ex.end_stream()

    with Loopback(unterminated) as server:
        got = _read_texts(server, 2)
    assert got == [("1", "post 1"), ("2", "post 2")]
    assert len(server.requests) == 1


def test_a_line_without_end_is_refused_once_it_outgrows_the_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from twitter_api import _sync_streaming

    monkeypatch.setattr(_sync_streaming, "MAX_LINE", 1000)

    def endless(ex: Exchange) -> None:
        ex.start_stream()
        ex.line(post(1))
        for _ in range(50):  # never a line break: 5,000 characters and counting
            ex.chunk(b"x" * 100)
        ex.wait_until_client_hangs_up()

    with Loopback(endless) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        items: list[Any] = []
        with pytest.raises(twitter_api.APIResponseError, match="longer than 1,000 characters"):
            with client.stream_posts().with_options(FAST) as s:
                for item in s:
                    items.append(item)
        assert [i.data.id for i in items] == ["1"]
        assert len(server.requests) == 1


def _two_then_garbled(ex: Exchange) -> None:
    ex.start_stream()
    ex.line(post(1))
    ex.line(post(2))
    ex.chunk(b"{not json}\r\n")
    ex.wait_until_client_hangs_up()


ONCE = "a stream can be iterated once: keep its iterator to read on after a `break`"


def test_a_stream_is_iterated_once_after_a_break_or_an_error() -> None:
    with Loopback(_two_then_garbled) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        with client.stream_posts().with_options(FAST) as s:
            items = iter(s)
            assert next(items).data.id == "1"
            with pytest.raises(RuntimeError) as info:
                next(iter(s))
            assert str(info.value) == ONCE
            assert next(items).data.id == "2"  # the first iterator reads on
            with pytest.raises(twitter_api.APIResponseError, match="not valid JSON"):
                next(items)
            with pytest.raises(RuntimeError, match=re.escape(ONCE)):
                next(iter(s))
        assert len(server.requests) == 1
        client.close()


@pytest.mark.anyio
async def test_an_async_stream_is_iterated_once_after_a_break() -> None:
    with Loopback(_two_then_garbled) as server:
        client = twitter_api.AsyncClient(auth=BearerToken("t"), base_url=server.url)
        async with client.stream_posts().with_options(FAST) as s:
            async for item in s:
                assert item.data.id == "1"
                break
            with pytest.raises(RuntimeError) as info:
                async for _ in s:
                    pass
            assert str(info.value) == ONCE
        assert len(server.requests) == 1
        await client.aclose()


@pytest.mark.anyio
async def test_an_async_stream_cancelled_from_outside_closes_its_connection() -> None:
    # anyio cancels every await on the way out of a cancelled scope: closing is shielded.
    def one_then_quiet(ex: Exchange) -> None:
        ex.start_stream()
        ex.line(post(1))
        ex.wait_until_client_hangs_up()

    with Loopback(one_then_quiet) as server:
        client = twitter_api.AsyncClient(auth=BearerToken("t"), base_url=server.url)
        got: list[str] = []
        with anyio.move_on_after(1.0) as scope:
            async with client.stream_posts().with_options(stall_timeout=60.0) as s:
                async for item in s:
                    got.append(item.data.id)
        assert scope.cancelled_caught
        assert got == ["1"]
        assert server.exchanges[0].closed_by_client.wait(WAIT)
        await client.aclose()


class _QuietBody(httpx.AsyncByteStream):
    """A body that sends `first`, then nothing; closing it awaits, as closing a socket may."""

    def __init__(self, first: bytes) -> None:
        self.first = first
        self.closed = False

    async def __aiter__(self) -> typing.AsyncIterator[bytes]:
        yield self.first
        await anyio.sleep_forever()

    async def aclose(self) -> None:
        await anyio.sleep(0)  # a checkpoint: where a cancelled scope would interrupt
        self.closed = True


@pytest.mark.anyio
@pytest.mark.parametrize("status", [200, 503])
async def test_a_cancelled_async_stream_completes_closing_its_response(status: int) -> None:
    # 200: cancelled while reading lines; 503: while reading the error body before a retry.
    body = _QuietBody(json.dumps(post(1)).encode() + b"\r\n")
    transport = httpx.MockTransport(lambda request: httpx.Response(status, stream=body))
    http = httpx.AsyncClient(transport=transport)
    client = twitter_api.AsyncClient(auth=BearerToken("t"), http_client=http)
    with anyio.move_on_after(0.2) as scope:
        async with client.stream_posts().with_options(stall_timeout=60.0) as s:
            async for _ in s:
                pass
    assert scope.cancelled_caught
    assert body.closed
    await http.aclose()


def test_stream_must_be_opened_and_configured_before() -> None:
    client = twitter_api.Client(auth=BearerToken("t"), base_url="http://127.0.0.1:9")
    stream = client.stream_posts()
    with pytest.raises(RuntimeError, match=re.escape("context manager: `with client.op")):
        next(iter(stream))
    async_client = twitter_api.AsyncClient(auth=BearerToken("t"), base_url="http://127.0.0.1:9")

    async def first() -> object:
        return await anext(aiter(async_client.stream_posts()))

    with pytest.raises(RuntimeError, match=re.escape("context manager: `async with client.op")):
        asyncio.run(first())
    with pytest.raises(TypeError):
        stream.with_options(no_such_option=1)
    with pytest.raises(ValueError, match="stall_timeout"):
        stream.with_options(stall_timeout=0)
    assert stream.with_options(stall_timeout=7).options.stall_timeout == 7
    assert stream.options == StreamOptions()


def test_read_timeout_is_set_slightly_above_stall_timeout() -> None:
    client = twitter_api.Client(auth=BearerToken("t"), base_url="http://127.0.0.1:9")
    stream = client.stream_posts().with_options(stall_timeout=20)
    timeout = stream._request.extensions["timeout"]
    assert timeout["read"] == pytest.approx(22.0)
    assert timeout["connect"] == 30.0  # the client's own timeout is kept for the rest


def test_backoff_schedule_follows_x_documentation() -> None:
    b = _Backoff(StreamOptions())
    network = [b.next_delay("network") for _ in range(66)]
    assert network[:4] == [0.25, 0.5, 0.75, 1.0]
    assert network[63:] == [16.0, 16.0, 16.0]
    b.reset()
    assert [b.next_delay("http") for _ in range(8)] == [5, 10, 20, 40, 80, 160, 320, 320]
    assert [b.next_delay("rate_limit") for _ in range(6)] == [60, 120, 240, 480, 960, 960]
    b.reset()
    assert b.next_delay("network") == 0.25  # reset restarts every schedule

    limited = _Backoff(StreamOptions(max_reconnects=2))
    assert limited.next_delay("http") == 5
    assert limited.next_delay("network") == 0.25
    assert limited.next_delay("network") is None
    limited.reset()
    assert limited.next_delay("network") == 0.25


# --- the delays the stream really sleeps, with X's default schedule --------------------------


def _delivers_then_cuts(ex: Exchange) -> None:
    ex.start_stream()
    ex.line(post(4))
    ex.cut()


def _cuts_before_data(ex: Exchange) -> None:
    ex.start_stream()
    ex.cut()


def _too_many(ex: Exchange) -> None:
    ex.respond(429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": "1700000000"})


# 503, 503, 429, data then a cut, a cut before any data, 503, then a working stream.
MIXED = (
    _unavailable,
    _unavailable,
    _too_many,
    _delivers_then_cuts,
    _cuts_before_data,
    _unavailable,
    _resumes,
)
# HTTP errors double from 5 s; the 429 starts at 1 minute; data restarts every schedule, so
# the cut after it waits 250 ms and the next one 500 ms; the HTTP schedule restarted too.
MIXED_DELAYS = [5.0, 10.0, 60.0, 0.25, 0.5, 5.0]


def test_stream_sleeps_the_documented_delays() -> None:
    slept: list[float] = []
    with Loopback(scripted(*MIXED)) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        client._sleep = slept.append  # type: ignore[method-assign]
        with client.stream_posts() as s:
            items = iter(s)
            assert [next(items).data.id, next(items).data.id] == ["4", "5"]
        assert len(server.requests) == 7
    assert slept == MIXED_DELAYS


@pytest.mark.anyio
async def test_async_stream_sleeps_the_documented_delays() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    with Loopback(scripted(*MIXED)) as server:
        client = twitter_api.AsyncClient(auth=BearerToken("t"), base_url=server.url)
        client._sleep = sleep  # type: ignore[method-assign]
        async with client.stream_posts() as s:
            items = aiter(s)
            assert [(await anext(items)).data.id, (await anext(items)).data.id] == ["4", "5"]
        await items.aclose()  # type: ignore[attr-defined]
        await client.aclose()
        assert len(server.requests) == 7
    assert slept == MIXED_DELAYS


def test_failed_connects_sleep_linearly_up_to_16_seconds() -> None:
    with socket.socket() as s:  # a port nothing listens on: every connect is refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    slept: list[float] = []
    client = twitter_api.Client(auth=BearerToken("t"), base_url=f"http://127.0.0.1:{port}")
    client._sleep = slept.append  # type: ignore[method-assign]
    with pytest.raises(
        twitter_api.APIConnectionError,
        match="streamPosts: connection to /2/tweets/search/stream lost: ConnectError",
    ):
        client.stream_posts().with_options(max_reconnects=66).__enter__()
    assert slept == [min(0.25 * n, 16.0) for n in range(1, 67)]
    assert slept[:4] == [0.25, 0.5, 0.75, 1.0] and slept[-3:] == [16.0, 16.0, 16.0]


@pytest.mark.parametrize(
    ("handler", "delays"),
    [
        (_unavailable, [5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 320.0]),
        (_too_many, [60.0, 120.0, 240.0, 480.0, 960.0, 960.0, 960.0, 960.0]),
    ],
    ids=["5xx", "429"],
)
def test_status_errors_sleep_exponentially(handler: Handler, delays: list[float]) -> None:
    slept: list[float] = []
    with Loopback(handler) as server:
        client = twitter_api.Client(auth=BearerToken("t"), base_url=server.url)
        client._sleep = slept.append  # type: ignore[method-assign]
        with pytest.raises(twitter_api.APIStatusError):
            client.stream_posts().with_options(max_reconnects=8).__enter__()
        assert len(server.requests) == 9
    assert slept == delays


def test_with_options_takes_exactly_the_fields_of_stream_options() -> None:
    # The keyword arguments type checkers accept are the options that exist.
    fields = typing.get_type_hints(StreamOptions)
    assert typing.get_type_hints(StreamOptionChanges) == fields
    assert set(fields) == {f.name for f in dataclasses.fields(StreamOptions)}
