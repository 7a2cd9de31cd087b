"""``lxc-enter-namespace`` through pyvirtd: the daemon passes descriptors on a container's
namespaces over its unix socket (libvirt's LXC program, REPLY_WITH_FDS), and the client joins
them and runs the command itself; real virsh and pyvirsh both do so."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from test_lxc_daemon import daemon, system_uri  # noqa: F401 - the fixture

import pyvirt
import pyvirt.lxc
from pyvirt_daemon.process import DaemonProcess
from pyvirt_lxc.testing import container_xml

needs_virsh = pytest.mark.skipif(shutil.which("virsh") is None, reason="real virsh is not installed")
PYVIRSH = [sys.executable, "-m", "pyvirt.cli"]


_NS = {"user", "ipc", "uts", "net", "pid", "mnt"}


def _open_fds(pid: int) -> list[str]:
    """What the process's descriptors point at (one closed while looking is left out)."""
    links = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except FileNotFoundError:
            continue
    return links


class Served(NamedTuple):
    daemon: DaemonProcess
    uri: str


@pytest.fixture
def served(daemon: DaemonProcess, rootfs: str) -> Iterator[Served]:  # noqa: F811
    """The daemon running a container named ``boxed`` (its init a shell that sleeps)."""
    daemon.start()
    with pyvirt.open(system_uri(daemon)) as conn:
        conn.create_domain(container_xml("boxed", rootfs, args=["-c", "exec sleep 1000"]))
    yield Served(daemon, system_uri(daemon))


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


