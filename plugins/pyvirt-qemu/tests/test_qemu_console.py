"""A QEMU guest's serial console as a byte stream: in process, through pyvirtd with pyvirt's
remote driver, and with real ``virsh console`` and ``pyvirsh console`` through pyvirtd.

The boot-sector guest writes its marker to COM1 once, at boot; so each test starts it paused,
attaches the console, and only then resumes it.  That the console is attached is read from the
host (the pty is open in the process serving it), never guessed with a sleep.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from bootsector import write_disk
from lxml import etree
from qemu_helpers import domain_xml, node, wait_for

import pyvirt

pyvirt_daemon = pytest.importorskip("pyvirt_daemon")
from pyvirt_daemon.process import DaemonProcess  # noqa: E402

PYVIRSH = Path(sys.executable).parent / "pyvirsh"
MARKER = b"PYVIRT-CONSOLE"
PTY_SERIAL = "<serial type='pty'/>"


@pytest.fixture
def daemon(root: Path) -> Iterator[DaemonProcess]:
    proc = DaemonProcess(root / "d").start()
    try:
        yield proc
    finally:
        proc.stop()


def _paused_guest(conn: pyvirt.Connection, root: Path, name: str) -> tuple[pyvirt.Domain, str]:
    """A defined guest started paused, and its serial pty's path."""
    disk = write_disk(root / f"{name}.img", MARKER, "halt")
    dom = conn.define_domain(domain_xml(name, disk, serial=PTY_SERIAL))
    dom.start(paused=True)
    path = node(etree.fromstring(dom.xml().encode()), "devices/serial/source").get("path")
    assert path
    return dom, path


def _read_until(stream: pyvirt.Stream, marker: bytes) -> bytes:
    seen = b""
    while marker not in seen:
        chunk = stream.recv(1024)
        assert chunk, f"console closed before {marker!r}; got {seen!r}"
        seen += chunk
    return seen


def _holds(pid: int, path: str) -> bool:
    """True when process ``pid`` has ``path`` open."""
    fds = Path(f"/proc/{pid}/fd")
    for fd in fds.iterdir():
        try:
            if os.readlink(fd) == path:
                return True
        except OSError:
            continue
    return False


def _cleanup(dom: pyvirt.Domain) -> None:
    dom.destroy()
    dom.undefine()


def test_console_in_process_one_client_unless_forced(conn: pyvirt.Connection, root: Path) -> None:
    dom, _ = _paused_guest(conn, root, "local")
    try:
        first = dom.open_console()
        with pytest.raises(pyvirt.PyvirtError, match="Active console session exists"):
            dom.open_console()
        dom.resume()
        assert MARKER in _read_until(first, MARKER)
        second = dom.open_console(force=True)
        assert first.recv(16) == b""  # taken over: the first client sees end of file
        second.abort()
        first.abort()
        dom.destroy()
        with pytest.raises(pyvirt.PyvirtError, match="not running"):
            dom.open_console()
    finally:
        dom.undefine()


def test_console_through_pyvirtd_with_the_remote_driver(daemon: DaemonProcess, root: Path) -> None:
    with pyvirt.open(daemon.uri(driver="qemu", path="/system")) as conn:
        dom, _ = _paused_guest(conn, root, "remote")
        try:
            with dom.open_console() as console:
                with pytest.raises(pyvirt.PyvirtError, match="Active console session exists"):
                    dom.open_console()
                dom.resume()
                assert MARKER in _read_until(console, MARKER)
                assert conn.get_hostname()  # calls still work while the stream is open
                console.send(b"typed\r")  # the guest ignores input; it must still reach the pty
            with dom.open_console() as again:  # released by finish: a new client may attach
                again.abort()
        finally:
            _cleanup(dom)


def _attach_cli(cli: list[str], uri: str, name: str) -> subprocess.Popen[bytes]:
    """``CLI -c URI console NAME`` on a pseudo-terminal (virsh refuses a console without one)."""
    command = " ".join([*cli, "-c", uri, "console", name])
    return subprocess.Popen(
        ["script", "-qfec", command, "/dev/null"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _read_proc_until(proc: subprocess.Popen[bytes], marker: bytes, timeout: float = 30.0) -> bytes:
    assert proc.stdout is not None
    seen = b""
    fd = proc.stdout.fileno()
    while marker not in seen:
        ready, _, _ = select.select([fd], [], [], timeout)
        assert ready, f"no {marker!r} within {timeout} s; got {seen!r}"
        chunk = os.read(fd, 4096)
        assert chunk, f"output ended before {marker!r}; got {seen!r}"
        seen += chunk
    return seen


@pytest.mark.parametrize(
    "cli",
    [
        pytest.param(["virsh"], id="virsh", marks=pytest.mark.skipif(not shutil.which("virsh"), reason="no virsh")),
        pytest.param([str(PYVIRSH)], id="pyvirsh"),
    ],
)
def test_cli_console_through_pyvirtd(daemon: DaemonProcess, root: Path, cli: list[str]) -> None:
    uri = daemon.uri(driver="qemu", path="/system")
    assert daemon.proc is not None
    server = daemon.proc.pid
    with pyvirt.open(uri) as conn:
        dom, pty = _paused_guest(conn, root, "shown")
        proc = _attach_cli(cli, uri, "shown")
        try:
            wait_for(lambda: _holds(server, pty) or proc.poll() is not None, what="the console attached")
            assert proc.poll() is None, _read_proc_until(proc, b"\0", 1)
            dom.resume()
            assert MARKER in _read_proc_until(proc, MARKER)
            assert proc.stdin is not None
            proc.stdin.write(b"\x1d")  # Ctrl + ]: leave the console
            proc.stdin.flush()
            assert proc.wait(30) == 0
            wait_for(lambda: not _holds(server, pty), what="the console released")
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            _cleanup(dom)
