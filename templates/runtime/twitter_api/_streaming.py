"""Streaming operations: one JSON document per line, parsed into the typed model."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

import httpx

from ._exceptions import APIResponseError
from ._wire import Operation

if TYPE_CHECKING:
    from ._base_client import AsyncAPIClient, SyncAPIClient

__all__ = ["AsyncStream", "Stream"]

T = TypeVar("T")


def _parse_line(op: Operation, line: str, response: httpx.Response) -> Any:
    try:
        raw = json.loads(line)
    except ValueError as exc:
        raise APIResponseError(
            f"{op.name}: a stream line is not valid JSON ({exc})", response=response
        ) from None
    return op.response.load(raw) if op.response is not None else raw


class Stream(Generic[T]):
    """A streaming response: `with client.stream_posts() as s: for post in s: ...`."""

    def __init__(self, client: SyncAPIClient, op: Operation, request: httpx.Request) -> None:
        self._client = client
        self._op = op
        self._request = request
        self._response: httpx.Response | None = None

    def __enter__(self) -> Self:
        self._response = self._client._send(self._request, stream=True)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._response is not None:
            self._response.close()
            self._response = None

    def __iter__(self) -> Iterator[T]:
        response = self._response
        if response is None:
            raise RuntimeError("use the stream as a context manager: `with client.op() as s:`")
        for line in response.iter_lines():
            if line.strip():  # X sends blank keep-alive lines
                yield _parse_line(self._op, line, response)


class AsyncStream(Generic[T]):
    """`async with client.stream_posts() as s: async for x in s`."""

    def __init__(self, client: AsyncAPIClient, op: Operation, request: httpx.Request) -> None:
        self._client = client
        self._op = op
        self._request = request
        self._response: httpx.Response | None = None

    async def __aenter__(self) -> Self:
        self._response = await self._client._send(self._request, stream=True)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._response is not None:
            await self._response.aclose()
            self._response = None

    async def __aiter__(self) -> AsyncIterator[T]:
        response = self._response
        if response is None:
            raise RuntimeError(
                "use the stream as a context manager: `async with client.op() as s:`"
            )
        async for line in response.aiter_lines():
            if line.strip():
                yield _parse_line(self._op, line, response)
