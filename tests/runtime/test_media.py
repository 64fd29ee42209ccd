"""Chunked media upload against a loopback media endpoint that reassembles what it receives."""

from __future__ import annotations

import asyncio
import io
import math
import threading
from pathlib import Path
from typing import Any

import pytest
import twitter_api
from twitter_api._media import MediaUploadError, upload_media, upload_media_async
from twitter_api.auth import OAuth2UserToken

from tests.loopback import Exchange, Loopback

MEDIA_ID = "1880028106020515840"
CHUNK = 1000
# 2.5 chunks of bytes that are not a repeating pattern, so a misordered chunk is caught.
FILE = bytes((i * 7 + i // 256) % 256 for i in range(2500))


class MediaServer:
    """X's upload endpoints: keeps the segments it gets and answers status polls in order."""

    def __init__(self, finalize_info: dict[str, Any] | None, statuses: list[dict[str, Any]]):
        self.finalize_info = finalize_info
        self.statuses = list(statuses)
        self.segments: dict[int, bytes] = {}
        self.lock = threading.Lock()

    def __call__(self, ex: Exchange) -> None:
        r = ex.request
        if (r.method, r.path) == ("POST", "/2/media/upload/initialize"):
            ex.respond(200, {"data": {"id": MEDIA_ID, "media_key": f"7_{MEDIA_ID}"}})
        elif (r.method, r.path) == ("POST", f"/2/media/upload/{MEDIA_ID}/append"):
            parts = r.multipart()
            with self.lock:
                self.segments[int(parts["segment_index"].data)] = parts["media"].data
            ex.respond(200, {"data": {"expires_at": 1700086400}})
        elif (r.method, r.path) == ("POST", f"/2/media/upload/{MEDIA_ID}/finalize"):
            data: dict[str, Any] = {"id": MEDIA_ID, "media_key": f"7_{MEDIA_ID}", "size": 2500}
            if self.finalize_info is not None:
                data["processing_info"] = self.finalize_info
            ex.respond(200, {"data": data})
        elif (r.method, r.path) == ("GET", "/2/media/upload"):
            info = self.statuses.pop(0)
            ex.respond(200, {"data": {"id": MEDIA_ID, "processing_info": info}})
        else:
            ex.respond(404, {"title": "Not Found", "detail": r.path})

    def reassembled(self) -> bytes:
        return b"".join(self.segments[i] for i in sorted(self.segments))


PROCESSING = (
    {"state": "pending", "check_after_secs": 2},
    [
        {"state": "in_progress", "check_after_secs": 3, "progress_percent": 40},
        {"state": "succeeded", "progress_percent": 100},
    ],
)


def _client(url: str) -> twitter_api.Client:
    return twitter_api.Client(auth=OAuth2UserToken("user-token-9"), base_url=url)


def check_requests(server: Loopback, media_server: MediaServer, media_type: str) -> None:
    sequence = [(r.method, r.path) for r in server.requests]
    assert sequence == [
        ("POST", "/2/media/upload/initialize"),
        ("POST", f"/2/media/upload/{MEDIA_ID}/append"),
        ("POST", f"/2/media/upload/{MEDIA_ID}/append"),
        ("POST", f"/2/media/upload/{MEDIA_ID}/append"),
        ("POST", f"/2/media/upload/{MEDIA_ID}/finalize"),
        ("GET", "/2/media/upload"),
        ("GET", "/2/media/upload"),
    ]
    init = server.requests[0]
    assert init.headers["content-type"] == "application/json"
    assert init.json() == {
        "media_category": "tweet_video",
        "media_type": media_type,
        "total_bytes": 2500,
    }
    appends = server.requests[1:4]
    for index, request in enumerate(appends):
        assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
        parts = request.multipart()
        assert sorted(parts) == ["media", "segment_index"]
        assert parts["segment_index"].data == str(index).encode()
        assert parts["media"].content_type == "application/octet-stream"
        assert len(parts["media"].data) == [1000, 1000, 500][index]
    assert media_server.reassembled() == FILE
    for status in server.requests[5:]:
        assert status.query == {"media_id": [MEDIA_ID], "command": ["STATUS"]}
    assert {r.headers["authorization"] for r in server.requests} == {"Bearer user-token-9"}


@pytest.mark.parametrize("kind", ["path", "bytes", "file object", "unseekable", "short reads"])
def test_upload_in_chunks_then_poll_until_processed(kind: str, tmp_path: Path) -> None:
    media_server = MediaServer(*PROCESSING)
    path = tmp_path / "clip.mp4"
    path.write_bytes(FILE)
    source: Any = {
        "path": path,
        "bytes": FILE,
        "file object": io.BytesIO(b"skipped header" + FILE),
        "unseekable": _Unseekable(FILE),
        "short reads": _ShortReads(FILE),
    }[kind]
    if kind == "file object":
        source.seek(len(b"skipped header"))  # uploads from the current position
    progress: list[tuple[int, int]] = []
    slept: list[float] = []
    with Loopback(media_server) as server:
        result = upload_media(
            _client(server.url),
            source,
            media_category="tweet_video",
            media_type=None if kind == "path" else "video/mp4",
            chunk_size=CHUNK,
            progress=lambda sent, total: progress.append((sent, total)),
            sleep=slept.append,
        )
    check_requests(server, media_server, "video/mp4")
    assert progress == [(1000, 2500), (2000, 2500), (2500, 2500)]
    assert slept == [2.0, 3.0]  # each wait is the check_after_secs X gave
    assert type(result).__name__ == "GetMediaUploadStatusResponse"
    assert result.data is not None and result.data.id == MEDIA_ID
    assert result.data.processing_info is not None
    assert result.data.processing_info.state == "succeeded"


@pytest.mark.anyio
async def test_async_upload_in_chunks_then_poll(tmp_path: Path) -> None:
    media_server = MediaServer(*PROCESSING)
    path = tmp_path / "clip.bin"
    path.write_bytes(FILE)
    progress: list[tuple[int, int]] = []
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    with Loopback(media_server) as server:
        client = twitter_api.AsyncClient(auth=OAuth2UserToken("user-token-9"), base_url=server.url)
        result = await upload_media_async(
            client,
            path,
            media_category="tweet_video",
            media_type="video/quicktime",
            chunk_size=CHUNK,
            progress=lambda sent, total: progress.append((sent, total)),
            sleep=sleep,
        )
        await client.aclose()
    check_requests(server, media_server, "video/quicktime")
    assert progress == [(1000, 2500), (2000, 2500), (2500, 2500)]
    assert slept == [2.0, 3.0]
    assert result.data is not None and result.data.processing_info is not None
    assert result.data.processing_info.state == "succeeded"


def test_image_needs_no_processing_and_returns_the_finalize_response() -> None:
    media_server = MediaServer(None, [])
    slept: list[float] = []
    with Loopback(media_server) as server:
        result = upload_media(
            _client(server.url),
            FILE[:700],
            media_category="tweet_image",
            media_type="image/png",
            chunk_size=CHUNK,
            additional_owners=["2244994945"],
            sleep=slept.append,
        )
    assert [r.path.rsplit("/", 1)[1] for r in server.requests] == [
        "initialize", "append", "finalize"
    ]  # fmt: skip
    assert server.requests[0].json()["additional_owners"] == ["2244994945"]
    assert media_server.reassembled() == FILE[:700]
    assert slept == []
    assert type(result).__name__ == "FinalizeMediaUploadResponse"
    assert result.data is not None and result.data.media_key == f"7_{MEDIA_ID}"


def test_failed_processing_raises_with_the_reason() -> None:
    failed = {"state": "failed", "error": {"code": 1, "name": "InvalidMedia", "message": "Bad"}}
    media_server = MediaServer({"state": "in_progress", "check_after_secs": 1}, [failed])
    with Loopback(media_server) as server:
        with pytest.raises(MediaUploadError, match="failed processing: Bad") as info:
            upload_media(
                _client(server.url),
                FILE,
                media_category="tweet_video",
                media_type="video/mp4",
                chunk_size=CHUNK,
                sleep=lambda s: None,
            )
    assert info.value.media_id == MEDIA_ID and info.value.state == "failed"
    assert isinstance(info.value, twitter_api.APIError)


class Clock:
    """A monotonic clock that moves when the helper sleeps and while the server answers."""

    def __init__(self, per_request: float = 0.0) -> None:
        self.now = 5000.0
        self.per_request = per_request
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def serving(self, media_server: MediaServer) -> Any:
        def handle(ex: Exchange) -> None:
            self.now += self.per_request
            media_server(ex)

        return handle


def _upload(url: str, clock: Clock, is_async: bool, **kwargs: Any) -> Any:
    options: dict[str, Any] = {
        "media_category": "tweet_video",
        "media_type": "video/mp4",
        "chunk_size": CHUNK,
        "clock": clock,
        **kwargs,
    }
    if not is_async:
        return upload_media(_client(url), FILE, sleep=clock.sleep, **options)

    async def main() -> Any:
        async with twitter_api.AsyncClient(
            auth=OAuth2UserToken("user-token-9"), base_url=url
        ) as client:
            return await upload_media_async(client, FILE, sleep=clock.async_sleep, **options)

    return asyncio.run(main())


ASYNC = pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])


