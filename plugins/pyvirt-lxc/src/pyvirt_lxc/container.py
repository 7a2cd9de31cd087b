"""The container's side of a start: runs in forked children and never returns.

:func:`init` is forked by the monitor into a new PID namespace, except with ``<idmap>``: then
:func:`namespace_parent` first enters a user namespace, waits for the driver to write its maps
and forks the init into a PID namespace made after it, so the namespace belongs to it and the
init may mount ``/proc``.  The init makes its mount, UTS, IPC and network namespaces, tells the
driver its host PID, waits for the driver to attach it to its cgroups and move its network
interfaces in, builds the root filesystem, drops capabilities and execs ``<init>``.  To start
paused it says ``R`` just before the exec and waits for ``X``: the driver freezes its cgroup in
between, so ``<init>`` runs none of its own code until the container is resumed.  Any
failure is written to the report pipe as ``E <message>`` for the driver.
"""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import struct
import termios
from collections.abc import Sequence
from dataclasses import dataclass

from pyvirt_lxc import libc
from pyvirt_lxc.spec import Spec

DROPPED_CAPABILITIES = (16, 25, 27, 30, 33)
"""CAP_SYS_MODULE, CAP_SYS_TIME, CAP_MKNOD, CAP_AUDIT_CONTROL, CAP_MAC_ADMIN: what libvirt's
LXC driver drops by default (CAP_SYS_BOOT stays: in a PID namespace reboot only ends init)."""

_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
DEVICE_RULES = (
    "c 1:3 rwm",  # null
    "c 1:5 rwm",  # zero
    "c 1:7 rwm",  # full
    "c 1:8 rwm",  # random
    "c 1:9 rwm",  # urandom
    "c 5:0 rwm",  # tty
    "c 5:1 rwm",  # console
    "c 5:2 rwm",  # ptmx
    "c 136:* rwm",  # pty slaves: the console and the container's own devpts
)
"""The devices a container may open (v1 devices cgroup): those of its minimal /dev."""
_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")


@dataclass(frozen=True)
class Channels:
    """File descriptors a child inherits: ``report`` to the driver, ``go`` from it, ``console``
    the pty slave's host path, ``guest_links`` (name while moved in, name inside)."""

    report: int
    go: int
    console: str
    guest_links: Sequence[tuple[str, str]]


def _say(fd: int, line: str) -> None:
    os.write(fd, (line.replace("\n", " ") + "\n").encode())


def _wait_for(fd: int, *words: bytes) -> bytes:
    got = b""
    while not got.endswith(b"\n"):
        chunk = os.read(fd, 1)
        if not chunk:
            raise RuntimeError("the driver gave up on the start")
        got += chunk
    if got.strip() not in words:
        raise RuntimeError(f"unexpected word from the driver: {got!r}")
    return got.strip()


def namespace_parent(spec: Spec, ch: Channels) -> None:
    """With ``<idmap>``: enter a user namespace, wait for its maps, fork the init into a PID
    namespace that belongs to it; exits once the init is forked."""
    try:
        libc.unshare(libc.CLONE_NEWUSER)
        _say(ch.report, f"U {os.getpid()}")
        _wait_for(ch.go, b"M")
        os.setgroups([])
        os.setresgid(0, 0, 0)
        os.setresuid(0, 0, 0)
        libc.unshare(libc.CLONE_NEWPID)
        if os.fork() == 0:
            init(spec, ch)
        os._exit(0)
    except BaseException as exc:
        _report_and_exit(ch.report, exc)


def init(spec: Spec, ch: Channels) -> None:
    """PID 1 of the container: make its namespaces, wait for the driver, build the container,
    exec ``<init>``."""
    try:
        libc.unshare(libc.CLONE_NEWNS | libc.CLONE_NEWUTS | libc.CLONE_NEWIPC | libc.CLONE_NEWNET)
        _say(ch.report, f"P {os.readlink('/proc/self')}")  # the host's /proc: our host PID
        hold = _wait_for(ch.go, b"G", b"H") == b"H"
        _loopback_up()
        if ch.guest_links:
            _setup_links(ch.guest_links)
        _setup_root(spec, ch.console)
        libc.sethostname(spec.name)
        _take_console()
        for cap in DROPPED_CAPABILITIES:
            libc.prctl(libc.PR_CAPBSET_DROP, cap)
        try:
            os.chdir(spec.initdir)
        except OSError as exc:
            raise RuntimeError(f"cannot enter <initdir> '{spec.initdir}': {exc.strerror}") from None
        env = {
            "PATH": "/bin:/usr/bin:/sbin:/usr/sbin",
            "HOME": "/",
            "TERM": "linux",
            "container": "lxc-libvirt",
            "container_uuid": spec.uuid,
            "LIBVIRT_LXC_NAME": spec.name,
            "LIBVIRT_LXC_UUID": spec.uuid,
        }
        env.update(spec.env)
        reset_signals()
        if hold:  # start paused: the driver freezes us here, before <init> runs any code
            if not os.access(spec.init, os.X_OK):
                raise RuntimeError(f"cannot run <init> '{spec.init}' inside the container: not an executable file")
            _say(ch.report, "R")
            _wait_for(ch.go, b"X")
        os.close(ch.go)
        try:
            os.execve(spec.init, [spec.init, *spec.args], env)
        except OSError as exc:
            raise RuntimeError(f"cannot run <init> '{spec.init}' inside the container: {exc.strerror}") from None
    except BaseException as exc:
        _report_and_exit(ch.report, exc)


