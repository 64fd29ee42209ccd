"""OAuth 2.0 authorization code flow with PKCE, for user-context calls, with refresh.

Refresh is proactive (within `refresh_leeway` seconds of expiry) and reactive (once, on a 401).
X rotates refresh tokens, each usable once, so a refresh is single-flight across threads, tasks
and processes sharing the token store: take the store's lock, re-read the store (another holder
may have refreshed already), refresh only if still needed, persist, then use the new token.
"""

from __future__ import annotations

import hmac
import os
import sys
import threading
import time
import warnings
import webbrowser
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import ClassVar, Final
from urllib.parse import parse_qs, urlencode, urlsplit

import anyio
import httpx

from .. import _spec_info
from .._endpoints import check_credential_url
from .._exceptions import HTTPX_ERRORS
from .._logging import package_logger
from .._names import LOGIN_COMMAND
from .._secrets import Secret
from ._errors import AccessDeniedError, AuthError, NotLoggedInError, OAuthError, StateMismatchError
from ._flow import Flow, FlowAuth, SubFlow, TakeLock, call, in_store, send, store_io_async
from ._loopback import LoopbackReceiver
from ._rfc6749 import (
    parse_token_response,
    raise_for_oauth_error,
    token_endpoint_request,
    undecodable_response,
)
from ._rfc7636_pkce import ChallengeMethod, code_challenge, new_code_verifier, new_state
from ._single_flight import RefreshLock
from ._store import StoreLock, TokenStore, open_token_store
from ._token import Token

__all__ = ["OAuth2PKCE"]

logger = package_logger(__name__)

OFFLINE_ACCESS: Final = "offline.access"
_MAX_PENDING: Final = 16
_LOGIN_HINT: Final = f"log in first ({LOGIN_COMMAND})"


