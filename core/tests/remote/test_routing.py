"""Which URIs reach the remote driver, and what a client without a daemon is told."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakeserver import FakeServer

import pyvirt
from pyvirt import plugins, registry
from pyvirt.errors import ConnectError
from pyvirt.remote import target

SHY = "from pyvirt.hookspecs import hookimpl\n@hookimpl\ndef connect_open(uri, read_only, events):\n    return None\n"


@pytest.fixture
def sock_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where this test's 'local daemon' socket lives instead of /run/pyvirt."""
    folder = tmp_path / "run"
    folder.mkdir()
    monkeypatch.setattr(target, "DEFAULT_SOCKET_DIR", str(folder))
    return folder


@pytest.fixture
def shy_driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An installed driver for scheme 'shy' that declines every URI."""
    site = tmp_path / "site"
    info = site / "shy_drv-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Name: shy-drv\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pyvirt.drivers]\nshy = shy_drv_mod\n")
    (site / "shy_drv_mod.py").write_text(SHY)
    monkeypatch.syspath_prepend(str(site))
    registry.forget()
    yield "shy"
    registry.forget()


@pytest.fixture
def server_side() -> Iterator[None]:
    host = plugins.host()
    host.server_side = True
    try:
        yield
    finally:
        host.server_side = False


def test_import_and_local_open_load_no_remote_code() -> None:
    code = "import pyvirt, sys, json; pyvirt.open('test:///default').close(); print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    loaded = json.loads(out.splitlines()[-1])
    assert not [m for m in loaded if m.startswith(("pyvirt.remote", "pyvirt.rpc"))]


def test_declined_local_uri_without_daemon_says_how_to_start_one(shy_driver: str, sock_dir: Path) -> None:
    with pytest.raises(ConnectError) as info:
        pyvirt.open("shy:///system")
    message = str(info.value)
    assert "the installed 'shy' driver declined it" in message
    assert "no pyvirtd is running" in message and f"{sock_dir}/pyvirt-sock" in message
    assert "`pyvirtd`" in message


def test_declined_local_uri_goes_to_the_local_daemon(shy_driver: str, sock_dir: Path) -> None:
    daemon = FakeServer(sock_dir / "pyvirt-sock")
    try:
        with pyvirt.open("shy:///system") as conn:
            assert conn.get_type() == "FAKE"
        assert daemon.peers[0].opened[0].name == "shy:///system"
    finally:
        daemon.stop()


def test_read_only_local_open_uses_the_read_only_socket(shy_driver: str, sock_dir: Path) -> None:
    daemon = FakeServer(sock_dir / "pyvirt-sock-ro")
    try:
        with pyvirt.open_read_only("shy:///system") as conn:
            assert conn.get_type() == "FAKE"
        assert daemon.peers[0].opened[0].flags == 1
    finally:
        daemon.stop()


def test_scheme_without_driver_uses_a_running_daemon(sock_dir: Path) -> None:
    daemon = FakeServer(sock_dir / "pyvirt-sock")
    try:
        with pyvirt.open("nodriverhere:///system") as conn:
            assert conn.get_type() == "FAKE"
    finally:
        daemon.stop()


def test_scheme_without_driver_or_daemon_keeps_the_missing_driver_error(sock_dir: Path) -> None:
    with pytest.raises(ConnectError, match="no connection driver available for scheme 'tset'; did you mean 'test'"):
        pyvirt.open("tset:///default")


def test_inside_the_daemon_local_drivers_only(shy_driver: str, sock_dir: Path, server_side: None) -> None:
    daemon = FakeServer(sock_dir / "pyvirt-sock")
    try:
        with pytest.raises(ConnectError, match=r"no connection driver available for URI 'shy:///system'.*declined"):
            pyvirt.open("shy:///system")
        with pytest.raises(ConnectError, match="inside the daemon: it serves local URIs only"):
            pyvirt.open(daemon.uri)
        assert daemon.peers == []
        with pyvirt.open("test:///default") as conn:
            assert conn.get_type() == "TEST"
    finally:
        daemon.stop()
