"""What both paginators share: which parameter takes the page token, reading next_token.

A `next_token` already seen in the same iteration would loop forever: it ends the iteration
with an APIResponseError instead. The iterators are in `_async_pagination` and its derived
sync twin.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from ._exceptions import APIError, APIResponseError
from ._models import Model
from ._wire import Operation

T_co = TypeVar("T_co", covariant=True)


class _Reads(Protocol[T_co]):
    """A descriptor that reads a `T_co` from a model: a model's declared `Field`."""

    def __get__(self, obj: Model, owner: Any, /) -> T_co: ...


class Paged(Protocol[T_co]):
    """A page of results: what `.items()` of a paginator reads its elements from."""

    # mypy matches a model against this with its fields read (a list); pyright with their
    # declared descriptor type (a Field), which only `_Reads` describes.
    @property
    def data(self) -> Sequence[T_co] | _Reads[Sequence[T_co] | None] | None: ...


def _check_bound(name: str, value: int | None) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError(f"paginate: {name} must be a whole number of 0 or more, not {value!r}")
    return value


def _page_param(method: Callable[..., Any], operations: Mapping[str, Operation]) -> str:
    name = getattr(method, "__name__", "")
    op = operations.get(name)
    if op is None or op.paginated_by is None:
        raise TypeError(f"{name or repr(method)} is not a paginated operation of this client")
    return op.paginated_by


def _next_token(page: Any) -> str | None:
    raw = page.to_dict() if hasattr(page, "to_dict") else page
    meta = raw.get("meta") if isinstance(raw, dict) else None
    token = meta.get("next_token") if isinstance(meta, dict) else None
    return token if isinstance(token, str) and token else None


class _Tokens:
    """The page tokens one iteration has used, to refuse a token that comes back."""

    __slots__ = ("_name", "_seen")

    def __init__(self, method: Callable[..., Any], first: Any) -> None:
        self._name = getattr(method, "__name__", repr(method))
        # A token the caller started from counts as seen: coming back to it is a loop too.
        self._seen: set[str] = {first} if isinstance(first, str) else set()

    def check(self, token: str, page: Any, pages: int) -> None:
        if token in self._seen:
            message = (
                f"{self._name}: page {pages} returned next_token {token!r}, which this iteration "
                "already requested; stopping instead of requesting the same pages again"
            )
            response = getattr(page, "http_response", None)
            if response is None:
                raise APIError(message)
            raise APIResponseError(message, response=response)
        self._seen.add(token)


def _items(page: Any) -> list[Any]:
    data = getattr(page, "data", None)
    return list(data) if isinstance(data, list) else []