class OAuth2PKCE(FlowAuth):
    """User-context OAuth 2.0 (authorization code + PKCE).

    Without `token_store` the token lives only in this object; a path, `"keyring:"` or a
    `redis://` URL names a store (see `auth.TokenStore`). `client_secret` makes this a
    confidential client (HTTP Basic at the token endpoint); without it, a public one.
    `http_client` is used by `complete()` and `revoke()`, `async_http_client` by their async
    forms `acomplete()`, `alogin()` and `arevoke()`; API calls refresh through the client that
    sends them. Endpoint URLs must be https (or on a loopback host) unless
    `allow_insecure_http`; token and revocation requests never follow redirects.
    """

    security_scheme: ClassVar[str] = "OAuth2UserToken"
    security_types: ClassVar[frozenset[str]] = frozenset({"oauth2", "openIdConnect"})

    def __init__(
        self,
        client_id: str,
        redirect_uri: str,
        scopes: Iterable[str],
        client_secret: str | Secret | None = None,
        token_store: str | os.PathLike[str] | TokenStore | None = None,
        *,
        authorize_url: str | None = None,
        token_url: str | None = None,
        revoke_url: str | None = None,
        code_challenge_method: ChallengeMethod = "S256",
        refresh_leeway: float = 60.0,
        allow_insecure_permissions: bool = False,
        allow_insecure_http: bool = False,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.scopes: tuple[str, ...] = tuple(dict.fromkeys(scopes))
        self._client_secret = Secret(client_secret) if client_secret is not None else None
        if isinstance(token_store, str | os.PathLike):
            self.token_store: TokenStore | None = open_token_store(
                token_store, allow_insecure_permissions=allow_insecure_permissions
            )
        else:
            self.token_store = token_store
        self.authorize_url: str = authorize_url or _spec_info.OAUTH2_AUTHORIZE_URL
        self.token_url: str = token_url or _spec_info.OAUTH2_TOKEN_URL
        # "" when neither given nor named by the spec: revoke() then says so.
        self.revoke_url: str = revoke_url or _spec_info.OAUTH2_REVOKE_URL
        for setting in ("authorize_url", "token_url", "revoke_url"):
            url = getattr(self, setting)
            if not url and setting != "revoke_url":
                # e.g. an OpenID Connect scheme, whose URLs the spec does not list
                raise ValueError(
                    f"OAuth2PKCE: the spec names no {setting} (it has no OAuth 2.0 "
                    f"authorizationCode flow); pass {setting}="
                )
            if url:
                check_credential_url(url, setting, allow_insecure_http=allow_insecure_http)
        self.code_challenge_method: ChallengeMethod = code_challenge_method
        self.refresh_leeway = refresh_leeway
        self._http_client = http_client
        self._async_http_client = async_http_client
        self._clock = clock
        self._lock: StoreLock = self.token_store.lock() if self.token_store else RefreshLock(None)
        self._guard = threading.Lock()  # protects _pending and the first store read
        self._pending: dict[str, Secret] = {}  # state -> code verifier, each usable once
        self._token: Token | None = None
        self._loaded = False
        # Only where the spec has this scope does leaving it out mean no refresh token.
        if OFFLINE_ACCESS in _spec_info.OAUTH2_SCOPES and OFFLINE_ACCESS not in self.scopes:
            message = (
                f"the scopes lack {OFFLINE_ACCESS!r}: the server will issue no refresh token, "
                "so the user must log in again when the access token expires"
            )
            # A warning only: logged too, it showed twice where logging is not configured.
            warnings.warn(message, UserWarning, stacklevel=2)

    def __repr__(self) -> str:
        return (
            f"OAuth2PKCE(client_id={self.client_id!r}, scopes={list(self.scopes)!r}, "
            f"confidential={self._client_secret is not None}, token_store={self.token_store!r})"
        )

    # -- the token --------------------------------------------------------------------------

    @property
    def token(self) -> Token | None:
        """The current token (read from the store the first time), or None before login."""
        with self._guard:
            if not self._loaded:
                self._token = self.token_store.load() if self.token_store else self._token
                self._loaded = True
            return self._token

    @property
    def granted_scopes(self) -> frozenset[str] | None:
        token = self.token
        return token.scope if token is not None else None

    # -- authorization ----------------------------------------------------------------------

    def authorization_url(self) -> str:
        """A fresh authorization URL (new state and code verifier) for the user to open."""
        return self._new_authorization()[0]

    def _new_authorization(self) -> tuple[str, str]:
        """A fresh authorization URL and the state it carries."""
        state, verifier = new_state(), Secret(new_code_verifier())
        with self._guard:
            self._pending[state] = verifier
            while len(self._pending) > _MAX_PENDING:  # abandoned attempts: forget the oldest
                del self._pending[next(iter(self._pending))]
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(self.scopes),
            "state": state,
            "code_challenge": code_challenge(verifier.reveal(), self.code_challenge_method),
            "code_challenge_method": self.code_challenge_method,
        }
        separator = "&" if urlsplit(self.authorize_url).query else "?"
        return self.authorize_url + separator + urlencode(query), state

    def complete(self, callback_url: str) -> Token:
        """Check the callback's state, exchange its code for a token, persist and return it."""
        callback = Secret(callback_url)
        del callback_url  # it carries the authorization code: no plain copy in this frame
        return self._complete(callback)

    async def acomplete(self, callback_url: str) -> Token:
        """`complete()` for async code: the exchange does not block the event loop."""
        callback = Secret(callback_url)
        del callback_url  # it carries the authorization code: no plain copy in this frame
        return await self._acomplete(callback)

    def _complete(self, url: Secret) -> Token:
        form, redactions = self._exchange_form(url)
        response = self._send_directly(self.token_url, form)
        token = parse_token_response(response, self._clock(), redactions)
        self._lock.acquire()
        try:
            self._save(token)
        finally:
            self._lock.release()
        return _logged_in(token)

    async def _acomplete(self, url: Secret) -> Token:
        form, redactions = self._exchange_form(url)
        response = await self._asend_directly(self.token_url, form)
        token = parse_token_response(response, self._clock(), redactions)
        await self._lock.acquire_async()
        try:
            await store_io_async(partial(self._save, token))
        finally:
            self._lock.release()
        return _logged_in(token)

    def _exchange_form(self, url: Secret) -> tuple[dict[str, str | Secret], list[Secret]]:
        """The token request's form for a callback, and the values to redact from its errors."""
        callback = _Callback.parse(url)
        verifier = self._take_pending(callback.state) if callback.state else None
        # The state first: an error from a callback this client did not ask for means nothing.
        if verifier is None:
            raise StateMismatchError(
                "the callback's state was not issued by this client or was already used; "
                "start the login again"
            )
        if callback.error:
            if callback.error == "access_denied":
                raise AccessDeniedError(
                    callback.error, callback.description or "the user declined the authorization"
                )
            raise OAuthError(callback.error, callback.description)
        code = callback.code
        if code is None:
            raise OAuthError("invalid_request", "the callback carries no authorization code")
        form: dict[str, str | Secret] = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": verifier,
        }
        return form, self._redactions(code, verifier)

    def login(
        self,
        open_browser: bool = True,
        timeout: float = 300.0,
        *,
        open_url: Callable[[str], object] | None = None,
    ) -> Token:
        """Run the whole login: serve the redirect URI on loopback, send the user to X, complete.

        The URL is always printed to stderr; it is also opened in a browser when `open_browser`
        and a display is available, or handed to `open_url` when given.
        """
        with LoopbackReceiver(self.redirect_uri) as receiver:
            self._send_user(receiver, open_browser, open_url)
            try:
                callback = Secret(receiver.wait(timeout))
            except AuthError:
                self._forget_pending()
                raise
        return self._complete(callback)

    async def alogin(
        self,
        open_browser: bool = True,
        timeout: float = 300.0,
        *,
        open_url: Callable[[str], object] | None = None,
    ) -> Token:
        """`login()` for async code: other tasks keep running while the user authorizes, and
        cancelling the task ends the login and frees the port."""
        receiver = LoopbackReceiver(self.redirect_uri)
        try:
            self._send_user(receiver, open_browser, open_url)
            try:
                callback = Secret(await receiver.wait_async(timeout))
            except AuthError:
                self._forget_pending()
                raise
        finally:
            # Stopping the server thread takes up to one poll interval: not on the loop.
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(receiver.close)
        return await self._acomplete(callback)

    def _send_user(
        self,
        receiver: LoopbackReceiver,
        open_browser: bool,
        open_url: Callable[[str], object] | None,
    ) -> None:
        """Start an authorization whose callback `receiver` accepts, and show the user its URL."""
        url, state = self._new_authorization()
        receiver.expect_state(state)
        print(f"Open this URL to authorize the app:\n\n  {url}\n", file=sys.stderr)
        if open_url is not None:
            open_url(url)
        elif open_browser and _has_display():
            webbrowser.open(url)
        print(f"Waiting for the redirect to {self.redirect_uri} ...", file=sys.stderr)

    def _forget_pending(self) -> None:
        with self._guard:
            self._pending.clear()

    def revoke(self) -> bool:
        """Revoke the tokens at the server and forget them; False when there was nothing to
        revoke. Raises AuthError when no revocation URL is known."""
        url = self._revocation_url()
        self._lock.acquire()
        try:
            token = self._stored_token()
            if token is None:
                return False
            for form, redactions in _revocations(token):
                response = self._send_directly(url, form)
                raise_for_oauth_error(response, self._redactions(*redactions))
            self._forget_token()
            return True
        finally:
            self._lock.release()

    async def arevoke(self) -> bool:
        """`revoke()` for async code: neither the lock nor the requests block the event loop."""
        url = self._revocation_url()
        await self._lock.acquire_async()
        try:
            token = await store_io_async(self._stored_token)
            if token is None:
                return False
            for form, redactions in _revocations(token):
                response = await self._asend_directly(url, form)
                raise_for_oauth_error(response, self._redactions(*redactions))
            await store_io_async(self._forget_token)
            return True
        finally:
            self._lock.release()

    def _revocation_url(self) -> str:
        if not self.revoke_url:
            raise AuthError(
                "no token revocation URL is known: the spec names none; pass revoke_url= "
                "(or set revoke_url in the profile)"
            )
        return self.revoke_url

    def _stored_token(self) -> Token | None:
        return self.token_store.load() if self.token_store else self._token

    def _forget_token(self) -> None:
        if self.token_store:
            self.token_store.delete()
        with self._guard:
            self._token, self._loaded = None, True
        logger.info("revoked the tokens and cleared the token store")

    # -- the httpx.Auth flow ----------------------------------------------------------------

    def flow(self, request: httpx.Request) -> Flow:
        # The first request reads the store; later ones the token kept in memory.
        token = self.token if self._loaded else (yield from in_store(lambda: self.token))
        if token is None:
            raise NotLoggedInError(f"no OAuth 2.0 token yet{self._where()}; {_LOGIN_HINT}")
        if token.expires_within(self.refresh_leeway, self._clock()):
            token = yield from self._refresh(token, forced=False)
        _authorize(request, token)
        response = yield from send(request)
        if response.status_code == 401:
            renewed = yield from self._refresh(token, forced=True)
            if renewed.access_token != token.access_token:
                _authorize(request, renewed)
                yield from send(request)

    def _refresh(self, stale: Token, *, forced: bool) -> SubFlow[Token]:
        """The token to use instead of `stale`; refreshes only when no other holder has."""
        yield TakeLock(self._lock)
        try:
            latest = yield from in_store(self._stored_token)
            if latest is None:
                raise NotLoggedInError(f"the token was removed{self._where()}; {_LOGIN_HINT}")
            now = self._clock()
            if latest.access_token != stale.access_token and not latest.expires_within(
                self.refresh_leeway, now
            ):
                logger.debug("another holder refreshed the token; using theirs")
                self._remember(latest)
                return latest
            if latest.refresh_token is None:
                if not forced and latest.expires_within(0.0, now):
                    raise NotLoggedInError(
                        f"the access token expired and there is no refresh token (the scope "
                        f"{OFFLINE_ACCESS!r} was not granted); {_LOGIN_HINT}"
                    )
                return latest  # the caller sends it, or keeps the 401 it already has
            logger.debug("refreshing the access token")
            refresh = latest.refresh_token
            form: dict[str, str | Secret] = {
                "grant_type": "refresh_token",
                "refresh_token": refresh,
            }
            request = token_endpoint_request(
                self.token_url, form, self.client_id, self._client_secret
            )
            response = yield from call(request)
            try:
                fresh = parse_token_response(response, self._clock(), self._redactions(refresh))
            except OAuthError as exc:
                rotated = yield from in_store(partial(self._rotated_meanwhile, exc, refresh))
                if rotated is None:
                    raise
                return rotated
            # X may omit what did not change: keep the old refresh token and granted scope.
            if fresh.refresh_token is None or fresh.scope is None:
                fresh = Token(
                    access_token=fresh.access_token,
                    refresh_token=fresh.refresh_token or latest.refresh_token,
                    token_type=fresh.token_type,
                    expires_at=fresh.expires_at,
                    scope=fresh.scope if fresh.scope is not None else latest.scope,
                )
            # Persist before use: the old refresh token is already spent at X.
            yield from in_store(partial(self._save, fresh))
            logger.debug("refreshed the access token")
            return fresh
        finally:
            self._lock.release()

    # -- helpers ----------------------------------------------------------------------------

    def _rotated_meanwhile(self, error: OAuthError, spent: Secret) -> Token | None:
        """The token a holder whose lock lease ran out stored after we read the store, if any.

        Its refresh spent the token we just sent (hence invalid_grant); its token is the valid one.
        """
        if error.error != "invalid_grant" or self.token_store is None:
            return None
        latest = self.token_store.load()
        if latest is None or latest.refresh_token is None or latest.refresh_token == spent:
            return None
        logger.debug("a holder whose lease ran out refreshed first; using its token")
        self._remember(latest)
        return latest

    def _save(self, token: Token) -> None:
        if self.token_store:
            self.token_store.save(token)
        self._remember(token)

    def _remember(self, token: Token) -> None:
        with self._guard:
            self._token, self._loaded = token, True

    def _take_pending(self, state: str) -> Secret | None:
        with self._guard:
            for issued in list(self._pending):
                if hmac.compare_digest(issued.encode(), state.encode()):
                    return self._pending.pop(issued)
        return None

    def _redactions(self, *values: Secret) -> list[Secret]:
        return [*values, self._client_secret] if self._client_secret else [*values]

    def _where(self) -> str:
        return f" in {self.token_store.location}" if self.token_store else ""

    def _send_directly(self, url: str, form: dict[str, str | Secret]) -> httpx.Response:
        """POST `form` to a token or revocation endpoint with this object's own HTTP client."""
        try:
            request = token_endpoint_request(url, form, self.client_id, self._client_secret)
            # Never follow a redirect: it would carry the code, token or secret elsewhere.
            if self._http_client is not None:
                return _read(self._http_client.send(request, stream=True, follow_redirects=False))
            with httpx.Client(timeout=30.0) as client:
                return _read(client.send(request, stream=True, follow_redirects=False))
        except HTTPX_ERRORS as exc:
            raise _unreachable(url, exc) from exc

    async def _asend_directly(self, url: str, form: dict[str, str | Secret]) -> httpx.Response:
        """`_send_directly` with this object's async HTTP client."""
        try:
            request = token_endpoint_request(url, form, self.client_id, self._client_secret)
            if self._async_http_client is not None:
                sent = self._async_http_client.send(request, stream=True, follow_redirects=False)
                return await _aread(await sent)
            # Building a client loads the system's CA certificates: not on the event loop.
            fresh_client = await anyio.to_thread.run_sync(_new_async_client)
            async with fresh_client as client:
                sent = client.send(request, stream=True, follow_redirects=False)
                return await _aread(await sent)
        except HTTPX_ERRORS as exc:
            raise _unreachable(url, exc) from exc


