"""``shutdown(timeout=...)`` through pyvirtd on libvirt's test driver, whose guests shut off at
once: the client-side wait must see the remote domain shut off and return, from the threaded
client, from pyvirt.aio (whose remote driver runs on the event loop) and from pyvirsh.  The
timeout path needs a guest that ignores ACPI: see the QEMU driver's
``test_qemu_shutdown_timeout.py``."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

import pyvirt
import pyvirt.aio
from pyvirt.types import DomainState, ShutoffReason
from pyvirt_daemon.process import DaemonProcess

PYVIRSH = Path(sys.executable).parent / "pyvirsh"


def test_threaded_client_waits_for_shut_off(pyvirtd: DaemonProcess) -> None:
    with pyvirt.open(pyvirtd.uri()) as conn:
        dom = conn.lookup_domain_by_name("test")
        dom.shutdown(timeout=30)
        assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.SHUTDOWN)
        assert dom.id == -1


def test_aio_client_waits_for_shut_off(pyvirtd: DaemonProcess) -> None:
    async def main() -> None:
        async with pyvirt.aio.open(pyvirtd.uri()) as conn:
            dom = await conn.lookup_domain_by_name("test")
            await dom.shutdown(timeout=30)
            assert await dom.state() == (DomainState.SHUTOFF, ShutoffReason.SHUTDOWN)
            assert dom.id == -1

    asyncio.run(main())


def test_a_bad_timeout_is_refused_and_the_guest_left_alone(pyvirtd: DaemonProcess) -> None:
    with pyvirt.open(pyvirtd.uri()) as conn:
        dom = conn.lookup_domain_by_name("test")
        with pytest.raises(pyvirt.InvalidArgumentError, match="shutdown timeout"):
            dom.shutdown(timeout=-1)
        assert dom.state()[0] == DomainState.RUNNING


def test_pyvirsh_shutdown_timeout_through_the_daemon(pyvirtd: DaemonProcess) -> None:
    uri = pyvirtd.uri()
    done = subprocess.run(
        [str(PYVIRSH), "-c", uri, "shutdown --timeout 30 test; domstate --reason test"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "Domain 'test' is shut off\n\nshut off (shutdown)\n\n"


def test_in_process_test_driver_for_comparison() -> None:
    with pyvirt.open("test:///default") as conn:
        dom = conn.lookup_domain_by_name("test")
        dom.shutdown(timeout=30)
        assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.SHUTDOWN)
