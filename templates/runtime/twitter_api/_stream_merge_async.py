"""Async streams read through one iterator, one task each; see `_stream_merge`.

Not derived from an `_async_` module: the sync merge needs threads where this needs tasks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Generic, Self, TypeVar

from ._stream_merge import DEFAULT_BUFFER, _Done

if TYPE_CHECKING:
    from ._async_streaming import AsyncStream

__all__ = ["AsyncMergedStream"]

T = TypeVar("T")


class AsyncMergedStream(Generic[T]):
    """Async streams read through one iterator; see `merge_streams`."""

    def __init__(self, streams: list[AsyncStream[T]], buffer: int = DEFAULT_BUFFER) -> None:
        self._streams = streams
        self._buffer = buffer
        self._queue: asyncio.Queue[T | _Done] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._running = 0
        self._opened = False

    @property
    def streams(self) -> tuple[AsyncStream[T], ...]:
        return tuple(self._streams)

    async def __aenter__(self) -> Self:
        if self._opened:
            raise RuntimeError("a merged stream can be opened once")
        self._opened = True
        try:
            for stream in self._streams:  # each raises as a single stream would
                await stream.__aenter__()
        except BaseException:
            await self.aclose()
            raise
        queue: asyncio.Queue[T | _Done] = asyncio.Queue(self._buffer)
        self._queue = queue
        self._tasks = [
            asyncio.create_task(
                self._read(stream, queue), name=f"{__package__} stream {i}/{len(self._streams)}"
            )
            for i, stream in enumerate(self._streams, 1)
        ]
        self._running = len(self._tasks)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for stream in self._streams:
            await stream.aclose()

    async def _read(self, stream: AsyncStream[T], queue: asyncio.Queue[T | _Done]) -> None:
        error: BaseException | None = None
        try:
            async for item in stream:
                await queue.put(item)
        except asyncio.CancelledError:
            raise  # the reader closed the merged stream
        except BaseException as exc:  # handed to the reader, who raises it
            error = exc
        finally:
            await stream.aclose()
        await queue.put(_Done(error))

    async def __aiter__(self) -> AsyncIterator[T]:
        queue = self._queue
        if queue is None:
            raise RuntimeError(
                "use the merged stream as a context manager: `async with merge_streams(...)`"
            )
        while self._running:
            item = await queue.get()
            if isinstance(item, _Done):
                self._running -= 1
                if item.error is not None:
                    raise item.error
                continue
            yield item
