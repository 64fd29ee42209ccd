"""Credentials for security schemes of any API: an API key, HTTP Basic."""

from __future__ import annotations

import base64
from collections.abc import Generator
from typing import ClassVar, Literal

import httpx

from .._secrets import Secret

__all__ = ["APIKey", "HTTPBasic"]

_LOCATIONS = ("header", "query", "cookie")


class APIKey(httpx.Auth):
    """An API key (an `apiKey` security scheme), sent as the header, query parameter or cookie
    `name`, as the scheme says: `APIKey(key, name="X-API-Key", location="header")`."""

    security_types: ClassVar[frozenset[str]] = frozenset({"apiKey"})

    def __init__(
        self,
        value: str | Secret,
        *,
        name: str,
        location: Literal["header", "query", "cookie"] = "header",
    ) -> None:
        if location not in _LOCATIONS:
            raise ValueError(f"APIKey: location must be one of {', '.join(_LOCATIONS)}")
        if not name or any(c in name for c in "\r\n\0;=, "):
            raise ValueError("APIKey: name must be a header, parameter or cookie name")
        self._value = Secret(value)
        self.name = name
        self.location = location

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        value = self._value.reveal()
        if self.location == "header":
            request.headers[self.name] = value
        elif self.location == "query":
            request.url = request.url.copy_merge_params({self.name: value})
        else:
            cookie = f"{self.name}={value}"
            given = request.headers.get("Cookie")
            request.headers["Cookie"] = f"{given}; {cookie}" if given else cookie
        yield request

    @property
    def granted_scopes(self) -> frozenset[str] | None:
        return None

    def __repr__(self) -> str:
        return f"APIKey({self._value!r}, name={self.name!r}, location={self.location!r})"


class HTTPBasic(httpx.Auth):
    """HTTP Basic credentials (an `http` scheme `basic`)."""

    security_types: ClassVar[frozenset[str]] = frozenset({"http:basic"})

    def __init__(self, username: str, password: str | Secret) -> None:
        self.username = username
        self._password = Secret(password)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        pair = f"{self.username}:{self._password.reveal()}".encode()
        request.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        yield request

    @property
    def granted_scopes(self) -> frozenset[str] | None:
        return None

    def __repr__(self) -> str:
        return f"HTTPBasic({self.username!r}, {self._password!r})"
