"""The transport core under the generated clients: send, retry, raise, parse.

The retry decision is one pure function (`_retry_delay`); the send loop is written once, async,
in `_async_base_client`, and its sync twin is derived from it at generation time.

With `wait_on_rate_limit=True` a 429 is waited out within bounds, per call: each wait lasts
at least `RATE_LIMIT_MIN_WAIT` (1 s, so `Retry-After: 0` cannot spin) and at most
`MAX_RATE_LIMIT_WAIT` (15 min); after `rate_limit_max_waits` waits (5) or once the next wait
would bring the total past `rate_limit_max_total_wait` (30 min) the RateLimitError is raised.
A subclass or an instance may set those two attributes.
"""

from __future__ import annotations

import datetime
import email.utils
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final, Generic, Self, TypeVar

import httpx

from . import _spec_info
from ._endpoints import check_credential_url, origin_of
from ._exceptions import (
    APIError,
    RateLimit,
    from_httpx_error,
    status_error,
)
from ._logging import configure_from_env, package_logger
from ._models import Converter
from ._raw_response import RawResponse
from ._shared_limits import publish, shared_reset
from ._wire import (
    NOT_GIVEN,
    NotGiven,
    Operation,
    RequestOptions,
    Timeout,
    accept_header,
    build_request,
    request_url,
)

log = package_logger()
configure_from_env()

DEFAULT_TIMEOUT: Final = 30.0
DEFAULT_MAX_RETRIES: Final = 2
MAX_RATE_LIMIT_WAIT: Final = 15 * 60.0
RATE_LIMIT_MIN_WAIT: Final = 1.0
DEFAULT_RATE_LIMIT_MAX_WAITS: Final = 5
DEFAULT_RATE_LIMIT_MAX_TOTAL_WAIT: Final = 30 * 60.0
_IDEMPOTENT: Final = frozenset({"GET", "HEAD", "OPTIONS"})

T = TypeVar("T")
H = TypeVar("H", httpx.Client, httpx.AsyncClient)


class _Settings:
    """What a client was configured with; shared by a client and its `with_options` copies."""

    __slots__ = ("auth", "base_url", "max_retries", "origin", "timeout", "wait_on_rate_limit")

    def __init__(
        self,
        auth: httpx.Auth | None,
        base_url: str,
        timeout: Timeout,
        max_retries: int,
        wait_on_rate_limit: bool,
    ) -> None:
        self.auth = auth
        self.base_url = base_url.rstrip("/")
        self.origin = origin_of(httpx.URL(self.base_url))
        self.timeout = timeout
        self.max_retries = max_retries
        self.wait_on_rate_limit = wait_on_rate_limit


def _check_url(base_url: str) -> None:
    # One line naming the setting, rather than httpx's own exception from deep inside.
    try:
        httpx.URL(base_url)
    except httpx.InvalidURL:
        raise ValueError("base_url is not a valid URL") from None


def _check_absolute(base_url: str | None) -> None:
    """A relative server URL (the spec's, or given) would fail only at the first call."""
    url = base_url or _spec_info.DEFAULT_BASE_URL
    try:
        absolute = httpx.URL(url).is_absolute_url
    except httpx.InvalidURL:
        return  # reported as an invalid URL by the checks that follow
    if absolute:
        return
    if base_url is None:
        raise ValueError(
            f"the spec's server URL {url!r} is relative: pass base_url= with the full URL "
            f"(e.g. base_url='https://api.example.com{url}')"
        )
    raise ValueError("base_url must be an absolute URL (e.g. 'https://api.example.com')")


def _server_of(op: Operation, settings: _Settings) -> str:
    """The base URL of `op`: its own server while the client keeps the spec's default."""
    if not op.server or settings.base_url != _spec_info.DEFAULT_BASE_URL.rstrip("/"):
        return settings.base_url
    server = str(httpx.URL(settings.base_url + "/").join(op.server)).rstrip("/")
    if settings.auth is not None:
        check_credential_url(server, f"the server of {op.name}")
    return server


class _RateLimitWaits:
    """The 429 waits of one call so far, checked against the client's bounds."""

    __slots__ = ("count", "max_count", "max_total", "total")

    def __init__(self, max_count: int, max_total: float) -> None:
        self.max_count = max_count
        self.max_total = max_total
        self.count = 0
        self.total = 0.0

    def admit(self, wanted: float) -> float | None:
        """The wait to make (floored, capped), or None once the bounds are reached."""
        delay = max(RATE_LIMIT_MIN_WAIT, min(wanted, MAX_RATE_LIMIT_WAIT))
        if self.count >= self.max_count or self.total + delay > self.max_total:
            return None
        self.count += 1
        self.total += delay
        return delay


