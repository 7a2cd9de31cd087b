"""Snapshot flags and external snapshot deletion on real QEMU, with libvirt 9.0's rules.

Deleting an external snapshot merges its overlay into the image below: the data the guest
wrote after the snapshot survives, the overlay file is gone and the disk uses the base again
(by ``block-commit`` while running, ``qemu-img commit`` while off).  Per-disk choices
(``--diskspec``), redefinition and ``--halt`` follow libvirt's checks and messages.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from bootsector import write_disk
from lxml import etree
from qemu_helpers import domain_xml

import pyvirt
from pyvirt.types import DomainState, ShutoffReason, SnapshotCreateFlags


def _qcow2(root: Path, name: str) -> Path:
    raw = write_disk(root / f"{name}.raw", b"PYVIRT-SNAP", "halt")
    disk = root / f"{name}.qcow2"
    subprocess.run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", str(raw), str(disk)], check=True)
    return disk


def _guest(root: Path, name: str, extra: str = "") -> str:
    return domain_xml(name, _qcow2(root, name), extra=extra).replace("type='raw'", "type='qcow2'", 1)


def _source(xml: str, dev: str = "vda") -> str:
    for disk in etree.fromstring(xml.encode()).iterfind("devices/disk"):
        if disk.find("target").get("dev") == dev:  # type: ignore[union-attr]
            return disk.find("source").get("file", "")  # type: ignore[union-attr]
    raise AssertionError(f"no disk {dev}")


def _holds(path: Path, offset: int, pattern: int) -> bool:
    """Whether the guest-visible 512 bytes at ``offset`` are ``pattern`` (qemu-io follows the
    backing chain and says when the pattern does not match)."""
    out = subprocess.run(
        ["qemu-io", "-U", "-r", "-c", f"read -P {pattern} {offset} 512", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.returncode == 0 and "verification failed" not in out.stdout + out.stderr


def _write(path: Path, offset: int, pattern: int) -> None:
    subprocess.run(["qemu-io", "-c", f"write -P {pattern} {offset} 512", str(path)], capture_output=True, check=True)


def _backing(path: Path) -> str | None:
    out = subprocess.run(["qemu-img", "info", "-U", "--output=json", str(path)], capture_output=True, check=True)
    backing: str | None = json.loads(out.stdout).get("backing-filename")
    return backing


def test_deleting_an_external_snapshot_of_a_stopped_guest_merges_it_down(conn: pyvirt.Connection, root: Path) -> None:
    dom = conn.define_domain(_guest(root, "off"))
    base = root / "off.qcow2"
    dom.create_snapshot("<domainsnapshot><name>e1</name></domainsnapshot>", disk_only=True)
    overlay = Path(_source(dom.xml()))
    _write(overlay, 1 << 16, 0x5A)  # written after the snapshot: lives in the overlay only
    dom.create_snapshot("<domainsnapshot><name>e2</name></domainsnapshot>", disk_only=True)
    top = Path(_source(dom.xml()))
    assert _backing(top) == str(overlay)

    dom.delete_snapshot("e1")  # the overlay in the middle: committed into the base, top re-pointed
    assert not overlay.exists()
    assert _backing(top) == str(base)
    assert _holds(base, 1 << 16, 0x5A)
    assert not _holds(base, 1 << 17, 0x5A)  # the check can fail
    e2 = etree.fromstring(dom.snapshot_xml("e2").encode())
    assert e2.find("parent") is None
    assert _source(etree.tostring(e2.find("domain")).decode()) == str(base)  # type: ignore[arg-type]

    dom.delete_snapshot("e2")  # the active overlay: committed, the disk goes back to the base
    assert not top.exists()
    assert _source(dom.xml()) == str(base)
    assert dom.snapshot_names() == []
    assert dom.current_snapshot() is None


def test_deleting_an_external_snapshot_of_a_running_guest_commits_live(conn: pyvirt.Connection, root: Path) -> None:
    dom = conn.define_domain(_guest(root, "live"))
    base = root / "live.qcow2"
    dom.start()
    dom.create_snapshot("<domainsnapshot><name>e1</name></domainsnapshot>", disk_only=True)
    overlay = Path(_source(dom.xml()))
    assert _backing(overlay) == str(base)
    dom.delete_snapshot("e1")  # block-commit of the active layer, then the pivot
    assert not overlay.exists()
    assert _source(dom.xml()) == str(base)
    assert _source(dom.xml(inactive=True)) == str(base)
    assert dom.block_stats("vda").rd_req >= 0  # the guest still has its disk
    assert dom.state()[0] == DomainState.RUNNING
    dom.destroy()
    dom.start()  # and boots from the base again
    dom.destroy()


def test_an_internal_parent_blocks_deleting_an_external_child(conn: pyvirt.Connection, root: Path) -> None:
    dom = conn.define_domain(_guest(root, "mix"))
    dom.create_snapshot("<domainsnapshot><name>int</name></domainsnapshot>")
    dom.create_snapshot("<domainsnapshot><name>ext</name></domainsnapshot>", disk_only=True)
    with pytest.raises(pyvirt.UnsupportedError, match="external snapshot that has internal snapshot as parent"):
        dom.delete_snapshot("ext")
    with pytest.raises(pyvirt.UnsupportedError, match="revert to external snapshot not supported yet"):
        dom.revert_to_snapshot("ext")
    assert sorted(dom.snapshot_names()) == ["ext", "int"]


def test_diskspec_choices(conn: pyvirt.Connection, root: Path) -> None:
    second = root / "second.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(second), "1M"], check=True)
    disk2 = (
        f"<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{second}'/>"
        "<target dev='vdb' bus='virtio'/></disk>"
    )
    dom = conn.define_domain(_guest(root, "spec", extra=disk2))
    chosen = root / "chosen.qcow2"
    req = (
        "<domainsnapshot><name>d1</name><disks><disk name='vda' snapshot='external'>"
        f"<source file='{chosen}'/></disk><disk name='vdb' snapshot='no'/></disks></domainsnapshot>"
    )
    dom.create_snapshot(req, disk_only=True)
    assert _source(dom.xml()) == str(chosen)  # the file the diskspec named
    assert _source(dom.xml(), "vdb") == str(second)  # snapshot='no': untouched
    for xml, message in [
        ("<disks><disk name='vdz' snapshot='external'/></disks>", "no disk named 'vdz'"),
        ("<disks><disk name='vda' snapshot='internal'/></disks>", "mixing internal and external targets"),
        ("<disks><disk name='vda' snapshot='no'/><disk name='vdb' snapshot='no'/></disks>", "at least one disk"),
    ]:
        with pytest.raises(pyvirt.UnsupportedError, match=message):
            dom.create_snapshot(f"<domainsnapshot><name>x</name>{xml}</domainsnapshot>", disk_only=True)
    with pytest.raises(pyvirt.UnsupportedError, match="require all disks to be selected"):
        dom.create_snapshot(
            "<domainsnapshot><name>x</name><disks><disk name='vdb' snapshot='no'/></disks></domainsnapshot>"
        )
    assert dom.snapshot_names() == ["d1"]


def test_halt_and_redefine(conn: pyvirt.Connection, root: Path) -> None:
    dom = conn.define_domain(_guest(root, "halt"))
    dom.start()
    dom.create_snapshot("<domainsnapshot><name>h1</name></domainsnapshot>", SnapshotCreateFlags.HALT)
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.FROM_SNAPSHOT)
    assert etree.fromstring(dom.snapshot_xml("h1").encode()).findtext("state") == "running"

    saved = dom.snapshot_xml("h1")
    dom.create_snapshot("<domainsnapshot><name>h2</name></domainsnapshot>")
    assert dom.current_snapshot() == "h2"
    redefined = saved.replace("<name>h1</name>", "<name>r1</name>", 1)
    assert dom.create_snapshot(redefined, SnapshotCreateFlags.REDEFINE) == "r1"
    assert dom.current_snapshot() == "h2"  # without CURRENT the current one stays
    dom.create_snapshot(redefined, SnapshotCreateFlags.REDEFINE | SnapshotCreateFlags.CURRENT)
    assert dom.current_snapshot() == "r1"
    with pytest.raises(pyvirt.InvalidArgumentError, match="required by flag 'VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT'"):
        dom.create_snapshot("", SnapshotCreateFlags.CURRENT)
    with pytest.raises(pyvirt.InvalidArgumentError, match="cannot change between online and offline"):
        dom.create_snapshot(
            redefined.replace("<state>running</state>", "<state>shutoff</state>"), SnapshotCreateFlags.REDEFINE
        )
    with pytest.raises(pyvirt.InvalidArgumentError, match="unsupported flags \\(0x4\\)"):
        dom.create_snapshot("", SnapshotCreateFlags.NO_METADATA)
    for name in ("r1", "h2", "h1"):
        dom.delete_snapshot(name)


@pytest.mark.skipif(not shutil.which("virsh"), reason="no virsh")
def test_real_virsh_through_pyvirtd(root: Path) -> None:
    """virsh's own option parsing and flags, served by pyvirtd's QEMU driver."""
    from pyvirt_daemon.process import DaemonProcess

    daemon = DaemonProcess(root / "d").start()
    try:
        uri = daemon.uri(driver="qemu", path="/system")

        def run(*words: str, ok: bool = True) -> str:
            done = subprocess.run(["virsh", "-c", uri, *words], capture_output=True, text=True, timeout=120)
            assert (done.returncode == 0) == ok, f"{words}: {done.stderr}"
            return (done.stdout + done.stderr).strip()

        (root / "g.xml").write_text(_guest(root, "served"))
        run("define", str(root / "g.xml"))
        run("start", "served")
        chosen = root / "chosen.qcow2"
        run("snapshot-create-as", "served", "e1", "--disk-only", "--diskspec", f"vda,snapshot=external,file={chosen}")
        assert str(chosen) in run("domblklist", "served")
        run("snapshot-delete", "served", "e1")
        assert not chosen.exists()
        assert str(root / "served.qcow2") in run("domblklist", "served")
        run("snapshot-create-as", "served", "h1", "--halt")
        assert run("domstate", "--reason", "served") == "shut off (from snapshot)"
        assert "is required by flag" in run("snapshot-create", "served", "--current", ok=False)
        with pyvirt.open(uri) as remote:  # pyvirt's own remote client sends the flags too
            dom = remote.lookup_domain_by_name("served")
            copy = dom.snapshot_xml("h1").replace("<name>h1</name>", "<name>r1</name>", 1)
            flags = SnapshotCreateFlags.REDEFINE | SnapshotCreateFlags.CURRENT
            assert dom.create_snapshot(copy, flags) == "r1"
            assert dom.current_snapshot() == "r1"
            dom.delete_snapshot("r1")
        run("snapshot-delete", "served", "h1")
        run("undefine", "served")
    finally:
        daemon.stop()
