"""Retries, rate limits, raw access and paging against a real loopback server."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import anyio
import httpx
import pytest
import twitter_api

from tests.loopback import Exchange, Handler, Loopback, scripted

POST = {"id": "20", "text": "hello"}


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Handler:
    return lambda ex: ex.respond(status, body, headers)


def serve(*steps: Handler) -> Loopback:
    """A loopback server answering the n-th request with the n-th step."""
    return Loopback(scripted(*steps))


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _client(base_url: str, **kwargs: Any) -> twitter_api.Client:
    return twitter_api.Client(base_url=base_url, **kwargs)


def test_get_retried_after_503_twice_then_parsed() -> None:
    unavailable = answer(503, {"title": "Service Unavailable"}, {"retry-after": "0"})
    with serve(unavailable, unavailable, answer(200, {"data": POST})) as server:
        with _client(server.url) as client:
            post = client.get_posts_by_id("20")
    assert post.data.text == "hello"
    assert [r.path for r in server.requests] == ["/2/tweets/20"] * 3


def test_get_gives_up_after_max_retries() -> None:
    with serve(answer(500, {"title": "boom"}, {"retry-after": "0"})) as server:
        with _client(server.url, max_retries=1) as client:
            with pytest.raises(twitter_api.ServerError) as info:
                client.get_posts_by_id("20")
    assert info.value.status_code == 500
    assert len(server.requests) == 2


def test_post_is_never_retried_after_reaching_the_server() -> None:
    steps = (answer(503, {"title": "x"}, {"retry-after": "0"}), answer(201, {"data": POST}))
    with serve(*steps) as server, _client(server.url) as client:
        with pytest.raises(twitter_api.ServerError):
            client.create_posts(body={"text": "once"})
    assert len(server.requests) == 1


def test_post_retried_when_connect_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("twitter_api._base_client.random.uniform", lambda a, b: 0.0)
    client = _client(f"http://127.0.0.1:{closed_port()}", max_retries=2)
    attempts: list[httpx.Request] = []
    original = client._http.send

    def counting_send(request: httpx.Request, **kwargs: Any) -> httpx.Response:
        attempts.append(request)
        return original(request, **kwargs)

    monkeypatch.setattr(client._http, "send", counting_send)
    with pytest.raises(twitter_api.APIConnectionError, match="connection failed: POST /2/tweets"):
        client.create_posts(body={"text": "x"})
    assert len(attempts) == 3  # the request never reached a server: safe to retry


def test_connection_reset_mid_body_is_retried_for_get() -> None:
    body = b'{"data": {"id": "20", "text": "hello"}}'

    def reset(ex: Exchange) -> None:
        ex.respond_raw(200, body, reset_after=10)

    with serve(reset, lambda ex: ex.respond_raw(200, body)) as server:
        with _client(server.url) as client:
            post = client.get_posts_by_id("20")
    assert post.data.id == "20"
    assert len(server.requests) == 2


def test_truncated_json_is_a_clear_error_without_retries() -> None:
    with serve(lambda ex: ex.respond_raw(200, b'{"data": {"id": "20", "te')) as server:
        client = _client(server.url)
        with pytest.raises(
            twitter_api.APIResponseError, match="getPostsById: the response body is not valid JSON"
        ):
            client.get_posts_by_id("20")
    assert len(server.requests) == 1


def test_rate_limit_raises_with_reset_by_default() -> None:
    reset = int(time.time()) + 3
    headers = {
        "x-rate-limit-limit": "300",
        "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": str(reset),
    }
    with serve(answer(429, {"title": "Too Many Requests"}, headers)) as server:
        with _client(server.url) as client, pytest.raises(twitter_api.RateLimitError) as info:
            client.get_posts_by_id("20")
    assert int(info.value.reset_at.timestamp()) == reset
    assert (info.value.limit, info.value.remaining) == (300, 0)
    assert len(server.requests) == 1


def test_rate_limit_and_raw_response_are_reachable() -> None:
    headers = {
        "x-rate-limit-limit": "900",
        "x-rate-limit-remaining": "899",
        "x-rate-limit-reset": "1700000000",
        "x-custom": "yes",
    }
    with serve(answer(200, {"data": POST}, headers)) as server, _client(server.url) as c:
        post = c.get_posts_by_id("20")
        raw = c.with_raw_response(c.get_posts_by_id, "20", post_fields=["text"])
    assert post.rate_limit is not None and post.rate_limit.remaining == 899
    assert post.http_response is not None and post.http_response.headers["x-custom"] == "yes"
    assert post.data.rate_limit is None  # nested models carry no response
    assert raw.status_code == 200 and raw.headers["x-custom"] == "yes"
    assert raw.rate_limit.limit == 900
    assert raw.parse().data.text == "hello"


def _pages(ex: Exchange) -> None:
    token = ex.request.query.get("pagination_token", [None])[0]
    page = {None: 1, "t2": 2, "t3": 3}[token]
    meta: dict[str, Any] = {"result_count": 2}
    if page < 3:
        meta["next_token"] = f"t{page + 1}"
    data = [{"id": f"{page}{i}", "text": f"p{page}"} for i in range(2)]
    ex.respond(200, {"data": data, "meta": meta})


def test_paginate_walks_every_page_and_stops() -> None:
    with Loopback(_pages) as server, _client(server.url) as client:
        pages = list(client.paginate(client.get_users_posts, id="42", max_results=2))
        ids = [p.id for p in client.paginate(client.get_users_posts, id="42").items()]
        limited = list(client.paginate(client.get_users_posts, id="42", limit=2))
    assert len(pages) == 3
    assert ids == ["10", "11", "20", "21", "30", "31"]
    assert len(limited) == 2
    first = server.requests[0]
    assert first.path == "/2/users/42/tweets" and first.query == {"max_results": ["2"]}
    assert server.requests[1].query == {"max_results": ["2"], "pagination_token": ["t2"]}


def test_paginate_max_items_stops_items_and_requests() -> None:
    with Loopback(_pages) as server, _client(server.url) as client:
        ids = [p.id for p in client.paginate(client.get_users_posts, id="42", max_items=3).items()]
        # The second page brings the count to 4 >= 3: no third page is requested.
        assert len(server.requests) == 2
        pages = list(client.paginate(client.get_users_posts, id="42", max_items=2))
        before = len(server.requests)
        none = list(client.paginate(client.get_users_posts, id="42", max_items=0).items())
        assert len(server.requests) == before  # no item wanted: no page requested
    assert ids == ["10", "11", "20"]
    assert len(pages) == 1
    assert none == []


def test_paginate_refuses_a_bad_bound() -> None:
    client = twitter_api.Client()
    with pytest.raises(ValueError, match="paginate: max_items must be a whole number"):
        client.paginate(client.get_users_posts, id="1", max_items=-1)
    with pytest.raises(ValueError, match="paginate: limit must be a whole number"):
        client.paginate(client.get_users_posts, id="1", limit="2")  # type: ignore[arg-type]


def _pages_looping_back(ex: Exchange) -> None:
    """Page 3 hands out page 2's token again, as a misbehaving server might."""
    token = ex.request.query.get("pagination_token", [None])[0]
    page = {None: 1, "t2": 2, "t3": 3}[token]
    next_token = {1: "t2", 2: "t3", 3: "t2"}[page]
    data = [{"id": f"{page}0", "text": f"p{page}"}]
    ex.respond(200, {"data": data, "meta": {"result_count": 1, "next_token": next_token}})


