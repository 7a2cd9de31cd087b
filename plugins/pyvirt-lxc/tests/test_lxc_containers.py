"""Real containers on this host: what runs inside, the console, freezing, and destroy."""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import pyvirt
from pyvirt import DomainEventType, DomainState
from pyvirt.errors import ErrorCode
from pyvirt.types import ShutoffReason, StoppedDetail
from pyvirt_lxc import cgroups, extras
from pyvirt_lxc.container import DROPPED_CAPABILITIES
from pyvirt_lxc.driver import embed_scope
from pyvirt_lxc.store import Runtime
from pyvirt_lxc.testing import PATIENCE, build_rootfs, container_xml

Inside = Callable[..., str]
IDMAP = "<idmap><uid start='0' target='200000' count='65536'/><gid start='0' target='200000' count='65536'/></idmap>"


def live(dom: pyvirt.Domain) -> Runtime:
    found = extras.runtime(dom)
    assert found is not None, f"{dom.name} is not running"
    return found


def read_until(stream: pyvirt.Stream, marker: bytes, timeout: float = PATIENCE) -> bytes:
    """Read the console until ``marker``; a console that stays silent is cut off after
    ``timeout`` (aborting the stream ends a blocked ``recv``)."""
    watchdog = threading.Timer(timeout, stream.abort)
    watchdog.start()
    got = b""
    try:
        while marker not in got:
            chunk = b"" if stream.closed else stream.recv(65536)
            if not chunk:
                raise AssertionError(f"console ended or was silent before {marker!r}; it said {got!r}")
            got += chunk
    finally:
        watchdog.cancel()
    return got


def wait_for(condition: Callable[[], bool], within: float = PATIENCE) -> bool:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def share(tmp_path: str) -> str:
    path = os.path.join(str(tmp_path), "share")
    os.makedirs(path)
    with open(os.path.join(path, "hello"), "w") as f:
        f.write("from the host\n")
    return path


def test_container_runs_its_init_as_pid_1_in_its_own_world(
    lxc: pyvirt.Connection, rootfs: str, share: str, inside: Inside
) -> None:
    devices = (
        "<filesystem type='ram'><source usage='2048' units='KiB'/><target dir='/scratch'/></filesystem>"
        f"<filesystem type='mount'><source dir='{share}'/><target dir='/mnt/share'/><readonly/></filesystem>"
    )
    dom = lxc.define_domain(
        container_xml(
            "inner",
            rootfs,
            args=["-c", "exec sleep 1000"],
            env={"GREETING": "hello there"},
            initdir="/tmp",
            memory_kib=32768,
            extra_devices=devices,
        )
    )
    dom.start()
    assert dom.state() == (DomainState.RUNNING, 1) and dom.id > 0
    assert inside(dom, "hostname").strip() == "inner"
    assert inside(dom, "cat", "/proc/1/cmdline").split("\0")[:2] == ["sleep", "1000"]
    environ = inside(dom, "cat", "/proc/1/environ").split("\0")
    assert "GREETING=hello there" in environ and "container=lxc-libvirt" in environ
    assert inside(dom, "readlink", "/proc/1/cwd").strip() == "/tmp"
    mounts = {line.split()[1]: line.split() for line in inside(dom, "cat", "/proc/mounts").splitlines()}
    assert mounts["/proc"][2] == "proc"
    assert mounts["/sys"][2] == "sysfs" and "ro" in mounts["/sys"][3].split(",")
    assert mounts["/scratch"][2] == "tmpfs" and "size=2048k" in mounts["/scratch"][3]
    assert "ro" in mounts["/mnt/share"][3].split(",")
    assert inside(dom, "cat", "/mnt/share/hello") == "from the host\n"
    assert inside(dom, "sh", "-c", "echo x > /mnt/share/new", check=False) == ""
    assert not os.path.exists(os.path.join(share, "new"))
    assert mounts["/dev/pts"][2] == "devpts"
    assert sorted(inside(dom, "ls", "/sys/class/net").split()) == ["lo"]
    # its own PID namespace: only its own processes, none of the host's
    assert {int(p) for p in inside(dom, "sh", "-c", "ls /proc | grep '^[0-9]'").split()} < set(range(1, 50))
    # no signal is left ignored or blocked by the Python that started it (SIGPIPE would be)
    status = dict(line.split(":\t", 1) for line in inside(dom, "cat", "/proc/1/status").splitlines() if ":\t" in line)
    assert int(status["SigIgn"], 16) == 0 and int(status["SigBlk"], 16) == 0
    bounding = int(inside(dom, "sh", "-c", "grep CapBnd /proc/1/status").split()[1], 16)
    assert all(not bounding & (1 << cap) for cap in DROPPED_CAPABILITIES)
    assert bounding & (1 << 21)  # CAP_SYS_ADMIN stays, as in libvirt's default
    dom.destroy()


