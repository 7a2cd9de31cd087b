"""Durable writes: a reader (or the next process after a crash) sees the old file or the new
one, never half of either."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: Path, text: str, mode: int = 0o600, *, durable: bool = True) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it over ``path``.

    ``durable`` also fsyncs the file and the directory, so the new content survives a power
    loss.  Runtime state (a running guest's status) only has to survive a crash of this
    process, which the rename alone guarantees: after a host crash no guest is running anyway,
    and an fsync costs more than the rest of a guest's start here (~16 ms on this machine's disk).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
    try:
        os.write(fd, text.encode())
        if durable:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(tmp, path)
    if not durable:
        return
    dirfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)


def remove(*paths: Path) -> None:
    """Remove files that may already be gone."""
    for path in paths:
        path.unlink(missing_ok=True)
