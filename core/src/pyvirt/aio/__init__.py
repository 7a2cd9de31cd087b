"""pyvirt's API for asyncio: the same calls, awaited; lifecycle events as an async iterator.

    import pyvirt.aio

    async with pyvirt.aio.open("test+unix:///default?socket=...") as conn:
        dom = await conn.lookup_domain_by_name("test")
        async with conn.lifecycle_events() as events:
            await dom.destroy()
            print(await anext(events))

Every call runs in a worker thread of its connection (the drivers, local or remote, are
blocking code), so the event loop never waits on a driver.  Errors are the synchronous API's.
"""

from __future__ import annotations

from pyvirt.aio.connection import AsyncConnection, Opening, open, open_read_only
from pyvirt.aio.events import LifecycleEvents
from pyvirt.aio.handles import AsyncDomain, AsyncNetwork, AsyncStoragePool, AsyncStorageVol

__all__ = [
    "AsyncConnection",
    "AsyncDomain",
    "AsyncNetwork",
    "AsyncStoragePool",
    "AsyncStorageVol",
    "LifecycleEvents",
    "Opening",
    "open",
    "open_read_only",
]