def test_memory_limit_holds_inside(lxc: pyvirt.Connection, lxc_root: str, rootfs: str, inside: Inside) -> None:
    scope = embed_scope(lxc_root)
    dom = lxc.create_domain(container_xml("memcap", rootfs, args=["-c", "exec sleep 1000"], memory_kib=24576))
    layout = cgroups.detect()
    if layout.backend("memory") == "v1":
        limit_file = os.path.join(layout.v1["memory"], "pyvirt-lxc", scope, "memcap", "memory.limit_in_bytes")
    else:
        limit_file = os.path.join(str(layout.v2), "pyvirt-lxc", scope, "memcap", "memory.max")
    with open(limit_file) as f:
        assert int(f.read()) == 24576 * 1024
    # 8 MiB of tmpfs fits in 24 MiB; 40 MiB does not: the kernel stops the writer
    assert inside(dom, "sh", "-c", "dd if=/dev/zero of=/dev/shm/a bs=1M count=8 2>/dev/null && echo ok").strip() == "ok"
    inside(dom, "rm", "/dev/shm/a")
    out = inside(dom, "sh", "-c", "dd if=/dev/zero of=/dev/shm/b bs=1M count=40 2>/dev/null && echo ok", check=False)
    assert "ok" not in out
    assert dom.info().memory <= 24576
    # a running container's current memory is its cgroup limit; below what it uses (the
    # tmpfs file) the kernel refuses, and the old limit stays
    if cgroups.detect().backend("memory") == "v1":
        with pytest.raises(pyvirt.PyvirtError, match="the kernel refused memory limit 16384 KiB"):
            dom.set_memory(16384)
        with open(limit_file) as f:
            assert int(f.read()) == 24576 * 1024
    # the full container has no room for a new process: free the tmpfs through its root
    os.remove(f"/proc/{live(dom).init_pid}/root/dev/shm/b")
    dom.set_memory(16384)
    with open(limit_file) as f:
        assert int(f.read()) == 16384 * 1024
    with pytest.raises(pyvirt.PyvirtError, match="higher than max memory"):
        dom.set_memory(32768)
    dom.destroy()


def test_console_is_a_byte_stream_with_one_holder(lxc: pyvirt.Connection, rootfs: str) -> None:
    dom = lxc.create_domain(container_xml("talk", rootfs, args=["-i"]))
    with dom.open_console() as console:
        console.send(b"echo answer-$((6*7))\n")
        assert b"answer-42" in read_until(console, b"answer-42\r\n")
        with pytest.raises(pyvirt.PyvirtError, match="Active console session exists"):
            dom.open_console()
        with dom.open_console(force=True) as taken:  # the first holder is cut off
            assert b"".join(console) == b""
            taken.send(b"echo $$\n")
            assert b"\r\n1\r\n" in read_until(taken, b"\r\n1\r\n")
    # once released, a later client still talks to the same shell
    with dom.open_console() as console:
        console.send(b"echo again\n")
        read_until(console, b"again\r\n")
    dom.destroy()


