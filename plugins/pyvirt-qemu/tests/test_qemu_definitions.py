"""What define writes: libvirt's QEMU defaults, PCI addresses, and the probed capabilities."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree
from qemu_helpers import domain_xml, node, qemu_pids

import pyvirt
from pyvirt_qemu import command, probe
from pyvirt_qemu.prepare import DEFAULT_EMULATOR


def _addr(el: etree._Element) -> tuple[str, str, str]:
    a = el.find("address")
    assert a is not None and a.get("type") == "pci", etree.tostring(el)
    return (a.get("bus", ""), a.get("slot", ""), a.get("function", ""))


def test_pc_addresses_follow_libvirt(conn: pyvirt.Connection, root: Path) -> None:
    extra = (
        "<interface type='user'><model type='virtio'/></interface>"
        "<graphics type='vnc'/><rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>"
    )
    dom = conn.define_domain(domain_xml("addr", root / "d.img", extra=extra))
    doc = etree.fromstring(dom.xml(inactive=True).encode())
    devs = node(doc, "devices")
    assert node(doc, "os/type").get("machine", "").startswith("pc-i440fx-")
    assert devs.findtext("emulator") == DEFAULT_EMULATOR
    assert _addr(node(devs, "controller[@type='ide']")) == ("0x00", "0x01", "0x1")
    assert _addr(node(devs, "controller[@type='usb']")) == ("0x00", "0x01", "0x2")
    assert _addr(node(devs, "video")) == ("0x00", "0x02", "0x0")
    assert _addr(node(devs, "interface")) == ("0x00", "0x03", "0x0")
    assert _addr(node(devs, "disk")) == ("0x00", "0x04", "0x0")
    assert _addr(node(devs, "memballoon")) == ("0x00", "0x05", "0x0")
    assert _addr(node(devs, "rng")) == ("0x00", "0x06", "0x0")
    again = conn.define_domain(dom.xml(inactive=True))  # addresses are stable on redefine
    assert again.xml(inactive=True) == dom.xml(inactive=True)
    persisted = (root / "etc" / "qemu" / "addr.xml").read_text()
    assert persisted == dom.xml(inactive=True)


def test_q35_puts_pcie_devices_behind_root_ports(conn: pyvirt.Connection, root: Path) -> None:
    dom = conn.define_domain(domain_xml("q35", root / "d.img", machine="q35"))
    devs = node(etree.fromstring(dom.xml(inactive=True).encode()), "devices")
    ports = devs.findall("controller[@model='pcie-root-port']")
    assert len(ports) == 4  # usb (qemu-xhci), virtio disk, balloon, and libvirt's spare for hot-plug
    assert _addr(ports[0]) == ("0x00", "0x01", "0x0")  # no video: slot 1 is free, as in libvirt
    assert node(ports[0], "address").get("multifunction") == "on"
    assert _addr(node(devs, "controller[@type='sata']")) == ("0x00", "0x1f", "0x2")
    buses = {_addr(node(devs, tag))[0] for tag in ("disk", "memballoon", "controller[@type='usb']")}
    assert buses == {"0x01", "0x02", "0x03"}


def test_q35_conventional_pci_devices_go_behind_a_pcie_to_pci_bridge(conn: pyvirt.Connection, root: Path) -> None:
    """libvirt's layout (its qemuxml2xmloutdata virtio-transitional and q35-headless cases): the
    first conventional device adds a root port and a pcie-to-pci-bridge behind it, and those
    devices take the bridge's slots from 1; PCIe devices each get a root port; a spare follows."""
    nics = "".join(
        f"<interface type='user'><mac address='52:54:00:00:00:0{i}'/><model type='{m}'/></interface>"
        for i, m in enumerate(("rtl8139", "e1000", "virtio"))
    )
    extra = nics + "<watchdog model='i6300esb'/><video><model type='cirrus'/></video>"
    dom = conn.define_domain(domain_xml("bridged35", machine="q35", extra=extra))
    devs = node(etree.fromstring(dom.xml(inactive=True).encode()), "devices")
    pci = {c.get("index", ""): c for c in devs.iterfind("controller[@type='pci']")}
    assert [pci[i].get("model") for i in sorted(pci, key=int)] == [
        "pcie-root", "pcie-root-port", "pcie-to-pci-bridge", "pcie-root-port", "pcie-root-port", "pcie-root-port",
        "pcie-root-port",
    ]  # fmt: skip
    assert node(pci["2"], "model").get("name") == "pcie-pci-bridge"
    assert _addr(pci["2"]) == ("0x01", "0x00", "0x0")  # the bridge sits in its own root port
    assert _addr(node(devs, "video")) == ("0x00", "0x01", "0x0")  # primary video first
    assert [_addr(pci[i]) for i in ("1", "3", "4", "5", "6")] == [("0x00", "0x02", f"0x{f}") for f in range(5)]
    nic_addrs = [_addr(n) for n in devs.iterfind("interface")]
    assert nic_addrs == [("0x02", "0x01", "0x0"), ("0x02", "0x02", "0x0"), ("0x03", "0x00", "0x0")]
    assert _addr(node(devs, "watchdog")) == ("0x02", "0x03", "0x0")
    dom.start()  # QEMU takes the topology
    assert dom.state()[0] == pyvirt.DomainState.RUNNING
    dom.destroy()


