"""``libvirt_lxc`` on a real container of pyvirt's LXC driver (``lxc:///embed``): the descriptors
``lxcOpenNamespace`` hands out are the container init's namespaces, a forked child that joins
them sees the container's hostname and files, and ``lxcEnterCGroup`` puts a child in the
container's cgroups.  The error cases are compared with real libvirt-python on libvirt's test
driver, where the C library answers them before any driver is involved."""

from __future__ import annotations

import ctypes
import inspect
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import libvirt
import libvirt_lxc
import pytest

from pyvirt_lxc.testing import PATIENCE, build_rootfs, container_xml, empty_root

_NAMESPACES = {"user", "ipc", "uts", "net", "pid", "mnt"}
_libc = ctypes.CDLL(None, use_errno=True)


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_rootfs(str(tmp_path_factory.mktemp("rootfs")))


@pytest.fixture
def quiet() -> Iterator[list[Any]]:
    seen: list[Any] = []
    libvirt.registerErrorHandler(lambda ctx, err: seen.append(err), None)
    yield seen
    libvirt.registerErrorHandler(None, None)


@pytest.fixture
def lxc(tmp_path: Path, quiet: list[Any]) -> Iterator[libvirt.virConnect]:
    root = str(tmp_path / "root")
    try:
        libvirt.virEventRegisterDefaultImpl()  # libvirt opens no embedded driver without a loop
        conn = libvirt.open(f"lxc:///embed?root={root}")
        try:
            yield conn
        finally:
            conn.close()
    finally:
        empty_root(root)  # destroys what is left and fails on leftovers on the host


class Boxed:
    """A running container named ``lxcns`` whose init wrote ``token`` to its ``/tmp/only-here``."""

    def __init__(self, dom: libvirt.virDomain, token: str) -> None:
        self.dom = dom
        self.token = token


@pytest.fixture
def boxed(lxc: libvirt.virConnect, rootfs: str) -> Boxed:
    token = secrets.token_hex(8)
    marker = Path(rootfs, "tmp", "only-here")
    marker.unlink(missing_ok=True)
    script = f"echo {token} > /tmp/only-here; exec sleep 1000"
    dom = lxc.createXML(container_xml("lxcns", rootfs, args=["-c", script]), 0)
    deadline = time.monotonic() + PATIENCE
    while not (marker.exists() and marker.read_text().strip() == token):
        assert time.monotonic() < deadline, "the container's init never wrote its marker"
        time.sleep(0.02)
    return Boxed(dom, token)


