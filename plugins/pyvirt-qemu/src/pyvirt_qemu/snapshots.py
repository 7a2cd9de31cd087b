"""qcow2 snapshots, as libvirt's QEMU driver takes them.

* Internal (the default): every writable disk must be qcow2.  A running guest is snapshotted by
  QEMU itself (HMP ``savevm``: disks and memory into the qcow2 files), reverted with ``loadvm``
  and deleted with ``delvm``; an inactive one through ``qemu-img snapshot`` on each disk.  A
  running snapshot reverted while the guest is off boots QEMU with ``-loadvm``.
* External disk-only: each disk gets a new qcow2 overlay whose backing file is the old image
  (``blockdev-snapshot-sync`` while running, ``qemu-img create -b`` while off), and the domain's
  live and persistent XML point at the overlay.  As in libvirt 9.0, reverting to one is refused
  and deleting one merges its overlay into the image below (:mod:`pyvirt_qemu.external_delete`).

The metadata is libvirt's ``<domainsnapshot>`` document, one file per snapshot under
``lib/snapshot/<domain>/`` plus a ``current`` file naming the current one, all written atomically.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from pyvirt.errors import (
    ErrorCode,
    ErrorDomain,
    InvalidArgumentError,
    NoDomainSnapshotError,
    OperationFailedError,
    OperationInvalidError,
    UnsupportedError,
)
from pyvirt.files import remove, write_atomic
from pyvirt.log import get_logger
from pyvirt.types import (
    DomainEventType,
    DomainState,
    RunningReason,
    ShutoffReason,
    SnapshotCreateFlags,
    StartedDetail,
)
from pyvirt.xml.domain import DomainDef
from pyvirt.xml.snapshot import SnapshotDef, SnapshotDisk
from pyvirt_qemu import external_delete, lifecycle, qemuimg
from pyvirt_qemu.domain import DomainObj, write_status

if TYPE_CHECKING:
    from pyvirt_qemu.driver import QemuDriver

log = get_logger("pyvirt_qemu")

_STATE_NAMES = {DomainState.RUNNING: "running", DomainState.PAUSED: "paused"}

_CREATE_FLAGS = (
    SnapshotCreateFlags.REDEFINE
    | SnapshotCreateFlags.CURRENT
    | SnapshotCreateFlags.HALT
    | SnapshotCreateFlags.DISK_ONLY
    | SnapshotCreateFlags.ATOMIC
    | SnapshotCreateFlags.LIVE
    | SnapshotCreateFlags.VALIDATE
)
"""What this driver takes: NO_METADATA, REUSE_EXT and QUIESCE (a guest agent) it does not do."""


class SnapshotCalls:
    """Snapshot calls of :class:`~pyvirt_qemu.connection.QemuConnection`."""

    drv: QemuDriver

    def domain_snapshot_create(self, uuid: str, xml: str, flags: SnapshotCreateFlags) -> str:
        unsupported = flags & ~_CREATE_FLAGS
        if unsupported:
            raise InvalidArgumentError(
                f"unsupported flags (0x{int(unsupported):x}) in function qemuDomainSnapshotCreateXML",
                domain=ErrorDomain.QEMU,
            )
        obj = self.drv.get(uuid)
        with obj.job:
            store = Store(self.drv, obj)
            if flags & SnapshotCreateFlags.HALT and obj.persistent is None:
                raise OperationInvalidError(
                    "Requested operation is not valid: cannot halt after transient domain snapshot",
                    domain=ErrorDomain.QEMU,
                )
            if flags & SnapshotCreateFlags.REDEFINE:
                return _redefine(store, obj, xml, flags)
            request = SnapshotDef.from_request(xml)
            _check_name(request.name)
            if flags & SnapshotCreateFlags.LIVE:
                raise UnsupportedError(
                    "Operation not supported: live snapshot creation is supported only during full system snapshots",
                    code=ErrorCode.OPERATION_UNSUPPORTED,
                    domain=ErrorDomain.QEMU,
                )
            if request.name in store.names():
                raise OperationInvalidError(
                    f"Requested operation is not valid: domain snapshot '{request.name}' already exists",
                    domain=ErrorDomain.QEMU,
                )
            external = bool(flags & SnapshotCreateFlags.DISK_ONLY) or request.external
            _check_disk_choices(obj.definition, request, external)
            dfn = obj.definition
            snap = dataclasses.replace(
                request,
                state="disk-snapshot" if external else _STATE_NAMES.get(obj.state, "shutoff"),
                parent=store.current(),
                memory="no" if external or not obj.active else "internal",
                domain_xml=dfn.to_xml(inactive=not obj.active),
            )
            if external:
                snap = snap.with_disks(_external(self.drv, obj, request))
            else:
                snap = snap.with_disks(_internal(self.drv, obj, request.name))
            store.write(snap)
            store.set_current(snap.name)
            if flags & SnapshotCreateFlags.HALT and obj.active:
                lifecycle.destroy(self.drv, obj, ShutoffReason.FROM_SNAPSHOT)
        return snap.name

    def domain_snapshot_list(self, uuid: str) -> list[str]:
        return Store(self.drv, self.drv.get(uuid)).names()

    def domain_snapshot_current(self, uuid: str) -> str | None:
        return Store(self.drv, self.drv.get(uuid)).current()

    def domain_snapshot_get_xml(self, uuid: str, name: str) -> str:
        return Store(self.drv, self.drv.get(uuid)).read(name).to_xml()

    def domain_snapshot_revert(self, uuid: str, name: str) -> None:
        drv = self.drv
        obj = drv.get(uuid)
        with obj.job:
            store = Store(drv, obj)
            snap = store.read(name)
            if snap.external:
                raise UnsupportedError(
                    "unsupported configuration: revert to external snapshot not supported yet",
                    code=ErrorCode.CONFIG_UNSUPPORTED,
                    domain=ErrorDomain.QEMU,
                )
            if snap.state in ("running", "paused"):
                was_active = obj.active
                if was_active:
                    _hmp(drv, obj, f"loadvm {name}")
                else:
                    lifecycle.start(drv, obj, paused=True, extra_args=("-loadvm", name))
                if snap.state == "running" and obj.state == DomainState.PAUSED:
                    lifecycle.monitor_of(obj).execute("cont")
                with drv.lock:
                    obj.state = DomainState.RUNNING if snap.state == "running" else DomainState.PAUSED
                    obj.reason = RunningReason.FROM_SNAPSHOT
                    write_status(drv.layout.status_file(obj.name), obj)
                if not was_active:
                    drv.emit(obj.ref, DomainEventType.STARTED, StartedDetail.FROM_SNAPSHOT)
            else:
                if obj.active:
                    lifecycle.destroy(drv, obj, ShutoffReason.FROM_SNAPSHOT)
                for path in _qcow2_disks(drv, obj, for_snapshot=False):
                    qemuimg.snapshot("-a", name, path)
            store.set_current(name)

    def domain_snapshot_delete(self, uuid: str, name: str) -> None:
        drv = self.drv
        obj = drv.get(uuid)
        with obj.job:
            store = Store(drv, obj)
            snap = store.read(name)
            if snap.external:
                merged = external_delete.discard(drv, obj, store, snap)
            elif obj.active:
                _hmp(drv, obj, f"delvm {name}")
            else:
                for path in _qcow2_disks(drv, obj, for_snapshot=False):
                    try:
                        qemuimg.snapshot("-d", name, path)
                    except OperationFailedError as exc:  # libvirt goes on with the other disks too
                        log.warning("skipping snapshot deletion in an image", path=path, error=exc.message)
            for other in store.names():
                child = store.read(other)
                if child.parent == name:
                    child = dataclasses.replace(child, parent=snap.parent)
                    if snap.external:
                        child = external_delete.repoint(child, merged)
                    store.write(child)
            store.delete(name)
            if store.current() == name:
                store.set_current(snap.parent)


class Store:
    """One domain's snapshot metadata files."""

    def __init__(self, drv: QemuDriver, obj: DomainObj) -> None:
        self.dir = drv.layout.snapshot_dir(obj.name)
        self.domain = obj.name

    def names(self) -> list[str]:
        """Oldest first (creation time, then name)."""
        snaps = [self.read(p.stem) for p in self.dir.glob("*.xml")] if self.dir.is_dir() else []
        return [s.name for s in sorted(snaps, key=lambda s: (s.creation_time, s.name))]

    def read(self, name: str) -> SnapshotDef:
        try:
            return SnapshotDef.from_xml((self.dir / f"{name}.xml").read_text())
        except (OSError, ValueError):
            raise NoDomainSnapshotError(
                f"Domain snapshot not found: no domain snapshot with matching name '{name}'",
                domain=ErrorDomain.DOMAIN_SNAPSHOT,
            ) from None

    def write(self, snap: SnapshotDef) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self.dir / f"{snap.name}.xml", snap.to_xml())

    def delete(self, name: str) -> None:
        remove(self.dir / f"{name}.xml")

    def current(self) -> str | None:
        try:
            return (self.dir / "current").read_text().strip() or None
        except OSError:
            return None

    def set_current(self, name: str | None) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self.dir / "current", (name or "") + "\n")


