"""Which URLs may receive credentials.

Tokens and client secrets travel only over https, except to a loopback host (a local test
server, or the redirect of a login), unless the user explicitly allows plain http.
"""

from __future__ import annotations

import ipaddress
from typing import Final

import httpx

__all__ = ["Origin", "check_credential_url", "insecure_http_reason", "is_loopback", "origin_of"]

Origin = tuple[str, str, int]
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def origin_of(url: httpx.URL) -> Origin:
    """(scheme, host, port) with the default port filled in, as RFC 6454 compares them."""
    scheme = url.scheme.lower()
    return scheme, url.host.lower().rstrip("."), url.port or _DEFAULT_PORTS.get(scheme, 0)


def is_loopback(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def insecure_http_reason(url: str, *, allow_insecure_http: bool = False) -> str | None:
    """Why credentials must not be sent to `url`, or None when they may."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "is not a valid URL"
    scheme = parsed.scheme.lower()
    if scheme == "https":
        return None
    if scheme != "http":
        return f"must be an https URL (its scheme is {scheme!r})"
    if is_loopback(parsed.host) or allow_insecure_http:
        return None
    return (
        f"uses plain http to {parsed.host}, which would expose credentials on the network; "
        "use https (plain http is accepted only for loopback hosts, or with "
        "allow_insecure_http = true)"
    )


def check_credential_url(url: str, setting: str, *, allow_insecure_http: bool = False) -> None:
    """Raise ValueError when credentials must not be sent to `url` (the setting `setting`)."""
    reason = insecure_http_reason(url, allow_insecure_http=allow_insecure_http)
    if reason is not None:
        raise ValueError(f"{setting} {reason}")
