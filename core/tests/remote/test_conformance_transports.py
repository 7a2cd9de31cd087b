"""The conformance suite through pyvirt's remote driver and pyvirtd over plain loopback TCP and
over ssh (a private OpenSSH server bridging to the daemon's socket).

The unix, SASL and TLS variants live beside the daemon's tests; these two complete the issue's
list of transports the suite must pass over unchanged.  Both URIs reach one daemon, so the
suite sees the same node whichever way it arrives.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sshd import Sshd, free_port

import pyvirt
from pyvirt.testing.suite import *  # noqa: F403
from pyvirt_daemon.process import DaemonProcess


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    """One pyvirtd with its unix sockets and plain TCP on loopback (``auth_tcp = "none"``)."""
    settings = {
        "listen_tcp": True,
        "listen_tls": False,
        "auth_tcp": "none",
        "listen_addr": "127.0.0.1",
        "tcp_port": str(free_port()),
    }
    daemon = DaemonProcess(tmp_path_factory.mktemp("node"), settings, args=("--listen",)).start()
    try:
        yield daemon
    finally:
        assert daemon.stop() == 0, daemon.stderr()


@pytest.fixture(params=["tcp", "ssh"], scope="module")
def pyvirt_uri(request: pytest.FixtureRequest, node: DaemonProcess, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "tcp":
        return f"test+tcp://127.0.0.1:{node.settings['tcp_port']}/default"
    server: Sshd = request.getfixturevalue("sshd")
    known_hosts = server.known_hosts(tmp_path_factory.mktemp("ssh-client") / "known_hosts")
    return (
        f"test+ssh://root@127.0.0.1:{server.port}/default?keyfile={server.client_key}"
        f"&no_tty=1&socket={node.socket}&known_hosts={known_hosts}"
    )


def _clients(node: DaemonProcess) -> list[dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-m", "pyvirt_daemon.admin_cli", "--socket", str(node.socket_admin), "--json", "clients"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    rows: list[dict[str, object]] = json.loads(done.stdout)
    return rows


def test_the_uri_reaches_the_daemon_through_its_transport(pyvirt_uri: str, node: DaemonProcess) -> None:
    """Guard: the suite's URI must not have fallen back to the in-process test driver."""
    transport = "tcp" if "+tcp://" in pyvirt_uri else "unix"  # ssh's far side bridges to the socket
    before = {c["id"] for c in _clients(node)}
    conn = pyvirt.open(pyvirt_uri)
    try:
        conn.get_version()
        new = [c for c in _clients(node) if c["id"] not in before]
        assert [c["transport"] for c in new] == [transport]
    finally:
        conn.close()


def test_pyvirsh_over_the_uri_prints_what_it_prints_locally(pyvirt_uri: str) -> None:
    """pyvirsh (the CLI, not only the library) over tcp and ssh."""
    pyvirsh = str(Path(sys.executable).parent / "pyvirsh")

    def run(uri: str) -> tuple[int, str, str]:
        done = subprocess.run([pyvirsh, "-c", uri, "list", "--all"], capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout, done.stderr

    assert run(pyvirt_uri) == run("test:///default")