def _check_name(name: str) -> None:
    if "/" in name or name.startswith(".") or name == "current" or any(c.isspace() for c in name):
        raise InvalidArgumentError(f"invalid argument: invalid snapshot name '{name}'", domain=ErrorDomain.QEMU)


def _redefine(store: Store, obj: DomainObj, xml: str, flags: SnapshotCreateFlags) -> str:
    """Store a full snapshot document as it stands; the images are not touched."""
    from pyvirt.xml.snapshot_redefine import parse_redefinition

    known = {name: store.read(name) for name in store.names()}
    snap = parse_redefinition(xml, domain_uuid=obj.uuid, snapshots=known, flags=flags, domain=ErrorDomain.QEMU)
    _check_name(snap.name)
    store.write(snap)
    if flags & SnapshotCreateFlags.CURRENT:
        store.set_current(snap.name)
    return snap.name


def _check_disk_choices(dfn: DomainDef, request: SnapshotDef, external: bool) -> None:
    """libvirt's rules for per-disk choices (``--diskspec``): known disks, no mixing of internal
    and external, an internal snapshot covers every writable disk, a disk-only one at least one."""
    names = {d.target_dev: d for d in dfn.disks}
    for disk in request.disks:
        if disk.name not in names:
            raise UnsupportedError(
                f"unsupported configuration: no disk named '{disk.name}'",
                code=ErrorCode.CONFIG_UNSUPPORTED,
                domain=ErrorDomain.QEMU,
            )
    modes = {d.snapshot for d in request.disks}
    if "internal" in modes and (external or "external" in modes):
        raise UnsupportedError(
            "unsupported configuration: mixing internal and external targets for a snapshot is not yet supported",
            code=ErrorCode.CONFIG_UNSUPPORTED,
            domain=ErrorDomain.QEMU,
        )
    excluded = [d.name for d in request.disks if d.snapshot == "no" and names[d.name].element.find("readonly") is None]
    if not external and excluded:
        raise UnsupportedError(
            "unsupported configuration: internal and full system snapshots require all disks to be selected"
            " for snapshot",
            code=ErrorCode.CONFIG_UNSUPPORTED,
            domain=ErrorDomain.QEMU,
        )
    chosen = {d.name: d.snapshot for d in request.disks}
    writable = [d.target_dev for d in dfn.disks if d.device == "disk" and d.element.find("readonly") is None]
    if external and all(chosen.get(name) == "no" for name in writable):
        raise UnsupportedError(
            "unsupported configuration: disk-only snapshots require at least one disk to be selected for snapshot",
            code=ErrorCode.CONFIG_UNSUPPORTED,
            domain=ErrorDomain.QEMU,
        )


