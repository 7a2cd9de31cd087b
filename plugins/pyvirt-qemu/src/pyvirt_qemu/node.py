"""The capabilities document and the version: what the host offers QEMU guests.

The capabilities document follows libvirt's format, built from /proc and from the default
emulator's probed capabilities (:mod:`.probe`), so tools that read libvirt's find the same
elements here.
"""

from __future__ import annotations

import platform

from lxml import etree

from pyvirt.hostinfo import node_info
from pyvirt.xml.canonical import serialize
from pyvirt_qemu import probe
from pyvirt_qemu.layout import Layout
from pyvirt_qemu.prepare import ARCH, DEFAULT_EMULATOR


def emulator_caps(layout: Layout) -> probe.EmulatorCaps:
    return probe.capabilities(DEFAULT_EMULATOR, layout.cache)


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def capabilities_xml(layout: Layout) -> str:
    """``virsh capabilities``: the host CPU and NUMA cell, one guest entry for x86_64."""
    caps = emulator_caps(layout)
    info = node_info()
    root = etree.Element("capabilities")
    host = _el(root, "host")
    cpu = _el(host, "cpu")
    _el(cpu, "arch", platform.machine())
    _el(cpu, "topology", sockets="1", dies="1", cores=str(info.cpus), threads="1")
    _el(host, "power_management")
    _el(host, "iommu", support="no")
    _el(_el(host, "migration_features"), "live")
    cell = _el(_el(_el(host, "topology"), "cells", num="1"), "cell", id="0")
    _el(cell, "memory", str(info.memory), unit="KiB")
    cpus = _el(cell, "cpus", num=str(info.cpus))
    for i in range(info.cpus):
        _el(cpus, "cpu", id=str(i), socket_id="0", die_id="0", core_id=str(i), siblings=str(i))
    guest = _el(root, "guest")
    _el(guest, "os_type", "hvm")
    arch = _el(guest, "arch", name=ARCH)
    _el(arch, "wordsize", "64")
    _el(arch, "emulator", caps.path)
    for m in caps.machines:  # the default first; an alias right after the machine it names
        if m.deprecated:
            _el(arch, "machine", m.name, maxCpus=str(m.max_cpus), deprecated="yes")
        else:
            _el(arch, "machine", m.name, maxCpus=str(m.max_cpus))
        if m.alias:
            _el(arch, "machine", m.alias, canonical=m.name, maxCpus=str(m.max_cpus))
    _el(arch, "domain", type="qemu")
    if caps.kvm:
        _el(arch, "domain", type="kvm")
    features = _el(guest, "features")
    _el(features, "acpi", default="on", toggle="yes")
    _el(features, "apic", default="on", toggle="no")
    _el(features, "cpuselection")
    _el(features, "deviceboot")
    return serialize(root)
