"""Starting, watching and stopping QEMU processes for domains.

Start: spawn QEMU paused (``-S``) with its monitor on a socket we already listen on, connect,
fill the live XML with what QEMU chose (pty paths, VNC port), write the status file, then
``cont`` unless the caller asked for a paused domain.  Any failure on the way kills the
process and removes every file the attempt created, and the error carries QEMU's own words
from its log.

Stop: the process's exit (seen through a pidfd, see :mod:`.process`) is the one place a domain
becomes shut off; the reason is whatever asked for the exit (destroy, save), else ``shutdown``
when QEMU reported a SHUTDOWN event first, else ``crashed``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lxml import etree

from pyvirt.errors import ErrorDomain, OperationFailedError, OperationInvalidError
from pyvirt.files import remove
from pyvirt.types import (
    DomainEventType,
    DomainState,
    PausedReason,
    ResumedDetail,
    RunningReason,
    ShutdownDetail,
    ShutoffReason,
    StartedDetail,
    StoppedDetail,
    SuspendedDetail,
)
from pyvirt.xml.domain import DomainDef
from pyvirt_qemu import command, hostcpu, layout, probe, process, support, tap, unplug
from pyvirt_qemu.devices import aliases
from pyvirt_qemu.domain import DomainObj, write_status
from pyvirt_qemu.monitor import Monitor, MonitorError

if TYPE_CHECKING:
    from pyvirt_qemu.driver import QemuDriver

MONITOR_TIMEOUT = 30.0
QUIT_GRACE = 3.0
"""How long destroy lets QEMU quit on its own before SIGKILL."""

_STOPPED_DETAIL = {
    ShutoffReason.SHUTDOWN: StoppedDetail.SHUTDOWN,
    ShutoffReason.DESTROYED: StoppedDetail.DESTROYED,
    ShutoffReason.CRASHED: StoppedDetail.CRASHED,
    ShutoffReason.SAVED: StoppedDetail.SAVED,
    ShutoffReason.FAILED: StoppedDetail.FAILED,
}


def disk_paths(drv: QemuDriver, obj: DomainObj) -> dict[str, str]:
    """The host file of every disk with a source (``pool/volume`` resolved through the pool);
    libvirt refuses to start with a disk whose file is missing, and so do we, before spawning."""
    paths = {}
    for disk in obj.definition.disks:
        source = disk.source
        if not source:
            continue
        if disk.type == "volume":
            src = disk.element.find("source")
            assert src is not None
            path = drv.pools.volume_path(src.get("pool", ""), src.get("volume", ""))
        else:
            path = source
        if not os.path.exists(path):
            raise OperationFailedError(
                f"Cannot access storage file '{path}': No such file or directory", domain=ErrorDomain.QEMU
            )
        paths[disk.target_dev] = path
    return paths


def start(
    drv: QemuDriver,
    obj: DomainObj,
    paused: bool,
    extra_args: tuple[str, ...] = (),
    definition: DomainDef | None = None,
) -> None:
    """Start ``obj`` (caller holds its job and has checked it is inactive) from its persistent
    definition, or ``definition`` (a restore runs the saved live XML)."""
    base = definition or (obj.persistent if obj.persistent is not None else obj.live)
    assert base is not None
    obj.live = base.copy()
    live = obj.live
    paths = disk_paths(drv, obj)
    support.check_startable(live.root)
    bridged = [i for i in live.interfaces if i.type == "bridge"]
    for iface, name in zip(bridged, tap.free_names(len(bridged), drv.tap_names()), strict=True):
        iface.target_dev = name
    emulator = live.root.findtext("devices/emulator") or ""
    caps = probe.capabilities(emulator, drv.layout.cache)
    cpu_el = live.root.find("cpu")
    wants_host = cpu_el is not None and cpu_el.get("mode") == "host-model" and live.virt_type == "kvm"
    host = hostcpu.host_cpu(emulator, drv.layout.cache) if wants_host else None
    sock_path = drv.layout.monitor_socket(live.uuid)
    if len(str(sock_path)) > layout.MAX_SOCKET_PATH:
        raise OperationFailedError(
            f"monitor socket path '{sock_path}' is too long for a unix socket: use a shorter root"
        )
    remove(sock_path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = 0
    obj.guest_shutdown, obj.stop_reason, obj.rebooting = False, None, False
    log_path = drv.layout.log_file(live.name)
    try:
        listener.bind(str(sock_path))
        listener.listen(1)
        cmd = command.build(live, caps, emulator, listener.fileno(), paths, host_cpu=host)
        argv = [*cmd.argv, "-pidfile", str(drv.layout.pid_file(live.name)), *extra_args]
        with open(log_path, "a") as log:
            log.write(" ".join(argv) + "\n")
        log_start = log_path.stat().st_size
        pid = process.spawn(argv, log_path, [listener.fileno()])
        listener.close()
        obj.pid, obj.started = pid, process.start_time(pid)
        obj.monitor_path = str(sock_path)
        monitor = Monitor(live.name, lambda name, data: drv.submit(on_event, drv, obj, name, data, pid))
        try:
            monitor.connect(str(sock_path), MONITOR_TIMEOUT)
        except MonitorError as exc:
            said = _log_tail(log_path, log_start) or exc.message
            raise OperationFailedError(
                f"internal error: QEMU unexpectedly closed the monitor: {said}",
                domain=ErrorDomain.QEMU,
            ) from exc
        obj.monitor = monitor
        for iface in bridged:
            tap.attach(iface.target_dev or "", iface.source or "")
        _fill_live(obj, monitor)
        obj.id = drv.next_id()
        obj.state = DomainState.PAUSED if paused else DomainState.RUNNING
        obj.reason = PausedReason.USER if paused else RunningReason.BOOTED
        write_status(drv.layout.status_file(live.name), obj)
        obj.cancel_watch = process.watch_exit(pid, lambda: drv.submit(on_exit, drv, obj, pid))
        if not paused and not extra_args:
            monitor.execute("cont")
    except BaseException:
        listener.close()
        _abort(drv, obj, pid)
        raise


def _log_tail(path: os.PathLike[str], offset: int) -> str:
    try:
        with open(path, errors="replace") as f:
            f.seek(offset)
            return " ".join(line.strip() for line in f.read().splitlines()[-5:] if line.strip())
    except OSError:
        return ""


def _abort(drv: QemuDriver, obj: DomainObj, pid: int) -> None:
    """Undo a failed start: no process, socket, status file or live state may remain."""
    if obj.cancel_watch is not None:
        obj.cancel_watch()
        obj.cancel_watch = None
    if obj.monitor is not None:
        obj.monitor.close()
        obj.monitor = None
    if pid:
        process.kill(pid)
        process.wait_gone(pid, 5)
    assert obj.live is not None
    remove(*drv.layout.runtime_files(obj.live.name, obj.live.uuid))
    obj.live = None if obj.persistent is not None else obj.live
    obj.id, obj.pid, obj.started = -1, 0, None
    obj.state, obj.reason = DomainState.SHUTOFF, ShutoffReason.FAILED


def _fill_live(obj: DomainObj, monitor: Monitor) -> None:
    """After a start: what QEMU decided (:func:`refresh_live`), then the settings QMP applies."""
    refresh_live(obj, monitor)
    live = obj.live
    assert live is not None
    devs = live.root.find("devices")
    if devs is None:
        return
    for el in devs.iterchildren("graphics"):
        passwd = el.get("passwd")
        if passwd is not None:
            monitor.execute("set_password", {"protocol": "vnc", "password": passwd})
    if live.current_memory_kib < live.memory_kib and devs.find("memballoon[@model='virtio']") is not None:
        monitor.execute("balloon", {"value": live.current_memory_kib * 1024})


def refresh_live(obj: DomainObj, monitor: Monitor) -> None:
    """Write into the live XML what only the running QEMU knows: pty paths and the VNC port
    (asked through QMP), and every device's alias.  Done at start and again when a restarted
    driver finds the guest, so the live XML never depends on how the status file was parsed."""
    live = obj.live
    assert live is not None
    devs = live.root.find("devices")
    if devs is None:
        return
    names = aliases(devs)
    chardevs = [*devs.iterchildren("serial"), *devs.iterchildren("console")]
    if any(el.get("type") == "pty" for el in chardevs):
        ptys = {c["label"]: c["filename"].removeprefix("pty:") for c in monitor.execute("query-chardev")}
        for el in chardevs:
            path = ptys.get(f"char{names.get(el, '')}")
            if el.get("type") == "pty" and path:
                el.set("tty", path)
                src = el.find("source")
                if src is None:
                    src = etree.SubElement(el, "source")
                src.set("path", path)
    if devs.find("graphics") is not None:
        vnc = monitor.execute("query-vnc")
        for el in devs.iterchildren("graphics"):
            el.set("port", str(vnc.get("service", el.get("port", "-1"))))
    for el, name in names.items():
        if el.find("alias") is None:
            etree.SubElement(el, "alias", name=name)
    live.invalidate()


# -- stopping ---------------------------------------------------------------------------------


def destroy(drv: QemuDriver, obj: DomainObj, reason: ShutoffReason = ShutoffReason.DESTROYED) -> None:
    """Ask QEMU to quit, SIGKILL it when it does not in time, and wait until it is shut off.

    A destroy reports SHUTDOWN (host) before STOPPED, as libvirt does: its SIGTERM makes QEMU
    say SHUTDOWN while the monitor is still open.  A save or a failed start closes the monitor
    first there, so only STOPPED is seen; a guest already shut down is not reported twice."""
    announce = reason == ShutoffReason.DESTROYED and not obj.guest_shutdown
    obj.stop_reason = reason
    if announce:
        drv.emit(obj.ref, DomainEventType.SHUTDOWN, ShutdownDetail.HOST)
    pid = obj.pid
    if obj.monitor is not None:
        obj.monitor.send("quit")
    else:
        process.kill(pid, signal.SIGTERM)
    if not process.wait_gone(pid, QUIT_GRACE):
        process.kill(pid)
        process.wait_gone(pid, QUIT_GRACE)
    on_exit(drv, obj, pid)  # here rather than through the watcher: no thread hop on the way back


def on_exit(drv: QemuDriver, obj: DomainObj, pid: int) -> None:
    """QEMU process ``pid`` ended: shut the domain off and clean up.  Called by the exit
    watcher (on the event thread) and by destroy; only the first call for that process counts."""
    with drv.lock:
        if not obj.active or obj.pid != pid:
            return
        reason = obj.stop_reason or (ShutoffReason.SHUTDOWN if obj.guest_shutdown else ShutoffReason.CRASHED)
        ref = obj.ref
        if obj.monitor is not None:
            monitor, obj.monitor = obj.monitor, None
            drv.submit(monitor.close)
        assert obj.live is not None
        remove(*drv.layout.runtime_files(obj.live.name, obj.live.uuid))
        obj.state, obj.reason = DomainState.SHUTOFF, reason
        obj.id, obj.pid, obj.started, obj.cancel_watch = -1, 0, None, None
        transient = obj.persistent is None
        if not transient:
            obj.live = None
        else:
            drv.forget(obj)
    drv.emit(ref, DomainEventType.STOPPED, _STOPPED_DETAIL.get(reason, StoppedDetail.FAILED))


def on_event(drv: QemuDriver, obj: DomainObj, name: str, data: Mapping[str, Any], pid: int) -> None:
    """A QMP event of QEMU process ``pid``: update the state and report the lifecycle event
    (runs on the event thread).

    Events wait in the event thread's queue, so one can be handled after its process ended
    and a new one started for the same domain (a save then a restore): it is not about the
    current process and is dropped, or a stale SHUTDOWN would stop the restored guest."""
    if obj.pid != pid:
        return
    if name == "SHUTDOWN":
        if obj.stop_reason is not None or obj.guest_shutdown:
            return  # we asked QEMU to quit (a destroy, or after a power-off); its exit tells the rest
        monitor = obj.monitor
        if obj.rebooting and monitor is not None:
            monitor.send("system_reset")  # -no-shutdown left the guest stopped: boot it again
            monitor.send("cont")
            return
        powered_off(drv, obj, guest=bool(data.get("guest")))
    elif name == "STOP":
        if obj.rebooting or obj.guest_shutdown:
            return  # the stop of a guest that shut down, not a pause

        paused = obj.expected_reason if obj.expected_reason is not None else PausedReason.UNKNOWN
        transition(drv, obj, DomainState.PAUSED, paused, DomainEventType.SUSPENDED, SuspendedDetail.PAUSED)
    elif name == "RESUME" and obj.rebooting:
        obj.rebooting = False
    elif name == "RESUME":
        running = obj.expected_reason if obj.expected_reason is not None else RunningReason.UNPAUSED
        transition(drv, obj, DomainState.RUNNING, running, DomainEventType.RESUMED, ResumedDetail.UNPAUSED)
    elif name == "GUEST_PANICKED":
        drv.emit(obj.ref, DomainEventType.CRASHED, 0)
        if obj.stop_reason is None:
            obj.stop_reason = ShutoffReason.CRASHED
            if obj.monitor is not None:
                obj.monitor.send("quit")
    elif name == "DEVICE_DELETED" and data.get("device"):
        unplug.on_deleted(drv, obj, str(data["device"]))


def powered_off(drv: QemuDriver, obj: DomainObj, guest: bool) -> None:
    """The guest shut down: report it and end QEMU, which ``-no-shutdown`` keeps alive so that
    a reboot and a shutdown look the same to the guest and differ only here."""
    obj.guest_shutdown = True
    drv.emit(obj.ref, DomainEventType.SHUTDOWN, ShutdownDetail.GUEST if guest else ShutdownDetail.HOST)
    if obj.monitor is not None:
        obj.monitor.send("quit")


def transition(
    drv: QemuDriver, obj: DomainObj, state: DomainState, reason: int, event: DomainEventType, detail: int
) -> None:
    """Move a running domain to ``state`` and report it, once: both the caller that asked for
    the change and the QMP event that confirms it end here, and only the first one counts."""
    with drv.lock:
        if not obj.active or obj.state == state or obj.stop_reason is not None:
            return
        obj.state, obj.reason = state, reason
        ref = obj.ref
        with contextlib.suppress(OSError):
            write_status(drv.layout.status_file(obj.name), obj)
    drv.emit(ref, event, detail)


def require_active(obj: DomainObj) -> None:
    if not obj.active:
        raise OperationInvalidError("Requested operation is not valid: domain is not running", domain=ErrorDomain.QEMU)


def monitor_of(obj: DomainObj) -> Monitor:
    require_active(obj)
    if obj.monitor is None:
        raise OperationFailedError(
            "internal error: no monitor connection to the domain's QEMU", domain=ErrorDomain.QEMU
        )
    return obj.monitor


def started_events(paused: bool) -> list[tuple[DomainEventType, int]]:
    """libvirt's order: a booted guest's CPUs start (QEMU's RESUME, reported as RESUMED) before
    the start API reports STARTED; a paused start reports STARTED, then SUSPENDED.  The RESUME
    that QEMU sends is not reported again: :func:`start` marks the domain running before ``cont``."""
    if paused:
        return [(DomainEventType.STARTED, StartedDetail.BOOTED), (DomainEventType.SUSPENDED, SuspendedDetail.PAUSED)]
    return [(DomainEventType.RESUMED, ResumedDetail.UNPAUSED), (DomainEventType.STARTED, StartedDetail.BOOTED)]
