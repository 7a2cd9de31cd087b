"""``QemuConnection``: the driver interface over a shared :class:`~pyvirt_qemu.driver.QemuDriver`.

Each call looks the domain up, takes its job lock for anything that talks to QEMU or changes
files, and reports lifecycle events after the change is on disk.  Errors carry libvirt's
messages and codes for the same situations.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path

from pyvirt import hostinfo
from pyvirt.driver import DriverConnection, EventSink
from pyvirt.errors import (
    DomainExistsError,
    ErrorDomain,
    InvalidArgumentError,
    NoDomainError,
    OperationFailedError,
    OperationInvalidError,
)
from pyvirt.files import remove
from pyvirt.filters import keeps
from pyvirt.types import (
    DefinedDetail,
    DomainEventType,
    DomainInfo,
    DomainRef,
    DomainState,
    ListFilter,
    ModifyScope,
    NodeInfo,
    PausedReason,
    ResumedDetail,
    RunningReason,
    SuspendedDetail,
    UndefinedDetail,
)
from pyvirt.uri import URI
from pyvirt.xml.domain import DomainDef
from pyvirt_qemu import driver as drivers
from pyvirt_qemu import lifecycle, node, prepare, process, saving
from pyvirt_qemu.console import ConsoleCalls
from pyvirt_qemu.domain import DomainObj, write_status
from pyvirt_qemu.domainops import DomainOpsCalls
from pyvirt_qemu.hotplug import HotplugCalls
from pyvirt_qemu.layout import Layout
from pyvirt_qemu.snapshots import SnapshotCalls
from pyvirt_qemu.storagecalls import StorageCalls
from pyvirt_qemu.support import QEMU_NS
from pyvirt_qemu.volstreams import VolumeStreamCalls


class QemuConnection(
    saving.SaveCalls,
    SnapshotCalls,
    DomainOpsCalls,
    HotplugCalls,
    StorageCalls,
    VolumeStreamCalls,
    ConsoleCalls,
    DriverConnection,
):
    """One open ``qemu:`` URI."""

    name = "QEMU"

    def __init__(self, uri: URI, events: EventSink, key: Path, layout: Layout, resident: bool = False) -> None:
        super().__init__(uri, events)
        self._key = key
        self.drv = drivers.acquire(key, lambda: layout, resident)
        self.drv.attach(events)
        self._closed = False

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.drv.detach(self.events)
        drivers.release(self._key)

    # -- node ---------------------------------------------------------------------------------

    def get_version(self) -> int:
        return node.emulator_caps(self.drv.layout).version_number

    def get_hostname(self) -> str:
        return socket.gethostname()

    def get_node_info(self) -> NodeInfo:
        return hostinfo.node_info()

    def get_capabilities(self) -> str:
        return node.capabilities_xml(self.drv.layout)

    def get_free_memory(self) -> int:
        return hostinfo.free_memory()

    def get_cells_free_memory(self, start_cell: int, max_cells: int) -> list[int]:
        return [hostinfo.free_memory()][start_cell : start_cell + max_cells]

    def get_security_model(self) -> tuple[str, str]:
        return ("", "")

    # -- lookups ------------------------------------------------------------------------------

    def list_domains(self, filters: ListFilter) -> list[DomainRef]:
        with self.drv.lock:
            objs = list(self.drv.by_uuid.values())
        if not filters:
            return [o.ref for o in objs]
        layout = self.drv.layout
        return [
            o.ref
            for o in objs
            if keeps(
                filters,
                active=o.active,
                persistent=o.persistent is not None,
                autostart=o.autostart,
                managed_save=layout.managed_save(o.name).exists(),
                state=o.state,
            )
        ]

    def domain_lookup_by_name(self, name: str) -> DomainRef:
        with self.drv.lock:
            obj = self.drv.by_name.get(name)
        if obj is None:
            raise _not_found(f"no domain with matching name '{name}'")
        return obj.ref

    def domain_lookup_by_uuid(self, uuid: str) -> DomainRef:
        with self.drv.lock:
            obj = self.drv.by_uuid.get(uuid)
        if obj is None:
            raise _not_found(f"no domain with matching uuid '{uuid}'")
        return obj.ref

    def domain_lookup_by_id(self, domain_id: int) -> DomainRef:
        with self.drv.lock:
            obj = next((o for o in self.drv.by_uuid.values() if o.id == domain_id and o.active), None)
        if obj is None:
            raise _not_found(f"no domain with matching id {domain_id}")
        return obj.ref

    # -- define / undefine --------------------------------------------------------------------

    def _parse(self, xml: str, validate: bool) -> DomainDef:
        dfn = DomainDef.from_xml(xml, validate=validate, namespaces=(QEMU_NS,))
        prepare.prepare(dfn, self.drv.layout.cache)
        return dfn

    def domain_define_xml(self, xml: str, validate: bool) -> DomainRef:
        dfn = self._parse(xml, validate)
        drv = self.drv
        with drv.lock:
            obj = self._claim(dfn)
            detail = DefinedDetail.UPDATED if obj is not None else DefinedDetail.ADDED
            drv.save_config(dfn)
            if obj is None:
                obj = DomainObj(persistent=dfn)
                drv.add(obj)
            else:
                obj.persistent = dfn
            ref = obj.ref
        drv.emit(ref, DomainEventType.DEFINED, detail)
        return ref

    def _claim(self, dfn: DomainDef) -> DomainObj | None:
        """The existing domain ``dfn`` redefines, or ``None``; refuse a clash of name or UUID."""
        by_name = self.drv.by_name.get(dfn.name)
        by_uuid = self.drv.by_uuid.get(dfn.uuid)
        if by_name is not None and by_name.uuid != dfn.uuid:
            raise DomainExistsError(
                f"operation failed: domain '{dfn.name}' already exists with uuid {by_name.uuid}",
                domain=ErrorDomain.QEMU,
            )
        if by_uuid is not None and by_uuid.name != dfn.name:
            raise DomainExistsError(
                f"operation failed: domain '{by_uuid.name}' is already defined with uuid {dfn.uuid}",
                domain=ErrorDomain.QEMU,
            )
        return by_uuid

    def domain_create_xml(self, xml: str, validate: bool, paused: bool) -> DomainRef:
        dfn = self._parse(xml, validate)
        drv = self.drv
        with drv.lock:
            existing = self._claim(dfn)
            if existing is not None:
                if existing.active:
                    raise OperationInvalidError(
                        f"Requested operation is not valid: domain '{dfn.name}' is already active",
                        domain=ErrorDomain.QEMU,
                    )
                raise DomainExistsError(
                    f"operation failed: domain '{dfn.name}' already exists", domain=ErrorDomain.QEMU
                )
            obj = DomainObj(persistent=None, live=dfn)
            drv.add(obj)
        try:
            with obj.job:
                lifecycle.start(drv, obj, paused)
        except BaseException:
            drv.forget(obj)
            raise
        for event, detail in lifecycle.started_events(paused):
            drv.emit(obj.ref, event, detail)
        return obj.ref

    def domain_undefine(self, uuid: str, managed_save: bool = False) -> None:
        drv = self.drv
        obj = drv.get(uuid)
        with drv.lock:
            if obj.persistent is None:
                raise OperationInvalidError("Requested operation is not valid: cannot undefine transient domain")
            snapshots = len(self.domain_snapshot_list(uuid))
            if snapshots and not obj.active:
                raise OperationInvalidError(
                    f"Requested operation is not valid: cannot delete inactive domain with {snapshots} snapshots"
                )
            save = drv.layout.managed_save(obj.name)
            if save.exists():
                if not managed_save:
                    raise OperationInvalidError(
                        "Requested operation is not valid: Refusing to undefine while domain managed save image exists"
                    )
                remove(save)
            remove(drv.layout.config_file(obj.name), drv.layout.autostart_link(obj.name))
            ref = obj.ref
            if not obj.active:
                drv.forget(obj)
            obj.persistent, obj.autostart = None, False
        drv.emit(ref, DomainEventType.UNDEFINED, UndefinedDetail.REMOVED)

    # -- lifecycle ----------------------------------------------------------------------------

    def domain_create(self, uuid: str, paused: bool) -> DomainRef:
        drv = self.drv
        obj = drv.get(uuid)
        with obj.job:
            if obj.active:
                raise OperationInvalidError(
                    "Requested operation is not valid: domain is already running", domain=ErrorDomain.QEMU
                )
            restored = self.start_from_managed_save(obj, paused)
            if restored is not None:
                return restored
            lifecycle.start(drv, obj, paused)
        for event, detail in lifecycle.started_events(paused):
            drv.emit(obj.ref, event, detail)
        return obj.ref

    def domain_shutdown(self, uuid: str) -> None:
        """ACPI power button; the guest decides.  Returns at once, as libvirt does: the state
        turns to shut off (reason shutdown) when the guest powers off."""
        obj = self.drv.get(uuid)
        lifecycle.monitor_of(obj).execute("system_powerdown")

    def domain_destroy(self, uuid: str) -> None:
        obj = self.drv.get(uuid)
        with obj.job:
            lifecycle.require_active(obj)
            lifecycle.destroy(self.drv, obj)

    def domain_reboot(self, uuid: str) -> None:
        """libvirt's ACPI reboot: press the power button and, when the guest has shut down
        (QEMU keeps it, ``-no-shutdown``), reset and continue it instead of ending it."""
        obj = self.drv.get(uuid)
        monitor = lifecycle.monitor_of(obj)
        obj.rebooting = True
        try:
            monitor.execute("system_powerdown")
        except BaseException:
            obj.rebooting = False
            raise

    def domain_reset(self, uuid: str) -> None:
        obj = self.drv.get(uuid)
        lifecycle.monitor_of(obj).execute("system_reset")

    def domain_suspend(self, uuid: str) -> None:
        obj = self.drv.get(uuid)
        with obj.job, _expecting(obj, PausedReason.USER):
            lifecycle.monitor_of(obj).execute("stop")
            lifecycle.transition(
                self.drv, obj, DomainState.PAUSED, PausedReason.USER, DomainEventType.SUSPENDED, SuspendedDetail.PAUSED
            )

    def domain_resume(self, uuid: str) -> None:
        obj = self.drv.get(uuid)
        with obj.job, _expecting(obj, RunningReason.UNPAUSED):
            monitor = lifecycle.monitor_of(obj)
            if obj.state != DomainState.PAUSED:
                raise OperationInvalidError(
                    "Requested operation is not valid: domain is not paused", domain=ErrorDomain.QEMU
                )
            monitor.execute("cont")
            lifecycle.transition(
                self.drv,
                obj,
                DomainState.RUNNING,
                RunningReason.UNPAUSED,
                DomainEventType.RESUMED,
                ResumedDetail.UNPAUSED,
            )

    # -- state and XML ------------------------------------------------------------------------

    def domain_get_state(self, uuid: str) -> tuple[DomainState, int]:
        obj = self.drv.get(uuid)
        return obj.state, int(obj.reason)

    def domain_get_info(self, uuid: str) -> DomainInfo:
        obj = self.drv.get(uuid)
        dfn = obj.definition
        memory = dfn.current_memory_kib
        cpu_time = 0
        if obj.active:
            cpu_time = process.cpu_time(obj.pid)
            if obj.monitor is not None and dfn.root.find("devices/memballoon[@model='virtio']") is not None:
                try:
                    memory = int(obj.monitor.execute("query-balloon")["actual"]) // 1024
                except OperationFailedError:
                    pass  # the balloon driver is not up in the guest yet: the configured size stands
        return DomainInfo(obj.state, dfn.memory_kib, memory, dfn.current_vcpus, cpu_time)

    def domain_get_xml(self, uuid: str, inactive: bool, secure: bool = False) -> str:
        obj = self.drv.get(uuid)
        with self.drv.lock:
            if obj.active and obj.live is not None and not inactive:
                return obj.live.to_xml(domain_id=obj.id, secure=secure)
            shown = obj.persistent if obj.persistent is not None else obj.definition
            return shown.to_xml(inactive=True, secure=secure)

    def domain_get_os_type(self, uuid: str) -> str:
        return self.drv.get(uuid).definition.os_type

    def domain_is_persistent(self, uuid: str) -> bool:
        return self.drv.get(uuid).persistent is not None

    def domain_get_autostart(self, uuid: str) -> bool:
        return self.drv.get(uuid).autostart

    def domain_set_autostart(self, uuid: str, autostart: bool) -> None:
        obj = self.drv.get(uuid)
        if obj.persistent is None:
            raise OperationInvalidError("Requested operation is not valid: cannot set autostart for transient domain")
        link = self.drv.layout.autostart_link(obj.name)
        if autostart and not link.exists():
            link.symlink_to(self.drv.layout.config_file(obj.name))
        elif not autostart:
            remove(link)
        obj.autostart = autostart

    def domain_has_managed_save(self, uuid: str) -> bool:
        return self.drv.layout.managed_save(self.drv.get(uuid).name).exists()

    # -- resources ----------------------------------------------------------------------------

    def domain_set_memory(self, uuid: str, kib: int, scope: ModifyScope) -> None:
        obj = self.drv.get(uuid)
        with obj.job:
            live = bool(scope & ModifyScope.LIVE) or (
                scope & ~ModifyScope.MAXIMUM == ModifyScope.CURRENT and obj.active
            )
            config = bool(scope & ModifyScope.CONFIG) or (
                scope & ~ModifyScope.MAXIMUM == ModifyScope.CURRENT and not obj.active
            )
            if scope & ModifyScope.MAXIMUM:
                if live:
                    raise OperationInvalidError(
                        "Requested operation is not valid: cannot resize the maximum memory on an active domain"
                    )
                self.drv.change_config(obj, lambda d: _set_max_memory(d, kib))
                return
            if live:
                lifecycle.require_active(obj)
                assert obj.live is not None
                if kib > obj.live.memory_kib:
                    raise InvalidArgumentError("invalid argument: cannot set memory higher than max memory")
                if obj.live.root.find("devices/memballoon[@model='virtio']") is None:
                    raise OperationInvalidError(
                        "Requested operation is not valid: "
                        "Unable to change memory of active domain without the balloon device"
                    )
                lifecycle.monitor_of(obj).execute("balloon", {"value": kib * 1024})
                obj.live.current_memory_kib = kib
                write_status(self.drv.layout.status_file(obj.name), obj)
            if config:
                self.drv.change_config(obj, lambda d: _set_current_memory(d, kib))

    def domain_set_vcpus(self, uuid: str, count: int, scope: ModifyScope) -> None:
        """Live: hot-plug vCPUs up to the maximum (unplugging needs the guest's co-operation and
        is refused); config: the persistent count, or its maximum with ``MAXIMUM``."""
        obj = self.drv.get(uuid)
        with obj.job:
            if count < 1:
                raise InvalidArgumentError("invalid argument: argument unsupported: vCPU count must be at least 1")
            plain = scope & ~ModifyScope.MAXIMUM == ModifyScope.CURRENT
            live = bool(scope & ModifyScope.LIVE) or (plain and obj.active)
            config = bool(scope & ModifyScope.CONFIG) or (plain and not obj.active)
            if live and scope & ModifyScope.MAXIMUM:
                raise OperationInvalidError(
                    "Requested operation is not valid: cannot change the maximum vCPUs of a running domain"
                )
            if live:
                self._hotplug_vcpus(obj, count)
            if config:

                def change(d: DomainDef) -> None:
                    if scope & ModifyScope.MAXIMUM:
                        d.vcpus = count
                        return
                    if count > d.vcpus:
                        raise InvalidArgumentError(
                            "invalid argument: requested vcpus is greater than max allowable vcpus"
                            f" for the persistent domain: {count} > {d.vcpus}"
                        )
                    d.current_vcpus = count

                self.drv.change_config(obj, change)

    def _hotplug_vcpus(self, obj: DomainObj, count: int) -> None:
        monitor = lifecycle.monitor_of(obj)
        live = obj.live
        assert live is not None
        if count > live.vcpus:
            raise InvalidArgumentError(
                "invalid argument: requested vcpus is greater than max allowable vcpus"
                f" for the live domain: {count} > {live.vcpus}"
            )
        current = live.current_vcpus
        if count < current:
            raise OperationInvalidError(
                "Requested operation is not valid: removing vCPUs needs the guest's co-operation,"
                " which pyvirt-qemu does not drive yet"
            )
        slots = [s for s in monitor.execute("query-hotpluggable-cpus") if "qom-path" not in s]
        slots.sort(key=lambda s: tuple(sorted(s["props"].items())))
        for n, slot in enumerate(slots[: count - current]):
            monitor.execute("device_add", {"driver": slot["type"], "id": f"vcpu{current + n}", **slot["props"]})
            live.current_vcpus = current + n + 1
        write_status(self.drv.layout.status_file(obj.name), obj)

    def domain_get_vcpus_count(self, uuid: str, scope: ModifyScope) -> int:
        obj = self.drv.get(uuid)
        use_config = bool(scope & ModifyScope.CONFIG) or not obj.active
        dfn = (obj.persistent or obj.definition) if use_config else obj.definition
        return dfn.vcpus if scope & ModifyScope.MAXIMUM else dfn.current_vcpus

    def domain_memory_stats(self, uuid: str) -> dict[str, int]:
        obj = self.drv.get(uuid)
        monitor = lifecycle.monitor_of(obj)
        stats = {"actual": int(monitor.execute("query-balloon")["actual"]) // 1024}
        rss = _rss_kib(obj.pid)
        if rss is not None:
            stats["rss"] = rss
        return stats


@contextlib.contextmanager
def _expecting(obj: DomainObj, reason: int) -> Iterator[None]:
    obj.expected_reason = reason
    try:
        yield
    finally:
        obj.expected_reason = None


def _set_max_memory(d: DomainDef, kib: int) -> None:
    d.memory_kib = kib
    if d.current_memory_kib > kib:
        d.current_memory_kib = kib


def _set_current_memory(d: DomainDef, kib: int) -> None:
    if kib > d.memory_kib:
        raise InvalidArgumentError("invalid argument: cannot set memory higher than max memory")
    d.current_memory_kib = kib


def _rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _not_found(what: str) -> NoDomainError:
    return NoDomainError(f"Domain not found: {what}", domain=ErrorDomain.QEMU)
