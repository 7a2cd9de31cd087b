"""Live detach on real QEMU, driven by its DEVICE_DELETED event.

A SCSI disk on virtio-scsi leaves the moment QEMU is asked (no guest help), so the detach
returns with the device gone from QEMU and from the live XML.  A virtio PCI disk on ``pc``
needs the guest's ACPI eject, which the boot-sector guest never does: the detach gives up
waiting and still succeeds (libvirt 9.0), the disk stays in the live XML, and when the unplug
completes later (a reset finishes a pending ACPI unplug in QEMU) the driver removes it then.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from bootsector import write_disk
from lxml import etree
from qemu_helpers import domain_xml, wait_for

import pyvirt
from pyvirt.types import ModifyScope
from pyvirt_qemu import hotplug


def _disk(path: Path, dev: str, bus: str, device: str = "disk") -> str:
    return (
        f"<disk type='file' device='{device}'><driver name='qemu' type='raw'/><source file='{path}'/>"
        f"<target dev='{dev}' bus='{bus}'/></disk>"
    )


def _targets(xml: str) -> list[str]:
    return [t.get("dev", "") for t in etree.fromstring(xml.encode()).iterfind("devices/disk/target")]


def _blank(path: Path) -> Path:
    path.write_bytes(b"\0" * (1 << 20))
    return path


def test_a_scsi_disk_leaves_at_once(conn: pyvirt.Connection, root: Path) -> None:
    scsi = _disk(_blank(root / "s.img"), "sdb", "scsi")
    dom = conn.define_domain(domain_xml("scsi", write_disk(root / "b.img", b"PYVIRT-S", "halt"), extra=scsi))
    dom.start()
    assert _targets(dom.xml()) == ["vda", "sdb"]
    assert dom.block_stats("sdb").rd_req >= 0
    dom.detach_device(scsi, ModifyScope.LIVE)
    assert _targets(dom.xml()) == ["vda"]  # gone before the call returned
    assert _targets(dom.xml(inactive=True)) == ["vda", "sdb"]  # live only
    with pytest.raises(pyvirt.PyvirtError, match="sdb"):
        dom.block_stats("sdb")
    # QEMU dropped the drive with the device: the same name can be plugged again.
    dom.attach_device(_disk(_blank(root / "v.img"), "vdb", "virtio"))
    assert _targets(dom.xml()) == ["vda", "vdb"]
    dom.destroy()


def test_buses_that_cannot_unplug_are_refused(conn: pyvirt.Connection, root: Path) -> None:
    ide = _disk(_blank(root / "i.img"), "hdb", "ide")
    cd = _disk(_blank(root / "c.iso"), "vdc", "virtio", device="cdrom")
    dom = conn.define_domain(domain_xml("ide", write_disk(root / "b.img", b"X", "halt"), extra=ide))
    dom.start()
    with pytest.raises(pyvirt.UnsupportedError, match="This type of disk cannot be hot unplugged"):
        dom.detach_device(ide, ModifyScope.LIVE)
    assert _targets(dom.xml()) == ["vda", "hdb"]
    with pytest.raises(pyvirt.PyvirtError, match="disk vdc not found"):
        dom.detach_device(cd, ModifyScope.LIVE)
    dom.destroy()


def test_a_pci_disk_the_guest_keeps_is_removed_when_qemu_lets_go(
    conn: pyvirt.Connection, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hotplug, "DETACH_WAIT", 0.5)
    dom = conn.define_domain(domain_xml("pci", write_disk(root / "b.img", b"PYVIRT-P", "halt")))
    dom.start()
    extra = _disk(_blank(root / "e.img"), "vdb", "virtio")
    dom.attach_device(extra, ModifyScope.LIVE)
    dom.detach_device(extra, ModifyScope.LIVE)  # succeeds although the guest never ejects
    assert _targets(dom.xml()) == ["vda", "vdb"]  # still there: the unplug is in progress
    assert dom.block_stats("vdb").rd_req >= 0
    dom.reset()  # QEMU completes a pending ACPI unplug on reset: DEVICE_DELETED comes now
    wait_for(lambda: _targets(dom.xml()) == ["vda"], 10, "the late DEVICE_DELETED to remove vdb")
    with pytest.raises(pyvirt.PyvirtError, match="vdb"):
        dom.block_stats("vdb")
    dom.destroy()


@pytest.mark.skipif(not shutil.which("virsh"), reason="no virsh")
def test_real_virsh_detaches_a_scsi_disk_through_pyvirtd(root: Path) -> None:
    from pyvirt_daemon.process import DaemonProcess

    daemon = DaemonProcess(root / "d").start()
    try:
        uri = daemon.uri(driver="qemu", path="/system")
        scsi = _disk(_blank(root / "s.img"), "sdb", "scsi")
        (root / "g.xml").write_text(domain_xml("served", write_disk(root / "b.img", b"X", "halt"), extra=scsi))
        (root / "sdb.xml").write_text(scsi)

        def virsh(*words: str) -> str:
            done = subprocess.run(["virsh", "-c", uri, *words], capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, f"{words}: {done.stderr}"
            return done.stdout

        virsh("create", str(root / "g.xml"))
        assert "sdb" in virsh("domblklist", "served")
        assert "Device detached successfully" in virsh("detach-device", "served", str(root / "sdb.xml"), "--live")
        assert "sdb" not in virsh("domblklist", "served")
        virsh("destroy", "served")
    finally:
        daemon.stop()
