"""``shutdown`` with a timeout on real QEMU guests: in-process, through pyvirt.aio, pyvirsh
and pyvirtd.

Two boot-sector guests (:mod:`bootsector`): one halts with interrupts off and so never answers
the ACPI power button, the other waits for the button and powers off.  The first must time out
with libvirt's OPERATION_TIMEOUT error and keep running; the second must be shut off (reason
``shutdown``) when the call returns, with no polling by the test.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from bootsector import write_disk
from qemu_helpers import domain_xml, file_serial, wait_for

import pyvirt
import pyvirt.aio
from pyvirt.errors import ErrorCode, PyvirtError
from pyvirt.types import DomainState, ShutoffReason

pytest.importorskip("pyvirt_daemon")
from pyvirt_daemon.process import DaemonProcess

PYVIRSH = Path(sys.executable).parent / "pyvirsh"
PATIENCE = 60  # seconds a guest that does answer may take under TCG on a loaded machine


def _booted(conn: pyvirt.Connection, root: Path, name: str, then: str) -> pyvirt.Domain:
    """A running guest that has printed its marker, so it is past the BIOS and in its loop
    (an ACPI request before that would reach nobody)."""
    serial = root / f"{name}.log"
    disk = write_disk(root / f"{name}.img", name.upper().encode(), then)
    dom = conn.define_domain(domain_xml(name, disk, serial=file_serial(serial)))
    dom.start()
    wait_for(lambda: name.upper() in (serial.read_text(errors="replace") if serial.exists() else ""), what="boot")
    return dom


def _assert_timed_out(err: PyvirtError, name: str, seconds: int) -> None:
    assert err.code == ErrorCode.OPERATION_TIMEOUT
    assert str(err) == (
        f"Timed out during operation: guest {name} did not shut down within {seconds} s; it is still running"
    )


def test_a_guest_ignoring_acpi_times_out_and_keeps_running(conn: pyvirt.Connection, root: Path) -> None:
    dom = _booted(conn, root, "deaf", "halt")
    with pytest.raises(PyvirtError) as caught:
        dom.shutdown(timeout=1)
    _assert_timed_out(caught.value, "deaf", 1)
    assert dom.state()[0] == DomainState.RUNNING
    assert dom.id > 0
    dom.destroy()


def test_a_guest_answering_acpi_is_shut_off_when_the_call_returns(conn: pyvirt.Connection, root: Path) -> None:
    dom = _booted(conn, root, "polite", "acpi")
    dom.shutdown(timeout=PATIENCE)
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.SHUTDOWN)
    assert dom.id == -1


def test_without_timeout_shutdown_returns_at_once(conn: pyvirt.Connection, root: Path) -> None:
    """None keeps libvirt's behaviour: the button is pressed and the call returns, even for a
    guest that will never answer."""
    dom = _booted(conn, root, "deaf", "halt")
    dom.shutdown()
    assert dom.state()[0] == DomainState.RUNNING
    dom.destroy()


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_a_timeout_that_cannot_be_waited_for_is_refused_before_the_guest_is_asked(
    conn: pyvirt.Connection, root: Path, bad: float
) -> None:
    dom = _booted(conn, root, "polite", "acpi")
    with pytest.raises(pyvirt.InvalidArgumentError, match="shutdown timeout"):
        dom.shutdown(timeout=bad)
    assert dom.state()[0] == DomainState.RUNNING  # the guest never saw the button
    dom.destroy()


def test_aio_shutdown_waits_or_times_out(conn: pyvirt.Connection, uri: str, root: Path) -> None:
    _booted(conn, root, "deaf", "halt")
    _booted(conn, root, "polite", "acpi")

    async def main() -> None:
        async with pyvirt.aio.open(uri) as aconn:
            deaf = await aconn.lookup_domain_by_name("deaf")
            polite = await aconn.lookup_domain_by_name("polite")
            with pytest.raises(PyvirtError) as caught:
                await deaf.shutdown(timeout=1)
            _assert_timed_out(caught.value, "deaf", 1)
            assert (await deaf.state())[0] == DomainState.RUNNING
            await polite.shutdown(timeout=PATIENCE)
            assert await polite.state() == (DomainState.SHUTOFF, ShutoffReason.SHUTDOWN)
            assert polite.id == -1
            await deaf.destroy()

    asyncio.run(main())


def _pyvirsh(uri: str, *words: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PYVIRSH), "-c", uri, *words], capture_output=True, text=True, timeout=120)


def test_pyvirsh_shutdown_timeout(uri: str, root: Path) -> None:
    """pyvirsh is its own process: the test's connection is closed meanwhile (an embedded
    root has one user at a time); the guests run on."""
    with pyvirt.open(uri) as conn:
        _booted(conn, root, "deaf", "halt")
        _booted(conn, root, "polite", "acpi")
    try:
        done = _pyvirsh(uri, "shutdown", "deaf", "--timeout", "1")
        assert (done.returncode, done.stdout) == (1, "\n")  # virsh's empty line, error or not
        assert done.stderr == (
            "error: Failed to shutdown domain 'deaf'\n"
            "error: Timed out during operation: guest deaf did not shut down within 1 s; it is still running\n"
        )
        done = _pyvirsh(uri, "shutdown", "--timeout", str(PATIENCE), "polite")
        assert (done.returncode, done.stdout, done.stderr) == (0, "Domain 'polite' is shut off\n\n", "")
    finally:
        with pyvirt.open(uri) as conn:
            polite = conn.lookup_domain_by_name("polite").state()
            deaf = conn.lookup_domain_by_name("deaf").state()[0]
            for dom in conn.list_domains(pyvirt.ListFilter.ACTIVE):
                dom.destroy()
    assert polite[0] == DomainState.SHUTOFF  # the reason is not kept for the next process of the root
    assert deaf == DomainState.RUNNING


@pytest.fixture
def daemon(root: Path) -> Iterator[DaemonProcess]:
    """A pyvirtd serving ``qemu:///system`` under ``root``."""
    proc = DaemonProcess(root / "d").start()
    try:
        yield proc
    finally:
        proc.stop()


