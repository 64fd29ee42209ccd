"""Errors raised by the client.

APIError
├── APIConnectionError            the request did not get a response
│   └── APITimeoutError
├── APIStatusError                a 3xx/4xx/5xx response (.status_code, .response, .problem)
│   ├── BadRequestError           400
│   ├── AuthenticationError       401
│   ├── PermissionDeniedError     403
│   ├── NotFoundError             404
│   ├── ConflictError             409
│   ├── RateLimitError            429 (.reset_at, .limit, .remaining)
│   └── ServerError               5xx
├── APIResponseError              a response whose body cannot be decoded
└── OperationNotAllowedError      the auth in use cannot call this operation (nothing sent)

Every httpx exception is raised as one of these, with the httpx one as `__cause__`:

    TimeoutException                                        APITimeoutError
    other TransportError (network, protocol, proxy,
      unsupported scheme), StreamError, TooManyRedirects
      (only from a user's transport or hook: the client
      never follows redirects)                              APIConnectionError
    DecodingError (Content-Encoding the body breaks)        APIResponseError (with the response)
    InvalidURL, CookieConflict, any other                   APIError
"""

from __future__ import annotations

import json
import os
import socket
import ssl
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import httpx

from ._models import Model, UnlistedKind

if TYPE_CHECKING:
    from .types import Problem

__all__ = [
    "HTTPX_ERRORS",
    "APIConnectionError",
    "APIError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "NotFoundError",
    "OperationNotAllowedError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "from_httpx_error",
]

# What httpx may raise while building, sending or reading: HTTPError covers transport, decoding,
# redirect and status errors; the other three do not derive from it.
HTTPX_ERRORS: Final = (httpx.HTTPError, httpx.InvalidURL, httpx.CookieConflict, httpx.StreamError)


class APIError(Exception):
    """Base of every error this package raises for a call."""


class APIConnectionError(APIError):
    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    pass


class APIResponseError(APIError):
    """A successful status with a body that is not what the spec promises (e.g. truncated JSON)."""

    def __init__(self, message: str, *, response: httpx.Response) -> None:
        super().__init__(message)
        self.response = response


class OperationNotAllowedError(APIError):
    """The configured auth cannot call this operation; raised before anything is sent."""


class APIStatusError(APIError):
    """An error response. `problem` is the body parsed as the spec's Problem union
    (`types.Problem` of this package), or None when the body is not one of its kinds (X's
    `about:blank` problems, v1.1-style errors): `response.json()` still has it."""

    problem: Problem | None

    def __init__(self, message: str, *, response: httpx.Response, problem: Problem | None) -> None:
        super().__init__(message)
        self.response = response
        self.status_code: int = response.status_code
        self.problem = problem


class BadRequestError(APIStatusError):
    pass


class AuthenticationError(APIStatusError):
    pass


class PermissionDeniedError(APIStatusError):
    pass


class NotFoundError(APIStatusError):
    pass


class ConflictError(APIStatusError):
    pass


class ServerError(APIStatusError):
    pass


class RateLimitError(APIStatusError):
    def __init__(self, message: str, *, response: httpx.Response, problem: Problem | None) -> None:
        super().__init__(message, response=response, problem=problem)
        limits = RateLimit.from_headers(response.headers)
        self.limit: int | None = limits.limit
        self.remaining: int | None = limits.remaining
        self.reset_at: datetime | None = limits.reset_at


class RateLimit:
    """The `x-rate-limit-*` headers of a response."""

    __slots__ = ("limit", "remaining", "reset_at")

    def __init__(self, limit: int | None, remaining: int | None, reset_at: datetime | None) -> None:
        self.limit: int | None = limit
        self.remaining: int | None = remaining
        self.reset_at: datetime | None = reset_at

    @classmethod
    def from_headers(cls, headers: httpx.Headers) -> RateLimit:
        reset = _int_header(headers, "x-rate-limit-reset")
        return cls(
            _int_header(headers, "x-rate-limit-limit"),
            _int_header(headers, "x-rate-limit-remaining"),
            datetime.fromtimestamp(reset, UTC) if reset is not None else None,
        )

    def __repr__(self) -> str:
        return (
            f"RateLimit(limit={self.limit}, remaining={self.remaining}, reset_at={self.reset_at})"
        )


