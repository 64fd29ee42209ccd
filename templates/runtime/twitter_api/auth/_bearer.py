"""Fixed bearer tokens: an app-only token, or a user-context token obtained elsewhere."""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import ClassVar

import httpx

from .._secrets import Secret

__all__ = ["BearerToken", "OAuth2UserToken"]


class _StaticBearer(httpx.Auth):
    one_step: ClassVar[bool] = True  # sets its credential without waiting for a response

    def __init__(self, token: str | Secret) -> None:
        self._token = Secret(token)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        yield request


class BearerToken(_StaticBearer):
    """An app-only bearer token (the spec's BearerToken scheme); it has no scopes."""

    security_scheme: ClassVar[str] = "BearerToken"
    security_types: ClassVar[frozenset[str]] = frozenset({"http:bearer"})

    @property
    def granted_scopes(self) -> frozenset[str] | None:
        return None

    def __repr__(self) -> str:
        return f"BearerToken({self._token!r})"


class OAuth2UserToken(_StaticBearer):
    """A user-context OAuth 2.0 access token used as it is (no refresh).

    `scopes` are the scopes it was granted, when known; calls needing others are refused
    before they are sent.
    """

    security_scheme: ClassVar[str] = "OAuth2UserToken"
    # A token from any OAuth 2.0 flow, or an OpenID Connect access token.
    security_types: ClassVar[frozenset[str]] = frozenset({"oauth2", "openIdConnect"})

    def __init__(self, access_token: str | Secret, scopes: Iterable[str] | None = None) -> None:
        super().__init__(access_token)
        self._scopes = frozenset(scopes) if scopes is not None else None

    @property
    def granted_scopes(self) -> frozenset[str] | None:
        return self._scopes

    def __repr__(self) -> str:
        scopes = sorted(self._scopes) if self._scopes is not None else None
        return f"OAuth2UserToken({self._token!r}, scopes={scopes!r})"
