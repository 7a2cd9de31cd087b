"""Device hot-plug on real QEMU: a disk and an interface attached to a running guest appear in
QEMU and in the live XML (and the config when asked); config-only changes touch no process."""

from __future__ import annotations

from pathlib import Path

import pytest
from bootsector import write_disk
from lxml import etree
from qemu_helpers import domain_xml

import pyvirt
from pyvirt.types import ModifyScope


def _disk(path: Path, dev: str = "vdb") -> str:
    return (
        f"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{path}'/>"
        f"<target dev='{dev}' bus='virtio'/></disk>"
    )


NIC = "<interface type='user'><mac address='52:54:00:aa:bb:01'/><model type='virtio'/></interface>"


def _targets(xml: str) -> list[str]:
    return [t.get("dev", "") for t in etree.fromstring(xml.encode()).iterfind("devices/disk/target")]


def test_attach_a_disk_and_a_nic_to_a_running_guest(conn: pyvirt.Connection, root: Path) -> None:
    dom = conn.define_domain(domain_xml("hp", write_disk(root / "hp.img", b"PYVIRT-HP", "halt")))
    dom.start()
    extra = root / "extra.img"
    extra.write_bytes(b"\0" * (1 << 20))
    dom.attach_device(_disk(extra), ModifyScope.LIVE | ModifyScope.CONFIG)
    assert _targets(dom.xml()) == ["vda", "vdb"]
    assert _targets(dom.xml(inactive=True)) == ["vda", "vdb"]
    assert dom.block_stats("vdb").rd_req >= 0  # QEMU knows the new drive
    live = etree.fromstring(dom.xml().encode())
    assert live.find("devices/disk[2]/alias").get("name") == "virtio-disk1"  # type: ignore[union-attr]
    with pytest.raises(pyvirt.OperationFailedError, match="target vdb already exists"):
        dom.attach_device(_disk(extra))

    dom.attach_device(NIC)  # CURRENT on a running guest: live only
    macs = [m.get("address") for m in etree.fromstring(dom.xml().encode()).iterfind("devices/interface/mac")]
    assert macs == ["52:54:00:aa:bb:01"]
    assert etree.fromstring(dom.xml(inactive=True).encode()).find("devices/interface") is None

    with pytest.raises(pyvirt.OperationFailedError, match=r"no\.such\.img"):
        dom.attach_device(_disk(root / "no.such.img", "vdc"))
    assert _targets(dom.xml()) == ["vda", "vdb"]  # a failed attach leaves nothing behind

    dom.detach_device(_disk(extra), ModifyScope.CONFIG)
    assert _targets(dom.xml(inactive=True)) == ["vda"]
    assert _targets(dom.xml()) == ["vda", "vdb"]
    dom.destroy()


def test_config_changes_of_an_inactive_guest(conn: pyvirt.Connection, root: Path) -> None:
    dom = conn.define_domain(domain_xml("cfg", write_disk(root / "cfg.img", b"X", "halt")))
    dom.attach_device(NIC.replace("aa:bb:01", "aa:bb:02"))
    mac = etree.fromstring(dom.xml().encode()).find("devices/interface/mac")
    assert mac is not None and mac.get("address") == "52:54:00:aa:bb:02"
    dom.detach_device("<interface type='user'><mac address='52:54:00:AA:BB:02'/></interface>")
    assert etree.fromstring(dom.xml().encode()).find("devices/interface") is None
    with pytest.raises(pyvirt.OperationInvalidError, match="domain is not running"):
        dom.attach_device(NIC, ModifyScope.LIVE)
    with pytest.raises(pyvirt.UnsupportedError, match="hot-plug of device 'video'"):
        dom.attach_device("<video><model type='vga'/></video>")


def _pci(xml: str, dev: str) -> tuple[str, str]:
    for disk in etree.fromstring(xml.encode()).iterfind("devices/disk"):
        if disk.find("target").get("dev") == dev:  # type: ignore[union-attr]
            addr = disk.find("address")
            assert addr is not None and addr.get("type") == "pci"
            return addr.get("bus", ""), addr.get("slot", "")
    raise AssertionError(f"no disk {dev}")


def test_q35_hotplug_uses_the_spare_root_port(conn: pyvirt.Connection, root: Path) -> None:
    """Controllers cannot be added to a running q35 guest: a hot-plugged PCIe device takes the
    empty root port libvirt leaves at define, and when none is left the attach fails cleanly."""
    dom = conn.define_domain(domain_xml("hq35", write_disk(root / "q.img", b"X", "halt"), machine="q35"))
    spare = etree.fromstring(dom.xml().encode()).findall("devices/controller[@model='pcie-root-port']")[-1]
    dom.start()
    extra = root / "extra.img"
    extra.write_bytes(b"\0" * (1 << 20))
    dom.attach_device(_disk(extra), ModifyScope.LIVE)
    assert _pci(dom.xml(), "vdb") == (f"0x{int(spare.get('index', '0')):02x}", "0x00")
    assert dom.block_stats("vdb").rd_req >= 0
    with pytest.raises(pyvirt.OperationFailedError, match="No more available PCI slots"):
        dom.attach_device(_disk(extra, "vdc"), ModifyScope.LIVE)
    assert _targets(dom.xml()) == ["vda", "vdb"]
    dom.destroy()


def test_pc_hotplug_takes_the_next_free_slot(conn: pyvirt.Connection, root: Path) -> None:
    dom = conn.define_domain(domain_xml("hpc", write_disk(root / "p.img", b"X", "halt")))
    dom.start()
    used = {a.get("slot") for a in etree.fromstring(dom.xml().encode()).iterfind("devices/*/address[@bus='0x00']")}
    extra = root / "extra.img"
    extra.write_bytes(b"\0" * (1 << 20))
    dom.attach_device(_disk(extra), ModifyScope.LIVE)
    bus, slot = _pci(dom.xml(), "vdb")
    assert bus == "0x00" and slot not in used
    assert slot == f"0x{min(s for s in range(3, 32) if f'0x{s:02x}' not in used):02x}"
    dom.destroy()
