"""Bad input gives a clear error and leaves nothing behind: no process, socket, pid or state file."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest
from qemu_helpers import domain_xml, qemu_pids

import pyvirt
from pyvirt.errors import ErrorCode
from pyvirt.types import DomainState


def _nothing_left(root: Path, name: str) -> None:
    run = root / "run" / "qemu"
    assert qemu_pids(str(root)) == []
    assert not list(run.glob("*.qmp"))
    assert not (run / f"{name}.xml").exists()
    assert not (run / f"{name}.pid").exists()


def test_invalid_xml_is_refused_and_nothing_defined(conn: pyvirt.Connection, root: Path) -> None:
    with pytest.raises(pyvirt.XMLError):
        conn.define_domain("<domain type='qemu'><name>broken</name>")
    assert conn.list_domains() == []
    assert not list((root / "etc" / "qemu").glob("*.xml"))


def test_missing_disk_fails_at_start(conn: pyvirt.Connection, root: Path) -> None:
    dom = conn.define_domain(domain_xml("nodisk", root / "missing.img"))
    with pytest.raises(pyvirt.PyvirtError, match=r"Cannot access storage file .*missing\.img"):
        dom.start()
    assert dom.state()[0] == DomainState.SHUTOFF
    _nothing_left(root, "nodisk")


def test_emulator_that_does_not_exist_fails_at_define(conn: pyvirt.Connection, root: Path) -> None:
    with pytest.raises(pyvirt.PyvirtError, match="Cannot find QEMU binary /nonexistent/qemu"):
        conn.define_domain(domain_xml("noemu", emulator="/nonexistent/qemu"))
    assert conn.list_domains() == []
    assert not list((root / "etc" / "qemu").glob("*.xml"))


def test_emulator_that_exits_at_once_fails_at_start_with_its_message(conn: pyvirt.Connection, root: Path) -> None:
    """A wrapper that answers the capability probe but dies on a real start, saying why."""
    wrapper = root / "qemu-dies"
    wrapper.write_text(
        "#!/bin/sh\n"
        'case "$*" in *"-machine none"*) exec /usr/bin/qemu-system-x86_64 "$@";; esac\n'
        "echo 'wrapper: refusing to run this guest' >&2\nexit 1\n"
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    dom = conn.define_domain(domain_xml("dies", emulator=str(wrapper)))
    with pytest.raises(pyvirt.PyvirtError, match="refusing to run this guest"):
        dom.start()
    assert dom.state()[0] == DomainState.SHUTOFF
    _nothing_left(root, "dies")
    dom.undefine()


def test_emulator_that_fails_the_probe_fails_at_define(conn: pyvirt.Connection, root: Path) -> None:
    with pytest.raises(pyvirt.PyvirtError, match=r"QEMU binary /bin/false|failed to probe"):
        conn.define_domain(domain_xml("false", emulator="/bin/false"))
    assert conn.list_domains() == []


def test_busy_vnc_port_fails_at_start(conn: pyvirt.Connection, root: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        if port < 5900:
            pytest.skip("the kernel gave a port below VNC's range")
        vnc = f"<graphics type='vnc' port='{port}' autoport='no' listen='127.0.0.1'/>"
        dom = conn.define_domain(domain_xml("vnc", extra=vnc))
        with pytest.raises(pyvirt.PyvirtError, match=r"(?i)address already in use|failed to"):
            dom.start()
    _nothing_left(root, "vnc")


@pytest.mark.parametrize(
    ("device", "words"),
    [
        ("<interface type='direct'><source dev='eth0'/></interface>", "interface type 'direct'"),
        ("<graphics type='spice'/>", "graphics type 'spice'"),
        ("<sound model='ich6'/>", "device <sound>"),
        (
            "<disk type='network' device='disk'><source protocol='nbd' name='x'><host name='h'/></source>"
            "<target dev='vda' bus='virtio'/></disk>",
            "disk type 'network'",
        ),
    ],
)
def test_unsupported_devices_are_refused_at_define(conn: pyvirt.Connection, device: str, words: str) -> None:
    with pytest.raises(pyvirt.PyvirtError, match=words) as info:
        conn.define_domain(domain_xml("unsup", extra=device))
    assert info.value.code == ErrorCode.CONFIG_UNSUPPORTED
    assert conn.list_domains() == []


@pytest.mark.parametrize(
    ("device", "words"),
    [
        (
            "<interface type='network'><source network='default'/></interface>",
            "no network with matching name 'default'",
        ),
        ("<interface type='bridge'><source bridge='nosuchbr0'/></interface>", "'nosuchbr0': No such device"),
    ],
)
def test_host_networking_fails_at_start_as_in_libvirt(
    conn: pyvirt.Connection, root: Path, device: str, words: str
) -> None:
    dom = conn.define_domain(domain_xml("net", extra=device))
    with pytest.raises(pyvirt.PyvirtError, match=words):
        dom.start()
    _nothing_left(root, "net")


def test_readonly_sata_disk_is_refused(conn: pyvirt.Connection, root: Path) -> None:
    """QEMU's IDE/AHCI disks cannot be read-only; libvirt refuses them at define too."""
    disk = "<disk type='file'><source file='/x.img'/><target dev='sda' bus='sata'/><readonly/></disk>"
    with pytest.raises(pyvirt.PyvirtError, match="readonly ide disks are not supported"):
        conn.define_domain(domain_xml("ro", extra=disk))


def test_ide_on_q35_is_refused(conn: pyvirt.Connection, root: Path) -> None:
    with pytest.raises(pyvirt.PyvirtError, match="IDE controllers are unsupported"):
        conn.define_domain(domain_xml("ideq35", root / "x.img", machine="q35", bus="ide"))


def test_unknown_machine_type_is_refused(conn: pyvirt.Connection) -> None:
    with pytest.raises(pyvirt.PyvirtError, match="does not support machine type 'pc-bogus'"):
        conn.define_domain(domain_xml("bogus", machine="pc-bogus"))


def test_operations_on_a_stopped_domain_are_invalid(conn: pyvirt.Connection) -> None:
    dom = conn.define_domain(domain_xml("idle"))
    for call in (dom.destroy, dom.suspend, dom.shutdown, dom.reset):
        with pytest.raises(pyvirt.OperationInvalidError):
            call()
