"""What a token store is, and which one a `token_store` setting names.

    a file path        FileTokenStore: one machine, locked across its threads and processes
    "keyring:"         KeyringTokenStore: the OS credential store (the `keyring` extra)
    "redis://..."      RedisTokenStore: shared by machines, one refresh at a time across all
    "rediss://..."     the same over TLS

A store is read without a lock; `save` and `delete` are called only by the holder of `lock()`,
which re-reads the store after taking it (another holder may have refreshed meanwhile).
"""

from __future__ import annotations

import json
import os
import re
from typing import Protocol, runtime_checkable

from ._errors import TokenStoreError
from ._token import Token

__all__ = [
    "SharedRateLimits",
    "StoreLock",
    "TokenStore",
    "decode_record",
    "encode_record",
    "is_network_store",
    "is_store_url",
    "names_a_url",
    "open_token_store",
]

_NETWORK_SCHEMES = ("redis://", "rediss://")  # stores on another machine
_URL_SCHEMES = (*_NETWORK_SCHEMES, "keyring:")
_OTHER_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+://")  # two letters at least: `C://x` is a path


class StoreLock(Protocol):
    """Mutual exclusion for refreshing one token, across everything that shares the store."""

    def acquire(self) -> None: ...

    def try_acquire(self) -> bool: ...

    async def acquire_async(self) -> None: ...

    def release(self) -> None: ...


@runtime_checkable
class TokenStore(Protocol):
    """Where an OAuth 2.0 user token is kept between runs (and shared between processes)."""

    @property
    def location(self) -> str:
        """Where the token is, for messages: never a secret or a password."""
        ...

    def lock(self) -> StoreLock: ...

    def load(self) -> Token | None: ...

    def save(self, token: Token) -> None: ...

    def delete(self) -> bool: ...


@runtime_checkable
class SharedRateLimits(Protocol):
    """A store that tells every machine sharing it when an endpoint's rate limit resets."""

    def rate_limited_until(self, endpoint: str) -> float | None:
        """When `endpoint`'s limit resets (seconds since the epoch), or None when not known."""
        ...

    def share_rate_limit(self, endpoint: str, reset_at: float, now: float) -> None: ...


def is_store_url(value: str) -> bool:
    """True when `value` names a store by URL rather than a file path."""
    return value.lower().startswith(_URL_SCHEMES)


def is_network_store(value: str) -> bool:
    """True when `value` names a store on another machine (tokens leave this one)."""
    return value.lower().startswith(_NETWORK_SCHEMES)


def names_a_url(value: str) -> bool:
    """True when `value` is written as a URL (a supported store's or not), not a file path."""
    return is_store_url(value) or _OTHER_URL.match(value) is not None


def open_token_store(
    value: str | os.PathLike[str],
    *,
    name: str = "default",
    allow_insecure_permissions: bool = False,
) -> TokenStore:
    """The store `value` names; `name` tells accounts apart in a shared store (not secret)."""
    if isinstance(value, str) and is_store_url(value):
        if value.lower().startswith("keyring:"):
            from ._keyring_store import KeyringTokenStore

            return KeyringTokenStore(name=name, service=value[len("keyring:") :] or None)
        from ._redis_store import RedisTokenStore

        return RedisTokenStore(value, name=name)
    if isinstance(value, str) and _OTHER_URL.match(value):
        # `unix:///run/redis.sock` or `s3://...` is no file name: say so, not create one.
        scheme = value.partition(":")[0]
        raise TokenStoreError(
            f"the token store URL scheme {scheme!r} is not supported: use a file path, "
            "keyring:, redis:// or rediss://"
        )
    from ._token_store import FileTokenStore

    return FileTokenStore(value, allow_insecure_permissions=allow_insecure_permissions)


def encode_record(token: Token) -> bytes:
    """The stored form of `token`, the same in every store (it reveals the secrets)."""
    return json.dumps(token.to_json(), indent=1).encode()


def decode_record(raw: bytes, where: str) -> Token:
    """Inverse of `encode_record`; a malformed record is a TokenStoreError naming `where`."""
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return Token.from_json(data)
    except ValueError as exc:
        # The reason names a field, never its value.
        reason = "invalid JSON" if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise TokenStoreError(
            f"the token store {where} does not hold a valid token ({reason}); "
            "delete it and log in again"
        ) from None
