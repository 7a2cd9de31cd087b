"""Delivery of domain lifecycle events to a connection's subscribers.

Drivers report events through the sink they were given at open; the connection fans each
event out to hook plugins, then to the callbacks registered on it, in registration order.
Callbacks run in the thread that reported the event (for the remote driver: its reader
thread), so they should be quick; a failing callback is logged and skipped.
"""

from __future__ import annotations

import _thread
import itertools
from collections.abc import Callable

from pyvirt.log import get_logger
from pyvirt.types import DomainEvent

log = get_logger("pyvirt.events")

DomainEventCallback = Callable[[DomainEvent], None]


class EventBus:
    """Subscribers of one connection."""

    def __init__(self) -> None:
        self._lock = _thread.allocate_lock()
        self._callbacks: dict[int, DomainEventCallback] = {}
        self._ids = itertools.count(1)
        self.on_event: Callable[[DomainEvent], None] | None = None

    def subscribe(self, callback: DomainEventCallback) -> int:
        """Add ``callback``; the returned handle unsubscribes it."""
        with self._lock:
            handle = next(self._ids)
            self._callbacks = {**self._callbacks, handle: callback}
        return handle

    def unsubscribe(self, handle: int) -> None:
        with self._lock:
            if handle not in self._callbacks:
                raise KeyError(handle)
            self._callbacks = {k: v for k, v in self._callbacks.items() if k != handle}

    def publish(self, event: DomainEvent) -> None:
        if self.on_event is not None:
            self.on_event(event)
        for callback in self._callbacks.values():
            try:
                callback(event)
            except Exception as exc:  # one subscriber's bug must not hide the event from others
                log.warning("event callback failed", callback=repr(callback), error=repr(exc))
