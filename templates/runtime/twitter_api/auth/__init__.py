"""Authentication: each class is an `httpx.Auth`.

    BearerToken(token)                          a fixed bearer token (`http` bearer schemes)
    OAuth2UserToken(access_token, scopes=None)  user-context token obtained elsewhere, no refresh
    AppOnly(client_id, client_secret)           bearer fetched with client credentials
    OAuth1(api_key, api_secret, access_token, access_token_secret)   OAuth 1.0a, HMAC-SHA1
    OAuth2PKCE(client_id, redirect_uri, scopes, ...)   user-context OAuth 2.0 with refresh
    APIKey(value, scheme=None)                  an API key, sent where the spec's scheme says
    HTTPBasic(username, password)               HTTP Basic
    MultiAuth(auth, ...)                        several at once, for a requirement naming several

For any API: an `apiKey` scheme takes `APIKey`, `http` basic `HTTPBasic`, `http` bearer
`BearerToken` or `AppOnly`, `oauth2` (a token from any flow) or `openIdConnect`
`OAuth2UserToken` or `OAuth2PKCE`, and an `oauth2` clientCredentials flow `AppOnly`.
Token stores (the `TokenStore` protocol): FileTokenStore (default), KeyringTokenStore (the
`keyring` extra), RedisTokenStore (the `redis` extra, shared by machines); `open_token_store`
picks one from a `token_store` setting.

Every class names the kinds of security scheme it satisfies (`security_types`; some also the
spec's schemes by name, `security_schemes`) and the scopes it was granted (`granted_scopes`,
None when unknown), so a client can refuse a call before sending."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._secrets import Secret
    from ._app_only import AppOnly
    from ._bearer import BearerToken, OAuth2UserToken
    from ._errors import (
        AccessDeniedError,
        AuthError,
        LoginTimeoutError,
        NotLoggedInError,
        OAuthError,
        StateMismatchError,
        TokenStoreError,
        TokenStoreUnavailableError,
    )
    from ._generic import APIKey, HTTPBasic, MultiAuth
    from ._keyring_store import KeyringTokenStore
    from ._oauth2_pkce import OAuth2PKCE
    from ._redis_store import RedisTokenStore
    from ._rfc5849_oauth1 import OAuth1
    from ._store import StoreLock, TokenStore, open_token_store
    from ._token import Token
    from ._token_store import FileTokenStore

# Each name is imported on first use: a bearer-token user never loads the OAuth 2.0 machinery
# (loopback server, file locks, PKCE).
_WHERE = {
    "APIKey": "._generic",
    "HTTPBasic": "._generic",
    "MultiAuth": "._generic",
    "AppOnly": "._app_only",
    "BearerToken": "._bearer",
    "OAuth2UserToken": "._bearer",
    "AccessDeniedError": "._errors",
    "AuthError": "._errors",
    "LoginTimeoutError": "._errors",
    "NotLoggedInError": "._errors",
    "OAuthError": "._errors",
    "StateMismatchError": "._errors",
    "TokenStoreError": "._errors",
    "OAuth2PKCE": "._oauth2_pkce",
    "OAuth1": "._rfc5849_oauth1",
    "Token": "._token",
    "TokenStoreUnavailableError": "._errors",
    "FileTokenStore": "._token_store",
    "KeyringTokenStore": "._keyring_store",
    "RedisTokenStore": "._redis_store",
    "TokenStore": "._store",
    "StoreLock": "._store",
    "Secret": ".._secrets",
    "open_token_store": "._store",
}


# Hidden from type checkers: they see the imports above, and a misspelt name is an error
# rather than a silent Any.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        module = _WHERE.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, __name__), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(__all__)


__all__ = [
    "APIKey",
    "AccessDeniedError",
    "AppOnly",
    "AuthError",
    "BearerToken",
    "FileTokenStore",
    "HTTPBasic",
    "KeyringTokenStore",
    "LoginTimeoutError",
    "MultiAuth",
    "NotLoggedInError",
    "OAuth1",
    "OAuth2PKCE",
    "OAuth2UserToken",
    "OAuthError",
    "RedisTokenStore",
    "Secret",
    "StateMismatchError",
    "StoreLock",
    "Token",
    "TokenStore",
    "TokenStoreError",
    "TokenStoreUnavailableError",
    "open_token_store",
]
