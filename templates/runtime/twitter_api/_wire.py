"""How one operation call becomes an HTTP request, and its response a value.

Everything here is shared by the sync and the async client; only sending differs.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import IO, Any, Final, TypeAlias
from urllib.parse import quote, quote_plus, unquote

import httpx

from ._endpoints import Origin, origin_of
from ._exceptions import APIResponseError, OperationNotAllowedError
from ._models import Converter, Model, dump, is_file, is_file_part
from ._spec_info import PACKAGE_NAME, PACKAGE_VERSION, SPEC_VERSION

__all__ = [
    "NOT_GIVEN",
    "Encoding",
    "NotGiven",
    "Operation",
    "Payload",
    "RequestOptions",
    "Timeout",
    "accept_header",
    "build_request",
    "check_security",
    "parse_response",
    "request_url",
]

# Generated models live in the `models` subpackage next to this module.
MODELS_PACKAGE: Final = __name__.rpartition(".")[0] + ".models"

# Parameter styles (OpenAPI `style`, `*` when exploded) that need more than str(value);
# query `form` has its own two names.
CSV: Final = "csv"  # query form, explode: false -> a=1,2,3
MULTI: Final = "multi"  # query form, explode: true -> a=1&a=2
JSON_STYLE: Final = "json"  # a parameter described by `content`: its value as JSON text
USER_AGENT: Final = f"{PACKAGE_NAME}/{PACKAGE_VERSION} (spec {SPEC_VERSION})"


class NotGiven:
    """The default of a per-call option left out (None is a value: `timeout=None` waits forever)."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()

# What httpx takes as a timeout: seconds for every phase, per-phase, or None for no limit.
Timeout: TypeAlias = float | httpx.Timeout | None


class RequestOptions:
    """The per-call options of one operation call, applied over the client's settings."""

    __slots__ = ("accept", "extra_body", "extra_headers", "extra_query", "timeout")

    def __init__(
        self,
        timeout: Timeout | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        accept: str | None = None,
    ) -> None:
        self.timeout = timeout
        self.extra_headers = extra_headers
        self.extra_query = extra_query
        self.extra_body = extra_body
        self.accept = accept  # the one media type asked for, of those the operation offers


class Encoding:
    """How one property of a form or multipart body is sent (the spec's `encoding` object)."""

    __slots__ = ("content_type", "headers", "style")

    def __init__(
        self, *, style: str = "", content_type: str = "", headers: Mapping[str, str] | None = None
    ) -> None:
        # A style token as for query parameters (a form's default: MULTI); "json" for a
        # property sent as one JSON document.
        self.style = style
        # Multipart: the part's media type and the part headers the spec fixes.
        self.content_type = content_type
        self.headers: dict[str, str] = dict(headers or {})


_PLAIN: Final = Encoding()


class Operation:
    """What the spec says about one operation, as the generator recorded it."""

    __slots__ = (
        "accept",
        "backfill_max",
        "content_types",
        "encodings",
        "method",
        "multipart",
        "name",
        "outside_query",
        "paginated_by",
        "path",
        "response",
        "response_kind",
        "security",
        "server",
        "statuses",
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
        security: Sequence[tuple[str, Sequence[str]] | Mapping[str, Sequence[str]]] = (),
        styles: Mapping[str, str] | None = None,
        multipart: bool = False,
        paginated_by: str | None = None,
        accept: str | None = None,
        outside_query: Sequence[str] = (),
        content_types: Mapping[str, str] | None = None,
        statuses: Mapping[str, tuple[str, Converter | None]] | None = None,
        encodings: Mapping[str, Mapping[str, Encoding]] | None = None,
        server: str = "",
        backfill_max: int = 0,
    ) -> None:
        self.name: str = name
        self.method: str = method
        self.path: str = path
        self.response: Converter | None = response
        if response is not None:
            response.bind(MODELS_PACKAGE)
        # "json" | "text" | "bytes" | "stream" | "empty" | "auto" (whatever the server sends)
        self.response_kind: str = response_kind
        # The alternatives: one of them, with all its (scheme, scopes); an empty one needs
        # no credentials. A one-scheme alternative may be written as its pair.
        self.security: tuple[tuple[tuple[str, tuple[str, ...]], ...], ...] = tuple(
            tuple((name, tuple(scopes)) for name, scopes in alternative.items())
            if isinstance(alternative, Mapping)
            else ((alternative[0], tuple(alternative[1])),)
            for alternative in security
        )
        # The operation's own server, used while the client's base_url is the spec's default.
        self.server: str = server
        self.styles: dict[str, str] = dict(styles or {})
        self.multipart: bool = multipart
        self.paginated_by: str | None = paginated_by
        # A stream's most `backfill_minutes` (the spec's maximum); 0: it cannot backfill.
        self.backfill_max: int = backfill_max
        # Keys (`header:<name>`, `cookie:<name>`) of parameters sent outside the query string.
        self.outside_query: frozenset[str] = frozenset(outside_query)
        # Media type -> how the body is encoded (json, form, multipart, text, binary); the
        # first is the default. `multipart`: JSON, or multipart when the body holds files.
        self.content_types: dict[str, str] = dict(
            content_types or (_JSON_OR_MULTIPART if multipart else _JSON)
        )
        # Media type -> property -> its encoding, where the spec gives one.
        self.encodings: dict[str, dict[str, Encoding]] = {
            media: dict(props) for media, props in (encodings or {}).items()
        }
        self.accept: str = accept or _ACCEPT.get(
            response_kind, "application/json, application/problem+json"
        )
        # Status code or range (`2XX`) -> (kind, converter) of success responses that differ;
        # a status not named is read as `response_kind` and `response` say.
        self.statuses: dict[str, tuple[str, Converter | None]] = dict(statuses or {})
        for _, converter in self.statuses.values():
            if converter is not None:
                converter.bind(MODELS_PACKAGE)


