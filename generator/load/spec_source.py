"""Reading an OpenAPI document and the lock that pins it."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urljoin, urlsplit

import yaml

from generator.encode import plain_line
from generator.errors import GeneratorError
from generator.pointers import pointer
from generator.write import write_atomic

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
    except UnicodeDecodeError as exc:
        raise GeneratorError(str(path), "", f"not UTF-8 text: {exc.reason}") from None
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


def without_credentials(url: str) -> str:
    """`url` with any user:password part cut out, for messages and the lock."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


def _download(source: str, timeout: float, max_bytes: int) -> bytes:
    if "@" in urlsplit(source).netloc:
        # They would be printed in messages and written into the lock's source_url.
        raise GeneratorError(
            without_credentials(source), "", "credentials in a spec URL are not accepted"
        )
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
                        if "@" in urlsplit(target).netloc:
                            raise GeneratorError(
                                source, "", "redirect to a URL with credentials refused"
                            )
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


# Limits on what a document may be: far beyond real specs (X's is 17 levels deep, 20,000
# nodes; large public specs reach a few hundred thousand nodes), well short of what would
# exhaust the stack or memory.
MAX_DEPTH = 200
MAX_NODES = 5_000_000
MAX_INT_DIGITS = 4000


class _YamlLoader(yaml.SafeLoader):
    """YAML as JSON data, read by the YAML 1.2 core schema that OpenAPI 3.x names: `on`,
    `off`, `yes`, `no` are strings (1.1 made them booleans, turning `enum: [yes, no]` into
    `[true, false]`), `0777` is 777, `1:30` a string; timestamps stay strings (OpenAPI has no
    date type of its own)."""


_YAML_11_SCALARS = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in _YAML_11_SCALARS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
):
    _YamlLoader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), _first)


def _unique_keys(
    loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    """A mapping whose own keys are all different: YAML would keep the last of two, so a
    reviewer reading the first would not see what the generator uses. Keys a merge (`<<`)
    brings in may be overridden, as merging means."""
    first: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node)
        if key in first:
            line = first[key].start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"the key {str(key)!r:.60} appears twice in one mapping (first on line {line})",
                key_node.start_mark,
            )
        first[key] = key_node
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_YamlLoader.construct_mapping = _unique_keys  # type: ignore[assignment, method-assign]


def _core_int(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text)  # a leading zero is decimal in 1.2


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None


_YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
_YamlLoader.add_constructor("tag:yaml.org,2002:int", _core_int)


def parse_document(origin: str, raw: bytes, kind: str = "an OpenAPI document") -> dict[str, Any]:
    """JSON or YAML `kind` (an object) into a tree of JSON values; a syntax error names the
    line and column.

    The document is untrusted: nesting depth, node count (with YAML aliases expanded) and
    number sizes are bounded, a self-referencing alias is refused, and the result is a plain
    tree (str keys; str, int, finite float, bool, None, lists and dicts).
    """
    text = _utf8_text(origin, raw)
    try:
        if text.lstrip().startswith(("{", "[")):
            data = _parse_json(origin, text)
        else:
            data = _parse_yaml(origin, text)
    except RecursionError:
        raise GeneratorError(origin, "", "the document is nested too deeply") from None
    if not isinstance(data, dict):
        raise GeneratorError(origin, "1:1", f"{kind} must be an object")
    try:
        return _plain_tree(origin, data)
    except _RepeatedKey as exc:
        where = _json_key_place(text, exc.path, exc.key) if isinstance(data, _Json) else ""
        message = f"the key {exc.key!r:.60} appears twice in one object (the first is ignored)"
        raise GeneratorError(origin, where or pointer(*exc.path, exc.key), message) from None


