"""Typed, lazy views over decoded JSON.

A model wraps the dict that `json.loads` produced and converts a field only when it is read,
so parsing a response costs one `json.loads` and one object, whatever its size. The wrapped
dict is kept whole: fields the spec does not know survive a round trip (`to_dict()`,
`model["new_field"]`), and a value the spec did not foresee (a new enum member) is returned
as-is instead of failing the parse. `validate()` walks the whole structure on demand.
"""

from __future__ import annotations

import importlib
import itertools
import json
import reprlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, TypeAlias, TypeVar, cast, overload

if TYPE_CHECKING:
    import httpx

    from ._exceptions import RateLimit

__all__ = [
    "ANY",
    "BOOLEAN",
    "DATETIME",
    "INTEGER",
    "NUMBER",
    "STRING",
    "AliasRef",
    "Converter",
    "Field",
    "ListOf",
    "MapOf",
    "Model",
    "ModelRef",
    "Nullable",
    "OneOf",
    "ResponseValidationError",
    "Scalar",
    "TupleOf",
    "UnlistedKind",
    "alias",
    "dump",
    "is_file",
    "is_file_part",
    "one_of",
    "ref",
    "required",
]

T = TypeVar("T")
M = TypeVar("M", bound="Model")


class ResponseValidationError(ValueError):
    """A response does not match the shape the spec declares (raised by `validate()`)."""

    def __init__(self, model: str, problems: Sequence[str]) -> None:
        self.problems: list[str] = list(problems)
        shown = "; ".join(self.problems[:5])
        more = f" (+{len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"{model}: {shown}{more}")


class Converter:
    """Turns a decoded JSON value into its typed form, and checks it against the spec."""

    __slots__ = ()

    def load(self, raw: Any) -> Any:
        return raw

    def load_in(self, raw: Any, parent: Mapping[str, Any]) -> Any:
        """`load`, for a field value read from the object `parent`."""
        return self.load(raw)

    def check(self, raw: Any, where: str, out: list[str]) -> None:
        return None

    def bind(self, package: str) -> None:
        """Learn the package the owning model lives in (for lazy model imports)."""


class Scalar(Converter):
    """A JSON scalar: checked by type, returned unchanged. Enum members are not enforced."""

    __slots__ = ("kinds", "label")

    def __init__(self, label: str, *kinds: type) -> None:
        self.label: str = label
        self.kinds: tuple[type, ...] = kinds

    def check(self, raw: Any, where: str, out: list[str]) -> None:
        # bool is an int subclass; a JSON true is never a valid integer here.
        if isinstance(raw, bool) and bool not in self.kinds:
            out.append(f"{where}: expected {self.label}, got bool")
        elif not isinstance(raw, self.kinds):
            out.append(f"{where}: expected {self.label}, got {type(raw).__name__}")


STRING = Scalar("string", str)
INTEGER = Scalar("integer", int)
NUMBER = Scalar("number", int, float)
BOOLEAN = Scalar("boolean", bool)
ANY = Converter()


class _DateTime(Scalar):
    __slots__ = ()

    def load(self, raw: Any) -> Any:
        # A value that is not a date-time comes back as it is, like any other unforeseen value
        # (`validate()` reports it): the field stays readable.
        if isinstance(raw, str):
            try:
                return datetime.fromisoformat(raw)
            except ValueError:
                return raw
        return raw

    def check(self, raw: Any, where: str, out: list[str]) -> None:
        try:
            datetime.fromisoformat(raw)
        except (TypeError, ValueError):
            out.append(f"{where}: expected an ISO 8601 date-time, got {raw!r}")


DATETIME = _DateTime("date-time", str)


# `object.__new__` called directly: a model is created bare and given its dict, and the lookup
# `cls.__new__` would find this same function at the cost of a class attribute search.
_new: Final = object.__new__


