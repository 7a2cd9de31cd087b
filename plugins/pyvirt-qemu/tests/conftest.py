"""Fixtures for tests against real QEMU: a private root per test, and nothing left behind.

Every test gets its own ``qemu:///embed`` root (short, under /tmp, so unix socket paths fit).
At teardown every QEMU process started under that root is killed and reaped, and the test
fails if a process, monitor socket, pid or status file was still there: each test must clean
up after itself through the driver, the fixture only makes a failure visible and harmless.
Helpers the tests import live in :mod:`qemu_helpers` (a ``conftest`` module name is shared by
every directory of the suite).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import pyvirt

sys.path.insert(0, str(Path(__file__).parent))

from qemu_helpers import kill_and_reap, qemu_pids


@pytest.fixture
def root() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="pq-", dir="/tmp"))
    yield path
    left = qemu_pids(str(path))
    kill_and_reap(left)
    run = path / "run" / "qemu"
    stray = sorted(p.name for p in run.glob("*") if p.suffix in (".qmp", ".xml", ".pid")) if run.exists() else []
    shutil.rmtree(path, ignore_errors=True)
    assert not left, f"QEMU processes left running: {left}"
    assert not stray, f"runtime files left behind: {stray}"


@pytest.fixture
def uri(root: Path) -> str:
    return f"qemu:///embed?root={root}"


@pytest.fixture
def conn(uri: str) -> Iterator[pyvirt.Connection]:
    c = pyvirt.open(uri)
    yield c
    for dom in c.list_domains(pyvirt.ListFilter.ACTIVE):
        dom.destroy()
    c.close()
