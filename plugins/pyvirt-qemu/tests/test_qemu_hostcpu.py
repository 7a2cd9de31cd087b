"""``host-model`` under KVM: the closest named model QEMU knows, with the host's differences,
found from QEMU's static CPU expansions (as libvirt decodes the host CPU), and a guest that
boots with it on this (nested) host."""

from __future__ import annotations

from pathlib import Path

import pytest
from bootsector import write_disk
from lxml import etree
from qemu_helpers import domain_xml, file_serial, qemu_pids, wait_for

import pyvirt
from pyvirt_qemu import hostcpu, probe
from pyvirt_qemu.prepare import DEFAULT_EMULATOR


@pytest.fixture
def kvm(root: Path) -> None:
    if not probe.capabilities(DEFAULT_EMULATOR, root / "cache").kvm:
        pytest.skip("KVM does not work here")


def test_the_host_model_is_runnable_and_close(kvm: None, root: Path) -> None:
    caps = probe.capabilities(DEFAULT_EMULATOR, root / "cache")
    host = hostcpu.host_cpu(DEFAULT_EMULATOR, root / "cache")
    assert host is not None
    assert host.model in caps.cpu_unavailable and host.model not in ("host", "max", "base")
    # every feature KVM cannot give for that model is turned off: the model runs here
    assert set(caps.cpu_unavailable[host.model]) <= set(host.disable)
    assert not set(host.require) & set(host.disable)
    again = hostcpu.host_cpu(DEFAULT_EMULATOR, root / "cache")
    assert again == host
    assert (root / "cache" / "hostcpu").is_dir()  # cached by the binary's identity


def test_a_host_model_guest_boots_under_kvm(kvm: None, conn: pyvirt.Connection, root: Path) -> None:
    serial = root / "serial.log"
    xml = domain_xml("hm", write_disk(root / "hm.img", b"PYVIRT-HOSTMODEL", "halt"), virt_type="kvm")
    xml = xml.replace("<features>", "<cpu mode='host-model'/><features>").replace(
        "</devices>", f"{file_serial(serial)}</devices>"
    )
    dom = conn.define_domain(xml)
    dom.start()
    # nested KVM: SeaBIOS alone takes ~20 s here
    wait_for(lambda: "PYVIRT-HOSTMODEL" in serial.read_text(errors="replace"), 120, "the guest's marker")
    host = hostcpu.host_cpu(DEFAULT_EMULATOR, root / "cache")
    assert host is not None
    (pid,) = qemu_pids(str(root))
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert cmdline[cmdline.index(b"-cpu") + 1].decode() == host.argument
    dom.destroy()

    caps_xml = etree.fromstring(conn.get_domain_capabilities(virt_type="kvm").encode())
    model = caps_xml.find("cpu/mode[@name='host-model']/model")
    assert model is not None and model.text == host.model
    disabled = {f.get("name") for f in caps_xml.iterfind("cpu/mode[@name='host-model']/feature[@policy='disable']")}
    assert disabled == set(host.disable)
