"""Schemas to Python types: model classes, unions, lists, maps, scalars and literal aliases.

Object schemas become classes (one module per component; inline objects live in their
parent's module). Unions (`oneOf`/`anyOf` with types) become a type alias plus one runtime
converter. Everything else is typed in place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from generator.encode import Code, fragment, join, py_literal, py_str, py_str_list
from generator.errors import GeneratorError
from generator.model.ir import FieldDef, ModelDef, ModuleDef, TypeAlias, TypeInfo, UnionDef
from generator.model.naming import (
    FIELD_RESERVED,
    Identifier,
    Namespace,
    class_name,
    identifier,
    module_name,
)
from generator.pointers import escape, pointer, unescape

SCHEMA_PREFIX = "#/components/schemas/"

_SCALARS: dict[str, tuple[Code, Code]] = {
    # type -> (annotation, converter)
    "string": (Code("str"), Code("_m.STRING")),
    "integer": (Code("int"), Code("_m.INTEGER")),
    "number": (Code("float"), Code("_m.NUMBER")),
    "boolean": (Code("bool"), Code("_m.BOOLEAN")),
}
ANY_TYPE = TypeInfo(Code("Any"), Code("Any"), Code("_m.ANY"))
DATETIME_TYPE = TypeInfo(Code("datetime"), Code("datetime | str"), Code("_m.DATETIME"))
# A binary body: bytes, or a binary file streamed from its position.
BINARY_BODY_TYPE = TypeInfo(Code("bytes"), Code("bytes | IO[bytes]"), Code("_m.ANY"))
# A binary property (a multipart file part) also takes (filename, bytes or file, content type).
BINARY_TYPE = TypeInfo(
    Code("bytes"), Code("bytes | IO[bytes] | tuple[str, bytes | IO[bytes], str]"), Code("_m.ANY")
)
FREE_MAP_TYPE = TypeInfo(
    Code("dict[str, Any]"), Code("Mapping[str, Any]"), Code("_m.MapOf(_m.ANY)")
)

_LIST_TYPE = TypeInfo(Code("list[Any]"), Code("Sequence[Any]"), Code("_m.ListOf(_m.ANY)"))

_NULL_TYPE = TypeInfo(Code("None"), Code("None"), Code("_m.ANY"))
_VALUE_TYPES: dict[type, str] = {str: "string", bool: "boolean", int: "integer", float: "number"}


def _is_null(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    return schema.get("type") in ("null", ["null"]) or schema.get("enum") == [None]


def normal(schema: Mapping[str, Any]) -> tuple[Mapping[str, Any], bool]:
    """One dialect for 3.0 and 3.1: (the schema without its null part, whether null is allowed).

    3.0 `nullable: true`, a 3.1 type array with "null", a null enum member and a `{type:
    null}` member of oneOf/anyOf all mean the same; a type array of several other types
    becomes an anyOf of one schema per type.
    """
    nullable = bool(schema.get("nullable"))
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        nullable = nullable or len(kinds) < len(kind)
        rest = {k: v for k, v in schema.items() if k != "type"}
        if len(kinds) == 1:
            schema = {**rest, "type": kinds[0]}
        elif kinds:
            schema = {"anyOf": [{**rest, "type": k} for k in kinds]}
        else:
            schema = {**rest, "type": "null"}
    enum = schema.get("enum")
    if isinstance(enum, list) and None in enum and len(enum) > 1:
        nullable = True
        schema = {**schema, "enum": [v for v in enum if v is not None]}
    for key in ("oneOf", "anyOf"):
        members = schema.get(key)
        if isinstance(members, list) and any(_is_null(m) for m in members):
            nullable = True
            kept = [m for m in members if not _is_null(m)]
            rest = {k: v for k, v in schema.items() if k != key}
            if len(kept) == 1 and isinstance(kept[0], dict) and not set(rest) - _ANNOTATIONS:
                return {**rest, **kept[0]}, nullable
            schema = {**rest, key: kept} if kept else {**rest, "type": "null"}
    return schema, nullable


# Keywords beside a `$ref` that change the type it stands for.
_SHAPING = frozenset(
    {"properties", "required", "additionalProperties", "allOf", "oneOf", "anyOf", "items",
     "prefixItems", "enum", "const", "discriminator"}
)  # fmt: skip

# Keywords that describe a schema without constraining its type.
_ANNOTATIONS = frozenset(
    {"description", "title", "default", "example", "examples", "deprecated", "readOnly",
     "writeOnly", "nullable", "$comment"}
)  # fmt: skip


def _literal(values: tuple[Code, ...]) -> Code:
    return fragment("Literal[{}]", join(", ", values))


# X's `CreatePostsRequest.text`: "Defaulted to an empty string so it is always sent: the
# backend's `tweet_text` variable is non-null and rejects an absent value."
_ALWAYS_SENT = re.compile(r"\balways\s+(?:be\s+)?sent\b", re.IGNORECASE)
_DEFAULT_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


def _default(
    own: Mapping[str, Any],
    resolved: Mapping[str, Any],
    required: bool,
    where: str,
    origin: str,
    warnings: list[str],
) -> Code | None:
    """The property's `default` that a built model sends when the caller gives none, or None.

    OpenAPI's `default` is what the server assumes for an absent field, so a client need not
    send it, and sending it can change a request: a PATCH would reset what it should leave
    alone, and some servers refuse a field that conflicts with another. So it is sent only
    where the spec says the server needs a value: the property is required (the default is
    the value to send when the caller gives none), or its description says it is always sent.
    """
    value = own["default"] if "default" in own else resolved.get("default")
    if value is None or not isinstance(value, str | bool | int | float):
        return None
    description = str(own.get("description") or resolved.get("description") or "")
    if not required and not _ALWAYS_SENT.search(description):
        return None
    schema = normal(resolved)[0]
    kind = str(schema.get("type"))
    fits = kind not in _DEFAULT_TYPES or (
        isinstance(value, _DEFAULT_TYPES[kind]) and (kind == "boolean") == isinstance(value, bool)
    )
    enum = schema.get("enum")
    if not fits or (isinstance(enum, list) and value not in enum):
        warnings.append(
            f"{origin}:{where}/default: {value!r:.40} is not a value of the property; ignored"
        )
        return None
    try:
        return py_literal(value)
    except ValueError as exc:
        raise GeneratorError(origin, f"{where}/default", str(exc)) from None


def _literal_values(values: list[Any], origin: str, where: str) -> tuple[Code, ...]:
    try:
        return tuple(py_literal(v) for v in values)
    except ValueError as exc:
        raise GeneratorError(origin, f"{where}/enum", str(exc)) from None


def _ref(module: Identifier, name: Identifier, function: str = "ref") -> Code:
    """The converter expression that loads `name` from the models module `module` lazily."""
    return fragment(f"_m.{function}({{}}, {{}})", py_str(module), py_str(name))


def const_name(cls: Identifier) -> Identifier:
    """The module-level name of a union's (or discriminated base's) converter."""
    return Identifier(identifier(cls).upper())


def _is_object(schema: Mapping[str, Any]) -> bool:
    return bool(schema.get("properties")) or bool(schema.get("allOf"))


def _union_members(schema: Mapping[str, Any]) -> list[Any] | None:
    """The typed members of a oneOf/anyOf, or None when it only adds `required` constraints."""
    members = schema.get("oneOf") or schema.get("anyOf")
    if not isinstance(members, list):
        return None
    typed = [m for m in members if isinstance(m, dict) and set(m) - {"required", "description"}]
    return typed or None


class SchemaRegistry:
    """Turns schemas into TypeInfo, collecting the classes and unions it had to define."""

    def __init__(self, document: Mapping[str, Any], origin: str) -> None:
        self.document = document
        self.origin = origin
        components = document.get("components") or {}
        self.components: Mapping[str, Any] = components.get("schemas") or {}
        self.modules: dict[str, ModuleDef] = {}
        # What the spec says that the client cannot use, reported without failing the run.
        self.warnings: list[str] = []
        self._component_types: dict[str, TypeInfo] = {}
        self._models_by_name: dict[str, ModelDef] = {}
        # Component classes are named first, in name order, so their names do not depend on
        # which operations were selected; two spec names that sanitise alike get suffixes.
        self._class_names = Namespace()
        self._component_classes: dict[str, Identifier] = {
            name: self._class_names.claim(class_name(str(name)), separator="")
            for name in sorted(self.components, key=str)
        }
        self._aliases: dict[tuple[Any, ...], Identifier] = {}
        self.aliases: list[TypeAlias] = []
        self._referrers = _referrers(document)
        self._modules_of: dict[str, Identifier] = {}
        self._typing: set[str] = set()  # inline component schemas being typed
        self._recursive: set[str] = set()  # those of them met again inside themselves
        self._extenders: dict[str, dict[str, str]] | None = None  # $ref -> schemas extending it
        # 3.1 applies keywords beside a `$ref`; 3.0 says they are ignored.
        self._ref_siblings = str(document.get("openapi", "")).startswith("3.1")
        # Class or union name -> the classes a value of it may be: subtypes, variants.
        self._kinds_of: dict[str, set[str]] = {}

    # -- references ---------------------------------------------------------------------

    def resolve(self, ref: str, where: str) -> tuple[str, Mapping[str, Any]]:
        """(component name, schema) of a `$ref`; a dangling ref is an error at `where`."""
        if not ref.startswith(SCHEMA_PREFIX):
            kind = ref.split("/")[2] if ref.startswith("#/components/") else ""
            if kind:  # e.g. a response object where a schema belongs: the spec's mistake
                raise GeneratorError(
                    self.origin, where, f"$ref {ref!r} names a {kind} entry, not a schema"
                )
            raise GeneratorError(self.origin, where, f"unsupported $ref {ref!r}")
        name = _component_name(ref)
        schema = self.components.get(name)
        if not isinstance(schema, dict):
            raise GeneratorError(self.origin, where, f"dangling $ref {ref!r}")
        return name, schema

    def deref(self, schema: Mapping[str, Any], where: str) -> Mapping[str, Any]:
        seen = 0
        while "$ref" in schema:
            if self._ref_siblings and _SHAPING & set(schema):
                return self.with_siblings(schema, where)
            schema = self.resolve(schema["$ref"], where)[1]
            seen += 1
            if seen > 50:
                raise GeneratorError(self.origin, where, "circular $ref chain")
        return schema

    def with_siblings(self, schema: Mapping[str, Any], where: str) -> Mapping[str, Any]:
        """A `$ref` beside keywords that shape the value (3.1 applies both) as one schema:
        an object target extended by the siblings (an allOf of the two), any other target
        narrowed by them. Beside annotations only, a `$ref` stays the component it names."""
        if not self._ref_siblings or "$ref" not in schema or not _SHAPING & set(schema):
            return schema
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        target, _ = normal(self.deref({"$ref": schema["$ref"]}, where))
        if _is_object(target) or target.get("type") == "object" or _is_object(rest):
            notes = {k: v for k, v in rest.items() if k in _ANNOTATIONS}
            shaping = {k: v for k, v in rest.items() if k not in _ANNOTATIONS}
            return {**notes, "allOf": [{"$ref": schema["$ref"]}, shaping]}
        return {**target, **rest}

    # -- names --------------------------------------------------------------------------

    def class_of(self, name: str) -> Identifier:
        """The class name of a component schema."""
        return self._component_classes[name]

    def module_of(self, name: str) -> Identifier:
        """The module a component's class lives in.

        A schema referred to from exactly one other schema (a part of it, like
        `PostEditControls` of `Post`) shares that schema's module: it can only be reached
        through it, so loading them together costs nothing extra. A schema used only by the
        operations of one tag (their request and response bodies) lives in that tag's module.
        Shared schemas (`Post`, `User`, `Problem`) keep a module each. So a call loads a few
        modules, and the package is a few dozen files instead of one per schema.
        """
        found = self._modules_of.get(name)
        if found is None:
            owner, seen = name, {name}
            while True:
                referrers = self._referrers.get(owner, set())
                if len(referrers) != 1:
                    break
                (parent,) = referrers
                if parent.startswith(_TAG) or parent in seen:
                    break
                owner = parent
                seen.add(owner)
            referrers = self._referrers.get(owner, set())
            if (
                len(referrers) == 1
                and (tag := next(iter(referrers))).startswith(_TAG)
                and tag != _TAG
            ):
                found = self.tag_module(tag[len(_TAG) :])
            else:
                found = module_name(self.class_of(owner))
            self._modules_of[name] = found
        return found

    def tag_module(self, tag: str) -> Identifier:
        """The module of the types only the operations of `tag` use."""
        return module_name(f"{identifier(tag, fallback='default')}_api")

    def _new_class_name(self, hint: str) -> Identifier:
        return self._class_names.claim(class_name(hint), separator="")

    def _item_hint(self, hint: str) -> str:
        """`PostFields` -> `PostField` for the items of an array, unless that name is taken."""
        singular = hint[:-1] if hint.endswith("s") and not hint.endswith("ss") else ""
        if singular and class_name(singular) not in self._class_names:
            return singular
        return f"{hint}Item"

    def _module(self, name: Identifier) -> ModuleDef:
        module = self.modules.get(name)
        if module is None:
            module = self.modules[name] = ModuleDef(name)
        return module

    def literal_alias(self, hint: str, values: list[Any], literals: tuple[Code, ...]) -> Identifier:
        """A named Literal in the package's `types` module (shared by equal value sets)."""
        key = tuple((type(v).__name__, v) for v in values)
        name = self._aliases.get(key)
        if name is None:
            name = self._new_class_name(hint)
            self._aliases[key] = name
            self.aliases.append(TypeAlias(name, literals))
        return name

    # -- types --------------------------------------------------------------------------

    def _shape(self, schema: Mapping[str, Any], where: str, depth: int = 0) -> str:
        """ "model" (a class), "union" (an alias over classes) or "inline" (typed in place)."""
        if _is_object(schema):
            return "model"
        members = _union_members(schema)
        if members is None:
            return "inline"
        if depth > 20:
            return "union"  # unions nested this deep (or a union of itself): give it a name
        for i, member in enumerate(members):
            resolved, _ = normal(self.deref(member, f"{where}/oneOf/{i}"))
            if (
                self._shape(resolved, where, depth + 1) != "inline"
                or resolved.get("type") == "object"
            ):
                return "union"
        return "inline"

    def component_type(self, name: str) -> TypeInfo:
        found = self._component_types.get(name)
        if found is not None:
            return found
        where = pointer("components", "schemas", name)
        self._refuse_ref_cycle(name, where)
        schema, _ = normal(self.with_siblings(normal(self.components[name])[0], where))
        cls = self.class_of(name)
        module = self.module_of(name)
        shape = self._shape(schema, where)
        if shape != "inline":
            # Register first: a schema may refer to itself through its fields.
            info = self._named_type(cls, module, shape)
            if shape == "model" and _discriminator(schema) is not None:
                # A base schema whose subtypes are told apart by a property: references
                # load the subtype the data names, falling back to the base class.
                info = TypeInfo(
                    cls, info.input_annotation, _ref(module, const_name(cls), "alias"), info.imports
                )
            self._component_types[name] = info
            if shape == "union":
                self._define_union(cls, module, schema, where)
            else:
                self._define_model(cls, module, schema, where)
            return info
        # A list or map that contains itself is a recursive type alias: named where it recurs.
        named = TypeInfo(
            cls, cls, _ref(module, const_name(cls), "alias"), frozenset({(module, cls)})
        )
        if name in self._typing:
            self._recursive.add(name)
            return named
        self._typing.add(name)
        try:
            info = self.type_of(self.components[name], hint=cls, module=module, where=where)
        finally:
            self._typing.discard(name)
        if name in self._recursive:
            # One alias for reading and passing in (a value passed in is then a list or dict,
            # not any sequence or mapping): a second recursive alias would double the names.
            self._module(module).unions.append(
                UnionDef(
                    cls,
                    module,
                    _description(schema),
                    [info],
                    info.converter,
                    const_name(cls),
                    where,
                )
            )
            info = named
        self._component_types[name] = info
        return info

    def _refuse_ref_cycle(self, name: str, where: str) -> None:
        """Refuse a schema that is only a `$ref` whose chain of `$ref`s comes back to it: it
        names no value at all (a cycle through properties or items is a recursive type, and
        fine), and would become an alias of itself that type checkers reject."""
        chain = [name]
        schema = normal(self.components[name])[0]
        while "$ref" in schema and not (self._ref_siblings and _SHAPING & set(schema)):
            target, schema = self.resolve(str(schema["$ref"]), where)
            schema = normal(schema)[0]
            if target in chain:
                loop = " -> ".join([*chain[chain.index(target) :], target])
                raise GeneratorError(
                    self.origin, where, f"the schema is a $ref cycle with no value ({loop:.200})"
                )
            chain.append(target)

    def _named_type(self, cls: Identifier, module: Identifier, shape: str) -> TypeInfo:
        converter = (
            _ref(module, const_name(cls), "alias") if shape == "union" else _ref(module, cls)
        )
        return TypeInfo(
            cls, fragment("{} | Mapping[str, Any]", cls), converter, frozenset({(module, cls)})
        )

    def type_of(
        self,
        schema: Any,
        *,
        hint: str,
        module: Identifier,
        where: str,
        response: bool = True,
        field: bool = False,
    ) -> TypeInfo:
        """The TypeInfo of any schema; inline objects become classes named after `hint`.

        A nullable schema's type includes None, except for a `field` (FieldDef says that).
        """
        if not isinstance(schema, dict):
            return ANY_TYPE
        schema, nullable = normal(schema)
        schema, more_null = normal(self.with_siblings(schema, where))
        nullable = nullable or more_null
        parts = schema.get("allOf")
        single = isinstance(parts, list) and len(parts) == 1 and isinstance(parts[0], dict)
        if single and not {"properties", "discriminator"} & set(schema):
            # `allOf: [one schema]`, the 3.0 way to give a $ref siblings: that schema.
            rest = {k: v for k, v in schema.items() if k != "allOf"}
            schema, more_null = normal({**rest, **parts[0]})
            nullable = nullable or more_null
        info = self._type_of(schema, hint=hint, module=module, where=where, response=response)
        if nullable and not field and info is not ANY_TYPE:
            return _wrap(info, "{} | None", "{} | None", "_m.Nullable({})")
        return info

    def _type_of(
        self,
        schema: Mapping[str, Any],
        *,
        hint: str,
        module: Identifier,
        where: str,
        response: bool,
    ) -> TypeInfo:
        if "$ref" in schema:
            name, _ = self.resolve(schema["$ref"], where)
            return self.component_type(name)
        shape = self._shape(schema, where)
        if shape != "inline":
            cls = self._new_class_name(hint)
            info = self._named_type(cls, module, shape)
            if shape == "model":
                self._define_model(cls, module, schema, where)
            else:
                self._define_union(cls, module, schema, where)
            return info
        members = _union_members(schema)
        if members is not None:
            # A union of non-object types (e.g. binary or base64 string): typed in place.
            parts = [
                self.type_of(
                    m,
                    hint=f"{hint}{i}",
                    module=module,
                    where=f"{where}/oneOf/{i}",
                    response=response,
                )
                for i, m in enumerate(members)
            ]
            return _union_in_place(parts)
        kind = schema.get("type")
        if kind == "null":
            return _NULL_TYPE
        if "const" in schema:
            return self._const_type(schema["const"], where)
        if kind == "array" and isinstance(schema.get("prefixItems"), list):
            return self._tuple_type(schema["prefixItems"], hint, module, where, response)
        if kind == "array":
            item = self.type_of(
                schema.get("items"),
                hint=self._item_hint(hint),
                module=module,
                where=f"{where}/items",
                response=response,
            )
            return _wrap(item, "list[{}]", "Sequence[{}]", "_m.ListOf({})")
        if kind == "object" or (kind is None and "additionalProperties" in schema):
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                value = self.type_of(
                    extra,
                    hint=f"{hint}Value",
                    module=module,
                    where=f"{where}/additionalProperties",
                    response=response,
                )
                return _wrap(value, "dict[str, {}]", "Mapping[str, {}]", "_m.MapOf({})")
            return FREE_MAP_TYPE
        enum = schema.get("enum")
        if isinstance(enum, list) and enum and all(type(v) in _VALUE_TYPES for v in enum):
            return self._enum_type(enum, kind, hint, where, response)
        if kind in _SCALARS:
            annotation, converter = _SCALARS[kind]
            fmt = schema.get("format")
            if kind == "string" and fmt == "date-time":
                return DATETIME_TYPE
            if kind == "string" and fmt == "binary":
                return BINARY_TYPE
            return TypeInfo(annotation, annotation, converter)
        return ANY_TYPE

    def _enum_type(
        self, enum: list[Any], kind: Any, hint: str, where: str, response: bool
    ) -> TypeInfo:
        """An enum of scalars, of one type or several: a Literal of its distinct values."""
        # Keyed by type too: 1 and True are equal in Python but distinct JSON values.
        distinct = {(type(v).__name__, v): v for v in enum}
        kinds = (
            [kind]
            if kind in _SCALARS
            else sorted({_VALUE_TYPES[type(v)] for v in distinct.values()})
        )
        annotation = join(" | ", [_SCALARS[k][0] for k in kinds])
        converter = _SCALARS[kinds[0]][1] if len(kinds) == 1 else Code("_m.ANY")
        # A Literal cannot hold a float: those values are typed by their type alone.
        values = sorted(
            (v for v in distinct.values() if not isinstance(v, float)),
            key=lambda v: (str(type(v)), v),
        )
        if not values:
            return TypeInfo(annotation, annotation, converter)
        literals = _literal_values(values, self.origin, where)
        # Responses may carry values added after this client was generated, so a value read
        # stays open; a value passed in (a model built to be sent) must be one the spec lists.
        if len(values) < len(distinct):
            widened = fragment("{} | {}", _literal(literals), annotation)
            return TypeInfo(widened, widened if not response else annotation, converter)
        if response:
            widened = fragment("{} | {}", _literal(literals), annotation)
            return TypeInfo(widened, _literal(literals), converter)
        alias = self.literal_alias(hint, values, literals)
        return TypeInfo(alias, alias, converter, frozenset(), frozenset({alias}))

    def _const_type(self, value: Any, where: str) -> TypeInfo:
        """3.1 `const`: exactly that value, a one-member Literal."""
        if type(value) is float:
            return TypeInfo(Code("float"), Code("float"), Code("_m.NUMBER"))
        if isinstance(value, dict):
            return FREE_MAP_TYPE  # a Literal holds scalars only: typed by its JSON type
        if isinstance(value, list):
            return _LIST_TYPE
        if type(value) not in _VALUE_TYPES:
            return ANY_TYPE if value is not None else _NULL_TYPE
        try:
            literal = _literal((py_literal(value),))
        except ValueError as exc:
            raise GeneratorError(self.origin, f"{where}/const", str(exc)) from None
        return TypeInfo(literal, literal, _SCALARS[_VALUE_TYPES[type(value)]][1])

    def _tuple_type(
        self, items: list[Any], hint: str, module: Identifier, where: str, response: bool
    ) -> TypeInfo:
        """3.1 `prefixItems`: a tuple with one type per position."""
        parts = [
            self.type_of(
                item,
                hint=f"{hint}{i}",
                module=module,
                where=f"{where}/prefixItems/{i}",
                response=response,
            )
            for i, item in enumerate(items)
        ]
        if not parts:
            return TypeInfo(Code("tuple[()]"), Code("tuple[()]"), Code("_m.TupleOf()"))
        return TypeInfo(
            fragment("tuple[{}]", join(", ", [p.annotation for p in parts])),
            fragment("tuple[{}]", join(", ", [p.input_annotation for p in parts])),
            fragment("_m.TupleOf({})", join(", ", [p.converter for p in parts])),
            frozenset().union(*(p.imports for p in parts)),
            frozenset().union(*(p.type_aliases for p in parts)),
        )

    # -- definitions --------------------------------------------------------------------

    def _merged(
        self, schema: Mapping[str, Any], where: str, depth: int = 0
    ) -> tuple[dict[str, Any], set[str]]:
        """Properties and required names of an object schema, with allOf parts merged in."""
        props: dict[str, Any] = {}
        required: set[str] = set()
        if depth > 20:  # a schema that contains itself: its fields are already merged above
            return props, required
        for i, part in enumerate(schema.get("allOf") or []):
            resolved = self.deref(part, f"{where}/allOf/{i}") if isinstance(part, dict) else {}
            p, r = self._merged(resolved, f"{where}/allOf/{i}", depth + 1)
            props.update(p)
            required |= r
        props.update(schema.get("properties") or {})
        required |= set(schema.get("required") or [])
        # A oneOf/anyOf inside an object (`allOf: [Circle, {oneOf: [...]}]`) adds the fields
        # of its variants as optional ones: one class that reads any variant's data, rather
        # than a union of merged classes that multiplies with every such part.
        key = "oneOf" if schema.get("oneOf") else "anyOf"
        variant_props: dict[str, Any] = {}
        for i, member in enumerate(_union_members(schema) or []):
            resolved = self.deref(member, f"{where}/{key}/{i}")
            for name, prop in self._merged(resolved, f"{where}/{key}/{i}", depth + 1)[0].items():
                seen = variant_props.setdefault(name, prop)
                if seen != prop:  # variants typing it differently: either type
                    either = isinstance(seen, dict) and set(seen) == {"anyOf"}
                    options = seen["anyOf"] if either else [seen]
                    variant_props[name] = {"anyOf": [*options, prop]}
        for name, prop in variant_props.items():
            props.setdefault(name, prop)
        return props, required

    def _base_of(
        self, schema: Mapping[str, Any], where: str
    ) -> tuple[str, Mapping[str, Any]] | None:
        """The component an allOf schema extends: its first part, when that is an object $ref."""
        parts = schema.get("allOf") or []
        first = parts[0] if parts else None
        if not (isinstance(first, dict) and "$ref" in first):
            return None
        name, target = self.resolve(first["$ref"], f"{where}/allOf/0")
        return (name, target) if self._shape(target, where) == "model" else None

    def _define_model(
        self, cls: Identifier, module: Identifier, schema: Mapping[str, Any], where: str
    ) -> None:
        model = ModelDef(cls, module, _description(schema), [], where)
        self._models_by_name[cls] = model
        self._module(module).models.append(model)
        props, required = self._merged(schema, where)
        inherited: set[str] = set()
        base = self._base_of(schema, where)
        if base is not None:
            base_name, base_schema = base
            self.component_type(base_name)
            base_cls = self.class_of(base_name)
            model.base = (self.module_of(base_name), base_cls)
            model.parent = self._models_by_name.get(base_cls)
            base_props, base_required = self._merged(base_schema, where)
            # Inherited fields stay with the parent unless this schema makes them required.
            inherited = {k for k in base_props if (k in base_required) or (k not in required)}
            inherited = {k for k in inherited if props.get(k) == base_props[k]}
            self._kinds_of.setdefault(base_cls, set()).add(cls)
        names = Namespace(FIELD_RESERVED)
        for wire, prop in sorted(props.items(), key=lambda item: str(item[0])):
            if wire in inherited:
                continue
            wire = str(wire)
            name = names.claim(identifier(wire, FIELD_RESERVED, fallback="field"))
            prop_where = f"{where}/properties/{escape(wire)}"
            own = prop if isinstance(prop, dict) else {}
            resolved = self.deref(own, prop_where)
            info = self.type_of(
                prop, hint=f"{cls}{class_name(wire)}", module=module, where=prop_where, field=True
            )
            flag = _flags(own, resolved)
            model.fields.append(
                FieldDef(
                    name,
                    wire,
                    info,
                    wire in required,
                    normal(own)[1] or normal(resolved)[1],
                    _description(own if own.get("description") else resolved),
                    read_only=flag("readOnly"),
                    write_only=flag("writeOnly"),
                    default=_default(
                        own, resolved, wire in required, prop_where, self.origin, self.warnings
                    ),
                )
            )
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra and props:
            model.extra = self.type_of(
                extra, hint=f"{cls}Value", module=module, where=f"{where}/additionalProperties"
            )
        discriminator = _discriminator(schema)
        if discriminator is not None:
            prop_name, mapping = discriminator
            # Without a mapping, each schema extending this one is tagged with its own name.
            mapping = mapping or self._implicit_mapping(prop_name, self._extending(where), where)
            parts = self._mapping_parts(mapping, where, cls)
            converter = fragment(
                "_m.one_of(discriminator={}, mapping={{{}}}, fallback={})",
                py_str(prop_name),
                join(", ", parts),
                _ref(module, cls),
            )
            self._module(module).unions.append(
                UnionDef(cls, module, "", [], converter, const_name(cls), where, alias=False)
            )
        if model.parent is not None and model.parent.constructible:
            # A subtype met after its base was marked: a body of the base may be one of it.
            self.mark_constructible(self._named_type(cls, module, "model"))

    def _mapping_parts(self, mapping: Mapping[str, Any], where: str, owner: str) -> list[Code]:
        parts = []
        for value, ref in sorted(mapping.items(), key=lambda item: str(item[0])):
            ref = str(ref)
            if "#" not in ref and ref in self.components:
                ref = SCHEMA_PREFIX + escape(ref)  # a bare name
            place = f"{where}/discriminator/mapping"
            if not ref.startswith(SCHEMA_PREFIX) or not isinstance(
                self.components.get(_component_name(ref)), dict
            ):
                # A hint that points nowhere is dropped, not a reason to fail the run.
                self.warnings.append(
                    f"{self.origin}:{place}: {str(value)!r:.40} maps to {ref!r:.80}, "
                    "which is not a component schema; ignored"
                )
                continue
            target, _ = self.resolve(ref, place)
            self.component_type(target)
            self._kinds_of.setdefault(owner, set()).add(self.class_of(target))
            target_ref = _ref(self.module_of(target), self.class_of(target))
            parts.append(fragment("{}: {}", py_str(str(value)), target_ref))
        return parts

    def _extending(self, where: str) -> dict[str, str]:
        """Component name -> $ref of every component whose allOf refers to the schema at `where`."""
        if self._extenders is None:
            # Indexed once: a spec may have thousands of components and many bases.
            self._extenders = {}
            for name, schema in self.components.items():
                if isinstance(schema, dict) and "$ref" in schema:
                    schema = self.with_siblings(schema, pointer("components", "schemas", name))
                parts = schema.get("allOf") if isinstance(schema, dict) else None
                for part in parts if isinstance(parts, list) else []:
                    if isinstance(part, dict) and isinstance(part.get("$ref"), str):
                        self._extenders.setdefault(part["$ref"], {})[str(name)] = (
                            SCHEMA_PREFIX + escape(name)
                        )
        prefix = pointer("components", "schemas", "")
        if not where.startswith(prefix):
            return {}
        return dict(self._extenders.get(SCHEMA_PREFIX + where[len(prefix) :], {}))

    def _define_union(
        self, cls: Identifier, module: Identifier, schema: Mapping[str, Any], where: str
    ) -> None:
        # A member that is the union itself adds no value, and would choose itself forever.
        members = [m for m in _union_members(schema) or [] if m.get("$ref") != where]
        key = "oneOf" if schema.get("oneOf") else "anyOf"
        variants: list[TypeInfo] = []
        tables: list[tuple[Code, Code, Code]] = []
        for i, member in enumerate(members):
            info = self.type_of(
                member, hint=f"{cls}Variant{i + 1}", module=module, where=f"{where}/{key}/{i}"
            )
            variants.append(info)
            self._kinds_of.setdefault(cls, set()).update(name for _, name in info.imports)
            resolved = self.deref(member, f"{where}/{key}/{i}")
            props, required = self._merged(resolved, f"{where}/{key}/{i}")
            names = sorted(str(r) for r in required)
            fixed = self._fixed_values(props, f"{where}/{key}/{i}")
            tables.append((info.converter, py_str_list(names), fixed))
        discriminator = _discriminator(schema)
        extra = Code("")
        if discriminator is not None:
            prop_name, mapping = discriminator
            # Without a mapping, each member is tagged with its component name.
            mapping = mapping or self._implicit_mapping(
                prop_name,
                {
                    str(m["$ref"]).rsplit("/", 1)[-1]: m["$ref"]
                    for m in members
                    if isinstance(m, dict) and str(m.get("$ref", "")).startswith(SCHEMA_PREFIX)
                },
                where,
            )
            parts = self._mapping_parts(mapping, where, cls)
            if parts:  # else every entry pointed nowhere: members are told apart by shape
                extra = fragment(
                    ", discriminator={}, mapping={{{}}}", py_str(prop_name), join(", ", parts)
                )
        # Values that pin a property tell variants apart where no discriminator does.
        converters = [
            fragment("({}, {}, {{{}}})", conv, names, fixed)
            if fixed and not extra
            else fragment("({}, {})", conv, names)
            for conv, names, fixed in tables
        ]
        converter = fragment("_m.one_of({}{})", join(", ", converters), extra)
        self._module(module).unions.append(
            UnionDef(cls, module, _description(schema), variants, converter, const_name(cls), where)
        )

    def _pinned(self, props: Mapping[str, Any], where: str) -> dict[str, Any]:
        """Property -> the one value a schema pins it to (`const`, or an enum of one value):
        the tags that tell look-alike variants apart."""
        found: dict[str, Any] = {}
        for wire, prop in sorted(props.items(), key=lambda item: str(item[0])):
            if not isinstance(prop, dict):
                continue
            schema, _ = normal(self.deref(prop, f"{where}/properties/{escape(str(wire))}"))
            enum = schema.get("enum")
            if "const" in schema:
                value = schema["const"]
            elif isinstance(enum, list) and len(enum) == 1:
                value = enum[0]
            else:
                continue
            if type(value) in _VALUE_TYPES and type(value) is not float:
                found[str(wire)] = value
        return found

    def _fixed_values(self, props: Mapping[str, Any], where: str) -> Code:
        """`"prop": (value,)` for each pinned property, for a union's converter table."""
        parts: list[Code] = []
        for wire, value in self._pinned(props, where).items():
            literal = _literal_values([value], self.origin, f"{where}/properties/{escape(wire)}")
            parts.append(fragment("{}: ({},)", py_str(wire), literal[0]))
        return join(", ", parts)

    def _implicit_mapping(
        self, prop_name: str, by_name: Mapping[str, str], where: str
    ) -> dict[str, str]:
        """A discriminator's mapping when the spec gives none: each schema's component name,
        and the value the schema pins the property to (a 3.1 `const` tag), if any."""
        mapping = dict(by_name)
        for ref in by_name.values():
            target = self.deref({"$ref": ref}, f"{where}/discriminator")
            tag = self._pinned(self._merged(target, where)[0], where).get(prop_name)
            if isinstance(tag, str):
                mapping.setdefault(tag, ref)
        return mapping

    def mark_constructible(self, info: TypeInfo) -> None:
        """Give every model reachable from a request body a typed keyword constructor: those
        its fields name, and every kind a value of them may be (subtypes, union variants)."""
        stack: list[str] = [name for _, name in info.imports]
        seen: set[str] = set()
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            stack.extend(self._kinds_of.get(name, ()))
            model = self._models_by_name.get(name)
            if model is None or model.constructible:
                continue
            model.constructible = True
            for f in model.init_fields:
                stack.extend(name for _, name in f.type.imports)

    def ordered_modules(self) -> list[ModuleDef]:
        return [self.modules[k] for k in sorted(self.modules)]


