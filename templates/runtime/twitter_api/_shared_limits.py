"""Rate limits shared through the token store: a 429 on one machine pauses the others.

X counts an endpoint's requests per user (or app) across every machine using the account. When
the auth's token store can share limits (`SharedRateLimits`, e.g. the Redis store), a 429 with
`x-rate-limit-reset` is published under the endpoint's name, and clients that wait on rate
limits wait for that reset before sending instead of spending a request on another 429.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

import httpx

from ._exceptions import RateLimit

if TYPE_CHECKING:
    from .auth._store import SharedRateLimits

__all__ = ["endpoint_of", "publish", "shared_reset", "shares_limits"]

# Path segments that are ids: /2/users/123 and /2/users/456 share one limit.
_ID_SEGMENT: Final = re.compile(r"/\d+(?=/|$)")


def endpoint_of(request: httpx.Request) -> str:
    return f"{request.method} {_ID_SEGMENT.sub('/:id', request.url.path)}"


def _limits(auth: object) -> SharedRateLimits | None:
    store = getattr(auth, "token_store", None)
    if store is None:
        return None
    from .auth._store import SharedRateLimits  # only auth with a token store gets here

    return store if isinstance(store, SharedRateLimits) else None


def shares_limits(auth: object) -> bool:
    """Whether `auth`'s token store shares rate limits (so `publish`/`shared_reset` do I/O)."""
    return _limits(auth) is not None


def publish(auth: object, request: httpx.Request, response: httpx.Response, now: float) -> None:
    """Tell the other machines when the limit behind this 429 resets."""
    limits = _limits(auth)
    reset_at = RateLimit.from_headers(response.headers).reset_at
    if limits is not None and reset_at is not None and reset_at.timestamp() > now:
        limits.share_rate_limit(endpoint_of(request), reset_at.timestamp(), now)


def shared_reset(auth: object, request: httpx.Request, now: float) -> float | None:
    """When another machine was told this endpoint's limit resets, if that is still ahead."""
    limits = _limits(auth)
    if limits is None:
        return None
    reset_at = limits.rate_limited_until(endpoint_of(request))
    return reset_at if reset_at is not None and reset_at > now else None
