"""Run a command inside a running container, like ``virsh lxc-enter-namespace``.

The command runs in a fresh interpreter (``python -m pyvirt_lxc.enter``) because joining a
user or PID namespace needs a single-threaded process, which the caller may not be.  That
process joins the container's cgroups and namespaces, then forks: only a child of a process
that joined a PID namespace is inside it.  The child execs the command with the container's
``PATH``; the parent relays its exit status.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

import pyvirt.lxc
from pyvirt.errors import PyvirtError
from pyvirt_lxc.cgroups import ContainerCgroup
from pyvirt_lxc.container import reset_signals

_ORDER = ("user", "ipc", "uts", "net", "pid", "mnt")
_ENV = {"PATH": "/bin:/usr/bin:/sbin:/usr/sbin", "HOME": "/", "TERM": "linux", "container": "lxc-libvirt"}


def spawn(pid: int, cgroup: ContainerCgroup, argv: Sequence[str], **popen: Any) -> subprocess.Popen[bytes]:
    """Start ``argv`` inside the container whose init is host PID ``pid``."""
    joined = [path for path in cgroup.paths() if os.path.isdir(path)]
    command = [sys.executable, "-m", "pyvirt_lxc.enter", str(pid), *joined, "--", *argv]
    return subprocess.Popen(command, **popen)


def open_namespaces(pid: int) -> list[int]:
    """Descriptors on the namespaces of host PID ``pid``, in libvirt's order, every one the
    kernel has (the host's own user namespace too: joining it is a no-op a client skips)."""
    fds: list[int] = []
    try:
        for name in _ORDER:
            try:
                fds.append(os.open(f"/proc/{pid}/ns/{name}", os.O_RDONLY | os.O_CLOEXEC))
            except FileNotFoundError:
                continue
    except OSError:
        for fd in fds:
            os.close(fd)
        raise
    return fds


def _join(pid: int, cgroup_dirs: Sequence[str]) -> None:
    """Join the container's cgroups (while the host's cgroup mounts are still visible), then its
    namespaces through :func:`pyvirt.lxc.enter_namespace`, the generic client's join; in a
    user namespace the command runs as its root."""
    for path in cgroup_dirs:
        with open(os.path.join(path, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
    new_user = os.stat(f"/proc/{pid}/ns/user").st_ino != os.stat("/proc/self/ns/user").st_ino
    pyvirt.lxc.enter_namespace(open_namespaces(pid))
    if new_user:
        os.setgroups([])
        os.setresgid(0, 0, 0)
        os.setresuid(0, 0, 0)


def main(args: Sequence[str]) -> int:
    pid, rest = int(args[0]), list(args[1:])
    split = rest.index("--")
    cgroup_dirs, argv = rest[:split], rest[split + 1 :]
    if not argv:
        print("pyvirt_lxc.enter: no command given", file=sys.stderr)
        return 2
    try:
        _join(pid, cgroup_dirs)
    except (OSError, PyvirtError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        print(f"cannot enter the container: {why}", file=sys.stderr)
        return 125
    child = os.fork()
    if child == 0:
        reset_signals()
        try:
            os.execvpe(argv[0], argv, _ENV)
        except OSError as exc:
            print(f"cannot run '{argv[0]}' inside the container: {exc.strerror}", file=sys.stderr)
            os._exit(127)
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
