"""``domain_open_console``: a stream over a running guest's pty character device.

The device is found in the live XML (where QEMU's pty path and the aliases were written at
start), the way libvirt's qemuDomainOpenConsole looks: by alias among consoles, serial ports,
parallel ports and channels; without a name, the first console, else the first serial port.
One client per device; ``force`` takes it over (:class:`pyvirt.stream.ConsoleTable`, one per
driver state, so every connection of the process sees the same holders).
"""

from __future__ import annotations

import weakref

from lxml import etree

from pyvirt.errors import ErrorDomain, InternalError, OperationFailedError, OperationInvalidError
from pyvirt.stream import ConsoleTable, DriverStream, open_pty
from pyvirt_qemu.driver import QemuDriver

_TABLES: weakref.WeakKeyDictionary[QemuDriver, ConsoleTable] = weakref.WeakKeyDictionary()
_KINDS = ("console", "serial", "parallel", "channel")


class ConsoleCalls:
    """The console call of :class:`~pyvirt_qemu.connection.QemuConnection`."""

    drv: QemuDriver

    def domain_open_console(self, uuid: str, dev_name: str | None, force: bool) -> DriverStream:
        drv = self.drv
        obj = drv.get(uuid)
        with drv.lock:
            if not obj.active or obj.live is None:
                raise OperationInvalidError(
                    "Requested operation is not valid: domain is not running", domain=ErrorDomain.QEMU
                )
            devices = obj.live.root.find("devices")
            found = None if devices is None else _find(devices, dev_name)
            if found is None:
                raise InternalError(
                    f"internal error: cannot find character device {dev_name or '<null>'}", domain=ErrorDomain.QEMU
                )
            alias, kind, path = found
            if kind != "pty" or not path:
                raise OperationFailedError(
                    f"operation failed: character device {alias} is not using a PTY", domain=ErrorDomain.QEMU
                )
            table = _TABLES.setdefault(drv, ConsoleTable())
        return table.claim((uuid, alias), force, lambda: open_pty(path))


def _find(devices: etree._Element, dev_name: str | None) -> tuple[str, str, str] | None:
    """(alias, source type, pty path) of the device ``dev_name`` names, or the default one."""
    for kind in _KINDS:
        for el in devices.iterchildren(kind):
            alias_el = el.find("alias")
            alias = alias_el.get("name", "") if alias_el is not None else ""
            if dev_name is None and kind not in ("console", "serial"):
                continue
            if dev_name is None or alias == dev_name:
                source = el.find("source")
                path = el.get("tty") or (source.get("path", "") if source is not None else "")
                return alias, el.get("type") or "pty", path or ""
    return None
