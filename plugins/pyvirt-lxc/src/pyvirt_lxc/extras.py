"""LXC-only calls on a :class:`pyvirt.Domain`, as libvirt keeps them in ``libvirt-lxc``.

The console is :meth:`pyvirt.Domain.open_console` (one client at a time, ``force`` takes it
over), on every connection.  These need the domain's connection to be served by this driver
in this process (``lxc:///embed?root=...``, or ``lxc:///system`` inside pyvirtd); on any other
connection they raise :class:`~pyvirt.errors.UnsupportedError`.
"""

from __future__ import annotations

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


def shutdown(domain: pyvirt.Domain, mode: str) -> None:
    """``shutdown`` in one of libvirt's LXC modes (``virsh shutdown --mode``): ``"initctl"``
    (runlevel 0 through the container's initctl FIFO; refused when it has none) or ``"signal"``
    (SIGTERM to its init).  Returns at once; the container stops when its init exits."""
    domain.connection.check_writable("virDomainShutdownFlags")
    _driver(domain, "shutdown --mode").lxc_shutdown(domain.uuid, mode)


def reboot(domain: pyvirt.Domain, mode: str) -> None:
    """``reboot`` in one of libvirt's LXC modes: ``"initctl"`` (runlevel 6) or ``"signal"``
    (SIGHUP to its init)."""
    domain.connection.check_writable("virDomainReboot")
    _driver(domain, "reboot --mode").lxc_reboot(domain.uuid, mode)


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
