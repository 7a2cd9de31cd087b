"""The per-connection driver interface: what every hypervisor driver implements.

This is libvirt's ``virHypervisorDriver`` / ``virNetworkDriver`` / ``virStorageDriver`` tables
as one typed class.  A driver subclasses :class:`DriverConnection` and overrides the calls it
supports; every call it does not override raises :class:`~pyvirt.errors.UnsupportedError`
naming the operation and the driver, never ``AttributeError``.

Rules every driver can rely on (the public objects in the core enforce them, once):

* read-only connections never reach a mutating call (``OperationDeniedError`` is raised first);
* arguments and results are plain values (str, int, bool, the NamedTuples and enums of
  :mod:`pyvirt.types`), so the same interface is served over the wire by the remote driver;
* objects are named by UUID (domains, networks, pools) or by key (volumes) after lookup;
* XML crosses the interface as ``str`` in libvirt's format.

Calls are thread-safe from the caller's side: a driver guards its own state.
"""

from __future__ import annotations

import _thread
from collections.abc import Callable

from pyvirt.errors import UnsupportedError
from pyvirt.stream import DriverStream
from pyvirt.types import (
    CloseReason,
    DomainEvent,
    DomainInfo,
    DomainMessageKind,
    DomainRef,
    DomainState,
    InterfaceRef,
    ListFilter,
    ModifyScope,
    NetworkRef,
    NodeInfo,
    PoolInfo,
    PoolRef,
    VolInfo,
    VolRef,
)
from pyvirt.uri import URI

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see pyvirt.records)
if TYPE_CHECKING:  # values pyvirt.types loads on first use: named only in signatures here
    from typing import ClassVar, NoReturn

    from pyvirt.types import (
        BlockStats,
        CheckpointCreateFlags,
        CheckpointDeleteFlags,
        CheckpointListFlags,
        CheckpointXMLFlags,
        InterfaceStats,
        NodeDeviceCap,
        SnapshotCreateFlags,
        TypedParam,
    )

EventSink = Callable[[DomainEvent], None]
"""Where a driver reports lifecycle events; the core fans them out to subscribers."""
CloseSink = Callable[[CloseReason], None]
"""Where a driver reports that its link to the node ended (see :meth:`DriverConnection.link_closed`)."""
_CLOSE_LOCK = _thread.allocate_lock()