_ACCEPT: Final = {"bytes": "application/octet-stream", "text": "text/plain", "auto": "*/*"}
_JSON: Final = {"application/json": "json"}
_JSON_OR_MULTIPART: Final = {**_JSON, "multipart/form-data": "multipart"}


class Payload:
    """A request body with the media type the caller chose for it."""

    __slots__ = ("content_type", "value")

    def __init__(self, value: Any, content_type: str) -> None:
        self.value = value
        self.content_type = content_type


def check_security(op: Operation, auth: object) -> None:
    """Refuse a call the configured auth cannot make, before anything is sent.

    Auth objects of this package name the kinds of security scheme they satisfy
    (`security_types`: "apiKey", "http:basic", "http:bearer", "oauth2", ...), possibly spec
    schemes by name (`security_schemes`), and the scopes they were granted; a `MultiAuth`
    lists its `auth_parts`. An operation accepts the auth when one of its alternatives has
    each of its schemes served by a part, with the scopes that scheme needs granted; an
    empty alternative accepts anything. A plain `httpx.Auth` from elsewhere is trusted.
    """
    if not op.security:
        return
    found = getattr(auth, "auth_parts", None)
    parts: tuple[object, ...] = found if isinstance(found, tuple) else (auth,)
    if not all(map(_describes_itself, parts)):
        return
    from ._operations import SECURITY_TYPES  # generated: spec scheme name -> its type

    missing: list[str] | None = None  # the fewest scopes lacking in an alternative served
    for alternative in op.security:
        lacking: set[str] = set()
        for name, scopes in alternative:
            serving = [p for p in parts if _serves(p, name, SECURITY_TYPES)]
            if not serving:
                break
            lacking |= min((_lacking(p, scopes) for p in serving), key=len)
        else:
            if not lacking:
                return
            if missing is None or len(lacking) < len(missing):
                missing = sorted(lacking)
    if missing is not None:
        raise OperationNotAllowedError(
            f"{_method_name(op)}() needs the scopes {', '.join(missing)}, "
            "which the token was not granted; add them to the profile's scopes and log in again"
        )
    schemes = list(dict.fromkeys(name for alt in op.security for name, _ in alt))
    raise OperationNotAllowedError(
        f"{_method_name(op)}() cannot be called with {_auth_name(auth)} auth; "
        f"it needs {_wanted(op, SECURITY_TYPES)} (spec schemes: {', '.join(schemes)})"
    )


def _describes_itself(auth: object) -> bool:
    return (
        isinstance(getattr(auth, "security_scheme", None), str)
        or isinstance(getattr(auth, "security_types", None), frozenset)
        or isinstance(getattr(auth, "security_schemes", None), frozenset)
    )


