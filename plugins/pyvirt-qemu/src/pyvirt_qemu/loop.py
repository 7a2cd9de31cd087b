"""The driver's own asyncio loop, on one daemon thread, shared by every monitor in the process.

``qemu.qmp`` is an asyncio library; the driver interface is synchronous.  Running the loop on a
thread the driver owns lets any caller thread submit a coroutine and wait for its result, lets
QMP events and process exits arrive while no call is in progress, and keeps the caller's own
event loop (if it has one) out of it.  The thread is a daemon: guests outlive the process, so
nothing on the loop must finish before exit.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

_T = TypeVar("_T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def loop() -> asyncio.AbstractEventLoop:
    """The running driver loop, started on first use."""
    global _loop
    if _loop is None:
        with _lock:
            if _loop is None:
                new = asyncio.new_event_loop()
                threading.Thread(target=new.run_forever, name="pyvirt-qemu-loop", daemon=True).start()
                _loop = new
    return _loop


def run(coro: Coroutine[Any, Any, _T], timeout: float) -> _T:
    """Run ``coro`` on the driver loop and wait at most ``timeout`` seconds for its result.

    Must not be called from the loop thread itself (it would wait for itself).
    """
    future = asyncio.run_coroutine_threadsafe(coro, loop())
    try:
        return future.result(timeout)
    except TimeoutError:
        future.cancel()
        raise
