"""Iterating the pages of any operation that takes a page token and returns meta.next_token."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Generic, TypeVar

from ._pagination import Paged, _check_bound, _items, _next_token, _page_param, _Tokens
from ._wire import Operation

R_co = TypeVar("R_co", covariant=True)
T = TypeVar("T")


class AsyncPaginator(Generic[R_co]):
    """Pages of one operation: `(async) for page in ...`, or `.items()` for the `data` elements.

    `limit` bounds the pages requested, `max_items` the `data` elements: no page is requested
    once that many have arrived, and `.items()` stops there.
    """

    def __init__(
        self,
        method: Callable[..., Awaitable[R_co]],
        operations: Mapping[str, Operation],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        limit: int | None,
        max_items: int | None = None,
    ) -> None:
        self._method = method
        self._param = _page_param(method, operations)
        self._args = args
        self._kwargs = kwargs
        self._limit = _check_bound("limit", limit)
        self._max_items = _check_bound("max_items", max_items)

    async def __aiter__(self) -> AsyncIterator[R_co]:
        kwargs = dict(self._kwargs)
        tokens = _Tokens(self._method, kwargs.get(self._param))
        pages = items = 0
        if self._max_items == 0:
            return  # no item wanted: no page requested
        while self._limit is None or pages < self._limit:
            page = await self._method(*self._args, **kwargs)
            pages += 1
            items += len(_items(page))
            yield page
            token = _next_token(page)
            if token is None or (self._max_items is not None and items >= self._max_items):
                return
            tokens.check(token, page, pages)
            kwargs[self._param] = token

    async def items(self: AsyncPaginator[Paged[T]]) -> AsyncIterator[T]:
        left = self._max_items
        async for page in self:
            for item in _items(page):
                if left is not None and left <= 0:
                    return
                yield item
                if left is not None:
                    left -= 1
