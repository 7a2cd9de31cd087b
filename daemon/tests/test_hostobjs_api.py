"""pyvirt's API for host interfaces, node devices, scheduler parameters, screenshots and
checkpoints (issue 14), on the test driver in-process and through pyvirtd (the remote driver
and the daemon's handlers): the same answers and the same errors on both.

One daemon serves the module; each test opens its own connection, and ``test:///default`` starts
afresh once no connection holds it (in this process, and in the daemon), so tests do not share
state.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

import pyvirt
from pyvirt.errors import (
    ErrorCode,
    InvalidArgumentError,
    NoDomainCheckpointError,
    NoInterfaceError,
    NoNodeDeviceError,
    OperationInvalidError,
    PyvirtError,
    XMLError,
)
from pyvirt.types import (
    CheckpointDeleteFlags,
    CheckpointListFlags,
    CheckpointXMLFlags,
    ListFilter,
    ModifyScope,
    NodeDeviceCap,
    TypedParam,
    TypedParamType,
)
from pyvirt_daemon.process import DaemonProcess

ETH1_XML = """<interface type='ethernet' name='eth1'>
  <start mode='onboot'/>
  <mtu size='1492'/>
  <protocol family='ipv4'>
    <ip address='192.168.0.5' prefix='24'/>
    <route gateway='192.168.0.1'/>
  </protocol>
  <mac address='aa:bb:cc:dd:ee:ff'/>
