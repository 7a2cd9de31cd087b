"""The test driver's connection: libvirt's test-driver state machine over an in-memory node.

Every call takes the node's lock, reads or changes the objects of :mod:`pyvirt_test.state`,
releases the lock and then reports lifecycle events.  Behaviour, IDs, event details and
errors (message, code and error domain) follow real libvirt 9.0's test driver, checked side
by side in the tests: code written against this driver sees the errors libvirt would give.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

from pyvirt.driver import DriverConnection, EventSink
from pyvirt.errors import (
    DomainExistsError,
    ErrorCode,
    ErrorDomain,
    InternalError,
    InvalidArgumentError,
    NetworkExistsError,
    NoDomainError,
    NoNetworkError,
    NoStoragePoolError,
    NoStorageVolError,
    OperationFailedError,
    OperationInvalidError,
    StorageVolExistsError,
    URIError,
    XMLError,
)
from pyvirt.types import (
    DefinedDetail,
    DomainEvent,
    DomainEventType,
    DomainInfo,
    DomainRef,
    DomainState,
    ListFilter,
    ModifyScope,
    NetworkRef,
    NodeInfo,
    PausedReason,
    PoolInfo,
    PoolRef,
    PoolState,
    ResumedDetail,
    RunningReason,
    ShutoffReason,
    StartedDetail,
    StoppedDetail,
    SuspendedDetail,
    UndefinedDetail,
    VolInfo,
    VolRef,
    VolType,
)
from pyvirt.uri import URI
from pyvirt_test import defaults
from pyvirt_test.state import (
    POOL_CAPACITY,
    DomainObj,
    NetworkObj,
    NodeState,
    PendingDomain,
    PoolObj,
    SharedDefault,
    VolObj,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from pyvirt.xml.domain import DomainDef
    from pyvirt.xml.network import NetworkDef
    from pyvirt.xml.storagepool import PoolDef
    from pyvirt.xml.storagevol import VolDef
    from pyvirt.xml.testnode import NodeDocument, NodeFile

HYPERVISOR_VERSION = 2
"""``virsh version``: "Running hypervisor: TEST 0.0.2"."""

MAX_VCPUS = 32
"""libvirt's test driver accepts at most 32 vCPUs per domain."""

SECURITY_LABEL = "libvirt-test"

GUEST_ARCH = "i686"
"""The one guest architecture of the test node's capabilities (for hvm and xen guests)."""

SAVE_MAGIC = b"PyvirtTestSave\x00\x01\n"
"""First bytes of a save image: a name, a NUL so it is not mistaken for text, a format version."""

_NO_NAMESPACES: tuple[str, ...] = ()
"""libvirt's test driver parses no XML namespace extension, so it drops them all."""

_DEFAULT_PATH = "/default"

Events = list[DomainEvent]