def _retry_delay(
    method: str,
    attempt: int,
    settings: _Settings,
    *,
    response: httpx.Response | None = None,
    error: Exception | None = None,
    rate_limit_waits: _RateLimitWaits | None = None,
    now: float | None = None,
) -> float | None:
    """Seconds to wait before trying again, or None to give up.

    Only requests that surely never reached the server (a failed connect) are retried when
    they are not idempotent, so a post is never created twice. `now` is the wall clock in
    seconds since the epoch, for `x-rate-limit-reset`.
    """
    if response is not None and response.status_code == 429:
        if not settings.wait_on_rate_limit or rate_limit_waits is None:
            return None
        return rate_limit_waits.admit(
            _rate_limit_wait(response, time.time() if now is None else now)
        )
    if attempt >= settings.max_retries:
        return None
    if error is not None:
        never_sent = isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
        if not never_sent and method not in _IDEMPOTENT:
            return None
    elif response is None or response.status_code < 500 or method not in _IDEMPOTENT:
        return None
    if response is not None:
        after = _retry_after(response, time.time() if now is None else now)
        if after is not None:
            return min(after, 60.0)
    # Exponential backoff with full jitter: 0.5 s, 1 s, 2 s ... capped at 8 s.
    return random.uniform(0, min(8.0, 0.5 * 2**attempt))