class DriverConnection:
    """Base class of a driver's open connection.  Override what the driver supports.

    ``name`` is the driver's type as ``virConnectGetType`` reports it (``TEST``, ``QEMU``).
    """

    name: ClassVar[str] = "unnamed"
    _close_sink: CloseSink | None = None
    _close_reason: CloseReason | None = None
    domain_type: ClassVar[str | None] = None
    """The ``<domain type>`` the driver's domains use when it is not ``name`` in lower case:
    pyvirt.xml, like libvirt's parser, accepts only libvirt's virt types (``test``, ``kvm``...)."""

    def __init__(self, uri: URI, events: EventSink) -> None:
        self.uri = uri
        self.events = events

    # -- support ------------------------------------------------------------------------------

    def _unsupported(self, operation: str) -> NoReturn:
        raise UnsupportedError(
            f"this function is not supported by the connection driver: {operation} (driver '{self.name}')"
        )

    @classmethod
    def supports(cls, operation: str) -> bool:
        """True when the driver overrides ``operation`` (used for capability markers and docs)."""
        base = getattr(DriverConnection, operation, None)
        mine = getattr(cls, operation, None)
        return base is not None and mine is not None and mine is not base

    @classmethod
    def operations(cls) -> list[str]:
        """Every operation of the interface, in definition order."""
        return [
            name
            for name, value in vars(DriverConnection).items()
            if callable(value) and not name.startswith("_") and name not in _NOT_OPERATIONS
        ]

    # -- connection ---------------------------------------------------------------------------

    def close(self) -> None:
        """Release the driver's resources for this connection.  Must not raise."""

    def get_type(self) -> str:
        return self.name

    def get_version(self) -> int:
        """Hypervisor version, libvirt-encoded (major * 1,000,000 + minor * 1,000 + micro)."""
        self._unsupported("get_version")

    def get_hostname(self) -> str:
        self._unsupported("get_hostname")

    def get_node_info(self) -> NodeInfo:
        self._unsupported("get_node_info")

    def get_capabilities(self) -> str:
        self._unsupported("get_capabilities")

    def get_sysinfo(self) -> str:
        self._unsupported("get_sysinfo")

    def get_cells_free_memory(self, start_cell: int, max_cells: int) -> list[int]:
        """Free memory in bytes of NUMA cells ``start_cell``..``start_cell + max_cells - 1``."""
        self._unsupported("get_cells_free_memory")

    def get_free_memory(self) -> int:
        """Free memory of the whole node, in bytes."""
        self._unsupported("get_free_memory")

    def get_security_model(self) -> tuple[str, str]:
        """(model, DOI) of the node's security driver, as ``virNodeGetSecurityModel`` gives
        them; the model is ``""`` when no security driver is active."""
        self._unsupported("get_security_model")

    def is_alive(self) -> bool:
        return True

    # -- the link to the node: keepalive and its loss (libvirt's close callback) --------------

    def set_keepalive(self, interval: float, count: int) -> bool:
        """Ping the node after ``interval`` seconds of silence and give the link up after
        ``count`` unanswered pings (libvirt's virConnectSetKeepAlive); ``interval <= 0`` stops
        the pings.  False when the far side does not speak the keepalive protocol.  A driver
        that runs in-process has no link to watch and leaves this unsupported, as libvirt's do."""
        self._unsupported("set_keepalive")

    def watch_close(self, sink: CloseSink) -> None:
        """Where to report the end of the link (set once by the core, right after open); an
        end reported before the sink was set is passed on at once."""
        with _CLOSE_LOCK:
            self._close_sink = sink
            reason = self._close_reason
        if reason is not None:
            sink(reason)

    def link_closed(self, reason: CloseReason) -> None:
        """Called by a driver that holds a link to its node (the remote driver) when that link
        ends, for whatever reason; only the first report counts.  In-process drivers never
        call it: their connection cannot be lost."""
        with _CLOSE_LOCK:
            if self._close_reason is not None:
                return
            self._close_reason = reason
            sink = self._close_sink
        if sink is not None:
            sink(reason)

    def is_encrypted(self) -> bool:
        return False

    def is_secure(self) -> bool:
        return True

    # -- domains ------------------------------------------------------------------------------

    def list_domains(self, filters: ListFilter) -> list[DomainRef]:
        self._unsupported("list_domains")

    def domain_lookup_by_name(self, name: str) -> DomainRef:
        self._unsupported("domain_lookup_by_name")

    def domain_lookup_by_uuid(self, uuid: str) -> DomainRef:
        self._unsupported("domain_lookup_by_uuid")

    def domain_lookup_by_id(self, domain_id: int) -> DomainRef:
        self._unsupported("domain_lookup_by_id")

    def domain_define_xml(self, xml: str, validate: bool) -> DomainRef:
        """Define (or redefine) a persistent domain from XML."""
        self._unsupported("domain_define_xml")

    def domain_create_xml(self, xml: str, validate: bool, paused: bool) -> DomainRef:
        """Create and start a transient domain (``paused``: left paused, where supported)."""
        self._unsupported("domain_create_xml")

    def domain_undefine(self, uuid: str, managed_save: bool = False) -> None:
        """Remove the persistent config.  A domain with a managed save image is refused unless
        ``managed_save`` (libvirt's UNDEFINE_MANAGED_SAVE), which removes the image too.

        The core passes ``managed_save`` only when it is true (by keyword), so a driver written
        before it existed still serves plain undefines.
        """
        self._unsupported("domain_undefine")

    def domain_create(self, uuid: str, paused: bool) -> DomainRef:
        """Start a defined domain; the returned ref carries the new ID."""
        self._unsupported("domain_create")

    def domain_shutdown(self, uuid: str) -> None:
        self._unsupported("domain_shutdown")

    def domain_destroy(self, uuid: str) -> None:
        self._unsupported("domain_destroy")

    def domain_reboot(self, uuid: str) -> None:
        self._unsupported("domain_reboot")

    def domain_reset(self, uuid: str) -> None:
        self._unsupported("domain_reset")

    def domain_suspend(self, uuid: str) -> None:
        self._unsupported("domain_suspend")

    def domain_resume(self, uuid: str) -> None:
        self._unsupported("domain_resume")

    def domain_save(self, uuid: str, path: str) -> None:
        self._unsupported("domain_save")

    def domain_restore(self, path: str) -> DomainRef:
        self._unsupported("domain_restore")

    def domain_get_state(self, uuid: str) -> tuple[DomainState, int]:
        """State and reason (an int of the state's reason enum, e.g. RunningReason)."""
        self._unsupported("domain_get_state")

    def domain_get_info(self, uuid: str) -> DomainInfo:
        self._unsupported("domain_get_info")

    def domain_get_xml(self, uuid: str, inactive: bool, secure: bool = False) -> str:
        """The domain's XML; ``secure`` keeps secrets (passwords), libvirt's XML_SECURE.

        The core passes ``secure`` only when it is true (by keyword), so a driver written
        before it existed still serves plain dumps.
        """
        self._unsupported("domain_get_xml")

    def domain_get_os_type(self, uuid: str) -> str:
        self._unsupported("domain_get_os_type")

    def domain_is_persistent(self, uuid: str) -> bool:
        self._unsupported("domain_is_persistent")

    def domain_is_updated(self, uuid: str) -> bool:
        return False

    def domain_get_autostart(self, uuid: str) -> bool:
        self._unsupported("domain_get_autostart")

    def domain_set_autostart(self, uuid: str, autostart: bool) -> None:
        self._unsupported("domain_set_autostart")

    def domain_has_managed_save(self, uuid: str) -> bool:
        return False

    def domain_set_memory(self, uuid: str, kib: int, scope: ModifyScope) -> None:
        """Set current memory, or maximum memory when ``scope`` includes MAXIMUM."""
        self._unsupported("domain_set_memory")

    def domain_set_vcpus(self, uuid: str, count: int, scope: ModifyScope) -> None:
        """Set vCPUs in use, or the maximum when ``scope`` includes MAXIMUM."""
        self._unsupported("domain_set_vcpus")

    def domain_get_vcpus_count(self, uuid: str, scope: ModifyScope) -> int:
        self._unsupported("domain_get_vcpus_count")

    def domain_memory_stats(self, uuid: str) -> dict[str, int]:
        """Balloon statistics by libvirt's tag names (``actual``, ``rss``...) in KiB."""
        self._unsupported("domain_memory_stats")

    def domain_security_label(self, uuid: str) -> tuple[str, str, bool]:
        """(model, label, enforcing) as ``virDomainGetSecurityLabel`` gives them."""
        self._unsupported("domain_security_label")

    def domain_get_messages(self, uuid: str, kinds: DomainMessageKind) -> list[str]:
        """Messages reported against the domain (``virDomainGetMessages``): taint reasons
        (``tainted: ...``) then deprecation notes; ``kinds`` ALL (0) means every kind."""
        self._unsupported("domain_get_messages")

    # -- snapshots, devices, statistics, managed save ----------------------------------------

    def domain_snapshot_create(self, uuid: str, xml: str, flags: SnapshotCreateFlags) -> str:
        """Take a snapshot described by ``<domainsnapshot>`` XML (empty: every default) and
        make it the current one; ``flags`` are libvirt's: DISK_ONLY snapshots the disks to new
        overlay files and leaves memory alone, REDEFINE stores a full document as metadata
        only (current only with CURRENT), HALT stops the guest afterwards.  A driver refuses
        the flags it does not implement, as libvirt's ``virCheckFlags``.  The core has already
        checked the combinations libvirt's public API forbids.  Returns the snapshot's name."""
        self._unsupported("domain_snapshot_create")

    def domain_snapshot_list(self, uuid: str) -> list[str]:
        """Names of the domain's snapshots, oldest first."""
        self._unsupported("domain_snapshot_list")

    def domain_snapshot_current(self, uuid: str) -> str | None:
        """Name of the current snapshot (the last taken or reverted to), None when there is none."""
        self._unsupported("domain_snapshot_current")

    def domain_snapshot_get_xml(self, uuid: str, name: str) -> str:
        """The snapshot's full ``<domainsnapshot>`` document, the domain's XML inside."""
        self._unsupported("domain_snapshot_get_xml")

    def domain_snapshot_revert(self, uuid: str, name: str) -> None:
        """Bring the domain back to the snapshot: its disks, and its state (running or off)."""
        self._unsupported("domain_snapshot_revert")

    def domain_snapshot_delete(self, uuid: str, name: str) -> None:
        """Delete the snapshot; its children get its parent, and so does "current"."""
        self._unsupported("domain_snapshot_delete")

    def domain_attach_device(self, uuid: str, xml: str, scope: ModifyScope) -> None:
        """Add the device described by ``xml`` (a ``<disk>``, an ``<interface>``) live, to the
        persistent config, or both, as ``scope`` says (CURRENT: live when running)."""
        self._unsupported("domain_attach_device")

    def domain_detach_device(self, uuid: str, xml: str, scope: ModifyScope) -> None:
        """Remove the device ``xml`` names (a disk by target, an interface by MAC)."""
        self._unsupported("domain_detach_device")

    def domain_block_stats(self, uuid: str, disk: str) -> BlockStats:
        """I/O counters of a running domain's disk, named by target (``vda``) or source path."""
        self._unsupported("domain_block_stats")

    def domain_interface_stats(self, uuid: str, device: str) -> InterfaceStats:
        """Traffic counters of a running domain's interface, named by host device or MAC."""
        self._unsupported("domain_interface_stats")

    def domain_stats(self, uuid: str) -> dict[str, int | str]:
        """libvirt's ``virConnectGetAllDomainStats`` record for one domain, by its field names
        (``state.state``, ``cpu.time``, ``block.0.rd.bytes``...), in libvirt's order."""
        self._unsupported("domain_stats")

    def domain_managed_save(self, uuid: str) -> None:
        """Save a running domain to the driver's own file and stop it; the next start
        restores it from there (and removes the image)."""
        self._unsupported("domain_managed_save")

    def domain_managed_save_remove(self, uuid: str) -> None:
        """Drop the managed save image, so the next start boots afresh."""
        self._unsupported("domain_managed_save_remove")

    def get_domain_capabilities(
        self, emulator: str | None, arch: str | None, machine: str | None, virt_type: str | None
    ) -> str:
        """``<domainCapabilities>`` XML for one emulator/arch/machine/type (None: the default)."""
        self._unsupported("get_domain_capabilities")

    # -- networks -----------------------------------------------------------------------------

    def list_networks(self, filters: ListFilter) -> list[NetworkRef]:
        self._unsupported("list_networks")

    def network_lookup_by_name(self, name: str) -> NetworkRef:
        self._unsupported("network_lookup_by_name")

    def network_lookup_by_uuid(self, uuid: str) -> NetworkRef:
        self._unsupported("network_lookup_by_uuid")

    def network_define_xml(self, xml: str, validate: bool) -> NetworkRef:
        self._unsupported("network_define_xml")

    def network_create_xml(self, xml: str, validate: bool) -> NetworkRef:
        self._unsupported("network_create_xml")

    def network_undefine(self, uuid: str) -> None:
        self._unsupported("network_undefine")

    def network_create(self, uuid: str) -> None:
        self._unsupported("network_create")

    def network_destroy(self, uuid: str) -> None:
        self._unsupported("network_destroy")

    def network_get_xml(self, uuid: str, inactive: bool) -> str:
        self._unsupported("network_get_xml")

    def network_is_active(self, uuid: str) -> bool:
        self._unsupported("network_is_active")

    def network_is_persistent(self, uuid: str) -> bool:
        self._unsupported("network_is_persistent")

    def network_get_autostart(self, uuid: str) -> bool:
        self._unsupported("network_get_autostart")

    def network_set_autostart(self, uuid: str, autostart: bool) -> None:
        self._unsupported("network_set_autostart")

    def network_get_bridge_name(self, uuid: str) -> str:
        self._unsupported("network_get_bridge_name")

    # -- storage pools ------------------------------------------------------------------------

    def list_storage_pools(self, filters: ListFilter) -> list[PoolRef]:
        self._unsupported("list_storage_pools")

    def pool_lookup_by_name(self, name: str) -> PoolRef:
        self._unsupported("pool_lookup_by_name")

    def pool_lookup_by_uuid(self, uuid: str) -> PoolRef:
        self._unsupported("pool_lookup_by_uuid")

    def pool_define_xml(self, xml: str, validate: bool) -> PoolRef:
        self._unsupported("pool_define_xml")

    def pool_create_xml(self, xml: str, validate: bool) -> PoolRef:
        self._unsupported("pool_create_xml")

    def pool_build(self, uuid: str) -> None:
        self._unsupported("pool_build")

    def pool_create(self, uuid: str) -> None:
        """Start (activate) a defined pool."""
        self._unsupported("pool_create")

    def pool_destroy(self, uuid: str) -> None:
        self._unsupported("pool_destroy")

    def pool_delete(self, uuid: str) -> None:
        """Delete the pool's underlying storage (the pool stays defined)."""
        self._unsupported("pool_delete")

    def pool_undefine(self, uuid: str) -> None:
        self._unsupported("pool_undefine")

    def pool_refresh(self, uuid: str) -> None:
        self._unsupported("pool_refresh")

    def pool_get_info(self, uuid: str) -> PoolInfo:
        self._unsupported("pool_get_info")

    def pool_get_xml(self, uuid: str, inactive: bool) -> str:
        self._unsupported("pool_get_xml")

    def pool_is_active(self, uuid: str) -> bool:
        self._unsupported("pool_is_active")

    def pool_is_persistent(self, uuid: str) -> bool:
        self._unsupported("pool_is_persistent")

    def pool_get_autostart(self, uuid: str) -> bool:
        self._unsupported("pool_get_autostart")

    def pool_set_autostart(self, uuid: str, autostart: bool) -> None:
        self._unsupported("pool_set_autostart")

    def pool_list_volumes(self, uuid: str) -> list[VolRef]:
        self._unsupported("pool_list_volumes")

    # -- storage volumes ----------------------------------------------------------------------

    def vol_lookup_by_name(self, pool_uuid: str, name: str) -> VolRef:
        self._unsupported("vol_lookup_by_name")

    def vol_lookup_by_key(self, key: str) -> VolRef:
        self._unsupported("vol_lookup_by_key")

    def vol_lookup_by_path(self, path: str) -> VolRef:
        self._unsupported("vol_lookup_by_path")

    def vol_create_xml(self, pool_uuid: str, xml: str, validate: bool) -> VolRef:
        self._unsupported("vol_create_xml")

    def vol_create_xml_from(self, pool_uuid: str, xml: str, source_key: str) -> VolRef:
        """Create a volume in the pool whose content is copied from ``source_key`` (clone)."""
        self._unsupported("vol_create_xml_from")

    def vol_delete(self, key: str) -> None:
        self._unsupported("vol_delete")

    def vol_wipe(self, key: str) -> None:
        self._unsupported("vol_wipe")

    def vol_resize(self, key: str, capacity: int, delta: bool, shrink: bool) -> None:
        """Set the capacity in bytes (or grow/shrink by it when ``delta``)."""
        self._unsupported("vol_resize")

    def vol_get_info(self, key: str) -> VolInfo:
        self._unsupported("vol_get_info")

    def vol_get_xml(self, key: str) -> str:
        self._unsupported("vol_get_xml")

    def vol_get_path(self, key: str) -> str:
        self._unsupported("vol_get_path")

    # -- byte streams (pyvirt.stream) ---------------------------------------------------------

    def domain_open_console(self, uuid: str, dev_name: str | None, force: bool) -> DriverStream:
        """A stream to the domain's console (``dev_name`` None: the first console or serial
        port); ``force`` takes it over from another client holding it."""
        self._unsupported("domain_open_console")

    def vol_upload(self, key: str, offset: int, length: int) -> DriverStream:
        """A stream whose bytes are written into the volume from ``offset`` (``length`` 0: up
        to the end); the content changes on ``finish``."""
        self._unsupported("vol_upload")

    def vol_download(self, key: str, offset: int, length: int) -> DriverStream:
        """A stream giving the volume's bytes from ``offset`` (``length`` 0: to the end)."""
        self._unsupported("vol_download")

    # -- LXC namespaces (pyvirt.lxc, like libvirt-lxc) ------------------------------------------

    def domain_lxc_open_namespace(self, uuid: str) -> list[int]:
        """Open descriptors on the running container's namespaces (``/proc/PID/ns/*`` of its
        init, in libvirt's order user, ipc, uts, net, pid, mnt; those the kernel has).  The
        caller owns and closes them; a client joins them with ``setns`` and runs a command."""
        self._unsupported("domain_lxc_open_namespace")

    # -- host interfaces (libvirt's virInterfaceDriver; named by interface name) ---------------

    def list_interfaces(self, filters: ListFilter) -> list[InterfaceRef]:
        """The host's interfaces; only ACTIVE/INACTIVE of ``filters`` apply."""
        self._unsupported("list_interfaces")

    def interface_lookup_by_name(self, name: str) -> InterfaceRef:
        self._unsupported("interface_lookup_by_name")

    def interface_lookup_by_mac(self, mac: str) -> InterfaceRef:
        """The one interface with this MAC; several matching is libvirt's MULTIPLE_INTERFACES error."""
        self._unsupported("interface_lookup_by_mac")

    def interface_define_xml(self, xml: str, validate: bool) -> InterfaceRef:
        self._unsupported("interface_define_xml")

    def interface_undefine(self, name: str) -> None:
        self._unsupported("interface_undefine")

    def interface_create(self, name: str) -> None:
        """Bring a defined interface up (libvirt's virInterfaceCreate)."""
        self._unsupported("interface_create")

    def interface_destroy(self, name: str) -> None:
        self._unsupported("interface_destroy")

    def interface_get_xml(self, name: str, inactive: bool) -> str:
        self._unsupported("interface_get_xml")

    def interface_is_active(self, name: str) -> bool:
        self._unsupported("interface_is_active")

    def interface_change_begin(self) -> None:
        """Snapshot the interface configuration so a later rollback can restore it."""
        self._unsupported("interface_change_begin")

    def interface_change_commit(self) -> None:
        self._unsupported("interface_change_commit")

    def interface_change_rollback(self) -> None:
        self._unsupported("interface_change_rollback")

    # -- node devices (libvirt's virNodeDeviceDriver; named by device name) --------------------

    def list_node_devices(self, caps: NodeDeviceCap) -> list[str]:
        """Names of the devices having any capability bit of ``caps`` (none: all).  ACTIVE and
        INACTIVE are passed on as given: a driver that cannot tell refuses them, as libvirt's
        test driver does."""
        self._unsupported("list_node_devices")

    def node_device_lookup_by_name(self, name: str) -> str:
        self._unsupported("node_device_lookup_by_name")

    def node_device_get_xml(self, name: str) -> str:
        self._unsupported("node_device_get_xml")

    def node_device_get_parent(self, name: str) -> str | None:
        """The parent device's name, None for the root (``computer``)."""
        self._unsupported("node_device_get_parent")

    def node_device_list_caps(self, name: str) -> list[str]:
        """The device's capability names as libvirt lists them (``scsi_host``, ``fc_host``...)."""
        self._unsupported("node_device_list_caps")

    def node_device_create_xml(self, xml: str, validate: bool) -> str:
        """Create a device from ``<device>`` XML (a vHBA: an ``fc_host`` under a vport-capable
        ``scsi_host`` parent); returns the new device's name."""
        self._unsupported("node_device_create_xml")

    def node_device_destroy(self, name: str) -> None:
        self._unsupported("node_device_destroy")

    # -- scheduler parameters and screenshots --------------------------------------------------

    def domain_get_scheduler_type(self, uuid: str) -> tuple[str, int]:
        """(scheduler name, number of parameters), libvirt's virDomainGetSchedulerType."""
        self._unsupported("domain_get_scheduler_type")

    def domain_get_scheduler_parameters(self, uuid: str, scope: ModifyScope) -> list[TypedParam]:
        self._unsupported("domain_get_scheduler_parameters")

    def domain_set_scheduler_parameters(self, uuid: str, params: list[TypedParam], scope: ModifyScope) -> None:
        self._unsupported("domain_set_scheduler_parameters")

    def domain_screenshot(self, uuid: str, screen: int) -> tuple[DriverStream, str]:
        """A stream giving an image of the domain's ``screen``, and the image's MIME type."""
        self._unsupported("domain_screenshot")

    # -- checkpoints (named by domain UUID and checkpoint name) --------------------------------

    def domain_checkpoint_create(self, uuid: str, xml: str, flags: CheckpointCreateFlags) -> str:
        """Create a checkpoint from ``<domaincheckpoint>`` XML; returns its name."""
        self._unsupported("domain_checkpoint_create")

    def domain_checkpoint_list(self, uuid: str, flags: CheckpointListFlags) -> list[str]:
        self._unsupported("domain_checkpoint_list")

    def domain_checkpoint_children(self, uuid: str, name: str, flags: CheckpointListFlags) -> list[str]:
        self._unsupported("domain_checkpoint_children")

    def domain_checkpoint_lookup(self, uuid: str, name: str) -> str:
        """The name back when the checkpoint exists, libvirt's NO_DOMAIN_CHECKPOINT error if not."""
        self._unsupported("domain_checkpoint_lookup")

    def domain_checkpoint_get_xml(self, uuid: str, name: str, flags: CheckpointXMLFlags) -> str:
        self._unsupported("domain_checkpoint_get_xml")

    def domain_checkpoint_get_parent(self, uuid: str, name: str) -> str | None:
        self._unsupported("domain_checkpoint_get_parent")

    def domain_checkpoint_delete(self, uuid: str, name: str, flags: CheckpointDeleteFlags) -> None:
        self._unsupported("domain_checkpoint_delete")


_NOT_OPERATIONS = frozenset({"supports", "operations", "watch_close", "link_closed"})