def _utf8_text(origin: str, raw: bytes) -> str:
    """The file as UTF-8 text (what JSON and OpenAPI require); anything else is refused at the
    first byte that does not fit, rather than read as replacement characters or passed on to
    a parser that would report it without the file's name."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        hint = " (UTF-16? save it as UTF-8)" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else ""
        raise GeneratorError(
            origin,
            _where_at(raw[: exc.start].decode("utf-8")),
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x}{hint}",
        ) from None
    nul = text.find("\0")
    if nul >= 0:
        # Never valid in JSON or YAML; a UTF-16 file without a byte order mark decodes as
        # UTF-8 with a NUL after every ASCII character.
        raise GeneratorError(
            origin, _where_at(text[:nul]), "a NUL character: not a text file (UTF-16?)"
        )
    return text


def _where_at(before: str) -> str:
    """`line:column` of the character that follows `before`."""
    return f"{before.count(chr(10)) + 1}:{len(before) - (before.rfind(chr(10)) + 1) + 1}"


def _parse_json(origin: str, text: str) -> Any:
    def parse_int(digits: str) -> int:
        if len(digits.lstrip("-")) > MAX_INT_DIGITS:
            raise _BadNumber(digits)
        return int(digits)

    def parse_constant(name: str) -> float:
        raise _BadNumber(name)

    try:
        return json.loads(
            text, parse_int=parse_int, parse_constant=parse_constant, object_pairs_hook=_object
        )
    except json.JSONDecodeError as exc:
        raise GeneratorError(
            origin, f"{exc.lineno}:{exc.colno}", f"invalid JSON: {exc.msg}"
        ) from None
    except _BadNumber as exc:
        raise GeneratorError(origin, _where_in_text(text, exc.text), exc.message) from None


class _Json(dict[str, Any]):
    """A JSON object as read (as opposed to a YAML mapping)."""

    __slots__ = ()


class _Duplicated(_Json):
    """A JSON object in which `key` appears more than once (json keeps the last): refused by
    `_plain_tree`, which knows where the object is."""

    __slots__ = ("key",)

    def __init__(self, pairs: list[tuple[str, Any]], key: str) -> None:
        super().__init__(pairs)
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = _Json(pairs)
    if len(found) == len(pairs):
        return found
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return _Duplicated(pairs, key)
        seen.add(key)
    raise AssertionError("unreachable: fewer keys than pairs means a repeat")


class _BadNumber(ValueError):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text
        self.message = (
            f"a number of {len(text)} digits is too long (at most {MAX_INT_DIGITS})"
            if text[-1:].isdigit()
            else f"{text} is not a JSON number"
        )


def _where_in_text(text: str, needle: str) -> str:
    at = text.find(needle)
    return _where_at(text[:at]) if at >= 0 else ""


def _parse_yaml(origin: str, text: str) -> Any:
    try:
        # The reader checks the characters as the loader is made: inside the `try`.
        loader = _YamlLoader(text)
    except yaml.reader.ReaderError as exc:
        char = exc.character
        code = char if isinstance(char, int) else ord(char[:1] or "\0")
        raise GeneratorError(
            origin,
            _where_at(text[: exc.position]),
            f"invalid YAML: character U+{code:04X}: {exc.reason}",
        ) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_yaml_graph(origin, node)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise GeneratorError(origin, where, f"invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise GeneratorError(origin, "", f"invalid YAML: {' '.join(str(exc).split())}") from None
    except ValueError as exc:  # e.g. an integer too long to convert
        raise GeneratorError(origin, "", f"invalid YAML value: {exc}") from None
    finally:
        loader.dispose()


def _check_yaml_graph(origin: str, root: yaml.Node) -> None:
    """Refuse alias cycles, and alias fan-out that would expand past MAX_NODES."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        if done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > MAX_NODES:
                mark = node.start_mark
                raise GeneratorError(
                    origin,
                    f"{mark.line + 1}:{mark.column + 1}",
                    f"the document expands to more than {MAX_NODES} nodes (YAML aliases)",
                )
            continue
        if key in sizes:
            continue
        if key in on_path:
            mark = node.start_mark
            raise GeneratorError(
                origin, f"{mark.line + 1}:{mark.column + 1}", "a YAML alias refers to itself"
            )
        on_path.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in on_path:
                mark = child.start_mark
                raise GeneratorError(
                    origin, f"{mark.line + 1}:{mark.column + 1}", "a YAML alias refers to itself"
                )
            if id(child) not in sizes:
                stack.append((child, False))


