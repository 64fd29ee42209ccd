"""Operation methods and tables loaded on first use, so a client of any size starts fast.

The generated `_api` package holds the operations in groups, one module each: the `Operation`
records and a `SyncMethods` and an `AsyncMethods` class with their methods. `Client` and
`AsyncClient` inherit every group's class for type checkers only; at run time the first access
to an operation's name (on the class or an instance, `hasattr`, `getattr`, `dir`, `help`)
imports its group and copies that group's functions onto the client class, so later calls
find them as ordinary methods at ordinary cost.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Mapping
from types import FunctionType
from typing import TYPE_CHECKING, Any, ClassVar, Final, cast

from ._wire import Operation

# The generated package of operation groups, one module each.
API_PACKAGE: Final = __name__.rpartition(".")[0] + "._api"


def _owner(cls: type) -> type[LazyClient] | None:
    """The class in `cls`'s hierarchy that declares the method groups (the generated client)."""
    found = next((k for k in cls.__mro__ if "_method_groups" in k.__dict__), None)
    return cast("type[LazyClient] | None", found)


def _install(cls: type, name: str, obj: object) -> Any:
    """Load the group defining method `name` onto its client class, and return the function."""
    owner = _owner(cls)
    group = owner._method_groups.get(name) if owner is not None else None
    if owner is None or group is None:
        shown = f"type object {cls.__name__!r}" if obj is cls else f"{cls.__name__!r} object"
        raise AttributeError(f"{shown} has no attribute {name!r}", name=name, obj=obj)
    module = importlib.import_module(f"{API_PACKAGE}.{group}")
    home: type = getattr(module, owner._methods_class)
    for key, value in vars(home).items():
        if isinstance(value, FunctionType) and key not in owner.__dict__:
            value.__qualname__ = f"{owner.__qualname__}.{key}"
            setattr(owner, key, value)
    return owner.__dict__[name]


class LazyMethods(type):
    """Metaclass of the generated clients: operation methods come from their group module."""

    def __init__(
        cls, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> None:
        super().__init__(name, bases, namespace, **kwargs)
        # A subclass overriding an operation may call `super().<op>()`, which looks in the
        # client's own namespace only: the groups of overridden operations load now.
        owner = _owner(cls)
        if owner is not None and "_method_groups" not in namespace:
            for key in namespace:
                if key in owner._method_groups and key not in owner.__dict__:
                    _install(owner, key, owner)

    # Hidden from type checkers: they see every method through the group classes, and a name
    # that is not there stays an error rather than a silent Any.
    if not TYPE_CHECKING:

        def __getattr__(cls, name: str) -> Any:
            return _install(cls, name, cls)

        def __dir__(cls) -> list[str]:
            owner = _owner(cls)
            return sorted({*type.__dir__(cls), *getattr(owner, "_method_groups", ())})


class LazyClient(metaclass=LazyMethods):
    """Base of the generated clients: the instance side of `LazyMethods`."""

    __slots__ = ()

    # Set by the generated client: method name -> its group module in `API_PACKAGE`, and the
    # class of that module holding the methods ("SyncMethods" or "AsyncMethods").
    _method_groups: ClassVar[Mapping[str, str]]
    _methods_class: ClassVar[str]

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            return _install(type(self), name, self).__get__(self, type(self))

        def __dir__(self) -> list[str]:
            return sorted({*object.__dir__(self), *getattr(self, "_method_groups", ())})


class OperationTable(Mapping[str, Operation]):
    """Method name -> `Operation`, importing a group's module only when one of it is read."""

    __slots__ = ("_groups",)

    def __init__(self, groups: Mapping[str, str]) -> None:
        self._groups = groups

    def __getitem__(self, name: str) -> Operation:
        group = self._groups[name]
        table: Mapping[str, Operation] = importlib.import_module(f"{API_PACKAGE}.{group}").by_method
        return table[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._groups)

    def __len__(self) -> int:
        return len(self._groups)

    def method_of(self, op: Operation) -> str | None:
        """The method name of `op`, looked up in the groups already loaded (its own is)."""
        for group in sorted(set(self._groups.values())):
            module = sys.modules.get(f"{API_PACKAGE}.{group}")
            table: Mapping[str, Operation] = getattr(module, "by_method", {})
            for name, found in table.items():
                if found is op:
                    return name
        return None
