"""A read-only connection refuses every mutating call before the driver sees it.

The list of what to check is generated, not remembered: every operation of the driver interface
(:meth:`DriverConnection.operations`) that is not a reader must be reached by some public call
of :data:`MUTATORS`, and every public method of the API objects must be classified here as a
mutator or a reader.  A new driver operation or public method therefore fails this file until
it is listed, and its read-only check is then tested.

Each call runs on a fresh node (a node file with a running, a paused and an inactive domain, a
network, a pool and a volume) through a recording driver: a subclass of the real test driver's
connection class, generated from the interface, that logs every operation before doing it.  On a
read-only connection a mutator must raise ``OperationDeniedError`` with nothing logged; on a
read-write one it must reach a mutating operation, and a reader must reach none.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import pyvirt
import pyvirt.lxc
from pyvirt import Connection, Domain, Network, StoragePool, StorageVol
from pyvirt.checkpoint import Checkpoint
from pyvirt.driver import DriverConnection
from pyvirt.errors import OperationDeniedError, PyvirtError
from pyvirt.interface import Interface
from pyvirt.nodedevice import NodeDevice
from pyvirt.types import CheckpointXMLFlags, InterfaceRef, ModifyScope, TypedParam, TypedParamType

NODE = """<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
  <domain type='test'>
    <name>run</name><memory>131072</memory><vcpu>2</vcpu><os><type>hvm</type></os>
  </domain>
  <domain type='test'>
    <test:runstate>3</test:runstate>
    <name>paused</name><memory>131072</memory><os><type>hvm</type></os>
  </domain>
  <domain type='test'>
    <test:runstate>5</test:runstate>
    <name>off</name><memory>131072</memory><os><type>hvm</type></os>
  </domain>
  <network><name>lan</name><bridge name='brlan'/></network>
  <interface type='ethernet' name='eth0'><mac address='52:54:00:aa:bb:cc'/></interface>
  <device><name>computer</name><capability type='system'/></device>
  <pool type='dir'>
    <name>images</name><target><path>/images</path></target>
    <volume><name>disk.img</name><capacity>1000000</capacity><allocation>50000</allocation></volume>
  </pool>
