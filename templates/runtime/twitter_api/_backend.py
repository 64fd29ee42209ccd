"""Waiting and shielding: the two primitives whose sync and async spellings differ in more
than `async`/`await`, so `generator/unasync.py` maps each async name to its twin here.

The async ones run on any event loop anyio supports (asyncio, trio); anyio is loaded on first
use, so a sync client never imports it.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import anyio


def sleep(seconds: float) -> None:
    time.sleep(seconds)


async def sleep_async(seconds: float) -> None:
    import anyio

    await anyio.sleep(seconds)


def shielded() -> contextlib.nullcontext[None]:
    """A block whose clean-up runs to the end: nothing to shield from without an event loop."""
    return contextlib.nullcontext()


def shielded_async() -> anyio.CancelScope:
    """A block that cancellation does not interrupt, for closing what must be closed."""
    import anyio

    return anyio.CancelScope(shield=True)