def test_suspend_freezes_and_resume_thaws(lxc: pyvirt.Connection, rootfs: str, share: str) -> None:
    writable = share.replace("share", "ticks")
    os.makedirs(writable)
    devices = f"<filesystem type='mount'><source dir='{writable}'/><target dir='/ticks'/></filesystem>"
    loop = "while :; do echo t >> /ticks/log; usleep 5000; done"
    dom = lxc.create_domain(container_xml("ticker", rootfs, args=["-c", loop], extra_devices=devices))
    log = os.path.join(writable, "log")

    def size() -> int:
        return os.path.getsize(log) if os.path.exists(log) else 0

    def grows(within: float = PATIENCE) -> bool:
        """True once the log grows: a loaded machine may take a while to schedule the loop."""
        start, deadline = size(), time.monotonic() + within
        while time.monotonic() < deadline:
            if size() > start:
                return True
            time.sleep(0.01)
        return False

    assert grows()
    dom.suspend()
    assert dom.state()[0] == DomainState.PAUSED
    cpu = dom.info().cpu_time
    assert not grows(within=0.3) and dom.info().cpu_time == cpu
    with pytest.raises(pyvirt.PyvirtError, match="already paused"):
        dom.suspend()
    dom.resume()
    assert dom.state()[0] == DomainState.RUNNING
    assert grows() and dom.info().cpu_time > cpu
    dom.suspend()
    dom.destroy()  # a frozen container is destroyed too


def test_started_paused_its_init_has_run_no_code_until_resumed(
    lxc: pyvirt.Connection, rootfs: str, tmp_path: str
) -> None:
    state = os.path.join(str(tmp_path), "state")
    os.makedirs(state)
    marker = os.path.join(state, "marker")
    devices = f"<filesystem type='mount'><source dir='{state}'/><target dir='/state'/></filesystem>"
    seen: list[tuple[DomainEventType, int]] = []
    lxc.domain_event_register(lambda ev: seen.append((ev.event, ev.detail)))
    xml = container_xml(
        "sleeper", rootfs, args=["-c", "echo ran > /state/marker; exec sleep 1000"], extra_devices=devices
    )
    dom = lxc.define_domain(xml)
    dom.start(paused=True)
    assert dom.state() == (DomainState.PAUSED, 1)
    init = live(dom).init_pid
    # the init is still the driver's forked Python, frozen just before its exec of /bin/sh
    assert os.readlink(f"/proc/{init}/exe") == os.readlink(f"/proc/{os.getpid()}/exe")
    time.sleep(0.3)  # what a running init would need to write its marker many times over
    assert not os.path.exists(marker)
    assert seen[-2:] == [(DomainEventType.STARTED, 0), (DomainEventType.SUSPENDED, 0)]
    dom.resume()
    assert wait_for(lambda: os.path.exists(marker))
    assert dom.state() == (DomainState.RUNNING, 1) and live(dom).init_pid == init
    assert wait_for(lambda: "sleep" in open(f"/proc/{init}/cmdline").read())
    dom.destroy()
    # a transient one too, and an <init> that does not exist is refused before the freeze
    with pytest.raises(pyvirt.PyvirtError, match="cannot run <init> '/bin/nothere'"):
        lxc.create_domain(container_xml("nothere", rootfs, init="/bin/nothere"), paused=True)
    again = lxc.create_domain(xml.replace("sleeper", "sleeper2"), paused=True)
    assert again.state()[0] == DomainState.PAUSED
    again.destroy()


def test_destroy_leaves_no_process_and_no_cgroup(
    lxc: pyvirt.Connection, lxc_root: str, rootfs: str, inside: Inside
) -> None:
    dom = lxc.create_domain(container_xml("crowd", rootfs, args=["-c", "sleep 1000 & sleep 1000 & exec sleep 1000"]))
    inside(dom, "sh", "-c", "sleep 1000 >/dev/null 2>&1 </dev/null &")
    cg = extras.cgroup(dom)
    pids = cg.pids()
    assert len(pids) >= 4
    monitor = live(dom).monitor_pid
    dom.destroy()
    assert not cg.exists()
    for pid in [*pids, monitor]:
        try:
            with open(f"/proc/{pid}/stat") as f:
                assert f.read().split(")")[1].split()[0] == "Z"  # at most a zombie for PID 1 to reap
        except FileNotFoundError:
            pass
    with pytest.raises(pyvirt.NoDomainError):
        lxc.lookup_domain_by_name("crowd")


