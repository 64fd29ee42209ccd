"""Iterating the pages of any operation that takes a page token and returns meta.next_token."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Generic, TypeVar

from ._pagination import _items, _next_token, _page_param, _Tokens
from ._wire import Operation

P = TypeVar("P")


class AsyncPaginator(Generic[P]):
    """Pages of one operation: `(async) for page in ...`, or `.items()` for the `data` elements."""

    def __init__(
        self,
        method: Callable[..., Awaitable[P]],
        operations: dict[str, Operation],
        kwargs: dict[str, Any],
        limit: int | None,
    ) -> None:
        self._method = method
        self._param = _page_param(method, operations)
        self._kwargs = kwargs
        self._limit = limit

    async def __aiter__(self) -> AsyncIterator[P]:
        kwargs = dict(self._kwargs)
        tokens = _Tokens(self._method, kwargs.get(self._param))
        pages = 0
        while self._limit is None or pages < self._limit:
            page = await self._method(**kwargs)
            pages += 1
            yield page
            token = _next_token(page)
            if token is None:
                return
            tokens.check(token, page, pages)
            kwargs[self._param] = token

    async def items(self) -> AsyncIterator[Any]:
        async for page in self:
            for item in _items(page):
                yield item