class TestConnection(DriverConnection):
    """An open connection to a test node (shared default node, or a node file)."""

    name = "TEST"
    __test__ = False  # not a pytest test class, whatever its name says

    def __init__(self, uri: URI, events: EventSink, state: NodeState, shared: bool) -> None:
        super().__init__(uri, events)
        self._state = state
        self._shared = shared
        self._closed = False
        state.attach(events)

    @classmethod
    def open(cls, uri: URI, events: EventSink) -> TestConnection:
        """Open ``test:///default`` (shared) or ``test:///ABSOLUTE/PATH.xml`` (fresh)."""
        path = uri.path
        if path == _DEFAULT_PATH:
            return cls(uri, events, SharedDefault.acquire(_build_default_state), shared=True)
        if not path or path == "/":
            raise URIError("invalid argument: testOpen: supply a path or use test:///default", domain=ErrorDomain.TEST)
        from pyvirt.xml.testnode import load_node_file

        return cls(uri, events, _build_file_state(load_node_file(path, defaults.NODE_INFO)), shared=False)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._state.detach(self.events)
        if self._shared:
            SharedDefault.release(self._state)

    # -- node -----------------------------------------------------------------------------------

    def get_version(self) -> int:
        return HYPERVISOR_VERSION

    def get_hostname(self) -> str:
        """The real host's name, as libvirt's test driver reports it."""
        import socket

        return socket.gethostname()

    def get_node_info(self) -> NodeInfo:
        return self._state.node_info

    def get_capabilities(self) -> str:
        from pyvirt.xml.capabilities import capabilities_xml

        return capabilities_xml(self._state.cells, defaults.SECURITY_MODEL)

    def get_sysinfo(self) -> str:
        return defaults.SYSINFO_XML

    def get_free_memory(self) -> int:
        return self._state.node_info.memory

    def get_cells_free_memory(self, start_cell: int, max_cells: int) -> list[int]:
        """Cells from ``start_cell`` on, at most ``max_cells`` of them (a longer range is cut short)."""
        cells = self._state.cells
        if start_cell < 0 or start_cell >= len(cells):
            raise InvalidArgumentError("invalid argument: Range exceeds available cells", domain=ErrorDomain.TEST)
        return [cell.memory_kib for cell in cells[start_cell : start_cell + max_cells]]

    # -- domains: lookup --------------------------------------------------------------------------

    def list_domains(self, filters: ListFilter) -> list[DomainRef]:
        with self._state.lock:
            objs = list(self._state.domains_by_name.values())
        if not filters:
            return [obj.ref for obj in objs]
        keep = _domain_filter(int(filters))
        return [obj.ref for obj in objs if keep(obj)]

    def domain_lookup_by_name(self, name: str) -> DomainRef:
        obj = self._state.domains_by_name.get(name)
        if obj is None:
            raise _domain_not_found()
        return obj.ref

    def domain_lookup_by_uuid(self, uuid: str) -> DomainRef:
        obj = self._state.domains_by_uuid.get(uuid) or self._state.domains_by_uuid.get(_canonical_uuid(uuid))
        if obj is None:
            raise _domain_not_found()
        return obj.ref

    def domain_lookup_by_id(self, domain_id: int) -> DomainRef:
        obj = self._state.domains_by_id.get(domain_id)
        if obj is None:
            raise _domain_not_found()
        return obj.ref

    def _dom(self, uuid: str) -> DomainObj:
        """The domain a handle names.  libvirt adds the handle's name, which the driver is not given."""
        obj = self._state.domains_by_uuid.get(uuid)
        if obj is None:
            obj = self._state.domains_by_uuid.get(_canonical_uuid(uuid))
            if obj is None:
                raise NoDomainError(f"Domain not found: no domain with matching uuid '{uuid}'", domain=ErrorDomain.TEST)
        return obj

    # -- domains: define, create, undefine -----------------------------------------------------

    def domain_define_xml(self, xml: str, validate: bool) -> DomainRef:
        """Define, and format the new config once now (outside the lock), as libvirt does when
        it writes a config out: the first dump is then served from the model's cache."""
        dfn = _parse_domain(xml, validate)
        dfn.to_xml(inactive=True)
        state = self._state
        with state.lock:
            obj, detail = _define_domain(state, dfn)
            ref = obj.ref
        state.emit([DomainEvent(ref, DomainEventType.DEFINED, detail)])
        return ref

    def domain_create_xml(self, xml: str, validate: bool, paused: bool) -> DomainRef:
        dfn = _parse_domain(xml, validate)
        state = self._state
        with state.lock:
            obj = _add_live_domain(state, dfn)
            events = _start(state, obj, RunningReason.BOOTED, StartedDetail.BOOTED, paused)
            ref = obj.ref
        state.emit(events)
        return ref

    def domain_undefine(self, uuid: str) -> None:
        state = self._state
        with state.lock:
            obj = self._dom(uuid)
            ref = obj.ref
            if obj.active:
                if not obj.has_live():
                    obj.share_config_as_live()
                obj.config = None  # a running domain lives on as a transient one
            else:
                state.remove_domain(obj)
            obj.autostart = False
            obj.has_managed_save = False
        state.emit([DomainEvent(ref, DomainEventType.UNDEFINED, UndefinedDetail.REMOVED)])

    # -- domains: run state ------------------------------------------------------------------------

    def domain_create(self, uuid: str, paused: bool) -> DomainRef:
        state = self._state
        with state.lock:
            obj = self._dom(uuid)
            if obj.active:
                raise InternalError(f"internal error: Domain '{obj.name}' is already running", domain=ErrorDomain.TEST)
            obj.share_config_as_live()
            events = _start(state, obj, RunningReason.BOOTED, StartedDetail.BOOTED, paused)
            ref = obj.ref
        state.emit(events)
        return ref

    def domain_shutdown(self, uuid: str) -> None:
        """A paused guest can be shut down too (libvirt's test driver only refuses a stopped one)."""
        self._stop(uuid, ShutoffReason.SHUTDOWN, StoppedDetail.SHUTDOWN)

    def domain_destroy(self, uuid: str) -> None:
        self._stop(uuid, ShutoffReason.DESTROYED, StoppedDetail.DESTROYED)

    def _stop(self, uuid: str, reason: ShutoffReason, detail: StoppedDetail) -> None:
        state = self._state
        with state.lock:
            obj = self._dom(uuid)
            if reason == ShutoffReason.SHUTDOWN:
                if not obj.active:
                    _not_in_state(obj, "running")
            else:
                _check_active(obj)
            state.mark_stopped(obj, reason)
            ref = obj.ref
        state.emit([DomainEvent(ref, DomainEventType.STOPPED, detail)])

    def domain_reboot(self, uuid: str) -> None:
        """The guest restarts at once (``on_reboot`` restart): running again, same ID, no event."""
        with self._state.lock:
            obj = self._dom(uuid)
            _check_active(obj)
            obj.state = DomainState.RUNNING
            obj.reason = RunningReason.BOOTED

    def domain_reset(self, uuid: str) -> None:
        with self._state.lock:
            _check_active(self._dom(uuid))

    def domain_suspend(self, uuid: str) -> None:
        state = self._state
        with state.lock:
            obj = self._dom(uuid)
            if obj.state != DomainState.RUNNING:
                _not_in_state(obj, "running")
            obj.state = DomainState.PAUSED
            obj.reason = PausedReason.USER
            ref = obj.ref
        state.emit([DomainEvent(ref, DomainEventType.SUSPENDED, SuspendedDetail.PAUSED)])

    def domain_resume(self, uuid: str) -> None:
        state = self._state
        with state.lock:
            obj = self._dom(uuid)
            if obj.state != DomainState.PAUSED:
                _not_in_state(obj, "paused")
            obj.state = DomainState.RUNNING
            obj.reason = RunningReason.UNPAUSED
            ref = obj.ref
        state.emit([DomainEvent(ref, DomainEventType.RESUMED, ResumedDetail.UNPAUSED)])

    def domain_save(self, uuid: str, path: str) -> None:
        """Write the live definition to ``path`` atomically, then stop the domain (reason SAVED)."""
        state = self._state
        with state.lock:
            obj = self._dom(uuid)
            _check_active(obj)
            assert obj.live is not None
            _write_atomically(path, SAVE_MAGIC + obj.live.to_xml(domain_id=obj.id).encode(), obj.name)
            state.mark_stopped(obj, ShutoffReason.SAVED)
            ref = obj.ref
        state.emit([DomainEvent(ref, DomainEventType.STOPPED, StoppedDetail.SAVED)])

    def domain_restore(self, path: str) -> DomainRef:
        """Start the domain saved in ``path`` (reason RESTORED); refuse files we did not write."""
        data = _read_image(path)
        if not data.startswith(SAVE_MAGIC):
            raise InternalError("internal error: mismatched header magic", domain=ErrorDomain.TEST)
        try:
            text = data[len(SAVE_MAGIC) :].decode()
        except UnicodeDecodeError:
            raise InternalError(
                f"internal error: save image '{path}' is damaged: its XML is not UTF-8", domain=ErrorDomain.TEST
            ) from None
        dfn = _parse_domain(text, False)
        state = self._state
        with state.lock:
            obj = _add_live_domain(state, dfn)
            events = _start(state, obj, RunningReason.RESTORED, StartedDetail.RESTORED, False)
            ref = obj.ref
        state.emit(events)
        return ref

    # -- domains: description ----------------------------------------------------------------------

    def domain_get_state(self, uuid: str) -> tuple[DomainState, int]:
        with self._state.lock:
            obj = self._dom(uuid)
            return obj.state, int(obj.reason)

    def domain_get_info(self, uuid: str) -> DomainInfo:
        with self._state.lock:
            obj = self._dom(uuid)
            memory, current, vcpus = obj.sizes()
            return DomainInfo(obj.state, memory, current, vcpus, _cpu_time())

    def domain_get_xml(self, uuid: str, inactive: bool) -> str:
        """Live XML (with the ID) while running; otherwise the definition in its inactive form.

        An inactive domain has no runtime state to show, and a document defined from a live
        dump must not keep that dump's ``id`` (libvirt parses definitions as inactive).
        """
        with self._state.lock:
            obj = self._dom(uuid)
            if inactive or not obj.has_live():
                return obj.persistent_view().to_xml(inactive=True)
            live = obj.live
            assert live is not None
            return live.to_xml(domain_id=obj.id)

    def domain_get_os_type(self, uuid: str) -> str:
        """Always ``linux``: libvirt's test driver answers that whatever ``<os><type>`` says."""
        self._dom(uuid)
        return "linux"

    def domain_is_persistent(self, uuid: str) -> bool:
        return self._dom(uuid).persistent

    def domain_get_autostart(self, uuid: str) -> bool:
        return self._dom(uuid).autostart

    def domain_set_autostart(self, uuid: str, autostart: bool) -> None:
        with self._state.lock:
            self._dom(uuid).autostart = autostart

    def domain_has_managed_save(self, uuid: str) -> bool:
        return self._dom(uuid).has_managed_save

    def domain_memory_stats(self, uuid: str) -> dict[str, int]:
        with self._state.lock:
            obj = self._dom(uuid)
            _check_active(obj)
            current = obj.current().current_memory_kib
        return {
            "actual": current,
            "swap_in": 0,
            "swap_out": 0,
            "major_fault": 0,
            "minor_fault": 0,
            "unused": current // 2,
            "available": current,
            "usable": current // 2,
            "last_update": int(time.time()),
            "disk_caches": current // 8,
            "hugetlb_pgalloc": 0,
            "hugetlb_pgfail": 0,
            "rss": current // 2,
        }

    def domain_security_label(self, uuid: str) -> tuple[str, str, bool]:
        """Running domains carry the label ``libvirt-test`` (enforcing); inactive ones none."""
        obj = self._dom(uuid)
        if obj.active:
            return defaults.SECURITY_MODEL, SECURITY_LABEL, True
        return defaults.SECURITY_MODEL, "", False

    # -- domains: resources --------------------------------------------------------------------

    def domain_set_memory(self, uuid: str, kib: int, scope: ModifyScope) -> None:
        """libvirt's test driver rules: one of live/config; the maximum only on the config."""
        if kib == 0:
            raise InvalidArgumentError("memory in virDomainSetMemoryFlags must not be zero", domain=ErrorDomain.DOMAIN)
        _exclusive(scope)
        with self._state.lock:
            obj = self._dom(uuid)
            live = _wants_live(obj, scope)
            if scope & ModifyScope.MAXIMUM:
                if live:
                    raise OperationInvalidError(
                        "Requested operation is not valid: cannot resize the maximum memory on an active domain",
                        domain=ErrorDomain.TEST,
                    )
                dfn = obj.config_for_write()
                dfn.memory_kib = kib
                if dfn.current_memory_kib > kib:
                    dfn.current_memory_kib = kib
                return
            target = obj.live_for_write() if live else obj.config_for_write()
            if kib > target.memory_kib:
                raise InvalidArgumentError(
                    "invalid argument: cannot set memory higher than max memory", domain=ErrorDomain.TEST
                )
            target.current_memory_kib = kib

    def domain_set_vcpus(self, uuid: str, count: int, scope: ModifyScope) -> None:
        """Live and config together are allowed here; the maximum needs CONFIG, as in libvirt."""
        if count == 0:
            raise InvalidArgumentError("nvcpus in virDomainSetVcpusFlags must not be zero", domain=ErrorDomain.DOMAIN)
        maximum = bool(scope & ModifyScope.MAXIMUM)
        if maximum and not scope & ModifyScope.CONFIG:
            raise InvalidArgumentError(
                "Flag 'VIR_DOMAIN_AFFECT_CONFIG' is required by flag 'VIR_DOMAIN_VCPU_MAXIMUM'",
                domain=ErrorDomain.DOMAIN,
            )
        if count > MAX_VCPUS:
            raise InvalidArgumentError(
                f"invalid argument: requested cpu amount exceeds maximum supported amount ({count} > {MAX_VCPUS})",
                domain=ErrorDomain.TEST,
            )
        with self._state.lock:
            obj = self._dom(uuid)
            if scope & (ModifyScope.LIVE | ModifyScope.CONFIG) == ModifyScope.LIVE | ModifyScope.CONFIG:
                _check_active(obj)
                _check_persistent(obj)
                targets = [obj.live_for_write(), obj.config_for_write()]
            else:
                targets = [obj.live_for_write() if _wants_live(obj, scope) else obj.config_for_write()]
            if maximum:
                for dfn in targets:
                    dfn.vcpus = count
                return
            for dfn in targets:
                if count > dfn.vcpus:
                    raise InvalidArgumentError(
                        f"invalid argument: requested cpu amount exceeds maximum ({count} > {dfn.vcpus})",
                        domain=ErrorDomain.TEST,
                    )
            for dfn in targets:
                dfn.current_vcpus = count

    def domain_get_vcpus_count(self, uuid: str, scope: ModifyScope) -> int:
        _exclusive(scope)
        with self._state.lock:
            obj = self._dom(uuid)
            live = _wants_live(obj, scope)
            dfn = obj.current() if live else obj.persistent_view()
            return dfn.vcpus if scope & ModifyScope.MAXIMUM else dfn.current_vcpus

    # -- networks ---------------------------------------------------------------------------------

    def list_networks(self, filters: ListFilter) -> list[NetworkRef]:
        with self._state.lock:
            objs = list(self._state.networks_by_name.values())
            return [obj.ref for obj in objs if _keep_common(int(filters), obj.active, obj.persistent, obj.autostart)]

    def network_lookup_by_name(self, name: str) -> NetworkRef:
        return self._net_by_name(name).ref

    def network_lookup_by_uuid(self, uuid: str) -> NetworkRef:
        return self._net(uuid).ref

    def _net_by_name(self, name: str) -> NetworkObj:
        obj = self._state.networks_by_name.get(name)
        if obj is None:
            raise NoNetworkError(f"Network not found: no network with matching name '{name}'", domain=ErrorDomain.TEST)
        return obj

    def _net(self, uuid: str) -> NetworkObj:
        obj = self._state.networks_by_uuid.get(uuid) or self._state.networks_by_uuid.get(_canonical_uuid(uuid))
        if obj is None:
            raise NoNetworkError(f"Network not found: no network with matching uuid '{uuid}'", domain=ErrorDomain.TEST)
        return obj

    def network_define_xml(self, xml: str, validate: bool) -> NetworkRef:
        dfn = _parse_network(xml, validate)
        with self._state.lock:
            return _define_network(self._state, dfn).ref

    def network_create_xml(self, xml: str, validate: bool) -> NetworkRef:
        dfn = _parse_network(xml, validate)
        state = self._state
        with state.lock:
            obj = _find_network_slot(state, dfn)
            if obj is None:
                obj = NetworkObj(None, dfn, dfn.name, dfn.uuid)
                state.networks_by_name[obj.name] = obj
                state.networks_by_uuid[obj.uuid] = obj
                return obj.ref
            if obj.active:
                raise OperationInvalidError(
                    f"Requested operation is not valid: network is already active as '{obj.name}'",
                    domain=ErrorDomain.NETWORK,
                )
            obj.live = dfn
            return obj.ref

    def network_undefine(self, uuid: str) -> None:
        state = self._state
        with state.lock:
            obj = self._net(uuid)
            if obj.active:
                raise OperationInvalidError(
                    f"Requested operation is not valid: Network '{obj.name}' is still running",
                    domain=ErrorDomain.TEST,
                )
            del state.networks_by_name[obj.name]
            del state.networks_by_uuid[obj.uuid]

    def network_create(self, uuid: str) -> None:
        with self._state.lock:
            obj = self._net(uuid)
            if obj.active:
                raise OperationInvalidError(
                    f"Requested operation is not valid: Network '{obj.name}' is already running",
                    domain=ErrorDomain.TEST,
                )
            obj.live = obj.config

    def network_destroy(self, uuid: str) -> None:
        """Stop the network; like libvirt's test driver, stopping an inactive one is no error."""
        state = self._state
        with state.lock:
            obj = self._net(uuid)
            obj.live = None
            if obj.config is None:
                del state.networks_by_name[obj.name]
                del state.networks_by_uuid[obj.uuid]

    def network_get_xml(self, uuid: str, inactive: bool) -> str:
        if inactive:
            _unsupported_flags("testNetworkGetXMLDesc")
        with self._state.lock:
            return self._net(uuid).current().to_xml()

    def network_is_active(self, uuid: str) -> bool:
        return self._net(uuid).active

    def network_is_persistent(self, uuid: str) -> bool:
        return self._net(uuid).persistent

    def network_get_autostart(self, uuid: str) -> bool:
        return self._net(uuid).autostart

    def network_set_autostart(self, uuid: str, autostart: bool) -> None:
        with self._state.lock:
            self._net(uuid).autostart = autostart

    def network_get_bridge_name(self, uuid: str) -> str:
        with self._state.lock:
            obj = self._net(uuid)
            bridge = obj.current().bridge_name
        if not bridge:
            raise InternalError(
                f"internal error: network '{obj.name}' does not have a bridge name.", domain=ErrorDomain.TEST
            )
        return bridge

    # -- storage pools ----------------------------------------------------------------------------

    def list_storage_pools(self, filters: ListFilter) -> list[PoolRef]:
        with self._state.lock:
            objs = list(self._state.pools_by_name.values())
            return [obj.ref for obj in objs if _keep_common(int(filters), obj.active, obj.persistent, obj.autostart)]

    def pool_lookup_by_name(self, name: str) -> PoolRef:
        obj = self._state.pools_by_name.get(name)
        if obj is None:
            raise NoStoragePoolError(
                f"Storage pool not found: no storage pool with matching name '{name}'", domain=ErrorDomain.TEST
            )
        return obj.ref

    def pool_lookup_by_uuid(self, uuid: str) -> PoolRef:
        return self._pool(uuid).ref

    def _pool(self, uuid: str) -> PoolObj:
        obj = self._state.pools_by_uuid.get(uuid) or self._state.pools_by_uuid.get(_canonical_uuid(uuid))
        if obj is None:
            raise NoStoragePoolError(
                f"Storage pool not found: no storage pool with matching uuid '{uuid}'", domain=ErrorDomain.TEST
            )
        return obj

    def _active_pool(self, uuid: str) -> PoolObj:
        obj = self._pool(uuid)
        if not obj.active:
            _pool_not_active(obj)
        return obj

    def pool_define_xml(self, xml: str, validate: bool) -> PoolRef:
        dfn = _parse_pool(xml, validate)
        with self._state.lock:
            return _define_pool(self._state, dfn, persistent=True).ref

    def pool_create_xml(self, xml: str, validate: bool) -> PoolRef:
        dfn = _parse_pool(xml, validate)
        with self._state.lock:
            obj = _define_pool(self._state, dfn, persistent=False)
            obj.active = True
            return obj.ref

    def pool_build(self, uuid: str) -> None:
        with self._state.lock:
            _check_pool_inactive(self._pool(uuid))

    def pool_create(self, uuid: str) -> None:
        with self._state.lock:
            obj = self._pool(uuid)
            _check_pool_inactive(obj)
            obj.active = True

    def pool_destroy(self, uuid: str) -> None:
        state = self._state
        with state.lock:
            obj = self._active_pool(uuid)
            obj.active = False
            if not obj.persistent:
                _remove_pool(state, obj)

    def pool_delete(self, uuid: str) -> None:
        with self._state.lock:
            _check_pool_inactive(self._pool(uuid))

    def pool_undefine(self, uuid: str) -> None:
        state = self._state
        with state.lock:
            obj = self._pool(uuid)
            _check_pool_inactive(obj)
            _remove_pool(state, obj)

    def pool_refresh(self, uuid: str) -> None:
        with self._state.lock:
            self._active_pool(uuid)

    def pool_get_info(self, uuid: str) -> PoolInfo:
        with self._state.lock:
            obj = self._pool(uuid)
            dfn = obj.defn
            state = PoolState.RUNNING if obj.active else PoolState.INACTIVE
            return PoolInfo(state, dfn.capacity, dfn.allocation, dfn.available)

    def pool_get_xml(self, uuid: str, inactive: bool) -> str:
        if inactive:
            _unsupported_flags("testStoragePoolGetXMLDesc")
        with self._state.lock:
            return self._pool(uuid).defn.to_xml()

    def pool_is_active(self, uuid: str) -> bool:
        return self._pool(uuid).active

    def pool_is_persistent(self, uuid: str) -> bool:
        return self._pool(uuid).persistent

    def pool_get_autostart(self, uuid: str) -> bool:
        return self._pool(uuid).autostart

    def pool_set_autostart(self, uuid: str, autostart: bool) -> None:
        with self._state.lock:
            obj = self._pool(uuid)
            if not obj.persistent:
                raise InvalidArgumentError("invalid argument: pool has no config file", domain=ErrorDomain.TEST)
            obj.autostart = autostart

    def pool_list_volumes(self, uuid: str) -> list[VolRef]:
        with self._state.lock:
            obj = self._pool(uuid)
            if not obj.active:
                raise OperationInvalidError(
                    "Requested operation is not valid: storage pool is not active", domain=ErrorDomain.TEST
                )
            return [vol.ref for vol in obj.volumes.values()]

    # -- storage volumes --------------------------------------------------------------------------

    def vol_lookup_by_name(self, pool_uuid: str, name: str) -> VolRef:
        with self._state.lock:
            vol = self._active_pool(pool_uuid).volumes.get(name)
            if vol is None:
                raise NoStorageVolError(
                    f"Storage volume not found: no storage vol with matching name '{name}'", domain=ErrorDomain.TEST
                )
            return vol.ref

    def vol_lookup_by_key(self, key: str) -> VolRef:
        return self._vol_lookup(key, "key")

    def vol_lookup_by_path(self, path: str) -> VolRef:
        return self._vol_lookup(path, "path")

    def _vol_lookup(self, value: str, what: str) -> VolRef:
        vol = self._state.volumes_by_key.get(value)
        if vol is None or not vol.pool.active:
            raise NoStorageVolError(
                f"Storage volume not found: no storage vol with matching {what} '{value}'", domain=ErrorDomain.TEST
            )
        return vol.ref

    def _vol(self, key: str) -> VolObj:
        """The volume behind a handle; its pool must be running (libvirt checks that first)."""
        vol = self._state.volumes_by_key.get(key)
        if vol is None:
            name = key.rsplit("/", 1)[-1]
            raise NoStorageVolError(
                f"Storage volume not found: no storage vol with matching name '{name}'", domain=ErrorDomain.TEST
            )
        if not vol.pool.active:
            _pool_not_active(vol.pool)
        return vol

    def vol_create_xml(self, pool_uuid: str, xml: str, validate: bool) -> VolRef:
        with self._state.lock:
            pool = self._active_pool(pool_uuid)
            dfn = _parse_volume(xml, pool.defn, validate)
            return _add_volume(self._state, pool, dfn).ref

    def vol_create_xml_from(self, pool_uuid: str, xml: str, source_key: str) -> VolRef:
        """Clone: the new volume is described by ``xml``; the test node keeps no content to copy."""
        with self._state.lock:
            pool = self._active_pool(pool_uuid)
            dfn = _parse_volume(xml, pool.defn, False)
            if dfn.name in pool.volumes:
                _volume_exists()
            # libvirt's test driver looks for the source by name in the target pool only.
            source = self._state.volumes_by_key.get(source_key)
            source_name = source.ref.name if source is not None else source_key.rsplit("/", 1)[-1]
            if source_name not in pool.volumes:
                raise NoStorageVolError(
                    f"Storage volume not found: no storage vol with matching name '{source_name}'",
                    domain=ErrorDomain.TEST,
                )
            return _add_volume(self._state, pool, dfn).ref

    def vol_delete(self, key: str) -> None:
        state = self._state
        with state.lock:
            vol = self._vol(key)
            pool = vol.pool
            del pool.volumes[vol.ref.name]
            del state.volumes_by_key[vol.key]
            pool.defn.allocation -= vol.defn.allocation
            pool.defn.available = pool.defn.capacity - pool.defn.allocation

    def vol_wipe(self, key: str) -> None:
        """Nothing to overwrite in memory; sizes are unchanged, as after a real wipe."""
        with self._state.lock:
            self._vol(key)

    def vol_resize(self, key: str, capacity: int, delta: bool, shrink: bool) -> None:
        """Resize as libvirt's storage driver does (the C test driver does not implement it)."""
        with self._state.lock:
            vol = self._vol(key)
            dfn = vol.defn
            if delta:
                new = dfn.capacity - capacity if shrink else dfn.capacity + capacity
            else:
                new = capacity
            if new < 0:
                raise InvalidArgumentError(
                    "invalid argument: can't shrink capacity below zero", domain=ErrorDomain.STORAGE
                )
            if new < dfn.capacity and not shrink:
                raise InvalidArgumentError(
                    "invalid argument: Can't shrink capacity below current capacity unless shrink flag "
                    "explicitly specified",
                    domain=ErrorDomain.STORAGE,
                )
            if new < dfn.allocation:
                raise InvalidArgumentError(
                    "invalid argument: Can't shrink capacity below current allocation", domain=ErrorDomain.STORAGE
                )
            if new - dfn.capacity > vol.pool.defn.available:
                raise OperationFailedError(
                    "operation failed: Not enough space left in storage pool", domain=ErrorDomain.STORAGE
                )
            dfn.capacity = new

    def vol_get_info(self, key: str) -> VolInfo:
        with self._state.lock:
            dfn = self._vol(key).defn
            return VolInfo(_VOL_TYPES.get(dfn.vol_type, VolType.FILE), dfn.capacity, dfn.allocation)

    def vol_get_xml(self, key: str) -> str:
        with self._state.lock:
            vol = self._vol(key)
            return vol.defn.to_xml(vol.pool.defn)

    def vol_get_path(self, key: str) -> str:
        with self._state.lock:
            return self._vol(key).key