def test_lifecycle_events_and_a_container_that_stops_itself(lxc: pyvirt.Connection, rootfs: str) -> None:
    seen: list[tuple[DomainEventType, int]] = []
    lxc.domain_event_register(lambda ev: seen.append((ev.event, ev.detail)))
    dom = lxc.define_domain(container_xml("brief", rootfs, args=["-c", "read line; exit 0"]))
    dom.start()
    with dom.open_console() as console:
        console.send(b"bye\n")
    deadline = time.monotonic() + 10
    while (DomainEventType.STOPPED, StoppedDetail.SHUTDOWN) not in seen and time.monotonic() < deadline:
        time.sleep(0.01)
    assert dom.state() == (DomainState.SHUTOFF, 1)
    assert [e for e, _ in seen] == [DomainEventType.DEFINED, DomainEventType.STARTED, DomainEventType.STOPPED]


def test_shutdown_asks_init_and_returns_the_stop_comes_when_it_exits(lxc: pyvirt.Connection, rootfs: str) -> None:
    seen: list[tuple[str, DomainEventType, int]] = []
    lxc.domain_event_register(lambda ev: seen.append((ev.domain.name, ev.event, ev.detail)))
    # an init without a SIGTERM handler ignores it (the kernel protects a PID namespace's init):
    # shutdown still returns at once, without error, and the container keeps running
    stubborn = lxc.create_domain(container_xml("stubborn", rootfs, args=["-c", "exec sleep 1000"]))
    stubborn.shutdown()
    polite = "trap 'exit 0' TERM; echo ready; while :; do sleep 1 & wait; done"
    dom = lxc.define_domain(container_xml("polite", rootfs, args=["-c", polite]))
    dom.start()
    with dom.open_console() as console:  # the trap is set once it says ready
        read_until(console, b"ready")
    dom.shutdown()
    assert wait_for(lambda: ("polite", DomainEventType.STOPPED, StoppedDetail.SHUTDOWN) in seen)
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.SHUTDOWN)
    assert stubborn.state() == (DomainState.RUNNING, 1)
    assert not [e for e in seen if e[0] == "stubborn" and e[1] == DomainEventType.STOPPED]
    with pytest.raises(pyvirt.PyvirtError, match="Container does not provide an initctl pipe"):
        extras.shutdown(stubborn, "initctl")
    with pytest.raises(pyvirt.InvalidArgumentError, match="unknown mode 'acpi'"):
        extras.shutdown(stubborn, "acpi")
    stubborn.destroy()
    with pytest.raises(pyvirt.OperationInvalidError, match="not running"):
        dom.shutdown()


def test_shutdown_with_a_timeout_waits_for_the_stop_or_says_the_container_still_runs(
    lxc: pyvirt.Connection, rootfs: str
) -> None:
    """Issue 10's "signal to init, then after a timeout a clear status": the wait of
    ``Domain.shutdown(timeout=)`` ends with the stop of an init that obeys SIGTERM, and an init
    that ignores it is left running with an error naming it."""
    polite = "trap 'exit 0' TERM; echo ready; while :; do sleep 1 & wait; done"
    dom = lxc.create_domain(container_xml("obeys", rootfs, args=["-c", polite]))
    with dom.open_console() as console:
        read_until(console, b"ready")
    stubborn = lxc.create_domain(container_xml("ignores", rootfs, args=["-c", "exec sleep 1000"]))
    try:
        dom.shutdown(timeout=30)
        with pytest.raises(pyvirt.NoDomainError):  # transient: gone once stopped
            lxc.lookup_domain_by_name("obeys")
        with pytest.raises(pyvirt.PyvirtError, match="guest ignores did not shut down within 1 s") as refused:
            stubborn.shutdown(timeout=1)
        assert refused.value.code == ErrorCode.OPERATION_TIMEOUT
        assert stubborn.state()[0] == DomainState.RUNNING
    finally:
        stubborn.destroy()


