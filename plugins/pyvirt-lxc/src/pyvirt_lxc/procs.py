"""Host processes by PID, safe against PID reuse: a PID plus its start time names one process."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks, or ``None`` if it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw[raw.rindex(b")") + 2 :].split()
    if fields[0] in (b"Z", b"X"):
        return None
    return int(fields[19])


def alive(pid: int, started: int) -> bool:
    return pid > 0 and start_time(pid) == started


def wait_gone(pid: int, started: int, timeout: float) -> bool:
    """Wait until the process exits (a zombie counts as gone); False on timeout."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        if not alive(pid, started):
            return True
        deadline = time.monotonic() + timeout
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while time.monotonic() < deadline:
            if poller.poll(max(1, int((deadline - time.monotonic()) * 1000))):
                return True
        return not alive(pid, started)
    finally:
        os.close(fd)


def send_signal(pid: int, started: int, sig: int) -> None:
    """Signal the process named by ``pid`` and its start time, through a pidfd so a PID reused
    meanwhile is never hit; a process already gone is not an error."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        if alive(pid, started):
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(fd, sig)
    finally:
        os.close(fd)