# -- domain helpers ------------------------------------------------------------------------------


def _parse_domain(xml: str, validate: bool) -> DomainDef:
    from pyvirt.xml.domain import DomainDef

    dfn = DomainDef.from_xml(xml, validate=validate, namespaces=_NO_NAMESPACES)
    if dfn.arch is None:
        _default_arch(dfn)
    _name_interfaces(dfn)
    return dfn


def _default_arch(dfn: DomainDef) -> None:
    """No ``arch``: the test node's only guest architecture (capabilities), as libvirt fills it."""
    os_type = dfn.root.find("os/type")
    if os_type is None:
        return
    others = list(os_type.attrib.items())  # libvirt writes arch first, before machine
    os_type.attrib.clear()
    os_type.set("arch", GUEST_ARCH)
    for key, value in others:
        os_type.set(key, value)
    dfn.invalidate()


def _name_interfaces(dfn: DomainDef) -> None:
    """Give each interface without a target the first free ``testnetN``, as libvirt's test driver."""
    interfaces = dfn.interfaces
    if not interfaces:
        return
    used = {iface.target_dev for iface in interfaces if iface.target_dev}
    counter = 0
    for iface in interfaces:
        if iface.target_dev:
            continue
        while f"testnet{counter}" in used:
            counter += 1
        name = f"testnet{counter}"
        iface.target_dev = name
        used.add(name)


