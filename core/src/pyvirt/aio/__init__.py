"""pyvirt's API for asyncio: the same calls, awaited; lifecycle events as an async iterator.

    import pyvirt.aio

    async with pyvirt.aio.open("test+unix:///default?socket=...") as conn:
        dom = await conn.lookup_domain_by_name("test")
        async with conn.lifecycle_events() as events:
            await dom.destroy()
            print(await anext(events))

Remote URIs over unix, tcp and tls are asyncio-native (:mod:`pyvirt.aio.remote`): the socket
is an asyncio transport, events and keepalive are tasks, and each call runs the synchronous
API's own code on the loop, suspended at the wire (:mod:`pyvirt.aio._bridge`), so no thread is
involved.  Local drivers (blocking code), and the ssh and ext transports, run each call in a
worker thread of the connection.  Either way the event loop never waits on a driver, and the
errors, checks and hooks are the synchronous API's.
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
