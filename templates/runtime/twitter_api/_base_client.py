"""The transport core under the generated clients: send, retry, raise, parse.

The retry decision is one pure function (`_retry_delay`), so the sync and async send loops
differ only in how they sleep and await.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Final, ParamSpec, Self, TypeVar

import httpx

from . import _spec_info
from ._exceptions import (
    APIConnectionError,
    APITimeoutError,
    RateLimit,
    status_error,
)
from ._logging import configure_from_env, package_logger
from ._models import Converter
from ._pagination import AsyncPaginator, Paginator
from ._raw_response import RawResponse, capture_responses, record_response, stop_capture
from ._streaming import AsyncStream, Stream
from ._wire import Operation, build_request, check_security, parse_response

__all__ = ["AsyncAPIClient", "SyncAPIClient"]

log = package_logger()
configure_from_env()

DEFAULT_TIMEOUT: Final = 30.0
DEFAULT_MAX_RETRIES: Final = 2
MAX_RATE_LIMIT_WAIT: Final = 15 * 60.0
_IDEMPOTENT: Final = frozenset({"GET", "HEAD", "OPTIONS"})

P = TypeVar("P")
T = TypeVar("T")
Params = ParamSpec("Params")


class _Settings:
    """What a client was configured with; shared by a client and its `with_options` copies."""

    __slots__ = ("auth", "base_url", "max_retries", "problem", "timeout", "wait_on_rate_limit")

    def __init__(
        self,
        auth: httpx.Auth | None,
        base_url: str,
        timeout: float | None,
        max_retries: int,
        wait_on_rate_limit: bool,
        problem: Converter | None,
    ) -> None:
        self.auth = auth
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.wait_on_rate_limit = wait_on_rate_limit
        self.problem = problem


def _retry_delay(
    method: str,
    attempt: int,
    settings: _Settings,
    *,
    response: httpx.Response | None = None,
    error: Exception | None = None,
) -> float | None:
    """Seconds to wait before trying again, or None to give up.

    Only requests that surely never reached the server (a failed connect) are retried when
    they are not idempotent, so a post is never created twice.
    """
    if response is not None and response.status_code == 429:
        if not settings.wait_on_rate_limit:
            return None
        return min(_rate_limit_wait(response), MAX_RATE_LIMIT_WAIT)
    if attempt >= settings.max_retries:
        return None
    if error is not None:
        never_sent = isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
        if not never_sent and method not in _IDEMPOTENT:
            return None
    elif response is None or response.status_code < 500 or method not in _IDEMPOTENT:
        return None
    if response is not None:
        after = _retry_after(response)
        if after is not None:
            return min(after, 60.0)
    # Exponential backoff with full jitter: 0.5 s, 1 s, 2 s ... capped at 8 s.
    return random.uniform(0, min(8.0, 0.5 * 2**attempt))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _rate_limit_wait(response: httpx.Response) -> float:
    after = _retry_after(response)
    if after is not None:
        return after
    reset_at = RateLimit.from_headers(response.headers).reset_at
    if reset_at is None:
        return 60.0
    # One extra second: X's reset is whole seconds and the clocks may differ slightly.
    return max(0.0, (reset_at - datetime.now(UTC)).total_seconds()) + 1.0


class _ClientBase:
    # Set by the generated client: the spec's Problem union, and its operations by method name.
    _problem: ClassVar[Converter | None] = None
    _operations: ClassVar[dict[str, Operation]] = {}

    def __init__(
        self,
        *,
        auth: httpx.Auth | None = None,
        base_url: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        wait_on_rate_limit: bool = False,
    ) -> None:
        self._settings = _Settings(
            auth,
            base_url or _spec_info.DEFAULT_BASE_URL,
            timeout,
            max_retries,
            wait_on_rate_limit,
            type(self)._problem,
        )
        self._headers: dict[str, str] = {}

    @property
    def base_url(self) -> str:
        return self._settings.base_url

    @property
    def auth(self) -> httpx.Auth | None:
        return self._settings.auth

    def _raise_for_status(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            problem = self._settings.problem
            raise status_error(response, problem.load if problem is not None else lambda r: None)

    def _copy_with(self, timeout: float | None, headers: Mapping[str, str] | None) -> Self:
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        if timeout is not None:
            s = self._settings
            clone._settings = _Settings(
                s.auth, s.base_url, timeout, s.max_retries, s.wait_on_rate_limit, s.problem
            )
        clone._headers = {**self._headers, **(headers or {})}
        return clone

    def __repr__(self) -> str:
        # The auth object's own repr is redacted; never print headers here.
        return f"{type(self).__name__}(base_url={self.base_url!r}, auth={self.auth!r})"


def _wrap_transport_error(exc: httpx.TransportError, request: httpx.Request) -> APIConnectionError:
    what = f"{request.method} {request.url.path}"
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"timed out: {what}", request=request)
    return APIConnectionError(f"connection failed: {what}: {type(exc).__name__}", request=request)


class SyncAPIClient(_ClientBase):
    def __init__(
        self,
        *,
        auth: httpx.Auth | None = None,
        base_url: str | None = None,
        http_client: httpx.Client | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        wait_on_rate_limit: bool = False,
    ) -> None:
        super().__init__(
            auth=auth,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            wait_on_rate_limit=wait_on_rate_limit,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client()

    def with_options(
        self, *, timeout: float | None = None, headers: Mapping[str, str] | None = None
    ) -> Self:
        """A client sharing this one's connections, with another timeout or extra headers."""
        return self._copy_with(timeout, headers)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _send(self, request: httpx.Request, stream: bool = False) -> httpx.Response:
        settings = self._settings
        attempt = 0
        while True:
            try:
                response = self._http.send(request, auth=settings.auth, stream=stream)
            except httpx.TransportError as exc:
                delay = _retry_delay(request.method, attempt, settings, error=exc)
                if delay is None:
                    raise _wrap_transport_error(exc, request) from None
                log.info(
                    "retrying %s %s in %.2fs after %s",
                    request.method,
                    request.url.path,
                    delay,
                    type(exc).__name__,
                )
            else:
                record_response(response)
                log.debug("%s %s -> %d", request.method, request.url.path, response.status_code)
                if response.status_code < 400:
                    return response
                delay = _retry_delay(request.method, attempt, settings, response=response)
                if delay is None:
                    if stream:
                        response.read()
                    self._raise_for_status(response)
                response.close()
                log.info(
                    "retrying %s %s in %.2fs after status %d",
                    request.method,
                    request.url.path,
                    delay,
                    response.status_code,
                )
            time.sleep(delay or 0.0)
            attempt += 1

    def _call(
        self,
        op: Operation,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        check_security(op, self._settings.auth)
        request = self._build(op, path, query, body)
        response = self._send(request)
        return parse_response(op, response)

    def _build(
        self,
        op: Operation,
        path: Mapping[str, Any] | None,
        query: Mapping[str, Any] | None,
        body: Any,
    ) -> httpx.Request:
        s = self._settings
        return build_request(
            self._http, s.base_url, op, path, query, body, self._headers, s.timeout
        )

    def _stream(
        self,
        op: Operation,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
    ) -> Stream[Any]:
        check_security(op, self._settings.auth)
        return Stream(self, op, self._build(op, path, query, None))

    def paginate(
        self, method: Callable[..., P], /, *, limit: int | None = None, **kwargs: Any
    ) -> Paginator[P]:
        """Iterate the pages of a paginated operation: `client.paginate(client.op, **kwargs)`."""
        return Paginator(method, self._operations, kwargs, limit)

    def with_raw_response(
        self, method: Callable[Params, T], /, *args: Params.args, **kwargs: Params.kwargs
    ) -> RawResponse[T]:
        """Call `method` and keep its HTTP response: `client.with_raw_response(client.op, ...)`.

        `.headers`, `.status_code` and `.rate_limit` of the final response, `.parse()` the value.
        """
        found, token = capture_responses()
        try:
            value = method(*args, **kwargs)
        finally:
            stop_capture(token)
        if not found:
            raise TypeError("with_raw_response needs a method of this client that sends a request")
        return RawResponse(found[-1], value)

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """Any endpoint, with this client's auth, retries and errors; returns the raw response."""
        op = Operation(f"{method.upper()} {path}", method.upper(), path)
        request = self._build(op, None, params, json)
        response = self._send(request)
        response.read()
        return response


class AsyncAPIClient(_ClientBase):
    def __init__(
        self,
        *,
        auth: httpx.Auth | None = None,
        base_url: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        wait_on_rate_limit: bool = False,
    ) -> None:
        super().__init__(
            auth=auth,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            wait_on_rate_limit=wait_on_rate_limit,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient()

    def with_options(
        self, *, timeout: float | None = None, headers: Mapping[str, str] | None = None
    ) -> Self:
        """A client sharing this one's connections, with another timeout or extra headers."""
        return self._copy_with(timeout, headers)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _send(self, request: httpx.Request, stream: bool = False) -> httpx.Response:
        settings = self._settings
        attempt = 0
        while True:
            try:
                response = await self._http.send(request, auth=settings.auth, stream=stream)
            except httpx.TransportError as exc:
                delay = _retry_delay(request.method, attempt, settings, error=exc)
                if delay is None:
                    raise _wrap_transport_error(exc, request) from None
                log.info(
                    "retrying %s %s in %.2fs after %s",
                    request.method,
                    request.url.path,
                    delay,
                    type(exc).__name__,
                )
            else:
                record_response(response)
                log.debug("%s %s -> %d", request.method, request.url.path, response.status_code)
                if response.status_code < 400:
                    return response
                delay = _retry_delay(request.method, attempt, settings, response=response)
                if delay is None:
                    if stream:
                        await response.aread()
                    self._raise_for_status(response)
                await response.aclose()
                log.info(
                    "retrying %s %s in %.2fs after status %d",
                    request.method,
                    request.url.path,
                    delay,
                    response.status_code,
                )
            await asyncio.sleep(delay or 0.0)
            attempt += 1

    async def _call(
        self,
        op: Operation,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        check_security(op, self._settings.auth)
        request = self._build(op, path, query, body)
        response = await self._send(request)
        return parse_response(op, response)

    def _build(
        self,
        op: Operation,
        path: Mapping[str, Any] | None,
        query: Mapping[str, Any] | None,
        body: Any,
    ) -> httpx.Request:
        s = self._settings
        return build_request(
            self._http, s.base_url, op, path, query, body, self._headers, s.timeout
        )

    def _stream(
        self,
        op: Operation,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
    ) -> AsyncStream[Any]:
        check_security(op, self._settings.auth)
        return AsyncStream(self, op, self._build(op, path, query, None))

    def paginate(
        self, method: Callable[..., Awaitable[P]], /, *, limit: int | None = None, **kwargs: Any
    ) -> AsyncPaginator[P]:
        """Iterate pages with `async for`: `client.paginate(client.op, **kwargs)`."""
        return AsyncPaginator(method, self._operations, kwargs, limit)

    async def with_raw_response(
        self,
        method: Callable[Params, Awaitable[T]],
        /,
        *args: Params.args,
        **kwargs: Params.kwargs,
    ) -> RawResponse[T]:
        """Await `method` and keep its HTTP response (see `Client.with_raw_response`)."""
        found, token = capture_responses()
        try:
            value = await method(*args, **kwargs)
        finally:
            stop_capture(token)
        if not found:
            raise TypeError("with_raw_response needs a method of this client that sends a request")
        return RawResponse(found[-1], value)

    async def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """Any endpoint, with this client's auth, retries and errors; returns the raw response."""
        op = Operation(f"{method.upper()} {path}", method.upper(), path)
        request = self._build(op, None, params, json)
        response = await self._send(request)
        await response.aread()
        return response