def _serves(auth: object, name: str, types_of: Mapping[str, str]) -> bool:
    """Whether `auth` sends what the spec's scheme `name` asks for."""
    schemes = getattr(auth, "security_schemes", None)
    if isinstance(schemes, frozenset) and name in schemes:
        return True
    # By the scheme's type when both sides know it; else an auth naming the scheme itself.
    types = getattr(auth, "security_types", None)
    if isinstance(types, frozenset) and name in types_of:
        return types_of[name] in types
    return name == getattr(auth, "security_scheme", None)


def _lacking(auth: object, scopes: Sequence[str]) -> set[str]:
    granted = getattr(auth, "granted_scopes", None)
    return set() if granted is None else {s for s in scopes if s not in granted}


def _auth_name(auth: object) -> str:
    schemes = getattr(auth, "security_schemes", None)
    if isinstance(schemes, frozenset) and schemes and not getattr(auth, "security_types", None):
        return f"{type(auth).__name__} (for {', '.join(sorted(schemes))})"
    return type(auth).__name__


def _wanted(op: Operation, types_of: Mapping[str, str]) -> str:
    """The auth classes that would serve `op`: `MultiAuth(...)` for a several-scheme one."""

    from ._operations import CLIENT_CREDENTIALS

    def classes(name: str) -> tuple[str, ...]:
        found = _AUTH_CLASSES.get(types_of.get(name, ""), ())
        if name in CLIENT_CREDENTIALS:
            found = ("AppOnly", *found)
        # An API key serves one scheme, so the scheme is named too.
        return tuple(f"{c} for {name}" for c in found) if types_of.get(name) == "apiKey" else found

    single = sorted({c for alt in op.security if len(alt) == 1 for c in classes(alt[0][0])})
    several = [
        "MultiAuth(" + ", ".join("/".join(classes(n)) or n for n, _ in alt) + ")"
        for alt in op.security
        if len(alt) > 1
    ]
    wanted = single + several
    return " or ".join(wanted) if wanted else " or ".join(n for alt in op.security for n, _ in alt)


# The auth classes of `auth` that satisfy each kind of security scheme, for error messages.
_AUTH_CLASSES: Final[Mapping[str, tuple[str, ...]]] = {
    "http:bearer": ("AppOnly", "BearerToken"),
    "oauth2": ("OAuth2PKCE", "OAuth2UserToken"),
    "openIdConnect": ("OAuth2UserToken",),
    "http:oauth": ("OAuth1",),
    "apiKey": ("APIKey",),
    "http:basic": ("HTTPBasic",),
}


def _method_name(op: Operation) -> str:
    """The client method that calls `op` (what the user typed), else the operationId."""
    from ._operations import BY_METHOD

    return BY_METHOD.method_of(op) or op.name


def encode_path(op: Operation, params: Mapping[str, Any]) -> str:
    """The operation's path with each value percent-encoded as one segment.

    `/`, `?` and `#` are encoded; values that are None, empty, or a dot segment (`.`, `..`)
    or hold one once decoded as a server might are refused, since URL normalisation would
    send the call elsewhere.
    """
    path = op.path
    for name, value in params.items():
        if value is None:  # str(None) would call `.../None`
            raise ValueError(f"{op.name}: path parameter {name!r} is required, not None")
        style = op.styles.get(f"path:{name}", "")
        text = _text(value) if not style else ""
        if not style and not text:
            raise ValueError(f"{op.name}: path parameter {name!r} must not be empty")
        segment = quote(text, safe="") if not style else _path_value(style, name, value)
        for shown in (text, segment):
            if shown and _holds_dot_segment(shown):
                raise ValueError(
                    f"{op.name}: path parameter {name!r} must not be {shown!r}: it is or holds "
                    "a dot segment (`.`, `..`), which would change which endpoint is called"
                )
        path = path.replace("{" + name + "}", segment)
    return path


# Percent-encodes text or octets, keeping the characters of `safe`.
_Escape: TypeAlias = Callable[[str | bytes, str], str]


def _query_escape(text: str | bytes, safe: str) -> str:
    return quote(text, safe=safe)


def _form_escape(text: str | bytes, safe: str) -> str:
    return quote_plus(text, safe=safe)  # a form writes spaces as `+`


_OCTET_TYPES: Final = (bytes, bytearray, memoryview)


def _q(value: Any, esc: _Escape = _query_escape) -> str:
    """One value, percent-encoded: bytes as their octets, objects and lists as JSON text."""
    if isinstance(value, _OCTET_TYPES):
        return esc(bytes(value), "")
    if _pairs(value) is not None or _is_list(value):
        return esc(_json(value), "")
    return esc(_text(value), "")