</node>
"""

DOMAIN_XML = "<domain type='test'><name>new</name><memory>1024</memory><os><type>hvm</type></os></domain>"
NETWORK_XML = "<network><name>new</name><bridge name='brnew'/></network>"
POOL_XML = "<pool type='dir'><name>new</name><target><path>/new</path></target></pool>"
DISK_XML = "<disk type='file' device='disk'><source file='/x.img'/><target dev='vdb'/></disk>"
VOLUME_XML = "<volume><name>new.img</name><capacity>1024</capacity></volume>"
IFACE_XML = "<interface type='ethernet' name='eth7'/>"
WEIGHT = TypedParam("weight", TypedParamType.UINT, 10)


def _iface(n: Node) -> Interface:
    return Interface(n.conn, InterfaceRef("eth0", "52:54:00:aa:bb:cc"))


READ_OPERATIONS = frozenset(
    {
        "close", "get_type", "get_version", "get_hostname", "get_node_info", "get_capabilities", "get_sysinfo",
        "get_cells_free_memory", "get_free_memory", "get_security_model", "is_alive", "is_encrypted", "is_secure",
        "set_keepalive",
        "list_domains", "domain_lookup_by_name", "domain_lookup_by_uuid", "domain_lookup_by_id",
        "domain_get_state", "domain_get_info", "domain_get_xml", "domain_get_os_type", "domain_is_persistent",
        "domain_is_updated", "domain_get_autostart", "domain_has_managed_save", "domain_get_vcpus_count",
        "domain_memory_stats", "domain_security_label", "domain_get_messages",
        "list_networks", "network_lookup_by_name", "network_lookup_by_uuid", "network_get_xml",
        "network_is_active", "network_is_persistent", "network_get_autostart", "network_get_bridge_name",
        "list_storage_pools", "pool_lookup_by_name", "pool_lookup_by_uuid", "pool_get_info", "pool_get_xml",
        "pool_is_active", "pool_is_persistent", "pool_get_autostart", "pool_list_volumes",
        "vol_lookup_by_name", "vol_lookup_by_key", "vol_lookup_by_path", "vol_get_info", "vol_get_xml",
        "vol_get_path",
        "domain_snapshot_list", "domain_snapshot_current", "domain_snapshot_get_xml", "domain_block_stats",
        "domain_interface_stats", "domain_stats", "get_domain_capabilities",
        "list_interfaces", "interface_lookup_by_name", "interface_lookup_by_mac", "interface_get_xml",
        "interface_is_active", "list_node_devices", "node_device_lookup_by_name", "node_device_get_xml",
        "node_device_get_parent", "node_device_list_caps", "domain_get_scheduler_type",
        "domain_get_scheduler_parameters", "domain_checkpoint_list", "domain_checkpoint_children",
        "domain_checkpoint_lookup", "domain_checkpoint_get_xml", "domain_checkpoint_get_parent",
    }
)  # fmt: skip
"""Driver operations that change nothing; every other operation of the interface mutates."""

MUTATING_OPERATIONS = frozenset(DriverConnection.operations()) - READ_OPERATIONS


@dataclass
class Node:
    """Handles on a fresh node, fetched before the recording starts."""

    conn: Connection
    run: Domain
    paused: Domain
    off: Domain
    net: Network
    pool: StoragePool
    vol: StorageVol
    save_file: str


Call = Callable[[Node], object]

MUTATORS: dict[str, Call] = {
    "Connection.define_domain": lambda n: n.conn.define_domain(DOMAIN_XML),
    "Connection.create_domain": lambda n: n.conn.create_domain(DOMAIN_XML),
    "Connection.restore_domain": lambda n: n.conn.restore_domain(n.save_file),
    "Connection.define_network": lambda n: n.conn.define_network(NETWORK_XML),
    "Connection.create_network": lambda n: n.conn.create_network(NETWORK_XML),
    "Connection.define_pool": lambda n: n.conn.define_pool(POOL_XML),
    "Connection.create_pool": lambda n: n.conn.create_pool(POOL_XML),
    "Domain.start": lambda n: n.off.start(),
    "Domain.shutdown": lambda n: n.run.shutdown(),
    "Domain.destroy": lambda n: n.run.destroy(),
    "Domain.reboot": lambda n: n.run.reboot(),
    "Domain.reset": lambda n: n.run.reset(),
    "Domain.suspend": lambda n: n.run.suspend(),
    "Domain.resume": lambda n: n.paused.resume(),
    "Domain.save": lambda n: n.run.save(n.save_file),
    "Domain.undefine": lambda n: n.off.undefine(),
    "Domain.set_autostart": lambda n: n.off.set_autostart(True),
    "Domain.set_memory": lambda n: n.run.set_memory(65536),
    "Domain.set_max_memory": lambda n: n.off.set_max_memory(262144, ModifyScope.CONFIG),
    "Domain.set_vcpus": lambda n: n.run.set_vcpus(1),
    "Domain.xml(secure=True)": lambda n: n.run.xml(secure=True),
    "pyvirt.lxc.open_namespace": lambda n: pyvirt.lxc.open_namespace(n.run),
    "Network.start": lambda n: n.net.start(),
    "Network.destroy": lambda n: n.net.destroy(),
    "Network.undefine": lambda n: n.net.undefine(),
    "Network.set_autostart": lambda n: n.net.set_autostart(True),
    "StoragePool.build": lambda n: n.pool.build(),
    "StoragePool.start": lambda n: n.pool.start(),
    "StoragePool.destroy": lambda n: n.pool.destroy(),
    "StoragePool.delete": lambda n: n.pool.delete(),
    "StoragePool.undefine": lambda n: n.pool.undefine(),
    "StoragePool.refresh": lambda n: n.pool.refresh(),
    "StoragePool.set_autostart": lambda n: n.pool.set_autostart(True),
    "StoragePool.create_volume": lambda n: n.pool.create_volume(VOLUME_XML),
    "StoragePool.clone_volume": lambda n: n.pool.clone_volume(VOLUME_XML, n.vol),
    "StorageVol.delete": lambda n: n.vol.delete(),
    "StorageVol.wipe": lambda n: n.vol.wipe(),
    "StorageVol.resize": lambda n: n.vol.resize(2000000),
    "Domain.create_snapshot": lambda n: n.run.create_snapshot(),
    "Domain.revert_to_snapshot": lambda n: n.run.revert_to_snapshot("s"),
    "Domain.delete_snapshot": lambda n: n.run.delete_snapshot("s"),
    "Domain.attach_device": lambda n: n.run.attach_device(DISK_XML),
    "Domain.detach_device": lambda n: n.run.detach_device(DISK_XML),
    "Domain.managed_save": lambda n: n.run.managed_save(),
    "Domain.managed_save_remove": lambda n: n.off.managed_save_remove(),
    "StorageVol.upload": lambda n: n.vol.upload().abort(),
    "StorageVol.download": lambda n: n.vol.download().abort(),
    "Domain.open_console": lambda n: n.run.open_console().abort(),
    "Connection.define_interface": lambda n: n.conn.define_interface(IFACE_XML),
    "Connection.interface_change_begin": lambda n: n.conn.interface_change_begin(),
    "Connection.interface_change_commit": lambda n: n.conn.interface_change_commit(),
    "Connection.interface_change_rollback": lambda n: n.conn.interface_change_rollback(),
    "Interface.start": lambda n: _iface(n).start(),
    "Interface.destroy": lambda n: _iface(n).destroy(),
    "Interface.undefine": lambda n: _iface(n).undefine(),
    "Domain.set_scheduler_parameters": lambda n: n.run.set_scheduler_parameters([WEIGHT]),
    "Domain.screenshot": lambda n: n.run.screenshot()[0].abort(),
    "Domain.create_checkpoint": lambda n: n.run.create_checkpoint("<domaincheckpoint/>"),
    "Checkpoint.delete": lambda n: Checkpoint(n.run, "c").delete(),
    "Checkpoint.xml(secure)": lambda n: Checkpoint(n.run, "c").xml(CheckpointXMLFlags.SECURE),
    "Connection.create_node_device": lambda n: n.conn.create_node_device("<device/>"),
    "NodeDevice.destroy": lambda n: NodeDevice(n.conn, "computer").destroy(),
}
"""Every public call that changes the node (``Domain.xml(secure=True)``: libvirt refuses secrets too)."""


def _no_close(conn: Connection, reason: pyvirt.CloseReason) -> None:
    """A close callback for the readers below (the test driver never calls it)."""


def _register_then_unregister(conn: Connection) -> None:
    conn.register_close_callback(_no_close)
    conn.unregister_close_callback(_no_close)


READERS: dict[str, Call] = {
    "Connection.close": lambda n: n.conn.close(),
    "Connection.is_alive": lambda n: n.conn.is_alive(),
    "Connection.is_encrypted": lambda n: n.conn.is_encrypted(),
    "Connection.is_secure": lambda n: n.conn.is_secure(),
    "Connection.check_writable": lambda n: n.conn.check_writable("virNothing"),
    "Connection.get_type": lambda n: n.conn.get_type(),
    "Connection.get_version": lambda n: n.conn.get_version(),
    "Connection.get_lib_version": lambda n: n.conn.get_lib_version(),
    "Connection.get_hostname": lambda n: n.conn.get_hostname(),
    "Connection.get_node_info": lambda n: n.conn.get_node_info(),
    "Connection.get_capabilities": lambda n: n.conn.get_capabilities(),
    "Connection.get_sysinfo": lambda n: n.conn.get_sysinfo(),
    "Connection.get_free_memory": lambda n: n.conn.get_free_memory(),
    "Connection.get_security_model": lambda n: n.conn.get_security_model(),
    "Connection.get_cells_free_memory": lambda n: n.conn.get_cells_free_memory(),
    "Connection.list_domains": lambda n: n.conn.list_domains(),
    "Connection.lookup_domain_by_name": lambda n: n.conn.lookup_domain_by_name("run"),
    "Connection.lookup_domain_by_uuid": lambda n: n.conn.lookup_domain_by_uuid(n.run.uuid),
    "Connection.lookup_domain_by_id": lambda n: n.conn.lookup_domain_by_id(n.run.id),
    "Connection.list_networks": lambda n: n.conn.list_networks(),
    "Connection.lookup_network_by_name": lambda n: n.conn.lookup_network_by_name("lan"),
    "Connection.lookup_network_by_uuid": lambda n: n.conn.lookup_network_by_uuid(n.net.uuid),
    "Connection.list_storage_pools": lambda n: n.conn.list_storage_pools(),
    "Connection.lookup_pool_by_name": lambda n: n.conn.lookup_pool_by_name("images"),
    "Connection.lookup_pool_by_uuid": lambda n: n.conn.lookup_pool_by_uuid(n.pool.uuid),
    "Connection.lookup_volume_by_key": lambda n: n.conn.lookup_volume_by_key(n.vol.key),
    "Connection.lookup_volume_by_path": lambda n: n.conn.lookup_volume_by_path(n.vol.key),
    "Connection.domain_event_register": lambda n: n.conn.domain_event_register(lambda event: None),
    "Connection.domain_event_deregister": lambda n: n.conn.domain_event_deregister(
        n.conn.domain_event_register(lambda event: None)
    ),
    "Connection.set_keepalive": lambda n: n.conn.set_keepalive(5, 6),
    "Connection.register_close_callback": lambda n: n.conn.register_close_callback(_no_close),
    "Connection.unregister_close_callback": lambda n: _register_then_unregister(n.conn),
    "Domain.state": lambda n: n.run.state(),
    "Domain.info": lambda n: n.run.info(),
    "Domain.xml": lambda n: n.run.xml(),
    "Domain.os_type": lambda n: n.run.os_type(),
    "Domain.is_active": lambda n: n.run.is_active(),
    "Domain.is_persistent": lambda n: n.run.is_persistent(),
    "Domain.is_updated": lambda n: n.run.is_updated(),
    "Domain.has_managed_save": lambda n: n.run.has_managed_save(),
    "Domain.security_label": lambda n: n.run.security_label(),
    "Domain.messages": lambda n: n.run.messages(),
    "Domain.title": lambda n: n.run.title(),
    "Domain.description": lambda n: n.run.description(),
    "Domain.disks": lambda n: n.run.disks(),
    "Domain.interfaces": lambda n: n.run.interfaces(),
    "Domain.vcpus_count": lambda n: n.run.vcpus_count(),
    "Domain.memory_stats": lambda n: n.run.memory_stats(),
    "Domain.snapshot_names": lambda n: n.run.snapshot_names(),
    "Domain.current_snapshot": lambda n: n.run.current_snapshot(),
    "Domain.snapshot_xml": lambda n: n.run.snapshot_xml("s"),
    "Domain.block_stats": lambda n: n.run.block_stats("vda"),
    "Domain.interface_stats": lambda n: n.run.interface_stats("vnet0"),
    "Domain.stats": lambda n: n.run.stats(),
    "Connection.get_domain_capabilities": lambda n: n.conn.get_domain_capabilities(),
    "Network.xml": lambda n: n.net.xml(),
    "Network.is_active": lambda n: n.net.is_active(),
    "Network.is_persistent": lambda n: n.net.is_persistent(),
    "Network.bridge_name": lambda n: n.net.bridge_name(),
    "StoragePool.info": lambda n: n.pool.info(),
    "StoragePool.xml": lambda n: n.pool.xml(),
    "StoragePool.is_active": lambda n: n.pool.is_active(),
    "StoragePool.is_persistent": lambda n: n.pool.is_persistent(),
    "StoragePool.list_volumes": lambda n: n.pool.list_volumes(),
    "StoragePool.lookup_volume": lambda n: n.pool.lookup_volume("disk.img"),
    "StorageVol.pool": lambda n: n.vol.pool(),
    "StorageVol.info": lambda n: n.vol.info(),
    "StorageVol.xml": lambda n: n.vol.xml(),
    "StorageVol.path": lambda n: n.vol.path(),
    "Connection.list_interfaces": lambda n: n.conn.list_interfaces(),
    "Connection.lookup_interface_by_name": lambda n: n.conn.lookup_interface_by_name("eth0"),
    "Connection.lookup_interface_by_mac": lambda n: n.conn.lookup_interface_by_mac("52:54:00:aa:bb:cc"),
    "Connection.list_node_devices": lambda n: n.conn.list_node_devices(),
    "Connection.lookup_node_device_by_name": lambda n: n.conn.lookup_node_device_by_name("computer"),
    "Interface.xml": lambda n: _iface(n).xml(),
    "Interface.is_active": lambda n: _iface(n).is_active(),
    "NodeDevice.xml": lambda n: NodeDevice(n.conn, "computer").xml(),
    "NodeDevice.parent": lambda n: NodeDevice(n.conn, "computer").parent(),
    "NodeDevice.caps": lambda n: NodeDevice(n.conn, "computer").caps(),
    "Domain.scheduler_type": lambda n: n.run.scheduler_type(),
    "Domain.scheduler_parameters": lambda n: n.run.scheduler_parameters(),
    "Domain.list_checkpoints": lambda n: n.run.list_checkpoints(),
    "Domain.lookup_checkpoint": lambda n: n.run.lookup_checkpoint("c"),
    "Checkpoint.xml": lambda n: Checkpoint(n.run, "c").xml(),
    "Checkpoint.parent": lambda n: Checkpoint(n.run, "c").parent(),
    "Checkpoint.children": lambda n: Checkpoint(n.run, "c").children(),
}
"""Every public call that only looks (run on read-write connections: none may mutate)."""

PUBLIC_CLASSES = (Connection, Domain, Network, StoragePool, StorageVol, Interface, NodeDevice, Checkpoint)


def recording(inner: DriverConnection, log: list[str]) -> DriverConnection:
    """``inner`` as an instance of a generated subclass that logs each interface operation first."""

    def forwarder(operation: str) -> Callable[..., Any]:
        def call(self: DriverConnection, *args: Any, **kwargs: Any) -> Any:
            log.append(operation)
            return getattr(super(cls, self), operation)(*args, **kwargs)

        return call

    methods = {operation: forwarder(operation) for operation in DriverConnection.operations()}
    cls = type(f"Recording{type(inner).__name__}", (type(inner),), methods)
    inner.__class__ = cls
    return inner


@pytest.fixture
def node_uri(tmp_path: Path) -> str:
    path = tmp_path / "node.xml"
    path.write_text(NODE)
    return f"test://{path}"


def _node(conn: Connection, save_file: Path) -> Node:
    pool = conn.lookup_pool_by_name("images")
    return Node(
        conn,
        conn.lookup_domain_by_name("run"),
        conn.lookup_domain_by_name("paused"),
        conn.lookup_domain_by_name("off"),
        conn.lookup_network_by_name("lan"),
        pool,
        pool.lookup_volume("disk.img"),
        str(save_file),
    )


def _run_logged(uri: str, read_only: bool, save_file: Path, call: Call) -> tuple[list[str], PyvirtError | None]:
    """The driver operations ``call`` reached on a fresh node, and the error it raised."""
    conn = pyvirt.open_read_only(uri) if read_only else pyvirt.open(uri)
    try:
        node = _node(conn, save_file)
        log: list[str] = []
        recording(conn.driver, log)
        try:
            call(node)
        except PyvirtError as exc:
            return list(log), exc
        return list(log), None
    finally:
        conn.close()


@pytest.mark.parametrize("name", list(MUTATORS))
def test_read_only_refuses_before_the_driver(name: str, node_uri: str, tmp_path: Path) -> None:
    log, raised = _run_logged(node_uri, True, tmp_path / "saved", MUTATORS[name])
    assert isinstance(raised, OperationDeniedError), f"{name} was not refused on a read-only connection"
    assert "read only access prevents" in str(raised) or "secure flag" in str(raised), str(raised)
    assert log == [], f"{name} reached the driver on a read-only connection: {log}"


@pytest.mark.parametrize("name", [name for name in MUTATORS if "(" not in name])
def test_a_mutator_reaches_a_mutating_operation_when_writable(name: str, node_uri: str, tmp_path: Path) -> None:
    log, _ = _run_logged(node_uri, False, tmp_path / "saved", MUTATORS[name])
    assert set(log) & MUTATING_OPERATIONS, f"{name} reached only {log}: it is a reader, not a mutator"


@pytest.mark.parametrize("name", list(READERS))
def test_a_reader_mutates_nothing(name: str, node_uri: str, tmp_path: Path) -> None:
    log, raised = _run_logged(node_uri, False, tmp_path / "saved", READERS[name])
    assert not isinstance(raised, OperationDeniedError), f"{name}: {raised}"
    assert not set(log) & MUTATING_OPERATIONS, f"{name} reached {log}: it mutates, so list it in MUTATORS"


def test_every_mutating_driver_operation_is_behind_a_refused_call(node_uri: str, tmp_path: Path) -> None:
    """Generated from the interface: each mutating operation is reached by some public mutator."""
    reached: set[str] = set()
    for call in MUTATORS.values():
        log, _ = _run_logged(node_uri, False, tmp_path / "saved", call)
        reached.update(log)
    assert sorted(MUTATING_OPERATIONS - reached) == []


def test_every_public_method_is_classified() -> None:
    public = {
        f"{cls.__name__}.{name}"
        for cls in PUBLIC_CLASSES
        for name, value in vars(cls).items()
        if not name.startswith("_") and inspect.isfunction(value)
    }
    classified = set(READERS) | {name.split("(")[0] for name in MUTATORS}
    assert sorted(public - classified) == []
    assert sorted(set(READERS) - public) == []


def test_read_operations_are_operations_of_the_interface() -> None:
    assert sorted(READ_OPERATIONS - set(DriverConnection.operations())) == []


def test_joining_a_containers_cgroups_is_refused_read_only() -> None:
    """``pyvirt.lxc.enter_cgroup`` acts on this host, not through the driver, so the table above
    (calls that reach a mutating driver operation) cannot hold it; libvirt refuses it read-only."""
    with pyvirt.open_read_only("test:///default") as conn:
        with pytest.raises(pyvirt.OperationDeniedError, match="virDomainLxcEnterCGroup"):
            pyvirt.lxc.enter_cgroup(conn.lookup_domain_by_name("test"), [])
