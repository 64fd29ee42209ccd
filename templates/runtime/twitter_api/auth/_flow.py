"""One auth flow, two drivers: the sync and async paths share every decision.

A flow is a generator (the shape httpx uses) that yields three kinds of step:

- an `httpx.Request`: the caller's request, sent as it is; its response is sent back unread
  (it may be a stream);
- a `TokenCall`: a request to an authorization server; the driver reads its body first;
- a `TakeLock`: the driver acquires the lock (blocking in a thread, polling in an event loop)
  and resumes the flow, which then owns it and releases it in a `finally`.

Only the drivers differ between sync and async; refresh logic is written once.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass
from typing import TypeAlias, TypeVar

import httpx

from ._rfc6749 import undecodable_response
from ._store import StoreLock

__all__ = ["Flow", "FlowAuth", "Step", "SubFlow", "TakeLock", "TokenCall", "call", "send"]


@dataclass(frozen=True, slots=True)
class TokenCall:
    request: httpx.Request


@dataclass(frozen=True, slots=True)
class TakeLock:
    lock: StoreLock


Step: TypeAlias = httpx.Request | TokenCall | TakeLock
Flow: TypeAlias = Generator[Step, httpx.Response | None, None]
T = TypeVar("T")
# A part of a flow that produces a value: `value = yield from part(...)`.
SubFlow: TypeAlias = Generator[Step, httpx.Response | None, T]


def send(request: httpx.Request) -> SubFlow[httpx.Response]:
    """Send the caller's request; use as `response = yield from send(request)`."""
    return _exchange(request)


def call(request: httpx.Request) -> SubFlow[httpx.Response]:
    """Send a request to an authorization server and get its fully read response."""
    return _exchange(TokenCall(request))


def _exchange(step: httpx.Request | TokenCall) -> SubFlow[httpx.Response]:
    response = yield step
    if response is None:  # only a driver bug could cause this
        raise RuntimeError("auth flow resumed without a response")
    return response


class FlowAuth(httpx.Auth):
    """An httpx.Auth whose subclasses implement `flow()` once for both clients."""

    # The request may be sent twice (after a refresh on 401), so its body must be replayable.
    requires_request_body = True

    def flow(self, request: httpx.Request) -> Flow:
        raise NotImplementedError

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        request.read()
        flow = self.flow(request)
        try:
            step = next(flow)
            while True:
                reply: httpx.Response | None = None
                if isinstance(step, TakeLock):
                    step.lock.acquire()
                elif isinstance(step, TokenCall):
                    reply = yield step.request
                    try:
                        reply.read()
                    except httpx.DecodingError as exc:
                        raise undecodable_response(reply) from exc
                else:
                    reply = yield step
                step = flow.send(reply)
        except StopIteration:
            return
        finally:
            flow.close()

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        await request.aread()
        flow = self.flow(request)
        try:
            step = next(flow)
            while True:
                reply: httpx.Response | None = None
                if isinstance(step, TakeLock):
                    await step.lock.acquire_async()
                elif isinstance(step, TokenCall):
                    reply = yield step.request
                    try:
                        await reply.aread()
                    except httpx.DecodingError as exc:
                        raise undecodable_response(reply) from exc
                else:
                    reply = yield step
                step = flow.send(reply)
        except StopIteration:
            return
        finally:
            flow.close()