def _pairs(value: Any) -> list[tuple[str, Any]] | None:
    """An object's (key, value) pairs, None for anything else."""
    if isinstance(value, Model):
        value = dump(value)
    if isinstance(value, Mapping):
        return [(str(k), v) for k, v in value.items() if v is not None]
    return None


def _is_list(value: Any) -> bool:
    return (
        not isinstance(value, str | bytes | Mapping | Model)
        and isinstance(value, Sequence | set | frozenset)
        and not is_file_part(value)
    )


def _path_value(style: str, name: str, value: Any) -> str:
    """A path value in style simple, label or matrix (RFC 6570 `{x}`, `{.x}`, `{;x}`)."""
    base, explode = style.rstrip("*"), style.endswith("*")
    if base == JSON_STYLE:
        return quote(_json(value), safe="")
    pairs = _pairs(value)
    if pairs is not None:
        items = [f"{_q(k)}={_q(v)}" for k, v in pairs] if explode else None
        flat = [_q(x) for kv in pairs for x in kv]
    elif _is_list(value):
        items = [_q(v) for v in value]
        flat = items
    else:
        items, flat = [_q(value)], [_q(value)]
    key = quote(name, safe="")
    if base == "label":
        return "." + (".".join(items) if explode and items is not None else ",".join(flat))
    if base == "matrix":
        if explode and pairs is not None:
            return "".join(f";{item}" for item in items or ())
        if explode:
            return "".join(f";{key}={v}" for v in flat)
        return f";{key}=" + ",".join(flat)
    return ",".join(items if explode and items is not None else flat)


def _json(value: Any) -> str:
    return json.dumps(dump(value), separators=(",", ":"), ensure_ascii=False)


_DOT_SEGMENTS: Final = frozenset({".", ".."})


def _holds_dot_segment(text: str) -> bool:
    # A server or proxy may decode `%2f` and split on `\` too; Tomcat drops `;params` from
    # a segment before resolving dots, so `..;x` climbs like `..`.
    parts = _decoded(text).replace("\\", "/").split("/")
    return any(part.split(";", 1)[0] in _DOT_SEGMENTS for part in parts)


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
    if parsed.userinfo:
        raise ValueError(
            "request(): path must not carry a user name or password before the host "
            "(`user:password@`): credentials are sent only to base_url's origin"
        )
    if origin_of(parsed) != base_origin:
        raise ValueError(
            f"request(): path points to {_show(origin_of(parsed))}, but credentials are sent "
            f"only to base_url's origin {_show(base_origin)}"
        )
    return url


def _show(origin: Origin) -> str:
    scheme, host, port = origin
    return f"{scheme}://{host}:{port}"


def encode_query(styles: Mapping[str, str], params: Mapping[str, Any]) -> str:
    """The query string, per the spec's style for each parameter."""
    return "&".join(_styled(styles, params, _query_escape, ""))


def _styled(
    styles: Mapping[str, str], params: Mapping[str, Any], esc: _Escape, default: str
) -> Iterator[str]:
    """`name=value` fields of a query string or a form body, each in its style.

    Items of a comma-joined list are percent-encoded one by one, so a comma inside an item
    can't be mistaken for a separator; the separators themselves stay literal.
    """
    for name, value in params.items():
        if value is None:
            continue
        key = esc(name, ".")
        style = styles.get(name, default)
        pairs = _pairs(value) if style else None
        if style == JSON_STYLE:
            yield f"{key}={esc(_json(value), '')}"
        elif style == "deepObject*" and pairs is not None:
            yield from _deep_object(key, pairs, esc)
        elif pairs is not None:
            if style in _EXPLODED:
                yield from (f"{esc(k, '.')}={_q(v, esc)}" for k, v in pairs)
            else:
                flat = (_q(x, esc) for kv in pairs for x in kv)
                yield f"{key}=" + _SEPARATORS.get(style, ",").join(flat)
        elif not _is_list(value):
            yield f"{key}={_q(value, esc)}"
        elif style in _EXPLODED:
            yield from (f"{key}={_q(v, esc)}" for v in value)
        else:
            yield f"{key}=" + _SEPARATORS.get(style, ",").join(_q(v, esc) for v in value)


_EXPLODED: Final = frozenset({MULTI, "spaceDelimited*", "pipeDelimited*"})
_SEPARATORS: Final = {"spaceDelimited": "%20", "pipeDelimited": "|"}