def test_shutdown_and_reboot_through_the_containers_initctl_fifo(
    lxc: pyvirt.Connection, rootfs: str, tmp_path: str
) -> None:
    """An init listening on /run/initctl gets libvirt's 384-byte runlevel request, not a signal."""
    state = os.path.join(str(tmp_path), "state")
    os.makedirs(state)
    devices = (
        f"<filesystem type='mount'><source dir='{state}'/><target dir='/state'/></filesystem>"
        "<filesystem type='ram'><source usage='1024' units='KiB'/><target dir='/run'/></filesystem>"
    )
    # boot 0 reads one request and reboots; boot 1 reads one and exits
    listen = (
        "mkfifo /run/initctl; exec 3<>/run/initctl; n=$(cat /state/n 2>/dev/null || echo 0); echo ready; "
        "dd bs=384 count=1 <&3 >/state/req$n 2>/dev/null; echo $((n+1)) >/state/n; [ $n = 0 ] && reboot -f; exit 0"
    )
    dom = lxc.define_domain(container_xml("sysv", rootfs, args=["-c", listen], extra_devices=devices))
    dom.start()
    first = live(dom)
    with dom.open_console() as console:
        read_until(console, b"ready")
    dom.reboot()  # runlevel 6; this init answers with reboot(2), which ends it with SIGHUP
    assert wait_for(lambda: (r := extras.runtime(dom)) is not None and r.init_pid != first.init_pid)
    with open(os.path.join(state, "req0"), "rb") as f:
        magic, cmd, runlevel = struct.unpack("<iii", f.read(12))
    assert (magic, cmd, chr(runlevel)) == (0x03091969, 1, "6")
    assert os.path.getsize(os.path.join(state, "req0")) == 384
    with dom.open_console() as console:
        read_until(console, b"ready")
    extras.shutdown(dom, "initctl")
    assert wait_for(lambda: dom.state()[0] == DomainState.SHUTOFF)
    assert dom.state()[1] == ShutoffReason.SHUTDOWN
    with open(os.path.join(state, "req1"), "rb") as f:
        assert chr(struct.unpack("<iii", f.read(12))[2]) == "0"


def test_an_initctl_link_planted_in_the_container_cannot_reach_a_host_fifo(
    lxc: pyvirt.Connection, rootfs: str, tmp_path: str
) -> None:
    """The FIFO is looked up inside the container's root (openat2 RESOLVE_IN_ROOT): its
    /run/initctl, a link to an absolute host path, resolves inside, finds nothing, and the init
    gets SIGTERM instead; the host FIFO the link names receives nothing."""
    host_fifo = os.path.join(str(tmp_path), "host-initctl")
    os.mkfifo(host_fifo)
    reader = os.open(host_fifo, os.O_RDWR | os.O_NONBLOCK)  # a writer would succeed at once
    try:
        run = "<filesystem type='ram'><source usage='1024' units='KiB'/><target dir='/run'/></filesystem>"
        plant = f"ln -s {host_fifo} /run/initctl; trap 'exit 0' TERM; echo ready; while :; do sleep 1 & wait; done"
        dom = lxc.define_domain(container_xml("planted", rootfs, args=["-c", plant], extra_devices=run))
        dom.start()
        with dom.open_console() as console:
            read_until(console, b"ready")
        dom.shutdown()
        assert wait_for(lambda: dom.state()[0] == DomainState.SHUTOFF)
        with pytest.raises(BlockingIOError):
            os.read(reader, 4096)
    finally:
        os.close(reader)


