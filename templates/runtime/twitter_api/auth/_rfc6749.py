"""OAuth 2.0 token endpoint requests and responses (RFC 6749 sections 2.3, 5 and RFC 7009).

Credentials arrive as `Secret`s and are revealed only while the request body and header are
encoded; no frame of a failing call keeps one as a plain string (tracebacks with locals, as
Sentry and rich print them, would show it).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from urllib.parse import quote_plus

import httpx

from .._logging import redact as redact_patterns
from .._secrets import Secret
from ._errors import AccessDeniedError, OAuthError
from ._token import Token

__all__ = [
    "parse_token_response",
    "raise_for_oauth_error",
    "token_endpoint_request",
    "undecodable_response",
]

_FORM = "application/x-www-form-urlencoded"


def token_endpoint_request(
    url: str, form: Mapping[str, str | Secret], client_id: str, client_secret: Secret | None
) -> httpx.Request:
    """A POST to a token (or revocation) endpoint with the client authenticated.

    A confidential client (with a secret) uses HTTP Basic (section 2.3.1); a public client sends
    only its client_id in the body, as PKCE public clients do.
    """
    target = httpx.URL(url)  # a bad URL fails here, before any secret is revealed
    public = {"client_id": client_id} if client_secret is None else {}
    request = httpx.Request(
        "POST",
        target,
        headers={"Accept": "application/json", "Content-Type": _FORM},
        data={**_reveal(form), **public},
    )
    if client_secret is not None:
        request.headers["Authorization"] = basic_authorization(client_id, client_secret)
    return request


def _reveal(form: Mapping[str, str | Secret]) -> dict[str, str]:
    return {k: v.reveal() if isinstance(v, Secret) else v for k, v in form.items()}


def basic_authorization(client_id: str, client_secret: Secret) -> str:
    # Section 2.3.1: both parts are form-urlencoded before being joined and base64-encoded.
    pair = f"{quote_plus(client_id)}:{quote_plus(client_secret.reveal())}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


def parse_token_response(response: httpx.Response, now: float, known: Iterable[Secret]) -> Token:
    """The token of a successful response; raises OAuthError otherwise."""
    raise_for_oauth_error(response, known)
    try:
        return _token_from(response.content, now)
    except ValueError as exc:
        reason = "the token response is not JSON" if isinstance(exc, json.JSONDecodeError) else exc
        raise OAuthError(
            "invalid_response", str(reason), status_code=response.status_code
        ) from None


def _token_from(content: bytes, now: float) -> Token:
    # Its own frame: the parsed payload holds the tokens and must be gone when OAuthError rises.
    payload = json.loads(content)
    if not isinstance(payload, dict):
        raise ValueError("the token response is not a JSON object")
    return Token.from_response(payload, now)


def undecodable_response(response: httpx.Response) -> OAuthError:
    """The error for a token endpoint response whose body fails its Content-Encoding."""
    return OAuthError(
        "invalid_response",
        "the token response body cannot be decoded",
        status_code=response.status_code,
    )


def raise_for_oauth_error(response: httpx.Response, known: Iterable[Secret]) -> None:
    """Raise the OAuth error a 4xx/5xx token or revocation response carries.

    A redirect is an error too: it is never followed, since the request carries a secret.
    """
    if response.is_redirect:
        raise OAuthError(
            "invalid_response",
            "the endpoint answered with a redirect, which is not followed so that "
            "credentials reach only the configured URL",
            status_code=response.status_code,
        )
    if response.status_code >= 400:
        raise _oauth_error(response, known)


def _oauth_error(response: httpx.Response, known: Iterable[Secret]) -> OAuthError:
    # Builds, never raises: the payload (which may echo a secret) stays out of the raising frame.
    error, description = "invalid_response", f"HTTP {response.status_code} without an OAuth error"
    try:
        payload = json.loads(response.content)
    except ValueError:
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("error"), str):
        error = _scrub(payload["error"], known)
        described = payload.get("error_description")
        description = _scrub(described, known) if isinstance(described, str) else ""
    cls = AccessDeniedError if error == "access_denied" else OAuthError
    return cls(error, description, status_code=response.status_code)


def _scrub(text: str, known: Iterable[Secret]) -> str:
    # A server may echo what it was sent (a code, a refresh token); never pass that on.
    for secret in known:
        if secret:
            text = text.replace(secret.reveal(), "[redacted]")
    return redact_patterns(text)