@needs_virsh
def test_real_virsh_runs_a_command_inside_the_container(served: Served) -> None:
    done = _run(["virsh", "-c", served.uri, "lxc-enter-namespace", "boxed", "--noseclabel", "--", "/bin/hostname"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "boxed"


@needs_virsh
def test_real_virsh_command_is_in_the_containers_pid_namespace(served: Served) -> None:
    """``$$`` of a shell started inside: a small PID of the container's namespace, not a host PID;
    its parent is outside the namespace, which the kernel shows as PID 0; its /proc is the
    container's."""
    script = "echo $$ $PPID; tr '\\0' ' ' < /proc/1/cmdline"
    done = _run(
        ["virsh", "-c", served.uri, "lxc-enter-namespace", "boxed", "--noseclabel", "--", "/bin/sh", "-c", script]
    )
    assert done.returncode == 0, done.stderr
    first, init = done.stdout.splitlines()
    pid, ppid = (int(word) for word in first.split())
    assert ppid == 0 and 1 < pid < 100
    assert init.split() == ["sleep", "1000"]  # the container's init, as its /proc shows it


def test_pyvirsh_enters_through_pyvirtd(served: Served) -> None:
    done = _run(
        [*PYVIRSH, "-c", served.uri, "lxc-enter-namespace", "boxed", "--", "/bin/sh", "-c", "hostname; echo $$"]
    )
    assert done.returncode == 0, done.stderr
    name, pid = done.stdout.split()
    assert name == "boxed" and 1 < int(pid) < 100
    failed = _run([*PYVIRSH, "-c", served.uri, "lxc-enter-namespace", "boxed", "--", "/bin/sh", "-c", "exit 3"])
    assert failed.returncode == 1 and "unexpected exit status 3" in failed.stderr


def _memory_group(cgroup_file: str) -> str:
    """The memory line of a ``/proc/PID/cgroup`` (v1 hierarchy, or the v2 tree on a v2-only host)."""
    lines = [line.split(":", 2) for line in cgroup_file.splitlines() if line]
    v1 = [group for _, controllers, group in lines if "memory" in controllers.split(",")]
    return v1[0] if v1 else next(group for hierarchy, _, group in lines if hierarchy == "0")


@pytest.mark.parametrize("client", ["virsh", "pyvirsh"])
def test_entered_command_runs_in_the_containers_cgroups(served: Served, client: str) -> None:
    """The domain ID is the init's host PID, so virsh (virDomainLxcEnterCGroup reads
    ``/proc/<ID>/cgroup``) and pyvirsh put the command in the container's memory cgroup, under
    its limit, not in the caller's or PID 1's."""
    if client == "virsh" and shutil.which("virsh") is None:
        pytest.skip("real virsh is not installed")
    with pyvirt.open(served.uri) as conn:
        domain_id = conn.lookup_domain_by_name("boxed").id
    container = _memory_group(Path(f"/proc/{domain_id}/cgroup").read_text())
    assert container != _memory_group(Path("/proc/self/cgroup").read_text())
    assert container != _memory_group(Path("/proc/1/cgroup").read_text())
    command = [*(["virsh"] if client == "virsh" else PYVIRSH), "-c", served.uri, "lxc-enter-namespace", "boxed"]
    done = _run([*command, "--noseclabel", "--", "/bin/cat", "/proc/self/cgroup"])
    assert done.returncode == 0, done.stderr
    assert _memory_group(done.stdout) == container


def test_api_joins_cgroups_only_of_a_container_on_this_host(served: Served) -> None:
    """``enter_cgroup`` joins the groups of the process the ID names only when that process is in
    the PID namespace the driver's descriptors are on (otherwise the PID is some other process
    here): descriptors on another namespace join nothing, the container's join its groups."""
    script = f"""
import os, pyvirt, pyvirt.lxc
dom = pyvirt.open({served.uri!r}).lookup_domain_by_name("boxed")
fds = pyvirt.lxc.open_namespace(dom)
pyvirt.lxc.enter_cgroup(dom, [os.open("/proc/self/ns/pid", os.O_RDONLY)])
print(open("/proc/self/cgroup").read(), end="--\\n")
pyvirt.lxc.enter_cgroup(dom, fds)
print(open("/proc/self/cgroup").read(), end="")
print(dom.id)
"""
    done = _run([sys.executable, "-c", script])
    assert done.returncode == 0, done.stderr
    before, after = done.stdout.split("--\n")
    *groups, domain_id = after.splitlines()
    assert _memory_group(before) == _memory_group(Path("/proc/self/cgroup").read_text())
    assert _memory_group("\n".join(groups)) == _memory_group(Path(f"/proc/{domain_id}/cgroup").read_text())
    assert _memory_group(before) != _memory_group("\n".join(groups))


def test_api_gives_namespace_fds_that_the_caller_owns(served: Served) -> None:
    with pyvirt.open(served.uri) as conn:
        dom = conn.lookup_domain_by_name("boxed")
        fds = pyvirt.lxc.open_namespace(dom)
        try:
            init = _init_pid(os.fstat(fds[4]).st_ino)
            kinds = [os.readlink(f"/proc/self/fd/{fd}").split(":")[0] for fd in fds]
            assert kinds == ["user", "ipc", "uts", "net", "pid", "mnt"]  # libvirt's order
            for fd, kind in zip(fds, kinds, strict=True):
                assert os.fstat(fd).st_ino == os.stat(f"/proc/{init}/ns/{kind}").st_ino
        finally:
            for fd in fds:
                os.close(fd)
        # the connection goes on working after the descriptors went by
        assert dom.state()[0] == pyvirt.DomainState.RUNNING


def _init_pid(pid_ns: int) -> int:
    """The host PID of the process that is PID 1 in the PID namespace whose inode is ``pid_ns``."""
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit() or (proc / "ns" / "pid").stat().st_ino != pid_ns:
                continue
            status = (proc / "status").read_text()
        except OSError:
            continue
        nspid = next(line.split()[1:] for line in status.splitlines() if line.startswith("NSpid:"))
        if nspid[-1] == "1":
            return int(proc.name)
    raise AssertionError("no init in that PID namespace")


def test_read_only_connection_is_refused(served: Served) -> None:
    ro = served.daemon.uri(readonly=True, driver="lxc", path="/system")
    # the daemon refuses (a client that does not know its socket is read-only asks anyway)...
    with pyvirt.open(ro) as conn:
        dom = conn.lookup_domain_by_name("boxed")
        with pytest.raises(pyvirt.PyvirtError, match="read only access prevents virDomainLxcOpenNamespace") as info:
            pyvirt.lxc.open_namespace(dom)
        assert info.value.code == pyvirt.ErrorCode.OPERATION_DENIED
    # ...and a read-only client does not even ask
    with pyvirt.open_read_only(served.uri) as conn:
        with pytest.raises(pyvirt.PyvirtError, match="read only access prevents virDomainLxcOpenNamespace"):
            pyvirt.lxc.open_namespace(conn.lookup_domain_by_name("boxed"))
    if shutil.which("virsh"):
        done = _run(["virsh", "-r", "-c", ro, "lxc-enter-namespace", "boxed", "--noseclabel", "--", "/bin/hostname"])
        assert done.returncode != 0 and "read only access prevents virDomainLxcOpenNamespace" in done.stderr


def test_stopped_container_and_bad_calls_get_libvirt_errors(served: Served, rootfs: str) -> None:
    with pyvirt.open(served.uri) as conn:
        conn.define_domain(container_xml("idle", rootfs, args=["-c", "exec sleep 1000"]))
        idle = conn.lookup_domain_by_name("idle")
        with pytest.raises(pyvirt.PyvirtError, match="domain is not running") as info:
            pyvirt.lxc.open_namespace(idle)
        assert info.value.code == pyvirt.ErrorCode.OPERATION_INVALID
        idle.undefine()
    if shutil.which("virsh"):
        done = _run(["virsh", "-c", served.uri, "lxc-enter-namespace", "boxed", "--noseclabel", "--", "/nonexistent"])
        assert done.returncode != 0


def test_the_daemon_keeps_no_descriptor(served: Served) -> None:
    """Every descriptor passed is closed once sent; what a client needed goes with the client."""
    assert served.daemon.proc is not None
    before = sorted(_open_fds(served.daemon.proc.pid))
    with pyvirt.open(served.uri) as conn:
        dom = conn.lookup_domain_by_name("boxed")
        for _ in range(5):
            for fd in pyvirt.lxc.open_namespace(dom):
                os.close(fd)
        assert dom.state()[0] == pyvirt.DomainState.RUNNING  # a later reply: the fds were sent
        during = _open_fds(served.daemon.proc.pid)
    assert not any(link.split(":")[0] in _NS for link in during)
    deadline = time.monotonic() + 10  # the daemon notices the client left on its next loop turn
    while added := [f for f in _open_fds(served.daemon.proc.pid) if f not in before]:
        assert time.monotonic() < deadline, f"left open in the daemon: {added}"
        time.sleep(0.05)


def test_a_connection_to_another_driver_refuses_like_libvirtd(served: Served) -> None:
    with pyvirt.open(served.daemon.uri()) as conn:
        dom = conn.lookup_domain_by_name("test")
        with pytest.raises(
            pyvirt.PyvirtError, match="not supported by the connection driver: virDomainLxcOpenNamespace"
        ):
            pyvirt.lxc.open_namespace(dom)
        assert dom.is_active()  # the connection is still usable
    if shutil.which("virsh"):
        virsh = ["virsh", "-c", served.daemon.uri()]
        done = _run([*virsh, "lxc-enter-namespace", "test", "--noseclabel", "--", "/bin/true"])
        assert done.returncode != 0 and "virDomainLxcOpenNamespace" in done.stderr, done.stderr
