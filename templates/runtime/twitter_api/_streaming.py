"""Streaming operations: one JSON document per line, parsed into the typed model, reconnecting.

A stream stays open until the caller leaves the `with` block. A dropped connection, a clean
end of the body, a stall (no byte, not even X's keep-alive newline, for `stall_timeout`
seconds), a 5xx and a 429 are all followed by a reconnect after the backoff X documents:

    network error or stall   linear: 250 ms, 500 ms, 750 ms ... capped at 16 s
    HTTP 5xx                 exponential: 5 s, 10 s, 20 s ... capped at 320 s
    HTTP 429 (and 420)       exponential from 1 min

Any other 4xx is the caller's to fix and is raised at once, as is an error that reconnecting
cannot cure (a malformed request, an unsupported scheme, a body that fails to decode). The
schedule restarts once a connection delivers data. The sync and async streams share everything
but their I/O.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, Self, TypeVar, cast

import httpx

from ._exceptions import (
    HTTPX_ERRORS,
    APIConnectionError,
    APIError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    from_httpx_error,
)
from ._logging import package_logger
from ._wire import Operation

if TYPE_CHECKING:
    from ._base_client import AsyncAPIClient, SyncAPIClient

__all__ = ["AsyncStream", "Stream", "StreamOptions", "StreamStallError"]

log = package_logger()

T = TypeVar("T")

# A read waits this much longer than stall_timeout, so a keep-alive that arrives exactly on
# schedule (X sends one every 20 s) is never mistaken for a stall.
STALL_SLACK: Final = 1.1

_Kind = Literal["network", "http", "rate_limit"]
# Transport errors of the request itself: the same request would fail the same way again.
_NOT_CURED_BY_RECONNECTING: Final = (httpx.LocalProtocolError, httpx.UnsupportedProtocol)


class StreamStallError(APITimeoutError):
    """A stream sent nothing, not even a keep-alive, for longer than its `stall_timeout`."""


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """How a stream detects stalls and reconnects; every delay is in seconds.

    `max_reconnects` bounds the reconnects in a row that deliver no data (None: no bound);
    when it is reached the last error is raised.
    """

    stall_timeout: float = 20.0
    network_backoff: float = 0.25
    network_backoff_max: float = 16.0
    http_backoff: float = 5.0
    http_backoff_max: float = 320.0
    rate_limit_backoff: float = 60.0
    rate_limit_backoff_max: float = 960.0
    max_reconnects: int | None = None

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is not None and value < 0:
                raise ValueError(f"StreamOptions.{field.name} must not be negative")
        if self.stall_timeout <= 0:
            raise ValueError("StreamOptions.stall_timeout must be positive")


class _Backoff:
    """X's reconnect schedule: one counter per kind of failure, plus the streak of failures."""

    __slots__ = ("_counts", "_options", "_streak")

    def __init__(self, options: StreamOptions) -> None:
        self._options = options
        self._streak = 0
        self._counts: dict[_Kind, int] = {}

    def reset(self) -> None:
        self._streak = 0
        self._counts.clear()

    def next_delay(self, kind: _Kind) -> float | None:
        """Seconds to wait before reconnecting, or None when no reconnect is left."""
        o = self._options
        if o.max_reconnects is not None and self._streak >= o.max_reconnects:
            return None
        self._streak += 1
        n = self._counts[kind] = self._counts.get(kind, 0) + 1
        if kind == "network":
            return min(o.network_backoff * n, o.network_backoff_max)
        if kind == "http":
            return min(o.http_backoff * 2.0 ** (n - 1), o.http_backoff_max)
        return min(o.rate_limit_backoff * 2.0 ** (n - 1), o.rate_limit_backoff_max)


def _status_kind(status: int) -> _Kind | None:
    if status in (420, 429):  # 420 is the rate limit status of X's older streams
        return "rate_limit"
    if status >= 500:
        return "http"
    return None


def _with_read_timeout(request: httpx.Request, stall_timeout: float) -> httpx.Request:
    # httpx applies the read timeout to each socket read, which is exactly "no byte for N s".
    timeout = dict(request.extensions.get("timeout") or {})
    timeout["read"] = stall_timeout * STALL_SLACK
    request.extensions = {**request.extensions, "timeout": timeout}
    return request


class _StreamCore(Generic[T]):
    """State and decisions shared by Stream and AsyncStream."""

    def __init__(
        self, op: Operation, request: httpx.Request, options: StreamOptions | None
    ) -> None:
        self._op = op
        self._options = options or StreamOptions()
        self._request = _with_read_timeout(request, self._options.stall_timeout)
        self._backoff = _Backoff(self._options)
        self._response: httpx.Response | None = None
        self._opened = False
        self._closed = False
        self.connections = 0  # how many connections were opened, reconnects included

    @property
    def options(self) -> StreamOptions:
        return self._options

    def _replaced(self, options: StreamOptions | None, changes: dict[str, Any]) -> StreamOptions:
        if self._opened:
            raise RuntimeError("change a stream's options before opening it")
        return dataclasses.replace(options or self._options, **changes)

    def _check_open(self, hint: str) -> None:
        if not self._opened:
            raise RuntimeError(f"use the stream as a context manager: `{hint} client.op() as s:`")

    def _parse(self, line: str, response: httpx.Response) -> T:
        try:
            raw = json.loads(line)
        except ValueError as exc:
            # A garbled line is not a network fault: reconnecting would not make it valid.
            raise APIResponseError(
                f"{self._op.name}: a stream line is not valid JSON ({exc})", response=response
            ) from None
        op_response = self._op.response
        return cast("T", op_response.load(raw) if op_response is not None else raw)

    def _network_error(self, exc: httpx.TransportError) -> APIConnectionError:
        path = self._request.url.path
        if isinstance(exc, httpx.ReadTimeout):
            return StreamStallError(
                f"{self._op.name}: no data on {path} for {self._options.stall_timeout:g}s",
                request=self._request,
            )
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"{self._op.name}: timed out on {path}", request=self._request)
        return APIConnectionError(
            f"{self._op.name}: connection to {path} lost: {type(exc).__name__}",
            request=self._request,
        )

    def _fatal_error(self, exc: Exception, response: httpx.Response | None = None) -> APIError:
        return from_httpx_error(
            exc, f"{self._op.name} on {self._request.url.path}", self._request, response
        )

    def _ended_error(self) -> APIConnectionError:
        path = self._request.url.path
        return APIConnectionError(
            f"{self._op.name}: the server ended the stream {path}", request=self._request
        )

    def _delay_or_raise(self, kind: _Kind, error: Exception) -> float:
        delay = self._backoff.next_delay(kind)
        if delay is None:
            raise error
        # Network errors name the operation, status errors the method and path.
        log.warning("%s; reconnecting in %.3fs", error, delay)
        return delay