def _conflict(state: NodeState, name: str, uuid: str) -> DomainObj | None:
    """The domain ``name``/``uuid`` refers to, or None; raise when they name two different ones."""
    obj = state.domains_by_uuid.get(uuid)
    if obj is not None:
        if obj.name != name:
            raise DomainExistsError(
                f"operation failed: domain '{obj.name}' is already defined with uuid {uuid}",
                code=ErrorCode.OPERATION_FAILED,
                domain=ErrorDomain.DOMAIN,
            )
        return obj
    other = state.domains_by_name.get(name)
    if other is not None:
        raise DomainExistsError(
            f"operation failed: domain '{name}' already exists with uuid {other.uuid}",
            code=ErrorCode.OPERATION_FAILED,
            domain=ErrorDomain.DOMAIN,
        )
    return None


def _define_domain(state: NodeState, dfn: DomainDef) -> tuple[DomainObj, DefinedDetail]:
    name, uuid = dfn.name, dfn.uuid
    obj = _conflict(state, name, uuid)
    if obj is None:
        obj = DomainObj(dfn, None, name, uuid)
        state.add_domain(obj)
        return obj, DefinedDetail.ADDED
    # A transient domain that gets a config is "added"; an existing config is "updated".
    detail = DefinedDetail.UPDATED if obj.config is not None else DefinedDetail.ADDED
    if obj.active and not obj.has_live():
        obj.share_config_as_live()
    obj.config = dfn  # a running domain keeps its live definition until it stops
    return obj, detail


