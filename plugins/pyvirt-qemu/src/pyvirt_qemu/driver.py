"""The QEMU driver's state for one directory tree: its domains, ids, event delivery and lock.

One :class:`QemuDriver` exists per root in a process, shared by every connection to it (as
libvirt's embedded driver is shared by the connections of one process); it is built on the
first open, where it loads every persistent config, finds running guests again from their
status files and starts the autostart ones, and is dropped after the last close.  A lock file
keeps a second process from driving the same root at the same time.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pyvirt.driver import EventSink
from pyvirt.errors import ConnectError, ErrorCode, ErrorDomain, NoDomainError
from pyvirt.files import remove, write_atomic
from pyvirt.log import get_logger
from pyvirt.types import (
    DomainEvent,
    DomainEventType,
    DomainRef,
    DomainState,
    PausedReason,
    RunningReason,
    ShutoffReason,
)
from pyvirt.xml.domain import DomainDef
from pyvirt_qemu import lifecycle, process
from pyvirt_qemu.domain import DomainObj, Status, persistent_of, read_status
from pyvirt_qemu.layout import Layout
from pyvirt_qemu.monitor import Monitor, MonitorError
from pyvirt_qemu.storage import Pools
from pyvirt_qemu.support import QEMU_NS

log = get_logger("pyvirt_qemu")

RECONNECT_TIMEOUT = 5.0


class QemuDriver:
    """Every domain under one :class:`Layout`."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.lock = threading.RLock()
        self.by_uuid: dict[str, DomainObj] = {}
        self.by_name: dict[str, DomainObj] = {}
        self._sinks: list[EventSink] = []
        self._events = ThreadPoolExecutor(1, thread_name_prefix="pyvirt-qemu-events")
        self._ids = itertools.count(1)
        self._lock_fd = -1
        self.pools = Pools(layout)

    # -- opening ------------------------------------------------------------------------------

    def open(self) -> None:
        self.layout.create()
        lock_path = self.layout.run / "driver.lock"
        self._lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            holder = lock_path.read_text().strip() or "?"
            raise ConnectError(
                f"the QEMU driver state under '{self.layout.run.parent.parent}'"
                f" is in use by another process (pid {holder})",
                code=ErrorCode.OPERATION_INVALID,
            ) from None
        os.ftruncate(self._lock_fd, 0)
        os.write(self._lock_fd, f"{os.getpid()}\n".encode())
        self.pools.load()
        self._load_configs()
        self._reconnect()
        self._autostart()

    def close(self) -> None:
        """Let go of every monitor and the lock; the guests keep running."""
        with self.lock:
            objs = list(self.by_uuid.values())
        for obj in objs:
            if obj.cancel_watch is not None:
                obj.cancel_watch()
            if obj.monitor is not None:
                obj.monitor.close()
                obj.monitor = None
        self._events.shutdown(wait=True)
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    def _load_configs(self) -> None:
        for path in sorted(self.layout.config.glob("*.xml")):
            try:
                dfn = DomainDef.from_xml(path.read_bytes(), namespaces=(QEMU_NS,))
            except Exception as exc:
                log.warning("skipping unreadable domain config", path=str(path), error=str(exc))
                continue
            obj = DomainObj(persistent=dfn, autostart=self.layout.autostart_link(dfn.name).exists())
            if self.layout.managed_save(dfn.name).exists():
                obj.reason = ShutoffReason.SAVED  # as libvirt reports such a domain after a restart
            self.add(obj)

    def _reconnect(self) -> None:
        """Find the guests that kept running while no process drove this root."""
        for path in sorted(self.layout.run.glob("*.xml")):
            try:
                status = read_status(path)
            except Exception as exc:
                log.warning("dropping unreadable status file", path=str(path), error=str(exc))
                remove(path)
                continue
            obj = self.by_uuid.get(status.live.uuid)
            if obj is None:
                obj = DomainObj(persistent=None, live=status.live)
                self.add(obj)
            if not process.is_same(status.pid, status.started) or not self._attach(obj, status):
                remove(path, Path(status.monitor_path), self.layout.pid_file(status.live.name))
                obj.state, obj.reason = DomainState.SHUTOFF, ShutoffReason.CRASHED
                obj.id = -1
                if obj.persistent is None:
                    self.forget(obj)
                else:
                    obj.live = None

    def _attach(self, obj: DomainObj, status: Status) -> bool:
        """Reconnect the monitor of a guest whose process is still the one we started."""
        live, domain_id = status.live, status.domain_id
        obj.live, obj.id, obj.pid, obj.started = live, domain_id, status.pid, status.started
        obj.monitor_path = status.monitor_path
        pid = status.pid
        monitor = Monitor(live.name, lambda name, data: self.submit(lifecycle.on_event, self, obj, name, data, pid))
        try:
            monitor.connect(status.monitor_path, RECONNECT_TIMEOUT)
            running = monitor.execute("query-status")
            lifecycle.refresh_live(obj, monitor)
        except MonitorError as exc:
            log.warning("cannot reconnect to a running guest; killing it", domain=live.name, error=exc.message)
            monitor.close()
            process.kill(status.pid)
            process.wait_gone(status.pid, 5)
            return False
        obj.monitor = monitor
        if running.get("running"):
            obj.state, obj.reason = (
                DomainState.RUNNING,
                status.reason if status.state == DomainState.RUNNING else RunningReason.UNPAUSED,
            )
        else:
            obj.state, obj.reason = (
                DomainState.PAUSED,
                status.reason if status.state == DomainState.PAUSED else PausedReason.UNKNOWN,
            )
        obj.cancel_watch = process.watch_exit(status.pid, lambda: self.submit(lifecycle.on_exit, self, obj, status.pid))
        if running.get("status") == "shutdown":  # the guest powered off while no driver watched
            self.submit(lifecycle.powered_off, self, obj, True)
        self._ids = itertools.count(max(domain_id + 1, next(self._ids)))
        return True

    def _autostart(self) -> None:
        """Start the autostart guests once per host boot, as libvirt does (its ``autostarted``
        marker): a later open of the root — the next pyvirsh, a restarted daemon — must not
        start again a guest its user has shut down since."""
        marker = self.layout.run / "autostarted"
        boot = _boot_id()
        try:
            if marker.read_text().strip() == boot:
                return
        except OSError:
            pass
        write_atomic(marker, boot + "\n", 0o644, durable=False)
        with self.lock:
            due = [o for o in self.by_uuid.values() if o.autostart and not o.active]
        for obj in due:
            try:
                with obj.job:
                    lifecycle.start(self, obj, paused=False)
                for event, detail in lifecycle.started_events(False):
                    self.emit(obj.ref, event, detail)
            except Exception as exc:
                log.warning("autostart failed", domain=obj.name, error=str(exc))

    # -- persistent configs -------------------------------------------------------------------

    def save_config(self, dfn: DomainDef) -> None:
        """Store ``dfn`` durably as its domain's persistent config."""
        write_atomic(self.layout.config_file(dfn.name), dfn.to_xml(inactive=True))

    def change_config(self, obj: DomainObj, change: Callable[[DomainDef], None]) -> None:
        """Apply ``change`` to a copy of the persistent definition, store it, then adopt it (a
        failed change or write leaves the domain's config as it was)."""
        new = persistent_of(obj).copy()
        change(new)
        new.invalidate()
        self.save_config(new)
        obj.persistent = new

    # -- bookkeeping --------------------------------------------------------------------------

    def add(self, obj: DomainObj) -> None:
        with self.lock:
            self.by_uuid[obj.uuid] = obj
            self.by_name[obj.name] = obj

    def forget(self, obj: DomainObj) -> None:
        with self.lock:
            self.by_uuid.pop(obj.uuid, None)
            if self.by_name.get(obj.name) is obj:
                del self.by_name[obj.name]

    def tap_names(self) -> set[str]:
        """Tap names this driver's running guests hold (a tap of a guest still starting may not
        be on the host yet)."""
        with self.lock:
            return {
                i.target_dev or ""
                for o in self.by_uuid.values()
                if o.live is not None and o.active
                for i in o.live.interfaces
                if i.type == "bridge"
            }

    def next_id(self) -> int:
        with self.lock:
            return next(self._ids)

    def get(self, uuid: str) -> DomainObj:
        with self.lock:
            obj = self.by_uuid.get(uuid)
        if obj is None:
            raise NoDomainError(f"Domain not found: no domain with matching uuid '{uuid}'", domain=ErrorDomain.QEMU)
        return obj

    # -- events -------------------------------------------------------------------------------

    def attach(self, sink: EventSink) -> None:
        with self.lock:
            self._sinks = [*self._sinks, sink]

    def detach(self, sink: EventSink) -> None:
        with self.lock:
            self._sinks = [s for s in self._sinks if s is not sink]

    def submit(self, fn: Callable[..., object], *args: object) -> None:
        """Run ``fn`` on the event thread: QMP events and exits are handled in arrival order,
        never on the loop thread (a subscriber may call back into the driver)."""
        with contextlib.suppress(RuntimeError):  # shut down: the driver is closing
            self._events.submit(fn, *args)

    def settle_events(self, monitor: Monitor) -> None:
        """Wait until the events ``monitor`` received so far are handled (never call it on the
        event thread): a command that pauses and resumes the guest itself (``savevm``) leaves
        the domain's state as it was only once its STOP and RESUME are through."""
        monitor.settle()
        with contextlib.suppress(RuntimeError):  # shut down: nothing is left to handle
            self._events.submit(lambda: None).result()

    def emit(self, ref: DomainRef, event: DomainEventType, detail: int) -> None:
        for sink in self._sinks:
            sink(DomainEvent(ref, event, int(detail)))


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "unknown"


_drivers: dict[Path, tuple[QemuDriver, int]] = {}
_drivers_lock = threading.Lock()


def acquire(key: Path, layout: Callable[[], Layout], resident: bool = False) -> QemuDriver:
    """The driver for ``key`` (opened on first use), with one more reference.

    ``resident`` (inside pyvirtd) keeps one reference for the life of the process: the daemon
    keeps watching its guests while no client is connected, as libvirtd does.
    """
    with _drivers_lock:
        found = _drivers.get(key)
        if found is None:
            drv = QemuDriver(layout())
            drv.open()
            found = (drv, 1 if resident else 0)
        _drivers[key] = (found[0], found[1] + 1)
        return found[0]


def release(key: Path) -> None:
    with _drivers_lock:
        drv, refs = _drivers[key]
        if refs > 1:
            _drivers[key] = (drv, refs - 1)
            return
        del _drivers[key]
    drv.close()