def _wrap_each(cls: type[M], raw: list[Any]) -> list[Any]:
    """A list of objects as models of `cls` (anything else in it as it came)."""
    out: list[Any] = []
    for x in raw:
        if type(x) is dict or isinstance(x, dict):
            model = _new(cls)
            model._raw = x
            out.append(model)
        else:
            out.append(x)
    return out


class ModelRef(Converter):
    """A reference to a generated model class, imported on first use.

    Importing lazily keeps importing the package from loading hundreds of model modules.
    """

    __slots__ = ("_cls", "module", "name", "package")

    def __init__(self, module: str, name: str) -> None:
        self.module: str = module
        self.name: str = name
        self.package: str = ""
        self._cls: type[Model] | None = None

    def bind(self, package: str) -> None:
        if not self.package:
            self.package = package

    @property
    def cls(self) -> type[Model]:
        cls = self._cls
        if cls is None:
            module = importlib.import_module(f"{self.package}.{self.module}")
            cls = self._cls = cast("type[Model]", getattr(module, self.name))
        return cls

    def load(self, raw: Any) -> Any:
        # The hot path of every nested read: `_wrap`, inlined.
        if not isinstance(raw, dict):
            return raw
        obj = _new(self._cls or self.cls)
        obj._raw = raw
        return obj

    def check(self, raw: Any, where: str, out: list[str]) -> None:
        if not isinstance(raw, dict):
            out.append(f"{where}: expected object {self.name}, got {type(raw).__name__}")
            return
        self.cls._check(raw, where, out)


class AliasRef(Converter):
    """A union converter defined once in its own module, imported on first use."""

    __slots__ = ("_target", "const", "module", "package")

    def __init__(self, module: str, const: str) -> None:
        self.module: str = module
        self.const: str = const
        self.package: str = ""
        self._target: Converter | None = None

    def bind(self, package: str) -> None:
        if not self.package:
            self.package = package

    @property
    def target(self) -> Converter:
        target = self._target
        if target is None:
            module = importlib.import_module(f"{self.package}.{self.module}")
            target = self._target = cast("Converter", getattr(module, self.const))
        return target

    def load(self, raw: Any) -> Any:
        return self.target.load(raw)

    def load_in(self, raw: Any, parent: Mapping[str, Any]) -> Any:
        return self.target.load_in(raw, parent)

    def check(self, raw: Any, where: str, out: list[str]) -> None:
        self.target.check(raw, where, out)


class ListOf(Converter):
    __slots__ = ("item",)

    def __init__(self, item: Converter) -> None:
        self.item: Converter = item

    def bind(self, package: str) -> None:
        self.item.bind(package)

    def load(self, raw: Any) -> Any:
        item = self.item
        if not isinstance(raw, list) or type(item) is Scalar or item is ANY:
            return raw
        if type(item) is ModelRef:  # the common list of objects: ModelRef.load, inlined
            return _wrap_each(item._cls or item.cls, raw)
        return list(map(item.load, raw))

    def check(self, raw: Any, where: str, out: list[str]) -> None:
        if not isinstance(raw, list):
            out.append(f"{where}: expected array, got {type(raw).__name__}")
            return
        for i, x in enumerate(raw):
            self.item.check(x, f"{where}[{i}]", out)


class MapOf(Converter):
    """An object with free-form keys (`additionalProperties`)."""

    __slots__ = ("value",)

    def __init__(self, value: Converter) -> None:
        self.value: Converter = value

    def bind(self, package: str) -> None:
        self.value.bind(package)

    def load(self, raw: Any) -> Any:
        if not isinstance(raw, dict) or type(self.value) is Scalar or self.value is ANY:
            return raw
        load = self.value.load
        return {k: load(v) for k, v in raw.items()}

    def check(self, raw: Any, where: str, out: list[str]) -> None:
        if not isinstance(raw, dict):
            out.append(f"{where}: expected object, got {type(raw).__name__}")
            return
        for k, v in raw.items():
            self.value.check(v, f"{where}.{k}", out)


