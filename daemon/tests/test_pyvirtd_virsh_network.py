"""Real virsh (and pyvirsh) through pyvirtd over loopback TCP and over TLS behaves as virsh on libvirt's own
test driver: the read-only command matrix of ``test_pyvirtd_virsh.py`` (run there over the unix
socket) and a few of its change sequences, same stdout, stderr and exit status.

One daemon serves both listeners for the read-only matrix; each change sequence gets a fresh
daemon so it starts from libvirt's default node.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pki import PKI
from pyvirtd_helpers import normalize, virsh
from test_pyvirtd_virsh import DOMAIN_XML, LOCAL, NETWORK_XML, READ_ONLY_COMMANDS, SEQUENCES, _same
from tls_helpers import free_port, start

from pyvirt_daemon.process import DaemonProcess

pytestmark = pytest.mark.needs_libvirt("virsh")

CHANGES = [s for s in SEQUENCES if s.startswith(("destroy test;", "define {dom}; list", "net-define", "vol-create-as"))]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return PKI(tmp_path_factory.mktemp("pki"))


def _both(root: Path, pki: PKI) -> tuple[DaemonProcess, dict[str, str]]:
    tcp_port = free_port()
    settings = pki.server_settings(free_port(), listen_tcp=True, auth_tcp="none", tcp_port=str(tcp_port))
    daemon = start(root, settings)  # started with --listen: up once both ports accept
    pkipath = pki.client("virsh-matrix")
    uris = {
        "tcp": f"test+tcp://127.0.0.1:{tcp_port}/default",
        "tls": f"test+tls://127.0.0.1:{settings['tls_port']}/default?pkipath={pkipath}",
    }
    return daemon, uris


@pytest.fixture(scope="module")
def shared(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    daemon, uris = _both(tmp_path_factory.mktemp("node"), pki)
    try:
        yield uris
    finally:
        assert daemon.stop() == 0, daemon.stderr()


@pytest.mark.parametrize("transport", ["tcp", "tls"])
@pytest.mark.parametrize("command", READ_ONLY_COMMANDS)
def test_read_only_commands_match_libvirt(shared: dict[str, str], transport: str, command: str) -> None:
    _same(virsh(shared[transport], command), virsh(LOCAL, command))


@pytest.mark.parametrize("transport", ["tcp", "tls"])
@pytest.mark.parametrize("sequence", CHANGES)
def test_changes_match_libvirt(pki: PKI, tmp_path: Path, transport: str, sequence: str) -> None:
    dom, net = tmp_path / "dom.xml", tmp_path / "net.xml"
    dom.write_text(DOMAIN_XML)
    net.write_text(NETWORK_XML)
    command = sequence.format(dom=dom, net=net)
    daemon, uris = _both(tmp_path / "node", pki)
    try:
        _same(virsh(uris[transport], command), virsh(LOCAL, command))
    finally:
        assert daemon.stop() == 0, daemon.stderr()


def test_the_change_sequences_are_the_ones_meant() -> None:
    assert len(CHANGES) == 4


PYVIRSH_COMMANDS = ["list --all", "dominfo test", "net-list --all", "dominfo nosuch"]


def _pyvirsh(uri: str, command: str) -> subprocess.CompletedProcess[str]:
    pyvirsh = Path(sys.executable).parent / "pyvirsh"
    done = subprocess.run([str(pyvirsh), "-c", uri, *command.split()], capture_output=True, text=True, timeout=60)
    done.stdout = normalize(done.stdout)  # CPU time is wall time in the test driver
    return done


@pytest.mark.parametrize("transport", ["tcp", "tls"])
@pytest.mark.parametrize("command", PYVIRSH_COMMANDS)
def test_pyvirsh_over_the_network_prints_what_it_prints_locally(
    shared: dict[str, str], transport: str, command: str
) -> None:
    remote, local = _pyvirsh(shared[transport], command), _pyvirsh(LOCAL, command)
    assert (remote.returncode, remote.stdout, remote.stderr) == (local.returncode, local.stdout, local.stderr)