def _int_header(headers: httpx.Headers, name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def status_error(response: httpx.Response, parse_problem: Any) -> APIStatusError:
    """The exception for an error response; `parse_problem` turns a JSON body into a Problem."""
    status = response.status_code
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else APIStatusError)
    body: Any = None
    try:
        body = json.loads(response.content) if response.content else None
    except ValueError:
        body = None
    problem: Problem | None = None
    detail = ""
    if isinstance(body, dict):
        # X answers errors either as a Problem (title/detail/type) or as {"errors": [Problem...]}.
        source = body
        errors = body.get("errors")
        if (
            "type" not in body
            and isinstance(errors, list)
            and errors
            and isinstance(errors[0], dict)
        ):
            source = errors[0]
        parsed = parse_problem(source)
        # `problem` holds only the union's kinds, never a kind the spec does not list.
        kind = type(parsed)
        if isinstance(parsed, Model) and kind is not Model and not issubclass(kind, UnlistedKind):
            problem = _as_problem(parsed)
        detail = str(source.get("detail") or source.get("title") or source.get("message") or "")
    reason = response.reason_phrase or "error"
    message = f"{status} {reason} for {response.request.method} {response.request.url.path}"
    if response.is_redirect and not detail:
        detail = "a redirect, which is not followed so that credentials reach only base_url"
    return cls(f"{message}: {detail}" if detail else message, response=response, problem=problem)


def _connection_reason(exc: BaseException, request: httpx.Request | None) -> str:
    """Why a connection failed, from the OS or TLS error under the httpx one, and to which
    host: " (Connection refused, 127.0.0.1:9)". Made of error codes and the host only, so
    nothing a server or a URL's query said gets into the message."""
    reason = ""
    seen: BaseException | None = exc
    for _ in range(8):  # the chain httpx -> httpcore -> OSError is short; bound it anyway
        if seen is None:
            break
        if isinstance(seen, socket.gaierror):
            reason = "the host name does not resolve"
            break
        if isinstance(seen, ssl.SSLError):
            reason = f"TLS failed: {seen.reason or type(seen).__name__}"
            break
        if isinstance(seen, OSError) and isinstance(seen.errno, int) and seen.errno > 0:
            reason = os.strerror(seen.errno)
            break
        seen = seen.__cause__ or seen.__context__
    parts = [p for p in (reason, _host(request) if request is not None else "") if p]
    return f" ({', '.join(parts)})" if parts else ""


def _host(request: httpx.Request) -> str:
    port = request.url.port
    return f"{request.url.host}:{port}" if port else request.url.host


def _other_request(exc: Exception, request: httpx.Request | None) -> httpx.Request | None:
    """The request httpx says failed, when it is not `request` (e.g. a token request)."""
    if request is None or not isinstance(exc, httpx.RequestError):
        return None
    try:
        failed = exc.request
    except RuntimeError:  # raised without a request
        return None
    same = (failed.method, failed.url.host, failed.url.port, failed.url.path) == (
        request.method,
        request.url.host,
        request.url.port,
        request.url.path,
    )
    return None if same else failed


def from_httpx_error(
    exc: Exception, what: str, request: httpx.Request | None, response: httpx.Response | None = None
) -> APIError:
    """This package's exception for an httpx one, raised while doing `what` ("GET /2/users/me").

    Raise it `from exc`. Messages carry the httpx class name, never a URL's query or a header.
    When another request failed on the way (the auth's token request), the message names it.
    """
    name = type(exc).__name__
    failed = _other_request(exc, request)
    if failed is not None:
        what = f"{failed.method} {failed.url.path} (sent by the auth for {what})"
    if isinstance(exc, httpx.TimeoutException):
        host = f" ({_host(failed)})" if failed is not None else ""
        return APITimeoutError(f"timed out: {what}{host}", request=request)
    if isinstance(exc, httpx.DecodingError) and response is not None:
        return APIResponseError(
            f"{what}: the response body cannot be decoded ({name})", response=response
        )
    if isinstance(exc, httpx.TooManyRedirects):
        return APIConnectionError(f"too many redirects: {what}", request=request)
    if isinstance(exc, httpx.TransportError | httpx.StreamError | httpx.DecodingError):
        why = _connection_reason(exc, failed or request)
        return APIConnectionError(f"connection failed: {what}: {name}{why}", request=request)
    if isinstance(exc, httpx.InvalidURL):
        return APIError(f"invalid URL for {what}: {exc}")
    return APIError(f"{what} failed: {name}: {exc}")


def _as_problem(value: Any) -> Problem:
    # Not a cast: where the spec has no Problem union, Problem is Model and a cast is redundant.
    return value  # type: ignore[no-any-return]
