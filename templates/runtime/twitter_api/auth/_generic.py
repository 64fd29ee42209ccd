"""Credentials for security schemes of any API: an API key, HTTP Basic, several at once."""

from __future__ import annotations

import base64
from collections.abc import AsyncGenerator, Generator, Mapping
from typing import ClassVar, Literal

import httpx

from .._operations import API_KEYS
from .._secrets import Secret

__all__ = ["APIKey", "HTTPBasic", "MultiAuth"]

Location = Literal["header", "query", "cookie"]
_LOCATIONS = ("header", "query", "cookie")
_PLACES = {"header": "header", "query": "query parameter", "cookie": "cookie"}


class APIKey(httpx.Auth):
    """An API key (an `apiKey` security scheme), sent where the spec's scheme says.

    `APIKey(key)` when the spec has one apiKey scheme; `APIKey(key, scheme="name")` picks one
    of several. `name=` and `location=` ("header", "query" or "cookie") select the scheme
    that sends the key so, and are refused when none does; for a spec without apiKey
    schemes they say where the key goes (the header `name` by default).
    """

    one_step: ClassVar[bool] = True  # sets its credential without waiting for a response

    def __init__(
        self,
        value: str | Secret,
        *,
        scheme: str | None = None,
        name: str | None = None,
        location: Location | None = None,
    ) -> None:
        if location is not None and location not in _LOCATIONS:
            raise ValueError(f"APIKey: location must be one of {', '.join(_LOCATIONS)}")
        if name is not None and (not name or any(c in name for c in "\r\n\0;=, ")):
            raise ValueError("APIKey: name must be a header, parameter or cookie name")
        self._value = Secret(value)
        schemes = _schemes_for(API_KEYS, scheme, name, location)
        # The spec's schemes this key is for; by kind only where the spec defines none.
        self.security_schemes: frozenset[str] = frozenset(schemes)
        self.security_types: frozenset[str] = frozenset() if API_KEYS else frozenset({"apiKey"})
        self.location: str
        self.name: str
        if schemes:
            self.location, self.name = API_KEYS[schemes[0]]
        elif name is None:
            raise ValueError("APIKey: the spec defines no apiKey scheme; pass name=")
        else:
            self.location, self.name = location or "header", name

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


def _schemes_for(
    known: Mapping[str, tuple[str, str]],
    scheme: str | None,
    name: str | None,
    location: str | None,
) -> list[str]:
    """The apiKey schemes of the spec a key with these settings is for (one placement)."""

    def fits(place: tuple[str, str]) -> bool:
        where, key = place
        if location is not None and where != location:
            return False
        # Header names are case-insensitive; parameter and cookie names are not.
        return name is None or (key.lower() == name.lower() if where == "header" else key == name)

    listed = "; ".join(f"{s}: {_PLACES[w]} {k!r}" for s, (w, k) in known.items())
    if scheme is not None:
        if scheme not in known:
            raise ValueError(
                f"APIKey: {scheme!r} is not an apiKey scheme of the spec "
                f"(its apiKey schemes: {listed or 'none'})"
            )
        if not fits(known[scheme]):
            where, key = known[scheme]
            raise ValueError(
                f"APIKey: the scheme {scheme!r} sends the key as the {_PLACES[where]} {key!r}; "
                "leave out name= and location= or make them match"
            )
        return [scheme]
    found = [s for s, place in known.items() if fits(place)]
    if known and not found:
        asked = (
            f"{_PLACES[location or 'header']} {name!r}" if name else f"a {_PLACES[str(location)]}"
        )
        raise ValueError(
            f"APIKey: no apiKey scheme of the spec sends the key as {asked} "
            f"(its apiKey schemes: {listed})"
        )
    if len({known[s] for s in found}) > 1:
        raise ValueError(
            f"APIKey: the spec has several apiKey schemes ({listed}); "
            "say which this key is for with scheme="
        )
    return found


class HTTPBasic(httpx.Auth):
    """HTTP Basic credentials (an `http` scheme `basic`)."""

    one_step: ClassVar[bool] = True
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


class MultiAuth(httpx.Auth):
    """Several credentials sent together, for a security requirement that names several
    schemes (e.g. two API keys): `MultiAuth(APIKey(a, scheme="x"), APIKey(b, scheme="y"))`.

    An operation accepts it when each scheme of one of its alternatives is served by one of
    the parts. The parts that set their credential at once (API keys, HTTP Basic, fixed
    tokens, OAuth 1.0a) are applied in the order given (a signature last); at most one part
    may need the server's responses (a refreshing flow), and it runs after them.
    """

    def __init__(self, *auths: httpx.Auth) -> None:
        if not auths:
            raise ValueError("MultiAuth: give at least one auth")
        self.auth_parts: tuple[httpx.Auth, ...] = auths
        flows = [a for a in auths if not getattr(a, "one_step", False)]
        if len(flows) > 1:
            names = ", ".join(type(a).__name__ for a in flows)
            raise ValueError(f"MultiAuth: at most one part may refresh or re-send ({names})")
        self._flow = flows[0] if flows else None
        self._at_once = [a for a in auths if a is not self._flow]
        self.requires_request_body: bool = any(a.requires_request_body for a in auths)
        self.requires_response_body: bool = any(a.requires_response_body for a in auths)

    def _apply(self, request: httpx.Request) -> None:
        for part in self._at_once:
            flow = part.auth_flow(request)
            next(flow)  # a one-step flow sets its credential and yields the request
            flow.close()

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        if self.requires_request_body:
            request.read()
        self._apply(request)
        if self._flow is None:
            yield request
        else:
            yield from self._flow.sync_auth_flow(request)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if self.requires_request_body:
            await request.aread()
        self._apply(request)
        if self._flow is None:
            yield request
            return
        flow = self._flow.async_auth_flow(request)
        try:
            step = await flow.__anext__()
            while True:
                response = yield step
                step = await flow.asend(response)
        except StopAsyncIteration:
            return
        finally:
            await flow.aclose()

    def __repr__(self) -> str:
        return f"MultiAuth({', '.join(repr(a) for a in self.auth_parts)})"