def _retry_after(response: httpx.Response, now: float) -> float | None:
    """Seconds from `now` that `Retry-After` asks for: a number, or an HTTP date (RFC 9110)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT; a zone-less one is read so too
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, when.timestamp() - now)


def _rate_limit_wait(response: httpx.Response, now: float) -> float:
    after = _retry_after(response, now)
    if after is not None:
        return after
    reset_at = RateLimit.from_headers(response.headers).reset_at
    if reset_at is None:
        return 60.0
    # One extra second: X's reset is whole seconds and the clocks may differ slightly.
    return max(0.0, reset_at.timestamp() - now) + 1.0


class _ClientBase(Generic[H]):
    """What the sync and async clients share: settings, request building, error mapping."""

    # Set by the generated client: the spec's Problem union, and its operations by method name.
    _problem: ClassVar[Converter | None] = None
    _operations: ClassVar[Mapping[str, Operation]] = {}

    # Bounds of wait_on_rate_limit for one call (see the module docstring).
    rate_limit_max_waits: int = DEFAULT_RATE_LIMIT_MAX_WAITS
    rate_limit_max_total_wait: float = DEFAULT_RATE_LIMIT_MAX_TOTAL_WAIT

    def __init__(
        self,
        http_client: H | None,
        factory: Callable[[], H],
        *,
        auth: httpx.Auth | None,
        base_url: str | None,
        timeout: Timeout,
        max_retries: int,
        wait_on_rate_limit: bool,
        allow_insecure_http: bool,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        _check_absolute(base_url)
        if auth is not None:
            check_credential_url(
                base_url or _spec_info.DEFAULT_BASE_URL,
                "base_url",
                allow_insecure_http=allow_insecure_http,
            )
        elif base_url is not None:
            _check_url(base_url)
        self._settings = _Settings(
            auth,
            base_url or _spec_info.DEFAULT_BASE_URL,
            timeout,
            max_retries,
            wait_on_rate_limit,
        )
        self._headers: dict[str, str] = dict(headers or {})
        # Made on first use: constructing a client stays cheap (httpx.Client() builds a TLS
        # context), which matters for clients created at import time.
        self._http_client: H | None = http_client
        self._http_factory: Callable[[], H] = factory
        self._owns_http = http_client is None
        self._http_lock = threading.Lock()

    @property
    def _http(self) -> H:
        client = self._http_client
        if client is None:
            with self._http_lock:
                client = self._http_client
                if client is None:
                    client = self._http_client = self._http_factory()
        return client

    @property
    def base_url(self) -> str:
        return self._settings.base_url

    @property
    def auth(self) -> httpx.Auth | None:
        return self._settings.auth

    def with_options(
        self,
        *,
        timeout: Timeout | NotGiven = NOT_GIVEN,
        max_retries: int | None = None,
        headers: Mapping[str, str] | None = None,
        wait_on_rate_limit: bool | None = None,
    ) -> Self:
        """A client sharing this one's connections, with other settings or extra headers."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._http_client = self._http  # the copy shares this client's connections...
        clone._owns_http = False  # ...and closing it must not close them
        s = self._settings
        clone._settings = _Settings(
            s.auth,
            s.base_url,
            s.timeout if isinstance(timeout, NotGiven) else timeout,
            s.max_retries if max_retries is None else max_retries,
            s.wait_on_rate_limit if wait_on_rate_limit is None else wait_on_rate_limit,
        )
        clone._headers = {**self._headers, **(headers or {})}
        return clone

    def _build(
        self,
        op: Operation,
        path: Mapping[str, Any] | None,
        query: Mapping[str, Any] | None,
        body: Any,
        options: RequestOptions | None = None,
    ) -> httpx.Request:
        s = self._settings
        timeout = s.timeout
        headers = self._headers
        extra_query = extra_body = None
        if options is not None:
            if not isinstance(options.timeout, NotGiven):
                timeout = options.timeout
            if options.accept is not None:
                headers = {**headers, "Accept": accept_header(op, options.accept)}
            if options.extra_headers:
                headers = {**headers, **options.extra_headers}
            extra_query, extra_body = options.extra_query, options.extra_body
        try:
            return build_request(
                self._http,
                _server_of(op, s),
                op,
                path,
                query,
                body,
                headers,
                timeout,
                extra_query=extra_query,
                extra_body=extra_body,
            )
        except httpx.InvalidURL as exc:
            raise from_httpx_error(exc, op.name, None) from exc

    def _build_raw(
        self, method: str, path: str, params: Mapping[str, Any] | None, json: Any
    ) -> httpx.Request:
        s = self._settings
        url = request_url(s.base_url, s.origin, path)
        op = Operation(f"{method.upper()} {path}", method.upper(), url)
        return build_request(self._http, "", op, None, params, json, self._headers, s.timeout)

    def _rate_limit_waits(self) -> _RateLimitWaits:
        return _RateLimitWaits(self.rate_limit_max_waits, self.rate_limit_max_total_wait)

    def _now(self) -> float:
        """The wall clock, seconds since the epoch (tests replace it)."""
        return time.time()

    def _monotonic(self) -> float:
        """A clock for intervals, which a step of the wall clock leaves alone (tests replace it)."""
        return time.monotonic()

    def _shared_rate_limit_pause(self, request: httpx.Request, waits: _RateLimitWaits) -> float:
        """The wait before sending for a limit another machine sharing the store hit (0: none)."""
        now = self._now()
        if not self._settings.wait_on_rate_limit:
            return 0.0
        reset_at = shared_reset(self._settings.auth, request, now)
        return 0.0 if reset_at is None else waits.admit(reset_at - now + 1.0) or 0.0

    def _retry_or_raise(
        self,
        request: httpx.Request,
        attempt: int,
        *,
        response: httpx.Response | None = None,
        error: httpx.TransportError | None = None,
        rate_limit_waits: _RateLimitWaits | None = None,
        publish_limit: bool = True,
    ) -> float:
        """The wait before the next attempt; raises when there is none to make.

        `publish_limit=False`: the caller told the store about a 429 itself (off the loop).
        """
        settings = self._settings
        delay = _retry_delay(
            request.method,
            attempt,
            settings,
            response=response,
            error=error,
            rate_limit_waits=rate_limit_waits,
            now=self._now(),
        )
        what = f"{request.method} {request.url.path}"
        if publish_limit and response is not None and response.status_code == 429:
            publish(settings.auth, request, response, self._now())
        if error is not None:
            if delay is None:
                raise from_httpx_error(error, what, request) from error
            log.info("retrying %s in %.2fs after %s", what, delay, type(error).__name__)
        elif response is not None:
            if delay is None:
                waits = rate_limit_waits
                if (
                    waits is not None
                    and response.status_code == 429
                    and settings.wait_on_rate_limit
                ):
                    log.warning(
                        "%s still rate limited after %d waits (%.0fs); giving up",
                        what,
                        waits.count,
                        waits.total,
                    )
                self._raise_for_status(response)
            log.info("retrying %s in %.2fs after status %d", what, delay, response.status_code)
        return delay or 0.0

    def _raise_for_status(self, response: httpx.Response) -> None:
        # A 3xx too: redirects are never followed, and a typed result needs a 2xx.
        if not response.is_success:
            problem = self._problem
            raise status_error(response, problem.load if problem is not None else lambda r: None)

    def __repr__(self) -> str:
        # The auth object's own repr is redacted; never print headers here.
        return f"{type(self).__name__}(base_url={self.base_url!r}, auth={self.auth!r})"


def _describe(request: httpx.Request) -> str:
    return f"{request.method} {request.url.path}"


def _read_failed(exc: Exception, request: httpx.Request, response: httpx.Response) -> APIError:
    # A body that cannot be decoded is the response's fault: retrying would not fix it.
    return from_httpx_error(exc, _describe(request), request, response)


def _raw_result(found: list[httpx.Response], value: T) -> RawResponse[T]:
    if not found:
        raise TypeError("with_raw_response needs a method of this client that sends a request")
    return RawResponse(found[-1], value)