class Nullable(Converter):
    """A value that may also be JSON null (3.0 `nullable`, a 3.1 `"null"` type)."""

    __slots__ = ("inner",)

    def __init__(self, inner: Converter) -> None:
        self.inner: Converter = inner

    def bind(self, package: str) -> None:
        self.inner.bind(package)

    def load(self, raw: Any) -> Any:
        return None if raw is None else self.inner.load(raw)

    def check(self, raw: Any, where: str, out: list[str]) -> None:
        if raw is not None:
            self.inner.check(raw, where, out)


class TupleOf(Converter):
    """A 3.1 `prefixItems` array: one converter per position, loaded as a tuple."""

    __slots__ = ("items",)

    def __init__(self, *items: Converter) -> None:
        self.items: tuple[Converter, ...] = items

    def bind(self, package: str) -> None:
        for item in self.items:
            item.bind(package)

    def load(self, raw: Any) -> Any:
        if not isinstance(raw, list):
            return raw
        # Positions past the declared ones are kept as they came.
        return tuple(self.items[i].load(x) if i < len(self.items) else x for i, x in enumerate(raw))

    def check(self, raw: Any, where: str, out: list[str]) -> None:
        if not isinstance(raw, list):
            out.append(f"{where}: expected array, got {type(raw).__name__}")
            return
        if len(raw) < len(self.items):
            out.append(f"{where}: expected {len(self.items)} items, got {len(raw)}")
        for i, (conv, x) in enumerate(zip(self.items, raw, strict=False)):
            conv.check(x, f"{where}[{i}]", out)


# A variant of a oneOf table: (converter, required keys[, property -> allowed values]).
Variant: TypeAlias = (
    tuple[Converter, Sequence[str]] | tuple[Converter, Sequence[str], Mapping[str, Any]]
)


class OneOf(Converter):
    """`oneOf`: chosen by the discriminator when the spec has one, else by the shape of the data.

    A variant fits when the data has its required keys and no property contradicts a value the
    variant fixes (`const` or a one-value `enum`, the 3.1 way to tag variants); of several that
    fit, the first whose plain-typed properties have the right JSON types wins.

    A discriminator value the spec does not list (say a problem `type` URI served from another
    host) is matched on its path; failing that (as for data that fits no variant), the value is
    an `UnlistedKind`: it reads the fields every variant declares alike (a problem's `title`
    and `detail`), so code written against the union keeps working, and it is an instance of
    no variant, so `isinstance` never lies. Other fields raise `AttributeError`.
    """

    __slots__ = ("_table", "_unlisted", "by_path", "by_value", "fallback", "prop", "variants")

    def __init__(
        self,
        variants: Sequence[Variant],
        discriminator: str | None = None,
        mapping: Mapping[str, ModelRef] | None = None,
        fallback: ModelRef | None = None,
    ) -> None:
        # (converter, required keys, property -> the values the variant allows)
        self.variants: tuple[tuple[Converter, Sequence[str], Mapping[str, Sequence[Any]]], ...] = (
            tuple((v[0], v[1], v[2] if len(v) > 2 else {}) for v in variants)
        )
        # The hot path's form of `variants`: fixed values as pairs, object converters flagged.
        self._table: tuple[
            tuple[Converter, Sequence[str], tuple[tuple[str, Sequence[Any]], ...], bool], ...
        ] = tuple(
            (conv, required, tuple(fixed.items()), isinstance(conv, ModelRef | MapOf | AliasRef))
            for conv, required, fixed in self.variants
        )
        self.prop: str | None = discriminator
        self.by_value: dict[str, ModelRef] = dict(mapping or {})
        self.by_path: dict[str, ModelRef] = {_uri_path(k): v for k, v in self.by_value.items()}
        self.fallback: ModelRef | None = fallback  # the base class, when the schema has one
        self._unlisted: type[UnlistedKind] | None = None  # built on the first unlisted value

    def bind(self, package: str) -> None:
        for conv, _, _ in self.variants:
            conv.bind(package)
        for ref in self.by_value.values():
            ref.bind(package)
        if self.fallback is not None:
            self.fallback.bind(package)

    def choose(self, raw: Any) -> Converter | None:
        if self.prop is not None and isinstance(raw, dict):
            tag = raw.get(self.prop)
            if isinstance(tag, str):
                # An unlisted tag is a kind this client doesn't know: no structural guess.
                listed = self.by_value.get(tag) or self.by_path.get(_uri_path(tag))
                return listed or self.fallback
        fitting: list[Converter] = []
        for conv, required, fixed, is_object in self._table:
            if is_object:
                if not isinstance(raw, dict) or not _fits(raw, required, fixed):
                    continue
            else:
                found: list[str] = []
                conv.check(raw, "", found)
                if found:
                    continue
            fitting.append(conv)
        if len(fitting) > 1:  # look-alikes: the first whose plain fields have the right types
            for conv in fitting:
                if _scalars_fit(conv, raw):
                    return conv
        return fitting[0] if fitting else None

    def load(self, raw: Any) -> Any:
        conv = self.choose(raw)
        if conv is not None:
            return conv.load(raw)
        if not isinstance(raw, dict):
            return raw
        cls = self._unlisted
        if cls is None:
            cls = self._unlisted = _shared_fields_model([conv for conv, _, _ in self.variants])
        return cls._wrap(raw)

    def load_in(self, raw: Any, parent: Mapping[str, Any]) -> Any:
        # `../name`: the tag is a sibling of the value (X's activity events name the payload's
        # kind in `event_type` beside it).
        if self.prop is not None and self.prop.startswith("../"):
            tag = parent.get(self.prop[3:])
            listed = self.by_value.get(tag) if isinstance(tag, str) else None
            if listed is not None:
                return listed.load(raw)
        return self.load(raw)

    def check(self, raw: Any, where: str, out: list[str]) -> None:
        if self.prop is not None and isinstance(raw, dict) and self.prop in raw:
            conv = self.choose(raw)
            if conv is not None:
                conv.check(raw, where, out)
            return  # an unknown tag is a newer kind of object, not an error
        # Without a discriminator the value must fit one variant entirely.
        best: list[str] | None = None
        for conv, _, _ in self.variants:
            found: list[str] = []
            conv.check(raw, where, found)
            if not found:
                return
            if best is None or len(found) < len(best):
                best = found
        out.append(f"{where}: matches none of the declared variants")
        out.extend(best or [])


