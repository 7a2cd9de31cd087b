"""The LXC driver's connection: the driver interface over one :class:`~pyvirt_lxc.node.Node`.

``lxc:///embed?root=DIR`` keeps configs in ``DIR/config`` and runtime state in ``DIR/run``;
``lxc:///system`` (inside pyvirtd only) keeps them in ``/etc/pyvirt/lxc`` and
``/run/pyvirt/lxc``, as libvirt does under ``/etc/libvirt/lxc`` and ``/run/libvirt/lxc``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import signal
import subprocess
import uuid as uuid_module
from collections.abc import Sequence

from pyvirt.driver import DriverConnection, EventSink
from pyvirt.errors import (
    DomainExistsError,
    ErrorCode,
    ErrorDomain,
    InvalidArgumentError,
    NoDomainError,
    OperationInvalidError,
    UnsupportedError,
)
from pyvirt.filters import keeps
from pyvirt.hostinfo import free_memory, node_info
from pyvirt.log import get_logger
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
    StartedDetail,
    StoppedDetail,
    SuspendedDetail,
    UndefinedDetail,
)
from pyvirt.uri import URI
from pyvirt.xml.domain import DomainDef
from pyvirt_lxc import enter, hostinfo, initctl, launch, procs, spec
from pyvirt_lxc.cgroups import ContainerCgroup
from pyvirt_lxc.console import ConsoleCalls
from pyvirt_lxc.node import Entry, Node
from pyvirt_lxc.store import Runtime, Store

log = get_logger("pyvirt.lxc")

SYSTEM_CONFIG = "/etc/pyvirt/lxc"
SYSTEM_RUN = "/run/pyvirt/lxc"


def _invalid(message: str) -> OperationInvalidError:
    return OperationInvalidError(
        f"Requested operation is not valid: {message}", code=ErrorCode.OPERATION_INVALID, domain=ErrorDomain.DOMAIN
    )


def embed_scope(root: str) -> str:
    """The cgroup scope of an embedded root: two roots may hold containers of the same name."""
    return "embed-" + hashlib.sha256(os.path.realpath(root).encode()).hexdigest()[:12]


class LxcConnection(ConsoleCalls, DriverConnection):
    """An open ``lxc://`` connection."""

    name = "LXC"

    def __init__(self, uri: URI, events: EventSink, node: Node) -> None:
        super().__init__(uri, events)
        self._node = node
        self._closed = False
        with node.lock:
            node.sinks.append(events)

    @classmethod
    def open_embedded(cls, uri: URI, events: EventSink, root: str) -> LxcConnection:
        root = os.path.realpath(root)
        node = Node.acquire(
            root,
            lambda: Store(os.path.join(root, "config"), os.path.join(root, "run")),
            embed_scope(root),
            _autostart,
            _restart,
        )
        return cls(uri, events, node)

    @classmethod
    def open_system(cls, uri: URI, events: EventSink, root: str = "/") -> LxcConnection:
        """``lxc:///system``; ``root`` prefixes its directories (a daemon's private tree)."""
        config = os.path.join(root, SYSTEM_CONFIG.lstrip("/"))
        run = os.path.join(root, SYSTEM_RUN.lstrip("/"))
        scope = "system" if root == "/" else embed_scope(root)
        node = Node.acquire(f"system:{root}", lambda: Store(config, run), scope, _autostart, _restart)
        return cls(uri, events, node)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._node.lock:
            with contextlib.suppress(ValueError):
                self._node.sinks.remove(self.events)
        self._node.release()

    # -- host ---------------------------------------------------------------------------------

    def get_version(self) -> int:
        return hostinfo.kernel_version()

    def get_hostname(self) -> str:
        return hostinfo.hostname()

    def get_node_info(self) -> NodeInfo:
        return node_info()

    def get_free_memory(self) -> int:
        return free_memory()

    def get_capabilities(self) -> str:
        return hostinfo.capabilities(str(uuid_module.uuid5(uuid_module.NAMESPACE_URL, hostinfo.hostname())))

    # -- lookups ------------------------------------------------------------------------------

    def _entry(self, uuid: str) -> Entry:
        entry = self._node.entries.get(uuid)
        if entry is None:
            raise NoDomainError(f"Domain not found: no domain with matching uuid '{uuid}'", code=ErrorCode.NO_DOMAIN)
        self._node.refresh(entry)
        entry = self._node.entries.get(uuid)
        if entry is None:  # a transient container that just stopped
            raise NoDomainError(f"Domain not found: no domain with matching uuid '{uuid}'", code=ErrorCode.NO_DOMAIN)
        return entry

    def _running(self, uuid: str) -> Entry:
        entry = self._entry(uuid)
        if entry.runtime is None:
            raise _invalid("domain is not running")
        return entry

    def _state(self, entry: Entry) -> tuple[DomainState, int]:
        if entry.runtime is None:
            return DomainState.SHUTOFF, int(entry.shutoff_reason)
        if self._node.cgroup(entry.name).is_frozen():
            return DomainState.PAUSED, int(PausedReason.USER)
        return DomainState.RUNNING, int(RunningReason.BOOTED)

    def list_domains(self, filters: ListFilter) -> list[DomainRef]:
        with self._node.lock:
            for entry in list(self._node.entries.values()):
                self._node.refresh(entry)
            return [
                e.ref()
                for e in self._node.entries.values()
                if keeps(
                    filters,
                    active=e.runtime is not None,
                    persistent=e.config is not None,
                    autostart=e.autostart,
                    managed_save=False,
                    state=self._state(e)[0],
                )
            ]

    def domain_lookup_by_name(self, name: str) -> DomainRef:
        with self._node.lock:
            for entry in list(self._node.entries.values()):
                if entry.name == name:
                    return self._entry(entry.uuid).ref()
        raise NoDomainError(f"Domain not found: no domain with matching name '{name}'", code=ErrorCode.NO_DOMAIN)

    def domain_lookup_by_uuid(self, uuid: str) -> DomainRef:
        with self._node.lock:
            return self._entry(uuid).ref()

    def domain_lookup_by_id(self, domain_id: int) -> DomainRef:
        with self._node.lock:
            for entry in list(self._node.entries.values()):
                self._node.refresh(entry)
                if entry.runtime and entry.runtime.id == domain_id:
                    return entry.ref()
        raise NoDomainError(f"Domain not found: no domain with matching id {domain_id}", code=ErrorCode.NO_DOMAIN)

    # -- definitions ----------------------------------------------------------------------------

    def _parse(self, xml: str, validate: bool) -> DomainDef:
        definition = DomainDef.from_xml(xml, validate=validate)
        spec.from_definition(definition)  # refuse what can never run before it is stored
        return definition

    def _claim(self, definition: DomainDef) -> Entry | None:
        """The entry ``definition`` replaces, after libvirt's UUID-then-name checks."""
        same_uuid = self._node.entries.get(definition.uuid)
        if same_uuid is not None and same_uuid.name != definition.name:
            raise DomainExistsError(
                f"operation failed: domain '{same_uuid.name}' is already defined with uuid {definition.uuid}",
                code=ErrorCode.DOM_EXIST,
            )
        for entry in self._node.entries.values():
            if entry.name == definition.name and entry.uuid != definition.uuid:
                raise DomainExistsError(
                    f"operation failed: domain '{definition.name}' already exists with uuid {entry.uuid}",
                    code=ErrorCode.DOM_EXIST,
                )
        return same_uuid

    def domain_define_xml(self, xml: str, validate: bool) -> DomainRef:
        definition = self._parse(xml, validate)
        with self._node.lock:
            entry = self._claim(definition)
            self._node.store.save_config(definition.name, definition.to_xml(inactive=True))
            if entry is None:
                entry = self._node.entries[definition.uuid] = Entry(definition)
                detail = DefinedDetail.ADDED
            else:
                detail = DefinedDetail.ADDED if entry.config is None else DefinedDetail.UPDATED
                entry.config = definition
            self._node.emit(entry, DomainEventType.DEFINED, detail)
            return entry.ref()

    def domain_undefine(self, uuid: str, managed_save: bool = False) -> None:
        with self._node.lock:
            entry = self._entry(uuid)
            if entry.config is None:
                raise _invalid("cannot undefine transient domain")
            ref = entry.ref()
            self._node.store.remove_config(entry.config.name)
            entry.config, entry.autostart = None, False
            if entry.runtime is None:
                del self._node.entries[uuid]
            else:
                self._node.store.save_runtime(
                    entry.name, dataclasses.replace(entry.runtime, persistent=False), entry.current.to_xml()
                )
            self._node.emit(ref, DomainEventType.UNDEFINED, UndefinedDetail.REMOVED)

    def domain_create_xml(self, xml: str, validate: bool, paused: bool) -> DomainRef:
        definition = self._parse(xml, validate)
        with self._node.lock:
            entry = self._claim(definition)
            if entry is not None and entry.runtime is not None:
                raise _invalid(f"domain '{definition.name}' is already active")
            fresh = entry is None
            if entry is None:
                entry = self._node.entries[definition.uuid] = Entry(None)
            try:
                _start(self._node, entry, definition, paused)
            except BaseException:
                if fresh:
                    del self._node.entries[definition.uuid]
                raise
            return entry.ref()

    def domain_create(self, uuid: str, paused: bool) -> DomainRef:
        with self._node.lock:
            entry = self._entry(uuid)
            if entry.runtime is not None:
                raise _invalid("domain is already running")
            assert entry.config is not None
            _start(self._node, entry, entry.config, paused)
            return entry.ref()

    # -- lifecycle ------------------------------------------------------------------------------

    def domain_destroy(self, uuid: str) -> None:
        with self._node.lock:
            entry = self._running(uuid)
            _kill(self._node, entry)
            self._node.finish(entry, StoppedDetail.DESTROYED)

    def domain_shutdown(self, uuid: str) -> None:
        self.lxc_shutdown(uuid, None)

    def domain_reboot(self, uuid: str) -> None:
        self.lxc_reboot(uuid, None)

    def lxc_shutdown(self, uuid: str, mode: str | None) -> None:
        """Ask the init to power off and return, as libvirt's lxcDomainShutdownFlags does: an
        initctl request for runlevel 0 when the container has an initctl FIFO, else SIGTERM
        (``mode``: ``"initctl"`` or ``"signal"`` only; ``None`` tries both in that order).

        The container stops when its init exits: then the watcher reports STOPPED with detail
        SHUTDOWN and the state's reason is SHUTDOWN.  An init that ignores the request (a PID
        namespace's init ignores every signal it has no handler for) keeps running, as in
        libvirt; ``destroy`` stops it.
        """
        with self._node.lock:
            entry = self._running(uuid)
            self._ask_init(entry, mode, initctl.POWEROFF, signal.SIGTERM)
            entry.stopping = "shutdown"

    def lxc_reboot(self, uuid: str, mode: str | None) -> None:
        """Ask the init to reboot and return, as libvirt's lxcDomainReboot does: initctl runlevel
        6, else SIGHUP.  The container starts again when its init ends by SIGHUP (what
        ``reboot(2)`` in a PID namespace does to it), with a new init whose PID is the new ID."""
        with self._node.lock:
            self._ask_init(self._running(uuid), mode, initctl.REBOOT, signal.SIGHUP)

    @staticmethod
    def _ask_init(entry: Entry, mode: str | None, runlevel: int, sig: signal.Signals) -> None:
        if mode not in (None, "initctl", "signal"):
            raise InvalidArgumentError(
                f"invalid argument: unknown mode '{mode}' (initctl, signal)", code=ErrorCode.INVALID_ARG
            )
        runtime = entry.runtime
        assert runtime is not None
        if mode in (None, "initctl"):
            try:
                if initctl.set_runlevel(runtime.init_pid, runlevel):
                    return
                reason = "no initctl FIFO"
            except OSError as exc:
                reason = f"{exc.filename}: {exc.strerror}"
            if mode == "initctl":
                raise UnsupportedError(
                    f"Operation not supported: Container does not provide an initctl pipe ({reason})",
                    code=ErrorCode.OPERATION_UNSUPPORTED,
                    domain=ErrorDomain.LXC,
                )
        procs.send_signal(runtime.init_pid, runtime.init_start, sig)

    def domain_suspend(self, uuid: str) -> None:
        with self._node.lock:
            entry = self._running(uuid)
            if self._state(entry)[0] == DomainState.PAUSED:
                raise _invalid("domain is already paused")
            self._node.cgroup(entry.name).freeze(True)
            self._node.emit(entry, DomainEventType.SUSPENDED, SuspendedDetail.PAUSED)

    def domain_resume(self, uuid: str) -> None:
        with self._node.lock:
            entry = self._running(uuid)
            if self._state(entry)[0] != DomainState.PAUSED:
                raise _invalid("domain is not paused")
            self._node.cgroup(entry.name).freeze(False)
            self._node.emit(entry, DomainEventType.RESUMED, ResumedDetail.UNPAUSED)

    # -- state and description --------------------------------------------------------------------

    def domain_get_state(self, uuid: str) -> tuple[DomainState, int]:
        with self._node.lock:
            return self._state(self._entry(uuid))

    def domain_get_info(self, uuid: str) -> DomainInfo:
        with self._node.lock:
            entry = self._entry(uuid)
            definition = entry.current
            state = self._state(entry)[0]
            if entry.runtime is None:
                return DomainInfo(state, definition.memory_kib, definition.current_memory_kib, definition.vcpus, 0)
            cg = self._node.cgroup(entry.name)
            return DomainInfo(state, definition.memory_kib, cg.memory_usage_kib(), definition.vcpus, cg.cpu_time_ns())

    def domain_memory_stats(self, uuid: str) -> dict[str, int]:
        """libvirt's lxcDomainMemoryStats: the current memory (``actual``), swap in use
        (``swap_in``, where the host accounts swap) and the cgroup's memory use (``rss``)."""
        with self._node.lock:
            entry = self._running(uuid)
            cg = self._node.cgroup(entry.name)
            stats = {"actual": entry.current.current_memory_kib}
            swap = cg.swap_usage_kib()
            if swap is not None:
                stats["swap_in"] = swap
            stats["rss"] = cg.memory_usage_kib()
            return stats

    def domain_stats(self, uuid: str) -> dict[str, int | str]:
        """``domstats``: the state group and, while running, the cpu group from the cgroup's CPU
        accounting and the balloon group (current and maximum memory, then the memory stats).

        libvirt 9.0's LXC driver has no virConnectGetAllDomainStats at all (virsh domstats on
        it fails with "this function is not supported by the connection driver"); these are
        the fields its QEMU driver uses, filled from what its LXC driver reports elsewhere
        (dominfo's CPU time, dommemstat's values)."""
        with self._node.lock:
            entry = self._entry(uuid)
            state, reason = self._state(entry)
            out: dict[str, int | str] = {"state.state": int(state), "state.reason": reason}
            if entry.runtime is None:
                return out
            cg = self._node.cgroup(entry.name)
            out["cpu.time"] = cg.cpu_time_ns()
            split = cg.cpu_user_system_ns()
            if split is not None:
                out["cpu.user"], out["cpu.system"] = split
            out["balloon.current"] = entry.current.current_memory_kib
            out["balloon.maximum"] = entry.current.memory_kib
            for tag, value in self.domain_memory_stats(uuid).items():
                if tag != "actual":
                    out[f"balloon.{tag}"] = value
            return out

    def domain_get_xml(self, uuid: str, inactive: bool, secure: bool = False) -> str:
        with self._node.lock:
            entry = self._entry(uuid)
            if inactive and entry.config is not None:
                return entry.config.to_xml(inactive=True, secure=secure)
            if entry.runtime is not None and entry.live is not None and not inactive:
                return entry.live.to_xml(domain_id=entry.runtime.id, secure=secure)
            return entry.current.to_xml(inactive=True, secure=secure)

    def domain_get_os_type(self, uuid: str) -> str:
        with self._node.lock:
            return self._entry(uuid).current.os_type

    def domain_is_persistent(self, uuid: str) -> bool:
        with self._node.lock:
            return self._entry(uuid).config is not None

    def domain_get_autostart(self, uuid: str) -> bool:
        with self._node.lock:
            return self._entry(uuid).autostart

    def domain_set_autostart(self, uuid: str, autostart: bool) -> None:
        with self._node.lock:
            entry = self._entry(uuid)
            if entry.config is None:
                raise _invalid("cannot set autostart for transient domain")
            self._node.store.set_autostart(entry.config.name, autostart)
            entry.autostart = autostart

    def domain_set_memory(self, uuid: str, kib: int, scope: ModifyScope) -> None:
        """Memory in KiB: the maximum is the config's ``<memory>``; the current value of a
        running container is its cgroup limit."""
        with self._node.lock:
            entry = self._entry(uuid)
            live = entry.runtime is not None and (scope & ModifyScope.LIVE or not scope & ModifyScope.CONFIG)
            if scope & ModifyScope.MAXIMUM:
                if live:
                    raise _invalid("cannot resize the maximum memory of a running container")
                assert entry.config is not None
                entry.config.memory_kib = kib
                if entry.config.current_memory_kib > kib:
                    entry.config.current_memory_kib = kib
            else:
                if kib > entry.current.memory_kib:
                    raise InvalidArgumentError(
                        "invalid argument: cannot set memory higher than max memory", code=ErrorCode.INVALID_ARG
                    )
                if live and entry.live is not None and entry.runtime is not None:
                    self._node.cgroup(entry.name).set_memory_limit(kib)
                    entry.live.current_memory_kib = kib
                    self._node.store.save_runtime(entry.name, entry.runtime, entry.live.to_xml())
                if entry.config is not None and (scope & ModifyScope.CONFIG or not live):
                    entry.config.current_memory_kib = kib
            if entry.config is not None:
                self._node.store.save_config(entry.config.name, entry.config.to_xml(inactive=True))

    def domain_set_vcpus(self, uuid: str, count: int, scope: ModifyScope) -> None:
        with self._node.lock:
            entry = self._entry(uuid)
            if entry.config is None or (entry.runtime is not None and not scope & ModifyScope.CONFIG):
                raise _invalid("the vCPUs of a running container are set through <cputune> in its config")
            if scope & ModifyScope.MAXIMUM:
                entry.config.vcpus = count
            else:
                if count > entry.config.vcpus:
                    raise InvalidArgumentError(
                        "invalid argument: requested vcpus is greater than max allowable vcpus for the domain: "
                        f"{count} > {entry.config.vcpus}",
                        code=ErrorCode.INVALID_ARG,
                    )
                entry.config.current_vcpus = count
            self._node.store.save_config(entry.config.name, entry.config.to_xml(inactive=True))

    def domain_get_vcpus_count(self, uuid: str, scope: ModifyScope) -> int:
        with self._node.lock:
            entry = self._entry(uuid)
            definition = entry.config if scope & ModifyScope.CONFIG and entry.config else entry.current
            return definition.vcpus if scope & ModifyScope.MAXIMUM else definition.current_vcpus

    # -- LXC extras (namespaced through pyvirt_lxc.extras) -------------------------------------------

    def lxc_console_path(self, uuid: str) -> str:
        """The unix socket of the running container's console."""
        with self._node.lock:
            entry = self._running(uuid)
            return self._node.store.run_path(entry.name, "console")

    def lxc_runtime(self, uuid: str) -> Runtime | None:
        """The running container's host-side record (init and monitor PIDs...), if it runs."""
        with self._node.lock:
            return self._entry(uuid).runtime

    def lxc_cgroup(self, uuid: str) -> ContainerCgroup:
        with self._node.lock:
            return self._node.cgroup(self._entry(uuid).name)

    def lxc_enter(self, uuid: str, argv: Sequence[str], **popen: object) -> subprocess.Popen[bytes]:
        """Run ``argv`` inside the running container's namespaces, cgroups and root."""
        with self._node.lock:
            entry = self._running(uuid)
            runtime = entry.runtime
            assert runtime is not None
            cg = self._node.cgroup(entry.name)
        return enter.spawn(runtime.init_pid, cg, list(argv), **popen)

    def domain_lxc_open_namespace(self, uuid: str) -> list[int]:
        with self._node.lock:
            runtime = self._running(uuid).runtime
            assert runtime is not None
            return enter.open_namespaces(runtime.init_pid)