def reset_signals() -> None:
    """Undo what a Python parent leaves to an exec'd program: SIGPIPE and SIGXFSZ ignored
    (ignored signals survive exec), a blocked-signal mask from a worker thread."""
    for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def _report_and_exit(fd: int, exc: BaseException) -> None:
    message = str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        message = f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    try:
        _say(fd, f"E {message or type(exc).__name__}")
    finally:
        os._exit(1)


def _loopback_up() -> None:
    """``lo`` up with two ioctls: cheaper than loading a netlink library in every container."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s, _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(s, _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | _IFF_UP))


def _setup_links(links: Sequence[tuple[str, str]]) -> None:
    """Give each moved-in interface its name from the XML and bring it up."""
    from pyroute2 import IPRoute  # type: ignore[import-untyped]  # loaded by the driver before it forked

    with IPRoute() as ip:
        for moved, guest in links:
            found = ip.link_lookup(ifname=moved)
            if not found:
                raise RuntimeError(f"interface {moved} did not arrive in the container")
            ip.link("set", index=found[0], ifname=guest)
            ip.link("set", index=found[0], state="up")


def _inside(root: str, path: str) -> str:
    return os.path.join(root, path.lstrip("/"))


def _ensure_dir(path: str) -> None:
    os.makedirs(path, exist_ok=True)


def _ensure_file(path: str) -> None:
    if not os.path.exists(path):
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))


def _setup_root(spec: Spec, console: str) -> None:
    """Mount the root filesystem and everything under it, then pivot into it."""
    root = spec.rootfs
    try:
        os.listdir(root)
    except OSError as exc:
        who = " by the container's root user (its <idmap> uid)" if spec.userns else ""
        raise RuntimeError(f"root filesystem '{root}' cannot be read{who}: {exc.strerror}") from None
    libc.mount(None, "/", None, libc.MS_REC | libc.MS_PRIVATE)
    libc.mount(root, root, None, libc.MS_BIND | libc.MS_REC)
    for m in spec.mounts:
        target = _inside(root, m.target)
        _ensure_dir(target)
        if m.kind == "bind":
            if not os.path.exists(m.source):
                raise RuntimeError(f"<filesystem> source '{m.source}' does not exist")
            libc.mount(m.source, target, None, libc.MS_BIND | libc.MS_REC)
            if m.readonly:
                libc.mount(None, target, None, libc.MS_BIND | libc.MS_REMOUNT | libc.MS_RDONLY)
        else:
            flags = libc.MS_NOSUID | libc.MS_NODEV | (libc.MS_RDONLY if m.readonly else 0)
            libc.mount("tmpfs", target, "tmpfs", flags, f"size={m.size_kib}k,mode=1777")
    dev = _inside(root, "/dev")
    _ensure_dir(dev)
    libc.mount("devfs", dev, "tmpfs", libc.MS_NOSUID | libc.MS_NOEXEC, "mode=755,size=64k")
    for name in _DEVICES:
        node = os.path.join(dev, name)
        _ensure_file(node)
        libc.mount(f"/dev/{name}", node, None, libc.MS_BIND)
    _ensure_file(os.path.join(dev, "console"))
    libc.mount(console, os.path.join(dev, "console"), None, libc.MS_BIND)
    os.mkdir(os.path.join(dev, "pts"))
    libc.mount(
        "devpts",
        os.path.join(dev, "pts"),
        "devpts",
        libc.MS_NOSUID | libc.MS_NOEXEC,
        "newinstance,ptmxmode=0666,mode=0620",
    )
    os.mkdir(os.path.join(dev, "shm"))
    libc.mount("shm", os.path.join(dev, "shm"), "tmpfs", libc.MS_NOSUID | libc.MS_NODEV, "mode=1777")
    for link, to in (
        ("ptmx", "pts/ptmx"),
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(to, os.path.join(dev, link))
    # proc and sysfs before the pivot: in a user namespace the kernel allows a new instance only
    # while the host's own instance is still visible in the mount namespace
    proc, sys = _inside(root, "/proc"), _inside(root, "/sys")
    for path in (proc, sys):
        _ensure_dir(path)
    libc.mount("proc", proc, "proc", libc.MS_NOSUID | libc.MS_NODEV | libc.MS_NOEXEC)
    libc.mount("sysfs", sys, "sysfs", libc.MS_RDONLY | libc.MS_NOSUID | libc.MS_NODEV | libc.MS_NOEXEC)
    os.chdir(root)
    libc.pivot_root(".", ".")
    libc.umount(".", libc.MNT_DETACH)
    os.chdir("/")
    libc.mount("/proc/sys", "/proc/sys", None, libc.MS_BIND)
    libc.mount(None, "/proc/sys", None, libc.MS_BIND | libc.MS_REMOUNT | libc.MS_RDONLY)


def _take_console() -> None:
    """Make /dev/console the init's controlling terminal and its stdin, stdout and stderr."""
    os.setsid()
    fd = os.open("/dev/console", os.O_RDWR)
    fcntl.ioctl(fd, termios.TIOCSCTTY, 0)
    for std in (0, 1, 2):
        os.dup2(fd, std)
    if fd > 2:
        os.close(fd)
