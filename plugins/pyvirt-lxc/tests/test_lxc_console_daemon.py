"""A container's console through pyvirtd (``lxc:///system``): pyvirt's remote driver, real
``virsh console`` on a pseudo-terminal, and ``pyvirsh console`` with piped input all talk to
the busybox shell on the container's ``/dev/console``."""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import pyvirt
from pyvirt_lxc.testing import container_xml, empty_root

pyvirt_daemon = pytest.importorskip("pyvirt_daemon")
from pyvirt_daemon.process import DaemonProcess  # noqa: E402


@pytest.fixture
def served(tmp_path: Path, rootfs: str) -> Iterator[tuple[str, pyvirt.Domain]]:
    """pyvirtd hosting lxc:///system with one running interactive shell container."""
    daemon = DaemonProcess(tmp_path / "node").start()
    uri = daemon.uri(driver="lxc", path="/system")
    try:
        with pyvirt.open(uri) as conn:
            dom = conn.create_domain(container_xml("talk", rootfs, args=["-i"]))
            try:
                yield uri, dom
            finally:
                # a shell whose console client hung up may have ended (and a transient
                # container with it): only a container still there is destroyed
                with contextlib.suppress(pyvirt.NoDomainError):
                    dom.destroy()
    finally:
        assert daemon.stop() == 0, daemon.stderr()
        empty_root(str(daemon.root))


def _read_until(stream: pyvirt.Stream, marker: bytes) -> bytes:
    got = b""
    while marker not in got:
        chunk = stream.recv(4096)
        assert chunk, f"console closed before {marker!r}: {got!r}"
        got += chunk
    return got


def test_remote_driver_console(served: tuple[str, pyvirt.Domain]) -> None:
    _, dom = served
    with dom.open_console() as console:
        console.send(b"echo remote-$((6*7))\n")
        assert b"remote-42" in _read_until(console, b"remote-42\r\n")
        with pytest.raises(pyvirt.PyvirtError, match="Active console session exists"):
            dom.open_console()
        with dom.open_console(force=True) as taken:
            b"".join(console)  # the first client is cut off: its stream reaches end of file
            taken.send(b"echo again-$((6*7))\n")
            assert b"again-42" in _read_until(taken, b"again-42\r\n")
    with pytest.raises(pyvirt.PyvirtError, match="cannot find console device"):
        dom.open_console("serial7")


@pytest.mark.skipif(shutil.which("virsh") is None, reason="real virsh is not installed")
def test_real_virsh_console(served: tuple[str, pyvirt.Domain]) -> None:
    uri, _ = served
    proc = subprocess.Popen(
        ["script", "-qfec", f"virsh -c '{uri}' console talk", "/dev/null"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        seen = b""
        # the shell answers only once virsh is attached: keep asking until it does
        while b"virsh-42" not in seen:
            proc.stdin.write(b"echo virsh-$((6*7))\r")
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], 30)
            assert ready, f"no answer through virsh console: {seen!r}"
            chunk = os.read(proc.stdout.fileno(), 4096)
            assert chunk, f"virsh ended: {seen!r}"
            seen += chunk
        proc.stdin.write(b"\x1d")  # Ctrl + ]
        proc.stdin.flush()
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_pyvirsh_console_with_piped_input(served: tuple[str, pyvirt.Domain]) -> None:
    uri, _ = served
    done = subprocess.run(
        [sys.executable, "-m", "pyvirt.cli", "-c", uri, "console", "talk"],
        input=b"echo piped-$((6*7))\n",
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert b"Connected to domain 'talk'" in done.stdout and b"piped-42" in done.stdout