def _add_live_domain(state: NodeState, dfn: DomainDef) -> DomainObj:
    """The object a create/restore starts: a new transient one, or an inactive defined one."""
    name, uuid = dfn.name, dfn.uuid
    obj = _conflict(state, name, uuid)
    if obj is None:
        obj = DomainObj(None, dfn, name, uuid)
        state.add_domain(obj)
        return obj
    if obj.active:
        raise OperationInvalidError(
            f"Requested operation is not valid: domain '{name}' is already active", domain=ErrorDomain.DOMAIN
        )
    obj.live = dfn
    return obj


def _start(state: NodeState, obj: DomainObj, reason: RunningReason, detail: StartedDetail, paused: bool) -> Events:
    state.mark_started(obj, DomainState.RUNNING, reason)
    events = [DomainEvent(obj.ref, DomainEventType.STARTED, detail)]
    if paused:
        obj.state = DomainState.PAUSED
        obj.reason = PausedReason.USER
        events.append(DomainEvent(obj.ref, DomainEventType.SUSPENDED, SuspendedDetail.PAUSED))
    return events


def _domain_not_found() -> NoDomainError:
    """libvirt's lookups by name, UUID or ID say only this, without the key looked for."""
    return NoDomainError("Domain not found", domain=ErrorDomain.TEST)


