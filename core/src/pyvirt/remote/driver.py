"""The remote driver: every operation of :class:`~pyvirt.driver.DriverConnection` as an RPC call.

Each method is one call of libvirt's remote program (``remote_protocol.x``) with libvirt's flag
numbers, so the far side may be pyvirtd or libvirtd.  The interface names objects by UUID
(volumes by key) while the wire carries whole identities (name, UUID, ID; pool, name, key) and
libvirt's drivers use those names in lookups and messages; so the connection remembers the
identity of every object it has seen, and looks up one it has not seen before using it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from pyvirt.driver import DriverConnection, EventSink
from pyvirt.errors import ErrorDomain, OperationFailedError, UnsupportedError
from pyvirt.remote import wire_values as wv
from pyvirt.remote.client import CloseHandler, EventHandler, RPCClient
from pyvirt.remote.hostcalls import HostObjectCalls
from pyvirt.remote.target import Target
from pyvirt.remote.transport import Transport
from pyvirt.rpc import remote_protocol as rp
from pyvirt.stream import DriverStream
from pyvirt.types import (
    DomainEvent,
    DomainInfo,
    DomainMessageKind,
    DomainRef,
    DomainState,
    ListFilter,
    ModifyScope,
    NetworkRef,
    NodeInfo,
    PoolInfo,
    PoolRef,
    VolInfo,
    VolRef,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:  # values pyvirt.types loads on first use: imported where a call needs them
    from typing import Any, ClassVar

    from pyvirt.types import BlockStats, InterfaceStats, SnapshotCreateFlags

_SAVED_UUID = r"<uuid>\s*([^<\s]+)\s*</uuid>"


class RemoteConnection(HostObjectCalls, DriverConnection):
    """A connection to a daemon; ``get_type`` and the rest report the far side's driver."""

    name: ClassVar[str] = "remote"

    def __init__(
        self,
        target: Target,
        transport: Transport,
        events: EventSink,
        make_client: Callable[[EventHandler, CloseHandler], RPCClient] | None = None,
    ) -> None:
        """``make_client`` builds the RPC client around this connection's event and close
        handlers (by default the threaded :class:`RPCClient`; :mod:`pyvirt.aio` passes its
        asyncio one)."""
        super().__init__(target.uri, events)
        self.target = target
        self._transport = transport
        if make_client is None:
            self._client = RPCClient(transport, target.address, on_event=self._on_event, on_close=self.link_closed)
        else:
            self._client = make_client(self._on_event, self.link_closed)
        self._call = self._client.call
        self._domains: dict[str, rp.remote_nonnull_domain] = {}
        self._networks: dict[str, rp.remote_nonnull_network] = {}
        self._pools: dict[str, rp.remote_nonnull_storage_pool] = {}
        self._vols: dict[str, rp.remote_nonnull_storage_vol] = {}
        self._lifecycle_callback: int | None = None
        self._registration: Any = None  # the unclaimed REGISTER_ANY call (see subscribe_lifecycle_events)
        self._registration_lock = threading.Lock()
        self._server_keepalive: bool | None = None

    @property
    def client(self) -> RPCClient:
        return self._client

    # -- opening (used by pyvirt.remote.opening) --------------------------------------------

    def subscribe_lifecycle_events(self) -> None:
        """Ask for every domain lifecycle event of this connection without waiting for the
        answer (opening then costs two round trips, as libvirt's); :meth:`close` claims the
        answer before CONNECT_CLOSE, which libvirtd would otherwise run concurrently with it."""
        args = rp.remote_connect_domain_event_callback_register_any_args(wv.DOMAIN_EVENT_ID_LIFECYCLE, None)
        self._registration = self._client.send_call(rp.REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, args)

    def _claim_registration(self) -> None:
        """Learn the lifecycle callback's ID from the registration's reply (once).  The lock is
        not held while waiting: under :mod:`pyvirt.aio` waiting switches to other code on the
        same thread, which could then block on it."""
        with self._registration_lock:
            registration, self._registration = self._registration, None
        if registration is not None:
            self._lifecycle_callback = self._client.collect(registration).callbackID

    def _on_event(self, procedure: int, payload: bytes) -> None:
        if procedure != rp.REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE:
            return
        msg, _ = rp.decode_remote_domain_event_callback_lifecycle_msg(payload, 0)
        self._claim_registration()
        if msg.callbackID != self._lifecycle_callback:
            return
        event: DomainEvent = wv.lifecycle_event_from_wire(msg.msg)
        self._domains[event.domain.uuid] = msg.msg.dom
        self.events(event)

    # -- identities ----------------------------------------------------------------------------

    def _domain_ref(self, wire: rp.remote_nonnull_domain) -> DomainRef:
        ref = wv.domain_from_wire(wire)
        self._domains[ref.uuid] = wire
        return ref

    def _dom(self, uuid: str) -> rp.remote_nonnull_domain:
        wire = self._domains.get(uuid)
        if wire is None:
            self.domain_lookup_by_uuid(uuid)
            wire = self._domains[uuid]
        return wire

    def _network_ref(self, wire: rp.remote_nonnull_network) -> NetworkRef:
        ref = wv.network_from_wire(wire)
        self._networks[ref.uuid] = wire
        return ref

    def _net(self, uuid: str) -> rp.remote_nonnull_network:
        wire = self._networks.get(uuid)
        if wire is None:
            self.network_lookup_by_uuid(uuid)
            wire = self._networks[uuid]
        return wire

    def _pool_ref(self, wire: rp.remote_nonnull_storage_pool) -> PoolRef:
        ref = wv.pool_from_wire(wire)
        self._pools[ref.uuid] = wire
        return ref

    def _pool(self, uuid: str) -> rp.remote_nonnull_storage_pool:
        wire = self._pools.get(uuid)
        if wire is None:
            self.pool_lookup_by_uuid(uuid)
            wire = self._pools[uuid]
        return wire

    def _vol_ref(self, wire: rp.remote_nonnull_storage_vol) -> VolRef:
        self._vols[wire.key] = wire
        return wv.vol_from_wire(wire)

    def _vol(self, key: str) -> rp.remote_nonnull_storage_vol:
        wire = self._vols.get(key)
        if wire is None:
            self.vol_lookup_by_key(key)
            wire = self._vols[key]
        return wire

    # -- connection ---------------------------------------------------------------------------

    def close(self) -> None:
        """Say goodbye (CONNECT_CLOSE) when the link still works, then drop it.  Never raises."""
        if self._client.alive:
            try:
                try:
                    self._claim_registration()
                finally:
                    self._call(rp.REMOTE_PROC_CONNECT_CLOSE)
            except Exception:  # closing must not fail: the far side cleans up when the socket goes
                pass
        self._client.close()

    def get_type(self) -> str:
        type_: str = self._call(rp.REMOTE_PROC_CONNECT_GET_TYPE).type
        return type_

    def get_version(self) -> int:
        version: int = self._call(rp.REMOTE_PROC_CONNECT_GET_VERSION).hv_ver
        return version

    def get_hostname(self) -> str:
        hostname: str = self._call(rp.REMOTE_PROC_CONNECT_GET_HOSTNAME).hostname
        return hostname

    def get_node_info(self) -> NodeInfo:
        return wv.node_info_from_wire(self._call(rp.REMOTE_PROC_NODE_GET_INFO))

    def get_capabilities(self) -> str:
        caps: str = self._call(rp.REMOTE_PROC_CONNECT_GET_CAPABILITIES).capabilities
        return caps

    def get_sysinfo(self) -> str:
        sysinfo: str = self._call(rp.REMOTE_PROC_CONNECT_GET_SYSINFO, rp.remote_connect_get_sysinfo_args(0)).sysinfo
        return sysinfo

    def get_cells_free_memory(self, start_cell: int, max_cells: int) -> list[int]:
        args = rp.remote_node_get_cells_free_memory_args(start_cell, max_cells)
        return list(self._call(rp.REMOTE_PROC_NODE_GET_CELLS_FREE_MEMORY, args).cells)

    def get_free_memory(self) -> int:
        free: int = self._call(rp.REMOTE_PROC_NODE_GET_FREE_MEMORY).freeMem
        return free

    def get_security_model(self) -> tuple[str, str]:
        ret = self._call(rp.REMOTE_PROC_NODE_GET_SECURITY_MODEL)
        return wv.c_string_from_wire(ret.model), wv.c_string_from_wire(ret.doi)

    def is_alive(self) -> bool:
        return self._client.alive

    def set_keepalive(self, interval: float, count: int) -> bool:
        """Our own pings (the server's are answered regardless), as libvirt's remote driver: only
        when the server speaks the keepalive protocol, which it is asked once (the same question
        the open asked: it also starts the server's pings, which are on already)."""
        if self._server_keepalive is None:
            from pyvirt.remote.opening import FEATURE_PROGRAM_KEEPALIVE  # (opening imports this module)

            args = rp.remote_connect_supports_feature_args(FEATURE_PROGRAM_KEEPALIVE)
            self._server_keepalive = bool(self._call(rp.REMOTE_PROC_CONNECT_SUPPORTS_FEATURE, args).supported)
        if self._server_keepalive:
            self._client.start_keepalive(interval, count)
        return self._server_keepalive

    def is_encrypted(self) -> bool:
        return self._transport.encrypted

    def is_secure(self) -> bool:
        return self._transport.secure

    # -- domains ------------------------------------------------------------------------------

    def list_domains(self, filters: ListFilter) -> list[DomainRef]:
        args = rp.remote_connect_list_all_domains_args(1, wv.domain_list_flags_to_wire(filters))
        return [self._domain_ref(d) for d in self._call(rp.REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS, args).domains]

    def domain_lookup_by_name(self, name: str) -> DomainRef:
        args = rp.remote_domain_lookup_by_name_args(name)
        return self._domain_ref(self._call(rp.REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME, args).dom)

    def domain_lookup_by_uuid(self, uuid: str) -> DomainRef:
        args = rp.remote_domain_lookup_by_uuid_args(wv.uuid_to_wire(uuid))
        return self._domain_ref(self._call(rp.REMOTE_PROC_DOMAIN_LOOKUP_BY_UUID, args).dom)

    def domain_lookup_by_id(self, domain_id: int) -> DomainRef:
        args = rp.remote_domain_lookup_by_id_args(domain_id)
        return self._domain_ref(self._call(rp.REMOTE_PROC_DOMAIN_LOOKUP_BY_ID, args).dom)

    def domain_define_xml(self, xml: str, validate: bool) -> DomainRef:
        args = rp.remote_domain_define_xml_flags_args(xml, wv.DOMAIN_DEFINE_VALIDATE if validate else 0)
        return self._domain_ref(self._call(rp.REMOTE_PROC_DOMAIN_DEFINE_XML_FLAGS, args).dom)

    def domain_create_xml(self, xml: str, validate: bool, paused: bool) -> DomainRef:
        flags = (wv.DOMAIN_START_VALIDATE if validate else 0) | (wv.DOMAIN_START_PAUSED if paused else 0)
        args = rp.remote_domain_create_xml_args(xml, flags)
        return self._domain_ref(self._call(rp.REMOTE_PROC_DOMAIN_CREATE_XML, args).dom)

    def domain_undefine(self, uuid: str, managed_save: bool = False) -> None:
        flags = wv.DOMAIN_UNDEFINE_MANAGED_SAVE if managed_save else 0
        self._call(rp.REMOTE_PROC_DOMAIN_UNDEFINE_FLAGS, rp.remote_domain_undefine_flags_args(self._dom(uuid), flags))

    def domain_create(self, uuid: str, paused: bool) -> DomainRef:
        args = rp.remote_domain_create_with_flags_args(self._dom(uuid), wv.DOMAIN_START_PAUSED if paused else 0)
        return self._domain_ref(self._call(rp.REMOTE_PROC_DOMAIN_CREATE_WITH_FLAGS, args).dom)

    def domain_shutdown(self, uuid: str) -> None:
        self._call(rp.REMOTE_PROC_DOMAIN_SHUTDOWN, rp.remote_domain_shutdown_args(self._dom(uuid)))

    def domain_destroy(self, uuid: str) -> None:
        self._call(rp.REMOTE_PROC_DOMAIN_DESTROY, rp.remote_domain_destroy_args(self._dom(uuid)))

    def domain_reboot(self, uuid: str) -> None:
        self._call(rp.REMOTE_PROC_DOMAIN_REBOOT, rp.remote_domain_reboot_args(self._dom(uuid), 0))

    def domain_reset(self, uuid: str) -> None:
        self._call(rp.REMOTE_PROC_DOMAIN_RESET, rp.remote_domain_reset_args(self._dom(uuid), 0))

    def domain_suspend(self, uuid: str) -> None:
        self._call(rp.REMOTE_PROC_DOMAIN_SUSPEND, rp.remote_domain_suspend_args(self._dom(uuid)))

    def domain_resume(self, uuid: str) -> None:
        self._call(rp.REMOTE_PROC_DOMAIN_RESUME, rp.remote_domain_resume_args(self._dom(uuid)))

    def domain_save(self, uuid: str, path: str) -> None:
        self._call(rp.REMOTE_PROC_DOMAIN_SAVE, rp.remote_domain_save_args(self._dom(uuid), path))

    def domain_restore(self, path: str) -> DomainRef:
        """Restore, then find the domain that came back (the call itself names none).

        By the UUID in the image's XML where the far side can read it (libvirtd), else as the
        one domain that became active during the call (pyvirtd, whose drivers have no
        image-reading operation).
        """
        try:
            xml: str | None = self._call(
                rp.REMOTE_PROC_DOMAIN_SAVE_IMAGE_GET_XML_DESC, rp.remote_domain_save_image_get_xml_desc_args(path, 0)
            ).xml
        except UnsupportedError:
            xml = None
        active_before = set() if xml else {ref.uuid for ref in self.list_domains(ListFilter.ACTIVE)}
        self._call(rp.REMOTE_PROC_DOMAIN_RESTORE, rp.remote_domain_restore_args(path))
        import re  # only a restore needs it

        found = re.search(_SAVED_UUID, xml) if xml else None
        if found is not None:
            return self.domain_lookup_by_uuid(found[1])
        started = [ref for ref in self.list_domains(ListFilter.ACTIVE) if ref.uuid not in active_before]
        if len(started) != 1:
            raise OperationFailedError(
                f"operation failed: '{path}' was restored, but which domain it started is unknown "
                f"({len(started)} domains became active meanwhile)",
                domain=ErrorDomain.REMOTE,
            )
        return started[0]

    def domain_get_state(self, uuid: str) -> tuple[DomainState, int]:
        ret = self._call(rp.REMOTE_PROC_DOMAIN_GET_STATE, rp.remote_domain_get_state_args(self._dom(uuid), 0))
        return DomainState(ret.state), ret.reason

    def domain_get_info(self, uuid: str) -> DomainInfo:
        return wv.domain_info_from_wire(
            self._call(rp.REMOTE_PROC_DOMAIN_GET_INFO, rp.remote_domain_get_info_args(self._dom(uuid)))
        )

    def domain_get_xml(self, uuid: str, inactive: bool, secure: bool = False) -> str:
        flags = (wv.DOMAIN_XML_INACTIVE if inactive else 0) | (wv.DOMAIN_XML_SECURE if secure else 0)
        args = rp.remote_domain_get_xml_desc_args(self._dom(uuid), flags)
        xml: str = self._call(rp.REMOTE_PROC_DOMAIN_GET_XML_DESC, args).xml
        return xml

    def domain_get_os_type(self, uuid: str) -> str:
        os_type: str = self._call(
            rp.REMOTE_PROC_DOMAIN_GET_OS_TYPE, rp.remote_domain_get_os_type_args(self._dom(uuid))
        ).type
        return os_type

    def domain_is_persistent(self, uuid: str) -> bool:
        args = rp.remote_domain_is_persistent_args(self._dom(uuid))
        return bool(self._call(rp.REMOTE_PROC_DOMAIN_IS_PERSISTENT, args).persistent)

    def domain_is_updated(self, uuid: str) -> bool:
        args = rp.remote_domain_is_updated_args(self._dom(uuid))
        return bool(self._call(rp.REMOTE_PROC_DOMAIN_IS_UPDATED, args).updated)

    def domain_get_autostart(self, uuid: str) -> bool:
        args = rp.remote_domain_get_autostart_args(self._dom(uuid))
        return bool(self._call(rp.REMOTE_PROC_DOMAIN_GET_AUTOSTART, args).autostart)

    def domain_set_autostart(self, uuid: str, autostart: bool) -> None:
        args = rp.remote_domain_set_autostart_args(self._dom(uuid), int(autostart))
        self._call(rp.REMOTE_PROC_DOMAIN_SET_AUTOSTART, args)

    def domain_has_managed_save(self, uuid: str) -> bool:
        args = rp.remote_domain_has_managed_save_image_args(self._dom(uuid), 0)
        return bool(self._call(rp.REMOTE_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE, args).result)

    def domain_set_memory(self, uuid: str, kib: int, scope: ModifyScope) -> None:
        args = rp.remote_domain_set_memory_flags_args(self._dom(uuid), kib, int(scope))
        self._call(rp.REMOTE_PROC_DOMAIN_SET_MEMORY_FLAGS, args)

    def domain_set_vcpus(self, uuid: str, count: int, scope: ModifyScope) -> None:
        args = rp.remote_domain_set_vcpus_flags_args(self._dom(uuid), count, int(scope))
        self._call(rp.REMOTE_PROC_DOMAIN_SET_VCPUS_FLAGS, args)

    def domain_get_vcpus_count(self, uuid: str, scope: ModifyScope) -> int:
        args = rp.remote_domain_get_vcpus_flags_args(self._dom(uuid), int(scope))
        count: int = self._call(rp.REMOTE_PROC_DOMAIN_GET_VCPUS_FLAGS, args).num
        return count

    def domain_memory_stats(self, uuid: str) -> dict[str, int]:
        args = rp.remote_domain_memory_stats_args(self._dom(uuid), len(wv.MEMORY_STAT_TAGS), 0)
        stats = self._call(rp.REMOTE_PROC_DOMAIN_MEMORY_STATS, args).stats
        return wv.memory_stats_from_wire(stats)

    # -- snapshots, devices, statistics, managed save ------------------------------------------

    def _snap(self, uuid: str, name: str) -> rp.remote_nonnull_domain_snapshot:
        return rp.remote_nonnull_domain_snapshot(name, self._dom(uuid))

    def domain_snapshot_create(self, uuid: str, xml: str, flags: SnapshotCreateFlags) -> str:
        args = rp.remote_domain_snapshot_create_xml_args(self._dom(uuid), xml, int(flags))
        name: str = self._call(rp.REMOTE_PROC_DOMAIN_SNAPSHOT_CREATE_XML, args).snap.name
        return name

    def domain_snapshot_list(self, uuid: str) -> list[str]:
        args = rp.remote_domain_list_all_snapshots_args(self._dom(uuid), 1, 0)
        return [snap.name for snap in self._call(rp.REMOTE_PROC_DOMAIN_LIST_ALL_SNAPSHOTS, args).snapshots]

    def domain_snapshot_current(self, uuid: str) -> str | None:
        dom = self._dom(uuid)
        has = self._call(rp.REMOTE_PROC_DOMAIN_HAS_CURRENT_SNAPSHOT, rp.remote_domain_has_current_snapshot_args(dom, 0))
        if not has.result:
            return None
        name: str = self._call(
            rp.REMOTE_PROC_DOMAIN_SNAPSHOT_CURRENT, rp.remote_domain_snapshot_current_args(dom, 0)
        ).snap.name
        return name

    def domain_snapshot_get_xml(self, uuid: str, name: str) -> str:
        args = rp.remote_domain_snapshot_get_xml_desc_args(self._snap(uuid, name), 0)
        xml: str = self._call(rp.REMOTE_PROC_DOMAIN_SNAPSHOT_GET_XML_DESC, args).xml
        return xml

    def domain_snapshot_revert(self, uuid: str, name: str) -> None:
        args = rp.remote_domain_revert_to_snapshot_args(self._snap(uuid, name), 0)
        self._call(rp.REMOTE_PROC_DOMAIN_REVERT_TO_SNAPSHOT, args)

    def domain_snapshot_delete(self, uuid: str, name: str) -> None:
        args = rp.remote_domain_snapshot_delete_args(self._snap(uuid, name), 0)
        self._call(rp.REMOTE_PROC_DOMAIN_SNAPSHOT_DELETE, args)

    def domain_attach_device(self, uuid: str, xml: str, scope: ModifyScope) -> None:
        args = rp.remote_domain_attach_device_flags_args(self._dom(uuid), xml, int(scope))
        self._call(rp.REMOTE_PROC_DOMAIN_ATTACH_DEVICE_FLAGS, args)

    def domain_detach_device(self, uuid: str, xml: str, scope: ModifyScope) -> None:
        args = rp.remote_domain_detach_device_flags_args(self._dom(uuid), xml, int(scope))
        self._call(rp.REMOTE_PROC_DOMAIN_DETACH_DEVICE_FLAGS, args)

    def domain_block_stats(self, uuid: str, disk: str) -> BlockStats:
        from pyvirt.types import BlockStats

        ret = self._call(rp.REMOTE_PROC_DOMAIN_BLOCK_STATS, rp.remote_domain_block_stats_args(self._dom(uuid), disk))
        return BlockStats(ret.rd_req, ret.rd_bytes, ret.wr_req, ret.wr_bytes, ret.errs)

    def domain_interface_stats(self, uuid: str, device: str) -> InterfaceStats:
        from pyvirt.types import InterfaceStats

        args = rp.remote_domain_interface_stats_args(self._dom(uuid), device)
        ret = self._call(rp.REMOTE_PROC_DOMAIN_INTERFACE_STATS, args)
        return InterfaceStats(*ret)

    def domain_stats(self, uuid: str) -> dict[str, int | str]:
        args = rp.remote_connect_get_all_domain_stats_args([self._dom(uuid)], 0, 0)
        records = self._call(rp.REMOTE_PROC_CONNECT_GET_ALL_DOMAIN_STATS, args).retStats
        if not records:
            return {}
        return {param.field: _typed_value(param.value) for param in records[0].params}

    def domain_managed_save(self, uuid: str) -> None:
        self._call(rp.REMOTE_PROC_DOMAIN_MANAGED_SAVE, rp.remote_domain_managed_save_args(self._dom(uuid), 0))

    def domain_managed_save_remove(self, uuid: str) -> None:
        args = rp.remote_domain_managed_save_remove_args(self._dom(uuid), 0)
        self._call(rp.REMOTE_PROC_DOMAIN_MANAGED_SAVE_REMOVE, args)

    def get_domain_capabilities(
        self, emulator: str | None, arch: str | None, machine: str | None, virt_type: str | None
    ) -> str:
        args = rp.remote_connect_get_domain_capabilities_args(emulator, arch, machine, virt_type, 0)
        xml: str = self._call(rp.REMOTE_PROC_CONNECT_GET_DOMAIN_CAPABILITIES, args).capabilities
        return xml

    def domain_security_label(self, uuid: str) -> tuple[str, str, bool]:
        """The wire carries no model (libvirt's remote driver leaves it empty too)."""
        ret = self._call(
            rp.REMOTE_PROC_DOMAIN_GET_SECURITY_LABEL, rp.remote_domain_get_security_label_args(self._dom(uuid))
        )
        return "", wv.c_string_from_wire(ret.label), bool(ret.enforcing)

    def domain_get_messages(self, uuid: str, kinds: DomainMessageKind) -> list[str]:
        args = rp.remote_domain_get_messages_args(self._dom(uuid), int(kinds))
        return list(self._call(rp.REMOTE_PROC_DOMAIN_GET_MESSAGES, args).msgs)

    # -- networks -----------------------------------------------------------------------------

    def list_networks(self, filters: ListFilter) -> list[NetworkRef]:
        flags = wv.network_list_flags_to_wire(filters, "virConnectListAllNetworks")
        ret = self._call(rp.REMOTE_PROC_CONNECT_LIST_ALL_NETWORKS, rp.remote_connect_list_all_networks_args(1, flags))
        return [self._network_ref(n) for n in ret.nets]

    def network_lookup_by_name(self, name: str) -> NetworkRef:
        args = rp.remote_network_lookup_by_name_args(name)
        return self._network_ref(self._call(rp.REMOTE_PROC_NETWORK_LOOKUP_BY_NAME, args).net)

    def network_lookup_by_uuid(self, uuid: str) -> NetworkRef:
        args = rp.remote_network_lookup_by_uuid_args(wv.uuid_to_wire(uuid))
        return self._network_ref(self._call(rp.REMOTE_PROC_NETWORK_LOOKUP_BY_UUID, args).net)

    def network_define_xml(self, xml: str, validate: bool) -> NetworkRef:
        args = rp.remote_network_define_xml_flags_args(xml, wv.NETWORK_DEFINE_VALIDATE if validate else 0)
        return self._network_ref(self._call(rp.REMOTE_PROC_NETWORK_DEFINE_XML_FLAGS, args).net)

    def network_create_xml(self, xml: str, validate: bool) -> NetworkRef:
        args = rp.remote_network_create_xml_flags_args(xml, wv.NETWORK_CREATE_VALIDATE if validate else 0)
        return self._network_ref(self._call(rp.REMOTE_PROC_NETWORK_CREATE_XML_FLAGS, args).net)

    def network_undefine(self, uuid: str) -> None:
        self._call(rp.REMOTE_PROC_NETWORK_UNDEFINE, rp.remote_network_undefine_args(self._net(uuid)))

    def network_create(self, uuid: str) -> None:
        self._call(rp.REMOTE_PROC_NETWORK_CREATE, rp.remote_network_create_args(self._net(uuid)))

    def network_destroy(self, uuid: str) -> None:
        self._call(rp.REMOTE_PROC_NETWORK_DESTROY, rp.remote_network_destroy_args(self._net(uuid)))

    def network_get_xml(self, uuid: str, inactive: bool) -> str:
        args = rp.remote_network_get_xml_desc_args(self._net(uuid), wv.NETWORK_XML_INACTIVE if inactive else 0)
        xml: str = self._call(rp.REMOTE_PROC_NETWORK_GET_XML_DESC, args).xml
        return xml

    def network_is_active(self, uuid: str) -> bool:
        args = rp.remote_network_is_active_args(self._net(uuid))
        return bool(self._call(rp.REMOTE_PROC_NETWORK_IS_ACTIVE, args).active)

    def network_is_persistent(self, uuid: str) -> bool:
        args = rp.remote_network_is_persistent_args(self._net(uuid))
        return bool(self._call(rp.REMOTE_PROC_NETWORK_IS_PERSISTENT, args).persistent)

    def network_get_autostart(self, uuid: str) -> bool:
        args = rp.remote_network_get_autostart_args(self._net(uuid))
        return bool(self._call(rp.REMOTE_PROC_NETWORK_GET_AUTOSTART, args).autostart)

    def network_set_autostart(self, uuid: str, autostart: bool) -> None:
        args = rp.remote_network_set_autostart_args(self._net(uuid), int(autostart))
        self._call(rp.REMOTE_PROC_NETWORK_SET_AUTOSTART, args)

    def network_get_bridge_name(self, uuid: str) -> str:
        args = rp.remote_network_get_bridge_name_args(self._net(uuid))
        bridge: str = self._call(rp.REMOTE_PROC_NETWORK_GET_BRIDGE_NAME, args).name
        return bridge

    # -- storage pools ------------------------------------------------------------------------

    def list_storage_pools(self, filters: ListFilter) -> list[PoolRef]:
        flags = wv.pool_list_flags_to_wire(filters, "virConnectListAllStoragePools")
        args = rp.remote_connect_list_all_storage_pools_args(1, flags)
        return [self._pool_ref(p) for p in self._call(rp.REMOTE_PROC_CONNECT_LIST_ALL_STORAGE_POOLS, args).pools]

    def pool_lookup_by_name(self, name: str) -> PoolRef:
        args = rp.remote_storage_pool_lookup_by_name_args(name)
        return self._pool_ref(self._call(rp.REMOTE_PROC_STORAGE_POOL_LOOKUP_BY_NAME, args).pool)

    def pool_lookup_by_uuid(self, uuid: str) -> PoolRef:
        args = rp.remote_storage_pool_lookup_by_uuid_args(wv.uuid_to_wire(uuid))
        return self._pool_ref(self._call(rp.REMOTE_PROC_STORAGE_POOL_LOOKUP_BY_UUID, args).pool)

    def pool_define_xml(self, xml: str, validate: bool) -> PoolRef:
        args = rp.remote_storage_pool_define_xml_args(xml, wv.POOL_DEFINE_VALIDATE if validate else 0)
        return self._pool_ref(self._call(rp.REMOTE_PROC_STORAGE_POOL_DEFINE_XML, args).pool)

    def pool_create_xml(self, xml: str, validate: bool) -> PoolRef:
        """libvirt has no validate flag for creating a pool from XML; it is ignored."""
        args = rp.remote_storage_pool_create_xml_args(xml, 0)
        return self._pool_ref(self._call(rp.REMOTE_PROC_STORAGE_POOL_CREATE_XML, args).pool)

    def pool_build(self, uuid: str) -> None:
        self._call(rp.REMOTE_PROC_STORAGE_POOL_BUILD, rp.remote_storage_pool_build_args(self._pool(uuid), 0))

    def pool_create(self, uuid: str) -> None:
        self._call(rp.REMOTE_PROC_STORAGE_POOL_CREATE, rp.remote_storage_pool_create_args(self._pool(uuid), 0))

    def pool_destroy(self, uuid: str) -> None:
        self._call(rp.REMOTE_PROC_STORAGE_POOL_DESTROY, rp.remote_storage_pool_destroy_args(self._pool(uuid)))

    def pool_delete(self, uuid: str) -> None:
        self._call(rp.REMOTE_PROC_STORAGE_POOL_DELETE, rp.remote_storage_pool_delete_args(self._pool(uuid), 0))

    def pool_undefine(self, uuid: str) -> None:
        self._call(rp.REMOTE_PROC_STORAGE_POOL_UNDEFINE, rp.remote_storage_pool_undefine_args(self._pool(uuid)))

    def pool_refresh(self, uuid: str) -> None:
        self._call(rp.REMOTE_PROC_STORAGE_POOL_REFRESH, rp.remote_storage_pool_refresh_args(self._pool(uuid), 0))

    def pool_get_info(self, uuid: str) -> PoolInfo:
        args = rp.remote_storage_pool_get_info_args(self._pool(uuid))
        return wv.pool_info_from_wire(self._call(rp.REMOTE_PROC_STORAGE_POOL_GET_INFO, args))

    def pool_get_xml(self, uuid: str, inactive: bool) -> str:
        args = rp.remote_storage_pool_get_xml_desc_args(self._pool(uuid), wv.STORAGE_XML_INACTIVE if inactive else 0)
        xml: str = self._call(rp.REMOTE_PROC_STORAGE_POOL_GET_XML_DESC, args).xml
        return xml

    def pool_is_active(self, uuid: str) -> bool:
        args = rp.remote_storage_pool_is_active_args(self._pool(uuid))
        return bool(self._call(rp.REMOTE_PROC_STORAGE_POOL_IS_ACTIVE, args).active)

    def pool_is_persistent(self, uuid: str) -> bool:
        args = rp.remote_storage_pool_is_persistent_args(self._pool(uuid))
        return bool(self._call(rp.REMOTE_PROC_STORAGE_POOL_IS_PERSISTENT, args).persistent)

    def pool_get_autostart(self, uuid: str) -> bool:
        args = rp.remote_storage_pool_get_autostart_args(self._pool(uuid))
        return bool(self._call(rp.REMOTE_PROC_STORAGE_POOL_GET_AUTOSTART, args).autostart)

    def pool_set_autostart(self, uuid: str, autostart: bool) -> None:
        args = rp.remote_storage_pool_set_autostart_args(self._pool(uuid), int(autostart))
        self._call(rp.REMOTE_PROC_STORAGE_POOL_SET_AUTOSTART, args)

    def pool_list_volumes(self, uuid: str) -> list[VolRef]:
        args = rp.remote_storage_pool_list_all_volumes_args(self._pool(uuid), 1, 0)
        return [self._vol_ref(v) for v in self._call(rp.REMOTE_PROC_STORAGE_POOL_LIST_ALL_VOLUMES, args).vols]

    # -- storage volumes ----------------------------------------------------------------------

    def vol_lookup_by_name(self, pool_uuid: str, name: str) -> VolRef:
        args = rp.remote_storage_vol_lookup_by_name_args(self._pool(pool_uuid), name)
        return self._vol_ref(self._call(rp.REMOTE_PROC_STORAGE_VOL_LOOKUP_BY_NAME, args).vol)

    def vol_lookup_by_key(self, key: str) -> VolRef:
        args = rp.remote_storage_vol_lookup_by_key_args(key)
        return self._vol_ref(self._call(rp.REMOTE_PROC_STORAGE_VOL_LOOKUP_BY_KEY, args).vol)

    def vol_lookup_by_path(self, path: str) -> VolRef:
        args = rp.remote_storage_vol_lookup_by_path_args(path)
        return self._vol_ref(self._call(rp.REMOTE_PROC_STORAGE_VOL_LOOKUP_BY_PATH, args).vol)

    def vol_create_xml(self, pool_uuid: str, xml: str, validate: bool) -> VolRef:
        args = rp.remote_storage_vol_create_xml_args(
            self._pool(pool_uuid), xml, wv.VOL_CREATE_VALIDATE if validate else 0
        )
        return self._vol_ref(self._call(rp.REMOTE_PROC_STORAGE_VOL_CREATE_XML, args).vol)

    def vol_create_xml_from(self, pool_uuid: str, xml: str, source_key: str) -> VolRef:
        args = rp.remote_storage_vol_create_xml_from_args(self._pool(pool_uuid), xml, self._vol(source_key), 0)
        return self._vol_ref(self._call(rp.REMOTE_PROC_STORAGE_VOL_CREATE_XML_FROM, args).vol)

    def vol_delete(self, key: str) -> None:
        self._call(rp.REMOTE_PROC_STORAGE_VOL_DELETE, rp.remote_storage_vol_delete_args(self._vol(key), 0))
        self._vols.pop(key, None)

    def vol_wipe(self, key: str) -> None:
        self._call(rp.REMOTE_PROC_STORAGE_VOL_WIPE, rp.remote_storage_vol_wipe_args(self._vol(key), 0))

    def vol_resize(self, key: str, capacity: int, delta: bool, shrink: bool) -> None:
        flags = (wv.VOL_RESIZE_DELTA if delta else 0) | (wv.VOL_RESIZE_SHRINK if shrink else 0)
        self._call(
            rp.REMOTE_PROC_STORAGE_VOL_RESIZE, rp.remote_storage_vol_resize_args(self._vol(key), capacity, flags)
        )

    def vol_get_info(self, key: str) -> VolInfo:
        args = rp.remote_storage_vol_get_info_args(self._vol(key))
        return wv.vol_info_from_wire(self._call(rp.REMOTE_PROC_STORAGE_VOL_GET_INFO, args))

    def vol_get_xml(self, key: str) -> str:
        xml: str = self._call(
            rp.REMOTE_PROC_STORAGE_VOL_GET_XML_DESC, rp.remote_storage_vol_get_xml_desc_args(self._vol(key), 0)
        ).xml
        return xml

    def vol_get_path(self, key: str) -> str:
        path: str = self._call(
            rp.REMOTE_PROC_STORAGE_VOL_GET_PATH, rp.remote_storage_vol_get_path_args(self._vol(key))
        ).name
        return path

    # -- byte streams -------------------------------------------------------------------------

    def domain_open_console(self, uuid: str, dev_name: str | None, force: bool) -> DriverStream:
        flags = wv.DOMAIN_CONSOLE_FORCE if force else 0
        args = rp.remote_domain_open_console_args(self._dom(uuid), dev_name, flags)
        return self._client.open_stream(rp.REMOTE_PROC_DOMAIN_OPEN_CONSOLE, args)

    def vol_upload(self, key: str, offset: int, length: int) -> DriverStream:
        args = rp.remote_storage_vol_upload_args(self._vol(key), offset, length, 0)
        return self._client.open_stream(rp.REMOTE_PROC_STORAGE_VOL_UPLOAD, args)

    def vol_download(self, key: str, offset: int, length: int) -> DriverStream:
        args = rp.remote_storage_vol_download_args(self._vol(key), offset, length, 0)
        return self._client.open_stream(rp.REMOTE_PROC_STORAGE_VOL_DOWNLOAD, args)

    # -- LXC namespaces (libvirt's LXC program) ---------------------------------------------

    def domain_lxc_open_namespace(self, uuid: str) -> list[int]:
        from pyvirt.rpc import lxc_protocol as lp  # only LXC guests use this program

        proc = lp.PROCEDURES[lp.LXC_PROC_DOMAIN_OPEN_NAMESPACE]
        args = lp.lxc_domain_open_namespace_args(self._dom(uuid), 0)
        _none, fds = self._client.call_with_fds(lp.LXC_PROGRAM, lp.LXC_PROTOCOL_VERSION, proc, args)
        return fds


def _typed_value(value: tuple[int, object]) -> int | str:
    """A typed parameter's value: numbers (of every width, booleans too) as int, strings as str;
    a double is rounded, since pyvirt's statistics are integral."""
    kind, raw = value
    if kind == wv.TYPED_STRING:
        return str(raw)
    assert isinstance(raw, int | float)
    return int(raw)
