"""qcow2 snapshots on real QEMU: internal ones taken by QEMU (running) or qemu-img (off), kept
in the image files, reverted and deleted there; external disk-only ones as new overlays."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bootsector import write_disk
from lxml import etree
from qemu_helpers import domain_xml

import pyvirt
from pyvirt.types import DomainState, RunningReason, ShutoffReason


def _qcow2_guest(root: Path, name: str) -> str:
    raw = write_disk(root / f"{name}.raw", b"PYVIRT-SNAP", "halt")
    disk = root / f"{name}.qcow2"
    subprocess.run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", str(raw), str(disk)], check=True)
    return domain_xml(name, disk).replace("type='raw'", "type='qcow2'")


def _image(path: Path) -> dict[str, object]:
    out = subprocess.run(["qemu-img", "info", "-U", "--output=json", str(path)], capture_output=True, check=True)
    doc: dict[str, object] = json.loads(out.stdout)
    return doc


def _internal_names(path: Path) -> list[str]:
    return [str(s["name"]) for s in _image(path).get("snapshots", [])]  # type: ignore[attr-defined]


def test_internal_snapshots_of_a_running_and_a_stopped_guest(conn: pyvirt.Connection, root: Path) -> None:
    dom = conn.define_domain(_qcow2_guest(root, "snap"))
    disk = root / "snap.qcow2"
    dom.start()
    assert dom.current_snapshot() is None
    first = "<domainsnapshot><name>s1</name><description>first</description></domainsnapshot>"
    assert dom.create_snapshot(first) == "s1"
    assert dom.create_snapshot("<domainsnapshot><name>s2</name></domainsnapshot>") == "s2"
    assert dom.snapshot_names() == ["s1", "s2"]
    assert dom.current_snapshot() == "s2"
    assert _internal_names(disk) == ["s1", "s2"]  # QEMU wrote them into the image
    doc = etree.fromstring(dom.snapshot_xml("s2").encode())
    assert doc.findtext("state") == "running"
    assert doc.findtext("parent/name") == "s1"
    assert doc.find("memory").get("snapshot") == "internal"  # type: ignore[union-attr]
    assert doc.find("domain/name").text == "snap"  # type: ignore[union-attr]

    dom.revert_to_snapshot("s1")
    assert dom.state() == (DomainState.RUNNING, RunningReason.FROM_SNAPSHOT)
    assert dom.current_snapshot() == "s1"

    dom.delete_snapshot("s1")
    assert dom.snapshot_names() == ["s2"]
    assert etree.fromstring(dom.snapshot_xml("s2").encode()).find("parent") is None  # reparented
    assert _internal_names(disk) == ["s2"]
    with pytest.raises(pyvirt.NoDomainSnapshotError, match="no domain snapshot with matching name 's1'"):
        dom.snapshot_xml("s1")

    dom.destroy()
    assert dom.create_snapshot("<domainsnapshot><name>off</name></domainsnapshot>") == "off"
    assert etree.fromstring(dom.snapshot_xml("off").encode()).findtext("state") == "shutoff"
    assert _internal_names(disk) == ["s2", "off"]  # by qemu-img, QEMU not running

    dom.revert_to_snapshot("s2")  # a running snapshot brings the guest back running, from its memory
    assert dom.state() == (DomainState.RUNNING, RunningReason.FROM_SNAPSHOT)
    dom.revert_to_snapshot("off")  # a stopped one stops it
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.FROM_SNAPSHOT)
    dom.delete_snapshot("off")
    assert _internal_names(disk) == ["s2"]


def test_metadata_survives_a_new_connection(uri: str, root: Path) -> None:
    with pyvirt.open(uri) as conn:
        dom = conn.define_domain(_qcow2_guest(root, "keep"))
        dom.create_snapshot("<domainsnapshot><name>a</name></domainsnapshot>")
    with pyvirt.open(uri) as conn:
        dom = conn.lookup_domain_by_name("keep")
        assert dom.snapshot_names() == ["a"]
        assert dom.current_snapshot() == "a"
        with pytest.raises(pyvirt.OperationInvalidError, match="cannot delete inactive domain with 1 snapshots"):
            dom.undefine()  # its snapshots' metadata would be orphaned
        dom.delete_snapshot("a")
        dom.undefine()


def test_raw_disks_refuse_internal_snapshots(conn: pyvirt.Connection, root: Path) -> None:
    dom = conn.define_domain(domain_xml("raw", write_disk(root / "raw.img", b"X", "halt")))
    with pytest.raises(pyvirt.UnsupportedError, match="disk vda unsupported for storage type raw"):
        dom.create_snapshot("<domainsnapshot><name>x</name></domainsnapshot>")
    assert dom.snapshot_names() == []


def test_external_disk_only_snapshot_of_a_running_guest(conn: pyvirt.Connection, root: Path) -> None:
    dom = conn.define_domain(domain_xml("ext", write_disk(root / "ext.img", b"PYVIRT-EXT", "halt")))
    dom.start()
    assert dom.create_snapshot("<domainsnapshot><name>e1</name></domainsnapshot>", disk_only=True) == "e1"
    overlay = root / "ext.e1"
    assert overlay.exists()
    info = _image(overlay)
    assert info["format"] == "qcow2"
    assert info["backing-filename"] == str(root / "ext.img")
    for xml in (dom.xml(), dom.xml(inactive=True)):  # live and persistent both use the overlay now
        disk = etree.fromstring(xml.encode()).find("devices/disk")
        assert disk is not None
        assert disk.find("source").get("file") == str(overlay)  # type: ignore[union-attr]
        assert disk.find("driver").get("type") == "qcow2"  # type: ignore[union-attr]
    doc = etree.fromstring(dom.snapshot_xml("e1").encode())
    assert doc.findtext("state") == "disk-snapshot"
    assert doc.find("disks/disk").get("snapshot") == "external"  # type: ignore[union-attr]
    with pytest.raises(pyvirt.UnsupportedError, match="revert to external snapshot"):
        dom.revert_to_snapshot("e1")
    dom.destroy()


PYVIRSH = Path(sys.executable).parent / "pyvirsh"


@pytest.mark.parametrize(
    "cli",
    [
        pytest.param(["virsh"], id="virsh", marks=pytest.mark.skipif(not shutil.which("virsh"), reason="no virsh")),
        pytest.param([str(PYVIRSH)], id="pyvirsh"),
    ],
)
def test_a_shell_through_pyvirtd_snapshots_hotplugs_and_managed_saves(root: Path, cli: list[str]) -> None:
    """The issue's 'done when' through the daemon: qemu:///system, real virsh and pyvirsh."""
    from pyvirt_daemon.process import DaemonProcess

    daemon = DaemonProcess(root / "d").start()
    try:
        uri = daemon.uri(driver="qemu", path="/system")

        def run(*words: str) -> str:
            done = subprocess.run([*cli, "-c", uri, *words], capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, f"{words}: {done.stderr}"
            return done.stdout.strip()

        guest, extra = root / "guest.xml", root / "extra.xml"
        guest.write_text(_qcow2_guest(root, "served"))
        (root / "extra.img").write_bytes(b"\0" * (1 << 20))
        extra.write_text(
            f"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{root}/extra.img'/>"
            "<target dev='vdb' bus='virtio'/></disk>"
        )
        run("define", str(guest))
        run("start", "served")
        run("snapshot-create-as", "served", "s1")
        run("snapshot-create-as", "served", "s2")
        assert run("snapshot-list", "served", "--name").split() == ["s1", "s2"]
        assert run("snapshot-current", "served", "--name") == "s2"
        run("snapshot-revert", "served", "s1")
        assert run("domstate", "--reason", "served") == "running (from snapshot)"
        run("snapshot-delete", "served", "s2")
        assert _internal_names(root / "served.qcow2") == ["s1"]
        run("attach-device", "served", str(extra), "--live")
        assert "vdb" in run("domblklist", "served")
        run("managedsave", "served")
        assert run("domstate", "--reason", "served") == "shut off (saved)"
        run("start", "served")
        assert run("domstate", "--reason", "served") == "running (restored)"
        run("destroy", "served")
        run("snapshot-delete", "served", "s1")
        run("undefine", "served")
    finally:
        daemon.stop()
