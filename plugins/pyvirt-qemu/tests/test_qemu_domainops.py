"""Managed save, block/interface statistics, domstats and domcapabilities on real QEMU."""

from __future__ import annotations

from pathlib import Path

import pytest
from bootsector import write_disk
from lxml import etree
from qemu_helpers import domain_xml, file_serial, wait_for

import pyvirt
from pyvirt.types import DomainState, RunningReason, ShutoffReason


def test_managed_save_then_start_restores_and_drops_the_image(conn: pyvirt.Connection, root: Path) -> None:
    serial = root / "serial.log"
    dom = conn.define_domain(
        domain_xml("ms", write_disk(root / "ms.img", b"PYVIRT-MS", "halt"), serial=file_serial(serial))
    )
    dom.start()
    wait_for(lambda: serial.exists() and b"PYVIRT-MS" in serial.read_bytes(), what="the guest's marker")
    dom.managed_save()
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.SAVED)
    assert dom.has_managed_save()
    assert [d.name for d in conn.list_domains(pyvirt.ListFilter.MANAGEDSAVE)] == ["ms"]
    with pytest.raises(pyvirt.OperationInvalidError, match="managed save image exists"):
        dom.undefine()
    dom.start()
    assert dom.state() == (DomainState.RUNNING, RunningReason.RESTORED)
    assert not dom.has_managed_save()
    # the new QEMU opened the serial file afresh; a boot would write the marker into it again,
    # a guest resumed from memory (halted after writing it) writes nothing
    assert b"PYVIRT-MS" not in serial.read_bytes()
    dom.managed_save()
    dom.undefine(managed_save=True)
    assert conn.list_domains() == []
    assert not list((root / "lib" / "qemu" / "save").glob("*"))


def test_block_stats_and_domstats_of_a_running_guest(conn: pyvirt.Connection, root: Path) -> None:
    dom = conn.define_domain(domain_xml("st", write_disk(root / "st.img", b"PYVIRT-ST", "halt")))
    assert dom.stats() == {"state.state": int(DomainState.SHUTOFF), "state.reason": 0}
    dom.start()
    wait_for(lambda: dom.block_stats("vda").rd_bytes >= 512, what="the firmware reading the boot sector")
    stats = dom.block_stats(str(root / "st.img"))  # by source path too
    assert stats.rd_req > 0 and stats.errs == -1
    with pytest.raises(pyvirt.InvalidArgumentError, match="invalid path: vdz"):
        dom.block_stats("vdz")
    record = dom.stats()
    assert record["state.state"] == int(DomainState.RUNNING)
    assert record["block.count"] == 1 and record["block.0.name"] == "vda"
    assert int(record["block.0.rd.bytes"]) >= 512
    assert record["vcpu.current"] == 1 and record["balloon.maximum"] == 65536
    with pytest.raises(pyvirt.InvalidArgumentError, match="not a known interface"):
        dom.interface_stats("vnet0")
    dom.destroy()


def test_domain_capabilities(conn: pyvirt.Connection) -> None:
    doc = etree.fromstring(conn.get_domain_capabilities(virt_type="qemu", machine="pc").encode())
    assert doc.findtext("domain") == "qemu"
    assert (doc.findtext("machine") or "").startswith("pc-i440fx")
    assert doc.findtext("arch") == "x86_64"
    assert doc.find("cpu/mode[@name='custom']/model") is not None
    with pytest.raises(pyvirt.InvalidArgumentError, match="machine 'nosuch' is not supported"):
        conn.get_domain_capabilities(machine="nosuch")
