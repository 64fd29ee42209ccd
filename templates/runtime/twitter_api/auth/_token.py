"""The OAuth 2.0 token a user-context flow holds, with expiry normalised to an absolute time."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._secrets import Secret

__all__ = ["Token"]


@dataclass(frozen=True, slots=True)
class Token:
    """An access token (and refresh token, when offline.access was granted).

    `expires_at` is seconds since the epoch (None: the server gave no lifetime); `scope` is the
    set the server granted (None: not stated).
    """

    access_token: Secret
    refresh_token: Secret | None = None
    token_type: str = "bearer"
    expires_at: float | None = None
    scope: frozenset[str] | None = None

    @classmethod
    def from_response(cls, payload: Mapping[str, Any], now: float) -> Token:
        """Build from a token endpoint's JSON (RFC 6749 section 5.1); raises ValueError."""
        access = payload.get("access_token")
        if not isinstance(access, str) or not access:
            raise ValueError("the token response has no access_token")
        refresh = payload.get("refresh_token")
        if refresh is not None and not isinstance(refresh, str):
            raise ValueError("the token response's refresh_token is not a string")
        token_type = payload.get("token_type", "bearer")
        if not isinstance(token_type, str):
            raise ValueError("the token response's token_type is not a string")
        expires_in = payload.get("expires_in")
        expires_at: float | None = None
        if expires_in is not None:
            # Some servers send the lifetime as a string; anything else is a broken response.
            try:
                seconds = float(expires_in)
            except (TypeError, ValueError):
                raise ValueError("the token response's expires_in is not a number") from None
            if not math.isfinite(seconds):
                raise ValueError("the token response's expires_in is not a number")
            expires_at = now + seconds
        scope = payload.get("scope")
        if scope is not None and not isinstance(scope, str):
            raise ValueError("the token response's scope is not a string")
        return cls(
            access_token=Secret(access),
            refresh_token=Secret(refresh) if refresh else None,
            token_type=token_type,
            expires_at=expires_at,
            scope=frozenset(scope.split()) if scope is not None else None,
        )

    def expires_within(self, seconds: float, now: float) -> bool:
        """True when the token is expired, or will be within `seconds`."""
        return self.expires_at is not None and self.expires_at - seconds <= now

    def to_json(self) -> dict[str, Any]:
        """The token store's representation (reveals the secrets: only for the store file)."""
        return {
            "version": 1,
            "token_type": self.token_type,
            "access_token": self.access_token.reveal(),
            "refresh_token": self.refresh_token.reveal() if self.refresh_token else None,
            "expires_at": self.expires_at,
            "scope": " ".join(sorted(self.scope)) if self.scope is not None else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Token:
        """Inverse of `to_json`; raises ValueError on anything malformed."""
        if data.get("version") != 1:
            raise ValueError("unsupported token store version")
        access = data.get("access_token")
        refresh = data.get("refresh_token")
        expires_at = data.get("expires_at")
        scope = data.get("scope")
        token_type = data.get("token_type", "bearer")
        if not isinstance(access, str) or not access:
            raise ValueError("no access_token")
        if refresh is not None and not isinstance(refresh, str):
            raise ValueError("refresh_token is not a string")
        if expires_at is not None and (
            isinstance(expires_at, bool) or not isinstance(expires_at, int | float)
        ):
            raise ValueError("expires_at is not a number")
        if scope is not None and not isinstance(scope, str):
            raise ValueError("scope is not a string")
        if not isinstance(token_type, str):
            raise ValueError("token_type is not a string")
        return cls(
            access_token=Secret(access),
            refresh_token=Secret(refresh) if refresh else None,
            token_type=token_type,
            expires_at=float(expires_at) if expires_at is not None else None,
            scope=frozenset(scope.split()) if scope is not None else None,
        )
