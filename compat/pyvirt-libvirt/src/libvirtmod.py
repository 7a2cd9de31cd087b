"""pyvirt-libvirt's ``libvirtmod``: the low-level functions libvirt-python's tests reach directly.

In libvirt-python this is the C extension under ``libvirt``; here it holds the event-loop
registration that ``libvirt.virEventRegisterImpl`` forwards to (tests patch the latter and call
this one), and the last-error accessors.  Every other C binding libvirt-python's classes call
exists by name (so API-coverage checks find it) and raises ``VIR_ERR_NO_SUPPORT``: programs go
through the ``libvirt`` classes, which do not use them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyvirt_libvirt import eventloop as _eventloop
from pyvirt_libvirt.errors import ErrorTuple, last_error, reset, unsupported


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


def __getattr__(name: str) -> Any:
    from pyvirt_libvirt._stubs import C_NAMES

    for c_name, domain in C_NAMES.values():
        if c_name == name:

            def binding(*args: Any, _c_name: str = c_name, _domain: int = domain) -> Any:
                raise unsupported(_c_name, _domain)

            binding.__name__ = name
            globals()[name] = binding
            return binding
    raise AttributeError(f"module 'libvirtmod' has no attribute {name!r}")