def _fits(
    raw: dict[str, Any], required: Sequence[str], fixed: tuple[tuple[str, Sequence[Any]], ...]
) -> bool:
    """Whether `raw` has the required keys and no value contradicting a fixed one."""
    for key in required:
        if key not in raw:
            return False
    for key, values in fixed:
        if key in raw:
            value = raw[key]
            # By type too: JSON true is not the integer 1.
            if not any(type(value) is type(v) and value == v for v in values):
                return False
    return True


# One `UnlistedKind` subclass per set of variants, so that a value keeps its class through
# pickling and copying (equality compares classes).
_unlisted_models: dict[tuple[tuple[str, str, str], ...], type[UnlistedKind]] = {}


def _shared_fields_model(variants: Sequence[Converter]) -> type[UnlistedKind]:
    """The `UnlistedKind` of a union: the fields its object variants all declare alike (same
    name, wire name and type; required only where every variant requires it)."""
    refs = [conv for conv in variants if type(conv) is ModelRef]
    if not refs or len(refs) < len(variants):  # a kind that is not a model shares no fields
        return UnlistedKind
    key = tuple((ref.package, ref.module, ref.name) for ref in refs)
    found = _unlisted_models.get(key)
    if found is not None:
        return found
    first, *others = [{f.name: f for f in ref.cls._fields} for ref in refs]
    shared: dict[str, Any] = {"__slots__": (), "_variants": tuple(refs)}
    for name, field in first.items():
        alike = [fields.get(name) for fields in others]
        if all(
            f is not None and f.wire == field.wire and _same_type(f.convert, field.convert)
            for f in alike
        ):
            required = field.required and all(f is not None and f.required for f in alike)
            shared[name] = Field(
                field.wire, field.convert, required=required, doc=field.__doc__ or ""
            )
    made = type(UnlistedKind.__name__, (UnlistedKind,), shared)
    return _unlisted_models.setdefault(key, made)


