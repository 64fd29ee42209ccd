"""The streaming response of the generated clients: written async, the sync twin derived.

Reconnecting, stall detection and parsing are in `_streaming`; this is the I/O around them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Self, TypeVar, Unpack

import httpx

from ._backend import shielded_async
from ._exceptions import HTTPX_ERRORS, APIConnectionError
from ._models import ModelRef, _new
from ._streaming import (
    _NOT_CURED_BY_RECONNECTING,
    MAX_LINE,
    StreamOptionChanges,
    StreamOptions,
    _Kind,
    _scan_once,
    _status_error,
    _status_kind,
    _StreamCore,
    _whole_json_document,
)
from ._wire import Operation

if TYPE_CHECKING:
    from ._async_base_client import AsyncAPIClient

T = TypeVar("T")


class AsyncStream(_StreamCore[T]):
    """A streaming response: `(async) with client.stream_posts() as s: (async) for post in s:`.

    Opening sends the request (a 3xx, or a 4xx other than 429, raises here); iterating yields
    one typed object per line and reconnects as needed; leaving the block closes the connection.
    """

    def __init__(
        self,
        client: AsyncAPIClient,
        op: Operation,
        request: httpx.Request,
        options: StreamOptions | None = None,
    ) -> None:
        super().__init__(op, request, options, client._monotonic)
        self._client = client

    def with_options(
        self, options: StreamOptions | None = None, /, **changes: Unpack[StreamOptionChanges]
    ) -> Self:
        """This stream, not yet opened, with other options: `.with_options(stall_timeout=5)`."""
        return type(self)(self._client, self._op, self._request, self._replaced(options, changes))

    async def __aenter__(self) -> Self:
        if self._opened:
            raise RuntimeError("a stream can be opened once")
        self._opened = True
        self._response = await self._connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._closed = True
        await self._drop()

    async def _drop(self) -> None:
        response, self._response = self._response, None
        if response is not None:
            with shielded_async():  # a block left by cancellation still hangs up
                await response.aclose()

    async def _connect(self, reconnect: bool = False) -> httpx.Response | None:
        """A streaming response, or None when the stream was closed meanwhile."""
        client = self._client
        while not self._closed:
            kind: _Kind
            error: Exception
            request = self._reconnect_request() if reconnect else self._request
            try:
                # No redirects: a token refresh may ride on this send (see _base_client).
                response = await client._http.send(
                    request, auth=client._settings.auth, stream=True, follow_redirects=False
                )
            except _NOT_CURED_BY_RECONNECTING as exc:
                raise self._fatal_error(exc) from exc
            except httpx.TransportError as exc:
                kind, error = "network", self._network_error(exc)
            except HTTPX_ERRORS as exc:
                raise self._fatal_error(exc) from exc
            else:
                self.connections += 1
                if response.is_success:  # a 3xx is not followed: raised below
                    return response
                try:
                    await response.aread()
                except httpx.DecodingError as exc:
                    raise self._fatal_error(exc, response) from exc
                finally:
                    with shielded_async():
                        await response.aclose()
                error = _status_error(client, response)
                status_kind = _status_kind(response.status_code)
                if status_kind is None:
                    raise error
                kind = status_kind
            await self._client._sleep(self._delay_or_raise(kind, error))
        return None

    async def _line_batches(self, response: httpx.Response) -> AsyncIterator[list[str]]:
        """The lines of the body, a list per chunk received.

        Lines end at "\n" (X sends "\r\n") and nowhere else: a post may hold U+2028, which
        `str.splitlines` would take for a line break. What follows the last "\n" is a line
        still arriving. When the body ends there, that rest is a last line without its break
        if it is a whole JSON document (some servers end so); else the body was cut mid-line,
        which a reconnect recovers.
        """
        pending = ""
        async for text in response.aiter_text():
            lines = (pending + text if pending else text).split("\n")
            pending = lines.pop()
            if len(pending) > MAX_LINE:
                raise self._overlong_line_error(response, MAX_LINE)
            yield lines
        if pending and not pending.isspace() and _whole_json_document(pending):
            yield [pending]

    async def __aiter__(self) -> AsyncIterator[T]:
        self._start_iterating()
        recovery, decode, load, scan = self._recovery, self._decode, self._load, _scan_once
        ref = self._op.response
        model = (ref._cls or ref.cls) if type(ref) is ModelRef else None
        while not self._closed and self._response is not None:
            response = self._response
            error: APIConnectionError
            live = delivered = False
            try:
                async for lines in self._line_batches(response):
                    if not live:
                        self._live()
                        live = True
                    for line in lines:
                        if not line or line.isspace():
                            continue  # blank lines are X's keep-alives
                        # The common line, "{...}\r", parsed in place; `decode` takes the rest.
                        try:
                            raw, end = scan(line, 0)
                        except (StopIteration, ValueError):  # `decode` says what is wrong
                            raw, end = None, -1
                        rest = len(line) - end  # 1 for the "\r" of X's "\r\n"; >1 if no JSON
                        if rest and (rest != 1 or line[end] != "\r"):
                            raw = decode(line, response)
                        if not delivered:
                            self._delivered()
                            delivered = True
                        if recovery is None or recovery.is_new(raw):
                            if type(raw) is dict and model is not None:  # ModelRef.load, inlined
                                item = _new(model)
                                item._raw = raw
                                yield item  # type: ignore[misc]
                            elif model is not None:
                                raise self._not_an_object_error(raw, response)
                            else:
                                yield load(raw)
                error = self._ended_error()
            except httpx.TransportError as exc:
                error = self._network_error(exc)
            except HTTPX_ERRORS as exc:
                if self._closed:
                    return
                raise self._fatal_error(exc, response) from exc
            if self._closed:
                return
            self._lost(error, live)
            await self._drop()
            await self._client._sleep(self._delay_or_raise("network", error))
            self._response = await self._connect(reconnect=True)