def _deep_object(key: str, pairs: list[tuple[str, Any]], esc: _Escape) -> Iterator[str]:
    """`key[a]=1&key[b][c]=2`: nested objects by brackets, lists as repeated keys."""
    for k, v in pairs:
        name = f"{key}[{esc(k, '')}]"
        nested = _pairs(v)
        if nested is not None:
            yield from _deep_object(name, nested, esc)
        elif _is_list(v):
            yield from (f"{name}={_q(item, esc)}" for item in v)
        else:
            yield f"{name}={_q(v, esc)}"


def encode_headers(op: Operation, params: Mapping[str, Any]) -> tuple[dict[str, str], str]:
    """Header parameters (style simple) and the Cookie header of cookie parameters (form)."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for key, value in params.items():
        if value is None:
            continue
        location, _, name = key.partition(":")
        style = op.styles.get(key, "")
        explode = style.endswith("*")
        if style == JSON_STYLE:
            text = _json(value)
        elif location == "cookie":
            cookies.extend(_cookie(name, value, explode))
            continue
        else:
            pairs = _pairs(value)
            if pairs is not None:
                items = [f"{k}={_text(v)}" for k, v in pairs] if explode else None
                text = ",".join(items or [_text(x) for kv in pairs for x in kv])
            elif _is_list(value):
                text = ",".join(_text(v) for v in value)
            else:
                text = _text(value)
        _check_header_value(op, name, text)
        headers[name] = text
    cookie = "; ".join(cookies)
    _check_header_value(op, "Cookie", cookie)
    return headers, cookie


def _cookie(name: str, value: Any, explode: bool) -> list[str]:
    key = quote(name, safe="")
    pairs = _pairs(value)
    if pairs is not None:
        if explode:
            return [f"{quote(k, safe='')}={_q(v)}" for k, v in pairs]
        return [f"{key}=" + ",".join(_q(x) for kv in pairs for x in kv)]
    if _is_list(value):
        if explode:
            return [f"{key}={_q(v)}" for v in value]
        return [f"{key}=" + ",".join(_q(v) for v in value)]
    return [f"{key}={_q(value)}"]


def _check_header_value(op: Operation, name: str, text: str) -> None:
    # A line break in a header value would start another header (response splitting).
    if any(c in text for c in "\r\n\0"):
        raise ValueError(f"{op.name}: header {name!r} must not contain line breaks or NUL")
    # What HTTP/1.1 cannot carry is refused here, by name, instead of failing in the
    # transport; the value is not shown (it may be a credential).
    if text != text.strip(" \t"):
        raise ValueError(f"{op.name}: header {name!r} must not start or end with a space or tab")
    bad = next((i for i, c in enumerate(text) if not (" " <= c <= "~" or c == "\t")), None)
    if bad is not None:
        raise ValueError(
            f"{op.name}: header {name!r} must be printable ASCII (character {bad + 1} is not)"
        )


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
    timeout: Timeout,
    *,
    extra_query: Mapping[str, Any] | None = None,
    extra_body: Mapping[str, Any] | None = None,
) -> httpx.Request:
    url = base_url + (encode_path(op, path) if path else op.path)
    outside: dict[str, Any] = {}
    if query and op.outside_query:
        outside = {k: v for k, v in query.items() if k in op.outside_query}
        query = {k: v for k, v in query.items() if k not in op.outside_query}
    if extra_query and query:
        # An extra query parameter replaces the spec's one of the same name, never doubles it.
        query = {k: v for k, v in query.items() if k not in extra_query}
    parts = [encode_query(op.styles, query) if query else ""]
    if extra_query:
        parts.append(str(httpx.QueryParams(extra_query)))
    encoded = "&".join(part for part in parts if part)
    if encoded:
        url = f"{url}{'&' if '?' in url else '?'}{encoded}"
    if extra_body:
        body = _with_extra_body(op, body, extra_body)
    all_headers = {"Accept": op.accept, "User-Agent": USER_AGENT}
    params_headers, cookie = encode_headers(op, outside)
    all_headers.update(params_headers)
    if headers:
        all_headers.update(headers)
    if cookie:
        given = all_headers.get("Cookie")
        all_headers["Cookie"] = f"{given}; {cookie}" if given else cookie
    content: Any = None
    files: Any = None
    if body is not None and not isinstance(body, Payload):
        # The operation's default media type, or multipart for a body holding files: then
        # one encoder per media type, however many the operation offers.
        holds_files = op.multipart and any(_holds_file(v) for _, v in _pairs(body) or ())
        body = Payload(body, "multipart/form-data" if holds_files else next(iter(op.content_types)))
    if isinstance(body, Payload):
        content, files = _encode_body(op, body, all_headers, client)
    request = client.build_request(
        op.method, url, headers=all_headers, content=content, files=files, timeout=timeout
    )
    if files is not None and isinstance(body, Payload):
        # httpx writes `multipart/form-data; boundary=...`: send the spec's own subtype.
        media = body.content_type.split(";", 1)[0].strip()
        written = request.headers.get("Content-Type", "")
        if media.lower() != _FORM_DATA and written.startswith(_FORM_DATA):
            request.headers["Content-Type"] = media + written[len(_FORM_DATA) :]
    return request


_FORM_DATA: Final = "multipart/form-data"


def _with_extra_body(op: Operation, body: Any, extra: Mapping[str, Any]) -> Any:
    """The body with `extra_body`'s fields added (over the body's own of the same name)."""
    payload = body if isinstance(body, Payload) else None
    value = payload.value if payload is not None else body
    pairs = [] if value is None else _pairs(value)
    if pairs is None:
        raise TypeError(f"{op.name}: extra_body needs a body that is an object, not {value!r:.40}")
    merged = {**dict(pairs), **extra}
    return Payload(merged, payload.content_type) if payload is not None else merged


def _encode_body(
    op: Operation,
    body: Payload,
    headers: dict[str, str],
    client: httpx.Client | httpx.AsyncClient,
) -> tuple[Any, Any]:
    """(content, files) of a body sent as the media type the caller chose."""
    kind = op.content_types.get(body.content_type)
    if kind is None:
        offered = ", ".join(op.content_types)
        raise ValueError(f"{op.name}: content_type must be one of {offered}")
    value = body.value
    if value is None:
        return None, None
    encodings = op.encodings.get(body.content_type, {})
    if kind == "multipart":
        # httpx writes the boundary into the Content-Type it sets.
        return None, list(_multipart(op, value, encodings))
    if kind == "json":
        content: Any = _json(value).encode()
    elif kind == "form":
        content = _form(op, value, encodings).encode()
    elif kind == "text":
        if not isinstance(value, str):
            raise TypeError(f"{op.name}: a {body.content_type} body must be a str")
        content = value.encode()
        if "charset" not in body.content_type:
            headers["Content-Type"] = f"{body.content_type}; charset=utf-8"
    elif isinstance(value, bytes | bytearray | memoryview):
        content = bytes(value)
    elif hasattr(value, "read"):
        async_client = isinstance(client, httpx.AsyncClient)
        content = _AsyncFileStream(value) if async_client else _FileStream(value)
    else:
        raise TypeError(f"{op.name}: a {body.content_type} body must be bytes or a binary file")
    headers.setdefault("Content-Type", body.content_type.replace("*/*", _OCTETS))
    return content, None


_OCTETS: Final = "application/octet-stream"
_CHUNK: Final = 64 * 1024


def _fields(op: Operation, value: Any) -> list[tuple[str, Any]]:
    pairs = _pairs(value)
    if pairs is None:
        raise TypeError(f"{op.name}: a form body must be a model or a mapping")
    return pairs


def _form(op: Operation, value: Any, encodings: Mapping[str, Encoding]) -> str:
    """Form fields, each in the style its encoding gives; by default (style form, exploded)
    lists as repeated fields and objects as their own `key=value` fields."""
    fields = dict(_fields(op, value))
    for key, v in fields.items():
        if any(is_file(item) and not isinstance(item, _OCTET_TYPES) for item in _items(v)):
            raise TypeError(
                f"{op.name}: body field {key!r} is a file, which a form cannot carry; "
                "send it as multipart (content_type=) or pass its bytes"
            )
    styles = {key: e.style for key, e in encodings.items() if e.style}
    return "&".join(_styled(styles, fields, _form_escape, MULTI))


def _items(value: Any) -> list[Any]:
    return list(value) if _is_list(value) else [value]


def _holds_file(value: Any) -> bool:
    return any(is_file(item) for item in _items(value))


def _multipart(
    op: Operation, value: Any, encodings: Mapping[str, Encoding]
) -> Iterator[tuple[str, Any]]:
    """Parts: files as file parts, objects as JSON parts, the rest as text; a list as one
    part per item, unless its encoding makes it one JSON document."""
    for key, v in _fields(op, value):
        encoding = encodings.get(key, _PLAIN)
        for item in [v] if encoding.style == JSON_STYLE else _items(v):
            yield key, _part(op, key, item, encoding)


def _part(
    op: Operation, key: str, item: Any, encoding: Encoding
) -> tuple[str | None, Any, str | None, dict[str, str]]:
    """(filename, content, content type, headers) of one part, as httpx takes it."""
    media = encoding.content_type or None
    headers = dict(encoding.headers)  # a copy: httpx adds Content-Type to the one it gets
    if is_file_part(item):
        filename, content, given = item
        if given is not None and (not given.isascii() or not given.isprintable()):
            raise ValueError(
                f"{op.name}: the content type of file part {key!r} must be one line of "
                "printable ASCII"
            )
        return filename, content, given or media, headers
    if is_file(item):
        filename = os.path.basename(str(getattr(item, "name", "") or key))
        return filename, item, media, headers
    if encoding.style == JSON_STYLE or _pairs(item) is not None or _is_list(item):
        return None, _json(item), media or "application/json", headers
    return None, _text(item), media, headers


class _FileStream:
    """A binary file sent in chunks from its position; read again from there on a retry."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file
        self._start = file.tell() if file.seekable() else None

    def _rewind(self) -> None:
        if self._start is not None:
            self._file.seek(self._start)

    def __iter__(self) -> Iterator[bytes]:
        self._rewind()
        while chunk := self._file.read(_CHUNK):
            yield chunk


