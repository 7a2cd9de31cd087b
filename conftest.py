"""Suite-wide marker plumbing: one scheme for tests that need real libvirt.

A test that compares with libvirt carries ``@pytest.mark.needs_libvirt("virsh")`` (runs libvirt's
``virsh``) or ``@pytest.mark.needs_libvirt("bindings")`` (runs python3-libvirt through
``/usr/bin/python3``).  ``-m "not needs_libvirt"`` deselects all of them at once; where the piece
is missing they are skipped here, each with the one reason that names it.  pyvirt itself never
uses libvirt.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"
CHECKOUT = Path(__file__).resolve().parent
KINDS = ("virsh", "bindings", "daemon")


@functools.cache
def _missing(kind: str) -> str | None:
    """Why libvirt's ``kind`` cannot be used here, or None when it can (probed once per run)."""
    if kind == "virsh":
        return None if shutil.which("virsh") else "needs libvirt: virsh is not installed"
    if kind == "daemon":
        if not os.access(LIBVIRTD, os.X_OK):
            return "needs libvirt: libvirtd (libvirt-daemon) is not installed"
        return None if os.geteuid() == 0 else "needs libvirt: a private libvirtd needs root"
    try:
        done = subprocess.run([SYSTEM_PYTHON, "-c", "import libvirt"], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return f"needs libvirt: {SYSTEM_PYTHON} cannot run"
    return None if done.returncode == 0 else f"needs libvirt: python3-libvirt is not installed for {SYSTEM_PYTHON}"


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("needs_libvirt"):
        if len(mark.args) != 1 or mark.args[0] not in KINDS:
            raise pytest.UsageError(f"{item.nodeid}: needs_libvirt takes one of {KINDS}, got {mark.args}")
        reason = _missing(mark.args[0])
        if reason is not None:
            pytest.skip(reason)


def corpus_path() -> Path:
    """Where the shared corpus of libvirt documents is: ``$PYVIRT_CORPUS``, else
    ``<checkout>/../shared/corpus`` (the lookup every corpus test of the suite uses)."""
    env = os.environ.get("PYVIRT_CORPUS")
    return Path(env) if env else CHECKOUT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared corpus; a test that asks for it is skipped, with the path tried, when it is missing."""
    path = corpus_path()
    if not (path / "testdriver").is_dir():
        pytest.skip(f"shared corpus not found at {path} (set PYVIRT_CORPUS)")
    return path


class ReferenceLibvirtd:
    """A private real libvirtd 9.0: its own sockets, TCP port, pid and log under a temp dir.

    ``LIBVIRT_DRIVER_DIR`` points at an empty directory so only the drivers built into
    libvirt.so (test, remote) load: it shares no state with a system libvirtd and needs no
    qemu.conf, cgroups or /run/libvirt.  Tests compare pyvirt against it on the same machine.
    ``settings`` are libvirtd.conf lines (values written as libvirtd.conf spells them) on top of
    the defaults, e.g. TLS in place of TCP; ``env`` is the environment it is started with.
    """

    def __init__(self, workdir: Path, **settings: str) -> None:
        self.workdir = workdir
        self.sock_dir = workdir / "run"
        self.socket = self.sock_dir / "libvirt-sock"
        self.socket_ro = self.sock_dir / "libvirt-sock-ro"
        self.tcp_port = _free_port()
        self.tls_port = _free_port()
        self.log = workdir / "libvirtd.log"
        self.settings = {
            "listen_tls": "0",
            "listen_tcp": "1",
            "listen_addr": '"127.0.0.1"',
            "tcp_port": f'"{self.tcp_port}"',
            "tls_port": f'"{self.tls_port}"',
            "auth_tcp": '"none"',
            "auth_unix_rw": '"none"',
            "auth_unix_ro": '"none"',
            "unix_sock_dir": f'"{self.sock_dir}"',
            "log_outputs": f'"3:file:{self.log}"',
            **settings,
        }
        self.env = dict(os.environ, LIBVIRT_DRIVER_DIR=str(workdir / "no-driver-modules"))
        self._process: subprocess.Popen[bytes] | None = None

    def uri(self, transport: str = "unix", path: str = "/default", read_only: bool = False) -> str:
        if transport == "tcp":
            return f"test+tcp://127.0.0.1:{self.tcp_port}{path}"
        return f"test+unix://{path}?socket={self.socket_ro if read_only else self.socket}"

    def start(self) -> ReferenceLibvirtd:
        for folder in (self.workdir / "no-driver-modules", self.sock_dir):
            folder.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "libvirtd.conf"
        conf.write_text("".join(f"{key} = {value}\n" for key, value in self.settings.items()))
        self._process = subprocess.Popen(
            [LIBVIRTD, "-l", "-f", str(conf), "-p", str(self.workdir / "libvirtd.pid")],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        ports = [
            port
            for flag, port in (("listen_tcp", self.tcp_port), ("listen_tls", self.tls_port))
            if self.settings[flag] == "1"
        ]
        deadline = time.monotonic() + 20
        while not (self.socket.exists() and all(_accepts_tcp(port) for port in ports)):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                text = self.log.read_text(errors="replace") if self.log.exists() else "(no log)"
                raise RuntimeError(f"reference libvirtd did not come up:\n{text[-4000:]}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


LIBVIRTD = "/usr/sbin/libvirtd"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _accepts_tcp(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="session")
def reference_libvirtd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReferenceLibvirtd]:
    """Real libvirtd serving libvirt's test driver on a private unix socket and loopback TCP port.

    Tests using it carry ``needs_libvirt("daemon")``; it is started once per run and stopped at
    the end.  Root is needed (libvirtd's privileged mode), as on CI.
    """
    daemon = ReferenceLibvirtd(tmp_path_factory.mktemp("libvirtd"))
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture(scope="session")
def make_libvirtd() -> Iterator[Callable[..., ReferenceLibvirtd]]:
    """Builds (unstarted) private libvirtds configured otherwise than ``reference_libvirtd``,
    e.g. listening for TLS; any a test left running are stopped at the end of the run."""
    made: list[ReferenceLibvirtd] = []

    def make(workdir: Path, **settings: str) -> ReferenceLibvirtd:
        made.append(ReferenceLibvirtd(workdir, **settings))
        return made[-1]

    try:
        yield make
    finally:
        for daemon in made:
            daemon.stop()