def _status_error(
    client: SyncAPIClient | AsyncAPIClient, response: httpx.Response
) -> APIStatusError:
    """The client's own exception for an error response, to raise now or after retrying."""
    try:
        client._raise_for_status(response)
    except APIStatusError as exc:
        return exc
    raise AssertionError(f"status {response.status_code} is not an error")


class Stream(_StreamCore[T]):
    """A streaming response: `with client.stream_posts() as s: for post in s: ...`.

    Opening sends the request (a 3xx, or a 4xx other than 429, raises here); iterating yields
    one typed object per line and reconnects as needed; leaving the block closes the connection.
    """

    def __init__(
        self,
        client: SyncAPIClient,
        op: Operation,
        request: httpx.Request,
        options: StreamOptions | None = None,
    ) -> None:
        super().__init__(op, request, options)
        self._client = client

    def with_options(self, options: StreamOptions | None = None, /, **changes: Any) -> Self:
        """This stream, not yet opened, with other options: `.with_options(stall_timeout=5)`."""
        return type(self)(self._client, self._op, self._request, self._replaced(options, changes))

    def __enter__(self) -> Self:
        if self._opened:
            raise RuntimeError("a stream can be opened once")
        self._opened = True
        self._response = self._connect()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._closed = True
        self._drop()

    def _drop(self) -> None:
        response, self._response = self._response, None
        if response is not None:
            response.close()

    def _connect(self) -> httpx.Response:
        client = self._client
        while True:
            kind: _Kind
            error: Exception
            try:
                # No redirects: a token refresh may ride on this send (see _base_client).
                response = client._http.send(
                    self._request, auth=client._settings.auth, stream=True, follow_redirects=False
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
                    response.read()
                except httpx.DecodingError as exc:
                    raise self._fatal_error(exc, response) from exc
                finally:
                    response.close()
                error = _status_error(client, response)
                status_kind = _status_kind(response.status_code)
                if status_kind is None:
                    raise error
                kind = status_kind
            self._client._sleep(self._delay_or_raise(kind, error))

    def __iter__(self) -> Iterator[T]:
        self._check_open("with")
        while not self._closed and self._response is not None:
            response = self._response
            error: APIConnectionError
            try:
                delivered = False
                for line in response.iter_lines():
                    if not delivered:
                        self._backoff.reset()  # this connection works: restart the schedule
                        delivered = True
                    if line.strip():  # blank lines are X's keep-alives
                        yield self._parse(line, response)
                error = self._ended_error()
            except httpx.TransportError as exc:
                error = self._network_error(exc)
            except HTTPX_ERRORS as exc:
                if self._closed:
                    return
                raise self._fatal_error(exc, response) from exc
            if self._closed:
                return
            self._drop()
            self._client._sleep(self._delay_or_raise("network", error))
            self._response = self._connect()


class AsyncStream(_StreamCore[T]):
    """`async with client.stream_posts() as s: async for post in s: ...`; see Stream."""

    def __init__(
        self,
        client: AsyncAPIClient,
        op: Operation,
        request: httpx.Request,
        options: StreamOptions | None = None,
    ) -> None:
        super().__init__(op, request, options)
        self._client = client

    def with_options(self, options: StreamOptions | None = None, /, **changes: Any) -> Self:
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
            await response.aclose()

    async def _connect(self) -> httpx.Response:
        client = self._client
        while True:
            kind: _Kind
            error: Exception
            try:
                response = await client._http.send(
                    self._request, auth=client._settings.auth, stream=True, follow_redirects=False
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
                    await response.aclose()
                error = _status_error(client, response)
                status_kind = _status_kind(response.status_code)
                if status_kind is None:
                    raise error
                kind = status_kind
            await self._client._sleep(self._delay_or_raise(kind, error))

    async def __aiter__(self) -> AsyncIterator[T]:
        self._check_open("async with")
        while not self._closed and self._response is not None:
            response = self._response
            error: APIConnectionError
            try:
                delivered = False
                async for line in response.aiter_lines():
                    if not delivered:
                        self._backoff.reset()
                        delivered = True
                    if line.strip():
                        yield self._parse(line, response)
                error = self._ended_error()
            except httpx.TransportError as exc:
                error = self._network_error(exc)
            except HTTPX_ERRORS as exc:
                if self._closed:
                    return
                raise self._fatal_error(exc, response) from exc
            if self._closed:
                return
            await self._drop()
            await self._client._sleep(self._delay_or_raise("network", error))
            self._response = await self._connect()