def test_reboot_asks_init_and_a_new_init_gets_a_new_id(lxc: pyvirt.Connection, rootfs: str) -> None:
    """libvirt's default reboot without initctl is SIGHUP to the init; an init that reboots on
    it comes back as a new process, whose PID is the new ID (libvirt's virLXCProcessStart)."""
    hup = "trap 'reboot -f' HUP; echo ready; while :; do sleep 1 & wait; done"
    dom = lxc.create_domain(container_xml("hup", rootfs, args=["-c", hup]))
    first = live(dom)
    assert dom.id == first.init_pid  # libvirt's LXC driver: the domain ID is a host PID
    with dom.open_console() as console:
        read_until(console, b"ready")
    dom.reboot()
    assert wait_for(lambda: (r := extras.runtime(dom)) is not None and r.init_pid != first.init_pid)
    second = live(dom)
    assert second.id == second.init_pid
    assert lxc.lookup_domain_by_id(second.init_pid).name == "hup"
    with pytest.raises(pyvirt.PyvirtError, match="no domain with matching id"):
        lxc.lookup_domain_by_id(first.init_pid)
    assert dom.state()[0] == DomainState.RUNNING
    # extras.reboot with mode signal sends SIGHUP only; an init without a handler ignores it
    plain = lxc.create_domain(container_xml("plain", rootfs, args=["-c", "exec sleep 1000"]))
    before = live(plain)
    extras.reboot(plain, "signal")
    assert live(plain) == before and plain.state()[0] == DomainState.RUNNING
    plain.destroy()
    dom.destroy()


@pytest.fixture
def open_rootfs() -> Iterator[str]:
    """A rootfs whose path every user may traverse: a mapped root is no one on the host."""
    top = tempfile.mkdtemp(prefix="pyvirt-lxc-userns-")
    os.chmod(top, 0o755)
    try:
        yield build_rootfs(os.path.join(top, "rootfs"))
    finally:
        shutil.rmtree(top)


def test_user_namespace_from_idmap(lxc: pyvirt.Connection, rootfs: str, open_rootfs: str, inside: Inside) -> None:
    with pytest.raises(pyvirt.PyvirtError, match="cannot be read by the container's root user"):
        lxc.create_domain(container_xml("hidden", rootfs, extra=IDMAP))
    idmap = IDMAP
    dom = lxc.create_domain(container_xml("mapped", open_rootfs, args=["-c", "exec sleep 1000"], extra=idmap))
    assert inside(dom, "cat", "/proc/self/uid_map").split() == ["0", "200000", "65536"]
    assert inside(dom, "id", "-u").strip() == "0"
    pid = live(dom).init_pid
    with open(f"/proc/{pid}/status") as f:
        uid_line = next(line for line in f if line.startswith("Uid:"))
    assert uid_line.split()[1] == "200000"  # root inside is an unprivileged user outside
    dom.destroy()


def test_reboot_inside_restarts_the_container(lxc: pyvirt.Connection, rootfs: str, tmp_path: str) -> None:
    state = os.path.join(str(tmp_path), "state")
    os.makedirs(state)
    devices = f"<filesystem type='mount'><source dir='{state}'/><target dir='/state'/></filesystem>"
    # The first boot waits for the test's go-ahead, so the runtime read as ``first`` is surely
    # the first boot's (a first boot that rebooted at once could be gone before the read).
    boot = (
        "echo up >> /state/boots; if [ $(wc -l < /state/boots) -lt 2 ]; then"
        " while [ ! -e /state/go ]; do sleep 0.02; done; reboot -f; fi; exec sleep 1000"
    )
    dom = lxc.create_domain(container_xml("rebooter", rootfs, args=["-c", boot], extra_devices=devices))
    first = live(dom)
    boots = os.path.join(state, "boots")
    open(os.path.join(state, "go"), "w").close()
    assert wait_for(lambda: Path(boots).read_text() == "up\nup\n")
    # the second boot's init can write before its monitor has recorded it: wait for the record
    assert wait_for(lambda: (r := extras.runtime(dom)) is not None and r.init_pid != first.init_pid)
    again = live(dom)
    assert again.id == again.init_pid
    assert lxc.lookup_domain_by_name("rebooter").id == again.init_pid
    assert dom.state()[0] == DomainState.RUNNING
    dom.destroy()