_TAG = "@"  # marks a referrer that is the operations of a tag, not a component schema


def _referrers(document: Mapping[str, Any]) -> dict[str, set[str]]:
    """Component schema name -> what refers to it: component schema names, `@<tag>` for the
    operations of a tag, `@` for anything else (a shared parameter)."""
    found: dict[str, set[str]] = {}

    def walk(node: Any, owner: str) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(SCHEMA_PREFIX):
                target = ref[len(SCHEMA_PREFIX) :]
                if target != owner:
                    found.setdefault(target, set()).add(owner)
            for value in node.values():
                walk(value, owner)
        elif isinstance(node, list):
            for value in node:
                walk(value, owner)

    components = document.get("components") or {}
    for name, schema in (components.get("schemas") or {}).items():
        walk(schema, name)
    for item in (document.get("paths") or {}).values():
        for op in (item or {}).values() if isinstance(item, dict) else []:
            if isinstance(op, dict):
                tags = op.get("tags") or ["default"]
                walk(op, f"{_TAG}{tags[0]}")
            else:
                walk(op, _TAG)
    walk({k: v for k, v in components.items() if k != "schemas"}, _TAG)
    return found


def _wrap(inner: TypeInfo, annotation: str, input_annotation: str, converter: str) -> TypeInfo:
    """A type built around `inner` (a list of it, a map of it, it or None)."""
    return TypeInfo(
        fragment(annotation, inner.annotation),
        fragment(input_annotation, inner.input_annotation),
        fragment(converter, inner.converter),
        inner.imports,
        inner.type_aliases,
    )


