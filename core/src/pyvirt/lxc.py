"""Calls only Linux containers offer, kept apart as libvirt keeps them in ``libvirt-lxc``.

:func:`open_namespace` asks the driver serving the domain (in this process or behind pyvirtd,
which passes the descriptors over its unix socket) for descriptors on the container's
namespaces; :func:`enter_cgroup` moves the calling process into the container's cgroups and
:func:`enter_namespace` joins the namespaces.  Joining is done by the
client, not the driver, so a command run "inside" a container is a child of the caller: its
terminal, its exit status.  Joining a PID or user namespace needs a single-threaded process, so
callers fork first and join in the child.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
from collections.abc import Sequence
from pathlib import Path

from pyvirt.domain import Domain
from pyvirt.errors import ErrorCode, PyvirtError

_libc = ctypes.CDLL(None, use_errno=True)


def open_namespace(domain: Domain) -> list[int]:
    """Descriptors on the running container's namespaces (libvirt's virDomainLxcOpenNamespace);
    the caller closes them.  Refused on read-only connections: they give full access to the
    container."""
    domain.connection.check_writable("virDomainLxcOpenNamespace")
    return domain.connection.driver.domain_lxc_open_namespace(domain.uuid)


def enter_namespace(fds: Sequence[int]) -> None:
    """Join every namespace in ``fds`` (from :func:`open_namespace`) and close them, as
    virDomainLxcEnterNamespace does; a namespace the process is already in is skipped (the
    kernel answers EINVAL for it).  The working directory becomes the new root's ``/``."""
    try:
        for fd in fds:
            if _libc.setns(fd, 0) != 0:
                err = ctypes.get_errno()
                if err != errno.EINVAL:
                    raise PyvirtError(
                        f"Unable to join domain namespace: {os.strerror(err)}", code=ErrorCode.SYSTEM_ERROR
                    )
    finally:
        for fd in fds:
            os.close(fd)
    os.chdir("/")


def enter_cgroup(domain: Domain, fds: Sequence[int]) -> None:
    """Move the calling process into the cgroups of the container's init, as
    virDomainLxcEnterCGroup does: read ``/proc/<domain ID>/cgroup`` (the LXC driver's domain ID
    is its init's host PID) and write our PID into each listed group under this host's cgroup
    mounts, so what runs inside stays under the container's limits.

    libvirt's client trusts the ID blindly; here the ID must name a process in the same PID
    namespace as ``fds`` (from :func:`open_namespace`), which holds only when the container runs
    on this host and its driver uses PIDs as IDs.  Otherwise nothing is joined: that PID on this
    host is some other process, whose cgroups would let the command escape the container's.
    """
    domain.connection.check_writable("virDomainLxcEnterCGroup")
    if not _is_init_of(domain.id, fds):
        return
    try:
        wanted = Path(f"/proc/{domain.id}/cgroup").read_text()
        mounts = _cgroup_mounts(Path("/proc/self/mountinfo").read_text())
        for line in wanted.splitlines():
            hierarchy, _, rest = line.partition(":")
            controllers, _, group = rest.partition(":")
            mount = _mount_of(mounts, "cgroup2" if hierarchy == "0" else "cgroup", controllers)
            if mount is None:
                continue  # a hierarchy this host does not mount: nothing to join there
            relative = os.path.relpath(group, mount[1])
            if relative.startswith(".."):
                continue  # the group lies outside what this mount shows
            (Path(mount[0]) / relative / "cgroup.procs").write_text(str(os.getpid()))
    except OSError as exc:
        raise PyvirtError(
            f"Unable to join the container's cgroups: {exc.strerror or exc}", code=ErrorCode.SYSTEM_ERROR
        ) from None


def _is_init_of(pid: int, fds: Sequence[int]) -> bool:
    """Whether host process ``pid`` lives in one of the PID namespaces among ``fds``."""
    if pid <= 0:
        return False
    try:
        own = os.stat(f"/proc/{pid}/ns/pid")
    except OSError:
        return False
    return any((st.st_dev, st.st_ino) == (own.st_dev, own.st_ino) for st in map(os.fstat, fds))


def _cgroup_mounts(mountinfo: str) -> list[tuple[str, set[str], str, str]]:
    """Every cgroup mount of this process's view: file system type, super options (the
    controllers of a v1 hierarchy, ``name=`` included), mount point, and the root of the
    hierarchy it shows."""
    found = []
    for line in mountinfo.splitlines():
        fields = line.split()
        sep = fields.index("-")
        if fields[sep + 1] in ("cgroup", "cgroup2"):
            found.append((fields[sep + 1], set(fields[sep + 3].split(",")), _unescape(fields[4]), _unescape(fields[3])))
    return found


def _mount_of(mounts: list[tuple[str, set[str], str, str]], fstype: str, controllers: str) -> tuple[str, str] | None:
    """Mount point and root of the first mount of the hierarchy ``/proc/PID/cgroup`` names by
    ``controllers`` (empty for the v2 tree)."""
    wanted = {c for c in controllers.split(",") if c}
    for kind, options, point, root in mounts:
        if kind == fstype and wanted <= options:
            return point, root
    return None


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)