</interface>
"""


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    process = DaemonProcess(tmp_path_factory.mktemp("node"), None).start()
    try:
        yield process
    finally:
        status = process.stop()
    assert status == 0, process.stderr()


@pytest.fixture(params=["local", "remote"])
def conn(request: pytest.FixtureRequest, daemon: DaemonProcess) -> Iterator[pyvirt.Connection]:
    uri = "test:///default" if request.param == "local" else daemon.uri()
    with pyvirt.open(uri) as opened:
        yield opened


# -- host interfaces ---------------------------------------------------------------------------


def test_default_interface_and_its_document(conn: pyvirt.Connection) -> None:
    (eth1,) = conn.list_interfaces()
    assert (eth1.name, eth1.mac, eth1.is_active()) == ("eth1", "aa:bb:cc:dd:ee:ff", True)
    assert eth1.xml() == ETH1_XML
    assert conn.lookup_interface_by_mac("AA:BB:CC:DD:EE:FF") == eth1
    assert conn.list_interfaces(ListFilter.INACTIVE) == []


def test_define_start_destroy_undefine(conn: pyvirt.Connection) -> None:
    iface = conn.define_interface(
        "<interface type='bridge' name='br7'><bridge stp='off'/><mtu size='9000'/></interface>"
    )
    assert (iface.name, iface.mac, iface.is_active()) == ("br7", "", False)
    assert (
        iface.xml()
        == "<interface type='bridge' name='br7'>\n  <mtu size='9000'/>\n  <bridge stp='off'/>\n</interface>\n"
    )
    assert [i.name for i in conn.list_interfaces(ListFilter.INACTIVE)] == ["br7"]
    iface.start()
    with pytest.raises(OperationInvalidError, match=r"^Requested operation is not valid$"):
        iface.start()
    iface.destroy()
    iface.undefine()
    with pytest.raises(NoInterfaceError, match="no interface with matching name 'br7'"):
        iface.xml()


def test_two_interfaces_with_one_mac_are_ambiguous(conn: pyvirt.Connection) -> None:
    conn.define_interface("<interface type='ethernet' name='eth2'><mac address='aa:bb:cc:dd:ee:ff'/></interface>")
    with pytest.raises(PyvirtError) as raised:
        conn.lookup_interface_by_mac("aa:bb:cc:dd:ee:ff")
    assert raised.value.code == ErrorCode.MULTIPLE_INTERFACES


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("<x/>", "expecting root element of 'interface', not 'x'"),
        ("<interface name='a'/>", "Missing required attribute 'type' in element 'interface'"),
        ("<interface type='ethernet'/>", "interface has no name"),
        ("<interface type='wifi' name='a'/>", "Invalid value for attribute 'type' in element 'interface': 'wifi'."),
        ("<interface type='ethernet' name='a'><mtu size='100001'/></interface>", "must be at most 100000"),
    ],
)
def test_bad_interface_documents_are_refused(conn: pyvirt.Connection, xml: str, message: str) -> None:
    with pytest.raises(XMLError, match=message):
        conn.define_interface(xml)
    assert [i.name for i in conn.list_interfaces(ListFilter.ACTIVE | ListFilter.INACTIVE)] == ["eth1"]


def test_change_transaction_rolls_back_definitions(conn: pyvirt.Connection) -> None:
    with pytest.raises(OperationInvalidError, match="nothing to rollback"):
        conn.interface_change_rollback()
    conn.interface_change_begin()
    with pytest.raises(OperationInvalidError, match="another transaction running"):
        conn.interface_change_begin()
    conn.define_interface("<interface type='ethernet' name='eth2'/>")
    conn.interface_change_rollback()
    (eth1,) = conn.list_interfaces(ListFilter.ACTIVE | ListFilter.INACTIVE)
    assert eth1.name == "eth1" and not eth1.is_active()  # libvirt's rollback leaves it down


# -- node devices ------------------------------------------------------------------------------


def test_node_devices_and_capability_filters(conn: pyvirt.Connection) -> None:
    names = [d.name for d in conn.list_node_devices()]
    assert sorted(names) == ["computer", "scsi_host1", "scsi_host11", "scsi_host2"]
    assert [d.name for d in conn.list_node_devices(NodeDeviceCap.SYSTEM)] == ["computer"]
    assert sorted(d.name for d in conn.list_node_devices(NodeDeviceCap.FC_HOST)) == [
        "scsi_host1",
        "scsi_host11",
        "scsi_host2",
    ]
    assert sorted(d.name for d in conn.list_node_devices(NodeDeviceCap.VPORTS)) == ["scsi_host1", "scsi_host2"]
    host11 = conn.lookup_node_device_by_name("scsi_host11")
    assert (host11.parent(), host11.caps()) == ("scsi_host1", ["scsi_host"])
    assert conn.lookup_node_device_by_name("computer").parent() is None
    assert "<vendor>Libvirt</vendor>" in conn.lookup_node_device_by_name("computer").xml()


def test_node_device_errors(conn: pyvirt.Connection) -> None:
    with pytest.raises(InvalidArgumentError, match=r"unsupported flags \(0x80000000\) in function testConnectListAll"):
        conn.list_node_devices(NodeDeviceCap.ACTIVE)
    with pytest.raises(NoNodeDeviceError, match="no node device with matching name 'gpu'"):
        conn.lookup_node_device_by_name("gpu")


VHBA_XML = (
    "<device><parent>scsi_host1</parent><capability type='scsi_host'><capability type='fc_host'>"
    "<wwnn>2001001b32a9da4e</wwnn><wwpn>2101001b32a9da4e</wwpn></capability></capability></device>"
)


def test_vhba_create_and_destroy_as_libvirts_mock(conn: pyvirt.Connection) -> None:
    vhba = conn.create_node_device(VHBA_XML)
    assert (vhba.name, vhba.parent(), vhba.caps()) == ("scsi_host12", "scsi_host1", ["scsi_host"])
    assert "<wwnn>2001001b32a9da4e</wwnn>" in vhba.xml() and "<host>11</host>" in vhba.xml()
    vhba.destroy()
    with pytest.raises(NoNodeDeviceError):
        vhba.xml()
    conn.lookup_node_device_by_name("computer").destroy()  # not an HBA: "destroyed", still there
    assert conn.lookup_node_device_by_name("computer").xml()
    with pytest.raises(PyvirtError, match="Parent device scsi_host11 is not capable of vport operations"):
        conn.create_node_device(VHBA_XML.replace("scsi_host1<", "scsi_host11<"))
    with pytest.raises(PyvirtError, match="no WWPN supplied for 'new device'"):
        conn.create_node_device(VHBA_XML.replace("<wwpn>2101001b32a9da4e</wwpn>", ""))


# -- scheduler parameters and screenshots --------------------------------------------------------


def test_scheduler_parameters_as_libvirts_test_driver(conn: pyvirt.Connection) -> None:
    dom = conn.lookup_domain_by_name("test")
    weight = TypedParam("weight", TypedParamType.UINT, 50)
    assert dom.scheduler_type() == ("fair", 1)
    assert dom.scheduler_parameters() == [weight]
    dom.set_scheduler_parameters([weight._replace(value=7)])
    assert dom.scheduler_parameters() == [weight]  # libvirt's test driver keeps nothing
    with pytest.raises(InvalidArgumentError, match="invalid type 'int' for parameter 'weight', expected 'uint'"):
        dom.set_scheduler_parameters([TypedParam("weight", TypedParamType.INT, 7)])
    with pytest.raises(PyvirtError, match="parameter 'cap' not supported") as raised:
        dom.set_scheduler_parameters([TypedParam("cap", TypedParamType.UINT, 7)])
    assert raised.value.code == ErrorCode.ARGUMENT_UNSUPPORTED
    with pytest.raises(InvalidArgumentError, match=r"unsupported flags \(0x5\)"):
        dom.scheduler_parameters(ModifyScope.LIVE)


def _png_chunks(data: bytes) -> list[bytes]:
    """The chunk types of a PNG, each CRC checked."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    kinds, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0] == zlib.crc32(kind + body)
        kinds.append(kind)
        pos += 12 + length
    return kinds


