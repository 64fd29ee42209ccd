"""OAuth 2.0 token endpoint requests and responses (RFC 6749 sections 2.3, 5 and RFC 7009)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from urllib.parse import quote_plus

import httpx

from .._secrets import Secret
from ._errors import AccessDeniedError, OAuthError
from ._token import Token

__all__ = ["parse_token_response", "raise_for_oauth_error", "token_endpoint_request"]

_FORM = "application/x-www-form-urlencoded"


def token_endpoint_request(
    url: str, form: Mapping[str, str], client_id: str, client_secret: Secret | None
) -> httpx.Request:
    """A POST to a token (or revocation) endpoint with the client authenticated.

    A confidential client (with a secret) uses HTTP Basic (section 2.3.1); a public client sends
    only its client_id in the body, as PKCE public clients do.
    """
    body = dict(form)
    headers = {"Accept": "application/json", "Content-Type": _FORM}
    if client_secret is None:
        body["client_id"] = client_id
    else:
        headers["Authorization"] = basic_authorization(client_id, client_secret)
    return httpx.Request("POST", url, headers=headers, data=body)


def basic_authorization(client_id: str, client_secret: Secret) -> str:
    # Section 2.3.1: both parts are form-urlencoded before being joined and base64-encoded.
    pair = f"{quote_plus(client_id)}:{quote_plus(client_secret.reveal())}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


def parse_token_response(response: httpx.Response, now: float, redact: Iterable[str]) -> Token:
    """The token of a successful response; raises OAuthError otherwise."""
    raise_for_oauth_error(response, redact)
    try:
        payload = json.loads(response.content)
        if not isinstance(payload, dict):
            raise ValueError("the token response is not a JSON object")
        return Token.from_response(payload, now)
    except ValueError as exc:
        reason = "the token response is not JSON" if isinstance(exc, json.JSONDecodeError) else exc
        raise OAuthError(
            "invalid_response", str(reason), status_code=response.status_code
        ) from None


def raise_for_oauth_error(response: httpx.Response, redact: Iterable[str]) -> None:
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
    if response.status_code < 400:
        return
    error, description = "invalid_response", f"HTTP {response.status_code} without an OAuth error"
    try:
        payload = json.loads(response.content)
    except ValueError:
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("error"), str):
        error = _scrub(payload["error"], redact)
        described = payload.get("error_description")
        description = _scrub(described, redact) if isinstance(described, str) else ""
    if error == "access_denied":
        raise AccessDeniedError(error, description, status_code=response.status_code)
    raise OAuthError(error, description, status_code=response.status_code)


def _scrub(text: str, secrets: Iterable[str]) -> str:
    # A server may echo what it was sent (a code, a refresh token); never pass that on.
    for value in secrets:
        if value:
            text = text.replace(value, "[redacted]")
    return text
