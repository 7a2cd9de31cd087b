"""The ext transport: a local command's stdin and stdout carry the protocol to pyvirtd."""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

import pyvirt
from pyvirt.errors import URIError
from pyvirt_daemon.process import DaemonProcess


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    proc = DaemonProcess(tmp_path_factory.mktemp("node")).start()
    try:
        yield proc
    finally:
        assert proc.stop() == 0, proc.stderr()


def _ext(command: list[str], path: str = "/default") -> str:
    return f"test+ext://{path}?command={quote(shlex.join(command))}"


def test_a_bridge_command_reaches_pyvirtd(daemon: DaemonProcess) -> None:
    bridge = [sys.executable, "-m", "pyvirt_daemon.ssh_helper", "--socket", str(daemon.socket), "test:///default"]
    conn = pyvirt.open(_ext(bridge))
    try:
        dom = conn.lookup_domain_by_name("test")
        dom.suspend()
        assert not conn.is_encrypted() and not conn.is_secure()
        dom.resume()
        assert [d.name for d in conn.list_domains()] == ["test"]
    finally:
        conn.close()


def test_nc_as_the_command(daemon: DaemonProcess) -> None:
    conn = pyvirt.open(_ext(["nc", "-q0", "-U", str(daemon.socket)]))
    try:
        assert conn.get_hostname()
    finally:
        conn.close()


def test_without_a_command_the_uri_is_refused() -> None:
    with pytest.raises(URIError, match="command is required"):
        pyvirt.open("test+ext:///default")


def test_a_command_that_fails_says_why(tmp_path: Path) -> None:
    with pytest.raises(pyvirt.PyvirtError, match="cannot connect to"):
        pyvirt.open(
            _ext([sys.executable, "-m", "pyvirt_daemon.ssh_helper", "--socket", str(tmp_path / "x"), "test:///"])
        )
    with pytest.raises(pyvirt.PyvirtError, match="cannot run ext command"):
        pyvirt.open(_ext([str(tmp_path / "no-such-program")]))


@pytest.mark.needs_libvirt("bindings")
def test_python_libvirt_over_ext_agrees(daemon: DaemonProcess, tmp_path: Path) -> None:
    # libvirt runs command= as one path, so its bridge is a script
    bridge = tmp_path / "bridge"
    bridge.write_text(f"#!/bin/sh\nexec nc -q0 -U {daemon.socket}\n")
    bridge.chmod(0o755)
    uri = f"test+ext:///default?command={bridge}"
    script = (
        "import sys, libvirt\n"
        "c = libvirt.open(sys.argv[1])\n"
        "print(c.lookupByName('test').name(), c.isEncrypted(), c.isSecure())\n"
    )
    done = subprocess.run(["/usr/bin/python3", "-c", script, uri], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    conn = pyvirt.open(uri)
    try:
        ours = f"test {int(conn.is_encrypted())} {int(conn.is_secure())}"
    finally:
        conn.close()
    assert done.stdout.strip() == ours
