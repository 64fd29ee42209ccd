"""How one operation call becomes an HTTP request, and its response a value.

Everything here is shared by the sync and the async client; only sending differs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote, unquote

import httpx

from ._endpoints import Origin, origin_of
from ._exceptions import APIResponseError, OperationNotAllowedError
from ._models import Converter, Model, dump
from ._spec_info import PACKAGE_NAME, PACKAGE_VERSION, SPEC_VERSION

__all__ = [
    "Operation",
    "build_request",
    "check_security",
    "parse_response",
    "request_url",
]

# Generated models live in the `models` subpackage next to this module.
MODELS_PACKAGE: Final = __name__.rpartition(".")[0] + ".models"

# Query parameter styles (OpenAPI `style` + `explode`) that need more than str(value).
CSV: Final = "csv"  # form, explode: false -> a=1,2,3
MULTI: Final = "multi"  # form, explode: true -> a=1&a=2
USER_AGENT: Final = f"{PACKAGE_NAME}/{PACKAGE_VERSION} (spec {SPEC_VERSION})"


class Operation:
    """What the spec says about one operation, as the generator recorded it."""

    __slots__ = (
        "accept",
        "method",
        "multipart",
        "name",
        "paginated_by",
        "path",
        "response",
        "response_kind",
        "security",
        "styles",
    )

    def __init__(
        self,
        name: str,
        method: str,
        path: str,
        *,
        response: Converter | None = None,
        response_kind: str = "json",
        security: Sequence[tuple[str, Sequence[str]]] = (),
        styles: Mapping[str, str] | None = None,
        multipart: bool = False,
        paginated_by: str | None = None,
    ) -> None:
        self.name = name
        self.method = method
        self.path = path
        self.response = response
        if response is not None:
            response.bind(MODELS_PACKAGE)
        self.response_kind = response_kind  # "json" | "bytes" | "stream" | "empty"
        self.security = tuple((scheme, tuple(scopes)) for scheme, scopes in security)
        self.styles = dict(styles or {})
        self.multipart = multipart
        self.paginated_by = paginated_by
        self.accept = (
            "application/octet-stream"
            if response_kind == "bytes"
            else "application/json, application/problem+json"
        )


def check_security(op: Operation, auth: object) -> None:
    """Refuse a call the configured auth cannot make, before anything is sent.

    Auth objects of this package name the spec security scheme they satisfy and the scopes
    they were granted; a plain `httpx.Auth` from elsewhere is trusted as it is.
    """
    scheme = getattr(auth, "security_scheme", None)
    if not op.security or not isinstance(scheme, str):
        return
    accepted = [scopes for name, scopes in op.security if name == scheme]
    if not accepted:
        wanted = " or ".join(name for name, _ in op.security)
        raise OperationNotAllowedError(
            f"{op.name} cannot be called with {scheme} auth; it needs {wanted}"
        )
    granted = getattr(auth, "granted_scopes", None)
    if granted is None:
        return
    missing = [s for s in accepted[0] if s not in granted]
    if missing:
        raise OperationNotAllowedError(
            f"{op.name} needs the scopes {', '.join(sorted(missing))}, "
            "which the token was not granted; log in again with them"
        )


def encode_path(op: Operation, params: Mapping[str, Any]) -> str:
    """The operation's path with each value percent-encoded as one segment.

    `/`, `?` and `#` are encoded; values that are empty or a dot segment (`.`, `..`, also
    percent-encoded) are refused, since URL normalisation would send the call elsewhere.
    """
    path = op.path
    for name, value in params.items():
        text = _text(value)
        if not text:
            raise ValueError(f"{op.name}: path parameter {name!r} must not be empty")
        if _decoded(text) in _DOT_SEGMENTS:
            raise ValueError(
                f"{op.name}: path parameter {name!r} must not be {text!r}: as a dot segment "
                "it would change which endpoint is called"
            )
        path = path.replace("{" + name + "}", quote(text, safe=""))
    return path


_DOT_SEGMENTS: Final = frozenset({"", ".", ".."})


def _decoded(text: str) -> str:
    # Servers and proxies may decode more than once: `%252e` -> `%2e` -> `.`.
    for _ in range(4):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


def request_url(base_url: str, base_origin: Origin, path: str) -> str:
    """The URL of `client.request(method, path)`; refuses a target outside base_url's origin.

    `path` is a path starting with a single `/` (appended to base_url), or an absolute URL on
    base_url's origin. Without these checks `"@evil.example/..."` or `".evil.example/..."`
    appended to `https://api.x.com` would name another host, which then receives the token.
    """
    if not isinstance(path, str):
        raise TypeError(f"request(): path must be a str, not {type(path).__name__}")
    if "\\" in path or any(ord(c) < 0x21 or ord(c) == 0x7F for c in path):
        raise ValueError(
            "request(): path must not contain backslashes, spaces or control characters"
        )
    if "://" in path.split("?", 1)[0]:
        url = path
    elif path.startswith("/") and not path.startswith("//"):
        url = base_url + path
    else:
        raise ValueError(
            "request(): path must start with a single '/' (e.g. '/2/users/me') or be a URL "
            f"on {_show(base_origin)}"
        )
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise ValueError("request(): path does not form a valid URL") from None
    if parsed.userinfo or origin_of(parsed) != base_origin:
        raise ValueError(
            f"request(): path points to {_show(origin_of(parsed))}, but credentials are sent "
            f"only to base_url's origin {_show(base_origin)}"
        )
    return url


def _show(origin: Origin) -> str:
    scheme, host, port = origin
    return f"{scheme}://{host}:{port}"


def encode_query(styles: Mapping[str, str], params: Mapping[str, Any]) -> str:
    """The query string, per the spec's style for each parameter.

    Items of a comma-joined list are percent-encoded one by one, so a comma inside an item
    can't be mistaken for a separator; the separators themselves stay literal.
    """
    parts: list[str] = []
    for name, value in params.items():
        if value is None:
            continue
        key = quote(name, safe=".")
        if isinstance(value, str | bytes) or not isinstance(value, Sequence | set | frozenset):
            parts.append(f"{key}={quote(_text(value), safe='')}")
        elif styles.get(name) == MULTI:
            parts.extend(f"{key}={quote(_text(v), safe='')}" for v in value)
        else:
            parts.append(f"{key}=" + ",".join(quote(_text(v), safe="") for v in value))
    return "&".join(parts)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return str(value)


def build_request(
    client: httpx.Client | httpx.AsyncClient,
    base_url: str,
    op: Operation,
    path: Mapping[str, Any] | None,
    query: Mapping[str, Any] | None,
    body: Any,
    headers: Mapping[str, str] | None,
    timeout: float | None,
) -> httpx.Request:
    url = base_url + (encode_path(op, path) if path else op.path)
    if query:
        encoded = encode_query(op.styles, query)
        if encoded:
            url = f"{url}{'&' if '?' in url else '?'}{encoded}"
    all_headers = {"Accept": op.accept, "User-Agent": USER_AGENT}
    if headers:
        all_headers.update(headers)
    content: bytes | None = None
    files: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    if body is not None:
        wire = dump(body)
        if op.multipart and isinstance(wire, dict) and any(_is_file(v) for v in wire.values()):
            files = {k: (k, v) for k, v in wire.items() if _is_file(v)}
            data = {k: _text(v) for k, v in wire.items() if not _is_file(v) and v is not None}
        else:
            content = json.dumps(wire, separators=(",", ":"), ensure_ascii=False).encode()
            all_headers["Content-Type"] = "application/json"
    return client.build_request(
        op.method,
        url,
        headers=all_headers,
        content=content,
        data=data,
        files=files,
        timeout=timeout,
    )


def _is_file(value: Any) -> bool:
    return isinstance(value, bytes | bytearray | memoryview) or hasattr(value, "read")


def parse_response(op: Operation, response: httpx.Response) -> Any:
    """The typed value of a successful response."""
    if op.response_kind == "bytes":
        return response.content
    if op.response_kind == "empty" or not response.content:
        return None
    try:
        raw = json.loads(response.content)
    except ValueError as exc:
        # Truncated or garbled JSON is not retried: the same request may have had effects.
        raise APIResponseError(
            f"{op.name}: the response body is not valid JSON ({exc}; "
            f"{len(response.content)} bytes)",
            response=response,
        ) from None
    value = op.response.load(raw) if op.response is not None else raw
    if isinstance(value, Model):
        value._response = response
    return value
