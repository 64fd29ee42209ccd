"""The exact requests generated methods send, captured with httpx.MockTransport."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import httpx
import pytest

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    def __init__(self, respond: Handler | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.respond = respond or (lambda r: httpx.Response(200, json={"data": {"id": "1"}}))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.respond(request)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def _client(api: ModuleType, recorder: Recorder, **kwargs: Any) -> Any:
    return api.Client(http_client=httpx.Client(transport=httpx.MockTransport(recorder)), **kwargs)


def test_path_and_csv_query(mini_api: ModuleType) -> None:
    rec = Recorder()
    client = _client(mini_api, rec, base_url="https://h.test/base/")
    client.get_item_by_id("a/b c", item_fields=["id", "name"])
    assert rec.last.method == "GET"
    assert str(rec.last.url) == "https://h.test/base/items/a%2Fb%20c?item.fields=id,name"
    assert rec.last.headers["accept"] == "application/json, application/problem+json"
    assert rec.last.headers["user-agent"] == "mini_api/1.0.0 (spec 1.2)"
    assert "authorization" not in rec.last.headers
    assert rec.last.content == b""


def test_query_styles_types_and_omitted_none(mini_api: ModuleType) -> None:
    rec = Recorder(lambda r: httpx.Response(200, json={"data": []}))
    client = _client(mini_api, rec)
    client.list_items(
        tags=["a,b", "c"],
        item_fields=["id", "tags"],
        since=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        include_hidden=False,
        max_results=10,
    )
    # explode:true repeats the key; explode:false joins once with literal commas and
    # percent-encodes commas inside items; None parameters are left out.
    assert rec.last.url.query == (
        b"include_hidden=false&item.fields=id,tags&max_results=10"
        b"&since=2024-05-01T12%3A00%3A00Z&tags=a%2Cb&tags=c"
    )


def test_empty_path_parameter_is_refused_before_sending(mini_api: ModuleType) -> None:
    rec = Recorder()
    client = _client(mini_api, rec)
    with pytest.raises(ValueError, match="path parameter 'id' must not be empty"):
        client.get_item_by_id("")
    assert rec.requests == []


def test_json_body_from_model_and_from_mapping(mini_api: ModuleType) -> None:
    rec = Recorder(lambda r: httpx.Response(201, json={"data": {"id": "9", "name": "n"}}))
    client = _client(mini_api, rec)
    from mini_api.models import CreateItemRequest, Owner

    created = client.create_item(
        body=CreateItemRequest(name="héllo", tags=["x"], owner=Owner(username="u"))
    )
    assert rec.last.method == "POST"
    assert rec.last.headers["content-type"] == "application/json"
    assert json.loads(rec.last.content) == {
        "name": "héllo",
        "tags": ["x"],
        "owner": {"username": "u"},
    }
    assert created.data.id == "9"
    client.create_item(body={"name": "m", "extra_wire_field": True})
    assert json.loads(rec.last.content) == {"name": "m", "extra_wire_field": True}


def test_multipart_body_when_bytes_or_file_are_given(mini_api: ModuleType) -> None:
    rec = Recorder(lambda r: httpx.Response(200, json={"data": {"media_key": "k"}}))
    client = _client(mini_api, rec)
    result = client.upload_item_media("7", body={"media": b"\x00\x01binary", "segment_index": 2})
    ctype = rec.last.headers["content-type"]
    assert ctype.startswith("multipart/form-data; boundary=")
    body = rec.last.content
    assert b'name="segment_index"\r\n\r\n2\r\n' in body
    assert b'name="media"; filename="upload"' in body or b'name="media"' in body
    assert b"\x00\x01binary" in body
    assert result.data.media_key == "k"
    client.upload_item_media("7", body={"media": io.BytesIO(b"filedata"), "segment_index": 3})
    assert b"filedata" in rec.last.content
    # A base64 string goes as JSON, as the spec allows.
    client.upload_item_media("7", body={"media": "AAE=", "segment_index": 4})
    assert rec.last.headers["content-type"] == "application/json"
    assert json.loads(rec.last.content) == {"media": "AAE=", "segment_index": 4}


def test_octet_stream_response_is_bytes(mini_api: ModuleType) -> None:
    payload = bytes(range(256))
    rec = Recorder(
        lambda r: httpx.Response(
            200, content=payload, headers={"content-type": "application/octet-stream"}
        )
    )
    client = _client(mini_api, rec)
    assert client.download_item_media("5") == payload
    assert rec.last.headers["accept"] == "application/octet-stream"


def test_empty_response_returns_none(mini_api: ModuleType) -> None:
    rec = Recorder(lambda r: httpx.Response(204))
    client = _client(mini_api, rec)
    assert client.delete_item("5") is None
    assert rec.last.method == "DELETE"
    assert rec.last.url.path == "/items/5"


def test_x_field_lists_are_comma_joined_once() -> None:
    import twitter_api

    rec = Recorder(lambda r: httpx.Response(200, json={"data": [{"id": "1", "text": "t"}]}))
    client = _client(twitter_api, rec)
    client.get_posts_by_ids(
        ids=["20", "21"],
        post_fields=["created_at", "text"],
        expansions=["author_id"],
        user_fields=["username"],
    )
    assert str(rec.last.url) == (
        "https://api.x.com/2/tweets?ids=20,21&expansions=author_id"
        "&post.fields=created_at,text&user.fields=username"
    )


def test_request_passthrough_uses_same_transport_and_errors() -> None:
    import twitter_api

    rec = Recorder(lambda r: httpx.Response(200, json={"ok": True}))
    client = _client(twitter_api, rec)
    response = client.request("post", "/2/custom/thing", params={"a": "1"}, json={"k": [1]})
    assert isinstance(response, httpx.Response)
    assert response.json() == {"ok": True}
    assert rec.last.method == "POST"
    assert str(rec.last.url) == "https://api.x.com/2/custom/thing?a=1"
    assert json.loads(rec.last.content) == {"k": [1]}