def test_through_pyvirtd_sync_aio_and_pyvirsh(daemon: DaemonProcess, root: Path) -> None:
    """The wait is the client's: over the wire it is woken by the daemon's lifecycle events
    (sync client: its reader thread; pyvirt.aio: the loop itself, which must never block)."""
    uri = daemon.uri(driver="qemu", path="/system")
    with pyvirt.open(uri) as conn:
        deaf = _booted(conn, root, "deaf", "halt")
        with pytest.raises(PyvirtError) as caught:
            deaf.shutdown(timeout=1)
        _assert_timed_out(caught.value, "deaf", 1)
        assert deaf.state()[0] == DomainState.RUNNING
        _booted(conn, root, "civil", "acpi")
        _booted(conn, root, "polite", "acpi").shutdown(timeout=PATIENCE)
        assert conn.lookup_domain_by_name("polite").state() == (DomainState.SHUTOFF, ShutoffReason.SHUTDOWN)

        async def main() -> None:
            async with pyvirt.aio.open(uri) as aconn:
                adeaf = await aconn.lookup_domain_by_name("deaf")
                with pytest.raises(PyvirtError) as caught:
                    await adeaf.shutdown(timeout=1)
                _assert_timed_out(caught.value, "deaf", 1)
                civil = await aconn.lookup_domain_by_name("civil")
                await civil.shutdown(timeout=PATIENCE)
                assert await civil.state() == (DomainState.SHUTOFF, ShutoffReason.SHUTDOWN)

        asyncio.run(main())
        done = _pyvirsh(uri, "shutdown", "deaf", "--timeout", "1")
        assert done.returncode == 1 and "did not shut down within 1 s; it is still running" in done.stderr
        assert deaf.state()[0] == DomainState.RUNNING
        deaf.destroy()
