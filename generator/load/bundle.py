"""Bundling: one document out of a spec spread over several files, with schema references
that the model stage can follow.

After this step every schema `$ref` names a component (`#/components/schemas/<name>`):

- a reference to another file of the spec (`common.yaml#/components/schemas/Pet`,
  `pet.json`) is read with the same bounded parser and, for a schema, added to the
  document's component schemas (other objects are copied in place);
- a reference into a nested schema (`#/components/schemas/A/properties/b`, a `$defs` entry)
  moves that schema into the components and leaves a reference where it was, so both uses
  share one class.

Only files inside the spec's own folder tree are read; references to URLs, absolute paths
or files outside that tree are refused with the place of the reference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote

from generator.errors import GeneratorError
from generator.pointers import escape, pointer, unescape

SCHEMA_PREFIX: Final = "#/components/schemas/"
# On a schema this step moved into the components: where it was written ("file<TAB>pointer"),
# so that a message about it names that place.
BUNDLED_FROM: Final = "x-sdkgen-bundled-from"
MAX_FILES: Final = 500
# Keys whose values are data, not OpenAPI objects: a "$ref" under them is an example's text.
DATA_KEYS: Final = frozenset({"example", "examples", "enum", "const", "default"})
# Path segments after which every object is a schema.
_SCHEMA_KEYS: Final = frozenset({"schema", "schemas", "$defs", "definitions"})
_FILE_SUFFIXES: Final = (".json", ".yaml", ".yml")
# Maps whose keys are names (a property called `default`, the `default` response), never
# keywords: every value is an object to walk.
_NAME_MAPS: Final = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "schemas",
     "responses"}
)  # fmt: skip
# Keywords of a pointer into a schema that do not name anything.
_KEYWORDS: Final = frozenset(
    {"properties", "items", "allOf", "oneOf", "anyOf", "not", "prefixItems", "$defs",
     "definitions", "additionalProperties", "components", "schemas", "schema", "content"}
)  # fmt: skip


def bundle(origin: str, document: dict[str, Any], *, local: bool) -> dict[str, Any]:
    """`document` with its external and nested schema references made component references.

    `local` says whether `origin` is a file (so sibling files may be read); the document
    is not changed when it has no such references.
    """
    if not _needs_bundling(document):
        return document
    return _Bundler(origin, document, local).run()


def _needs_bundling(node: Any) -> bool:
    stack: list[tuple[Any, bool]] = [(node, False)]  # (part, whether its keys are names)
    while stack:
        item, names = stack.pop()
        if isinstance(item, dict) and names:
            stack.extend((v, False) for v in item.values())
        elif isinstance(item, dict):
            ref = item.get("$ref")
            # A percent-encoded reference is bundled: the later stages read names literally.
            if isinstance(ref, str) and (not _is_component_ref(ref) or "%" in ref):
                return True
            if any(_mapping_ref(v) for v in _mapping_values(item)):
                return True
            stack.extend(
                (v, k in _NAME_MAPS and isinstance(v, dict))
                for k, v in item.items()
                if k not in DATA_KEYS and not k.startswith("x-")
            )
        elif isinstance(item, list):
            stack.extend((v, False) for v in item)
    return False


def _is_component_ref(ref: str) -> bool:
    """A reference to a component (schema, parameter, ...), which the later stages follow."""
    parts = ref.split("/")
    return ref.startswith("#/components/") and len(parts) == 4


def original_place(document: dict[str, Any], location: str) -> tuple[str, str] | None:
    """(file, pointer) as written of `location` in the bundled document, when it lies in a
    schema that bundling moved into the components; else None."""
    if not location.startswith(SCHEMA_PREFIX):
        return None
    escaped, slash, tail = location[len(SCHEMA_PREFIX) :].partition("/")
    name = unescape(escaped)
    components = document.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    schema = schemas.get(name) if isinstance(schemas, dict) else None
    source = schema.get(BUNDLED_FROM) if isinstance(schema, dict) else None
    if not isinstance(source, str) or "\t" not in source:
        return None
    file, _, ref_pointer = source.rpartition("\t")
    return file, ref_pointer + slash + tail


def _mapping_values(node: dict[str, Any]) -> list[Any]:
    """The values of `node`'s mapping when it is a discriminator object."""
    mapping = node.get("mapping") if isinstance(node.get("propertyName"), str) else None
    return list(mapping.values()) if isinstance(mapping, dict) else []


