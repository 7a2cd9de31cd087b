"""Lifecycle events as an async iterator.

The driver reports events in one of its threads; each is handed to the event loop with
``call_soon_threadsafe`` and queued, so ``async for event in conn.lifecycle_events()`` sees
them in order without the driver ever waiting on the loop.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

from pyvirt.connection import Connection
from pyvirt.types import DomainEvent


class LifecycleEvents:
    """Events of one connection from the moment this object is made until :meth:`aclose`.

    Use as ``async with conn.lifecycle_events() as events: async for event in events: ...``;
    leaving the ``async with`` (or calling :meth:`aclose`) stops the subscription, and the
    iteration then ends once the events queued before it are read.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[DomainEvent | None] = asyncio.Queue()
        self._handle: int | None = conn.domain_event_register(self._from_driver)

    def _from_driver(self, event: DomainEvent) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, event)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            pass

    def __aiter__(self) -> LifecycleEvents:
        return self

    async def __anext__(self) -> DomainEvent:
        event = await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        return event

    async def aclose(self) -> None:
        """Unsubscribe; an iteration in progress ends after the events already queued."""
        if self._handle is not None:
            self._conn.domain_event_deregister(self._handle)
            self._handle = None
            self._queue.put_nowait(None)

    async def __aenter__(self) -> LifecycleEvents:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
