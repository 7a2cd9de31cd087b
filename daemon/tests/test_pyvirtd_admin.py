"""The admin socket: pyvirt-admin (and libvirt's own virt-admin) list and disconnect clients,
show and change limits and the log level while the daemon runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest
from pyvirtd_helpers import RawClient, is_error

from pyvirt.rpc import remote_protocol as rp
from pyvirt_daemon.process import DaemonProcess


def admin(daemon: DaemonProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pyvirt_daemon.admin_cli", "--socket", str(daemon.socket_admin), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _clients(daemon: DaemonProcess) -> list[dict[str, object]]:
    done = admin(daemon, "--json", "clients")
    assert done.returncode == 0, done.stderr
    rows: list[dict[str, object]] = json.loads(done.stdout)
    return rows


def test_clients_are_listed_with_identity_and_can_be_disconnected(pyvirtd: DaemonProcess) -> None:
    rw, ro = RawClient(pyvirtd.socket), RawClient(pyvirtd.socket_ro)
    rw.open()
    ro.open()
    mine = [c for c in _clients(pyvirtd) if c.get("unix_process_id") == os.getpid()]
    assert sorted((c["transport"], c["readonly"]) for c in mine) == [("unix", 0), ("unix", 1)]
    assert all(c["unix_user_id"] == os.getuid() and str(c["since"]).endswith("+00:00") for c in mine)
    target = next(c["id"] for c in mine if c["readonly"] == 1)
    assert admin(pyvirtd, "disconnect", str(target)).returncode == 0
    ro.sock.settimeout(10)
    with pytest.raises(ConnectionError):
        while True:
            ro.receive()
    assert not is_error(rw.call(rp.REMOTE_PROC_CONNECT_GET_VERSION))
    missing = admin(pyvirtd, "disconnect", "999999")
    assert missing.returncode == 1 and "no client with matching id '999999'" in missing.stderr
    rw.close()


def test_limits_change_at_run_time(pyvirtd: DaemonProcess) -> None:
    done = admin(pyvirtd, "--json", "set", "max_clients=1", "max_workers=3")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert (shown["nclients_max"], shown["maxWorkers"]) == (1, 3)
    time.sleep(0.3)  # the start-up probe's connection is gone by now
    first = RawClient(pyvirtd.socket)
    first.open()
    second = RawClient(pyvirtd.socket)
    err = second.call(rp.REMOTE_PROC_CONNECT_GET_VERSION)
    assert is_error(err) and "Too many active clients" in err.message
    first.close()
    bad = admin(pyvirtd, "set", "max_clients=0")
    assert bad.returncode == 1 and "at least 1" in bad.stderr
    assert admin(pyvirtd, "set", "colour=3").returncode == 1


def test_log_level_changes_at_run_time(pyvirtd: DaemonProcess) -> None:
    assert admin(pyvirtd, "log-level").stdout.split() == ["log_level", "info"]
    assert admin(pyvirtd, "log-level", "debug").returncode == 0
    assert admin(pyvirtd, "log-level").stdout.split() == ["log_level", "debug"]
    c = RawClient(pyvirtd.socket)
    c.call(rp.REMOTE_PROC_CONNECT_GET_VERSION)  # fails (not open): a debug event now
    c.close()
    deadline = time.monotonic() + 10
    while "call failed" not in pyvirtd.stderr() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "call failed" in pyvirtd.stderr()


def test_unreachable_socket_is_a_clear_error(tmp_path: object) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pyvirt_daemon.admin_cli", "--socket", "/nonexistent/sock", "clients"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "cannot reach pyvirtd's admin socket" in done.stderr


@pytest.mark.needs_libvirt("virsh")
def test_virt_admin_manages_pyvirtd(pyvirtd: DaemonProcess) -> None:
    if shutil.which("virt-admin") is None:
        pytest.skip("needs libvirt: virt-admin is not installed")
    uri = f"libvirtd:///system?socket={pyvirtd.socket_admin}"
    c = RawClient(pyvirtd.socket)
    c.open()

    def virt_admin(command: str) -> str:
        done = subprocess.run(["virt-admin", "-c", uri, command], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "pyvirtd" in virt_admin("srv-list")
    assert "nclients_max        : 5000" in virt_admin("srv-clients-info pyvirtd")
    virt_admin("srv-clients-set pyvirtd --max-clients 42")
    assert "nclients_max        : 42" in virt_admin("srv-clients-info pyvirtd")
    listed = virt_admin("srv-clients-list pyvirtd")
    assert " unix " in listed
    c.close()
