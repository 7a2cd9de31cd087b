"""libvirt's built-in event loop (``virEventRegisterDefaultImpl``), loaded only when a program
asks for it."""

from __future__ import annotations

import itertools
import os
import select
import threading
import time
from typing import Any, NamedTuple

from pyvirt_libvirt.eventloop import HandleCallback, Impl, TimeoutCallback, invoke_free

VIR_EVENT_HANDLE_READABLE = 1
VIR_EVENT_HANDLE_WRITABLE = 2
VIR_EVENT_HANDLE_ERROR = 4
VIR_EVENT_HANDLE_HANGUP = 8


class _Watch(NamedTuple):
    fd: int
    events: int
    callback: HandleCallback
    opaque: Any


class _Timer(NamedTuple):
    interval: int
    due: float
    callback: TimeoutCallback
    opaque: Any


class DefaultLoop:
    """libvirt's built-in loop (virEventRegisterDefaultImpl): poll over the watched descriptors,
    sleeping until the nearest timer.  Any thread may add or change a watch or timer; a byte on
    a private pipe wakes a poll in progress so the change takes effect at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._watches: dict[int, _Watch] = {}
        self._timers: dict[int, _Timer] = {}
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)

    def impl(self) -> Impl:
        return Impl(
            self.add_handle,
            self.update_handle,
            self.remove_handle,
            self.add_timeout,
            self.update_timeout,
            self.remove_timeout,
        )

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"\0")
        except BlockingIOError:
            pass  # a wake-up is already pending

    def add_handle(self, fd: int, events: int, callback: HandleCallback, opaque: Any) -> int:
        with self._lock:
            watch = next(self._ids)
            self._watches[watch] = _Watch(fd, events, callback, opaque)
        self._wake()
        return watch

    def update_handle(self, watch: int, events: int) -> None:
        with self._lock:
            found = self._watches.get(watch)
            if found is not None:
                self._watches[watch] = found._replace(events=events)
        self._wake()

    def remove_handle(self, watch: int) -> int:
        with self._lock:
            found = self._watches.pop(watch, None)
        if found is None:
            return -1
        invoke_free(found.opaque)
        self._wake()
        return 0

    def add_timeout(self, timeout: int, callback: TimeoutCallback, opaque: Any) -> int:
        with self._lock:
            timer = next(self._ids)
            self._timers[timer] = _Timer(timeout, time.monotonic() + max(timeout, 0) / 1000, callback, opaque)
        self._wake()
        return timer

    def update_timeout(self, timer: int, timeout: int) -> None:
        with self._lock:
            found = self._timers.get(timer)
            if found is not None:
                due = time.monotonic() + max(timeout, 0) / 1000
                self._timers[timer] = found._replace(interval=timeout, due=due)
        self._wake()

    def remove_timeout(self, timer: int) -> int:
        with self._lock:
            found = self._timers.pop(timer, None)
        if found is None:
            return -1
        invoke_free(found.opaque)
        self._wake()
        return 0

    def run_once(self) -> None:
        """One iteration of virEventRunDefaultImpl: wait for the first event, dispatch them."""
        with self._lock:
            watches = dict(self._watches)
            armed = [t.due for t in self._timers.values() if t.interval >= 0]
        poller = select.poll()
        poller.register(self._wake_r, select.POLLIN)
        for w in watches.values():
            mask = (select.POLLIN if w.events & VIR_EVENT_HANDLE_READABLE else 0) | (
                select.POLLOUT if w.events & VIR_EVENT_HANDLE_WRITABLE else 0
            )
            if mask:
                poller.register(w.fd, mask)
        wait_ms = None if not armed else max(0, int((min(armed) - time.monotonic()) * 1000 + 0.999))
        ready = dict(poller.poll(wait_ms))
        if self._wake_r in ready:
            try:
                while os.read(self._wake_r, 512):
                    pass
            except BlockingIOError:
                pass
        self._dispatch_timers()
        for watch, w in watches.items():
            revents = ready.get(w.fd, 0)
            events = (
                (VIR_EVENT_HANDLE_READABLE if revents & select.POLLIN else 0)
                | (VIR_EVENT_HANDLE_WRITABLE if revents & select.POLLOUT else 0)
                | (VIR_EVENT_HANDLE_ERROR if revents & select.POLLERR else 0)
                | (VIR_EVENT_HANDLE_HANGUP if revents & select.POLLHUP else 0)
            )
            if events and watch in self._watches:
                w.callback(watch, w.fd, events, w.opaque)

    def _dispatch_timers(self) -> None:
        now = time.monotonic()
        with self._lock:
            due = [(k, t) for k, t in self._timers.items() if t.interval >= 0 and t.due <= now]
            for timer, t in due:
                self._timers[timer] = t._replace(due=now + t.interval / 1000)
        for timer, t in due:
            t.callback(timer, t.opaque)