def _new_async_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=30.0)


def _unreachable(url: str, exc: Exception) -> AuthError:
    return AuthError(f"cannot reach {url.split('?', 1)[0]}: {type(exc).__name__}")


async def _aread(response: httpx.Response) -> httpx.Response:
    try:
        await response.aread()
    except httpx.DecodingError as exc:
        raise undecodable_response(response) from exc
    finally:
        await response.aclose()
    return response


def _logged_in(token: Token) -> Token:
    logger.info("logged in; granted scopes: %s", " ".join(sorted(token.scope or ())))
    return token


def _revocations(token: Token) -> Iterator[tuple[dict[str, str | Secret], tuple[Secret]]]:
    """The revocation requests' forms for a token (refresh token first), each with its secret."""
    pairs = [(token.refresh_token, "refresh_token"), (token.access_token, "access_token")]
    for value, hint in pairs:
        if value is not None:
            yield {"token": value, "token_type_hint": hint}, (value,)


def _read(response: httpx.Response) -> httpx.Response:
    try:
        response.read()
    except httpx.DecodingError as exc:
        raise undecodable_response(response) from exc
    finally:
        response.close()
    return response


def _authorize(request: httpx.Request, token: Token) -> None:
    request.headers["Authorization"] = f"Bearer {token.access_token.reveal()}"


@dataclass(frozen=True, slots=True)
class _Callback:
    """The parameters of an authorization callback; the code stays wrapped."""

    state: str | None
    error: str | None
    description: str | None
    code: Secret | None

    @classmethod
    def parse(cls, url: Secret) -> _Callback:
        query = parse_qs(urlsplit(url.reveal()).query)
        code = _single(query, "code")
        return cls(
            _single(query, "state"),
            _single(query, "error"),
            _single(query, "error_description"),
            Secret(code) if code else None,
        )


def _single(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _has_display() -> bool:
    # On Linux without a display, webbrowser would start a text browser in this terminal.
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True
