"""Waiting for a guest to finish an ACPI shutdown, whatever the driver.

libvirt's virDomainShutdown only presses the power button and returns; whether the guest
answers is up to the guest.  ``Domain.shutdown(timeout=...)`` waits here for the answer.  The
connection's lifecycle events wake the wait the moment the domain stops, and a state check
every :data:`POLL_INTERVAL` seconds covers drivers (or links) that report no events, so the
wait never spins and never misses an event that came before it subscribed.
"""

from __future__ import annotations

import math
import threading
import time
from typing import TYPE_CHECKING

from pyvirt.errors import ErrorCode, ErrorDomain, InvalidArgumentError, NoDomainError, PyvirtError
from pyvirt.types import DomainEvent, DomainEventType, DomainState

if TYPE_CHECKING:
    from pyvirt.domain import Domain

POLL_INTERVAL = 0.5
"""Seconds between state checks while no event has come: cheap for a remote link, quick
enough for a person watching ``pyvirsh shutdown --timeout``."""

ENDING_EVENTS = frozenset({DomainEventType.STOPPED, DomainEventType.UNDEFINED})
"""Events after which the domain may be shut off (or gone, if it was transient)."""


def check_timeout(timeout: float | None) -> None:
    """Refuse a timeout that cannot be waited for, before the guest is asked anything."""
    if timeout is not None and not (math.isfinite(timeout) and timeout >= 0):
        raise InvalidArgumentError(f"invalid argument: shutdown timeout must be a finite number >= 0, not {timeout!r}")


def current_state(dom: Domain) -> DomainState:
    """The domain's state, a transient domain that has stopped (and so vanished) counting as
    shut off."""
    try:
        return DomainState(dom.state()[0])
    except NoDomainError:
        return DomainState.SHUTOFF


def timed_out(dom: Domain, timeout: float, state: DomainState) -> PyvirtError:
    """libvirt's VIR_ERR_OPERATION_TIMEOUT, saying what the guest is doing instead."""
    return PyvirtError(
        f"Timed out during operation: guest {dom.name} did not shut down within {timeout:g} s;"
        f" it is still {state.label}",
        code=ErrorCode.OPERATION_TIMEOUT,
        domain=ErrorDomain.DOM,
    )


def wait_shut_off(dom: Domain, timeout: float) -> None:
    """Return once ``dom`` is shut off; raise :func:`timed_out` after ``timeout`` seconds,
    leaving the guest as it is."""
    woken = threading.Event()

    def on_event(event: DomainEvent) -> None:
        if event.domain.uuid == dom.uuid and event.event in ENDING_EVENTS:
            woken.set()

    conn = dom.connection
    handle = conn.domain_event_register(on_event)
    try:
        deadline = time.monotonic() + timeout
        while True:
            woken.clear()  # before the check: an event from now on ends the next wait at once
            state = current_state(dom)
            if state == DomainState.SHUTOFF:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise timed_out(dom, timeout, state)
            woken.wait(min(POLL_INTERVAL, remaining))
    finally:
        conn.domain_event_deregister(handle)
