"""Lifecycle events as an async iterator.

The driver reports events in one of its threads; each is handed to the event loop with
``call_soon_threadsafe`` and queued, so ``async for event in conn.lifecycle_events()`` sees
them in order without the driver ever waiting on the loop.  The end of the connection's link
comes the same way, after the events that arrived before it, so an iteration in progress
never outlives the connection: it raises :class:`~pyvirt.errors.ConnectionLostError` when the
link was lost, and simply ends when the application closed the connection.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

from pyvirt.connection import Connection
from pyvirt.errors import ConnectionLostError, ErrorCode, ErrorDomain
from pyvirt.types import CloseReason, DomainEvent

_WHY = {
    CloseReason.ERROR: "I/O error",
    CloseReason.EOF: "end of file",
    CloseReason.KEEPALIVE: "keepalive timeout",
}


class LifecycleEvents:
    """Events of one connection from the moment this object is made until :meth:`aclose`.

    Use as ``async with conn.lifecycle_events() as events: async for event in events: ...``;
    leaving the ``async with`` (or calling :meth:`aclose`) stops the subscription, and the
    iteration then ends once the events queued before it are read.  When the connection's
    link ends, the iteration ends too once the events before it are read: with
    ``ConnectionLostError`` if the link was lost, quietly if the connection was closed.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[DomainEvent | CloseReason | None] = asyncio.Queue()
        self._handle: int | None = conn.domain_event_register(self._post)
        conn._watch_close(self._post)

    def _post(self, item: DomainEvent | CloseReason) -> None:
        """From the driver's thread (or the loop's own, for the asyncio remote driver)."""
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            pass

    def __aiter__(self) -> LifecycleEvents:
        return self

    async def __anext__(self) -> DomainEvent:
        item = await self._queue.get()
        if item is None:
            raise StopAsyncIteration
        if isinstance(item, CloseReason):
            self._queue.put_nowait(item)  # the end stays the end for every later call
            if item is CloseReason.CLIENT:
                raise StopAsyncIteration
            raise ConnectionLostError(
                f"connection lost to {self._conn.uri}: no more events ({_WHY[item]})",
                code=ErrorCode.SYSTEM_ERROR,
                domain=ErrorDomain.RPC,
            )
        return item

    async def aclose(self) -> None:
        """Unsubscribe; an iteration in progress ends after the events already queued."""
        if self._handle is not None:
            self._conn.domain_event_deregister(self._handle)
            self._conn._unwatch_close(self._post)
            self._handle = None
            self._queue.put_nowait(None)

    async def __aenter__(self) -> LifecycleEvents:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