def test_command_line_core_options(conn: pyvirt.Connection, root: Path) -> None:
    from pyvirt.xml.domain import DomainDef

    dom = conn.define_domain(domain_xml("cmd", root / "a,b.img", serial="<serial type='pty'/>"))
    dfn = DomainDef.from_xml(dom.xml(inactive=True))
    caps = probe.capabilities(DEFAULT_EMULATOR, root / "cache" / "qemu")
    cmd = command.build(dfn, caps, DEFAULT_EMULATOR, 9, {"vda": f"{root}/a,b.img"})
    text = " ".join(cmd.argv)
    for piece in (
        "-name guest=cmd,debug-threads=on",
        " -S ",
        "-no-user-config -nodefaults",
        "-accel tcg",
        "-m size=65536k",
        f"file={root}/a,,b.img,format=raw",
        "-chardev socket,id=charmonitor,fd=9,server=on,wait=off",
        "-chardev pty,id=charserial0",
        "-display none",
    ):
        assert piece in text, piece
    assert cmd.ptys == ["charserial0"]


def test_capabilities_are_probed_once_and_cached_by_binary_identity(conn: pyvirt.Connection, root: Path) -> None:
    caps_xml = conn.get_capabilities()
    doc = etree.fromstring(caps_xml.encode())
    assert node(doc, "guest/arch/emulator").text == DEFAULT_EMULATOR
    assert doc.find("guest/arch/machine[.='pc']") is not None
    (cache_file,) = (root / "cache" / "qemu" / "capabilities").glob("*.json")
    cached = json.loads(cache_file.read_text())
    st = Path(DEFAULT_EMULATOR).stat()
    assert cached["key"] == [DEFAULT_EMULATOR, st.st_size, st.st_mtime_ns]
    probe._memory.clear()
    again = probe.capabilities(DEFAULT_EMULATOR, root / "cache" / "qemu")
    assert again.version == tuple(cached["caps"]["version"])
    assert conn.get_version().number == again.version_number


def test_qemu_commandline_args_are_passed_and_other_pass_through_refused(conn: pyvirt.Connection, root: Path) -> None:
    ns = "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"
    args = "<qemu:commandline><qemu:arg value='-device'/><qemu:arg value='pvpanic,ioport=0x505'/></qemu:commandline>"
    dom = conn.define_domain(
        domain_xml("passthru").replace("<domain ", f"<domain {ns} ").replace("</domain>", f"{args}</domain>")
    )
    assert "<qemu:arg value='pvpanic,ioport=0x505'/>" in dom.xml(inactive=True)
    dom.start()
    (pid,) = qemu_pids(str(root))
    assert b"pvpanic,ioport=0x505" in Path(f"/proc/{pid}/cmdline").read_bytes()
    dom.destroy()
    env = "<qemu:commandline><qemu:env name='X' value='1'/></qemu:commandline>"
    with pytest.raises(pyvirt.PyvirtError, match="qemu:env"):
        conn.define_domain(
            domain_xml("env").replace("<domain ", f"<domain {ns} ").replace("</domain>", f"{env}</domain>")
        )
