"""pyvirt's remote driver against pyvirtd: the conformance suite, and a daemon killed mid-call.

pyvirtd serves pyvirt's own test driver, so unlike against libvirtd the whole suite applies.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import pyvirt
from pyvirt.errors import ConnectionLostError
from pyvirt.testing.suite import *  # noqa: F403

pytest.importorskip("pyvirt_daemon", reason="pyvirtd (the daemon/ distribution) is not installed")

from pyvirt_daemon.process import DaemonProcess


@pytest.fixture(scope="session")
def pyvirtd() -> Iterator[DaemonProcess]:
    with tempfile.TemporaryDirectory(prefix="pyvirtd-remote-") as root, DaemonProcess(Path(root)) as daemon:
        yield daemon


@pytest.fixture(scope="session")
def pyvirt_uri(pyvirtd: DaemonProcess) -> str:
    uri: str = pyvirtd.uri()
    return uri


def test_killing_the_daemon_fails_calls_at_once_and_for_good(tmp_path: Path) -> None:
    with DaemonProcess(tmp_path / "root") as daemon:
        conn = pyvirt.open(daemon.uri())
        failures: list[BaseException] = []
        calling = threading.Event()

        def hammer() -> None:
            try:
                while True:
                    conn.get_version()
                    calling.set()
            except BaseException as exc:
                failures.append(exc)

        worker = threading.Thread(target=hammer, daemon=True)
        worker.start()
        assert calling.wait(30)
        daemon.kill()  # SIGKILL: no goodbye from the server
        worker.join(10)
        assert not worker.is_alive(), "a call kept waiting after the daemon died"
        assert isinstance(failures[0], ConnectionLostError), failures
        with pytest.raises(ConnectionLostError, match="connection lost"):
            conn.lookup_domain_by_name("test")
        assert not conn.is_alive()
        conn.close()


def test_volume_validation_crosses_the_wire(tmp_path: Path) -> None:
    """``create_volume(validate=True)`` travels as libvirt's VIR_STORAGE_VOL_CREATE_VALIDATE:
    pyvirtd accepts the flag and validates, as the local driver does."""
    good = "<volume><name>okv</name><capacity>1024</capacity><target><format type='raw'/></target></volume>"
    bad = good.replace("okv", "bad").replace("</target>", "</target><bogus/>")
    with DaemonProcess(tmp_path / "root") as daemon, pyvirt.open(daemon.uri()) as conn:
        pool = conn.lookup_pool_by_name("default-pool")
        assert pool.create_volume(good, validate=True).name == "okv"
        with pytest.raises(pyvirt.XMLError, match="failed to validate against schema for storagevol"):
            pool.create_volume(bad, validate=True)
        assert pool.create_volume(bad).name == "bad"
