"""How a call of the synchronous API becomes an awaitable, per kind of driver.

Local drivers are blocking code (file writes, processes), so their calls run in the
connection's own thread pool (:class:`ThreadRunner`) while the event loop goes on; a small
pool per connection keeps one slow connection from starving the others.  The remote driver on
an asyncio stream never blocks: its calls run on the loop itself, suspended at each wire
round trip (:class:`~pyvirt.aio.remote.LoopRunner`).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

WORKERS = 4
"""Calls of one connection that may be in flight at once (the remote client pipelines them)."""


class Runner(Protocol):
    """Runs the synchronous API's callables of one connection without blocking the loop."""

    async def __call__(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T: ...

    async def aclose(self) -> None:
        """Release what the runner holds, once the connection is closed."""


class ThreadRunner:
    """Runs blocking callables of one connection in its worker threads."""

    def __init__(self, name: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix=f"pyvirt-aio {name}")

    async def __call__(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    async def aclose(self) -> None:
        """Finish the calls in flight, then stop the threads (waited for off the loop)."""
        await asyncio.get_running_loop().run_in_executor(None, functools.partial(self._pool.shutdown, wait=True))