def _plain_tree(origin: str, data: dict[str, Any]) -> dict[str, Any]:
    """A copy of `data` as plain JSON values, checked for depth and size (iteratively)."""
    root: dict[str, Any] = {}
    count = 0
    stack: list[tuple[Any, Any, Any, tuple[str, ...]]] = [(data, root, None, ())]
    while stack:
        value, parent, key, path = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise GeneratorError(origin, "", f"the document has more than {MAX_NODES} nodes")
        if len(path) > MAX_DEPTH:
            shown = pointer(*path[:8]) + "/..."
            raise GeneratorError(origin, shown, f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            if isinstance(value, _Duplicated):
                raise _RepeatedKey(path, value.key)
            copy: Any = {} if key is not None else root
            for k, v in value.items():
                if not isinstance(k, str | int | float | bool) or k is None:
                    raise GeneratorError(origin, pointer(*path), f"unsupported key {k!r}")
                name = str(k).lower() if isinstance(k, bool) else str(k)
                if name in copy:  # e.g. YAML keys 1 and "1"
                    raise _RepeatedKey(path, name)
                copy[name] = None
                stack.append((v, copy, name, (*path, name)))
        elif isinstance(value, list):
            copy = [None] * len(value)
            for i, v in enumerate(value):
                stack.append((v, copy, i, (*path, str(i))))
        elif value is None or isinstance(value, str | bool | int):
            copy = value
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise GeneratorError(origin, pointer(*path), f"{value} is not a JSON number")
            copy = value
        else:
            raise GeneratorError(
                origin, pointer(*path), f"unsupported value of type {type(value).__name__}"
            )
        if key is not None:
            parent[key] = copy
    return root


class _RepeatedKey(ValueError):
    """`key` appears twice in the object at `path`."""

    def __init__(self, path: tuple[str, ...], key: str) -> None:
        super().__init__(key)
        self.path = path
        self.key = key


_WHITESPACE = frozenset(" \t\n\r")


def _skip(text: str, pos: int) -> int:
    """The index of the first character at or after `pos` that is not JSON whitespace."""
    while pos < len(text) and text[pos] in _WHITESPACE:
        pos += 1
    return pos


def _json_key_place(text: str, path: tuple[str, ...], key: str) -> str:
    """`line:column` of the second `key` in the object at `path` of valid JSON `text` ("" if
    it cannot be found). Members before the one `path` goes into are skipped by decoding them;
    only a refused document is read this way, so a second pass costs nothing otherwise."""
    decoder = json.JSONDecoder()
    pos = _skip(text, 0)
    try:
        for step in (*path, None):
            opening, index, first_seen = text[pos], 0, False
            pos = _skip(text, pos + 1)
            while text[pos] not in "]}":
                if opening == "{":
                    at = pos
                    name, pos = json.decoder.scanstring(text, pos + 1)  # type: ignore[attr-defined]
                    if step is None and name == key:
                        if first_seen:
                            return _where_at(text[:at])
                        first_seen = True
                    pos = _skip(text, pos) + 1  # past the colon
                    pos = _skip(text, pos)
                    found = name == step
                else:
                    found, index = str(index) == step, index + 1
                if found:
                    break
                pos = _skip(text, decoder.raw_decode(text, pos)[1])
                if text[pos] == ",":
                    pos = _skip(text, pos + 1)
            else:
                return ""
    except (ValueError, IndexError, RecursionError):
        pass
    return ""


def load_spec(source: str) -> LoadedSpec:
    from generator.load.bundle import bundle

    raw = fetch_bytes(source)
    document = bundle(source, parse_document(source, raw), local=not is_url(source))
    return LoadedSpec(source, raw, document)


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
