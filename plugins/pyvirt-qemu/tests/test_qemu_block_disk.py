"""A ``<disk type='block'>`` guest: issue 9 names file *and* block disks.

The block device is a loop device over a boot-sector image the test writes, so the guest's
COM1 marker proves QEMU read the device named by ``<source dev=>`` (not a file path).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from bootsector import write_disk
from lxml import etree
from qemu_helpers import domain_xml, file_serial, node, wait_for

import pyvirt
from pyvirt.types import DomainState


@pytest.fixture
def loop_device(root: Path) -> Iterator[tuple[str, Path]]:
    image = write_disk(root / "block.img", b"PYVIRT-BLOCK", "halt")
    attached = subprocess.run(["losetup", "-f", "--show", str(image)], capture_output=True, text=True)
    if attached.returncode != 0:
        pytest.skip(f"no loop device here: {attached.stderr.strip()}")
    device = attached.stdout.strip()
    try:
        yield device, image
    finally:
        subprocess.run(["losetup", "-d", device], check=False)


def test_guest_boots_from_a_block_device(conn: pyvirt.Connection, root: Path, loop_device: tuple[str, Path]) -> None:
    device, _image = loop_device
    serial = root / "serial.log"
    disk = (
        f"<disk type='block' device='disk'><driver name='qemu' type='raw'/><source dev='{device}'/>"
        "<target dev='vda' bus='virtio'/></disk>"
    )
    dom = conn.define_domain(domain_xml("blockdisk", serial=file_serial(serial), extra=disk))
    dom.start()
    try:
        wait_for(lambda: serial.exists() and "PYVIRT-BLOCK" in serial.read_text(errors="replace"), what="the marker")
        live = etree.fromstring(dom.xml().encode())
        assert node(live, "devices/disk").get("type") == "block"
        assert node(live, "devices/disk/source").get("dev") == device
        assert dom.block_stats("vda").rd_bytes > 0
    finally:
        dom.destroy()
    assert dom.state()[0] == DomainState.SHUTOFF


def test_a_missing_block_device_fails_at_start_and_leaves_the_domain_off(conn: pyvirt.Connection, root: Path) -> None:
    disk = (
        "<disk type='block' device='disk'><source dev='/dev/pyvirt-no-such-device'/>"
        "<target dev='vda' bus='virtio'/></disk>"
    )
    dom = conn.define_domain(domain_xml("noblock", extra=disk))
    with pytest.raises(pyvirt.PyvirtError, match="pyvirt-no-such-device"):
        dom.start()
    assert dom.state()[0] == DomainState.SHUTOFF
