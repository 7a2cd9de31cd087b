"""The pid file: written atomically and held under an exclusive lock while the daemon runs.

The lock, not the file's existence, says whether a daemon is running: a daemon killed with
SIGKILL leaves its file behind, and the next start must not refuse because of it.  A second
daemon with the same pid file (same ``root``) is refused while the first one holds the lock.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from pyvirt.files import remove, write_atomic


class PidFileError(Exception):
    pass


class PidFile:
    """Create with :meth:`acquire`; :meth:`release` removes the file and drops the lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = -1

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = self._read_pid()
            raise PidFileError(
                f"another pyvirtd (pid {holder if holder else 'unknown'}) holds {self.path}; "
                "stop it first or give this one another root/pid file"
            ) from None
        self._fd = fd
        # Runtime state: the pid names a process that a host crash ends, so the rename (which
        # survives a crash of this process) is enough and no fsync is needed.
        write_atomic(self.path, f"{os.getpid()}\n", 0o644, durable=False)

    def release(self) -> None:
        if self._fd < 0:
            return
        remove(self.path, self.path.with_name(self.path.name + ".lock"))
        os.close(self._fd)
        self._fd = -1

    def _read_pid(self) -> int | None:
        try:
            return int(self.path.read_text().strip())
        except (OSError, ValueError):
            return None
