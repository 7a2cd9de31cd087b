"""Facts about the host: node info, free memory, and the capabilities documents.

The host capabilities and ``domcapabilities`` documents follow libvirt's format, built from
/proc and from the default emulator's probed capabilities (:mod:`.probe`), so tools that read
libvirt's documents find the same elements here.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from xml.sax.saxutils import escape

from pyvirt.types import NodeInfo
from pyvirt_qemu import probe
from pyvirt_qemu.layout import Layout
from pyvirt_qemu.prepare import ARCH, DEFAULT_EMULATOR


def emulator_caps(layout: Layout) -> probe.EmulatorCaps:
    return probe.capabilities(DEFAULT_EMULATOR, layout.cache)


def _meminfo() -> dict[str, int]:
    out = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, _, rest = line.partition(":")
        out[key] = int(rest.split()[0])
    return out


def free_memory() -> int:
    return _meminfo()["MemFree"] * 1024


def node_info() -> NodeInfo:
    cpus = os.cpu_count() or 1
    mhz = 0
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("cpu MHz"):
            mhz = int(float(line.split(":")[1]))
            break
    return NodeInfo(platform.machine(), _meminfo()["MemTotal"], cpus, mhz, 1, 1, cpus, 1)


def capabilities_xml(layout: Layout) -> str:
    """``virsh capabilities``: the host CPU and one guest entry for the x86_64 emulator."""
    caps = emulator_caps(layout)
    info = node_info()
    machines = "".join(
        f"      <machine maxCpus='{m.max_cpus}'{f' canonical={chr(39)}{m.name}{chr(39)}' if m.alias else ''}>{escape(m.alias or m.name)}</machine>\n"
        for m in caps.machines
    )
    domains = "      <domain type='qemu'/>\n" + ("      <domain type='kvm'/>\n" if caps.kvm else "")
    return (
        "<capabilities>\n\n  <host>\n"
        f"    <cpu>\n      <arch>{platform.machine()}</arch>\n"
        f"      <topology sockets='1' dies='1' cores='{info.cpus}' threads='1'/>\n    </cpu>\n"
        "    <power_management/>\n    <iommu support='no'/>\n"
        "    <migration_features>\n      <live/>\n    </migration_features>\n"
        f"    <topology>\n      <cells num='1'>\n        <cell id='0'>\n"
        f"          <memory unit='KiB'>{info.memory}</memory>\n"
        f"          <cpus num='{info.cpus}'>\n"
        + "".join(f"            <cpu id='{i}' socket_id='0' die_id='0' core_id='{i}' siblings='{i}'/>\n" for i in range(info.cpus))
        + "          </cpus>\n        </cell>\n      </cells>\n    </topology>\n"
        "  </host>\n\n  <guest>\n    <os_type>hvm</os_type>\n"
        f"    <arch name='{ARCH}'>\n      <wordsize>64</wordsize>\n      <emulator>{escape(caps.path)}</emulator>\n"
        f"{machines}{domains}    </arch>\n"
        "    <features>\n      <acpi default='on' toggle='yes'/>\n      <apic default='on' toggle='no'/>\n"
        "      <cpuselection/>\n      <deviceboot/>\n      <disksnapshot default='on' toggle='no'/>\n    </features>\n"
        "  </guest>\n\n</capabilities>\n"
    )


def domain_capabilities_xml(layout: Layout, virt_type: str, machine: str | None) -> str:
    """``virsh domcapabilities``: what this emulator offers a domain of ``virt_type``."""
    caps = emulator_caps(layout)
    chosen = caps.machine(machine) if machine else caps.default_machine
    name = chosen.name if chosen else (machine or "")
    usable = sorted(n for n, missing in caps.cpu_unavailable.items() if not missing or virt_type != "kvm")
    models = "".join(f"      <model usable='yes'>{escape(n)}</model>\n" for n in usable if n not in ("host", "max", "base"))
    return (
        "<domainCapabilities>\n"
        f"  <path>{escape(caps.path)}</path>\n  <domain>{virt_type}</domain>\n  <machine>{escape(name)}</machine>\n"
        f"  <arch>{ARCH}</arch>\n  <vcpu max='{chosen.max_cpus if chosen else 1}'/>\n"
        "  <os supported='yes'>\n    <enum name='firmware'/>\n  </os>\n"
        "  <cpu>\n    <mode name='host-passthrough' supported='yes'/>\n    <mode name='maximum' supported='yes'/>\n"
        "    <mode name='host-model' supported='yes'>\n      <model fallback='forbid'>qemu64</model>\n    </mode>\n"
        f"    <mode name='custom' supported='yes'>\n{models}    </mode>\n  </cpu>\n"
        "  <devices>\n"
        "    <disk supported='yes'>\n      <enum name='diskDevice'>\n        <value>disk</value>\n        <value>cdrom</value>\n      </enum>\n"
        "      <enum name='bus'>\n        <value>ide</value>\n        <value>scsi</value>\n        <value>virtio</value>\n        <value>sata</value>\n      </enum>\n    </disk>\n"
        "    <graphics supported='yes'>\n      <enum name='type'>\n        <value>vnc</value>\n      </enum>\n    </graphics>\n"
        "    <video supported='yes'>\n      <enum name='modelType'>\n        <value>vga</value>\n        <value>cirrus</value>\n        <value>virtio</value>\n        <value>none</value>\n      </enum>\n    </video>\n"
        "    <rng supported='yes'>\n      <enum name='model'>\n        <value>virtio</value>\n      </enum>\n      <enum name='backendModel'>\n        <value>random</value>\n      </enum>\n    </rng>\n"
        "  </devices>\n</domainCapabilities>\n"
    )
