"""The steps of an auth flow, which both drivers run (see `_flow`).

A flow is a generator (the shape httpx uses) that yields three kinds of step:

- an `httpx.Request`: the caller's request, sent as it is; its response is sent back unread
  (it may be a stream);
- a `TokenCall`: a request to an authorization server; the driver reads its body first;
- a `TakeLock`: the driver acquires the lock (blocking in a thread, polling in an event loop)
  and resumes the flow, which then owns it and releases it in a `finally`;
- a `StoreCall`: token store I/O (a file, Redis); the async driver runs it in a worker thread
  so a slow disk or network does not stall the event loop.

Only the drivers differ between sync and async; refresh logic is written once.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

import httpx

from ._store import StoreLock

__all__ = [
    "Flow",
    "FlowSource",
    "Step",
    "StoreCall",
    "SubFlow",
    "TakeLock",
    "TokenCall",
    "call",
    "in_store",
    "send",
    "store_io",
    "store_io_async",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TokenCall:
    request: httpx.Request


@dataclass(frozen=True, slots=True)
class TakeLock:
    lock: StoreLock


class StoreCall(Generic[T]):
    """`run` is the driver's to call (see `store_io`); the flow then reads `result`."""

    __slots__ = ("result", "run")

    def __init__(self, run: Callable[[], T]) -> None:
        self.run = run
        self.result: T


Step: TypeAlias = httpx.Request | TokenCall | TakeLock | StoreCall[Any]
Flow: TypeAlias = Generator[Step, httpx.Response | None, None]
# A part of a flow that produces a value: `value = yield from part(...)`.
SubFlow: TypeAlias = Generator[Step, httpx.Response | None, T]


def send(request: httpx.Request) -> SubFlow[httpx.Response]:
    """Send the caller's request; use as `response = yield from send(request)`."""
    return _exchange(request)


def call(request: httpx.Request) -> SubFlow[httpx.Response]:
    """Send a request to an authorization server and get its fully read response."""
    return _exchange(TokenCall(request))


def in_store(run: Callable[[], T]) -> SubFlow[T]:
    """Token store I/O within a flow: `token = yield from in_store(store.load)`."""
    step = StoreCall(run)
    yield step
    return step.result


def store_io(run: Callable[[], T]) -> T:
    """Token store I/O from sync code: in the calling thread."""
    return run()


async def store_io_async(run: Callable[[], T]) -> T:
    """Token store I/O from async code: in a worker thread, so the event loop keeps running.

    Not abandoned when the task is cancelled: a save completes (or fails) whole.
    """
    import anyio.to_thread  # loaded by async code only

    return await anyio.to_thread.run_sync(run)


def _exchange(step: httpx.Request | TokenCall) -> SubFlow[httpx.Response]:
    response = yield step
    if response is None:  # only a driver bug could cause this
        raise RuntimeError("auth flow resumed without a response")
    return response


class FlowSource(httpx.Auth):
    """An httpx.Auth whose subclasses implement `flow()` once for both clients."""

    # The request may be sent twice (after a refresh on 401), so its body must be replayable.
    requires_request_body = True

    def flow(self, request: httpx.Request) -> Flow:
        raise NotImplementedError