def _hmp(drv: QemuDriver, obj: DomainObj, command: str) -> None:
    """An HMP command through QMP; HMP reports failure only as text, which is then the error.

    ``savevm`` and ``loadvm`` stop the guest and start it again themselves: the command
    returns once the STOP and RESUME they caused are handled, so the caller reads (and sets)
    the state after them, never before a late one."""
    monitor = lifecycle.monitor_of(obj)
    said = monitor.execute("human-monitor-command", {"command-line": command})
    drv.settle_events(monitor)
    if isinstance(said, str) and said.strip():
        raise OperationFailedError(
            f"operation failed: Failed to run '{command}': {said.strip()}", domain=ErrorDomain.QEMU
        )


def _qcow2_disks(drv: QemuDriver, obj: DomainObj, for_snapshot: bool) -> list[str]:
    """Host files of the writable disks; internal snapshots need every one of them in qcow2."""
    paths = lifecycle.disk_paths(drv, obj)
    out = []
    for disk in obj.definition.disks:
        el = disk.element
        if disk.device != "disk" or el.find("readonly") is not None or disk.target_dev not in paths:
            continue
        driver = el.find("driver")
        fmt = driver.get("type", "raw") if driver is not None else "raw"
        if fmt != "qcow2":
            raise UnsupportedError(
                f"unsupported configuration: internal snapshot for disk {disk.target_dev} unsupported"
                f" for storage type {fmt}",
                domain=ErrorDomain.QEMU,
            )
        out.append(paths[disk.target_dev])
    if for_snapshot and not out:
        raise UnsupportedError(
            "unsupported configuration: internal snapshots need at least one writable qcow2 disk",
            domain=ErrorDomain.QEMU,
        )
    return out