def _in_child(body: Callable[[], object]) -> Any:
    """Run ``body`` in a forked child (joining namespaces or cgroups must not touch the test
    process) and return what it returned, through a pipe as JSON; the child is reaped, and
    killed if it takes longer than PATIENCE."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(rfd)
        try:
            out = json.dumps({"ok": body()})
        except BaseException as exc:
            out = json.dumps({"error": repr(exc)})
        os.write(wfd, out.encode())
        os._exit(0)
    os.close(wfd)
    try:
        deadline = time.monotonic() + PATIENCE
        while os.waitpid(pid, os.WNOHANG) == (0, 0):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise AssertionError("the child hung")
            time.sleep(0.01)
        with os.fdopen(rfd, "rb") as pipe:
            rfd = -1
            result = json.loads(pipe.read() or b'{"error": "no answer"}')
    finally:
        if rfd >= 0:
            os.close(rfd)
    assert "error" not in result, result["error"]
    return result["ok"]


def _kind(fd: int) -> str:
    return os.readlink(f"/proc/self/fd/{fd}").partition(":")[0]


def test_open_namespace_returns_the_init_namespaces(boxed: Boxed) -> None:
    init = boxed.dom.ID()  # the LXC driver's domain ID is its init's host PID
    fds = libvirt_lxc.lxcOpenNamespace(boxed.dom, 0)
    try:
        assert isinstance(fds, list) and all(type(fd) is int for fd in fds)
        kinds = [_kind(fd) for fd in fds]
        assert {"uts", "mnt", "pid", "ipc"} <= set(kinds) <= _NAMESPACES
        assert len(kinds) == len(set(kinds))
        for fd, kind in zip(fds, kinds, strict=True):
            theirs = os.stat(f"/proc/{init}/ns/{kind}")
            assert (os.fstat(fd).st_dev, os.fstat(fd).st_ino) == (theirs.st_dev, theirs.st_ino)
        ours = os.stat("/proc/self/ns/mnt")
        mnt = fds[kinds.index("mnt")]
        assert os.fstat(mnt).st_ino != ours.st_ino  # the container's, not ours
    finally:
        for fd in fds:
            os.close(fd)


def test_child_joining_mount_and_uts_namespaces_sees_the_container(boxed: Boxed) -> None:
    """The child joins with ``setns`` itself, as a libvirt-python program must (libvirt-python
    has no lxcEnterNamespace): it sees the container's hostname (its domain name), the file
    only the container's init wrote at its ``/tmp``, and the container's /proc."""
    assert not Path("/tmp/only-here").exists() or Path("/tmp/only-here").read_text().strip() != boxed.token
    assert socket.gethostname() != "lxcns"
    fds = libvirt_lxc.lxcOpenNamespace(boxed.dom, 0)

    def inside() -> list[str]:
        for fd in fds:
            if _kind(fd) in ("uts", "mnt") and _libc.setns(fd, 0) != 0:
                raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
        os.chdir("/")
        with open("/tmp/only-here") as marker, open("/proc/1/cmdline", "rb") as cmdline:
            return [socket.gethostname(), marker.read().strip(), cmdline.read().decode()]

    try:
        hostname, marker, cmdline = _in_child(inside)
    finally:
        for fd in fds:
            os.close(fd)
    assert hostname == "lxcns"
    assert marker == boxed.token
    assert cmdline.split("\0")[:2] == ["sleep", "1000"]  # the container's init, through its /proc


def test_enter_cgroup_moves_the_caller_into_the_containers_cgroups(boxed: Boxed) -> None:
    init = boxed.dom.ID()
    wanted = Path(f"/proc/{init}/cgroup").read_text()
    assert Path("/proc/self/cgroup").read_text() != wanted

    def enter() -> list[object]:
        ret = libvirt_lxc.lxcEnterCGroup(boxed.dom, 0)
        return [ret, Path("/proc/self/cgroup").read_text()]

    ret, theirs = _in_child(enter)
    assert ret == 0
    assert theirs == wanted


def _namespace_links() -> set[str]:
    """This process's open namespace descriptors, named by fd and target: other descriptors come
    and go with the embedded driver's own threads (its monitor opens sockets and pipes), so
    counting all of them made the check below fail on a busy machine."""
    links = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except FileNotFoundError:
            continue  # closed by another thread since the listing
        if target.endswith("]") and target.partition(":")[0] in _NAMESPACE_KINDS:
            links.add(f"{fd} {target}")
    return links


_NAMESPACE_KINDS = frozenset({"mnt", "uts", "ipc", "net", "pid", "user", "cgroup", "time"})


def test_open_namespace_with_flags_is_refused_by_the_lxc_driver(boxed: Boxed, quiet: list[Any]) -> None:
    before = _namespace_links()
    with pytest.raises(libvirt.libvirtError) as caught:
        libvirt_lxc.lxcOpenNamespace(boxed.dom, 1)
    message = "unsupported flags (0x1) in function lxcDomainLxcOpenNamespace"
    assert caught.value.err == (8, 17, message, 2, "lxcDomainLxcOpenNamespace", "flags", None, 0, 0)
    assert quiet == [caught.value.err]
    assert _namespace_links() <= before  # the opened descriptors were closed


def test_enter_cgroup_on_a_container_that_is_gone_returns_minus_one(boxed: Boxed, quiet: list[Any]) -> None:
    boxed.dom.destroy()
    assert libvirt_lxc.lxcEnterCGroup(boxed.dom, 0) == -1
    assert quiet and quiet[-1] == libvirt.virGetLastError()
    assert quiet[-1][0] == libvirt.VIR_ERR_NO_DOMAIN  # a transient container is gone once destroyed


_CASES = """
import libvirt, libvirt_lxc, json
libvirt.registerErrorHandler(lambda ctx, err: None, None)
out = []
rw = libvirt.open("test:///default")
ro = libvirt.openReadOnly("test:///default")
for conn, func, flags in [(rw, "lxcOpenNamespace", 0), (rw, "lxcOpenNamespace", 1), (ro, "lxcOpenNamespace", 0),
                          (ro, "lxcEnterCGroup", 0), (rw, "lxcEnterCGroup", 2), (ro, "lxcEnterCGroup", 2)]:
    dom = conn.lookupByName("test")
    try:
        out.append([func, flags, getattr(libvirt_lxc, func)(dom, flags), libvirt.virGetLastError()])
    except libvirt.libvirtError as exc:
        out.append([func, flags, "raised", exc.err])
print(json.dumps(out))
"""


def _cases_here() -> list[list[Any]]:
    out: list[list[Any]] = []
    rw = libvirt.open("test:///default")
    ro = libvirt.openReadOnly("test:///default")
    try:
        for conn, func, flags in [
            (rw, "lxcOpenNamespace", 0),
            (rw, "lxcOpenNamespace", 1),
            (ro, "lxcOpenNamespace", 0),
            (ro, "lxcEnterCGroup", 0),
            (rw, "lxcEnterCGroup", 2),
            (ro, "lxcEnterCGroup", 2),
        ]:
            dom = conn.lookupByName("test")
            try:
                out.append([func, flags, getattr(libvirt_lxc, func)(dom, flags), libvirt.virGetLastError()])
            except libvirt.libvirtError as exc:
                out.append([func, flags, "raised", exc.err])
    finally:
        rw.close()
        ro.close()
    as_lists: list[list[Any]] = json.loads(json.dumps(out))  # tuples as lists, as the reference prints them
    return as_lists


@pytest.mark.skipif(shutil.which("/usr/bin/python3") is None, reason="no reference Python")
def test_errors_match_real_libvirt_python_on_the_test_driver(quiet: list[Any]) -> None:
    """Read-only refusals, bad flags and a driver without LXC calls: same raise-or-return, same
    error tuple.  (``lxcEnterCGroup`` with flags 0 on a test domain is not compared: real
    libvirt moves the caller into the cgroups of host PID 1, the test domain's ID; pyvirt
    refuses with VIR_ERR_NO_SUPPORT.)"""
    probe = subprocess.run(["/usr/bin/python3", "-c", "import libvirt_lxc"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("python3-libvirt is not installed")
    done = subprocess.run(["/usr/bin/python3", "-c", _CASES], capture_output=True, text=True, timeout=60, check=True)
    assert _cases_here() == json.loads(done.stdout)


def test_signatures_are_libvirt_pythons() -> None:
    for func in (libvirt_lxc.lxcOpenNamespace, libvirt_lxc.lxcEnterCGroup):
        assert list(inspect.signature(func).parameters) == ["domain", "flags"]
    assert sorted(libvirt_lxc.__all__) == ["lxcEnterCGroup", "lxcOpenNamespace"]
