"""Asking a container's init to change runlevel, as libvirt's LXC shutdown and reboot do first.

SysV init and systemd listen on a FIFO (``/run/initctl``, ``/dev/initctl`` or ``/etc/.initctl``)
for 384-byte requests.  libvirt forks into the container's mount namespace to open it; pyvirt
opens it from the host through ``/proc/<init>/root`` with ``openat2(RESOLVE_IN_ROOT)``, so a
symbolic link the container planted cannot point the write at a host file.  A FIFO that is the
host's own (the same device and inode: a container that bind-mounts the host's ``/run``) is
skipped, as libvirt skips it: it would change the host's runlevel.
"""

from __future__ import annotations

import ctypes
import os
import stat
import struct

from pyvirt_lxc import libc

FIFOS = ("/run/initctl", "/dev/initctl", "/etc/.initctl")
"""Where inits listen, in libvirt's order (virInitctlFifos)."""

POWEROFF = 0
REBOOT = 6

_MAGIC = 0x03091969
_CMD_RUNLVL = 1
_REQUEST_SIZE = 384

_SYS_OPENAT2 = 437  # x86_64
_RESOLVE_NO_MAGICLINKS = 0x02
_RESOLVE_IN_ROOT = 0x10


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]


def request(runlevel: int) -> bytes:
    """The request init reads: magic, command, the runlevel as a digit character, padding."""
    return struct.pack("<iiii", _MAGIC, _CMD_RUNLVL, ord("0") + runlevel, 0).ljust(_REQUEST_SIZE, b"\0")


def _open_in_root(root_fd: int, path: str, flags: int) -> int:
    how = _OpenHow(flags, 0, _RESOLVE_IN_ROOT | _RESOLVE_NO_MAGICLINKS)
    fd = libc.syscall(
        _SYS_OPENAT2, root_fd, os.fsencode(path.lstrip("/")), ctypes.byref(how), ctypes.c_size_t(ctypes.sizeof(how))
    )
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), path)
    return int(fd)


def _host_fifo(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def set_runlevel(init_pid: int, runlevel: int) -> bool:
    """Send ``runlevel`` to the init of the container whose init is ``init_pid``.

    True once a request was written; False when the container has no FIFO of its own (the
    caller then signals the init).  An existing FIFO that cannot be written (no init reads it:
    the kernel answers ENXIO) raises :class:`OSError`, as libvirt's does.
    """
    root = os.open(f"/proc/{init_pid}/root", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for path in FIFOS:
            try:
                fd = _open_in_root(root, path, os.O_PATH | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                st = os.fstat(fd)
            finally:
                os.close(fd)
            if not stat.S_ISFIFO(st.st_mode) or _host_fifo(path) == (st.st_dev, st.st_ino):
                continue
            fd = _open_in_root(root, path, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
            try:
                if os.write(fd, request(runlevel)) != _REQUEST_SIZE:
                    raise OSError(0, "short write", path)
            finally:
                os.close(fd)
            return True
        return False
    finally:
        os.close(root)
