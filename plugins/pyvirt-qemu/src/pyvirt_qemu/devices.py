"""Each device element's QEMU identity: the ``-device`` type it becomes and its alias.

The alias (``virtio-disk0``, ``net0``, ``serial0``...) is libvirt's: it is the QEMU device id,
appears as ``<alias>`` in the live XML and is how QMP commands and events name the device.
Both the address assigner and the command-line builder ask this module, so the two can never
disagree about what a device is.
"""

from __future__ import annotations

from lxml import etree

from pyvirt.xml.defaults import disk_name_to_index
from pyvirt_qemu.support import NIC_MODELS, USB_MODELS, VIDEO_MODELS, WATCHDOG_MODELS


def qemu_device(el: etree._Element, q35: bool) -> str | None:
    """The ``-device`` type ``el`` becomes when it is a PCI device, else ``None``."""
    tag, kind = el.tag, el.get("type")
    if tag == "interface":
        model = el.find("model")
        return NIC_MODELS[model.get("type", "rtl8139")] if model is not None else "rtl8139"
    if tag == "disk":
        target = el.find("target")
        return "virtio-blk-pci" if target is not None and target.get("bus") == "virtio" else None
    if tag == "controller":
        if kind == "usb":
            name = USB_MODELS.get(el.get("model") or "piix3-uhci", "")
            return name or None
        if kind == "scsi":
            return "virtio-scsi-pci"
        if kind == "virtio-serial":
            return "virtio-serial-pci"
        if kind == "sata" and not q35:
            return "ahci"
        return None
    if tag == "memballoon":
        return "virtio-balloon-pci" if el.get("model") == "virtio" else None
    if tag == "rng":
        return "virtio-rng-pci"
    if tag == "watchdog":
        watchdog = WATCHDOG_MODELS[el.get("model", "")]
        return watchdog if watchdog == "i6300esb" else None
    if tag == "video":
        model = el.find("model")
        name = VIDEO_MODELS[model.get("type", "cirrus") if model is not None else "cirrus"]
        return name or None
    return None


def pci_models(devices: etree._Element, q35: bool) -> dict[etree._Element, str]:
    found: dict[etree._Element, str] = {}
    for el in devices:
        if isinstance(el.tag, str):
            name = qemu_device(el, q35)
            if name is not None:
                found[el] = name
    return found


def aliases(devices: etree._Element) -> dict[etree._Element, str]:
    """libvirt's alias for every device that has one, by element (lxml keeps one proxy per node
    while it is referenced, so elements work as keys while the map holds them)."""
    out: dict[etree._Element, str] = {}
    counters: dict[str, int] = {}

    def nth(prefix: str) -> str:
        n = counters.get(prefix, 0)
        counters[prefix] = n + 1
        return f"{prefix}{n}"

    for el in devices:
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if tag == "disk":
            out[el] = _disk_alias(el)
        elif tag == "interface":
            out[el] = nth("net")
        elif tag == "serial":
            out[el] = nth("serial")
        elif tag == "console":
            target = el.find("target")
            port = target.get("port", "0") if target is not None else "0"
            out[el] = f"serial{port}"
        elif tag == "video":
            out[el] = nth("video")
        elif tag == "input":
            out[el] = nth("input")
        elif tag == "memballoon" and el.get("model") == "virtio":
            out[el] = "balloon0"
        elif tag == "watchdog":
            out[el] = nth("watchdog")
        elif tag == "rng":
            out[el] = nth("rng")
        elif tag == "graphics":
            continue
        elif tag == "controller":
            out[el] = _controller_alias(el)
    return out


def _disk_alias(el: etree._Element) -> str:
    target = el.find("target")
    bus = target.get("bus", "") if target is not None else ""
    addr = el.find("address")
    if bus == "virtio":
        return f"virtio-disk{disk_name_to_index(target.get('dev', '')) if target is not None else 0}"
    if addr is None:
        return f"{bus}-disk"
    controller, unit = addr.get("controller", "0"), addr.get("unit", "0")
    if bus == "ide":
        return f"ide{controller}-{addr.get('bus', '0')}-{unit}"
    if bus == "sata":
        return f"sata{controller}-0-{unit}"
    return f"scsi{controller}-0-{addr.get('target', '0')}-{unit}"


def _controller_alias(el: etree._Element) -> str:
    kind, index = el.get("type", ""), el.get("index", "0")
    if kind == "pci":
        return "pcie.0" if el.get("model") == "pcie-root" else f"pci.{index}"
    if kind == "usb":
        return "usb" if index == "0" else f"usb{index}"
    if kind == "ide":
        return "ide"
    return f"{kind}{index}"
