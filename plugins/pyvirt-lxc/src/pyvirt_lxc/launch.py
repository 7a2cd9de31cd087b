"""The driver's side of starting a container: fork the monitor and walk the container through
its steps, or undo everything and say what failed.

The children report on one pipe, a line at a time: ``C pid`` (the monitor), ``U pid`` (a user
namespace waits for its ID maps), ``P pid`` (the init waits for its cgroups and interfaces),
``E message`` (a step failed), ``R`` (a paused start: the init is about to exec).  The driver
answers on another pipe (``M``: maps written, ``G``: go on, ``H``: go on but hold before the
exec, ``X``: exec, said once the cgroup is frozen).  The report pipe closes on its own when the
init's ``exec`` succeeds; a paused start ends at ``R`` instead.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import select
import time
from dataclasses import dataclass

from pyvirt.errors import ErrorCode, OperationFailedError
from pyvirt_lxc import container, monitor, netdev, procs
from pyvirt_lxc.cgroups import ContainerCgroup
from pyvirt_lxc.spec import IdRange, Spec
from pyvirt_lxc.store import Runtime

_START_TIMEOUT = 30.0


class StartError(OperationFailedError):
    """The container could not be started; nothing of it was left on the host."""


def _fail(message: str) -> StartError:
    return StartError(f"cannot start container: {message}", code=ErrorCode.OPERATION_FAILED)


@dataclass
class _Progress:
    monitor_pid: int = 0
    init_pid: int = 0
    links_made: tuple[str, ...] = ()


def start(
    spec: Spec, cgroup: ContainerCgroup, console_path: str, exit_path: str, persistent: bool, paused: bool = False
) -> Runtime:
    """Start ``spec``'s container; on failure remove what was made and raise :class:`StartError`.

    ``paused`` leaves it frozen before its ``<init>`` is executed (libvirt starts a paused
    domain without running any guest code)."""
    if not os.path.isdir(spec.rootfs):
        raise _fail(f"root filesystem '{spec.rootfs}' does not exist or is not a directory")
    if len(console_path.encode()) > 107:
        raise _fail(f"the console socket path is too long for a unix socket: {console_path}")
    links = [(nic.host or f"vpl{secrets.token_hex(4)}", f"vpg{secrets.token_hex(4)}") for nic in spec.nics]
    if spec.nics:
        netdev.check_bridges(spec.nics)
    progress = _Progress()
    try:
        _make_cgroup(spec, cgroup)
        _run_children(spec, cgroup, links, console_path, exit_path, progress, paused)
        start = procs.start_time(progress.init_pid)
        if start is None:
            oom = cgroup.oom_kills()
            why = f" (the kernel killed it for exceeding the {spec.memory_kib} KiB memory limit)" if oom else ""
            raise _fail(f"the container's init exited as soon as it started{why}")
    except BaseException as exc:
        oom = cgroup.oom_kills() if progress.init_pid else 0
        _undo(cgroup, progress)
        if oom:  # whatever step noticed it, the cause is the memory limit
            raise _fail(
                f"the kernel killed the container's init: memory limit {spec.memory_kib} KiB is too small"
            ) from exc
        raise
    return Runtime(progress.init_pid, start, progress.monitor_pid, progress.links_made, persistent)


def _make_cgroup(spec: Spec, cgroup: ContainerCgroup) -> None:
    if cgroup.exists():  # a leftover of a crash: nothing runs in it once the domain is inactive
        cgroup.kill_all()
        cgroup.remove()
    tuned = spec.shares is not None or spec.period_us is not None or spec.quota_us is not None
    cgroup.create(cpu_tuning=tuned)
    cgroup.set_memory_limit(spec.memory_kib)
    cgroup.allow_devices(container.DEVICE_RULES)
    if tuned:
        cgroup.set_cpu(spec.shares, spec.period_us, spec.quota_us)


def _run_children(
    spec: Spec,
    cgroup: ContainerCgroup,
    links: list[tuple[str, str]],
    console_path: str,
    exit_path: str,
    progress: _Progress,
    paused: bool,
) -> None:
    report_r, report_w = os.pipe()
    go_r, go_w = os.pipe()
    try:
        pid = os.fork()
        if pid == 0:
            _detach(
                spec,
                cgroup,
                report_w,
                go_r,
                [(peer, nic.guest) for (_, peer), nic in zip(links, spec.nics, strict=True)],
                console_path,
                exit_path,
            )
        os.close(report_w)
        os.close(go_r)
        _converse(spec, cgroup, links, report_r, go_w, progress, paused)
    finally:
        for fd in (report_r, go_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        for fd in (report_w, go_r):
            with contextlib.suppress(OSError):
                os.close(fd)


def _detach(
    spec: Spec,
    cgroup: ContainerCgroup,
    report: int,
    go: int,
    guest_links: list[tuple[str, str]],
    console: str,
    exit_path: str,
) -> None:
    """In the monitor: leave the driver's session, close the driver's files, run.

    The monitor stays the driver's child (one fork less on every start); the driver reaps it
    when the container ends (:func:`reap_monitor`), or PID 1 does once the driver has exited."""
    try:
        os.setsid()
        for fd in [int(f) for f in os.listdir("/proc/self/fd")]:
            if fd > 2 and fd not in (report, go):
                with contextlib.suppress(OSError):
                    os.close(fd)
        devnull = os.open(os.devnull, os.O_RDWR)
        for std in (0, 1, 2):
            os.dup2(devnull, std)
        os.close(devnull)
        monitor.run(spec, cgroup, report, go, guest_links, console, exit_path)
    finally:
        os._exit(0)


def reap_monitor(pid: int) -> None:
    """Collect the exit status of a monitor this process forked (no-op for another's)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _converse(
    spec: Spec,
    cgroup: ContainerCgroup,
    links: list[tuple[str, str]],
    report: int,
    go: int,
    progress: _Progress,
    paused: bool,
) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    pending = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([report], [], [], left)[0]:
            raise _fail(f"the container did not come up within {_START_TIMEOUT:g} s")
        chunk = os.read(report, 4096)
        if not chunk:
            break
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            word, _, rest = line.decode(errors="replace").partition(" ")
            if word == "C":
                progress.monitor_pid = int(rest)
            elif word == "U":
                _write_maps(int(rest), spec)
                os.write(go, b"M\n")
            elif word == "P":
                progress.init_pid = int(rest)
                cgroup.attach(progress.init_pid)
                progress.links_made = netdev.plug(spec.nics, links, progress.init_pid)
                os.write(go, b"H\n" if paused else b"G\n")
            elif word == "R" and paused:
                cgroup.freeze(True)
                os.write(go, b"X\n")
                return
            elif word == "E":
                raise _fail(rest)
    if not progress.init_pid:
        raise _fail("the container's setup ended without starting its init")


