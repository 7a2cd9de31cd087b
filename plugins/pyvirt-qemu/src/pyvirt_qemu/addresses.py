"""PCI addresses, assigned as libvirt assigns them for ``pc`` and ``q35`` machines.

Addresses are part of the guest ABI (a guest OS names its NICs and disks by slot), so they are
assigned once, at define, written into the persistent definition, and never change on a
restart.  Addresses already in the document are kept and reserved first.

``pc`` (i440FX): slot 0 is the host bridge, slot 1 the PIIX3 (ISA, IDE at .1, UHCI at .2, PM
at .3), slot 2 the primary video card, then one slot per device from 3 in libvirt's order:
interfaces, controllers, virtio disks, balloon, RNG, watchdog, secondary video.

``q35``: slot 1 is the primary video, 0x1f the ICH9 (LPC, SATA at .2, SMBus at .3); every
PCI Express device gets its own ``pcie-root-port`` (ports packed as functions of the first free
slots) and sits in slot 0 behind it, so it can be unplugged alone.  Conventional PCI devices
(e1000, rtl8139, i6300esb...) go behind a ``pcie-to-pci-bridge`` (slots 1..31), which libvirt
adds, with a root port of its own, the first time one is needed.  A new domain whose topology
libvirt made up gets one spare, empty root port for hot-plug.  Controllers are numbered in the
order they are added, as libvirt numbers them.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from pyvirt.errors import ErrorDomain, OperationFailedError

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
    pci = [c for c in devices.iterchildren("controller") if c.get("type") == "pci"]
    made_up = max((int(c.get("index", "0")) for c in pci), default=0) <= 0
    topology = _Q35Topology(devices, used, max((int(c.get("index", "0")) for c in pci), default=0) + 1)
    bridge = next((c for c in pci if c.get("model") == "pcie-to-pci-bridge"), None)
    bridge_bus = int(bridge.get("index", "0")) if bridge is not None else None
    for el in pending:
        if model[el] in PCIE_DEVICES:
            set_pci_address(el, (topology.root_port(), 0, 0))
            continue
        if bridge_bus is None:
            bridge_bus = topology.bridge()
        slot = next(s for s in range(1, 32) if (bridge_bus, s, 0) not in used)
        used.add((bridge_bus, slot, 0))
        set_pci_address(el, (bridge_bus, slot, 0))
    if made_up and topology.added:
        topology.root_port()  # the spare, for hot-plug
    _mark_multifunction(devices, used)


class _Q35Topology:
    """Adds PCIe controllers to a q35 guest, numbered and placed as libvirt does."""

    def __init__(self, devices: etree._Element, used: set[Slot], next_index: int) -> None:
        self._devices = devices
        self._used = used
        self._ports = _root_port_positions(used)
        self.next_index = next_index
        self.added = False

    def root_port(self) -> int:
        """A new pcie-root-port on the root complex; returns its bus number."""
        index, where = self.next_index, next(self._ports)
        self._used.add(where)
        port = etree.Element("controller", type="pci", index=str(index), model="pcie-root-port")
        etree.SubElement(port, "model", name="pcie-root-port")
        etree.SubElement(port, "target", chassis=str(index), port=f"0x{where[1] * 8 + where[2]:x}")
        set_pci_address(port, where)
        _insert_controller(self._devices, port)
        self.next_index += 1
        self.added = True
        return index

    def bridge(self) -> int:
        """A pcie-to-pci-bridge behind a root port of its own; returns its bus number."""
        port = self.root_port()
        index = self.next_index
        bridge = etree.Element("controller", type="pci", index=str(index), model="pcie-to-pci-bridge")
        etree.SubElement(bridge, "model", name="pcie-pci-bridge")
        set_pci_address(bridge, (port, 0, 0))
        self._used.add((port, 0, 0))
        _insert_controller(self._devices, bridge)
        self.next_index += 1
        return index


def _mark_multifunction(devices: etree._Element, used: set[Slot]) -> None:
    """Function 0 of a root-complex slot whose other functions are in use says so (libvirt sets
    ``multifunction='on'`` there, and QEMU needs it to see the other functions)."""
    for el in devices.iterchildren("controller"):
        where = pci_address(el)
        if el.get("model") != "pcie-root-port" or where is None or where[0] != 0 or where[2] != 0:
            continue
        if any((0, where[1], f) in used for f in range(1, 8)):
            addr = el.find("address")
            assert addr is not None
            addr.set("multifunction", "on")


def _root_port_positions(used: set[Slot]) -> Iterator[Slot]:
    """Functions 0..7 of the first slot whose function 0 is free, then of the next such slots."""
    for slot in range(1, 0x1F):
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


def hotplug_slot(devices: etree._Element, q35: bool, qemu_device: str) -> Slot:
    """Where a device plugged into a running guest goes: controllers cannot be added live, so
    on ``q35`` a PCI Express device takes an empty root port (the spare libvirt leaves for this)
    and a conventional one a free slot of the pcie-to-pci-bridge; on ``pc`` the next free slot."""
    used = {found for el in devices.iter() if isinstance(el.tag, str) and (found := pci_address(el)) is not None}
    pci = [c for c in devices.iterchildren("controller") if c.get("type") == "pci"]
    if not q35:
        candidates: list[Slot] = [(0, s, 0) for s in range(3, 32)]
    elif qemu_device in PCIE_DEVICES:
        candidates = [(int(c.get("index", "0")), 0, 0) for c in pci if c.get("model") == "pcie-root-port"]
    else:
        bridges = [int(c.get("index", "0")) for c in pci if c.get("model") == "pcie-to-pci-bridge"]
        candidates = [(bus, s, 0) for bus in bridges for s in range(1, 32)]
    free = next((where for where in candidates if not any(u[:2] == where[:2] for u in used)), None)
    if free is None:
        raise OperationFailedError("operation failed: No more available PCI slots", domain=ErrorDomain.QEMU)
    return free


def bus_name(bus: int, q35: bool) -> str:
    """QEMU's id of PCI bus ``bus`` (the root complex, or the controller with that index)."""
    if bus == 0:
        return "pcie.0" if q35 else "pci.0"
    return f"pci.{bus}"
