"""App-only auth: a bearer token from the client credentials grant, cached in memory."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Final

import httpx

from .. import _spec_info
from .._endpoints import check_credential_url
from .._logging import package_logger
from .._operations import CLIENT_CREDENTIALS
from .._secrets import Secret
from ._flow import Flow, FlowAuth, SubFlow, TakeLock, call, send
from ._rfc6749 import parse_token_response, token_endpoint_request
from ._single_flight import RefreshLock

__all__ = ["DEFAULT_TOKEN_URL", "AppOnly"]

# The spec's clientCredentials flow names it; X's spec has none (its app-only bearer scheme is
# an `http` one), and X serves the grant at `/oauth2/token`.
DEFAULT_TOKEN_URL: Final = (
    _spec_info.OAUTH2_CLIENT_CREDENTIALS_TOKEN_URL or f"{_spec_info.DEFAULT_BASE_URL}/oauth2/token"
)

logger = package_logger(__name__)


class AppOnly(FlowAuth):
    """Fetches an app-only bearer with the client id and secret (the client credentials grant,
    HTTP Basic at the token endpoint); re-fetches once on a 401.

    It serves `http` bearer schemes and the spec's `oauth2` schemes with a clientCredentials
    flow. The default `token_url` is that flow's tokenUrl, else `<base_url>/oauth2/token`
    (where X serves the grant); it must be https (or on a loopback host) unless
    `allow_insecure_http`. `scopes`, when given, are asked for in the token request.
    """

    security_scheme: ClassVar[str] = "BearerToken"
    security_types: ClassVar[frozenset[str]] = frozenset({"http:bearer"})
    security_schemes: ClassVar[frozenset[str]] = CLIENT_CREDENTIALS

    def __init__(
        self,
        client_id: str,
        client_secret: str | Secret,
        token_url: str | None = None,
        *,
        scopes: Iterable[str] | None = None,
        allow_insecure_http: bool = False,
    ) -> None:
        self.client_id = client_id
        self.scopes: tuple[str, ...] = tuple(dict.fromkeys(scopes or ()))
        self._client_secret = Secret(client_secret)
        self.token_url: str = token_url or DEFAULT_TOKEN_URL
        check_credential_url(self.token_url, "token_url", allow_insecure_http=allow_insecure_http)
        self._lock = RefreshLock(None)
        self._bearer: Secret | None = None

    def __repr__(self) -> str:
        return f"AppOnly(client_id={self.client_id!r}, token_url={self.token_url!r})"

    @property
    def granted_scopes(self) -> frozenset[str] | None:
        return None

    def flow(self, request: httpx.Request) -> Flow:
        bearer = self._bearer
        if bearer is None:
            bearer = yield from self._fetch(stale=None)
        request.headers["Authorization"] = f"Bearer {bearer.reveal()}"
        response = yield from send(request)
        if response.status_code == 401:
            bearer = yield from self._fetch(stale=bearer)
            request.headers["Authorization"] = f"Bearer {bearer.reveal()}"
            yield from send(request)

    def _fetch(self, stale: Secret | None) -> SubFlow[Secret]:
        yield TakeLock(self._lock)
        try:
            if self._bearer is not None and self._bearer != stale:
                return self._bearer  # another caller fetched one while we waited
            logger.debug("fetching an app-only bearer token")
            form = {"grant_type": "client_credentials"}
            if self.scopes:
                form["scope"] = " ".join(self.scopes)
            request = token_endpoint_request(
                self.token_url, form, self.client_id, self._client_secret
            )
            response = yield from call(request)
            token = parse_token_response(response, 0.0, [self._client_secret])
            self._bearer = token.access_token
            return self._bearer
        finally:
            self._lock.release()
