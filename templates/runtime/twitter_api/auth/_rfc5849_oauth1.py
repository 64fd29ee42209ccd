"""OAuth 1.0a request signing with HMAC-SHA1 (RFC 5849 sections 3.4 and 3.5.1).

Signed parameters are the query, a form-encoded body (never a JSON or multipart one) and the
protocol parameters; the signature travels in the Authorization header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Generator, Iterable
from typing import ClassVar, Final
from urllib.parse import parse_qsl, quote, urlsplit

import httpx

from .._secrets import Secret

__all__ = [
    "OAuth1",
    "base_string_uri",
    "hmac_sha1_signature",
    "normalize_parameters",
    "percent_encode",
    "signature_base_string",
]

_FORM: Final = "application/x-www-form-urlencoded"
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def percent_encode(value: str) -> str:
    """Section 3.6: UTF-8, then every octet outside ALPHA / DIGIT / "-" / "." / "_" / "~"."""
    return quote(value, safe="~")


def base_string_uri(url: str) -> str:
    """Section 3.4.1.2: scheme and host lower-cased, default port dropped, no query."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    authority = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    return f"{scheme}://{authority}{parts.path or '/'}"


def normalize_parameters(params: Iterable[tuple[str, str]]) -> str:
    """Section 3.4.1.3.2: encode each name and value, sort, join."""
    encoded = sorted((percent_encode(name), percent_encode(value)) for name, value in params)
    return "&".join(f"{name}={value}" for name, value in encoded)


def signature_base_string(method: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """Section 3.4.1.1."""
    return "&".join(
        (
            percent_encode(method.upper()),
            percent_encode(base_string_uri(url)),
            percent_encode(normalize_parameters(params)),
        )
    )


def hmac_sha1_signature(base_string: str, client_secret: str, token_secret: str) -> str:
    """Section 3.4.2: the key is the two encoded secrets joined by "&"."""
    key = f"{percent_encode(client_secret)}&{percent_encode(token_secret)}"
    digest = hmac.new(key.encode(), base_string.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _default_nonce() -> str:
    return secrets.token_hex(16)


class OAuth1(httpx.Auth):
    """OAuth 1.0a user context (the spec's UserToken scheme): consumer key and secret plus the
    user's access token and secret."""

    security_scheme: ClassVar[str] = "UserToken"
    security_types: ClassVar[frozenset[str]] = frozenset({"http:oauth"})
    requires_request_body = True  # a form body is part of the signature
    one_step: ClassVar[bool] = True  # signs without waiting for a response

    def __init__(
        self,
        api_key: str | Secret,
        api_secret: str | Secret,
        access_token: str | Secret,
        access_token_secret: str | Secret,
        *,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = _default_nonce,
        oauth_version: str | None = "1.0",
    ) -> None:
        self._api_key = Secret(api_key)
        self._api_secret = Secret(api_secret)
        self._access_token = Secret(access_token)
        self._access_token_secret = Secret(access_token_secret)
        self._clock = clock
        self._nonce = nonce
        self._version = oauth_version  # optional in RFC 5849; X's examples send "1.0"

    def __repr__(self) -> str:
        return "OAuth1(api_key=..., api_secret=..., access_token=..., access_token_secret=...)"

    @property
    def granted_scopes(self) -> frozenset[str] | None:
        return None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.authorization_header(request)
        yield request

    def authorization_header(self, request: httpx.Request) -> str:
        """The `OAuth ...` header value that signs `request` now."""
        # The request's own parameters first: parsing them can fail, and then no revealed
        # credential may sit in this frame.
        params = _request_parameters(request)
        protocol = {
            "oauth_consumer_key": self._api_key.reveal(),
            "oauth_nonce": self._nonce(),
            "oauth_signature_method": "HMAC-SHA1",
            "oauth_timestamp": str(int(self._clock())),
            "oauth_token": self._access_token.reveal(),
        }
        if self._version is not None:
            protocol["oauth_version"] = self._version
        params += protocol.items()
        base = signature_base_string(request.method, str(request.url), params)
        protocol["oauth_signature"] = hmac_sha1_signature(
            base, self._api_secret.reveal(), self._access_token_secret.reveal()
        )
        fields = ", ".join(
            f'{percent_encode(k)}="{percent_encode(v)}"' for k, v in protocol.items()
        )
        return f"OAuth {fields}"


def _request_parameters(request: httpx.Request) -> list[tuple[str, str]]:
    # Section 3.4.1.3.1: query and form body are parsed as application/x-www-form-urlencoded.
    params = parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True)
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type == _FORM and request.content:
        params += parse_qsl(request.content.decode("utf-8"), keep_blank_values=True)
    return params
