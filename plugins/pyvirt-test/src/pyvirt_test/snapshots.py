"""Snapshots, statistics and managed save as libvirt 9.0's test driver does them.

Nothing is copied anywhere: a snapshot is metadata (the ``<domainsnapshot>`` document with the
domain's XML at that moment) and reverting moves the domain to the snapshot's run state, as in
libvirt's test driver.  Counters are made from the clock, with libvirt's divisors, so each
read gives larger numbers, as a real guest's would.
"""

from __future__ import annotations

import time

from pyvirt.errors import ErrorDomain, InvalidArgumentError, NoDomainSnapshotError, OperationInvalidError
from pyvirt.types import DomainEvent, DomainEventType, DomainState
from pyvirt_test.domains import check_active, start_domain
from pyvirt_test.state import DomainObj, NodeState

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:  # values pyvirt.types loads on first use: imported where a call needs them
    from pyvirt.types import (
        BlockStats,
        InterfaceStats,
        SnapshotCreateFlags,
    )
    from pyvirt.xml.snapshot import SnapshotDef
    from pyvirt_test.domains import Events

_STATE_NAMES = {DomainState.RUNNING: "running", DomainState.PAUSED: "paused", DomainState.SHUTOFF: "shutoff"}


def _create_flags() -> int:
    """The flags libvirt 9.0's test driver takes (DISK_ONLY, REUSE_EXT and NO_METADATA it refuses)."""
    from pyvirt.types import SnapshotCreateFlags

    return (
        SnapshotCreateFlags.REDEFINE
        | SnapshotCreateFlags.CURRENT
        | SnapshotCreateFlags.HALT
        | SnapshotCreateFlags.QUIESCE
        | SnapshotCreateFlags.ATOMIC
        | SnapshotCreateFlags.LIVE
        | SnapshotCreateFlags.VALIDATE
    )