class _AsyncFileStream(_FileStream):
    __iter__ = None  # type: ignore[assignment]  # httpx must take it as an async stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self._rewind()
        while chunk := self._file.read(_CHUNK):
            yield chunk


def accept_header(op: Operation, media_type: str) -> str:
    """The Accept header asking for one of the media types the operation's responses offer."""
    offered = _offered(op)
    if media_type not in offered:
        raise ValueError(f"{op.name}: accept must be one of {', '.join(offered)}")
    return media_type


def _offered(op: Operation) -> list[str]:
    return [media.strip() for media in op.accept.split(",")]


def parse_response(op: Operation, response: httpx.Response) -> Any:
    """The typed value of a successful response, read as its status and media type say."""
    status = response.status_code
    kind, converter = op.statuses.get(str(status)) or op.statuses.get(
        f"{status // 100}XX", (op.response_kind, op.response)
    )
    if kind in ("json", "text", "bytes"):
        kind = _offered_kind(op, response) or kind
    if kind == "bytes":
        return response.content
    if kind == "text":
        return response.text
    if kind == "empty" or not response.content:
        return None
    if kind == "auto":
        return _undescribed(response)
    try:
        raw = json.loads(response.content)
    except ValueError as exc:
        # Truncated or garbled JSON is not retried: the same request may have had effects.
        raise APIResponseError(
            f"{op.name}: the response body is not valid JSON ({exc}; "
            f"{len(response.content)} bytes)",
            response=response,
        ) from None
    value = converter.load(raw) if converter is not None else raw
    if isinstance(value, Model):
        value._response = response
    return value


def _offered_kind(op: Operation, response: httpx.Response) -> str | None:
    """ "text" or "bytes" when the body is of a non-JSON media type the spec offers (the
    server may answer with any of them), else None: the status's own kind applies."""
    media = _media_type(response)
    if not media or _is_json(media):
        return None
    for offered in _offered(op):
        base = offered.split(";", 1)[0].strip().lower()
        if base in (media, "*/*") or (base.endswith("/*") and media.startswith(base[:-1])):
            return "text" if _is_text(base) else "bytes"
    return None


def _media_type(response: httpx.Response) -> str:
    media: str = response.headers.get("Content-Type", "")
    return media.split(";", 1)[0].strip().lower()


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _is_text(media: str) -> bool:
    # As the generator's `media_kind`: these are read as str.
    return media.startswith("text/") or media == "application/xml" or media.endswith("+xml")


def _undescribed(response: httpx.Response) -> Any:
    """A body the spec does not describe, as its Content-Type says: JSON, text or bytes."""
    media = _media_type(response)
    if _is_json(media):
        try:
            return json.loads(response.content)
        except ValueError:
            return response.text
    if media.startswith("text/"):
        return response.text
    return response.content
