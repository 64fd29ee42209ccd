"""Reading an OpenAPI document and the lock that pins it."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urljoin, urlsplit

import yaml

from generator.encode import plain_line
from generator.errors import GeneratorError
from generator.output import write_atomic

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class SpecLock:
    """spec/*.lock.toml: where the pinned spec comes from and what it must hash to."""

    path: Path
    source_url: str
    version: str
    sha256: str
    snapshot: Path | None
    package_version: str = "1.0.0"  # of the generated package; bumped by fetch-spec

    @classmethod
    def read(cls, path: Path) -> SpecLock:
        data = read_toml(path)
        missing = [
            k for k in ("source_url", "version", "sha256") if not isinstance(data.get(k), str)
        ]
        if missing:
            raise GeneratorError(str(path), "", f"missing string key(s): {', '.join(missing)}")
        snapshot = data.get("snapshot")
        package_version = data.get("package_version", "1.0.0")
        return cls(
            path,
            data["source_url"],
            data["version"],
            data["sha256"],
            (path.parent / snapshot) if isinstance(snapshot, str) else None,
            str(package_version),
        )

    def render(self) -> str:
        lines = [
            "# The X API v2 OpenAPI document this repository's client is generated from.",
            f"source_url = {json.dumps(self.source_url)}",
            f"version = {json.dumps(self.version)}",
            f"sha256 = {json.dumps(self.sha256)}",
            "# Version of the generated package: semver, bumped by `sdkgen fetch-spec`.",
            f"package_version = {json.dumps(self.package_version)}",
        ]
        if self.snapshot is not None:
            lines += [
                "# A local snapshot with the same sha256 stands in for the download when present",
                "# (relative to this file).",
                f"snapshot = {json.dumps(_relative(self.snapshot, self.path.parent))}",
            ]
        return "\n".join(lines) + "\n"


def _relative(target: Path, base: Path) -> str:
    return Path(os.path.relpath(target, base)).as_posix()


@dataclass(frozen=True)
class LoadedSpec:
    origin: str  # the path or URL, for messages
    raw: bytes
    document: dict[str, Any]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def version(self) -> str:
        info = self.document.get("info")
        return str(info.get("version", "")) if isinstance(info, dict) else ""


def read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GeneratorError(str(path), "", f"cannot read: {exc.strerror}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib puts "(at line L, column C)" in the message; move it to the location.
        message, _, where = str(exc).partition(" (at line ")
        line, _, col = where.rstrip(")").partition(", column ")
        raise GeneratorError(str(path), f"{line}:{col}" if col else "", message) from None


# A spec is a few MiB (X's is about 2); anything far larger is not a spec.
MAX_SPEC_BYTES: Final = 64 * 1024 * 1024
MAX_REDIRECTS: Final = 5
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_allowed(url: str, *, loopback_http: bool) -> bool:
    """https, or plain http to a loopback host when `loopback_http` (a spec read over plain
    http could be swapped on the way)."""
    scheme = urlsplit(url).scheme.lower()
    return scheme == "https" or (scheme == "http" and loopback_http and _is_loopback(url))


def fetch_bytes(source: str, timeout: float = 60.0, max_bytes: int = MAX_SPEC_BYTES) -> bytes:
    """The bytes of a spec file or URL, at most `max_bytes` of them."""
    if is_url(source):
        return _download(source, timeout, max_bytes)
    try:
        # A capped read rather than a size check: a pipe or a device has no size to check.
        with Path(source).open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise GeneratorError(source, "", f"cannot read: {exc.strerror}") from None
    if len(data) > max_bytes:
        raise GeneratorError(source, "", f"larger than the {_size(max_bytes)} limit")
    return data


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MiB" if count >= 1024 * 1024 else f"{count} bytes"


def _download(source: str, timeout: float, max_bytes: int) -> bytes:
    # Plain http is allowed to a loopback host only, and only while every hop stays there.
    loopback_http = urlsplit(source).scheme.lower() == "http" and _is_loopback(source)
    if not url_allowed(source, loopback_http=loopback_http):
        raise GeneratorError(source, "", "only https URLs are fetched (plain http: loopback only)")
    import httpx  # only downloads need it; `generate` from the lock stays quick to start

    url = source
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                with client.stream("GET", url) as response:
                    if response.status_code in _REDIRECTS and "location" in response.headers:
                        target = urljoin(url, response.headers["location"])
                        if not url_allowed(target, loopback_http=loopback_http):
                            shown = plain_line(target)
                            raise GeneratorError(
                                source, "", f"redirect to {shown} refused: not https"
                            )
                        url = target
                        continue
                    if response.status_code != 200:
                        raise GeneratorError(
                            source, "", f"cannot download {url}: HTTP {response.status_code}"
                        )
                    return _read_capped(source, response, max_bytes)
    except httpx.HTTPError as exc:
        reason = plain_line(" ".join(str(exc).split()) or type(exc).__name__)
        raise GeneratorError(source, "", f"cannot download {plain_line(url)}: {reason}") from None
    raise GeneratorError(source, "", f"more than {MAX_REDIRECTS} redirects")


def _read_capped(source: str, response: httpx.Response, max_bytes: int) -> bytes:
    too_large = f"larger than the {_size(max_bytes)} limit"
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise GeneratorError(source, "", too_large)
    data = bytearray()
    # Decoded bytes are counted, so a small compressed body cannot unpack into a huge one.
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) > max_bytes:
            raise GeneratorError(source, "", too_large)
    return bytes(data)


def parse_document(origin: str, raw: bytes) -> dict[str, Any]:
    """JSON or YAML into a dict; a syntax error names the line and column."""
    text = raw.decode("utf-8", errors="replace")
    if text.lstrip().startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise GeneratorError(
                origin, f"{exc.lineno}:{exc.colno}", f"invalid JSON: {exc.msg}"
            ) from None
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            where = f"{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
            raise GeneratorError(origin, where, f"invalid YAML: {exc.problem}") from None
        except yaml.YAMLError as exc:
            raise GeneratorError(origin, "", f"invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise GeneratorError(origin, "1:1", "an OpenAPI document must be an object")
    return data


def load_spec(source: str) -> LoadedSpec:
    raw = fetch_bytes(source)
    return LoadedSpec(source, raw, parse_document(source, raw))


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sdkgen" / "specs"


def load_locked_spec(lock: SpecLock) -> LoadedSpec:
    """The pinned spec, sha256 verified: the local snapshot when present, else the cache
    (downloads are kept there by their sha256), else a download."""
    cached = cache_dir() / f"{lock.sha256}.json"
    if lock.snapshot is not None and lock.snapshot.is_file():
        source = str(lock.snapshot)
    elif cached.is_file():
        source = str(cached)
    else:
        source = lock.source_url
    spec = load_spec(source)
    if spec.sha256 != lock.sha256:
        raise GeneratorError(
            source, "", f"sha256 {spec.sha256} does not match the lock {lock.path} ({lock.sha256})"
        )
    if source == lock.source_url:
        store_in_cache(spec)
    return spec


def store_in_cache(spec: LoadedSpec) -> None:
    target = cache_dir() / f"{spec.sha256}.json"
    if target.is_file():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, spec.raw)
