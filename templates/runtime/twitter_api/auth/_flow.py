"""One auth flow, two drivers: the sync and async paths share every decision.

A flow (`_flow_steps`) is a generator of steps; the async driver is written in `_async_flow`
and the sync one derived from it, so the refresh logic and its I/O are each written once.
"""

from __future__ import annotations

from ._async_flow import AsyncFlowDriver
from ._flow_steps import (
    Flow,
    Step,
    StoreCall,
    SubFlow,
    TakeLock,
    TokenCall,
    call,
    in_store,
    send,
    store_io,
    store_io_async,
)
from ._sync_flow import SyncFlowDriver

__all__ = [
    "Flow",
    "FlowAuth",
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


class FlowAuth(SyncFlowDriver, AsyncFlowDriver):
    """An httpx.Auth whose subclasses implement `flow()` once for both clients."""