@ASYNC
def test_processing_that_never_ends_is_bounded(is_async: bool) -> None:
    forever = {"state": "in_progress", "check_after_secs": 5}
    media_server = MediaServer(forever, [forever] * 10)
    clock = Clock()
    with Loopback(clock.serving(media_server)) as server:
        with pytest.raises(MediaUploadError, match="still in_progress after 15s"):
            _upload(server.url, clock, is_async, max_processing_wait=17)
        assert len(server.requests) == 1 + 3 + 1 + 3
    assert clock.slept == [5.0, 5.0, 5.0]


@ASYNC
def test_processing_wait_counts_real_time_not_advertised_delays(is_async: bool) -> None:
    # Each status request takes 4 s: three polls use 15 s of real time, though X asked for
    # only 3 s of pauses in all.
    quick = {"state": "in_progress", "check_after_secs": 1}
    media_server = MediaServer(quick, [quick] * 10)
    clock = Clock(per_request=4.0)
    with Loopback(clock.serving(media_server)) as server:
        with pytest.raises(MediaUploadError, match="still in_progress after 15s") as info:
            _upload(server.url, clock, is_async, max_processing_wait=12)
        assert [r.method for r in server.requests].count("GET") == 3
    assert clock.slept == [1.0, 1.0, 1.0]
    assert info.value.media_id == MEDIA_ID and info.value.state == "in_progress"


