"""Managed save, I/O statistics and domain capabilities of :class:`~pyvirt_qemu.connection.QemuConnection`.

* Managed save is :mod:`.saving` to the driver's own file (``lib/save/NAME.save``); starting
  the domain restores from it and removes it, as libvirt's ``virDomainCreate`` does.
* Block counters come from QMP ``query-blockstats`` (by the disk's drive id), interface
  counters from the host end of a tap (``/sys/class/net/TAP/statistics``, swapped: what the
  host receives the guest sent), as libvirt reads them.
* ``domstats`` gives libvirt's state, cpu, balloon, vcpu and block groups.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from pyvirt.errors import ErrorDomain, InvalidArgumentError, OperationInvalidError
from pyvirt.files import remove
from pyvirt.types import BlockStats, DomainRef, InterfaceStats
from pyvirt.xml.canonical import serialize
from pyvirt_qemu import hostcpu, lifecycle, probe, process, saving
from pyvirt_qemu.domain import DomainObj
from pyvirt_qemu.prepare import ARCH, DEFAULT_EMULATOR

if TYPE_CHECKING:
    from pyvirt_qemu.driver import QemuDriver


class DomainOpsCalls:
    drv: QemuDriver

    # -- managed save -------------------------------------------------------------------------

    def domain_managed_save(self, uuid: str) -> None:
        obj = self.drv.get(uuid)
        with obj.job:
            if obj.persistent is None:
                raise OperationInvalidError(
                    "Requested operation is not valid: cannot do managed save for transient domain",
                    domain=ErrorDomain.QEMU,
                )
            path = self.drv.layout.managed_save(obj.name)
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            saving.save_to(self.drv, obj, path)

    def domain_managed_save_remove(self, uuid: str) -> None:
        obj = self.drv.get(uuid)
        with obj.job:
            remove(self.drv.layout.managed_save(obj.name))

    def start_from_managed_save(self, obj: DomainObj, paused: bool) -> DomainRef | None:
        """Restore ``obj`` (its job held, inactive) from its managed save image if it has one,
        then drop the image; None when there is none (the caller boots it)."""
        path = self.drv.layout.managed_save(obj.name)
        if not path.exists():
            return None
        saving.restore_into(self.drv, obj, path, paused)
        remove(path)
        return obj.ref

    # -- statistics -----------------------------------------------------------------------------

    def domain_block_stats(self, uuid: str, disk: str) -> BlockStats:
        obj = self.drv.get(uuid)
        drive = _drive_of(obj, disk)
        for entry in lifecycle.monitor_of(obj).execute("query-blockstats"):
            if entry.get("device") == drive:
                s = entry["stats"]
                return BlockStats(s["rd_operations"], s["rd_bytes"], s["wr_operations"], s["wr_bytes"], -1)
        raise InvalidArgumentError(f"invalid argument: invalid path: {disk}", domain=ErrorDomain.QEMU)

    def domain_interface_stats(self, uuid: str, device: str) -> InterfaceStats:
        obj = self.drv.get(uuid)
        lifecycle.require_active(obj)
        tap = next(
            (i.target_dev for i in obj.definition.interfaces if device in (i.target_dev, i.mac) and i.target_dev),
            None,
        )
        base = Path(f"/sys/class/net/{tap}/statistics") if tap else None
        if base is None or not base.is_dir():
            raise InvalidArgumentError(
                f"invalid argument: invalid path, '{device}' is not a known interface", domain=ErrorDomain.QEMU
            )

        def read(name: str) -> int:
            return int((base / name).read_text())

        # the host's transmit is the guest's receive
        return InterfaceStats(
            read("tx_bytes"), read("tx_packets"), read("tx_errors"), read("tx_dropped"),
            read("rx_bytes"), read("rx_packets"), read("rx_errors"), read("rx_dropped"),
        )  # fmt: skip

    def domain_stats(self, uuid: str) -> dict[str, int | str]:
        obj = self.drv.get(uuid)
        dfn = obj.definition
        out: dict[str, int | str] = {"state.state": int(obj.state), "state.reason": int(obj.reason)}
        if not obj.active:
            return out
        monitor = lifecycle.monitor_of(obj)
        out["cpu.time"] = process.cpu_time(obj.pid)
        out["balloon.current"] = dfn.current_memory_kib
        out["balloon.maximum"] = dfn.memory_kib
        out["vcpu.current"] = dfn.current_vcpus
        out["vcpu.maximum"] = dfn.vcpus
        stats = {e.get("device"): e.get("stats", {}) for e in monitor.execute("query-blockstats")}
        disks = [d for d in dfn.disks if d.source]
        out["block.count"] = len(disks)
        for n, disk in enumerate(disks):
            s: dict[str, Any] = stats.get(_alias_drive(disk.element), {})
            out[f"block.{n}.name"] = disk.target_dev
            out[f"block.{n}.path"] = disk.source or ""
            for key, field in (("rd.reqs", "rd_operations"), ("rd.bytes", "rd_bytes"),
                               ("wr.reqs", "wr_operations"), ("wr.bytes", "wr_bytes")):  # fmt: skip
                if field in s:
                    out[f"block.{n}.{key}"] = int(s[field])
        return out

    # -- capabilities -----------------------------------------------------------------------------

    def get_domain_capabilities(
        self, emulator: str | None, arch: str | None, machine: str | None, virt_type: str | None
    ) -> str:
        binary = emulator or DEFAULT_EMULATOR
        caps = probe.capabilities(binary, self.drv.layout.cache)
        if arch not in (None, ARCH):
            raise InvalidArgumentError(
                f"invalid argument: emulator '{binary}' does not support arch '{arch}'", domain=ErrorDomain.QEMU
            )
        kind = virt_type or ("kvm" if caps.kvm else "qemu")
        if kind not in ("kvm", "qemu") or (kind == "kvm" and not caps.kvm):
            raise InvalidArgumentError(
                f"invalid argument: KVM is not supported by '{binary}' on this host"
                if kind == "kvm"
                else f"invalid argument: unknown virttype: {kind}",
                domain=ErrorDomain.QEMU,
            )
        found = caps.machine(machine) if machine else caps.default_machine
        if found is None:
            raise InvalidArgumentError(
                f"invalid argument: the machine '{machine}' is not supported by emulator '{binary}'",
                domain=ErrorDomain.QEMU,
            )
        root = etree.Element("domainCapabilities")
        etree.SubElement(root, "path").text = caps.path
        etree.SubElement(root, "domain").text = kind
        etree.SubElement(root, "machine").text = found.name
        etree.SubElement(root, "arch").text = ARCH
        etree.SubElement(root, "vcpu", max=str(found.max_cpus))
        etree.SubElement(root, "iothreads", supported="yes")
        os_el = etree.SubElement(root, "os", supported="yes")
        _enum(os_el, "firmware", [])
        cpu = etree.SubElement(root, "cpu")
        etree.SubElement(cpu, "mode", name="host-passthrough", supported="no")
        host_model = etree.SubElement(cpu, "mode", name="host-model", supported="yes")
        host = hostcpu.host_cpu(binary, self.drv.layout.cache) if kind == "kvm" else None
        if host is not None:
            etree.SubElement(host_model, "model", fallback="forbid").text = host.model
            for policy, names in (("require", host.require), ("disable", host.disable)):
                for name in names:
                    etree.SubElement(host_model, "feature", policy=policy, name=name)
        custom = etree.SubElement(cpu, "mode", name="custom", supported="yes")
        for model, missing in sorted(caps.cpu_unavailable.items()):
            usable = "yes" if not missing or kind == "qemu" else "no"
            etree.SubElement(custom, "model", usable=usable).text = model
        devices = etree.SubElement(root, "devices")
        disk = etree.SubElement(devices, "disk", supported="yes")
        _enum(disk, "diskDevice", ["disk", "cdrom"])
        _enum(disk, "bus", ["ide", "scsi", "virtio", "sata"])
        _enum(disk, "model", [])
        graphics = etree.SubElement(devices, "graphics", supported="yes")
        _enum(graphics, "type", ["vnc"])
        etree.SubElement(devices, "hostdev", supported="no")
        features = etree.SubElement(root, "features")
        for name in ("gic", "vmcoreinfo", "genid", "sev"):
            etree.SubElement(features, name, supported="no")
        return serialize(root)


def _enum(parent: etree._Element, name: str, values: list[str]) -> None:
    el = etree.SubElement(parent, "enum", name=name)
    for value in values:
        etree.SubElement(el, "value").text = value


def _alias_drive(el: etree._Element) -> str:
    alias = el.find("alias")
    return f"drive-{alias.get('name')}" if alias is not None else ""


def _drive_of(obj: DomainObj, disk: str) -> str:
    """The QEMU drive id of the running domain's disk named by target or source path."""
    lifecycle.require_active(obj)
    for d in obj.definition.disks:
        if disk in (d.target_dev, d.source):
            return _alias_drive(d.element)
    raise InvalidArgumentError(f"invalid argument: invalid path: {disk}", domain=ErrorDomain.QEMU)
