"""URIs without a host for the stateful drivers (``qemu:///system``, ``lxc:///system``) with the
real installed QEMU and LXC drivers: they reach the local pyvirtd's socket, read-only opens its
read-only socket, and with no daemon the error says so and how to start one.

``pyvirt.remote.target.DEFAULT_SOCKET_DIR`` (``/run/pyvirt``) is pointed at the test's own
directory, and the daemon is told to put its sockets there, so nothing under ``/run`` is touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import pyvirt
from pyvirt.errors import ConnectError
from pyvirt.remote import target

pytest.importorskip("pyvirt_daemon", reason="pyvirtd (the daemon/ distribution) is not installed")

from pyvirt_daemon.process import DaemonProcess

STATEFUL = [("qemu", "QEMU"), ("lxc", "LXC")]


@pytest.fixture
def sock_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "run"
    folder.mkdir()
    monkeypatch.setattr(target, "DEFAULT_SOCKET_DIR", str(folder))
    return folder


@pytest.fixture
def local_daemon(tmp_path: Path, sock_dir: Path) -> Iterator[DaemonProcess]:
    with DaemonProcess(tmp_path / "node", {"unix_sock_dir": str(sock_dir)}) as daemon:
        yield daemon


@pytest.mark.parametrize(("scheme", "kind"), STATEFUL)
def test_without_a_daemon_the_error_says_how_to_start_one(scheme: str, kind: str, sock_dir: Path) -> None:
    with pytest.raises(ConnectError) as info:
        pyvirt.open(f"{scheme}:///system")
    message = str(info.value)
    assert "no pyvirtd is running" in message and str(sock_dir / "pyvirt-sock") in message
    assert "start the daemon with `pyvirtd`" in message


@pytest.mark.parametrize(("scheme", "kind"), STATEFUL)
def test_the_local_daemon_serves_the_stateful_driver(scheme: str, kind: str, local_daemon: DaemonProcess) -> None:
    with pyvirt.open(f"{scheme}:///system") as conn:
        assert conn.get_type() == kind
        assert conn.is_secure()
    with pyvirt.open_read_only(f"{scheme}:///system") as ro:
        assert ro.get_type() == kind
        clients = json.loads(
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pyvirt_daemon.admin_cli",
                    "--socket",
                    str(local_daemon.socket_admin),
                    "--json",
                    "clients",
                ],
                capture_output=True,
                text=True,
                check=True,
                timeout=60,
            ).stdout
        )
        assert [c["readonly"] for c in clients if c.get("unix_process_id") == os.getpid()] == [1]


def test_test_driver_stays_in_process_even_with_a_daemon(local_daemon: DaemonProcess) -> None:
    with pyvirt.open("test:///default") as conn:
        assert conn.get_type() == "TEST"
        assert type(conn.driver).__module__.startswith("pyvirt_test")
