"""What both media upload helpers share: the source file, its chunks, the X responses read.

The helpers are in `_async_media` and its derived sync twin; `_media` names them all.
"""

from __future__ import annotations

import math
import mimetypes
import os
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Final

from ._exceptions import APIError

__all__ = ["MediaFile", "MediaUploadError", "Progress"]

# X accepts segments of up to 5 MB; stay clear of it with room for the multipart framing.
DEFAULT_CHUNK_SIZE: Final = 4 * 1024 * 1024
# How long to keep polling a media that is still processing: seconds of real (monotonic)
# time from the finalize response, requests included.
DEFAULT_MAX_PROCESSING_WAIT: Final = 600.0
# Used when X says processing is under way but not when to look again.
DEFAULT_CHECK_AFTER: Final = 1.0
# The shortest pause between two status polls, whatever check_after_secs says (0 included).
MIN_CHECK_AFTER: Final = 1.0
_POLLING_STATES: Final = frozenset({"pending", "in_progress"})

Progress = Callable[[int, int], object]
"""Called after each chunk with (bytes sent so far, total bytes)."""

MediaFile = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]
"""A path, the bytes themselves, or a binary file object (read from its current position)."""


class MediaUploadError(APIError):
    """X accepted the upload but could not process the media, or did not finish in time."""

    def __init__(self, message: str, *, media_id: str | None, state: str | None = None) -> None:
        super().__init__(message)
        self.media_id = media_id
        self.state = state


class _Source:
    """The bytes to upload, their size and media type, read one chunk at a time."""

    def __init__(self, file: MediaFile, media_type: str | None, chunk_size: int) -> None:
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        self.chunk_size = chunk_size
        self._path: Path | None = None
        self._data: memoryview | None = None
        self._stream: IO[bytes] | None = None
        name: str | None = None
        if isinstance(file, str | os.PathLike):
            self._path = Path(file)
            name = self._path.name
            self.total = self._path.stat().st_size
        elif isinstance(file, bytes | bytearray | memoryview):
            self._data = memoryview(file).cast("B")
            self.total = self._data.nbytes
        else:
            name = getattr(file, "name", None)
            remaining = _remaining(file)
            if remaining is None:  # a pipe or socket: X needs the size up front, so read it all
                self._data = memoryview(file.read())
                self.total = self._data.nbytes
            else:
                self._stream = file
                self.total = remaining
        if self.total == 0:
            raise ValueError("the media file is empty")
        guessed = mimetypes.guess_type(name)[0] if isinstance(name, str) else None
        self.media_type = media_type or guessed
        if not self.media_type:
            raise ValueError("media_type is required: it cannot be guessed from the file name")

    def chunks(self) -> Generator[bytes, None, None]:
        size = self.chunk_size
        if self._data is not None:
            for start in range(0, self.total, size):
                yield self._data[start : start + size].tobytes()
        elif self._path is not None:
            with self._path.open("rb") as f:
                yield from _read_chunks(f, size)
        elif self._stream is not None:
            yield from _read_chunks(self._stream, size)  # the caller's file: not ours to close

    def check_sent(self, sent: int, media_id: str) -> None:
        if sent != self.total:
            raise MediaUploadError(
                f"the file changed during the upload: {sent} bytes read, {self.total} announced",
                media_id=media_id,
            )


def _remaining(file: IO[bytes]) -> int | None:
    """Bytes left in a file from its current position; None when it cannot seek."""
    try:
        if not file.seekable():
            return None
        start = file.tell()
        end = file.seek(0, os.SEEK_END)
        file.seek(start)
    except (AttributeError, OSError):
        return None
    return end - start


def _read_chunks(f: IO[bytes], size: int) -> Iterator[bytes]:
    while True:
        chunk = f.read(size)
        # A raw or pipe-like file may return short reads: fill the chunk before sending it.
        while chunk and len(chunk) < size:
            more = f.read(size - len(chunk))
            if not more:
                break
            chunk += more
        if not chunk:
            return
        yield chunk


def _init_body(
    source: _Source, media_category: str, additional_owners: Sequence[str] | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "media_category": media_category,
        "media_type": source.media_type,
        "total_bytes": source.total,
    }
    if additional_owners:
        body["additional_owners"] = list(additional_owners)
    return body


def _data(response: Any, media_id: str | None, step: str) -> dict[str, Any]:
    raw = response.to_dict() if hasattr(response, "to_dict") else response
    data = raw.get("data") if isinstance(raw, dict) else None
    if isinstance(data, dict):
        return data
    errors = raw.get("errors") if isinstance(raw, dict) else None
    detail = ""
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        detail = f": {first.get('detail') or first.get('title') or first.get('message') or ''}"
    raise MediaUploadError(f"{step} returned no data{detail}", media_id=media_id)


def _session_id(response: Any) -> str:
    media_id = _data(response, None, "initializeMediaUpload").get("id")
    if not isinstance(media_id, str | int) or isinstance(media_id, bool):
        raise MediaUploadError("initializeMediaUpload returned no media id", media_id=None)
    return str(media_id)


def _check_max_wait(seconds: float) -> float:
    # NaN compares false with everything: the deadline would never pass, nor would infinity.
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not math.isfinite(seconds)
        or seconds < 0
    ):
        raise ValueError(
            f"max_processing_wait must be a finite number of seconds >= 0, not {seconds!r}"
        )
    return float(seconds)


def _poll_delay(response: Any, media_id: str, elapsed: float, max_wait: float) -> float | None:
    """Seconds to wait before asking for the status again; None once processing is over.

    `elapsed` is the real time spent since finalizing; the next poll must fit in `max_wait`.
    """
    info = _data(response, media_id, "media upload").get("processing_info")
    if not isinstance(info, dict):
        return None
    state = info.get("state")
    if state == "failed":
        error = info.get("error")
        reason = (error.get("message") or error.get("name")) if isinstance(error, dict) else None
        raise MediaUploadError(
            f"media {media_id} failed processing" + (f": {reason}" if reason else ""),
            media_id=media_id,
            state=state,
        )
    if state not in _POLLING_STATES:
        return None
    after = info.get("check_after_secs")
    advertised = DEFAULT_CHECK_AFTER
    if isinstance(after, int | float) and not isinstance(after, bool) and after >= 0:
        advertised = float(after)
    delay = max(MIN_CHECK_AFTER, advertised)
    if elapsed + delay > max_wait:
        raise MediaUploadError(
            f"media {media_id} still {state} after {elapsed:.3g}s of waiting",
            media_id=media_id,
            state=str(state),
        )
    return delay