def test_screenshot_is_a_png_stream(conn: pyvirt.Connection) -> None:
    stream, mime = conn.lookup_domain_by_name("test").screenshot()
    with stream:
        data = b"".join(stream)
    assert mime == "image/png"
    assert _png_chunks(data) == [b"IHDR", b"IDAT", b"IEND"]


# -- checkpoints -------------------------------------------------------------------------------


def test_checkpoint_tree(conn: pyvirt.Connection) -> None:
    dom = conn.lookup_domain_by_name("test")
    a = dom.create_checkpoint("<domaincheckpoint><name>a</name><description>first</description></domaincheckpoint>")
    b = dom.create_checkpoint("<domaincheckpoint><name>b</name></domaincheckpoint>")
    c = dom.create_checkpoint("<domaincheckpoint><name>c</name></domaincheckpoint>")
    assert [x.name for x in dom.list_checkpoints()] == ["a", "b", "c"]
    assert [x.name for x in dom.list_checkpoints(CheckpointListFlags.ROOTS)] == ["a"]
    assert [x.name for x in dom.list_checkpoints(CheckpointListFlags.LEAVES)] == ["c"]
    assert [x.name for x in a.children()] == ["b"]
    assert [x.name for x in a.children(CheckpointListFlags.DESCENDANTS)] == ["b", "c"]
    assert c.parent() == b and a.parent() is None
    assert dom.lookup_checkpoint("b") == b
    assert a.xml(CheckpointXMLFlags.NO_DOMAIN).startswith(
        "<domaincheckpoint>\n  <name>a</name>\n  <description>first</description>\n  <creationTime>"
    )
    assert "<disk name='vda' checkpoint='bitmap' bitmap='a'/>" in a.xml()
    assert "<domain type='test'>" in a.xml() and "<domain " not in a.xml(CheckpointXMLFlags.NO_DOMAIN)
    b.delete()
    assert c.parent() == a
    a.delete(CheckpointDeleteFlags.CHILDREN)
    assert dom.list_checkpoints() == []
    with pytest.raises(NoDomainCheckpointError, match="no domain checkpoint with matching name 'a'"):
        dom.lookup_checkpoint("a")


def test_checkpoints_need_a_running_domain_without_snapshots(conn: pyvirt.Connection) -> None:
    dom = conn.lookup_domain_by_name("test")
    dom.create_snapshot()
    with pytest.raises(PyvirtError, match="cannot create checkpoint while snapshot exists"):
        dom.create_checkpoint("<domaincheckpoint/>")
    dom.delete_snapshot(dom.snapshot_names()[0])
    dom.destroy()
    with pytest.raises(PyvirtError, match="cannot create checkpoint for inactive domain") as raised:
        dom.create_checkpoint("<domaincheckpoint/>")
    assert raised.value.code == ErrorCode.OPERATION_UNSUPPORTED


def test_node_file_interfaces_and_devices(tmp_path: Path) -> None:
    """A node file's ``<interface>`` and ``<device>`` elements are the node's (in-process only:
    pyvirtd opens node files too, but this is the test driver's loading)."""
    node = tmp_path / "node.xml"
    (tmp_path / "eth5.xml").write_text("<interface type='ethernet' name='eth5'/>")
    node.write_text(
        "<node><interface type='ethernet' name='eth4'><mac address='52:54:00:00:00:04'/></interface>"
        "<interface file='eth5.xml'/>"
        "<device><name>computer</name><capability type='system'/></device>"
        "<device><name>pci_0</name><parent>computer</parent><capability type='pci'/></device></node>"
    )
    with pyvirt.open(f"test://{node}") as opened:
        assert [(i.name, i.mac) for i in opened.list_interfaces()] == [("eth4", "52:54:00:00:00:04"), ("eth5", "")]
        assert [d.name for d in opened.list_node_devices(NodeDeviceCap.PCI_DEV)] == ["pci_0"]
        assert opened.lookup_node_device_by_name("pci_0").parent() == "computer"