def _internal(drv: QemuDriver, obj: DomainObj, name: str) -> tuple[SnapshotDisk, ...]:
    """Take the snapshot inside every qcow2 file: by QEMU while running, by qemu-img while off."""
    paths = _qcow2_disks(drv, obj, for_snapshot=True)
    if obj.active:
        _hmp(drv, obj, f"savevm {name}")
    else:
        done: list[str] = []
        try:
            for path in paths:
                qemuimg.snapshot("-c", name, path)
                done.append(path)
        except BaseException:
            for path in done:
                qemuimg.snapshot("-d", name, path)
            raise
    return tuple(
        SnapshotDisk(d.target_dev, "internal" if d.element.find("readonly") is None else "no")
        for d in obj.definition.disks
        if d.device == "disk"
    )


def _external(drv: QemuDriver, obj: DomainObj, request: SnapshotDef) -> tuple[SnapshotDisk, ...]:
    """Put each writable disk on a new qcow2 overlay and point the domain's XML at it."""
    wanted = {d.name: d for d in request.disks}
    paths = lifecycle.disk_paths(drv, obj)
    out: list[SnapshotDisk] = []
    for disk in obj.definition.disks:
        target = disk.target_dev
        asked = wanted.get(target)
        if disk.device != "disk" or disk.element.find("readonly") is not None or target not in paths:
            continue
        if asked is not None and asked.snapshot == "no":
            out.append(SnapshotDisk(target, "no"))
            continue
        base = paths[target]
        driver = disk.element.find("driver")
        fmt = driver.get("type", "raw") if driver is not None else "raw"
        overlay = asked.file if asked is not None and asked.file else f"{Path(base).with_suffix('')}.{request.name}"
        if Path(overlay).exists():
            raise OperationInvalidError(
                f"Requested operation is not valid: external snapshot file for disk {target} already exists"
                f" and is not a block device: {overlay}",
                domain=ErrorDomain.QEMU,
            )
        if obj.active:
            alias = disk.element.find("alias")
            device = f"drive-{alias.get('name') if alias is not None else ''}"
            lifecycle.monitor_of(obj).execute(
                "blockdev-snapshot-sync", {"device": device, "snapshot-file": overlay, "format": "qcow2"}
            )
        else:
            qemuimg.overlay(overlay, base, fmt)
        external_delete.point_disk(drv, obj, target, overlay, "qcow2")
        out.append(SnapshotDisk(target, "external", overlay, "qcow2"))
    if not out:
        raise OperationInvalidError(
            "Requested operation is not valid: no disk to take an external snapshot of", domain=ErrorDomain.QEMU
        )
    return tuple(out)