@ASYNC
def test_check_after_zero_still_pauses_between_polls(is_async: bool) -> None:
    now = {"state": "in_progress", "check_after_secs": 0}
    done = {"state": "succeeded", "progress_percent": 100}
    media_server = MediaServer(now, [now, now, done])
    clock = Clock()
    with Loopback(clock.serving(media_server)) as server:
        result = _upload(server.url, clock, is_async)
        assert [r.method for r in server.requests].count("GET") == 3
    assert clock.slept == [1.0, 1.0, 1.0]  # the floor, not zero
    assert result.data.processing_info.state == "succeeded"


@ASYNC
@pytest.mark.parametrize("wait", [math.nan, math.inf, -1.0, "600"], ids=repr)
def test_a_processing_wait_that_never_ends_is_refused_before_sending(
    is_async: bool, wait: Any
) -> None:
    # NaN never compares greater: against a server that is always in_progress, it polled on.
    forever = {"state": "in_progress", "check_after_secs": 5}
    media_server = MediaServer(forever, [forever] * 10)
    clock = Clock()
    with Loopback(clock.serving(media_server)) as server:
        with pytest.raises(ValueError) as info:
            _upload(server.url, clock, is_async, max_processing_wait=wait)
        assert server.requests == []
    assert str(info.value) == (
        f"max_processing_wait must be a finite number of seconds >= 0, not {wait!r}"
    )


def test_http_error_during_append_stops_the_upload() -> None:
    def handler(ex: Exchange) -> None:
        if ex.request.path.endswith("/initialize"):
            ex.respond(200, {"data": {"id": MEDIA_ID}})
        else:
            ex.respond(400, {"title": "Invalid Request", "detail": "segment too large"})

    with Loopback(handler) as server:
        with pytest.raises(twitter_api.BadRequestError, match="segment too large"):
            upload_media(
                _client(server.url), FILE, media_category="tweet_video", media_type="video/mp4"
            )
        assert len(server.requests) == 2  # one append, then nothing more


def test_inputs_are_checked_before_anything_is_sent() -> None:
    client = _client("http://127.0.0.1:9")  # nothing listens: any request would fail
    with pytest.raises(ValueError, match="empty"):
        upload_media(client, b"", media_category="tweet_image", media_type="image/png")
    with pytest.raises(ValueError, match="media_type is required"):
        upload_media(client, b"abc", media_category="tweet_image")
    with pytest.raises(ValueError, match="chunk_size"):
        upload_media(client, b"abc", media_category="tweet_image", chunk_size=0)


class _Unseekable(io.RawIOBase):
    """A pipe-like file: no seek, and reads return at most 300 bytes."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), 300, len(self._data) - self._pos)
        buffer[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


class _ShortReads(io.BytesIO):
    """A seekable file whose reads return at most 300 bytes, as raw files may."""

    def read(self, size: int | None = -1) -> bytes:
        return super().read(300 if size is None or size < 0 else min(size, 300))


def test_client_upload_media_method_sync_and_async() -> None:
    """`client.upload_media` is the helper bound to the client (an image: no polling)."""
    import asyncio

    media_server = MediaServer(None, [])
    progress: list[tuple[int, int]] = []
    with Loopback(media_server) as server:
        result = _client(server.url).upload_media(
            FILE[:1500],
            media_category="tweet_image",
            media_type="image/png",
            chunk_size=CHUNK,
            progress=lambda sent, total: progress.append((sent, total)),
        )

        async def upload_async() -> Any:
            client = twitter_api.AsyncClient(
                auth=OAuth2UserToken("user-token-9"), base_url=server.url
            )
            async with client:
                return await client.upload_media(
                    FILE[:700], media_category="tweet_image", media_type="image/png"
                )

        async_result = asyncio.run(upload_async())
    assert progress == [(1000, 1500), (1500, 1500)]
    assert type(result).__name__ == "FinalizeMediaUploadResponse"
    assert result.data is not None and result.data.media_key == f"7_{MEDIA_ID}"
    assert type(async_result).__name__ == "FinalizeMediaUploadResponse"
    assert [r.path.rsplit("/", 1)[1] for r in server.requests] == [
        "initialize", "append", "append", "finalize", "initialize", "append", "finalize"
    ]  # fmt: skip
