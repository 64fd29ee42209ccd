"""Raw access to a call: status, headers and rate limits beside the typed result."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Generic, TypeVar

import httpx

from ._exceptions import RateLimit

__all__ = ["RawResponse", "capture_responses", "record_response"]

T = TypeVar("T")

# The responses received while `with_raw_response` runs a call; a context variable keeps
# concurrent calls (threads, asyncio tasks) apart.
_captured: ContextVar[list[httpx.Response] | None] = ContextVar("_captured", default=None)


def capture_responses() -> tuple[list[httpx.Response], object]:
    found: list[httpx.Response] = []
    return found, _captured.set(found)


def stop_capture(token: object) -> None:
    _captured.reset(token)  # type: ignore[arg-type]


def record_response(response: httpx.Response) -> None:
    found = _captured.get()
    if found is not None:
        found.append(response)


class RawResponse(Generic[T]):
    """The HTTP response of one call and its parsed value (`.parsed`)."""

    __slots__ = ("http_response", "parsed")

    def __init__(self, http_response: httpx.Response, parsed: T) -> None:
        self.http_response: httpx.Response = http_response
        self.parsed: T = parsed

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def rate_limit(self) -> RateLimit:
        return RateLimit.from_headers(self.http_response.headers)

    def parse(self) -> T:
        return self.parsed

    def __repr__(self) -> str:
        request = self.http_response.request
        return f"RawResponse({self.status_code} {request.method} {request.url.path})"
