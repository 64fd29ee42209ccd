"""Chunked media upload over the spec's operations, for files of any size.

    initializeMediaUpload  ->  appendMediaUpload x N (multipart, segment_index 0..N-1)
    ->  finalizeMediaUpload  ->  getMediaUploadStatus while processing is pending/in_progress

The helper calls the client's generated methods, so auth, retries and errors are the
client's own. Written once for AsyncClient; the sync twin is derived from it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from time import monotonic
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ._backend import sleep_async
from ._media_core import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_PROCESSING_WAIT,
    MediaFile,
    Progress,
    _check_max_wait,
    _init_body,
    _poll_delay,
    _session_id,
    _Source,
)

if TYPE_CHECKING:
    # Models of the X spec; a package built from another spec has no such modules.
    from .models import (  # type: ignore[attr-defined,unused-ignore]
        FinalizeMediaUploadResponse,
        GetMediaUploadStatusResponse,
        InitializeMediaUploadResponse,
    )


class AsyncMediaClient(Protocol):
    """The generated operations the helper uses (any `Client` or `AsyncClient` has them)."""

    async def initialize_media_upload(
        self, *, body: Mapping[str, Any]
    ) -> InitializeMediaUploadResponse: ...

    async def append_media_upload(self, id: str, *, body: Mapping[str, Any]) -> object: ...

    async def finalize_media_upload(self, id: str) -> FinalizeMediaUploadResponse: ...

    async def get_media_upload_status(
        self, *, media_id: str, command: Literal["STATUS"] | None = None
    ) -> GetMediaUploadStatusResponse: ...


async def upload_media_async(
    client: AsyncMediaClient,
    file: MediaFile,
    *,
    media_category: str,
    media_type: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Progress | None = None,
    additional_owners: Sequence[str] | None = None,
    max_processing_wait: float = DEFAULT_MAX_PROCESSING_WAIT,
    sleep: Callable[[float], Awaitable[object]] = sleep_async,
    clock: Callable[[], float] = monotonic,
) -> FinalizeMediaUploadResponse | GetMediaUploadStatusResponse:
    """Upload a file in chunks and wait until X has processed it.

    Returns the finalize response, or the last status response when X had to process the
    media (video, GIF); `.data.id` is the id to attach to a post. Raises MediaUploadError
    when processing fails or takes longer than `max_processing_wait` seconds of `clock` time.
    Polls are at least MIN_CHECK_AFTER seconds apart. File reads block even on AsyncClient:
    the chunks are local and small.
    """
    max_processing_wait = _check_max_wait(max_processing_wait)
    source = _Source(file, media_type, chunk_size)
    init = await client.initialize_media_upload(
        body=_init_body(source, media_category, additional_owners)
    )
    media_id = _session_id(init)
    sent = 0
    with contextlib.closing(source.chunks()) as chunks:
        for index, chunk in enumerate(chunks):
            await client.append_media_upload(
                media_id, body={"media": chunk, "segment_index": index}
            )
            sent += len(chunk)
            if progress is not None:
                progress(sent, source.total)
    source.check_sent(sent, media_id)
    result: FinalizeMediaUploadResponse | GetMediaUploadStatusResponse
    result = await client.finalize_media_upload(media_id)
    start = clock()
    while (
        delay := _poll_delay(result, media_id, clock() - start, max_processing_wait)
    ) is not None:
        await sleep(delay)
        result = await client.get_media_upload_status(media_id=media_id, command="STATUS")
    return result
