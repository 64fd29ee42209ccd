"""The client class under the generated clients: written async, the sync twin derived.

Everything but the I/O is in `_base_client`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, ParamSpec, Self, TypeVar

import httpx

from ._backend import sleep_async
from ._base_client import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    _ClientBase,
    _describe,
    _RateLimitWaits,
    _raw_result,
    _read_failed,
    log,
)
from ._exceptions import HTTPX_ERRORS, from_httpx_error
from ._raw_response import RawResponse, capture_responses, record_response, stop_capture
from ._shared_limits import publish, shares_limits
from ._wire import Operation, RequestOptions, Timeout, check_security, parse_response

if TYPE_CHECKING:
    from ._async_pagination import AsyncPaginator
    from ._async_streaming import AsyncStream

T = TypeVar("T")
Params = ParamSpec("Params")


class AsyncAPIClient(_ClientBase[httpx.AsyncClient]):
    def __init__(
        self,
        *,
        auth: httpx.Auth | None = None,
        base_url: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        wait_on_rate_limit: bool = False,
        allow_insecure_http: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            http_client,
            httpx.AsyncClient,
            auth=auth,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            wait_on_rate_limit=wait_on_rate_limit,
            allow_insecure_http=allow_insecure_http,
            headers=headers,
        )

    async def aclose(self) -> None:
        if self._owns_http and self._http_client is not None:
            await self._http_client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _sleep(self, seconds: float) -> None:
        await sleep_async(seconds)  # on the running event loop, whichever anyio runs

    # Rate limits shared through the token store (Redis, say) are a network round trip: made in
    # a worker thread, as token store I/O is, so a slow store never stalls the event loop.

    async def _shared_pause(self, request: httpx.Request, waits: _RateLimitWaits) -> float:
        if not self._settings.wait_on_rate_limit or not shares_limits(self._settings.auth):
            return 0.0  # no I/O to make: no thread either
        from .auth._flow_steps import store_io_async

        return await store_io_async(partial(self._shared_rate_limit_pause, request, waits))

    async def _publish_limit(self, request: httpx.Request, response: httpx.Response) -> None:
        if shares_limits(self._settings.auth):
            from .auth._flow_steps import store_io_async

            auth, now = self._settings.auth, self._now()
            await store_io_async(partial(publish, auth, request, response, now))

    async def _send(self, request: httpx.Request, stream: bool = False) -> httpx.Response:
        # Redirects are never followed, whatever the http_client says: a token refresh of the
        # auth flow rides on this send, and a 307 would carry its secrets to another host.
        attempt = 0
        waits = self._rate_limit_waits()
        while True:
            while pause := await self._shared_pause(request, waits):
                await self._sleep(pause)
            try:
                # Streamed, then read here: a body that fails to decode still has its response.
                response = await self._http.send(
                    request, auth=self._settings.auth, stream=True, follow_redirects=False
                )
                if response.status_code >= 400 or not stream:
                    try:
                        await response.aread()  # an error body is read for the exception's Problem
                    except httpx.DecodingError as exc:
                        await response.aclose()
                        raise _read_failed(exc, request, response) from exc
                    except BaseException:
                        await response.aclose()
                        raise
            except httpx.TransportError as exc:
                delay = self._retry_or_raise(request, attempt, error=exc)
            except HTTPX_ERRORS as exc:
                raise from_httpx_error(exc, _describe(request), request) from exc
            else:
                record_response(response)
                log.debug("%s %s -> %d", request.method, request.url.path, response.status_code)
                if response.status_code < 400:
                    return response
                if response.status_code == 429:
                    await self._publish_limit(request, response)
                delay = self._retry_or_raise(
                    request, attempt, response=response, rate_limit_waits=waits, publish_limit=False
                )
                await response.aclose()
            await self._sleep(delay)
            attempt += 1

    async def _call(
        self,
        op: Operation,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        options: RequestOptions | None = None,
    ) -> Any:
        check_security(op, self._settings.auth)
        response = await self._send(self._build(op, path, query, body, options))
        self._raise_for_status(response)
        return parse_response(op, response)

    def _stream(
        self,
        op: Operation,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        options: RequestOptions | None = None,
    ) -> AsyncStream[Any]:
        from ._async_streaming import AsyncStream

        check_security(op, self._settings.auth)
        return AsyncStream(self, op, self._build(op, path, query, None, options))

    def paginate(
        self,
        method: Callable[Params, Awaitable[T]],
        /,
        limit: int | None = None,
        max_items: int | None = None,
        *args: Params.args,
        **kwargs: Params.kwargs,
    ) -> AsyncPaginator[T]:
        """Iterate the pages of a paginated operation: `client.paginate(client.op, **kwargs)`.

        The keyword arguments are checked against `client.op`'s own; `limit=` bounds the pages,
        `max_items=` the `data` elements of `.items()`.
        """
        from ._async_pagination import AsyncPaginator  # loaded on first use, as streams are

        return AsyncPaginator(method, self._operations, args, dict(kwargs), limit, max_items)

    async def with_raw_response(
        self,
        method: Callable[Params, Awaitable[T]],
        /,
        *args: Params.args,
        **kwargs: Params.kwargs,
    ) -> RawResponse[T]:
        """Call `method` and keep its HTTP response: `client.with_raw_response(client.op, ...)`.

        `.headers`, `.status_code` and `.rate_limit` of the final response, `.parse()` the value.
        """
        found, token = capture_responses()
        try:
            value = await method(*args, **kwargs)
        finally:
            stop_capture(token)
        return _raw_result(found, value)

    async def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """Any endpoint, with this client's auth, retries and errors; returns the raw response.

        `path` starts with a single `/` (or is a URL on base_url's origin); anything that would
        send the credentials elsewhere raises ValueError before a request is made.
        A 3xx is returned as it is: redirects are never followed.
        """
        response = await self._send(self._build_raw(method, path, params, json))
        await response.aread()
        return response