def _not_in_state(obj: DomainObj, wanted: str) -> NoReturn:
    """libvirt's test driver reports suspend/resume/shutdown in the wrong state as internal errors."""
    raise InternalError(f"internal error: domain '{obj.name}' not {wanted}", domain=ErrorDomain.TEST)


def _check_active(obj: DomainObj) -> None:
    if obj.id == -1:
        raise OperationInvalidError(
            "Requested operation is not valid: domain is not running", domain=ErrorDomain.DOMAIN
        )


def _check_persistent(obj: DomainObj) -> None:
    if obj.config is None:
        raise OperationInvalidError(
            "Requested operation is not valid: transient domains do not have any persistent config",
            domain=ErrorDomain.DOMAIN,
        )


def _exclusive(scope: ModifyScope) -> None:
    if scope & ModifyScope.LIVE and scope & ModifyScope.CONFIG:
        raise InvalidArgumentError(
            "Flags 'VIR_DOMAIN_AFFECT_LIVE' and 'VIR_DOMAIN_AFFECT_CONFIG' are mutually exclusive",
            domain=ErrorDomain.DOMAIN,
        )


def _wants_live(obj: DomainObj, scope: ModifyScope) -> bool:
    """Resolve CURRENT and check the chosen side exists (libvirt's virDomainObjGetOneDef)."""
    if scope & ModifyScope.LIVE:
        _check_active(obj)
        return True
    if scope & ModifyScope.CONFIG:
        _check_persistent(obj)
        return False
    return obj.active


def _domain_filter(flags: int) -> Callable[[DomainObj], bool]:
    """libvirt's virConnectListAllDomains filter: bits of one group OR, groups AND."""
    states = flags & (ListFilter.RUNNING | ListFilter.PAUSED | ListFilter.SHUTOFF | ListFilter.OTHER)
    managed = flags & (ListFilter.MANAGEDSAVE | ListFilter.NO_MANAGEDSAVE)

    def keep(obj: DomainObj) -> bool:
        if not _keep_common(flags, obj.id != -1, obj.persistent, obj.autostart):
            return False
        if states:
            state = obj.state
            if state == DomainState.RUNNING:
                bit = ListFilter.RUNNING
            elif state == DomainState.PAUSED:
                bit = ListFilter.PAUSED
            elif state == DomainState.SHUTOFF:
                bit = ListFilter.SHUTOFF
            else:
                bit = ListFilter.OTHER
            if not states & bit:
                return False
        if managed and managed != ListFilter.MANAGEDSAVE | ListFilter.NO_MANAGEDSAVE:
            want = bool(managed & ListFilter.MANAGEDSAVE)
            if obj.has_managed_save != want:
                return False
        return True

    return keep