def _unlisted_value(variants: tuple[ModelRef, ...], raw: dict[str, Any]) -> UnlistedKind:
    """An `UnlistedKind` value rebuilt by pickle or copy (see `UnlistedKind.__reduce__`)."""
    return _shared_fields_model(variants)._wrap(raw)


def _same_type(a: Converter, b: Converter) -> bool:
    """Whether two converters read a value alike (converters of equal types are not shared)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, Scalar) and isinstance(b, Scalar):
        return (a.label, a.kinds) == (b.label, b.kinds)
    if isinstance(a, ModelRef) and isinstance(b, ModelRef):
        return (a.module, a.name) == (b.module, b.name)
    if isinstance(a, ListOf) and isinstance(b, ListOf):
        return _same_type(a.item, b.item)
    if isinstance(a, MapOf) and isinstance(b, MapOf):
        return _same_type(a.value, b.value)
    if isinstance(a, Nullable) and isinstance(b, Nullable):
        return _same_type(a.inner, b.inner)
    return False


def _scalars_fit(conv: Converter, raw: Any) -> bool:
    """Whether the fields of `conv`'s model typed as plain JSON scalars hold values of those
    types: a cheap look at one level, not a full `check`."""
    if not isinstance(conv, ModelRef):
        return True
    for wire, scalar in conv.cls._scalars:
        value = raw.get(wire)
        if value is not None:
            found: list[str] = []
            scalar.check(value, "", found)
            if found:
                return False
    return True


def _uri_path(value: str) -> str:
    _, sep, rest = value.partition("://")
    return rest.partition("/")[2] if sep else value


if TYPE_CHECKING:

    class _Descriptor:
        __slots__ = ()

else:
    # Reads are the hot path of a stream, so at run time a field is a `property` whose getter
    # is a closure made for its kind of value: CPython calls it straight from the attribute
    # lookup, where a Python `__get__` costs a method lookup and a bound call on every read.
    # Type checkers see the plain descriptor below: its `__get__` types instance and class
    # reads, and a property base would make them match models against protocols by `fget`.
    _Descriptor = property
_property_init: Final[Callable[..., None]] = property.__init__


class Field(_Descriptor, Generic[T]):
    # A declared field of a model: reads the wire key and converts the value on access. The
    # class has no docstring so that each field's own `__doc__` (its type and description)
    # is what `help(Model)` shows.

    __slots__ = ("__doc__", "convert", "name", "required", "wire")

    def __init__(
        self, wire: str, convert: Converter = ANY, *, required: bool = False, doc: str = ""
    ) -> None:
        _property_init(self, self._reader(wire, convert), self._writer(wire))
        self.wire: str = wire
        self.convert: Converter = convert
        self.required: bool = required
        self.name: str = wire
        self.__doc__ = doc or None

    def _reader(self, wire: str, convert: Converter) -> Callable[[Model], Any]:
        """The getter: plain scalars come back as decoded, a nested model is wrapped in place,
        and only converters that look at the parent object get it."""
        missing = self._missing
        if convert is ANY or type(convert) is Scalar:

            def read_plain(obj: Model) -> Any:
                try:
                    return obj._raw[wire]
                except KeyError:
                    return missing(obj)

            return read_plain
        if type(convert) is ModelRef:
            ref = convert

            def read_model(obj: Model) -> Any:
                try:
                    raw = obj._raw[wire]
                except KeyError:
                    return missing(obj)
                if type(raw) is not dict and not isinstance(raw, dict):
                    return raw
                model = _new(ref._cls or ref.cls)  # ModelRef.load, inlined
                model._raw = raw
                return model

            return read_model
        if type(convert) is ListOf and type(convert.item) is ModelRef:
            item = convert.item

            def read_models(obj: Model) -> Any:
                try:
                    raw = obj._raw[wire]
                except KeyError:
                    return missing(obj)
                if type(raw) is not list and not isinstance(raw, list):
                    return raw
                return _wrap_each(item._cls or item.cls, raw)  # ListOf.load, inlined

            return read_models
        if type(convert).load_in is not Converter.load_in:
            load_in = convert.load_in

            def read_in_parent(obj: Model) -> Any:
                parent = obj._raw
                try:
                    raw = parent[wire]
                except KeyError:
                    return missing(obj)
                return None if raw is None else load_in(raw, parent)

            return read_in_parent
        load = convert.load

        def read_converted(obj: Model) -> Any:
            try:
                raw = obj._raw[wire]
            except KeyError:
                return missing(obj)
            return None if raw is None else load(raw)

        return read_converted

    @staticmethod
    def _writer(wire: str) -> Callable[[Model, Any], None]:
        def write(obj: Model, value: Any) -> None:
            obj._raw[wire] = dump(value)

        return write

    def _missing(self, obj: Model) -> None:
        """What reading an absent key gives: None, or for a required field, an error."""
        if self.required:
            raise AttributeError(
                f"{type(obj).__name__}.{self.name}: required field {self.wire!r} "
                "is missing from the data"
            )
        return None

    def __set_name__(self, owner: type[Model], name: str) -> None:
        self.name = name
        cast("property", self).fget.__name__ = name  # type: ignore[union-attr]  # as errors name it
        self.convert.bind(owner.__module__.rpartition(".")[0])
        # `from __future__ import annotations` keeps the declaration as text: "_m.Field[str]".
        declared = getattr(owner, "__annotations__", {}).get(name)
        if isinstance(declared, str) and declared.endswith("]") and "Field[" in declared:
            shown = declared.partition("Field[")[2][:-1]
            self.__doc__ = f"{shown}: {self.__doc__}" if self.__doc__ else shown

    def __repr__(self) -> str:
        return f"Field({self.wire!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # `property` cannot be pickled or copied; a field is rebuilt from what declares it.
        return (_field, (self.wire, self.convert, self.required, self.__doc__, self.name))

    if TYPE_CHECKING:  # at run time `property` does this in C, through the closures above

        @overload
        def __get__(self, obj: None, owner: type[Model], /) -> Field[T]: ...
        @overload
        def __get__(self, obj: Model, owner: type[Model], /) -> T: ...
        def __get__(self, obj: Model | None, owner: type[Model], /) -> Field[T] | T: ...
        def __set__(self, obj: Model, value: T, /) -> None: ...


class Model:
    """Base of every generated model: a typed view over one JSON object."""

    __slots__ = ("_raw", "_response")
    _fields: tuple[Field[Any], ...] = ()
    _scalars: tuple[tuple[str, Scalar], ...] = ()  # (wire, converter) of plain scalar fields
    # The spec's typed `additionalProperties` next to declared properties, if any.
    _extra: Converter = ANY
    _raw: dict[str, Any]
    _response: httpx.Response  # set on the top-level result of a call only

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = tuple(v for v in vars(cls).values() if isinstance(v, Field))
        inherited = tuple(f for f in cls._fields if f.name not in vars(cls))
        cls._fields = inherited + own
        cls._scalars = tuple(
            (f.wire, f.convert) for f in cls._fields if isinstance(f.convert, Scalar)
        )
        if "_extra" in vars(cls):
            cls._extra.bind(cls.__module__.rpartition(".")[0])

    def __init__(self, data: Mapping[str, Any] | None = None, /, **fields: Any) -> None:
        raw: dict[str, Any] = {k: dump(v) for k, v in (data or {}).items()}
        by_name = {f.name: f for f in type(self)._fields}
        for name, value in fields.items():
            field = by_name.get(name)
            if field is None:
                raise TypeError(f"{type(self).__name__} has no field {name!r}")
            if value is not None or field.required:
                raw[field.wire] = dump(value)
        self._raw = raw

    @classmethod
    def _wrap(cls: type[M], raw: dict[str, Any]) -> M:
        """Wrap decoded JSON without copying it (the response parsing path)."""
        obj = cls.__new__(cls)
        obj._raw = raw
        return obj

    @classmethod
    def from_dict(cls: type[M], data: Mapping[str, Any]) -> M:
        """Build a model from wire-named data (copied; unknown keys are kept)."""
        return cls._wrap(dict(data))

    def to_dict(self) -> dict[str, Any]:
        """The wire form (wire names, unknown fields included), as a copy: changing it leaves
        the model as it was."""
        return cast("dict[str, Any]", _copy(self._raw))

    def to_json(self, *, indent: int | None = None) -> str:
        """The wire form as JSON text, keys in the order they came in (compact by default)."""
        separators = (",", ":") if indent is None else (",", ": ")
        return json.dumps(self._raw, ensure_ascii=False, indent=indent, separators=separators)

    def validate(self: M) -> M:
        """Check the whole structure against the spec; raise ResponseValidationError if off."""
        problems: list[str] = []
        type(self)._check(self._raw, type(self).__name__, problems)
        if problems:
            raise ResponseValidationError(type(self).__name__, problems)
        return self

    @classmethod
    def _check(cls, raw: dict[str, Any], where: str, out: list[str]) -> None:
        for field in cls._fields:
            if field.wire not in raw:
                if field.required:
                    out.append(f"{where}.{field.wire}: required field is missing")
                continue
            value = raw[field.wire]
            if value is not None:
                field.convert.check(value, f"{where}.{field.wire}", out)
        if cls._extra is not ANY:
            known = {f.wire for f in cls._fields}
            for key, value in raw.items():
                if key not in known:
                    cls._extra.check(value, f"{where}.{key}", out)

    @property
    def http_response(self) -> httpx.Response | None:
        """The HTTP response this model was parsed from (top-level results of a call only)."""
        return getattr(self, "_response", None)

    @property
    def rate_limit(self) -> RateLimit | None:
        """The `x-rate-limit-*` headers of the response this result came in."""
        response = self.http_response
        if response is None:
            return None
        from ._exceptions import RateLimit

        return RateLimit.from_headers(response.headers)

    @property
    def extra_fields(self) -> dict[str, Any]:
        """Fields present in the data that the spec this client was built from does not declare
        (loaded as its `additionalProperties` say, when it types them)."""
        known = {f.wire for f in type(self)._fields}
        load = type(self)._extra.load
        return {k: load(v) for k, v in self._raw.items() if k not in known}

    def __getitem__(self, wire_name: str) -> Any:
        return self._raw[wire_name]

    def __contains__(self, wire_name: object) -> bool:
        return wire_name in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model):
            return NotImplemented
        return type(self) is type(other) and self._raw == other._raw

    __hash__: ClassVar[None] = None  # type: ignore[assignment]  # mutable view, like the dict it wraps

    def __repr__(self) -> str:
        # Bounded: a response can hold megabytes, and reprs land in logs and tracebacks.
        name = type(self).__name__
        parts: list[str] = []
        size = len(name) + 2
        for key, value in self._raw.items():
            part = f"{key}={_REPR.repr(value)}"
            size += len(part) + 2
            if size + len(", ...") > _REPR_MAX:
                parts.append("...")
                break
            parts.append(part)
        return f"{name}({', '.join(parts)})"


class UnlistedKind(Model):
    """A union's value of a kind the spec does not list (or data that fits none of its kinds).

    Each union reads its unlisted values through its own subclass holding the fields all its
    kinds share; reading a field of one kind only says why it is not there. (Only here: a
    `__getattr__` on `Model` would slow down every attribute read of every model.)
    """

    __slots__ = ()
    _variants: ClassVar[tuple[ModelRef, ...]] = ()  # of the union this class reads for

    def __reduce__(self) -> tuple[Any, ...]:
        # The class is made at run time, so pickle cannot find it by name: rebuild from the
        # union's variants instead (a top-level result keeps its response, as other models).
        response = getattr(self, "_response", None)
        state = None if response is None else (None, {"_response": response})
        return (_unlisted_value, (type(self)._variants, self._raw), state)

    if not TYPE_CHECKING:  # type checkers keep reporting unknown attributes

        def __getattr__(self, name: str) -> Any:
            # Only reached when normal lookup fails: for a shared field missing from the data,
            # or any private name, that lookup's own message is the one to give.
            if name.startswith("_") or any(f.name == name for f in type(self)._fields):
                return object.__getattribute__(self, name)
            raise AttributeError(
                f"{name!r}: this object is of a kind the spec does not list, so it has only the "
                f"fields all listed kinds share; read its data with [{name!r}] or .to_dict()"
            )


_REPR_MAX: Final = 200


class _BoundedRepr(reprlib.Repr):
    def repr_dict(self, x: dict[Any, Any], level: int) -> str:
        # reprlib sorts keys; the order the data came in is the one users recognise.
        if not x:
            return "{}"
        if level <= 0:
            return "{...}"
        items = [
            f"{self.repr1(k, level - 1)}: {self.repr1(v, level - 1)}"
            for k, v in itertools.islice(x.items(), self.maxdict)
        ]
        more = ", ..." if len(x) > self.maxdict else ""
        return "{" + ", ".join(items) + more + "}"


_REPR = _BoundedRepr()
_REPR.maxstring = 60
_REPR.maxother = 60
_REPR.maxlevel = 2
_REPR.maxlist = _REPR.maxdict = 4


def _copy(value: Any) -> Any:
    """A copy of decoded JSON down to its leaves (which are immutable, or file content)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def required(value: T | None, what: str) -> T:
    """`value`, which must not be None: narrows an optional field for the type checker.

    X omits fields it was not asked for, and a response with `errors` may lack `data`; this
    turns that into a `ResponseValidationError` naming `what` (say "post.data.text") instead
    of an `AttributeError` on None further on.
    """
    if value is None:
        raise ResponseValidationError(what, ["missing from the response"])
    return value