def test_paginate_stops_with_an_error_when_a_token_repeats() -> None:
    pages: list[Any] = []
    with Loopback(_pages_looping_back) as server, _client(server.url) as client:
        with pytest.raises(twitter_api.APIResponseError) as info:
            for page in client.paginate(client.get_users_posts, id="42"):
                pages.append(page)
    assert str(info.value) == (
        "get_users_posts: page 3 returned next_token 't2', which this iteration already "
        "requested; stopping instead of requesting the same pages again"
    )
    assert info.value.response.request.url.params["pagination_token"] == "t3"
    assert [p.data[0].id for p in pages] == ["10", "20", "30"]
    assert len(server.requests) == 3


def test_paginate_counts_the_starting_token_as_seen() -> None:
    with Loopback(_pages_looping_back) as server, _client(server.url) as client:
        with pytest.raises(twitter_api.APIResponseError, match="page 2 returned next_token 't2'"):
            list(client.paginate(client.get_users_posts, id="42", pagination_token="t2").items())
    assert [r.query.get("pagination_token") for r in server.requests] == [["t2"], ["t3"]]


def test_async_paginate_stops_when_a_token_repeats() -> None:
    async def main(url: str) -> list[str]:
        ids: list[str] = []
        async with twitter_api.AsyncClient(base_url=url) as client:
            with pytest.raises(twitter_api.APIResponseError, match="page 3 returned next_token"):
                async for post in client.paginate(client.get_users_posts, id="42").items():
                    ids.append(post.id)
        return ids

    with Loopback(_pages_looping_back) as server:
        assert asyncio.run(main(server.url)) == ["10", "20", "30"]
    assert len(server.requests) == 3


def test_paginate_refuses_an_operation_without_pages() -> None:
    client = twitter_api.Client()
    with pytest.raises(TypeError, match="get_posts_by_id is not a paginated operation"):
        client.paginate(client.get_posts_by_id, id="1")


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_async_client_retries_and_paginates(backend: str) -> None:
    # On trio too: the retry's wait sleeps on whichever event loop runs the client.
    async def main(url: str) -> tuple[str, list[str]]:
        async with twitter_api.AsyncClient(base_url=url) as client:
            post = await client.get_posts_by_id("20")
            ids = [p.id async for p in client.paginate(client.get_users_posts, id="7").items()]
            raw = await client.with_raw_response(client.get_posts_by_id, "20")
            return post.data.text, [*ids, raw.parse().data.id]

    calls = {"n": 0}

    def handle(ex: Exchange) -> None:
        if ex.request.path == "/2/tweets/20":
            calls["n"] += 1
            if calls["n"] == 1:
                ex.respond(502, {"title": "bad gateway"}, {"retry-after": "0"})
            else:
                ex.respond(200, {"data": POST})
        else:
            _pages(ex)

    with Loopback(handle) as server:
        text, ids = anyio.run(main, server.url, backend=backend)
    assert text == "hello"
    assert ids == ["10", "11", "20", "21", "30", "31", "20"]