def _union_in_place(parts: list[TypeInfo]) -> TypeInfo:
    def either(items: list[Code]) -> Code:
        return join(" | ", dict.fromkeys(items))

    converters = join(", ", (fragment("({}, [])", p.converter) for p in parts))
    imports: frozenset[tuple[Identifier, Identifier]] = frozenset().union(
        *(p.imports for p in parts)
    )
    aliases: frozenset[Identifier] = frozenset().union(*(p.type_aliases for p in parts))
    return TypeInfo(
        either([p.annotation for p in parts]),
        either([p.input_annotation for p in parts]),
        fragment("_m.one_of({})", converters),
        imports,
        aliases,
    )


def _component_name(ref: str) -> str:
    """The component name a `#/components/schemas/<name>` reference names."""
    return unescape(ref[len(SCHEMA_PREFIX) :])


def _discriminator(schema: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    found = schema.get("discriminator")
    if isinstance(found, dict) and isinstance(found.get("propertyName"), str):
        mapping = found.get("mapping")
        return found["propertyName"], mapping if isinstance(mapping, dict) else {}
    return None


def _flags(own: Mapping[str, Any], resolved: Mapping[str, Any]) -> Any:
    def flag(key: str) -> bool:
        return bool(own.get(key, resolved.get(key)))

    return flag


def _description(schema: Any) -> str:
    if not isinstance(schema, dict):
        return ""
    text = schema.get("description") or schema.get("title") or ""
    return str(text).strip()
