"""pyvirt-libvirt's ``libvirt_lxc``: libvirt-python's LXC-specific calls over :mod:`pyvirt.lxc`.

libvirt-python 9.0.0 exposes only two of libvirt-lxc's four calls: ``lxcOpenNamespace`` and
``lxcEnterCGroup``.  Its generator skips ``virDomainLxcEnterNamespace`` and
``virDomainLxcEnterSecurityLabel``, so a program written for it joins the namespaces itself
(``setns`` on the descriptors); this module offers the same two names and nothing more, so a
program that runs here runs on real libvirt-python too.

Return shapes are libvirt-python's, quirks included: ``lxcOpenNamespace`` returns a list of
descriptors the caller closes and raises ``libvirtError`` on failure, while ``lxcEnterCGroup``
returns ``0``, or ``-1`` *without raising* on failure (its generated wrapper only raises on
``None``); the error still reaches the error handler and ``virGetLastError``.
"""

from __future__ import annotations

import operator
import os
from typing import Any

from pyvirt_libvirt.errors import (
    VIR_ERR_ERROR,
    VIR_ERR_INVALID_ARG,
    VIR_ERR_NO_SUPPORT,
    ErrorTuple,
    api,
    from_pyvirt,
    report,
    reset,
    unsupported,
)

import pyvirt.lxc
from pyvirt.errors import PyvirtError

__all__ = ["lxcEnterCGroup", "lxcOpenNamespace"]

_VIR_FROM_NONE = 0
_VIR_FROM_LXC = 17


def _bad_flags(flags: int, function: str, domain: int) -> ErrorTuple:
    """libvirt's virCheckFlags error: the message names the C function, ``str1``/``str2`` hold
    the function and the parameter name, both ints are 0 (virReportInvalidArg's shape)."""
    message = f"unsupported flags (0x{flags:x}) in function {function}"
    return (VIR_ERR_INVALID_ARG, domain, message, VIR_ERR_ERROR, function, "flags", None, 0, 0)


@api
def lxcOpenNamespace(domain: Any, flags: int) -> list[int]:
    """Descriptors on the running container's namespaces, for ``setns``; the caller closes them.

    Refused on read-only connections and by drivers other than LXC (``VIR_ERR_NO_SUPPORT``), in
    libvirt's order: those come before the flags check, which libvirt's LXC driver does."""
    flags = operator.index(flags) & 0xFFFFFFFF
    fds = pyvirt.lxc.open_namespace(domain._o)
    if flags:
        for fd in fds:
            os.close(fd)
        raise report(_bad_flags(flags, "lxcDomainLxcOpenNamespace", _VIR_FROM_LXC))
    return fds


def lxcEnterCGroup(domain: Any, flags: int) -> int:
    """Move the calling process into the container's cgroups; ``0``, or ``-1`` after reporting
    the error (see the module's docstring).

    libvirt's client joins the cgroups of whatever host process has the domain's ID, even for a
    driver whose IDs are not PIDs; :func:`pyvirt.lxc.enter_cgroup` joins only when that process
    is the container's init, checked against its namespace descriptors, so a driver without
    namespaces answers ``VIR_ERR_NO_SUPPORT`` here instead of moving the caller elsewhere."""
    reset()
    flags = operator.index(flags) & 0xFFFFFFFF
    dom = domain._o
    try:
        dom.connection.check_writable("virDomainLxcEnterCGroup")
        if flags:
            report(_bad_flags(flags, "virDomainLxcEnterCGroup", _VIR_FROM_NONE))
            return -1
        fds = pyvirt.lxc.open_namespace(dom)
        try:
            pyvirt.lxc.enter_cgroup(dom, fds)
        finally:
            for fd in fds:
                os.close(fd)
    except PyvirtError as exc:
        if exc.code == VIR_ERR_NO_SUPPORT:
            unsupported("virDomainLxcEnterCGroup", _VIR_FROM_NONE)
        else:
            from_pyvirt(exc)
        return -1
    return 0
