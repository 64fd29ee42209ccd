"""Async streams read through one iterator, one task each; see `_stream_merge`.

Not derived from an `_async_` module: the sync merge needs threads where this needs tasks.
Tasks, buffer and cancellation are anyio's, so the merge runs on asyncio and trio alike.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Generic, Self, TypeVar

import anyio

from ._stream_merge import DEFAULT_BUFFER, _Done, name_the_stream

if TYPE_CHECKING:
    from anyio.abc import TaskGroup
    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

    from ._async_streaming import AsyncStream

__all__ = ["AsyncMergedStream"]

T = TypeVar("T")


class AsyncMergedStream(Generic[T]):
    """Async streams read through one iterator; see `merge_streams`."""

    def __init__(self, streams: list[AsyncStream[T]], buffer: int = DEFAULT_BUFFER) -> None:
        self._streams = streams
        self._buffer = buffer
        self._receive: MemoryObjectReceiveStream[T | _Done] | None = None
        self._tasks: TaskGroup | None = None
        self._connecting = len(streams)
        self._connected: anyio.Event | None = None  # made on the event loop that opens
        self._refused: BaseException | None = None
        self._running = 0
        self._opened = False

    @property
    def streams(self) -> tuple[AsyncStream[T], ...]:
        return tuple(self._streams)

    async def __aenter__(self) -> Self:
        """Connect every stream at once; return when all are, or raise the first refusal."""
        if self._opened:
            raise RuntimeError("a merged stream can be opened once")
        self._opened = True
        send, self._receive = anyio.create_memory_object_stream[T | _Done](self._buffer)
        connected = self._connected = anyio.Event()
        tasks = anyio.create_task_group()
        await tasks.__aenter__()
        self._tasks = tasks
        try:
            count = len(self._streams)
            for i, stream in enumerate(self._streams, 1):
                name = f"{__package__} stream {i}/{count}"
                tasks.start_soon(self._read, stream, i, count, send, name=name)
            await connected.wait()
            if self._refused is not None:
                raise self._refused
        except BaseException:
            await self.aclose()
            raise
        self._running = count
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        tasks, self._tasks = self._tasks, None
        try:
            if tasks is not None:
                tasks.cancel_scope.cancel()
                # Waits for every task, even when this task is cancelled meanwhile.
                await tasks.__aexit__(None, None, None)
        finally:
            for stream in self._streams:  # each closes shielded from cancellation
                await stream.aclose()
            if self._receive is not None:
                self._receive.close()

    def _connecting_done(self, refusal: BaseException | None) -> None:
        assert self._connected is not None
        if refusal is not None and self._refused is None:
            self._refused = refusal
            self._connected.set()  # the first refusal ends the wait
        self._connecting -= 1
        if not self._connecting:
            self._connected.set()

    async def _read(
        self,
        stream: AsyncStream[T],
        position: int,
        count: int,
        send: MemoryObjectSendStream[T | _Done],
    ) -> None:
        cancelled = anyio.get_cancelled_exc_class()
        error: BaseException | None = None
        try:
            try:
                await stream.__aenter__()  # raises as a single stream would
            except cancelled:
                raise
            except BaseException as exc:
                self._connecting_done(name_the_stream(exc, position, count))
                return
            self._connecting_done(None)
            try:
                async for item in stream:
                    await send.send(item)
            except cancelled:
                raise  # the reader closed the merged stream
            except BaseException as exc:  # handed to the reader, who raises it
                error = name_the_stream(exc, position, count)
        finally:
            await stream.aclose()
        await send.send(_Done(error))

    async def __aiter__(self) -> AsyncIterator[T]:
        receive = self._receive
        if receive is None:
            raise RuntimeError(
                "use the merged stream as a context manager: `async with merge_streams(...)`"
            )
        while self._running:
            item = await receive.receive()
            if isinstance(item, _Done):
                self._running -= 1
                if item.error is not None:
                    raise item.error
                continue
            yield item
