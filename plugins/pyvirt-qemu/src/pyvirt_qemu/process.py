"""QEMU processes: start one detached from us, recognise it later, notice its end, stop it.

A guest must outlive the process that started it (embedded mode, a daemon restart), so QEMU
runs in its own session; while we are its parent we reap it the moment it exits, because PID 1
here reaps orphans only every ~1.5 s and a zombie still looks alive to ``kill(pid, 0)``.
A process found again after a restart is checked by its start time as well as its pid, so a
recycled pid is never taken for the guest.
"""

from __future__ import annotations

import os
import select
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pyvirt_qemu import loop


def spawn(argv: Sequence[str], log_path: Path, keep_fds: Sequence[int]) -> int:
    """Start ``argv`` in a new session, stdout and stderr appended to ``log_path``, stdin from
    /dev/null, inheriting only ``keep_fds`` of ours; return its pid."""
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    null_fd = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    for fd in keep_fds:
        os.set_inheritable(fd, True)
    try:
        return os.posix_spawn(
            argv[0],
            list(argv),
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, null_fd, 0),
                (os.POSIX_SPAWN_DUP2, log_fd, 1),
                (os.POSIX_SPAWN_DUP2, log_fd, 2),
            ],
            setsid=True,
        )
    finally:
        for fd in keep_fds:
            os.set_inheritable(fd, False)
        os.close(log_fd)
        os.close(null_fd)


_CLOCK_TICK_NS = 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    """``/proc/PID/stat`` from field 3 (state) on, or ``None`` when there is no such process;
    the command name before it may hold spaces and parentheses, so it is cut at the last ``)``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (``/proc/PID/stat`` field 22), or
    ``None`` when no such process exists (or it is a zombie, which is as good as gone)."""
    fields = _stat(pid)
    if fields is None:
        return None
    if fields[0] == "Z":
        reap(pid)
        return None
    return int(fields[19])


def cpu_time(pid: int) -> int:
    """utime + stime (fields 14 and 15), in nanoseconds: what libvirt reports as CPU time."""
    fields = _stat(pid)
    return 0 if fields is None else (int(fields[11]) + int(fields[12])) * _CLOCK_TICK_NS


def is_same(pid: int, started: int | None) -> bool:
    """True when ``pid`` still runs and is the process that started at ``started``."""
    now = start_time(pid)
    return now is not None and (started is None or now == started)


def reap(pid: int) -> int | None:
    """Collect ``pid``'s exit status if it is our exited child; ``None`` if it is not ours or
    has not exited."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    return status if done else None


def watch_exit(pid: int, on_exit: Callable[[], None]) -> Callable[[], None]:
    """Call ``on_exit`` (on the driver loop) once ``pid`` has exited, reaping it if it is our
    child.  Works for processes we did not start, through a pidfd.  Returns a cancel function,
    which also releases the pidfd (a driver closed with guests running keeps no descriptor).
    """
    fd = os.pidfd_open(pid)
    ev_loop = loop.loop()
    state = {"open": True, "cancelled": False}

    def release() -> None:  # on the loop thread only, so the two paths never race
        if state["open"]:
            state["open"] = False
            ev_loop.remove_reader(fd)
            os.close(fd)

    def fired() -> None:
        release()
        reap(pid)
        if not state["cancelled"]:
            on_exit()

    def cancel() -> None:
        state["cancelled"] = True
        ev_loop.call_soon_threadsafe(release)

    ev_loop.call_soon_threadsafe(ev_loop.add_reader, fd, fired)
    return cancel


def wait_gone(pid: int, timeout: float) -> bool:
    """Wait until ``pid`` has exited (and is reaped when it is ours); True if it did in time."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if select.select([fd], [], [], left)[0]:
                reap(pid)
                return True
    finally:
        os.close(fd)


def kill(pid: int, sig: signal.Signals = signal.SIGKILL) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
