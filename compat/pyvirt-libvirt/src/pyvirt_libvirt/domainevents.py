"""Domain event callbacks of one connection, delivered through the registered event loop.

This is libvirt's ``virObjectEventState``: the first callback adds a disabled timer to the event
loop, a queued event arms it (timeout 0), the timer's run disarms it and calls the callbacks,
and removing the last callback removes the timer — so an event loop with no callbacks is idle,
which ``libvirtaio``'s ``is_idle()`` and its tests rely on.  pyvirt reports events in the
thread that caused them (or a remote connection's reader thread); they wait in the queue until
the loop runs, so callbacks always run in the event loop's thread, as with libvirt.

Callback IDs count from 0 per connection, as libvirt's per-driver list does.  pyvirt reports
lifecycle events only; callbacks for the other event IDs are accepted and never called.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyvirt_libvirt import eventloop
from pyvirt_libvirt.errors import VIR_ERR_INTERNAL_ERROR, VIR_ERR_INVALID_ARG, failure

if TYPE_CHECKING:
    from pyvirt.types import DomainEvent
    from pyvirt_libvirt.connect import virConnect

VIR_DOMAIN_EVENT_ID_LIFECYCLE = 0
VIR_DOMAIN_EVENT_ID_LAST = 26
VIR_FROM_DOMAIN = 20
VIR_FROM_NONE = 0


class _Callback:
    __slots__ = ("event_id", "func", "legacy", "opaque", "uuid")

    def __init__(self, event_id: int, uuid: str | None, func: Callable[..., Any], opaque: Any, legacy: bool) -> None:
        self.event_id = event_id
        self.uuid = uuid
        self.func = func
        self.opaque = opaque
        self.legacy = legacy


class EventState:
    """The domain event callbacks registered on one :class:`virConnect`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._callbacks: dict[int, _Callback] = {}
        self._next_id = 0
        self._timer = -1
        self._queue: deque[DomainEvent] = deque()
        self._subscription: int | None = None

    def register(
        self, conn: virConnect, event_id: int, uuid: str | None, func: Callable[..., Any], opaque: Any, legacy: bool
    ) -> int:
        if not 0 <= event_id < VIR_DOMAIN_EVENT_ID_LAST:
            raise failure(
                VIR_ERR_INVALID_ARG,
                VIR_FROM_DOMAIN,
                f"eventID in virConnectDomainEventRegisterAny must be less than {VIR_DOMAIN_EVENT_ID_LAST}",
            )
        with self._lock:
            if not self._callbacks and self._timer == -1:
                timer = eventloop.add_timeout(-1, self._flush, conn)
                if timer < 0:
                    raise failure(VIR_ERR_INTERNAL_ERROR, VIR_FROM_NONE, "could not initialize domain event timer")
                self._timer = timer
            callback_id = self._next_id
            self._next_id += 1
            self._callbacks[callback_id] = _Callback(event_id, uuid, func, opaque, legacy)
            subscribe = self._subscription is None
        if subscribe:
            self._subscription = conn._o.domain_event_register(self._queue_event)
        return callback_id

    def deregister(self, conn: virConnect, callback_id: int) -> None:
        with self._lock:
            if self._callbacks.pop(callback_id, None) is None:
                raise failure(
                    VIR_ERR_INVALID_ARG, VIR_FROM_NONE, f"could not find event callback {callback_id} for deletion"
                )
            self._drop_if_unused(conn)

    def deregister_legacy(self, conn: virConnect, func: Callable[..., Any]) -> None:
        """libvirt-python's: nothing registered the old way is no error, an unknown function
        among registered ones is its ``KeyError``."""
        with self._lock:
            legacy = {k: cb for k, cb in self._callbacks.items() if cb.legacy}
            found = [k for k, cb in legacy.items() if cb.func is func]
            if not legacy:
                return
            if not found:
                raise KeyError(func)
            del self._callbacks[found[0]]
            self._drop_if_unused(conn)

    def _drop_if_unused(self, conn: virConnect) -> None:
        if self._callbacks:
            return
        if self._timer != -1:
            eventloop.remove_timeout(self._timer)
            self._timer = -1
        self._queue.clear()
        if self._subscription is not None:
            conn._o.domain_event_deregister(self._subscription)
            self._subscription = None

    def _queue_event(self, event: DomainEvent) -> None:
        with self._lock:
            if self._timer == -1:
                return
            self._queue.append(event)
            timer = self._timer
        eventloop.update_timeout(timer, 0)

    def _flush(self, timer: int, conn: virConnect) -> None:
        with self._lock:
            if self._timer != -1:
                eventloop.update_timeout(self._timer, -1)
            events = list(self._queue)
            self._queue.clear()
        for event in events:
            self._dispatch(conn, event)

    def _dispatch(self, conn: virConnect, event: DomainEvent) -> None:
        from pyvirt_libvirt.domain import virDomain

        dom = None
        for cb in list(self._callbacks.values()):
            if cb.event_id != VIR_DOMAIN_EVENT_ID_LIFECYCLE or (cb.uuid is not None and cb.uuid != event.domain.uuid):
                continue
            if dom is None:
                dom = virDomain(conn, _domain(conn, event))
            cb.func(conn, dom, int(event.event), int(event.detail), cb.opaque)


def _domain(conn: virConnect, event: DomainEvent) -> Any:
    from pyvirt.domain import Domain

    return Domain(conn._o, event.domain)
