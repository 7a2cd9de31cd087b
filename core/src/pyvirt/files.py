"""State files written so a reader, or the next process after a crash, sees the old content or
the new one, never half of either; written once here for every driver and the daemon.

Importing this module costs only :mod:`os` and :mod:`threading`.
"""

from __future__ import annotations

import os
import threading

__all__ = ["remove", "write_atomic"]


def write_atomic(path: str | os.PathLike[str], data: str | bytes, mode: int = 0o600, *, durable: bool = True) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path``.

    ``durable`` also fsyncs the file and its directory, so the new content survives a power
    loss.  Runtime state (a running guest's or container's status) only has to survive a crash
    of the writing process, which the rename alone guarantees: after a host crash nothing it
    describes runs any more, and an fsync can cost more than the rest of a guest's start.
    The temporary name carries the process and thread, so concurrent writers never share one.
    """
    path = os.fspath(path)
    directory, name = os.path.split(path)
    tmp = os.path.join(directory, f".{name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
    try:
        try:
            left = memoryview(data.encode() if isinstance(data, str) else data)
            while left:  # a regular file takes it all at once, but write(2) does not promise it
                left = left[os.write(fd, left) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        remove(tmp)
        raise
    if not durable:
        return
    dirfd = os.open(directory or ".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)


def remove(*paths: str | os.PathLike[str]) -> None:
    """Remove files that may already be gone."""
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
