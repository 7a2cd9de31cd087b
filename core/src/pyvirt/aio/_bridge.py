"""Running pyvirt's synchronous call path on the event loop, suspending only at I/O.

The public objects (:class:`pyvirt.Connection`, :class:`pyvirt.Domain`...) and the remote
driver's mapping from each operation to its RPC call are synchronous code.  Rather than write
them all again as coroutines, :func:`run_sync` runs such code in a greenlet on the loop's own
thread: when the code reaches the wire, :func:`await_only` hands the awaitable of that I/O back
to :func:`run_sync`'s coroutine, which awaits it and resumes the greenlet with the result.  So a
call costs no thread, the loop runs other tasks while a reply is outstanding, and every check,
hook and conversion is the synchronous API's own.

Code run this way must not block in any other way (the remote driver does not); local drivers,
which do, keep running in worker threads (:mod:`pyvirt.aio._run`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

import greenlet  # type: ignore[import-untyped]  # (no stubs published)

P = ParamSpec("P")
T = TypeVar("T")


class _Bridged(greenlet.greenlet):  # type: ignore[misc]  # (an untyped base)
    """A greenlet started by :func:`run_sync`: its parent is the coroutine awaiting for it."""


async def run_sync(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn(*args, **kwargs)``, awaiting each awaitable it passes to :func:`await_only`."""
    worker = _Bridged(fn)
    step: Any = worker.switch(*args, **kwargs)
    while not worker.dead:
        try:
            value = await step
        except BaseException as exc:  # the I/O failed (or we were cancelled): raise it in the caller's frame
            step = worker.throw(exc)
        else:
            step = worker.switch(value)
    result: T = step
    return result


def await_only(awaitable: Awaitable[T]) -> T:
    """Wait for ``awaitable`` from code that :func:`run_sync` is running (the loop goes on meanwhile)."""
    current = greenlet.getcurrent()
    if not isinstance(current, _Bridged):
        close = getattr(awaitable, "close", None)
        if close is not None:
            close()  # a coroutine never awaited would warn
        raise RuntimeError("an asyncio connection was used outside pyvirt.aio (call it through the awaitable API)")
    result: T = current.parent.switch(awaitable)
    return result
