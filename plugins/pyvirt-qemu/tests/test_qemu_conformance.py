"""pyvirt's driver conformance suite on ``qemu:///embed``: every test whose operations the driver
implements runs against real QEMU (domain type ``qemu``, TCG); the rest are skipped by the
suite, naming what is missing."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from qemu_helpers import kill_and_reap, qemu_pids

import pyvirt
from pyvirt.testing.suite import *  # noqa: F403


@pytest.fixture(scope="module")
def _suite_root() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="pq-conf-", dir="/tmp"))
    yield path
    left = qemu_pids(str(path))
    kill_and_reap(left)
    shutil.rmtree(path, ignore_errors=True)
    assert not left, f"the suite left QEMU processes running: {left}"


@pytest.fixture
def pyvirt_uri(_suite_root: Path) -> str:
    """One root for the module: the suite's tests use unique names, as on a shared node."""
    return f"qemu:///embed?root={_suite_root}"


@pytest.fixture
def conn(pyvirt_uri: str) -> Iterator[pyvirt.Connection]:
    """The suite's own connection (this directory's ``conn`` opens a fresh root per test)."""
    connection = pyvirt.open(pyvirt_uri)
    yield connection
    connection.close()
