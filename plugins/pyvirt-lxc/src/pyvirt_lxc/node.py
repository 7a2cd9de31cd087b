"""One driver root as the process sees it: its domains, what runs, and who listens.

Every connection of this process to the same root shares one :class:`Node` (so events reach
them all and a container is never tracked twice); a lock file keeps other processes out of the
root while it is open, as libvirt's embedded drivers do.  Opening a root reads its configs and
runtime records back: a record whose init still runs is a running container again, one whose
init is gone is cleaned up (cgroup, veths, files) and becomes shut off.  A watcher thread waits
on the inits' pidfds so a container that stops on its own is noticed at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass

from pyvirt.errors import ConnectError, ErrorCode
from pyvirt.log import get_logger
from pyvirt.types import DomainEvent, DomainEventType, DomainRef, ShutoffReason, StoppedDetail
from pyvirt.xml.domain import DomainDef
from pyvirt_lxc import cgroups, launch, netdev, procs
from pyvirt_lxc.store import Runtime, Store

log = get_logger("pyvirt.lxc")

EventSink = Callable[[DomainEvent], None]
Restart = Callable[["Node", "Entry", DomainDef], None]


def _asked_to_reboot(exit_info: dict[str, int | None] | None) -> bool:
    status = exit_info.get("status") if exit_info else None
    return status is not None and os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGHUP


@dataclass
class Entry:
    """A domain: its persistent config (``None`` if transient) and, while it runs, its
    runtime record and the definition it was started with."""

    config: DomainDef | None
    live: DomainDef | None = None
    runtime: Runtime | None = None
    autostart: bool = False
    shutoff_reason: ShutoffReason = ShutoffReason.UNKNOWN
    stopping: str | None = None

    @property
    def current(self) -> DomainDef:
        found = self.live or self.config
        assert found is not None
        return found

    @property
    def name(self) -> str:
        return self.current.name

    @property
    def uuid(self) -> str:
        return self.current.uuid

    def ref(self) -> DomainRef:
        return DomainRef(self.name, self.uuid, self.runtime.id if self.runtime else -1)


class Node:
    """Shared state of one root; see the module docstring."""

    _open: dict[str, Node] = {}
    _open_lock = threading.Lock()

    def __init__(self, key: str, store: Store, scope: str) -> None:
        self.key = key
        self.store = store
        self.scope = scope
        self.layout = cgroups.detect()
        self.lock = threading.RLock()
        self.entries: dict[str, Entry] = {}
        self.sinks: list[EventSink] = []
        self.users = 0
        self._lock_fd = -1
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._stop = False
        self._watcher: threading.Thread | None = None
        self.restart: Restart = self._no_restart
        """Starts a container again after a reboot inside it (``reboot`` in a PID namespace
        ends its init with SIGHUP); the driver sets it."""

    # -- opening and closing ------------------------------------------------------------------

    @classmethod
    def acquire(
        cls, key: str, make_store: Callable[[], Store], scope: str, first_open: Callable[[Node], None], restart: Restart
    ) -> Node:
        """The node of root ``key``, loaded on its first open in this process."""
        with cls._open_lock:
            node = cls._open.get(key)
            if node is None:
                node = cls(key, make_store(), scope)
                node.restart = restart
                node._take_root()
                try:
                    node._load()
                except BaseException:
                    node._release_root()
                    raise
                cls._open[key] = node
                node.users = 1
                first_open(node)
                node._start_watcher()
            else:
                node.users += 1
            return node

    def release(self) -> None:
        with Node._open_lock:
            self.users -= 1
            if self.users > 0:
                return
            del Node._open[self.key]
        self._stop = True
        self.wake()
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(timeout=5)  # (an event callback may close the last connection)
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)
        self._release_root()

    def _take_root(self) -> None:
        path = os.path.join(self.store.run_dir, "driver.lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ConnectError(
                f"cannot open LXC root '{self.key}': another process has it open", code=ErrorCode.OPEN_FAILED
            ) from None
        self._lock_fd = fd

    def _release_root(self) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    # -- loading ------------------------------------------------------------------------------

    def _load(self) -> None:
        for name in self.store.config_names():
            try:
                definition = DomainDef.from_xml(self.store.read_config(name))
            except Exception as exc:
                log.warning("skipping unreadable domain config", name=name, error=str(exc))
                continue
            self.entries[definition.uuid] = Entry(definition, autostart=self.store.autostart(name))
        for name in self.store.running_names():
            try:
                runtime, live_xml = self.store.read_runtime(name)
                live = DomainDef.from_xml(live_xml)
            except Exception as exc:
                # e.g. a record from before the domain ID became the init's PID: its container,
                # if it still runs, is no longer tracked; the PID is logged so it can be killed
                log.warning(
                    "dropping unreadable runtime record; its container may still run untracked",
                    name=name,
                    init_pid=self.store.recorded_init_pid(name),
                    error=str(exc),
                )
                self.store.clear_runtime(name)
                continue
            entry = self.entries.get(live.uuid)
            if entry is None:
                entry = self.entries[live.uuid] = Entry(None)
            entry.live, entry.runtime = live, runtime
            if not procs.alive(runtime.init_pid, runtime.init_start):
                self.finish(entry, None)

    # -- events -------------------------------------------------------------------------------

    def emit(self, entry: Entry | DomainRef, event: DomainEventType, detail: int) -> None:
        ref = entry if isinstance(entry, DomainRef) else entry.ref()
        for sink in list(self.sinks):
            sink(DomainEvent(ref, event, detail))

    # -- cgroups of a domain --------------------------------------------------------------------

    def cgroup(self, name: str) -> cgroups.ContainerCgroup:
        return cgroups.ContainerCgroup(self.layout, self.scope, name)

    # -- the end of a container -----------------------------------------------------------------

    def finish(self, entry: Entry, detail: StoppedDetail | None) -> None:
        """Clean up after a container whose init is gone (or was just killed) and report it.

        ``detail`` is the stop event's detail; ``None`` works it out from the exit status the
        monitor left (and emits nothing while loading, before anyone listens).
        """
        runtime = entry.runtime
        if runtime is None:
            return
        name = entry.name
        ref = entry.ref()
        if runtime.monitor_pid:
            started = procs.start_time(runtime.monitor_pid)
            if started is not None:
                procs.wait_gone(runtime.monitor_pid, started, 5.0)
            launch.reap_monitor(runtime.monitor_pid)
        cg = self.cgroup(name)
        with contextlib.suppress(Exception):
            cg.kill_all()
        with contextlib.suppress(Exception):
            netdev.unplug(netdev.existing(runtime.host_links))
        try:
            cg.remove()
        except Exception as exc:
            log.warning("cgroup left behind", name=name, error=str(exc))
        live = entry.live
        rebooted = False
        if detail is None:
            exit_info = self.store.read_exit(name)
            detail = self._detail_from_exit(entry, exit_info)
            rebooted = entry.stopping is None and _asked_to_reboot(exit_info) and live is not None
        self.store.clear_runtime(name)
        entry.runtime, entry.live, entry.stopping = None, None, None
        if rebooted and live is not None and live.root.findtext("on_reboot", "restart") == "restart":
            try:
                self.restart(self, entry, live)
                return
            except Exception as exc:
                log.warning("restart after a reboot inside the container failed", name=name, error=str(exc))
                detail = StoppedDetail.FAILED
        entry.shutoff_reason = {
            StoppedDetail.SHUTDOWN: ShutoffReason.SHUTDOWN,
            StoppedDetail.DESTROYED: ShutoffReason.DESTROYED,
            StoppedDetail.CRASHED: ShutoffReason.CRASHED,
            StoppedDetail.FAILED: ShutoffReason.FAILED,
        }.get(detail, ShutoffReason.UNKNOWN)
        if entry.config is None:
            del self.entries[ref.uuid]
        self.emit(ref, DomainEventType.STOPPED, detail)

    @staticmethod
    def _no_restart(node: Node, entry: Entry, live: DomainDef) -> None:
        raise RuntimeError("this node cannot restart containers")

    @staticmethod
    def _detail_from_exit(entry: Entry, exit_info: dict[str, int | None] | None) -> StoppedDetail:
        if entry.stopping == "shutdown":
            return StoppedDetail.SHUTDOWN
        status = exit_info.get("status") if exit_info else None
        if status is None:
            return StoppedDetail.SHUTDOWN if exit_info else StoppedDetail.CRASHED
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            return StoppedDetail.SHUTDOWN
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            return StoppedDetail.SHUTDOWN
        return StoppedDetail.CRASHED

    def refresh(self, entry: Entry) -> None:
        """Notice a container that stopped since we last looked (the watcher may be behind)."""
        runtime = entry.runtime
        if runtime is not None and not procs.alive(runtime.init_pid, runtime.init_start):
            self.finish(entry, None)

    # -- watching -----------------------------------------------------------------------------

    def wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wake_w, b"x")

    def _start_watcher(self) -> None:
        self._watcher = threading.Thread(target=self._watch, name=f"pyvirt-lxc watcher {self.key}", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        fds: dict[int, tuple[int, int]] = {}
        try:
            while not self._stop:
                with self.lock:
                    wanted = {(e.runtime.init_pid, e.runtime.init_start) for e in self.entries.values() if e.runtime}
                for fd, key in list(fds.items()):
                    if key not in wanted:
                        os.close(fd)
                        del fds[fd]
                for key in wanted - set(fds.values()):
                    try:
                        fds[os.pidfd_open(key[0])] = key
                    except ProcessLookupError:
                        self._reap_all()
                poller = select.poll()
                poller.register(self._wake_r, select.POLLIN)
                for fd in fds:
                    poller.register(fd, select.POLLIN)
                ready = poller.poll()
                if any(fd == self._wake_r for fd, _ in ready):
                    with contextlib.suppress(BlockingIOError):
                        os.read(self._wake_r, 4096)
                if any(fd in fds for fd, _ in ready):
                    self._reap_all()
        finally:
            for fd in fds:
                os.close(fd)

    def _reap_all(self) -> None:
        with self.lock:
            for entry in list(self.entries.values()):
                try:
                    self.refresh(entry)
                except Exception as exc:
                    log.warning("cleanup after a stopped container failed", name=entry.name, error=str(exc))
