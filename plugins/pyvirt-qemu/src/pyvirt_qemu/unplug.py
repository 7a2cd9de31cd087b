"""The end of a device's life in a running guest: QEMU's ``DEVICE_DELETED`` event.

``device_del`` only asks; the device is gone when QEMU says so, which for a PCI device needs
the guest's help (ACPI eject) and for a SCSI disk or a USB device happens at once.  As in
libvirt, a live detach marks the alias it waits for and waits a few seconds for the event; the
event of a marked alias wakes that waiter, which finishes the removal itself.  An event nobody
waits for (the guest let go after the detach gave up waiting, or a reset completed a pending
unplug) is finished on a thread of its own under the domain's job, so the live XML always ends
up matching what QEMU has.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from lxml import etree

from pyvirt.log import get_logger
from pyvirt_qemu.domain import DomainObj, write_status
from pyvirt_qemu.monitor import MonitorError

if TYPE_CHECKING:
    from pyvirt_qemu.driver import QemuDriver

log = get_logger("pyvirt_qemu")

UNPLUG_TIMEOUT = 5.0
"""How long a live detach waits for ``DEVICE_DELETED`` (libvirt's QEMU_UNPLUG_TIMEOUT, x86)."""


def request(obj: DomainObj, alias: str) -> None:
    """Mark ``alias`` as awaited; call before ``device_del`` so a quick event is not missed."""
    obj.unplugged.clear()
    obj.unplug_alias = alias


def wait(drv: QemuDriver, obj: DomainObj, timeout: float) -> bool:
    """Wait for the marked alias's event and unmark it; True when it came (the caller holds the
    job and finishes the removal), False when the guest has not let go yet."""
    came = obj.unplugged.wait(timeout)
    with drv.lock:
        obj.unplug_alias = None
        return came or obj.unplugged.is_set()


def on_deleted(drv: QemuDriver, obj: DomainObj, alias: str) -> None:
    """QEMU deleted device ``alias`` (runs on the event thread, which must not wait for a job)."""
    with drv.lock:
        if obj.unplug_alias == alias:
            obj.unplugged.set()
            return
    threading.Thread(target=_finish_async, args=(drv, obj, alias), name="pyvirt-qemu-unplug", daemon=True).start()


def _finish_async(drv: QemuDriver, obj: DomainObj, alias: str) -> None:
    with obj.job:
        if obj.active and obj.live is not None:
            finish(drv, obj, alias)


def finish(drv: QemuDriver, obj: DomainObj, alias: str) -> None:
    """Drop the backend QEMU kept for ``alias`` and the device from the live XML."""
    live = obj.live
    assert live is not None
    el = _by_alias(live.root, alias)
    if el is None:
        return  # not a device of ours (a backend's own event) or already finished
    monitor = obj.monitor
    if monitor is not None:
        try:
            if el.tag == "interface":
                monitor.execute("netdev_del", {"id": f"host{alias}"})
            elif el.tag == "disk":
                # A -drive backend normally goes with its device; a leftover is dropped here
                # (HMP answers "not found" in text, which is fine).
                monitor.execute("human-monitor-command", {"command-line": f"drive_del drive-{alias}"})
        except MonitorError as exc:
            log.debug("backend already gone", domain=obj.name, alias=alias, error=exc.message)
    parent = el.getparent()
    assert parent is not None
    parent.remove(el)
    live.invalidate()
    write_status(drv.layout.status_file(obj.name), obj)
    log.info("device removed", domain=obj.name, alias=alias)


def _by_alias(root: etree._Element, alias: str) -> etree._Element | None:
    for found in root.iterfind("devices/*/alias"):
        if found.get("name") == alias:
            return found.getparent()
    return None
