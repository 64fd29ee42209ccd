"""Streaming operations: one JSON document per line, parsed into the typed model, reconnecting.

A stream stays open until the caller leaves the `with` block. A dropped connection, a clean
end of the body, a stall (no byte, not even X's keep-alive newline, for `stall_timeout`
seconds), a 5xx and a 429 are all followed by a reconnect after the backoff X documents:

    network error or stall   linear: 250 ms, 500 ms, 750 ms ... capped at 16 s
    HTTP 5xx                 exponential: 5 s, 10 s, 20 s ... capped at 320 s
    HTTP 429 (and 420)       exponential from 1 min

Any other 4xx is the caller's to fix and is raised at once, as is an error that reconnecting
cannot cure (a malformed request, an unsupported scheme, a line that is not JSON). A body that
ends in the middle of a line was cut, and is reconnected. The schedule restarts once a
connection sends a line, a keep-alive included. The streams' I/O is written once, async, in
`_async_streaming`; its sync twin is derived from it at generation time.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, TypedDict, TypeVar, cast

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

_BACKFILL: Final = b"backfill_minutes"

_Kind = Literal["network", "http", "rate_limit"]
# Transport errors of the request itself: the same request would fail the same way again.
_NOT_CURED_BY_RECONNECTING: Final = (httpx.LocalProtocolError, httpx.UnsupportedProtocol)


_scan_once: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


# The longest stream line read (an X post with its expansions is a few kilobytes): a server
# that never sends a line break must not fill memory.
MAX_LINE: Final = 8 * 1024 * 1024


def _whole_json_document(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _as_is(raw: Any) -> Any:
    return raw


class StreamStallError(APITimeoutError):
    """A stream sent nothing, not even a keep-alive, for longer than its `stall_timeout`."""


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """How a stream detects stalls and reconnects; every delay is in seconds.

    `max_reconnects` bounds the reconnects in a row that deliver no data (None: no bound);
    when it is reached the last error is raised.

    `backfill_minutes` (0, the default, is off) turns recovery on, for a stream whose operation
    takes `backfill_minutes` and up to the maximum the spec gives it (X: 5): a reconnect after
    a disconnect shorter than that many minutes sends `backfill_minutes` to get back what it
    missed, and posts delivered again within the window are dropped by id. At most
    `recent_ids_max` ids are remembered for that.
    """

    stall_timeout: float = 20.0
    network_backoff: float = 0.25
    network_backoff_max: float = 16.0
    http_backoff: float = 5.0
    http_backoff_max: float = 320.0
    rate_limit_backoff: float = 60.0
    rate_limit_backoff_max: float = 960.0
    max_reconnects: int | None = None
    backfill_minutes: int = 0
    recent_ids_max: int = 1_000_000

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is not None and value < 0:
                raise ValueError(f"StreamOptions.{field.name} must not be negative")
        if self.stall_timeout <= 0:
            raise ValueError("StreamOptions.stall_timeout must be positive")
        if self.recent_ids_max < 1:
            raise ValueError("StreamOptions.recent_ids_max must be at least 1")


class StreamOptionChanges(TypedDict, total=False):
    """The keyword arguments of a stream's `with_options`: any `StreamOptions` field."""

    stall_timeout: float
    network_backoff: float
    network_backoff_max: float
    http_backoff: float
    http_backoff_max: float
    rate_limit_backoff: float
    rate_limit_backoff_max: float
    max_reconnects: int | None
    backfill_minutes: int
    recent_ids_max: int


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


class _Bucket:
    """The ids that arrived within one second: when the first and the last came, how many."""

    __slots__ = ("count", "first", "last")

    def __init__(self, at: float) -> None:
        self.first = self.last = at
        self.count = 1


