"""pyvirt-libvirt's ``libvirt_qemu``: libvirt-python's QEMU-specific calls and constants.

pyvirt has no monitor or agent pass-through yet, so each call raises ``VIR_ERR_NO_SUPPORT``.
"""

from pyvirt_libvirt._qemu_constants import *  # noqa: F403
from pyvirt_libvirt._stubs import (
    libvirt_qemu_qemuAgentCommand as qemuAgentCommand,
)
from pyvirt_libvirt._stubs import (
    libvirt_qemu_qemuAttach as qemuAttach,
)
from pyvirt_libvirt._stubs import (
    libvirt_qemu_qemuMonitorCommand as qemuMonitorCommand,
)
from pyvirt_libvirt._stubs import (
    libvirt_qemu_qemuMonitorCommandWithFiles as qemuMonitorCommandWithFiles,
)
from pyvirt_libvirt._stubs import (
    libvirt_qemu_qemuMonitorEventDeregister as qemuMonitorEventDeregister,
)
from pyvirt_libvirt._stubs import (
    libvirt_qemu_qemuMonitorEventRegister as qemuMonitorEventRegister,
)

__all__ = [
    "qemuAgentCommand",
    "qemuAttach",
    "qemuMonitorCommand",
    "qemuMonitorCommandWithFiles",
    "qemuMonitorEventDeregister",
    "qemuMonitorEventRegister",
]