def _keep_common(flags: int, active: bool, persistent: bool, autostart: bool) -> bool:
    """The active/persistent/autostart groups every object kind shares."""
    if not flags:
        return True
    for value, yes, no in (
        (active, ListFilter.ACTIVE, ListFilter.INACTIVE),
        (persistent, ListFilter.PERSISTENT, ListFilter.TRANSIENT),
        (autostart, ListFilter.AUTOSTART, ListFilter.NO_AUTOSTART),
    ):
        has_yes, has_no = bool(flags & yes), bool(flags & no)
        if has_yes != has_no and value != has_yes:
            return False
    return True


def _cpu_time() -> int:
    """libvirt's test driver reports the wall clock as CPU time (ns, microsecond resolution)."""
    return time.time_ns() // 1000 * 1000


def _parse_network(xml: str, validate: bool) -> NetworkDef:
    from pyvirt.xml.network import NetworkDef

    return NetworkDef.from_xml(xml, validate=validate, namespaces=_NO_NAMESPACES)


def _parse_pool(xml: str, validate: bool) -> PoolDef:
    from pyvirt.xml.storagepool import PoolDef

    return PoolDef.from_xml(xml, validate=validate, namespaces=_NO_NAMESPACES)


def _parse_volume(xml: str, pool: PoolDef, validate: bool) -> VolDef:
    from pyvirt.xml.storagevol import VolDef

    return VolDef.from_xml(xml, pool, validate=validate)


# -- network helpers -----------------------------------------------------------------------------


def _find_network_slot(state: NodeState, dfn: NetworkDef) -> NetworkObj | None:
    name, uuid = dfn.name, dfn.uuid
    obj = state.networks_by_uuid.get(uuid)
    if obj is not None:
        if obj.name != name:
            raise NetworkExistsError(
                f"operation failed: network '{obj.name}' is already defined with uuid {uuid}",
                code=ErrorCode.OPERATION_FAILED,
                domain=ErrorDomain.NETWORK,
            )
        return obj
    other = state.networks_by_name.get(name)
    if other is not None:
        raise NetworkExistsError(
            f"operation failed: network '{name}' already exists with uuid {other.uuid}",
            code=ErrorCode.OPERATION_FAILED,
            domain=ErrorDomain.NETWORK,
        )
    return None


def _define_network(state: NodeState, dfn: NetworkDef) -> NetworkObj:
    obj = _find_network_slot(state, dfn)
    if obj is None:
        obj = NetworkObj(dfn, None, dfn.name, dfn.uuid)
        state.networks_by_name[obj.name] = obj
        state.networks_by_uuid[obj.uuid] = obj
        return obj
    obj.config = dfn  # a running network keeps its live definition until it stops
    return obj


def _unsupported_flags(function: str) -> NoReturn:
    raise InvalidArgumentError(f"unsupported flags (0x1) in function {function}", domain=ErrorDomain.TEST)


# -- storage helpers ------------------------------------------------------------------------------

_VOL_TYPES = {kind.name.lower(): kind for kind in VolType}


def _define_pool(state: NodeState, dfn: PoolDef, persistent: bool) -> PoolObj:
    """Define (``persistent``) or create a pool, with libvirt's checks in libvirt's order.

    Creating over an inactive defined pool of the same name and UUID starts it as a transient
    pool (libvirt 9.0's test driver does so); over an active one it is refused.
    """
    name, uuid = dfn.name, dfn.uuid
    other = state.pools_by_name.get(name)
    if other is not None and other.uuid != uuid:
        raise OperationFailedError(
            f"operation failed: pool '{name}' already exists with uuid {other.uuid}", domain=ErrorDomain.STORAGE
        )
    _check_pool_source(state, dfn)
    obj = state.pools_by_uuid.get(uuid)
    if obj is not None and obj.name != name:
        raise OperationFailedError(
            f"operation failed: pool '{obj.name}' is already defined with uuid {uuid}", domain=ErrorDomain.STORAGE
        )
    if obj is not None and not persistent and obj.active:
        raise OperationInvalidError(
            f"Requested operation is not valid: pool is already active as '{name}'", domain=ErrorDomain.STORAGE
        )
    allocation = obj.defn.allocation if obj is not None else 0
    dfn.capacity = POOL_CAPACITY
    dfn.allocation = allocation
    dfn.available = POOL_CAPACITY - allocation
    if obj is not None:
        obj.defn = dfn
        obj.persistent = persistent
        for vol in obj.volumes.values():
            vol.pool = obj
        return obj
    obj = PoolObj(dfn, name, uuid, persistent)
    state.pools_by_name[name] = obj
    state.pools_by_uuid[uuid] = obj
    return obj


def _check_pool_source(state: NodeState, dfn: PoolDef) -> None:
    """Two ``dir`` pools of different names may not share a target folder (libvirt's check).

    libvirt compares other pool types by their sources (hosts, devices, adapters); pyvirt's
    pool model does not describe sources, so only ``dir`` pools are compared.
    """
    if dfn.pool_type != "dir" or not dfn.target_path:
        return
    path = _sanitize_path(dfn.target_path)
    for other in state.pools_by_name.values():
        theirs = other.defn
        if other.name != dfn.name and theirs.pool_type == "dir" and theirs.target_path:
            if _sanitize_path(theirs.target_path) == path:
                raise OperationFailedError(
                    f"operation failed: Storage source conflict with pool: '{other.name}'", domain=ErrorDomain.STORAGE
                )


def _sanitize_path(path: str) -> str:
    """``/a//b/`` and ``/a/b`` name the same folder (libvirt cleans paths when it parses a pool)."""
    cleaned = "/".join(part for part in path.split("/") if part)
    return "/" + cleaned if path.startswith("/") else cleaned


def _remove_pool(state: NodeState, obj: PoolObj) -> None:
    del state.pools_by_name[obj.name]
    del state.pools_by_uuid[obj.uuid]
    for vol in obj.volumes.values():
        if state.volumes_by_key.get(vol.key) is vol:
            del state.volumes_by_key[vol.key]


def _check_pool_inactive(obj: PoolObj) -> None:
    if obj.active:
        raise OperationInvalidError(
            f"Requested operation is not valid: storage pool '{obj.name}' is active", domain=ErrorDomain.TEST
        )


