"""Errors of the auth layer.

    APIError
    └── AuthError                     an auth flow cannot produce credentials
        ├── OAuthError                the authorization server answered with an OAuth error
        │   └── AccessDeniedError     the user declined the authorization (access_denied)
        ├── StateMismatchError        a callback whose state this client never issued (or reused)
        ├── LoginTimeoutError         no callback reached the loopback server in time
        ├── NotLoggedInError          no token yet, or it expired and cannot be refreshed
        └── TokenStoreError           the token store is unreadable, malformed or refused a write
            └── TokenStoreUnavailableError   (also an APIConnectionError) the store's server is down

Messages never contain a secret, a token, an authorization code or a PKCE verifier.
"""

from __future__ import annotations

from .._exceptions import APIConnectionError, APIError
from .._names import LOGIN_COMMAND

__all__ = [
    "AccessDeniedError",
    "AuthError",
    "LoginTimeoutError",
    "NotLoggedInError",
    "OAuthError",
    "StateMismatchError",
    "TokenStoreError",
    "TokenStoreUnavailableError",
]


class AuthError(APIError):
    """Base of the errors of the auth layer."""


class OAuthError(AuthError):
    """An OAuth error response (RFC 6749 section 5.2) or an unusable token response."""

    def __init__(
        self, error: str, description: str | None = None, *, status_code: int | None = None
    ) -> None:
        text = f"OAuth error {error!r}"
        if description:
            text += f": {description}"
        if status_code is not None:
            text += f" (HTTP {status_code})"
        if error == "invalid_grant":
            text += f"; log in again ({LOGIN_COMMAND})"
        super().__init__(text)
        self.error = error
        self.description = description
        self.status_code = status_code


class AccessDeniedError(OAuthError):
    """The user (or the server on their behalf) declined the authorization request."""


class StateMismatchError(AuthError):
    """The callback's `state` was not issued by this client, or was already used."""


class LoginTimeoutError(AuthError):
    """The loopback server received no authorization callback before the timeout."""


class NotLoggedInError(AuthError):
    """There is no usable token: log in first."""


class TokenStoreError(AuthError):
    """The token store exists but cannot be read as a token."""


class TokenStoreUnavailableError(TokenStoreError, APIConnectionError):
    """The token store's server cannot be reached; the message names the store, never a password."""

    def __init__(self, message: str) -> None:
        APIConnectionError.__init__(self, message)
