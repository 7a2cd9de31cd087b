"""Define-time work on a parsed definition: QEMU's own defaults, refusals and addresses.

The generic parse-time defaults are :mod:`pyvirt.xml.defaults`'s; these are the ones libvirt's
QEMU driver adds on top (the emulator path, the full machine type name, the machine's built-in
controllers, PS/2 input, a virtio balloon, serial target models, PCI addresses), so the
persistent XML shows what the guest will really get.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from pyvirt.errors import ErrorDomain, InvalidArgumentError
from pyvirt.xml.domain import DomainDef
from pyvirt_qemu import addresses, devices, probe, support

DEFAULT_EMULATOR = "/usr/bin/qemu-system-x86_64"
ARCH = "x86_64"


def prepare(dfn: DomainDef, cache_dir: Path) -> probe.EmulatorCaps:
    """Fill in QEMU's defaults and addresses on ``dfn`` in place, refusing what the driver
    cannot run; returns the emulator's capabilities for the caller's further checks."""
    root = dfn.root
    if dfn.virt_type not in ("qemu", "kvm"):
        raise InvalidArgumentError(
            f"unsupported configuration: emulator type '{dfn.virt_type}' is not supported by the QEMU driver",
            domain=ErrorDomain.QEMU,
        )
    if dfn.os_type != "hvm":
        raise InvalidArgumentError(
            f"unsupported configuration: OS type '{dfn.os_type}' (only hvm)", domain=ErrorDomain.QEMU
        )
    if not dfn.arch:
        dfn.arch = ARCH
    if dfn.arch != ARCH:
        raise InvalidArgumentError(f"unsupported configuration: No guest options available for arch '{dfn.arch}'")
    devs = root.find("devices")
    if devs is None:
        devs = etree.SubElement(root, "devices")
    emulator = devs.find("emulator")
    if emulator is None:
        emulator = etree.Element("emulator")
        emulator.text = DEFAULT_EMULATOR
        devs.insert(0, emulator)
    caps = probe.capabilities(emulator.text or DEFAULT_EMULATOR, cache_dir)
    if dfn.virt_type == "kvm" and not caps.kvm:
        raise InvalidArgumentError(
            f"invalid argument: could not find capabilities for arch={ARCH} domaintype=kvm (KVM is not usable here)"
        )
    os_type = root.find("os/type")
    assert os_type is not None  # os_type == 'hvm' above
    wanted = os_type.get("machine") or (caps.default_machine.name if caps.default_machine else "pc")
    machine = caps.machine(wanted)
    if machine is None or not (machine.name.startswith(("pc-i440fx", "pc-q35"))):
        raise support.UnsupportedConfigError(f"Emulator '{caps.path}' does not support machine type '{wanted}'")
    os_type.set("machine", machine.name)
    q35 = "q35" in machine.name
    if dfn.vcpus > machine.max_cpus:
        raise support.UnsupportedConfigError(
            f"Maximum CPUs greater than specified machine type limit {machine.max_cpus}"
        )
    support.check(root, caps, machine.name)
    _implicit_devices(devs, q35)
    addresses.assign(devs, q35, devices.pci_models(devs, q35))
    dfn.invalidate()
    return caps


def _implicit_devices(devs: etree._Element, q35: bool) -> None:
    controllers = list(devs.iterchildren("controller"))
    kinds = {(c.get("type"), c.get("index", "0")) for c in controllers}
    if ("pci", "0") not in kinds:
        _add(devs, "controller", type="pci", index="0", model="pcie-root" if q35 else "pci-root")
    if ("usb", "0") not in kinds:
        _add(devs, "controller", type="usb", index="0", model="qemu-xhci" if q35 else "piix3-uhci")
    if q35 and ("sata", "0") not in kinds:
        _add(devs, "controller", type="sata", index="0")
    if not q35 and ("ide", "0") not in kinds:
        _add(devs, "controller", type="ide", index="0")
    inputs = {(i.get("type"), i.get("bus")) for i in devs.iterchildren("input")}
    for kind in ("mouse", "keyboard"):
        if (kind, "ps2") not in inputs:
            _add(devs, "input", type=kind, bus="ps2")
    if devs.find("memballoon") is None:
        _add(devs, "memballoon", model="virtio")
    for serial in devs.iterchildren("serial"):
        target = serial.find("target")
        if target is None:
            target = etree.SubElement(serial, "target", port="0")
        target.set("type", "isa-serial")
        if target.find("model") is None:
            etree.SubElement(target, "model", name="isa-serial")
    for tablet in devs.iterchildren("input"):
        if tablet.get("bus") == "usb" and tablet.find("address") is None:
            etree.SubElement(tablet, "address", type="usb", bus="0", port="1")


def _add(devs: etree._Element, tag: str, **attrs: str) -> None:
    el = etree.SubElement(devs, tag)
    for key, value in attrs.items():
        el.set(key, value)
