"""Calls only Linux containers offer, kept apart as libvirt keeps them in ``libvirt-lxc``.

:func:`open_namespace` asks the driver serving the domain (in this process or behind pyvirtd,
which passes the descriptors over its unix socket) for descriptors on the container's
namespaces; :func:`enter_namespace` joins them in the calling process.  Joining is done by the
client, not the driver, so a command run "inside" a container is a child of the caller: its
terminal, its exit status.  Joining a PID or user namespace needs a single-threaded process, so
callers fork first and join in the child.
"""

from __future__ import annotations

import ctypes
import errno
import os
from collections.abc import Sequence

from pyvirt.domain import Domain
from pyvirt.errors import ErrorCode, PyvirtError

_libc = ctypes.CDLL(None, use_errno=True)


def open_namespace(domain: Domain) -> list[int]:
    """Descriptors on the running container's namespaces (libvirt's virDomainLxcOpenNamespace);
    the caller closes them.  Refused on read-only connections: they give full access to the
    container."""
    domain.connection.check_writable("virDomainLxcOpenNamespace")
    return domain.connection.driver.domain_lxc_open_namespace(domain.uuid)


def enter_namespace(fds: Sequence[int]) -> None:
    """Join every namespace in ``fds`` (from :func:`open_namespace`) and close them, as
    virDomainLxcEnterNamespace does; a namespace the process is already in is skipped (the
    kernel answers EINVAL for it).  The working directory becomes the new root's ``/``."""
    try:
        for fd in fds:
            if _libc.setns(fd, 0) != 0:
                err = ctypes.get_errno()
                if err != errno.EINVAL:
                    raise PyvirtError(
                        f"Unable to join domain namespace: {os.strerror(err)}", code=ErrorCode.SYSTEM_ERROR
                    )
    finally:
        for fd in fds:
            os.close(fd)
    os.chdir("/")
