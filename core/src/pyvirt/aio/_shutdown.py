"""The awaitable form of ``Domain.shutdown(timeout=...)``'s wait.

The synchronous wait blocks its thread, which under the asyncio remote driver is the event
loop's own; so here the same rule (lifecycle events wake the wait, a state check every
:data:`~pyvirt.shutdown_wait.POLL_INTERVAL` seconds covers drivers without events) runs as a
coroutine: the driver's event is handed to the loop, and the state is asked through the
connection's runner like any other call.
"""

from __future__ import annotations

import asyncio

from pyvirt.aio._run import Runner
from pyvirt.domain import Domain
from pyvirt.shutdown_wait import ENDING_EVENTS, POLL_INTERVAL, current_state, timed_out
from pyvirt.types import DomainEvent, DomainState


async def wait_shut_off(dom: Domain, timeout: float, run: Runner) -> None:
    """Return once ``dom`` is shut off; raise the timeout error after ``timeout`` seconds,
    leaving the guest as it is."""
    loop = asyncio.get_running_loop()
    woken = asyncio.Event()

    def on_event(event: DomainEvent) -> None:  # in the driver's thread, or the loop's
        if event.domain.uuid == dom.uuid and event.event in ENDING_EVENTS:
            try:
                loop.call_soon_threadsafe(woken.set)
            except RuntimeError:  # the loop is closed: nobody is waiting any more
                pass

    conn = dom.connection
    handle = conn.domain_event_register(on_event)
    try:
        deadline = loop.time() + timeout
        while True:
            woken.clear()
            state = await run(current_state, dom)
            if state == DomainState.SHUTOFF:
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise timed_out(dom, timeout, state)
            try:
                await asyncio.wait_for(woken.wait(), min(POLL_INTERVAL, remaining))
            except TimeoutError:
                pass
    finally:
        conn.domain_event_deregister(handle)