def dump(value: Any) -> Any:
    """The JSON form of a value a user passes in: models, mappings, sequences and datetimes."""
    if isinstance(value, Model):
        return value._raw
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if is_file(value):
        return value  # file content for a multipart body, sent as it is
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Mapping):
        return {str(k): dump(v) for k, v in value.items()}
    if isinstance(value, Sequence | set | frozenset):
        return [dump(v) for v in value]
    return value


def is_file(value: Any) -> bool:
    """Bytes, a readable file, or a `(filename, bytes_or_file, content_type)` file part."""
    return (
        isinstance(value, bytes | bytearray | memoryview)
        or hasattr(value, "read")
        or is_file_part(value)
    )


def is_file_part(value: Any) -> bool:
    """A `(filename, bytes_or_file, content_type)` tuple: a file with its name and type."""
    return (
        isinstance(value, tuple)
        and len(value) == 3
        and isinstance(value[0], str)
        and (isinstance(value[1], bytes | bytearray | memoryview) or hasattr(value[1], "read"))
        and isinstance(value[2], str | None)
    )


# Factories the generated code uses; short names keep generated modules small.
def ref(module: str, name: str) -> ModelRef:
    return ModelRef(module, name)


def alias(module: str, const: str) -> AliasRef:
    return AliasRef(module, const)


def _field(wire: str, convert: Converter, required: bool, doc: str | None, name: str) -> Field[Any]:
    """A field as `Field.__reduce__` describes it (its `__set_name__` has run already)."""
    field: Field[Any] = Field(wire, convert, required=required)
    field.name, field.__doc__ = name, doc
    return field


def one_of(
    *variants: Variant,
    discriminator: str | None = None,
    mapping: Mapping[str, ModelRef] | None = None,
    fallback: ModelRef | None = None,
) -> OneOf:
    return OneOf(variants, discriminator, mapping, fallback)
