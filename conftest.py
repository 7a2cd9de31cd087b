"""Suite-wide marker plumbing: one scheme for tests that need real libvirt.

A test that compares with libvirt carries ``@pytest.mark.needs_libvirt("virsh")`` (runs libvirt's
``virsh``) or ``@pytest.mark.needs_libvirt("bindings")`` (runs python3-libvirt through
``/usr/bin/python3``).  ``-m "not needs_libvirt"`` deselects all of them at once; where the piece
is missing they are skipped here, each with the one reason that names it.  pyvirt itself never
uses libvirt.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"
CHECKOUT = Path(__file__).resolve().parent
KINDS = ("virsh", "bindings")


@functools.cache
def _missing(kind: str) -> str | None:
    """Why libvirt's ``kind`` cannot be used here, or None when it can (probed once per run)."""
    if kind == "virsh":
        return None if shutil.which("virsh") else "needs libvirt: virsh is not installed"
    try:
        done = subprocess.run([SYSTEM_PYTHON, "-c", "import libvirt"], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return f"needs libvirt: {SYSTEM_PYTHON} cannot run"
    return None if done.returncode == 0 else f"needs libvirt: python3-libvirt is not installed for {SYSTEM_PYTHON}"


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("needs_libvirt"):
        if len(mark.args) != 1 or mark.args[0] not in KINDS:
            raise pytest.UsageError(f"{item.nodeid}: needs_libvirt takes one of {KINDS}, got {mark.args}")
        reason = _missing(mark.args[0])
        if reason is not None:
            pytest.skip(reason)


def corpus_path() -> Path:
    """Where the shared corpus of libvirt documents is: ``$PYVIRT_CORPUS``, else
    ``<checkout>/../shared/corpus`` (the lookup every corpus test of the suite uses)."""
    env = os.environ.get("PYVIRT_CORPUS")
    return Path(env) if env else CHECKOUT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared corpus; a test that asks for it is skipped, with the path tried, when it is missing."""
    path = corpus_path()
    if not (path / "testdriver").is_dir():
        pytest.skip(f"shared corpus not found at {path} (set PYVIRT_CORPUS)")
    return path