def _map_text(ranges: tuple[IdRange, ...]) -> str:
    return "".join(f"{r.start} {r.target} {r.count}\n" for r in ranges)


def _write_maps(pid: int, spec: Spec) -> None:
    for kind, ranges in (("uid", spec.uid_map), ("gid", spec.gid_map)):
        try:
            with open(f"/proc/{pid}/{kind}_map", "w") as f:
                f.write(_map_text(ranges))
        except OSError as exc:
            shown = ", ".join(f"start={r.start} target={r.target} count={r.count}" for r in ranges)
            raise _fail(f"the kernel refused the <idmap> {kind} ranges ({shown}): {exc.strerror}") from None


def _undo(cgroup: ContainerCgroup, progress: _Progress) -> None:
    """Kill whatever the start made and remove its cgroup and veths; never raises."""
    with contextlib.suppress(Exception):
        cgroup.kill_all()
    if progress.init_pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(progress.init_pid, 9)
    if progress.monitor_pid:
        started = procs.start_time(progress.monitor_pid)
        if started is not None:
            procs.wait_gone(progress.monitor_pid, started, 5.0)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(progress.monitor_pid, 0)
    with contextlib.suppress(Exception):
        netdev.unplug(progress.links_made)
    with contextlib.suppress(Exception):
        cgroup.remove()
