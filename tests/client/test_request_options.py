"""Per-call options, `with_options` and default headers: the exact requests they produce."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import twitter_api
from twitter_api import AsyncClient, Client
from twitter_api.models import CreatePostsRequest


class Recorder:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.status = 200

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return httpx.Response(self.status, json={"data": {"id": "9", "text": "hi"}})

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def _client(rec: Recorder, **kwargs: object) -> Client:
    http = httpx.Client(transport=httpx.MockTransport(rec))
    return Client(http_client=http, base_url="https://h.test", **kwargs)  # type: ignore[arg-type]


def test_per_call_options_reach_the_request() -> None:
    rec = Recorder()
    client = _client(rec, headers={"X-Default": "d", "X-Over": "client"})
    client.get_posts_by_id(
        "20",
        post_fields=["text"],
        timeout=httpx.Timeout(3.0, connect=1.0),
        extra_headers={"X-Over": "call", "X-Call": "c"},
        extra_query={"post.fields": "id", "debug": "1 2"},
    )
    request = rec.last
    # The extra post.fields replaces the spec parameter of the same name.
    assert str(request.url) == "https://h.test/2/tweets/20?post.fields=id&debug=1+2"
    assert request.headers["X-Default"] == "d"
    assert request.headers["X-Over"] == "call"
    assert request.headers["X-Call"] == "c"
    assert request.extensions["timeout"] == {"connect": 1.0, "read": 3.0, "write": 3.0, "pool": 3.0}


def test_extra_query_adds_to_spec_parameters() -> None:
    rec = Recorder()
    _client(rec).get_posts_by_id("20", post_fields=["text", "id"], extra_query={"x": "y"})
    assert str(rec.last.url) == "https://h.test/2/tweets/20?post.fields=text,id&x=y"


def test_timeout_float_none_and_client_default() -> None:
    rec = Recorder()
    client = _client(rec, timeout=7.0)
    client.get_posts_by_id("1")
    assert rec.last.extensions["timeout"]["read"] == 7.0
    client.get_posts_by_id("1", timeout=2.5)
    assert rec.last.extensions["timeout"] == dict.fromkeys(
        ("connect", "read", "write", "pool"), 2.5
    )
    client.get_posts_by_id("1", timeout=None)
    assert rec.last.extensions["timeout"]["read"] is None


def test_extra_body_merges_into_the_json_body() -> None:
    rec = Recorder()
    _client(rec).create_posts(
        body={"text": "hello", "reply_settings": "following"},
        extra_body={"reply_settings": "mentionedUsers", "made_with": "x"},
        extra_headers={"Idempotency-Key": "k1"},
    )
    assert json.loads(rec.last.content) == {
        "text": "hello",
        "reply_settings": "mentionedUsers",
        "made_with": "x",
    }
    assert rec.last.headers["Content-Type"] == "application/json"
    assert rec.last.headers["Idempotency-Key"] == "k1"


def test_extra_body_on_a_non_object_body_is_refused() -> None:
    rec = Recorder()
    with pytest.raises(TypeError, match="extra_body needs a body that is an object"):
        _client(rec).create_posts(body=["x"], extra_body={"a": 1})  # type: ignore[arg-type]
    assert rec.requests == []


def test_with_options_shares_the_pool_and_overrides_settings() -> None:
    rec = Recorder()
    base = _client(rec, headers={"X-A": "1"})
    other = base.with_options(
        timeout=4.0, max_retries=0, headers={"X-B": "2"}, wait_on_rate_limit=True
    )
    assert other._http is base._http
    other.get_posts_by_id("1")
    assert rec.last.headers["X-A"] == "1" and rec.last.headers["X-B"] == "2"
    assert rec.last.extensions["timeout"]["read"] == 4.0
    assert other._settings.max_retries == 0 and other._settings.wait_on_rate_limit is True
    # The original keeps its own settings.
    base.get_posts_by_id("1")
    assert "X-B" not in rec.last.headers
    assert rec.last.extensions["timeout"]["read"] == 30.0
    assert base._settings.max_retries == 2 and base._settings.wait_on_rate_limit is False
    other.close()
    base.get_posts_by_id("1")  # closing the copy leaves the shared pool open


def test_with_options_max_retries_changes_retrying() -> None:
    rec = Recorder()
    rec.status = 503
    client = _client(rec).with_options(max_retries=0)
    with pytest.raises(twitter_api.APIStatusError):
        client.get_posts_by_id("1")
    assert len(rec.requests) == 1


def test_async_per_call_options() -> None:
    rec = Recorder()

    async def main() -> httpx.Request:
        http = httpx.AsyncClient(transport=httpx.MockTransport(rec))
        async with AsyncClient(
            http_client=http, base_url="https://h.test", headers={"X-D": "d"}
        ) as c:
            await c.with_options(headers={"X-W": "w"}).create_posts(
                body={"text": "a"},
                timeout=1.5,
                extra_headers={"X-E": "e"},
                extra_query={"q": "1"},
                extra_body={"b": 2},
            )
        return rec.last

    request = asyncio.run(main())
    assert str(request.url) == "https://h.test/2/tweets?q=1"
    assert json.loads(request.content) == {"text": "a", "b": 2}
    assert [request.headers[h] for h in ("X-D", "X-W", "X-E")] == ["d", "w", "e"]
    assert request.extensions["timeout"]["read"] == 1.5


def test_a_built_request_model_sends_the_spec_default() -> None:
    # The spec defaults CreatePostsRequest.text to "" because the server rejects it absent.
    rec = Recorder()
    client = _client(rec)
    client.create_posts(body=CreatePostsRequest(media={"media_ids": ["5"]}))
    assert json.loads(rec.last.content) == {"media": {"media_ids": ["5"]}, "text": ""}
    client.create_posts(body=CreatePostsRequest(text="hi"))
    assert json.loads(rec.last.content) == {"text": "hi"}