class _Recovery:
    """Backfill for reconnects, and dropping the posts a backfill delivers a second time.

    `now` is a monotonic clock: gaps and the window are intervals, which a step of the wall
    clock must not stretch or shrink.
    """

    __slots__ = ("_buckets", "_cap", "_ids", "_lost_at", "_now", "_order", "_window")

    def __init__(self, minutes: int, cap: int, now: Callable[[], float]) -> None:
        self._window = minutes * 60.0
        self._cap = cap
        self._now = now
        self._lost_at: float | None = None
        # A firehose remembers up to a million ids: each is kept once, as an int when it is
        # decimal as X's are (half a str's size), in the set and in arrival order. Times are
        # kept per second of arrival, not per id: an id is forgotten with the last of its
        # second, never early and at most a second late.
        self._ids: set[int | str] = set()
        self._order: deque[int | str] = deque()  # oldest first
        self._buckets: deque[_Bucket] = deque()  # oldest first; counts add up to len(_order)

    def lost(self, quiet_for: float, live: bool) -> None:
        """The connection is gone, and nothing arrived on it for `quiet_for` seconds before;
        `live`: it delivered at least a keep-alive."""
        start = self._now() - quiet_for
        lost_at = self._lost_at
        # Failed reconnects do not move the start of the gap, nor does one that carried only
        # keep-alives while the gap can still be backfilled whole. Once it cannot, a connection
        # that was live since starts a new gap, which can.
        if lost_at is None or (live and start - lost_at >= self._window):
            self._lost_at = start

    def delivered(self) -> None:
        self._lost_at = None

    def backfill(self) -> int | None:
        """The minutes a reconnect asks for now; None once the gap outgrew the window."""
        if self._lost_at is None:
            return None
        gap = self._now() - self._lost_at
        if gap >= self._window:
            return None
        return max(math.ceil(gap / 60.0), 1)  # at most the window's minutes, as gap < window

    def is_new(self, raw: Any) -> bool:
        """False for a post whose id was seen within the window; others are remembered."""
        data = raw.get("data") if type(raw) is dict else None
        post_id = data.get("id") if type(data) is dict else None
        if type(post_id) is not str:
            return True  # no post id: nothing to compare
        # Only a canonical ASCII decimal becomes an int, so two different ids never meet.
        key: int | str = (
            int(post_id)
            if post_id.isdigit() and post_id.isascii() and post_id[0] != "0"
            else post_id
        )
        now = self._now()
        ids, order, buckets = self._ids, self._order, self._buckets
        horizon = now - self._window
        while buckets and buckets[0].last <= horizon:
            for _ in range(buckets.popleft().count):
                ids.discard(order.popleft())
        if key in ids:
            return False
        if len(order) >= self._cap:
            ids.discard(order.popleft())
            oldest = buckets[0]
            oldest.count -= 1
            if not oldest.count:
                buckets.popleft()
        ids.add(key)
        order.append(key)
        newest = buckets[-1] if buckets else None
        if newest is not None and now - newest.first < 1.0:
            newest.last = now
            newest.count += 1
        else:
            buckets.append(_Bucket(now))
        return True


