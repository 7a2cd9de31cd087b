"""A test node file with ``<auth>`` users, opened through a daemon (``test+unix:///PATH``):
libvirt's remote driver sends no credentials for the far side's driver, which opens with no
callback at all, so the open fails the same way through pyvirtd as through real libvirtd,
whatever callback the client has."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pyvirt
from pyvirt.auth import Authenticator, Credential, CredentialType
from pyvirt.errors import PyvirtError
from pyvirt_daemon.process import DaemonProcess

NODE = '<node><auth><user password="pw">srinivasa</user></auth></node>\n'
MISSING = "invalid argument: Missing authentication credentials"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    d = DaemonProcess(tmp_path_factory.mktemp("node")).start()
    yield d
    assert d.stop() == 0, d.stderr()


@pytest.fixture
def node_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    empty = tmp_path / "auth.conf"
    empty.write_text("")
    monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(empty))
    path = tmp_path / "node.xml"
    path.write_text(NODE)
    path.parent.chmod(0o755)
    return path


def _open_with_callback(socket: Path, node: Path) -> tuple[str, list[str]]:
    asked: list[str] = []

    def answer(creds: list[Credential]) -> None:
        asked.extend(c.prompt for c in creds)
        for c in creds:
            c.result = "srinivasa" if c.type == CredentialType.AUTHNAME else "pw"

    kinds = [CredentialType.AUTHNAME, CredentialType.PASSPHRASE]
    with pytest.raises(PyvirtError) as info:
        pyvirt.open(f"test+unix://{node}?socket={socket}", auth=Authenticator(kinds, answer))
    return info.value.message, asked


def test_through_pyvirtd_the_far_side_has_no_callback(daemon: DaemonProcess, node_file: Path) -> None:
    message, asked = _open_with_callback(daemon.socket, node_file)
    assert (message, asked) == (MISSING, [])


@pytest.mark.needs_libvirt("daemon")
def test_libvirtd_answers_the_same(reference_libvirtd: Any, node_file: Path) -> None:
    message, asked = _open_with_callback(reference_libvirtd.socket, node_file)
    assert (message, asked) == (MISSING, [])
