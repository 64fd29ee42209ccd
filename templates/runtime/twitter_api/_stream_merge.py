"""Several streams read through one iterator, e.g. the partitions of a firehose.

    streams = [client.stream_posts_firehose(partition=p) for p in range(1, 5)]
    with merge_streams(streams) as posts:
        for post in posts:
            ...

Each stream keeps its own connection, reconnects and recovery; their items meet in one bounded
first-in first-out buffer, so a busy stream cannot starve a quiet one and memory stays bounded
(a stream whose items do not fit waits, as a single stream waits for its reader). The first
error of any stream is raised to the reader after the items that came before it; leaving the
block closes every connection. The streams connect at the same time, each read as soon as it
is connected (X drops a connection that is not read); opening returns once all are connected,
or raises the first refusal and closes the others. Sync streams are read by one thread each
(this module), async ones by one task each (`_stream_merge_async`).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final, Generic, Self, TypeVar, overload

from ._streaming import _StreamCore
from ._sync_streaming import Stream

if TYPE_CHECKING:
    from ._async_streaming import AsyncStream
    from ._stream_merge_async import AsyncMergedStream

__all__ = ["MergedStream", "merge_streams"]

T = TypeVar("T")

DEFAULT_BUFFER: Final = 1000


class _Done:
    """Put by a stream's reader when it stops: `error` is why, None when it was closed."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


@overload
def merge_streams(
    streams: Iterable[AsyncStream[T]], *, buffer: int = DEFAULT_BUFFER
) -> AsyncMergedStream[T]: ...
@overload
def merge_streams(
    streams: Iterable[Stream[T]], *, buffer: int = DEFAULT_BUFFER
) -> MergedStream[T]: ...
def merge_streams(
    streams: Iterable[AsyncStream[T]] | Iterable[Stream[T]], *, buffer: int = DEFAULT_BUFFER
) -> AsyncMergedStream[T] | MergedStream[T]:
    """One iterator over several streams not yet opened: `with` (sync) or `async with`.

    `buffer` bounds the items read ahead of the reader, across all streams.
    """
    given: list[Any] = list(streams)
    if not given:
        raise ValueError("merge_streams: no streams given")
    if isinstance(buffer, bool) or not isinstance(buffer, int) or buffer < 1:
        raise ValueError(f"merge_streams: buffer must be a positive int, not {buffer!r}")
    for i, stream in enumerate(given, 1):
        if not isinstance(stream, _StreamCore):
            raise TypeError(f"merge_streams: item {i} is a {type(stream).__name__}, not a stream")
        if stream._opened:
            raise RuntimeError(f"merge_streams: stream {i} is already open; pass it unopened")
        if any(other is stream for other in given[: i - 1]):
            raise ValueError(f"merge_streams: stream {i} is given twice")
    sync = [isinstance(stream, Stream) for stream in given]
    if all(sync):
        return MergedStream(given, buffer)
    if any(sync):
        raise TypeError("merge_streams: streams of a Client and of an AsyncClient do not mix")
    from ._stream_merge_async import AsyncMergedStream

    return AsyncMergedStream(given, buffer)


class _Buffer(Generic[T]):
    """The items of all streams, first in first out, for one reader; at most `capacity`."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: deque[T | _Done] = deque()
        self._closed = False
        lock = threading.Lock()
        self._not_full = threading.Condition(lock)
        self._not_empty = threading.Condition(lock)

    def put(self, item: T) -> bool:
        """Wait for room, then add; False once the reader closed the buffer."""
        with self._not_full:
            while len(self._items) >= self._capacity and not self._closed:
                self._not_full.wait()
            if self._closed:
                return False
            self._items.append(item)
            self._not_empty.notify()
            return True

    def done(self, marker: _Done) -> None:
        # Never waits for room: a reader that stops must not block on a slow consumer.
        with self._not_empty:
            self._items.append(marker)
            self._not_empty.notify()

    def get(self) -> T | _Done:
        with self._not_empty:
            while not self._items:
                self._not_empty.wait()
            item = self._items.popleft()
            self._not_full.notify()
            return item

    def close(self) -> None:
        with self._not_full:
            self._closed = True
            self._items.clear()
            self._not_full.notify_all()


class MergedStream(Generic[T]):
    """Sync streams read through one iterator; see `merge_streams`."""

    def __init__(self, streams: list[Stream[T]], buffer: int = DEFAULT_BUFFER) -> None:
        self._streams = streams
        self._buffer: _Buffer[T] = _Buffer(buffer)
        self._connecting = len(streams)
        self._connected = threading.Condition()
        self._refused: BaseException | None = None
        self._running = 0
        self._opened = False

    @property
    def streams(self) -> tuple[Stream[T], ...]:
        return tuple(self._streams)

    def __enter__(self) -> Self:
        """Connect every stream at once; return when all are, or raise the first refusal."""
        if self._opened:
            raise RuntimeError("a merged stream can be opened once")
        self._opened = True
        try:
            count = len(self._streams)
            for i, stream in enumerate(self._streams, 1):
                name = f"{__package__} stream {i}/{count}"
                threading.Thread(
                    target=self._read, args=(stream, i, count), name=name, daemon=True
                ).start()
            with self._connected:
                while self._connecting and self._refused is None:
                    self._connected.wait()
                refused = self._refused
            if refused is not None:
                raise refused
        except BaseException:
            self.close()
            raise
        self._running = count
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._buffer.close()
        for stream in self._streams:
            _interrupt(stream)

    def _connecting_done(self, refusal: BaseException | None) -> None:
        with self._connected:
            if self._refused is None:
                self._refused = refusal
            self._connecting -= 1
            self._connected.notify()

    def _read(self, stream: Stream[T], position: int, count: int) -> None:
        """Connect `stream` (a retrying one holds up no other), then read it into the buffer."""
        error: BaseException | None = None
        try:
            try:
                stream.__enter__()  # raises as a single stream would
            except BaseException as exc:
                self._connecting_done(name_the_stream(exc, position, count))
                return
            self._connecting_done(None)
            try:
                for item in stream:
                    if not self._buffer.put(item):
                        break
            except BaseException as exc:  # handed to the reader, who raises it
                error = name_the_stream(exc, position, count)
        finally:
            stream.close()
        self._buffer.done(_Done(error))

    def __iter__(self) -> Iterator[T]:
        if not self._opened:
            raise RuntimeError(
                "use the merged stream as a context manager: `with merge_streams(...)`"
            )
        while self._running:
            item = self._buffer.get()
            if isinstance(item, _Done):
                self._running -= 1
                if item.error is not None:
                    raise item.error
                continue
            yield item


def name_the_stream(error: BaseException, position: int, count: int) -> BaseException:
    """`error`, noting which of the merged streams it came from (a firehose partition, say):
    the message itself is a single stream's."""
    if isinstance(error, Exception):
        error.add_note(f"from stream {position} of {count} given to merge_streams")
    return error


def _interrupt(stream: Stream[Any]) -> None:
    """Close a stream another thread may be blocked reading.

    Closing a socket does not wake a read blocked on it in another thread; shutting it down
    does (the reader then sees the stream closed and stops without reconnecting).
    """
    stream._closed = True
    response = stream._response
    network = response.extensions.get("network_stream") if response is not None else None
    sock = network.get_extra_info("socket") if network is not None else None
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    stream.close()
