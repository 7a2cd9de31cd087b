"""LXC-only calls on a :class:`pyvirt.Domain`, as libvirt keeps them in ``libvirt-lxc``.

They need the domain's connection to be served by this driver in this process
(``lxc:///embed?root=...``, or ``lxc:///system`` inside pyvirtd); on any other connection they
raise :class:`~pyvirt.errors.UnsupportedError`.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Sequence
from typing import Any

import pyvirt
from pyvirt.errors import ErrorCode, UnsupportedError
from pyvirt_lxc.cgroups import ContainerCgroup
from pyvirt_lxc.driver import LxcConnection
from pyvirt_lxc.store import Runtime


def _driver(domain: pyvirt.Domain, what: str) -> LxcConnection:
    driver = domain.connection.driver
    if not isinstance(driver, LxcConnection):
        raise UnsupportedError(
            f"this function is not supported by the connection driver: {what} needs an LXC connection "
            f"served in this process, not '{domain.connection.uri}'",
            code=ErrorCode.NO_SUPPORT,
        )
    return driver


def open_console(domain: pyvirt.Domain) -> socket.socket:
    """A stream socket joined to the container's console: bytes written go to its
    ``/dev/console``, bytes read are its output (including what it wrote while nobody was
    attached, up to 64 KiB).  A newer client takes the console over from an older one."""
    path = _driver(domain, "console").lxc_console_path(domain.uuid)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        raise
    return sock


def enter_namespace(domain: pyvirt.Domain, argv: Sequence[str], **popen: Any) -> subprocess.Popen[bytes]:
    """Run ``argv`` inside the running container (its namespaces, cgroups and root), as
    ``virsh lxc-enter-namespace`` does; ``popen`` goes to :class:`subprocess.Popen`
    (``stdout=subprocess.PIPE``...).  The exit status is the command's."""
    if not argv:
        raise pyvirt.InvalidArgumentError("invalid argument: no command to run", code=ErrorCode.INVALID_ARG)
    return _driver(domain, "lxc-enter-namespace").lxc_enter(domain.uuid, argv, **popen)


def runtime(domain: pyvirt.Domain) -> Runtime | None:
    """The running container's record on the host: ID, init and monitor PIDs, host veths."""
    return _driver(domain, "runtime").lxc_runtime(domain.uuid)


def cgroup(domain: pyvirt.Domain) -> ContainerCgroup:
    """The container's cgroups (they exist while it runs)."""
    return _driver(domain, "cgroup").lxc_cgroup(domain.uuid)