def _mapping_ref(value: Any) -> bool:
    """A discriminator mapping value that is a reference this step rewrites (not a bare
    schema name, nor a reference the later stages read as it is)."""
    if not isinstance(value, str) or not ("#" in value or value.endswith(_FILE_SUFFIXES)):
        return False
    return not _is_component_ref(value) or "%" in value


def _parts(ref_pointer: str) -> list[str]:
    """The keys of a `#/a/b` pointer (an empty key is a key); [] for the whole document."""
    fragment = ref_pointer[1:]
    if not fragment:
        return []
    return [unescape(p) for p in fragment[1:].split("/")]


def _canonical(ref_pointer: str) -> str:
    """A `$ref`'s pointer as this step and the later ones read it: a URI fragment is
    percent-encoded (`%7Bid%7D` is `{id}`), so it is decoded once, here."""
    return "#" + "".join("/" + escape(p) for p in _parts(unquote(ref_pointer)))


class _Bundler:
    def __init__(self, origin: str, document: dict[str, Any], local: bool) -> None:
        self.origin = origin
        self.main = document
        self.local = local
        self.root = Path(origin).resolve().parent if local else None
        self.main_key = str(Path(origin).resolve()) if local else origin
        self.files: dict[str, dict[str, Any]] = {self.main_key: document}
        # (file, pointer) of a schema -> its component name in the bundled document.
        self.names: dict[tuple[str, str], str] = {}
        components = document.get("components") or {}
        if not isinstance(components, dict):
            raise GeneratorError(origin, pointer("components"), "must be an object")
        schemas = components.get("schemas") or {}
        if not isinstance(schemas, dict):
            raise GeneratorError(origin, pointer("components", "schemas"), "must be an object")
        self.taken: set[str] = set(schemas)
        self.added: dict[str, Any] = {}  # component schemas this step adds
        self.pending: list[tuple[str, str, str]] = []  # (file, pointer, component name)
        self.inlining: set[tuple[str, str]] = set()  # non-schema parts being copied in place
        self.moved: list[tuple[str, str]] = []  # main-document pointers now in components

    def run(self) -> dict[str, Any]:
        out: dict[str, Any] = self._rewrite(self.main, self.main_key, ())
        while self.pending:
            key, ref_pointer, name = self.pending.pop()
            target = self._resolve(key, ref_pointer, (self._shown(key), ref_pointer))
            path = tuple(_parts(ref_pointer))
            added = self._rewrite(target, key, path, in_schema=True)
            if isinstance(added, dict):
                added = {**added, BUNDLED_FROM: f"{self._shown(key)}\t{ref_pointer}"}
            self.added[name] = added
        if self.added:
            components = out.setdefault("components", {})
            components["schemas"] = {**(components.get("schemas") or {}), **self.added}
        # A nested schema of this document that now has a component of its own is replaced
        # by a reference to it (deepest first, so outer moves keep their inner references).
        for ref_pointer, name in sorted(self.moved, key=lambda m: -m[0].count("/")):
            _replace(out, ref_pointer, {"$ref": SCHEMA_PREFIX + escape(name)})
        return out

    # -- walking --------------------------------------------------------------------------

    def _rewrite(self, node: Any, key: str, path: tuple[str, ...], in_schema: bool = False) -> Any:
        """`node` (a part of file `key`, at `path`) with its references made local."""
        if isinstance(node, list):
            return [self._rewrite(v, key, (*path, str(i)), in_schema) for i, v in enumerate(node)]
        if not isinstance(node, dict):
            return node
        in_schema = in_schema or (bool(path) and path[-1] in _SCHEMA_KEYS)
        ref = node.get("$ref")
        if isinstance(ref, str):
            followed = self._follow(node, ref, key, path, in_schema)
            if followed is not None:
                return followed
        return self._members(node, key, path, in_schema)

    def _members(
        self, node: dict[str, Any], key: str, path: tuple[str, ...], in_schema: bool
    ) -> dict[str, Any]:
        """`node` with its members rewritten (data, extensions and `$ref` kept as they are)."""
        members: dict[str, Any] = {}
        for k, v in node.items():
            if k in DATA_KEYS or k.startswith("x-") or k == "$ref":
                members[k] = v
            elif k in _NAME_MAPS and isinstance(v, dict):
                names_path = (*path, k)
                inner = in_schema or k in _SCHEMA_KEYS
                members[k] = {
                    name: self._rewrite(value, key, (*names_path, name), inner)
                    for name, value in v.items()
                }
            else:
                members[k] = self._rewrite(v, key, (*path, k), in_schema)
        if in_schema and isinstance(members.get("discriminator"), dict):
            members["discriminator"] = self._discriminator(
                members["discriminator"], key, (*path, "discriminator")
            )
        return members

    def _discriminator(
        self, node: dict[str, Any], key: str, path: tuple[str, ...]
    ) -> dict[str, Any]:
        """A discriminator whose mapping references (`cat.yaml`, a nested or percent-encoded
        pointer) are made component references. A value that cannot be followed stays as
        it is: the mapping is a hint, and the model stage reports it and decodes by shape."""
        mapping = node.get("mapping")
        if not any(_mapping_ref(v) for v in _mapping_values(node)) or not isinstance(mapping, dict):
            return node
        rewritten: dict[Any, Any] = {}
        for tag, value in mapping.items():
            if _mapping_ref(value):
                where = (*path, "mapping", str(tag))
                try:
                    followed = self._follow({"$ref": value}, value, key, where, True)
                except GeneratorError:
                    followed = None
                if isinstance(followed, dict) and isinstance(followed.get("$ref"), str):
                    value = followed["$ref"]
            rewritten[tag] = value
        return {**node, "mapping": rewritten}

    def _follow(
        self, node: dict[str, Any], ref: str, key: str, path: tuple[str, ...], in_schema: bool
    ) -> Any:
        """The rewritten node for `ref`, or None when the node stays (siblings rewritten)."""
        where = self._where(key, path)
        file_part, _, fragment = ref.partition("#")
        if "://" in file_part or file_part.startswith("//"):
            raise GeneratorError(
                where[0], where[1], f"references to URLs are not followed: {ref!r}"
            )
        target_key = self._file(file_part, key, where) if file_part else key
        ref_pointer = "#" + fragment
        if fragment and not fragment.startswith("/"):
            raise GeneratorError(
                where[0], where[1], f"only JSON pointer references are followed: {ref!r}"
            )
        ref_pointer = _canonical(ref_pointer)
        schema_context = in_schema or "/schemas/" in ref_pointer or "/$defs/" in ref_pointer
        if target_key == self.main_key and _is_component_ref(ref_pointer):
            if ref_pointer == ref:
                return None  # followed by the model stage as it is
            return {**self._members(node, key, path, in_schema), "$ref": ref_pointer}
        if not schema_context:
            # A parameter, response, ... of another file, or of this one outside its
            # components (`#/paths/~1a/get/parameters/0`): copied in place, its own
            # references rewritten relative to its file.
            target = self._resolve(target_key, ref_pointer, where)
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            if (target_key, ref_pointer) in self.inlining:
                raise GeneratorError(where[0], where[1], f"a reference cycle through {ref!r}")
            self.inlining.add((target_key, ref_pointer))
            try:
                copied = self._rewrite(target, target_key, tuple(_parts(ref_pointer)))
            finally:
                self.inlining.discard((target_key, ref_pointer))
            return {**copied, **siblings} if isinstance(copied, dict) else copied
        name = self._component_for(target_key, ref_pointer, where)
        siblings = {
            k: self._rewrite(v, key, (*path, k), True) for k, v in node.items() if k != "$ref"
        }
        return {**siblings, "$ref": SCHEMA_PREFIX + escape(name)}

    def _component_for(self, key: str, ref_pointer: str, where: tuple[str, str]) -> str:
        found = self.names.get((key, ref_pointer))
        if found is not None:
            return found
        self._resolve(key, ref_pointer, where)  # refuse a dangling reference at its place
        parts = _parts(ref_pointer)
        if key == self.main_key and _is_component_ref(ref_pointer):
            name = parts[-1]  # already a component of the main document
        else:
            name = self._free_name(self._hint(key, parts))
            self.pending.append((key, ref_pointer, name))
            # Where it stands as a schema, the original becomes a reference to its component;
            # elsewhere (a schema `$ref` to a parameter object) it stays, and the use gets a copy.
            if key == self.main_key and any(p in _SCHEMA_KEYS for p in parts):
                self.moved.append((ref_pointer, name))
        self.names[(key, ref_pointer)] = name
        return name

    def _hint(self, key: str, parts: list[str]) -> str:
        named = [p for p in parts if p and p not in _KEYWORDS and not p.isdigit()]
        if named and ("$defs" in parts or "definitions" in parts or key != self.main_key):
            return named[-1]
        if named:
            return "_".join(named)  # `A/properties/b`: A_b
        return Path(key).stem if key != self.main_key else "Schema"

    def _free_name(self, hint: str) -> str:
        name, n = hint, 1
        while name in self.taken:
            n += 1
            name = f"{hint}{n}"
        self.taken.add(name)
        return name

    # -- files and pointers ---------------------------------------------------------------

    def _file(self, file_part: str, key: str, where: tuple[str, str]) -> str:
        if not self.local or self.root is None:
            raise GeneratorError(
                where[0], where[1], f"a reference to another file needs a local spec: {file_part!r}"
            )
        relative = Path(unquote(file_part))
        if relative.is_absolute():
            raise GeneratorError(
                where[0], where[1], f"absolute file references are not followed: {file_part!r}"
            )
        target = (Path(key).parent / relative).resolve()
        if not target.is_relative_to(self.root):
            raise GeneratorError(
                where[0], where[1], f"{file_part!r} is outside the spec's folder {self.root}"
            )
        target_key = str(target)
        if target_key not in self.files:
            if len(self.files) >= MAX_FILES:
                raise GeneratorError(where[0], where[1], f"more than {MAX_FILES} spec files")
            from generator.load.spec_source import fetch_bytes, parse_document

            shown = self._shown(target_key)
            try:
                raw = fetch_bytes(shown)
            except GeneratorError as exc:
                raise GeneratorError(where[0], where[1], f"{file_part!r}: {exc.message}") from None
            self.files[target_key] = parse_document(shown, raw, "a spec file")
        return target_key

    def _resolve(self, key: str, ref_pointer: str, where: tuple[str, str]) -> Any:
        node: Any = self.files[key]
        for part in _parts(ref_pointer):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                shown = self._shown(key)
                raise GeneratorError(where[0], where[1], f"dangling $ref {shown + ref_pointer!r}")
        return node

    def _shown(self, key: str) -> str:
        if key == self.main_key:
            return self.origin
        return str(Path(self.origin).parent / Path(key).relative_to(self.root or Path("/")))

    def _where(self, key: str, path: tuple[str, ...]) -> tuple[str, str]:
        return self._shown(key), pointer(*path) if path else "#/"


def _replace(document: dict[str, Any], ref_pointer: str, value: Any) -> None:
    parts = _parts(ref_pointer)
    if not parts:
        return
    node: Any = document
    for part in parts[:-1]:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return
    if isinstance(node, list) and parts[-1].isdigit() and int(parts[-1]) < len(node):
        node[int(parts[-1])] = value
    elif isinstance(node, dict) and parts[-1] in node:
        node[parts[-1]] = value
