"""How a blocking call becomes an awaitable: it runs in a worker thread, never on the loop.

Every driver call may block (a socket round trip, a file write), so each runs in the
connection's own thread pool while the event loop goes on.  A small pool per connection keeps
one slow connection from starving the others, and closing the connection ends its threads.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

WORKERS = 4
"""Calls of one connection that may be in flight at once (the remote client pipelines them)."""


class Runner:
    """Runs blocking callables of one connection in its worker threads."""

    def __init__(self, name: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix=f"pyvirt-aio {name}")

    async def __call__(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def shutdown(self) -> None:
        """Finish the calls in flight, then stop the threads (call from a worker or after the loop)."""
        self._pool.shutdown(wait=True)
