"""PCI addresses, assigned as libvirt assigns them for ``pc`` and ``q35`` machines.

Addresses are part of the guest ABI (a guest OS names its NICs and disks by slot), so they are
assigned once, at define, written into the persistent definition, and never change on a
restart.  Addresses already in the document are kept and reserved first.

``pc`` (i440FX): slot 0 is the host bridge, slot 1 the PIIX3 (ISA, IDE at .1, UHCI at .2, PM
at .3), slot 2 the primary video card, then one slot per device from 3 in libvirt's order:
interfaces, controllers, virtio disks, balloon, RNG, watchdog, secondary video.

``q35``: slot 1 is the primary video, 0x1f the ICH9 (LPC, SATA at .2, SMBus at .3); every
PCI Express device gets its own ``pcie-root-port`` (ports packed as functions of slot 2, 3...)
and sits in slot 0 behind it, so it can be unplugged alone.  Conventional PCI devices (e1000,
rtl8139, i6300esb) are placed directly on the root complex, where libvirt would add a
PCIe-to-PCI bridge instead.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

PCIE_DEVICES = frozenset(
    {"virtio-net-pci", "virtio-blk-pci", "virtio-balloon-pci", "virtio-rng-pci", "virtio-scsi-pci",
     "virtio-serial-pci", "e1000e", "qemu-xhci", "nec-usb-xhci", "virtio-vga"}
)  # fmt: skip

Slot = tuple[int, int, int]


def pci_address(el: etree._Element) -> Slot | None:
    addr = el.find("address")
    if addr is None or addr.get("type") != "pci":
        return None
    return (int(addr.get("bus", "0"), 0), int(addr.get("slot", "0"), 0), int(addr.get("function", "0"), 0))


def set_pci_address(el: etree._Element, where: Slot, multifunction: bool = False) -> None:
    old = el.find("address")
    if old is not None:
        el.remove(old)
    addr = etree.SubElement(
        el, "address", type="pci", domain="0x0000", bus=f"0x{where[0]:02x}", slot=f"0x{where[1]:02x}"
    )
    addr.set("function", f"0x{where[2]:x}")
    if multifunction:
        addr.set("multifunction", "on")


def assign(devices: etree._Element, q35: bool, device_model: dict[etree._Element, str]) -> None:
    """Give every device in ``devices`` that needs one a PCI address.

    ``device_model`` maps each element to the QEMU device it becomes (the builder's
    choice), which decides PCIe or conventional PCI on q35; elements absent from it need no
    PCI address.
    """
    used: set[Slot] = set()
    for el in devices:
        found = pci_address(el) if isinstance(el.tag, str) else None
        if found is not None:
            used.add(found)
    fixed = _fixed_q35 if q35 else _fixed_pc
    fixed(devices, used)
    pending = [el for el in _in_libvirt_order(devices) if el in device_model and pci_address(el) is None]
    if q35:
        _assign_q35(devices, pending, used, device_model)
    else:
        for el in pending:
            slot = next(s for s in range(3, 32) if (0, s, 0) not in used)
            used.add((0, slot, 0))
            set_pci_address(el, (0, slot, 0))


def _fixed_pc(devices: etree._Element, used: set[Slot]) -> None:
    used.update({(0, 0, 0), (0, 1, 0), (0, 1, 1), (0, 1, 2), (0, 1, 3)})
    for el in devices.iterchildren("controller"):
        if el.get("type") == "ide" and el.get("index") == "0" and pci_address(el) is None:
            set_pci_address(el, (0, 1, 1))
        if el.get("type") == "usb" and el.get("model") == "piix3-uhci" and pci_address(el) is None:
            set_pci_address(el, (0, 1, 2))
    primary = _primary_video(devices)
    if primary is not None and pci_address(primary) is None and (0, 2, 0) not in used:
        set_pci_address(primary, (0, 2, 0))
        used.add((0, 2, 0))


def _fixed_q35(devices: etree._Element, used: set[Slot]) -> None:
    used.update({(0, 0, 0), (0, 0x1F, 0), (0, 0x1F, 2), (0, 0x1F, 3)})
    for el in devices.iterchildren("controller"):
        if el.get("type") == "sata" and el.get("index") == "0" and pci_address(el) is None:
            set_pci_address(el, (0, 0x1F, 2))
    primary = _primary_video(devices)
    if primary is not None and pci_address(primary) is None and (0, 1, 0) not in used:
        set_pci_address(primary, (0, 1, 0))
        used.add((0, 1, 0))


def _assign_q35(
    devices: etree._Element, pending: list[etree._Element], used: set[Slot], model: dict[etree._Element, str]
) -> None:
    indexes = [int(c.get("index", "0")) for c in devices.iterchildren("controller") if c.get("type") == "pci"]
    next_index = max(indexes, default=0) + 1
    ports = _root_port_positions(used)
    for el in pending:
        if model[el] in PCIE_DEVICES:
            where = next(ports)
            used.add(where)
            port = etree.Element("controller", type="pci", index=str(next_index), model="pcie-root-port")
            etree.SubElement(port, "model", name="pcie-root-port")
            etree.SubElement(
                port, "target", chassis=str(next_index), port=f"0x{0x10 + (where[1] - 2) * 8 + where[2]:x}"
            )
            set_pci_address(port, where, multifunction=where[2] == 0)
            _insert_controller(devices, port)
            set_pci_address(el, (next_index, 0, 0))
            next_index += 1
        else:
            slot = next(s for s in range(3, 0x1F) if all((0, s, f) not in used for f in range(8)))
            used.add((0, slot, 0))
            set_pci_address(el, (0, slot, 0))


def _root_port_positions(used: set[Slot]) -> Iterator[Slot]:
    """Functions 0..7 of slot 2, then of the next slots whose function 0 is still free."""
    for slot in range(2, 0x1F):
        if (0, slot, 0) in used:
            continue
        for function in range(8):
            if (0, slot, function) not in used:
                yield (0, slot, function)


def _insert_controller(devices: etree._Element, controller: etree._Element) -> None:
    last = None
    for el in devices.iterchildren("controller"):
        last = el
    if last is None:
        devices.append(controller)
    else:
        last.addnext(controller)


def _primary_video(devices: etree._Element) -> etree._Element | None:
    for video in devices.iterchildren("video"):
        model = video.find("model")
        if model is not None and model.get("type") == "none":
            return None
        return video
    return None


def _in_libvirt_order(devices: etree._Element) -> list[etree._Element]:
    """libvirt's assignment order: NICs, controllers, virtio disks, balloon, RNG, watchdog, videos."""
    order = ("interface", "controller", "disk", "memballoon", "rng", "watchdog", "video")
    return [el for tag in order for el in devices.iterchildren(tag)]
