"""Save a running domain to a file and restore it from there.

The image is a one-line header (``PYVIRT-QEMU-SAVE 1 <length>``), the domain's live XML of that
length, then QEMU's migration stream: QEMU writes the stream itself (``migrate`` to ``exec:``),
and restore feeds it back through ``-incoming defer`` + ``migrate-incoming``.
"""

from __future__ import annotations

import shlex
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pyvirt.errors import DomainExistsError, ErrorDomain, OperationFailedError
from pyvirt.types import (
    DomainEventType,
    DomainRef,
    DomainState,
    PausedReason,
    ResumedDetail,
    RunningReason,
    ShutoffReason,
    StartedDetail,
    SuspendedDetail,
)
from pyvirt.xml.domain import DomainDef
from pyvirt_qemu import lifecycle
from pyvirt_qemu.domain import DomainObj, write_status
from pyvirt_qemu.monitor import Monitor
from pyvirt_qemu.support import QEMU_NS

if TYPE_CHECKING:
    from pyvirt_qemu.driver import QemuDriver

MAGIC = "PYVIRT-QEMU-SAVE"
MIGRATION_TIMEOUT = 300.0


class SaveCalls:
    """Save and restore calls of :class:`~pyvirt_qemu.connection.QemuConnection`."""

    drv: QemuDriver

    def domain_save(self, uuid: str, path: str) -> None:
        obj = self.drv.get(uuid)
        with obj.job:
            save_to(self.drv, obj, Path(path))

    def domain_restore(self, path: str) -> DomainRef:
        dfn, offset = _read_header(Path(path))
        drv = self.drv
        with drv.lock:
            obj = drv.by_uuid.get(dfn.uuid)
            if obj is None:
                obj = DomainObj(persistent=None, live=dfn)
                drv.add(obj)
            elif obj.active:
                raise DomainExistsError(f"Requested operation is not valid: domain '{dfn.name}' is already active")
        with obj.job:
            _restore(drv, obj, dfn, Path(path), offset, paused=False)
        return obj.ref


def restore_into(drv: QemuDriver, obj: DomainObj, path: Path, paused: bool) -> None:
    """Start ``obj`` (its job held, inactive) from the image at ``path``."""
    dfn, offset = _read_header(path)
    _restore(drv, obj, dfn, path, offset, paused)


def save_to(drv: QemuDriver, obj: DomainObj, path: Path) -> None:
    """Save ``obj`` (its job held) to ``path`` and stop it: :meth:`SaveCalls.domain_save` and
    managed save alike."""
    monitor = lifecycle.monitor_of(obj)
    was_running = obj.state == DomainState.RUNNING
    if was_running:
        monitor.execute("stop")
        # reported here, not left to QEMU's STOP event, which could come after the stop below
        lifecycle.transition(
            drv, obj, DomainState.PAUSED, PausedReason.SAVE, DomainEventType.SUSPENDED, SuspendedDetail.PAUSED
        )
    assert obj.live is not None
    xml = obj.live.to_xml(inactive=False).encode()
    try:
        with open(path, "wb") as f:
            f.write(f"{MAGIC} 1 {len(xml)}\n".encode() + xml)
        monitor.execute("migrate", {"uri": f"exec:cat >> {shlex.quote(str(path))}"})
        _wait_migration(monitor)
    except BaseException:
        path.unlink(missing_ok=True)
        if was_running:
            monitor.execute("cont")
        raise
    lifecycle.destroy(drv, obj, ShutoffReason.SAVED)


def _read_header(path: Path) -> tuple[DomainDef, int]:
    try:
        with open(path, "rb") as f:
            head = f.readline(200).decode(errors="replace").split()
            if len(head) != 3 or head[0] != MAGIC:
                raise OperationFailedError(f"operation failed: '{path}' is not a pyvirt-qemu save image")
            xml = f.read(int(head[2]))
            offset = f.tell()
    except OSError as exc:
        raise OperationFailedError(f"operation failed: cannot read save image '{path}': {exc.strerror}") from exc
    return DomainDef.from_xml(xml, namespaces=(QEMU_NS,)), offset


def _restore(drv: QemuDriver, obj: DomainObj, dfn: DomainDef, path: Path, offset: int, paused: bool) -> None:
    """Events in libvirt's order: STARTED (restored), then SUSPENDED (paused) for a paused
    restore, else RESUMED with the detail libvirt gives a restored guest's start (from snapshot)."""
    lifecycle.start(drv, obj, paused=True, extra_args=("-incoming", "defer"), definition=dfn)
    monitor = lifecycle.monitor_of(obj)
    try:
        monitor.execute("migrate-incoming", {"uri": f"exec:tail -c +{offset + 1} {shlex.quote(str(path))}"})
        _wait_migration(monitor)
        with drv.lock:  # before ``cont``: QEMU's RESUME must not be reported ahead of STARTED
            obj.state = DomainState.PAUSED if paused else DomainState.RUNNING
            # paused: reason migration, as libvirt says of a guest its incoming migration left paused
            obj.reason = PausedReason.MIGRATION if paused else RunningReason.RESTORED
            write_status(drv.layout.status_file(obj.name), obj)
        if not paused:
            monitor.execute("cont")
    except BaseException:
        lifecycle.destroy(drv, obj, ShutoffReason.FAILED)
        raise
    drv.emit(obj.ref, DomainEventType.STARTED, StartedDetail.RESTORED)
    if paused:
        drv.emit(obj.ref, DomainEventType.SUSPENDED, SuspendedDetail.PAUSED)
    else:
        drv.emit(obj.ref, DomainEventType.RESUMED, ResumedDetail.FROM_SNAPSHOT)


def _wait_migration(monitor: Monitor) -> None:
    deadline = time.monotonic() + MIGRATION_TIMEOUT
    delay = 0.005
    while time.monotonic() < deadline:
        status = monitor.execute("query-migrate").get("status", "")
        if status == "completed":
            return
        if status in ("failed", "cancelled"):
            raise OperationFailedError(
                f"operation failed: migration to or from the save image {status}", domain=ErrorDomain.QEMU
            )
        if status == "" and monitor.execute("query-status").get("status") != "inmigrate":
            return  # an incoming migration reports nothing once it is over
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
    raise OperationFailedError("operation failed: migration timed out", domain=ErrorDomain.QEMU)
