"""Device hot-plug of disks and interfaces, live through QMP and in the persistent config.

Live attach: the backend first (a drive through HMP ``drive_add``, so it is a named drive like
those of the command line and ``query-blockstats`` finds it; a ``netdev_add`` for an
interface), then ``device_add`` at the PCI address libvirt would pick (on ``q35`` an empty root
port: controllers cannot be added live); a failure of the second removes the first.  Live detach asks
QEMU to delete the device (``device_del``) and waits a few seconds for its ``DEVICE_DELETED``
event, as libvirt does; a guest that has not let go by then keeps the device in the live XML
until the event comes (:mod:`pyvirt_qemu.unplug`).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from lxml import etree

from pyvirt.errors import ErrorDomain, OperationFailedError, OperationInvalidError, UnsupportedError
from pyvirt.log import get_logger
from pyvirt.types import ModifyScope
from pyvirt.xml.domain import DomainDef
from pyvirt.xml.parser import parse_document
from pyvirt_qemu import addresses, devices, lifecycle, unplug
from pyvirt_qemu.command import escape
from pyvirt_qemu.domain import DomainObj, persistent_of, write_status
from pyvirt_qemu.monitor import MonitorError

if TYPE_CHECKING:
    from pyvirt_qemu.driver import QemuDriver

log = get_logger("pyvirt_qemu")

DETACH_WAIT = unplug.UNPLUG_TIMEOUT
"""How long a live detach waits for ``DEVICE_DELETED``; tests of the slow path shorten it."""


class HotplugCalls:
    drv: QemuDriver

    def domain_attach_device(self, uuid: str, xml: str, scope: ModifyScope) -> None:
        el = _parse(xml)
        obj = self.drv.get(uuid)
        with obj.job:
            live, config = _targets(obj, scope)
            if el.tag == "interface" and el.find("mac") is None:
                etree.SubElement(el, "mac", address=_random_mac())
            if config:
                _check_new(persistent_of(obj), el)
            if live:
                assert obj.live is not None
                _check_new(obj.live, el)
                _attach_live(self.drv, obj, _copy(el))
            if config:
                self.drv.change_config(obj, lambda d: _insert(d, _copy(el)))

    def domain_detach_device(self, uuid: str, xml: str, scope: ModifyScope) -> None:
        el = _parse(xml)
        obj = self.drv.get(uuid)
        with obj.job:
            live, config = _targets(obj, scope)
            if config:
                _find(persistent_of(obj), el)  # fails before anything changes
            if live:
                assert obj.live is not None
                _detach_live(self.drv, obj, _find(obj.live, el))
            if config:
                self.drv.change_config(obj, lambda d: _remove(_find(d, el)))


def _parse(xml: str) -> etree._Element:
    el = parse_document(xml, kind="device")
    if el.tag not in ("disk", "interface"):
        raise UnsupportedError(
            f"unsupported configuration: hot-plug of device '{el.tag}' is not supported", domain=ErrorDomain.QEMU
        )
    return el


def _copy(el: etree._Element) -> etree._Element:
    return parse_document(etree.tostring(el), kind="device")


def _targets(obj: DomainObj, scope: ModifyScope) -> tuple[bool, bool]:
    plain = scope == ModifyScope.CURRENT
    live = bool(scope & ModifyScope.LIVE) or (plain and obj.active)
    config = bool(scope & ModifyScope.CONFIG) or (plain and not obj.active)
    if live and not obj.active:
        raise OperationInvalidError("Requested operation is not valid: domain is not running", domain=ErrorDomain.QEMU)
    return live, config


def _key(el: etree._Element) -> tuple[str, str]:
    """What names a device: a disk its target, an interface its MAC."""
    if el.tag == "disk":
        target = el.find("target")
        return "disk", target.get("dev", "") if target is not None else ""
    mac = el.find("mac")
    return "interface", (mac.get("address", "") if mac is not None else "").lower()


def _find(dfn: DomainDef, el: etree._Element) -> etree._Element:
    kind, key = _key(el)
    for dev in dfn.root.iterfind(f"devices/{kind}"):
        if _key(dev) == (kind, key):
            return dev
    what = f"disk {key}" if kind == "disk" else f"interface with MAC {key}"
    raise OperationFailedError(f"operation failed: {what} not found", domain=ErrorDomain.QEMU)


def _check_new(dfn: DomainDef, el: etree._Element) -> None:
    kind, key = _key(el)
    if not key:
        raise OperationFailedError(f"operation failed: the {kind} has no target", domain=ErrorDomain.QEMU)
    if any(_key(dev) == (kind, key) for dev in dfn.root.iterfind(f"devices/{kind}")):
        raise OperationFailedError(
            f"operation failed: target {key} already exists"
            if kind == "disk"
            else f"operation failed: MAC {key} in use",
            domain=ErrorDomain.QEMU,
        )


def _insert(dfn: DomainDef, el: etree._Element) -> None:
    """After the last device of the same kind, so aliases count as libvirt counts them."""
    devs = dfn.root.find("devices")
    if devs is None:
        devs = etree.SubElement(dfn.root, "devices")
    same = list(devs.iterchildren(el.tag))
    if same:
        same[-1].addnext(el)
    else:
        devs.append(el)
    dfn.invalidate()


def _remove(el: etree._Element) -> None:
    parent = el.getparent()
    assert parent is not None
    parent.remove(el)


def _random_mac() -> str:
    return "52:54:00:" + ":".join(f"{random.randrange(256):02x}" for _ in range(3))


def _attach_live(drv: QemuDriver, obj: DomainObj, el: etree._Element) -> None:
    live = obj.live
    assert live is not None
    lifecycle.require_active(obj)
    _insert(live, el)
    devs = live.root.find("devices")
    assert devs is not None
    alias = devices.aliases(devs)[el]
    q35 = _is_q35(live)
    try:
        model = (devices.qemu_device(el, q35) or "rtl8139") if el.tag == "interface" else "virtio-blk-pci"
        where = addresses.hotplug_slot(devs, q35, model)
        addresses.set_pci_address(el, where)
        place = {"bus": addresses.bus_name(where[0], q35), "addr": f"0x{where[1]:x}"}
        if el.tag == "disk":
            _plug_disk(drv, obj, el, alias, place)
        else:
            _plug_nic(obj, el, alias, model, place)
    except BaseException:
        _remove(el)
        live.invalidate()
        raise
    etree.SubElement(el, "alias", name=alias)
    live.invalidate()
    write_status(drv.layout.status_file(obj.name), obj)


def _is_q35(dfn: DomainDef) -> bool:
    os_type = dfn.root.find("os/type")
    return os_type is not None and "q35" in os_type.get("machine", "")


def _plug_disk(drv: QemuDriver, obj: DomainObj, el: etree._Element, alias: str, place: dict[str, str]) -> None:
    target = el.find("target")
    if target is None or target.get("bus") != "virtio" or el.get("device", "disk") != "disk":
        raise UnsupportedError(
            "unsupported configuration: only virtio disks can be hot-plugged by pyvirt-qemu", domain=ErrorDomain.QEMU
        )
    source = el.find("source")
    path = source.get("file", "") if source is not None else ""
    if not path:
        raise OperationFailedError("operation failed: a hot-plugged disk needs a source file", domain=ErrorDomain.QEMU)
    lifecycle.disk_paths(drv, obj)  # every disk's file must exist, the new one too
    driver = el.find("driver")
    fmt = driver.get("type", "raw") if driver is not None else "raw"
    opts = f"file={escape(path)},format={fmt},if=none,id=drive-{alias}"
    if el.find("readonly") is not None:
        opts += ",readonly=on"
    monitor = lifecycle.monitor_of(obj)
    said = monitor.execute("human-monitor-command", {"command-line": f"drive_add 0 {opts}"})
    if isinstance(said, str) and said.strip() not in ("", "OK"):
        raise OperationFailedError(f"operation failed: cannot add drive: {said.strip()}", domain=ErrorDomain.QEMU)
    try:
        monitor.execute("device_add", {"driver": "virtio-blk-pci", "drive": f"drive-{alias}", "id": alias, **place})
    except MonitorError:
        monitor.execute("human-monitor-command", {"command-line": f"drive_del drive-{alias}"})
        raise


def _plug_nic(obj: DomainObj, el: etree._Element, alias: str, model: str, place: dict[str, str]) -> None:
    if el.get("type") != "user":
        raise UnsupportedError(
            "unsupported configuration: only user-mode interfaces can be hot-plugged by pyvirt-qemu",
            domain=ErrorDomain.QEMU,
        )
    monitor = lifecycle.monitor_of(obj)
    mac = el.find("mac")
    assert mac is not None
    monitor.execute("netdev_add", {"type": "user", "id": f"host{alias}"})
    try:
        monitor.execute(
            "device_add",
            {"driver": model, "netdev": f"host{alias}", "id": alias, "mac": mac.get("address"), **place},
        )
    except MonitorError:
        monitor.execute("netdev_del", {"id": f"host{alias}"})
        raise


def _detach_live(drv: QemuDriver, obj: DomainObj, el: etree._Element) -> None:
    """Ask QEMU to delete the device and wait a while for it to go, as libvirt 9.0 does: when
    the guest has not let go in time the call still succeeds and the device stays in the live
    XML until its ``DEVICE_DELETED`` event arrives (see :mod:`pyvirt_qemu.unplug`)."""
    _check_unpluggable(el)
    alias_el = el.find("alias")
    if alias_el is None:
        raise OperationFailedError("operation failed: the device has no alias", domain=ErrorDomain.QEMU)
    alias = alias_el.get("name", "")
    monitor = lifecycle.monitor_of(obj)
    unplug.request(obj, alias)
    try:
        monitor.execute("device_del", {"id": alias})
    except MonitorError:
        unplug.wait(drv, obj, 0)
        raise
    if unplug.wait(drv, obj, DETACH_WAIT):
        unplug.finish(drv, obj, alias)
    else:
        log.info("detach still in progress: the guest has not released the device", domain=obj.name, alias=alias)


def _check_unpluggable(el: etree._Element) -> None:
    """libvirt's rule: disks unplug from virtio, SCSI and USB buses, CD-ROMs only from the last two."""
    if el.tag != "disk":
        return
    target = el.find("target")
    bus = target.get("bus", "") if target is not None else ""
    device = el.get("device", "disk")
    if device in ("disk", "lun") and bus not in ("virtio", "scsi", "usb"):
        raise UnsupportedError("This type of disk cannot be hot unplugged", domain=ErrorDomain.QEMU)
    if device not in ("disk", "lun") and bus not in ("scsi", "usb"):
        raise UnsupportedError(f"disk device type '{device}' cannot be detached", domain=ErrorDomain.QEMU)