class SnapshotCalls:
    """Mixed into :class:`~pyvirt_test.driver.TestConnection`."""

    _state: NodeState

    def _obj(self, uuid: str) -> DomainObj:
        from pyvirt_test.domains import domain_by_uuid

        return domain_by_uuid(self._state, uuid)

    # -- snapshots ----------------------------------------------------------------------------

    def domain_snapshot_create(self, uuid: str, xml: str, flags: SnapshotCreateFlags) -> str:
        """libvirt 9.0's test driver: REDEFINE (with CURRENT) and HALT are honoured, QUIESCE,
        ATOMIC, LIVE and VALIDATE accepted as having nothing to do, the rest refused."""
        from pyvirt.types import ShutoffReason, SnapshotCreateFlags, StoppedDetail

        unsupported = flags & ~_create_flags()
        if unsupported:
            raise InvalidArgumentError(
                f"unsupported flags (0x{int(unsupported):x}) in function testDomainSnapshotCreateXML",
                domain=ErrorDomain.TEST,
            )
        # pyvirt.xml (and lxml) load on the first snapshot call, not with the driver: most
        # commands on test:///default parse no XML at all.
        from pyvirt.xml.snapshot import SnapshotDef, SnapshotDisk

        redefine = bool(flags & SnapshotCreateFlags.REDEFINE)
        request = None if redefine else SnapshotDef.from_request(xml)
        state = self._state
        events: Events = []
        with state.lock:
            obj = self._obj(uuid)
            if flags & SnapshotCreateFlags.HALT and obj.config is None:
                raise OperationInvalidError(
                    "Requested operation is not valid: cannot halt after transient domain snapshot",
                    domain=ErrorDomain.TEST,
                )
            if request is None:
                from pyvirt.xml.snapshot_redefine import parse_redefinition

                snap = parse_redefinition(
                    xml,
                    domain_uuid=obj.uuid,
                    snapshots=obj.snapshots,
                    flags=flags,
                    domain=ErrorDomain.TEST,
                )
                obj.snapshots[snap.name] = snap
                if flags & SnapshotCreateFlags.CURRENT:
                    obj.current_snapshot = snap.name
                return snap.name
            if request.name in obj.snapshots:
                raise OperationInvalidError(
                    f"Requested operation is not valid: domain snapshot '{request.name}' already exists",
                    domain=ErrorDomain.TEST,
                )
            dfn = obj.current()
            snap = SnapshotDef(
                name=request.name,
                description=request.description,
                state=_STATE_NAMES.get(obj.state, "shutoff"),
                creation_time=request.creation_time,
                parent=obj.current_snapshot,
                memory="internal" if obj.active else "no",
                disks=tuple(SnapshotDisk(d.target_dev, "internal") for d in dfn.disks if d.device == "disk"),
                domain_xml=dfn.to_xml(inactive=not obj.active),
            )
            obj.snapshots[snap.name] = snap
            obj.current_snapshot = snap.name
            if flags & SnapshotCreateFlags.HALT and obj.active:
                state.mark_stopped(obj, ShutoffReason.FROM_SNAPSHOT)
                events = [DomainEvent(obj.ref, DomainEventType.STOPPED, StoppedDetail.FROM_SNAPSHOT)]
        state.emit(events)
        return snap.name

    def domain_snapshot_list(self, uuid: str) -> list[str]:
        with self._state.lock:
            return list(self._obj(uuid).snapshots)

    def domain_snapshot_current(self, uuid: str) -> str | None:
        with self._state.lock:
            return self._obj(uuid).current_snapshot

    def domain_snapshot_get_xml(self, uuid: str, name: str) -> str:
        with self._state.lock:
            return _snapshot(self._obj(uuid), name).to_xml()

    def domain_snapshot_revert(self, uuid: str, name: str) -> None:
        """The domain ends in the snapshot's state: started or stopped with reason
        ``from snapshot``, as libvirt's test driver does."""
        from pyvirt.types import RunningReason, ShutoffReason, StartedDetail, StoppedDetail

        state = self._state
        events: Events = []
        with state.lock:
            obj = self._obj(uuid)
            snap = _snapshot(obj, name)
            wants_running = snap.state in ("running", "paused")
            if wants_running and not obj.active:
                obj.share_config_as_live()
                events = start_domain(state, obj, RunningReason.FROM_SNAPSHOT, StartedDetail.FROM_SNAPSHOT)
            elif wants_running:
                obj.reason = RunningReason.FROM_SNAPSHOT
            elif obj.active:
                state.mark_stopped(obj, ShutoffReason.FROM_SNAPSHOT)
                events = [DomainEvent(obj.ref, DomainEventType.STOPPED, StoppedDetail.FROM_SNAPSHOT)]
            obj.current_snapshot = name
        state.emit(events)

    def domain_snapshot_delete(self, uuid: str, name: str) -> None:
        with self._state.lock:
            obj = self._obj(uuid)
            snap = _snapshot(obj, name)
            del obj.snapshots[name]
            for child, other in list(obj.snapshots.items()):
                if other.parent == name:
                    obj.snapshots[child] = other.with_parent(snap.parent)
            if obj.current_snapshot == name:
                obj.current_snapshot = snap.parent

    # -- statistics -----------------------------------------------------------------------------

    def domain_block_stats(self, uuid: str, disk: str) -> BlockStats:
        from pyvirt.types import BlockStats

        with self._state.lock:
            obj = self._obj(uuid)
            check_active(obj)
            if not any(disk in (d.target_dev, d.source) for d in obj.current().disks):
                raise InvalidArgumentError(f"invalid argument: invalid path: {disk}", domain=ErrorDomain.TEST)
        base = time.time_ns() // 10_000
        return BlockStats(base, base // 2, base // 3, base // 4, base // 200000)

    def domain_interface_stats(self, uuid: str, device: str) -> InterfaceStats:
        from pyvirt.types import InterfaceStats

        with self._state.lock:
            obj = self._obj(uuid)
            check_active(obj)
            if not any(device in (i.target_dev, i.mac) for i in obj.current().interfaces):
                raise InvalidArgumentError(
                    f"invalid argument: '{device}' is not a known interface", domain=ErrorDomain.TEST
                )
        base = time.time_ns() // 10_000
        return InterfaceStats(
            base, base // 10, base // 100000, base // 200000, base // 2, base // 11, base // 300000, base // 400000
        )

    def domain_stats(self, uuid: str) -> dict[str, int | str]:
        """libvirt's test driver reports the state group only."""
        with self._state.lock:
            obj = self._obj(uuid)
            return {"state.state": int(obj.state), "state.reason": int(obj.reason)}

    # -- managed save ---------------------------------------------------------------------------

    def domain_managed_save(self, uuid: str) -> None:
        from pyvirt.types import ShutoffReason, StoppedDetail

        state = self._state
        with state.lock:
            obj = self._obj(uuid)
            check_active(obj)
            if obj.config is None:
                raise OperationInvalidError(
                    "Requested operation is not valid: cannot do managed save for transient domain",
                    domain=ErrorDomain.TEST,
                )
            state.mark_stopped(obj, ShutoffReason.SAVED)
            obj.has_managed_save = True
            ref = obj.ref
        state.emit([DomainEvent(ref, DomainEventType.STOPPED, StoppedDetail.SAVED)])

    def domain_managed_save_remove(self, uuid: str) -> None:
        with self._state.lock:
            self._obj(uuid).has_managed_save = False


def _snapshot(obj: DomainObj, name: str) -> SnapshotDef:
    found = obj.snapshots.get(name)
    if found is None:
        raise NoDomainSnapshotError(
            f"Domain snapshot not found: no domain snapshot with matching name '{name}'", domain=ErrorDomain.TEST
        )
    return found