def _with_backfill(request: httpx.Request, minutes: int | None) -> httpx.Request:
    """`request` with its `backfill_minutes` set to `minutes`, or without it (None)."""
    url = request.url
    kept = [p for p in url.query.split(b"&") if p and p.partition(b"=")[0] != _BACKFILL]
    if minutes is not None:
        kept.append(b"%s=%d" % (_BACKFILL, minutes))
    query = b"&".join(kept) or None
    if query == (url.query or None):
        return request
    return httpx.Request(
        request.method,
        url.copy_with(query=query),
        headers=request.headers,
        extensions=request.extensions,
    )


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
        self,
        op: Operation,
        request: httpx.Request,
        options: StreamOptions | None,
        monotonic: Callable[[], float],
    ) -> None:
        self._op = op
        self._options = o = options or StreamOptions()
        if o.backfill_minutes > op.backfill_max:
            if not op.backfill_max:
                raise ValueError(
                    f"{op.name} cannot recover on reconnect: it takes no backfill_minutes"
                    f" (StreamOptions.backfill_minutes must be 0, not {o.backfill_minutes})"
                )
            raise ValueError(
                f"StreamOptions.backfill_minutes must be at most {op.backfill_max} for"
                f" {op.name} (the maximum of its backfill_minutes), not {o.backfill_minutes}"
            )
        self._request = _with_read_timeout(request, o.stall_timeout)
        self._backoff = _Backoff(o)
        self._recovery = (
            _Recovery(o.backfill_minutes, o.recent_ids_max, monotonic)
            if o.backfill_minutes
            else None
        )
        self._response: httpx.Response | None = None
        # Each line's object is handed to this as decoded (a stream without a model: as is).
        self._load = cast("Callable[[Any], T]", op.response.load if op.response else _as_is)
        self._opened = False
        self._iterated = False
        self._closed = False
        self.connections = 0  # how many connections were opened, reconnects included

    @property
    def options(self) -> StreamOptions:
        return self._options

    def _replaced(
        self, options: StreamOptions | None, changes: StreamOptionChanges
    ) -> StreamOptions:
        if self._opened:
            raise RuntimeError("change a stream's options before opening it")
        return dataclasses.replace(options or self._options, **changes)

    def _start_iterating(self) -> None:
        if not self._opened:
            hint = "async with" if hasattr(self, "__aenter__") else "with"
            raise RuntimeError(f"use the stream as a context manager: `{hint} client.op() as s:`")
        if self._iterated:
            # Its lines are spoken for: a second loop would only see the connection consumed.
            raise RuntimeError(
                "a stream can be iterated once: keep its iterator to read on after a `break`"
            )
        self._iterated = True

    def _reconnect_request(self) -> httpx.Request:
        """The request of a reconnect: with the backfill recovery asks for, if any."""
        recovery = self._recovery
        return _with_backfill(self._request, None if recovery is None else recovery.backfill())

    def _live(self) -> None:
        """A connection sent its first line: restart the backoff schedule.

        A keep-alive counts: a filtered stream whose rules match rarely may send nothing else
        for hours, and each such connection worked; it must not push later reconnects towards
        the longest delays, nor towards `max_reconnects`.
        """
        self._backoff.reset()

    def _delivered(self) -> None:
        """A connection sent its first data line: the gap, if any, is over.

        Not on a keep-alive: a reconnect that sends only that and drops has recovered nothing,
        so the next one must still ask for the whole gap.
        """
        if self._recovery is not None:
            self._recovery.delivered()

    def _lost(self, error: APIConnectionError, live: bool) -> None:
        if self._recovery is not None:
            stalled = isinstance(error, StreamStallError)
            quiet_for = self._options.stall_timeout * STALL_SLACK if stalled else 0.0
            self._recovery.lost(quiet_for, live)

    def _decode(self, line: str, response: httpx.Response) -> Any:
        """A line the stream loop's fast path did not take (surrounding whitespace, trailing
        data, not JSON): `json.loads` decides."""
        try:
            return json.loads(line)
        except ValueError as exc:
            # A garbled line is not a network fault: reconnecting would not make it valid.
            raise APIResponseError(
                f"{self._op.name}: a stream line is not valid JSON ({exc})", response=response
            ) from None

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

    def _not_an_object_error(self, raw: Any, response: httpx.Response) -> APIResponseError:
        # Valid JSON of another shape than the stream's objects: garbled as far as types go.
        return APIResponseError(
            f"{self._op.name}: a stream line is not a JSON object (got {_json_type(raw)})",
            response=response,
        )

    def _overlong_line_error(self, response: httpx.Response, limit: int) -> APIResponseError:
        # Not a network fault either: the server sends no line break at all.
        return APIResponseError(
            f"{self._op.name}: a stream line is longer than {limit:,} characters",
            response=response,
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


def _json_type(value: Any) -> str:
    """The JSON name of a decoded value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else type(value).__name__
