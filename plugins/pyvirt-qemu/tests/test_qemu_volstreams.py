"""Volume upload and download on the QEMU driver's dir pool: the bytes go through a stream into
the real file (a guest then boots from what was uploaded), locally and through pyvirtd with real
``virsh vol-upload`` / ``vol-download``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bootsector import boot_sector
from qemu_helpers import file_serial, wait_for

import pyvirt

PYVIRSH = Path(sys.executable).parent / "pyvirsh"


def _pool(conn: pyvirt.Connection, root: Path) -> pyvirt.StoragePool:
    pool = conn.define_pool(f"<pool type='dir'><name>images</name><target><path>{root}/images</path></target></pool>")
    pool.build()
    pool.start()
    return pool


def _volume(pool: pyvirt.StoragePool, name: str, size: int) -> pyvirt.StorageVol:
    return pool.create_volume(
        f"<volume><name>{name}</name><capacity unit='bytes'>{size}</capacity>"
        "<target><format type='raw'/></target></volume>"
    )


def test_upload_then_boot_then_download(conn: pyvirt.Connection, root: Path) -> None:
    pool = _pool(conn, root)
    vol = _volume(pool, "boot.img", 1 << 20)
    sector = boot_sector(b"UPLOADED-BY-STREAM", "halt")
    with vol.upload() as stream:
        for i in range(0, len(sector), 100):  # several chunks
            stream.send(sector[i : i + 100])
    assert Path(vol.path()).read_bytes()[:512] == sector
    serial = root / "serial.log"
    dom = conn.define_domain(
        "<domain type='qemu'><name>up</name><memory unit='MiB'>64</memory><os><type>hvm</type></os><devices>"
        "<disk type='volume' device='disk'><driver name='qemu' type='raw'/>"
        "<source pool='images' volume='boot.img'/><target dev='vda' bus='virtio'/></disk>"
        f"{file_serial(serial)}</devices></domain>"
    )
    dom.start()
    wait_for(lambda: "UPLOADED-BY-STREAM" in serial.read_text(errors="replace"), what="the uploaded guest's marker")
    dom.destroy()

    with vol.download() as stream:
        got = b"".join(stream)
    assert len(got) == 1 << 20 and got[:512] == sector
    with vol.download(offset=510, length=2) as stream:
        assert b"".join(stream) == b"\x55\xaa"  # the boot signature, and no more


def test_upload_at_an_offset_and_bounds(conn: pyvirt.Connection, root: Path) -> None:
    pool = _pool(conn, root)
    vol = _volume(pool, "data.img", 4096)
    with vol.upload(offset=1000, length=5) as stream:
        stream.send(b"hello")
    data = Path(vol.path()).read_bytes()
    assert data[1000:1005] == b"hello" and data[:1000] == bytes(1000) and len(data) == 4096
    stream = vol.upload(length=2)
    with pytest.raises(pyvirt.InvalidArgumentError, match="more data was sent"):
        stream.send(b"abc")
    stream.abort()
    aborted = vol.upload()
    aborted.send(b"\xff" * 2000)
    aborted.abort()  # the volume changes on finish only
    assert Path(vol.path()).read_bytes() == data
    assert sorted(p.name for p in Path(vol.path()).parent.iterdir()) == ["data.img"]  # no spool left
    with pytest.raises(pyvirt.InvalidArgumentError, match="must not be negative"):
        vol.download(offset=-1)
    with vol.upload(offset=4096) as stream:  # past the end: the file grows, the volume with it
        stream.send(b"\1" * 4096)
    assert vol.info().capacity == 8192


@pytest.mark.parametrize(
    "cli",
    [
        pytest.param(["virsh"], id="virsh", marks=pytest.mark.skipif(not shutil.which("virsh"), reason="no virsh")),
        pytest.param([str(PYVIRSH)], id="pyvirsh"),
    ],
)
def test_vol_upload_and_download_through_pyvirtd(root: Path, cli: list[str]) -> None:
    from pyvirt_daemon.process import DaemonProcess

    daemon = DaemonProcess(root / "d").start()
    try:
        uri = daemon.uri(driver="qemu", path="/system")

        def run(*words: str) -> str:
            done = subprocess.run([*cli, "-c", uri, *words], capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, f"{words}: {done.stderr}"
            return done.stdout

        pool_xml = root / "pool.xml"
        pool_xml.write_text(f"<pool type='dir'><name>served</name><target><path>{root}/served</path></target></pool>")
        run("pool-define", str(pool_xml))
        run("pool-build", "served")
        run("pool-start", "served")
        run("vol-create-as", "served", "v.img", "64K")
        payload = bytes(range(256)) * 200  # 51200 bytes, several stream packets
        (root / "in.bin").write_bytes(payload)
        run("vol-upload", "--pool", "served", "v.img", str(root / "in.bin"))
        assert (root / "served" / "v.img").read_bytes()[: len(payload)] == payload
        run("vol-download", "--pool", "served", "v.img", str(root / "out.bin"), "--offset", "256", "--length", "1000")
        assert (root / "out.bin").read_bytes() == payload[256:1256]
        run("pool-destroy", "served")
        run("pool-undefine", "served")
    finally:
        daemon.stop()
