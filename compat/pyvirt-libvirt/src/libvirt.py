"""pyvirt-libvirt's ``libvirt``: libvirt-python 9.0.0's module, pure Python, on pyvirt.

``import libvirt`` gives the names, signatures, return shapes and errors of libvirt-python, so
programs written for it run unchanged on every pyvirt driver.  A method pyvirt lacks raises
``libvirtError`` with ``VIR_ERR_NO_SUPPORT``, as libvirt does for a driver without that API.
``libvirt.PYVIRT_LIBVIRT`` (absent from the real module) tells which ``libvirt`` is imported.
"""

from __future__ import annotations

from collections.abc import Callable as _Callable
from typing import Any, TypeVar

import libvirtmod
from pyvirt_libvirt import eventloop as _eventloop
from pyvirt_libvirt._constants import *  # noqa: F403 - every VIR_* constant, as libvirt-python
from pyvirt_libvirt._stubs import (
    virNetworkPortStubs as virNetworkPort,
)
from pyvirt_libvirt._stubs import (
    virNWFilterBindingStubs as virNWFilterBinding,
)
from pyvirt_libvirt._stubs import (
    virNWFilterStubs as virNWFilter,
)
from pyvirt_libvirt._stubs import (
    virSecretStubs as virSecret,
)
from pyvirt_libvirt.connect import open, openAuth, openReadOnly, virConnect
from pyvirt_libvirt.domain import virDomain, virDomainCheckpoint, virDomainSnapshot
from pyvirt_libvirt.errors import ErrorTuple as _ErrorTuple
from pyvirt_libvirt.errors import last_error as _last_error
from pyvirt_libvirt.errors import libvirtError
from pyvirt_libvirt.errors import register_handler as _register_handler
from pyvirt_libvirt.errors import reset as _reset
from pyvirt_libvirt.objects import virInterface, virNetwork, virNodeDevice, virStoragePool, virStorageVol
from pyvirt_libvirt.stream import virStream

PYVIRT_LIBVIRT = True
"""Present only in pyvirt-libvirt's module: ``getattr(libvirt, "PYVIRT_LIBVIRT", False)``."""

_T = TypeVar("_T")
_EventCB = _Callable[[int, int, int, _T], None]
_EventAddHandleFunc = _Callable[[int, int, _EventCB[Any], _T], int]
_EventUpdateHandleFunc = _Callable[[int, int], None]
_EventRemoveHandleFunc = _Callable[[int], int]
_TimerCB = _Callable[[int, _T], None]
_EventAddTimeoutFunc = _Callable[[int, _TimerCB[Any], _T], int]
_EventUpdateTimeoutFunc = _Callable[[int, int], None]
_EventRemoveTimeoutFunc = _Callable[[int], int]
_DomainCB = _Callable[[virConnect, virDomain, int, int, _T], None]

_LIBRARY_VERSION = 9000000

__all__ = [
    "PYVIRT_LIBVIRT",
    "getVersion",
    "libvirtError",
    "open",
    "openAuth",
    "openReadOnly",
    "registerErrorHandler",
    "virConnect",
    "virDomain",
    "virDomainCheckpoint",
    "virDomainSnapshot",
    "virEventAddHandle",
    "virEventAddTimeout",
    "virEventInvokeFreeCallback",
    "virEventRegisterDefaultImpl",
    "virEventRegisterImpl",
    "virEventRemoveHandle",
    "virEventRemoveTimeout",
    "virEventRunDefaultImpl",
    "virEventUpdateHandle",
    "virEventUpdateTimeout",
    "virGetLastError",
    "virGetLastErrorCode",
    "virGetLastErrorDomain",
    "virGetLastErrorMessage",
    "virInitialize",
    "virInterface",
    "virNWFilter",
    "virNWFilterBinding",
    "virNetwork",
    "virNetworkPort",
    "virNodeDevice",
    "virResetLastError",
    "virSecret",
    "virStoragePool",
    "virStorageVol",
    "virStream",
]


def getVersion(name: str | None = None) -> int:
    """The library version as libvirt numbers it (major * 1,000,000 + minor * 1,000 + micro)."""
    _reset()
    return _LIBRARY_VERSION


def registerErrorHandler(f: _Callable[[Any, _ErrorTuple], Any] | None, ctx: Any) -> int:
    """Call ``f(ctx, error)`` for each error instead of printing it to stderr; returns 1."""
    return _register_handler(f, ctx)


def virInitialize() -> int:
    return 0


def virGetLastError() -> _ErrorTuple | None:
    return _last_error()


def virGetLastErrorCode() -> int:
    err = _last_error()
    return 0 if err is None else err[0]


def virGetLastErrorDomain() -> int:
    err = _last_error()
    return 0 if err is None else err[1]


def virGetLastErrorMessage() -> str:
    err = _last_error()
    return "no error" if err is None else err[2]


def virResetLastError() -> None:
    _reset()


def virEventRegisterImpl(
    addHandle: _EventAddHandleFunc[Any],
    updateHandle: _EventUpdateHandleFunc,
    removeHandle: _EventRemoveHandleFunc,
    addTimeout: _EventAddTimeoutFunc[Any],
    updateTimeout: _EventUpdateTimeoutFunc,
    removeTimeout: _EventRemoveTimeoutFunc,
) -> None:
    """Make these six functions the event loop libvirt adds its watches and timers to."""
    libvirtmod.virEventRegisterImpl(addHandle, updateHandle, removeHandle, addTimeout, updateTimeout, removeTimeout)


def virEventRegisterDefaultImpl() -> int:
    """Use the built-in poll loop; run it with :func:`virEventRunDefaultImpl`."""
    _eventloop.register_default()
    return 0


def virEventRunDefaultImpl() -> int:
    """One iteration of the built-in loop (blocks until something happens); -1 if not registered."""
    return 0 if _eventloop.run_default_once() else -1


def virEventAddHandle(fd: int, events: int, cb: _EventCB[Any], opaque: _T) -> int:
    watch = _eventloop.add_handle(fd, events, cb, opaque)
    if watch < 0:
        raise libvirtError("virEventAddHandle() failed")
    return watch


def virEventUpdateHandle(watch: int, events: int) -> None:
    _eventloop.update_handle(watch, events)


def virEventRemoveHandle(watch: int) -> None:
    if _eventloop.remove_handle(watch) < 0:
        raise libvirtError("virEventRemoveHandle() failed")


def virEventAddTimeout(timeout: int, cb: _TimerCB[Any], opaque: _T) -> int:
    timer = _eventloop.add_timeout(timeout, cb, opaque)
    if timer < 0:
        raise libvirtError("virEventAddTimeout() failed")
    return timer


def virEventUpdateTimeout(timer: int, timeout: int) -> None:
    _eventloop.update_timeout(timer, timeout)


def virEventRemoveTimeout(timer: int) -> None:
    if _eventloop.remove_timeout(timer) < 0:
        raise libvirtError("virEventRemoveTimeout() failed")


def virEventInvokeFreeCallback(opaque: Any) -> None:
    """What an event implementation calls once it has dropped a watch or timer."""
    _eventloop.invoke_free(opaque)
