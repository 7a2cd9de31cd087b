"""The dir pool backend on real files through qemu-img, and guests booting from its volumes."""

from __future__ import annotations

from pathlib import Path

import pytest
from bootsector import write_disk
from lxml import etree
from qemu_helpers import file_serial, wait_for

import pyvirt
from pyvirt import PoolState


def _pool(conn: pyvirt.Connection, root: Path) -> pyvirt.StoragePool:
    pool = conn.define_pool(f"<pool type='dir'><name>images</name><target><path>{root}/images</path></target></pool>")
    pool.build()
    pool.start()
    return pool


def test_guest_boots_from_a_qcow2_overlay_volume(conn: pyvirt.Connection, root: Path) -> None:
    pool = _pool(conn, root)
    write_disk(root / "images" / "base.img", b"FROM-BACKING-CHAIN", "halt")
    pool.refresh()
    base = pool.lookup_volume("base.img")
    overlay = pool.create_volume(
        "<volume><name>overlay.qcow2</name><capacity unit='MiB'>1</capacity>"
        "<target><format type='qcow2'/></target>"
        f"<backingStore><path>{base.path()}</path><format type='raw'/></backingStore></volume>"
    )
    assert "<format type='qcow2'/>" in overlay.xml()
    serial = root / "serial.log"
    dom = conn.define_domain(
        "<domain type='qemu'><name>vol</name><memory unit='MiB'>64</memory><os><type>hvm</type></os><devices>"
        "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/>"
        "<source pool='images' volume='overlay.qcow2'/><target dev='vda' bus='virtio'/></disk>"
        f"{file_serial(serial)}</devices></domain>"
    )
    dom.start()
    wait_for(lambda: "FROM-BACKING-CHAIN" in serial.read_text(errors="replace"), what="the marker from the base image")
    dom.destroy()
    pool.destroy()
    with pytest.raises(pyvirt.OperationInvalidError, match="not active"):
        dom.start()  # the volume's pool is stopped
    dom.undefine()


def test_qcow2_volume_info_resize_clone_wipe(conn: pyvirt.Connection, root: Path) -> None:
    pool = _pool(conn, root)
    vol = pool.create_volume(
        "<volume><name>a.qcow2</name><capacity unit='MiB'>4</capacity><target><format type='qcow2'/></target></volume>"
    )
    assert vol.info().capacity == 4 << 20
    assert vol.info().allocation < 1 << 20  # qcow2 allocates on write
    vol.resize(8 << 20)
    assert vol.info().capacity == 8 << 20
    clone = pool.clone_volume(
        "<volume><name>b.raw</name><capacity unit='MiB'>8</capacity><target><format type='raw'/></target></volume>", vol
    )
    assert (root / "images" / "b.raw").stat().st_size == 8 << 20
    assert "<format type='raw'/>" in clone.xml()
    vol.wipe()
    assert vol.info().capacity == 8 << 20
    assert sorted(v.name for v in pool.list_volumes()) == ["a.qcow2", "b.raw"]
    clone.delete()
    vol.delete()
    assert not list((root / "images").iterdir())


def test_pools_and_their_state_survive_a_reopen(uri: str, root: Path) -> None:
    with pyvirt.open(uri) as conn:
        pool = _pool(conn, root)
        pool.create_volume("<volume><name>v.img</name><capacity unit='KiB'>64</capacity></volume>")
        pool.set_autostart(True)
    with pyvirt.open(uri) as conn:
        pool = conn.lookup_pool_by_name("images")
        assert pool.info().state == PoolState.RUNNING and pool.autostart
        assert [v.name for v in pool.list_volumes()] == ["v.img"]
        doc = etree.fromstring(pool.xml().encode())
        assert int(doc.findtext("capacity") or 0) > 0
        pool.destroy()
        pool.undefine()
        assert conn.list_storage_pools() == []
