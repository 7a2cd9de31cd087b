"""libvirt's event-loop contract: the registered implementation and the default one.

libvirt does no I/O scheduling of its own: an application registers six functions
(``virEventRegisterImpl``: add/update/remove a handle, add/update/remove a timeout) or asks for
the built-in poll loop (``virEventRegisterDefaultImpl`` + ``virEventRunDefaultImpl``), and
libvirt adds its watches and timers through them.  This module is that indirection.

What goes to an implementation is what libvirt-python hands a Python one: ``cb`` is a callable
``cb(watch, fd, events, opaque)`` / ``cb(timer, opaque)``, and ``opaque`` an object the
implementation gives back to ``virEventInvokeFreeCallback`` when the watch or timer is removed
(that runs the free function attached to it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyvirt_libvirt.defaultloop import DefaultLoop

HandleCallback = Callable[[int, int, int, Any], Any]
TimeoutCallback = Callable[[int, Any], Any]


class Opaque:
    """What an implementation holds for one watch or timer: the caller's data and the function
    that frees it once the implementation lets go (``virEventInvokeFreeCallback``)."""

    __slots__ = ("data", "free")

    def __init__(self, data: Any, free: Callable[[Any], Any] | None) -> None:
        self.data = data
        self.free = free


class Impl:
    """The six functions of a registered implementation."""

    __slots__ = ("add_handle", "add_timeout", "remove_handle", "remove_timeout", "update_handle", "update_timeout")

    def __init__(
        self,
        add_handle: Callable[[int, int, HandleCallback, Any], int],
        update_handle: Callable[[int, int], Any],
        remove_handle: Callable[[int], Any],
        add_timeout: Callable[[int, TimeoutCallback, Any], int],
        update_timeout: Callable[[int, int], Any],
        remove_timeout: Callable[[int], Any],
    ) -> None:
        self.add_handle = add_handle
        self.update_handle = update_handle
        self.remove_handle = remove_handle
        self.add_timeout = add_timeout
        self.update_timeout = update_timeout
        self.remove_timeout = remove_timeout


_impl: Impl | None = None


def register_impl(impl: Impl) -> None:
    global _impl
    _impl = impl


def has_impl() -> bool:
    """Whether an implementation is registered (libvirt's virEventRequireImpl test)."""
    return _impl is not None


def invoke_free(opaque: Any) -> None:
    """Run the free function of an :class:`Opaque` (other objects have none)."""
    if isinstance(opaque, Opaque) and opaque.free is not None:
        free, opaque.free = opaque.free, None
        free(opaque.data)


def _timer_trampoline(callback: Callable[[int, Any], Any]) -> TimeoutCallback:
    def fire(timer: int, opaque: Any) -> None:
        callback(timer, opaque.data if isinstance(opaque, Opaque) else opaque)

    return fire


def _handle_trampoline(callback: Callable[[int, int, int, Any], Any]) -> HandleCallback:
    def fire(watch: int, fd: int, events: int, opaque: Any) -> None:
        callback(watch, fd, events, opaque.data if isinstance(opaque, Opaque) else opaque)

    return fire


def add_handle(
    fd: int, events: int, callback: HandleCallback, data: Any, free: Callable[[Any], Any] | None = None
) -> int:
    """libvirt's virEventAddHandle: -1 when no implementation is registered."""
    if _impl is None:
        return -1
    return int(_impl.add_handle(fd, events, _handle_trampoline(callback), Opaque(data, free)))


def update_handle(watch: int, events: int) -> None:
    if _impl is not None:
        _impl.update_handle(watch, events)


def remove_handle(watch: int) -> int:
    if _impl is None:
        return -1
    result = _impl.remove_handle(watch)
    return int(result) if result is not None else 0


def add_timeout(timeout: int, callback: TimeoutCallback, data: Any, free: Callable[[Any], Any] | None = None) -> int:
    """libvirt's virEventAddTimeout (``timeout`` ms; -1 disabled, 0 every iteration)."""
    if _impl is None:
        return -1
    return int(_impl.add_timeout(timeout, _timer_trampoline(callback), Opaque(data, free)))


def update_timeout(timer: int, timeout: int) -> None:
    if _impl is not None:
        _impl.update_timeout(timer, timeout)


def remove_timeout(timer: int) -> int:
    if _impl is None:
        return -1
    result = _impl.remove_timeout(timer)
    return int(result) if result is not None else 0


_default: DefaultLoop | None = None


def register_default() -> None:
    """virEventRegisterDefaultImpl: create the built-in loop (once) and make it current."""
    from pyvirt_libvirt.defaultloop import DefaultLoop

    global _default
    if _default is None:
        _default = DefaultLoop()
    register_impl(_default.impl())


def run_default_once() -> bool:
    """virEventRunDefaultImpl; False when the default loop was never registered."""
    if _default is None:
        return False
    _default.run_once()
    return True