def _pool_not_active(obj: PoolObj) -> NoReturn:
    raise OperationInvalidError(
        f"Requested operation is not valid: storage pool '{obj.name}' is not active", domain=ErrorDomain.TEST
    )


def _volume_exists() -> NoReturn:
    raise StorageVolExistsError(
        "operation failed: storage vol already exists", code=ErrorCode.OPERATION_FAILED, domain=ErrorDomain.TEST
    )


def _add_volume(state: NodeState, pool: PoolObj, dfn: VolDef) -> VolObj:
    """Add ``dfn`` to ``pool``: its key and path become ``<pool path>/<name>``; space is taken."""
    name = dfn.name
    if name in pool.volumes:
        _volume_exists()
    pool_def = pool.defn
    if pool_def.available < dfn.allocation:
        raise InternalError(
            f"internal error: Not enough free space in pool for volume '{name}'", domain=ErrorDomain.TEST
        )
    # A pool without a target path (gluster, rbd...) gives "(null)/name", as libvirt prints it.
    key = f"{pool_def.target_path or '(null)'}/{name}"
    dfn.key = key
    dfn.target_path = key
    vol = VolObj(dfn, pool, key)
    pool.volumes[name] = vol
    state.volumes_by_key[key] = vol
    pool_def.allocation += dfn.allocation
    pool_def.available = pool_def.capacity - pool_def.allocation
    return vol


# -- building nodes -------------------------------------------------------------------------------


def _build_default_state() -> NodeState:
    """``test:///default``: domain ``test`` running as ID 1, network and pool active.

    Nothing is parsed here: the domain is known by its facts until its document is needed,
    and the network and pool are added when a network, pool or volume is first looked at.
    """
    state = NodeState(defaults.NODE_INFO, defaults.CELLS)
    facts = defaults.DOMAIN_FACTS
    pending = PendingDomain(facts, defaults.DOMAIN_XML, _parse_default_domain)
    obj = DomainObj(pending, pending, facts.name, facts.uuid)
    state.add_domain(obj)
    state.mark_started(obj, DomainState.RUNNING, 0)
    state.load_later(_load_default_networks_and_pools)
    return state


def _parse_default_domain(xml: str) -> DomainDef:
    return _parse_domain(xml, False)


def _load_default_networks_and_pools(state: NodeState) -> None:
    _load_network(state, _parse_network(defaults.NETWORK_XML, False))
    _load_pool(state, _parse_pool(defaults.POOL_XML, False))


def _build_file_state(node: NodeFile) -> NodeState:
    """A fresh node from a node file; domains start in their ``runstate`` (default running)."""
    state = NodeState(node.node_info, ())
    for entry in node.domains:
        with _locating(entry.document):
            dfn = _parse_domain(entry.document.xml, False)
            _load_domain(state, dfn, DomainState(entry.runstate), entry.transient, entry.has_managed_save)
    for document in node.networks:
        with _locating(document):
            _load_network(state, _parse_network(document.xml, False))
    for pool_entry in node.pools:
        with _locating(pool_entry.document):
            pool = _load_pool(state, _parse_pool(pool_entry.document.xml, False))
        for volume in pool_entry.volumes:
            with _locating(volume):
                _add_volume(state, pool, _parse_volume(volume.xml, pool.defn, False))
    return state


@contextmanager
def _locating(document: NodeDocument) -> Iterator[None]:
    """Errors while loading ``document`` name the node (or referenced) file and the line."""
    try:
        yield
    except XMLError as exc:
        raise document.locate(exc) from None
    except (OperationFailedError, OperationInvalidError, InternalError) as exc:
        raise XMLError(f"{document.origin}:{document.first_line}: {exc.message}", line=document.first_line) from None


def _load_domain(state: NodeState, dfn: DomainDef, run: DomainState, transient: bool, managed: bool) -> None:
    """A domain of a node as loaded: its state's reason is 0 (unknown), as libvirt reports it."""
    if run == DomainState.SHUTOFF:
        obj, _ = _define_domain(state, dfn)
    else:
        obj = _add_live_domain(state, dfn)
        if not transient:
            obj.config = dfn
        state.mark_started(obj, run, 0)
    obj.has_managed_save = managed


def _load_network(state: NodeState, dfn: NetworkDef) -> None:
    obj = _define_network(state, dfn)
    obj.live = obj.config


def _load_pool(state: NodeState, dfn: PoolDef) -> PoolObj:
    obj = _define_pool(state, dfn, persistent=True)
    obj.active = True
    return obj


# -- small helpers ---------------------------------------------------------------------------------


def _canonical_uuid(value: str) -> str:
    """UUIDs are indexed in libvirt's printed form; accept any form ``uuid.UUID`` reads."""
    import uuid as uuid_mod  # only a lookup miss gets here

    try:
        return str(uuid_mod.UUID(value))
    except (ValueError, AttributeError, TypeError):
        return value


def _read_image(path: str) -> bytes:
    """The whole save image; errors worded as libvirt's test driver words them."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise _system_error(f"cannot read domain image '{path}'", exc) from exc
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    except OSError as exc:  # a folder opens, and fails at the first read
        raise _system_error(f"incomplete save header in '{path}'", exc) from exc
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) < len(SAVE_MAGIC):
        # libvirt prints the errno of its short read: none ("Success") when the file just ends.
        raise OperationFailedError(
            f"incomplete save header in '{path}': Success", code=ErrorCode.SYSTEM_ERROR, domain=ErrorDomain.TEST
        )
    return data


def _system_error(message: str, exc: OSError) -> OperationFailedError:
    return OperationFailedError(
        f"{message}: {exc.strerror or exc}", code=ErrorCode.SYSTEM_ERROR, domain=ErrorDomain.TEST
    )


def _write_atomically(path: str, data: bytes, name: str) -> None:
    """Write ``data`` to ``path`` so a crash leaves the old file or the new one, never half.

    Errors read as libvirt's ("saving domain 'NAME' to 'PATH': open failed: ..."): failing to
    create the temporary file or to rename it over ``path`` is what libvirt's open would hit.
    """
    import tempfile  # only saving needs it; opening a node must not pay for it

    where = f"saving domain '{name}' to '{path}'"
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    except OSError as exc:
        raise _system_error(f"{where}: open failed", exc) from exc
    step = "write failed"
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        step = "open failed"
        os.replace(temp, path)
    except OSError as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise _system_error(f"{where}: {step}", exc) from exc
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
