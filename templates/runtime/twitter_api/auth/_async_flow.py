"""The driver of an auth flow, written for httpx's async client; the sync one is derived."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import httpx

from ._flow_steps import FlowSource, StoreCall, TakeLock, TokenCall, store_io_async
from ._rfc6749 import undecodable_response


class AsyncFlowDriver(FlowSource):
    """Runs `flow()` for one kind of httpx client (async: neither the lock nor the token
    store blocks the loop)."""

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
                elif isinstance(step, StoreCall):
                    step.result = await store_io_async(step.run)
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
