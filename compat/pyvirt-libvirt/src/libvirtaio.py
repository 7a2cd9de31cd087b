"""pyvirt-libvirt's ``libvirtaio``: libvirt's event loop run by an asyncio loop.

The contract is libvirt-python's: ``virEventRegisterAsyncIOImpl(loop=None)`` registers an
implementation (through ``libvirt.virEventRegisterImpl``) and returns it, ``getCurrentImpl()``
gives the last one registered; the implementation's ``is_idle()`` is true when no watch or
timer is registered and every removed one has had its free callback run, and ``await
drain()`` waits for that.

Watches become ``loop.add_reader``/``add_writer``, timers ``call_soon``/``call_later`` handles.
libvirt may add or change them from another thread (a remote connection's reader); such calls
are handed to the loop with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Callable
from typing import Any

import libvirt

__all__ = ["getCurrentImpl", "virEventAsyncIOImpl", "virEventRegisterAsyncIOImpl"]

_READABLE = 1  # VIR_EVENT_HANDLE_READABLE
_WRITABLE = 2  # VIR_EVENT_HANDLE_WRITABLE


class _Watch:
    __slots__ = ("callback", "events", "fd", "opaque")

    def __init__(self, fd: int, events: int, callback: Callable[[int, int, int, Any], Any], opaque: Any) -> None:
        self.fd = fd
        self.events = events
        self.callback = callback
        self.opaque = opaque


class _Timer:
    __slots__ = ("callback", "handle", "opaque", "timeout")

    def __init__(self, timeout: int, callback: Callable[[int, Any], Any], opaque: Any) -> None:
        self.timeout = timeout
        self.callback = callback
        self.opaque = opaque
        self.handle: asyncio.Handle | None = None


class virEventAsyncIOImpl:
    """libvirt's six event functions over one asyncio loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.loop = loop if loop is not None else _current_loop()
        self._ids = itertools.count(1)
        self._watches: dict[int, _Watch] = {}
        self._timers: dict[int, _Timer] = {}
        self._unfreed = 0
        self._idle: asyncio.Event | None = None

    def __repr__(self) -> str:
        return f"<virEventAsyncIOImpl watches={len(self._watches)} timers={len(self._timers)} unfreed={self._unfreed}>"

    def register(self) -> virEventAsyncIOImpl:
        libvirt.virEventRegisterImpl(
            self._add_handle,
            self._update_handle,
            self._remove_handle,
            self._add_timeout,
            self._update_timeout,
            self._remove_timeout,
        )
        return self

    def is_idle(self) -> bool:
        return not self._watches and not self._timers and self._unfreed == 0

    async def drain(self) -> None:
        while self._unfreed:
            if self._idle is None:
                self._idle = asyncio.Event()
            await self._idle.wait()

    # -- running on the loop's thread ---------------------------------------------------

    def _on_loop(self, func: Callable[..., Any], *args: Any) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            func(*args)
        else:
            self.loop.call_soon_threadsafe(func, *args)

    def _release(self, opaque: Any) -> None:
        """Run the free callback of a removed watch or timer, later on the loop (libvirt may be
        inside one of its own locks when it removes)."""

        def free() -> None:
            try:
                libvirt.virEventInvokeFreeCallback(opaque)
            finally:
                self._unfreed -= 1
                if self._unfreed == 0 and self._idle is not None:
                    self._idle.set()
                    self._idle = None

        self.loop.call_soon_threadsafe(free)

    # -- watches ------------------------------------------------------------------------

    def _add_handle(self, fd: int, event: int, cb: Callable[[int, int, int, Any], Any], opaque: Any) -> int:
        watch = next(self._ids)
        self._watches[watch] = _Watch(fd, event, cb, opaque)
        self._unfreed += 1
        self._on_loop(self._watch_fd, fd)
        return watch

    def _update_handle(self, watch: int, event: int) -> None:
        found = self._watches.get(watch)
        if found is not None:
            found.events = event
            self._on_loop(self._watch_fd, found.fd)

    def _remove_handle(self, watch: int) -> int:
        found = self._watches.pop(watch, None)
        if found is None:
            return -1
        self._on_loop(self._watch_fd, found.fd)
        self._release(found.opaque)
        return 0

    def _watch_fd(self, fd: int) -> None:
        """Make the loop watch ``fd`` for what the watches on it want, and nothing more."""
        wanted = 0
        for w in self._watches.values():
            if w.fd == fd:
                wanted |= w.events
        if wanted & _READABLE:
            self.loop.add_reader(fd, self._dispatch_fd, fd, _READABLE)
        else:
            self.loop.remove_reader(fd)
        if wanted & _WRITABLE:
            self.loop.add_writer(fd, self._dispatch_fd, fd, _WRITABLE)
        else:
            self.loop.remove_writer(fd)

    def _dispatch_fd(self, fd: int, event: int) -> None:
        for watch, w in list(self._watches.items()):
            if w.fd == fd and w.events & event:
                w.callback(watch, fd, event, w.opaque)

    # -- timers -------------------------------------------------------------------------

    def _add_timeout(self, timeout: int, cb: Callable[[int, Any], Any], opaque: Any) -> int:
        timer = next(self._ids)
        self._timers[timer] = _Timer(timeout, cb, opaque)
        self._unfreed += 1
        self._on_loop(self._arm, timer)
        return timer

    def _update_timeout(self, timer: int, timeout: int) -> None:
        found = self._timers.get(timer)
        if found is not None:
            found.timeout = timeout
            self._on_loop(self._arm, timer)

    def _remove_timeout(self, timer: int) -> int:
        found = self._timers.pop(timer, None)
        if found is None:
            return -1
        self._on_loop(self._disarm, found)
        self._release(found.opaque)
        return 0

    def _disarm(self, t: _Timer) -> None:
        if t.handle is not None:
            t.handle.cancel()
            t.handle = None

    def _arm(self, timer: int) -> None:
        """(Re)schedule a timer: -1 off, 0 at the loop's next turn, n after n ms."""
        t = self._timers.get(timer)
        if t is None:
            return
        self._disarm(t)
        if t.timeout == 0:
            t.handle = self.loop.call_soon(self._fire, timer)
        elif t.timeout > 0:
            t.handle = self.loop.call_later(t.timeout / 1000, self._fire, timer)

    def _fire(self, timer: int) -> None:
        t = self._timers.get(timer)
        if t is None:
            return
        t.handle = None
        t.callback(timer, t.opaque)
        if t.handle is None and self._timers.get(timer) is t:
            self._arm(timer)  # periodic until libvirt changes or removes it


def _current_loop() -> asyncio.AbstractEventLoop:
    """The running loop, else the thread's set loop (as libvirt-python's implementation takes)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    if threading.current_thread() is threading.main_thread():
        return asyncio.get_event_loop_policy().get_event_loop()
    raise RuntimeError("libvirtaio: no event loop; pass one to virEventRegisterAsyncIOImpl")


_current_impl: virEventAsyncIOImpl | None = None


def getCurrentImpl() -> virEventAsyncIOImpl | None:
    """The implementation last registered by :func:`virEventRegisterAsyncIOImpl`, or None."""
    return _current_impl


def virEventRegisterAsyncIOImpl(loop: asyncio.AbstractEventLoop | None = None) -> virEventAsyncIOImpl:
    """Dispatch libvirt's callbacks from ``loop`` (default: the running or current loop)."""
    global _current_impl
    _current_impl = virEventAsyncIOImpl(loop).register()
    return _current_impl
