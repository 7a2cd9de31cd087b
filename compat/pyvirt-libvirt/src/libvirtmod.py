"""pyvirt-libvirt's ``libvirtmod``: the low-level functions libvirt-python's tests reach directly.

In libvirt-python this is the C extension under ``libvirt``; here it holds the event-loop
registration that ``libvirt.virEventRegisterImpl`` forwards to (tests patch the latter and call
this one), and the last-error accessors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyvirt_libvirt import eventloop as _eventloop
from pyvirt_libvirt.errors import ErrorTuple, last_error, reset


def virEventRegisterImpl(
    addHandle: Callable[..., int],
    updateHandle: Callable[..., Any],
    removeHandle: Callable[..., Any],
    addTimeout: Callable[..., int],
    updateTimeout: Callable[..., Any],
    removeTimeout: Callable[..., Any],
) -> None:
    _eventloop.register_impl(
        _eventloop.Impl(addHandle, updateHandle, removeHandle, addTimeout, updateTimeout, removeTimeout)
    )


def virGetLastError() -> ErrorTuple | None:
    return last_error()


def virResetLastError() -> None:
    reset()


def virEventInvokeFreeCallback(opaque: Any) -> None:
    _eventloop.invoke_free(opaque)