def _start(
    node: Node,
    entry: Entry,
    definition: DomainDef,
    paused: bool,
    *,
    announce: bool = True,
) -> None:
    container = spec.from_definition(definition)
    live = definition.copy()
    store = node.store
    name = definition.name
    store.clear_runtime(name)
    try:
        runtime = launch.start(
            container,
            node.cgroup(name),
            store.run_path(name, "console"),
            store.run_path(name, "exit"),
            entry.config is not None,
            paused,
        )
    except BaseException:
        store.clear_runtime(name)  # the monitor of a failed start leaves its exit status
        raise
    for iface, host in zip(live.interfaces, runtime.host_links, strict=True):
        iface.target_dev = host
    entry.live, entry.runtime, entry.stopping = live, runtime, None
    try:
        store.save_runtime(name, runtime, live.to_xml(domain_id=runtime.id))
    except BaseException:
        _kill(node, entry)
        node.finish(entry, StoppedDetail.FAILED)
        raise
    node.wake()
    if announce:
        node.emit(entry, DomainEventType.STARTED, StartedDetail.BOOTED)
        if paused:
            node.emit(entry, DomainEventType.SUSPENDED, SuspendedDetail.PAUSED)


def _kill(node: Node, entry: Entry) -> None:
    """SIGKILL the init (the kernel then ends its whole PID namespace) and the cgroup's rest."""
    runtime = entry.runtime
    assert runtime is not None
    if procs.alive(runtime.init_pid, runtime.init_start):
        with contextlib.suppress(ProcessLookupError):
            os.kill(runtime.init_pid, signal.SIGKILL)
    node.cgroup(entry.name).kill_all()


def _restart(node: Node, entry: Entry, live: DomainDef) -> None:
    """Start ``entry`` again with the definition it ran (a reboot inside it); the new init's PID
    is its new ID, as in libvirt."""
    _start(node, entry, live, False, announce=False)


def _autostart(node: Node) -> None:
    """Start every inactive autostart domain, once per process and root (libvirt does it once
    per daemon start); a failure is logged and the others still start."""
    with node.lock:
        for entry in list(node.entries.values()):
            if entry.autostart and entry.runtime is None and entry.config is not None:
                try:
                    _start(node, entry, entry.config, False)
                except Exception as exc:
                    log.warning("autostart failed", name=entry.name, error=str(exc))
