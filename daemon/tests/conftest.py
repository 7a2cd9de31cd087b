"""Fixtures of pyvirtd's tests: real daemons in private roots, stopped and checked after use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pyvirt_daemon.process import DaemonProcess


def _run(root: Path, settings: dict[str, object] | None = None) -> Iterator[DaemonProcess]:
    daemon = DaemonProcess(root, settings).start()
    try:
        yield daemon
    finally:
        status = daemon.stop()
        leftovers = daemon.leftovers()
    assert status == 0, daemon.stderr()
    assert leftovers == [], f"a clean stop must remove {leftovers}"


@pytest.fixture
def pyvirtd(tmp_path: Path) -> Iterator[DaemonProcess]:
    """A fresh daemon (its test:///default starts from libvirt's default node)."""
    yield from _run(tmp_path / "node")


@pytest.fixture(scope="module")
def shared_pyvirtd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    """One daemon for a module's tests that change nothing."""
    yield from _run(tmp_path_factory.mktemp("node"))
