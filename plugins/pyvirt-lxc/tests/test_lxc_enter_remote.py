"""``lxc-enter-namespace`` through pyvirtd: the daemon passes descriptors on a container's
namespaces over its unix socket (libvirt's LXC program, REPLY_WITH_FDS), and the client joins
them and runs the command itself; real virsh and pyvirsh both do so."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import pyvirt
import pyvirt.lxc
from test_lxc_daemon import Daemon, daemon  # noqa: F401 - the fixture

from pyvirt_lxc.testing import container_xml

needs_virsh = pytest.mark.skipif(shutil.which("virsh") is None, reason="real virsh is not installed")
PYVIRSH = [sys.executable, "-m", "pyvirt.cli"]


def _open_fds(pid: int) -> set[str]:
    return {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}


@pytest.fixture
def served(daemon: Daemon, rootfs: str) -> Iterator[Daemon]:  # noqa: F811
    """The daemon running a container named ``boxed`` (its init a shell that sleeps)."""
    daemon.start()
    with pyvirt.open(daemon.uri) as conn:
        conn.create_domain(container_xml("boxed", rootfs, args=["-c", "exec sleep 1000"]))
    yield daemon


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


@needs_virsh
def test_real_virsh_runs_a_command_inside_the_container(served: Daemon) -> None:
    done = _run(["virsh", "-c", served.uri, "lxc-enter-namespace", "boxed", "--noseclabel", "--", "/bin/hostname"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "boxed"
