"""Streaming operations: one JSON document per line, parsed into the typed model, reconnecting.

A stream stays open until the caller leaves the `with` block. A dropped connection, a clean
end of the body, a stall (no byte, not even X's keep-alive newline, for `stall_timeout`
seconds), a 5xx and a 429 are all followed by a reconnect after the backoff X documents:

    network error or stall   linear: 250 ms, 500 ms, 750 ms ... capped at 16 s
    HTTP 5xx                 exponential: 5 s, 10 s, 20 s ... capped at 320 s
    HTTP 429 (and 420)       exponential from 1 min

Any other 4xx is the caller's to fix and is raised at once, as is an error that reconnecting
cannot cure (a malformed request, an unsupported scheme, a body that fails to decode). The
schedule restarts once a connection delivers data. The streams' I/O is written once, async, in
`_async_streaming`; its sync twin is derived from it at generation time.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, TypeVar, cast

import httpx

from ._exceptions import (
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
    from ._base_client import _ClientBase

__all__ = ["StreamOptions", "StreamStallError"]

log = package_logger()

T = TypeVar("T")

# A read waits this much longer than stall_timeout, so a keep-alive that arrives exactly on
# schedule (X sends one every 20 s) is never mistaken for a stall.
STALL_SLACK: Final = 1.1

_Kind = Literal["network", "http", "rate_limit"]
# Transport errors of the request itself: the same request would fail the same way again.
_NOT_CURED_BY_RECONNECTING: Final = (httpx.LocalProtocolError, httpx.UnsupportedProtocol)


_scan_once: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


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
        self._load = op.response.load if op.response is not None else None
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

    def _check_open(self) -> None:
        if not self._opened:
            hint = "async with" if hasattr(self, "__aenter__") else "with"
            raise RuntimeError(f"use the stream as a context manager: `{hint} client.op() as s:`")

    def _parse(self, line: str, response: httpx.Response) -> T:
        try:
            # `json.loads` without its per-call set-up; anything unusual goes through it.
            try:
                raw, end = _scan_once(line, 0)
            except StopIteration:
                end = -1
            if end != len(line):  # surrounding whitespace, trailing data, not JSON
                raw = json.loads(line)
        except ValueError as exc:
            # A garbled line is not a network fault: reconnecting would not make it valid.
            raise APIResponseError(
                f"{self._op.name}: a stream line is not valid JSON ({exc})", response=response
            ) from None
        load = self._load
        return cast("T", raw if load is None else load(raw))

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


def _status_error(client: _ClientBase[Any], response: httpx.Response) -> APIStatusError:
    """The client's own exception for an error response, to raise now or after retrying."""
    try:
        client._raise_for_status(response)
    except APIStatusError as exc:
        return exc
    raise AssertionError(f"status {response.status_code} is not an error")
