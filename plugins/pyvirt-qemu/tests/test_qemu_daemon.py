"""qemu:///system served by pyvirtd: real virsh and pyvirsh manage a guest through the daemon,
autostart runs when the daemon starts (before any client), guests outlive a daemon restart
(clean or SIGKILL), and the daemon leaves no zombie child behind.

Every daemon here has its own short root under /tmp (the ``root`` fixture), so the monitor
sockets under ``ROOT/run/pyvirt/qemu`` fit in ``sun_path``; the fixture kills any QEMU
process still running under that root when a test fails half-way.
"""

from __future__ import annotations

import fcntl
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from bootsector import write_disk
from qemu_helpers import domain_xml, file_serial, qemu_pids, wait_for

import pyvirt
from pyvirt.types import DomainState, RunningReason

pyvirt_daemon = pytest.importorskip("pyvirt_daemon")
from pyvirt_daemon.process import DaemonProcess, zombie_children  # noqa: E402

PYVIRSH = Path(sys.executable).parent / "pyvirsh"
needs_virsh = pytest.mark.skipif(shutil.which("virsh") is None, reason="real virsh is not installed")


@pytest.fixture
def daemon(root: Path) -> Iterator[DaemonProcess]:
    """A pyvirtd serving ``qemu:///system`` under ``root``, not started yet."""
    proc = DaemonProcess(root / "d")
    try:
        yield proc
    finally:
        proc.stop()
        run = proc.root / "run" / "pyvirt" / "qemu"
        stray = sorted(p.name for p in run.glob("*") if p.suffix in (".qmp", ".xml", ".pid")) if run.exists() else []
        assert not stray, f"runtime files left behind: {stray}"


def system_uri(daemon: DaemonProcess) -> str:
    return daemon.uri(driver="qemu", path="/system")


def daemon_pid(daemon: DaemonProcess) -> int:
    assert daemon.proc is not None
    return daemon.proc.pid


def run(cli: list[str], uri: str, *words: str) -> str:
    done = subprocess.run([*cli, "-c", uri, *words], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{words}: {done.stderr}"
    return done.stdout


@pytest.mark.parametrize(
    "cli",
    [pytest.param(["virsh"], id="virsh", marks=needs_virsh), pytest.param([str(PYVIRSH)], id="pyvirsh")],
)
def test_a_shell_manages_a_guest_through_the_daemon(daemon: DaemonProcess, root: Path, cli: list[str]) -> None:
    daemon.start()
    uri = system_uri(daemon)
    serial = root / "serial.log"
    xml = root / "guest.xml"
    xml.write_text(domain_xml("served", write_disk(root / "boot.img", b"BOOTED", "halt"), serial=file_serial(serial)))
    run(cli, uri, "define", str(xml))
    assert "shut off" in run(cli, uri, "domstate", "served")
    run(cli, uri, "start", "served")
    wait_for(lambda: "BOOTED" in serial.read_text(errors="replace"), what="the guest's marker on its serial port")
    info = run(cli, uri, "dominfo", "served")
    assert "running" in info and "hvm" in info
    assert run(cli, uri, "domstate", "--reason", "served").strip() == "running (booted)"
    (pid,) = qemu_pids(str(daemon.root))
    run(cli, uri, "suspend", "served")
    assert run(cli, uri, "domstate", "--reason", "served").strip() == "paused (user)"
    run(cli, uri, "resume", "served")
    assert run(cli, uri, "domstate", "--reason", "served").strip() == "running (unpaused)"
    run(cli, uri, "destroy", "served")
    assert run(cli, uri, "domstate", "--reason", "served").strip() == "shut off (destroyed)"
    assert not Path(f"/proc/{pid}").exists()  # gone and reaped: the daemon's child left no zombie
    assert zombie_children(daemon_pid(daemon)) == []
    run(cli, uri, "undefine", "served")
    assert "served" not in run(cli, uri, "list", "--all")


def test_autostart_guest_runs_when_the_daemon_starts_with_no_client(daemon: DaemonProcess, root: Path) -> None:
    daemon.start()
    with pyvirt.open(system_uri(daemon)) as conn:
        dom = conn.define_domain(domain_xml("early", write_disk(root / "boot.img", b"EARLY", "halt")))
        dom.set_autostart(True)
    assert daemon.stop() == 0
    # a host reboot empties /run; autostart then runs once more, at the daemon's start
    shutil.rmtree(daemon.root / "run")
    daemon.start()  # returns once the sockets accept, before any client could open a driver
    assert len(qemu_pids(str(daemon.root))) == 1, daemon.stderr()
    with pyvirt.open(system_uri(daemon)) as conn:
        dom = conn.lookup_domain_by_name("early")
        assert dom.state() == (DomainState.RUNNING, RunningReason.BOOTED)
        dom.destroy()
        dom.undefine()


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["clean", "kill-9"])
def test_a_running_guest_is_managed_again_after_a_daemon_restart(
    daemon: DaemonProcess, root: Path, how: signal.Signals
) -> None:
    daemon.start()
    uri = system_uri(daemon)
    with pyvirt.open(uri) as conn:
        dom = conn.define_domain(domain_xml("lasting", write_disk(root / "boot.img", b"LAST", "halt")))
        dom.start()
        first_id = dom.id
    (pid,) = qemu_pids(str(daemon.root))
    daemon.signal(how)
    assert daemon.proc is not None
    daemon.proc.wait(30)
    assert qemu_pids(str(daemon.root)) == [pid]  # the guest did not go down with the daemon
    daemon.start()
    with pyvirt.open(uri) as conn:
        dom = conn.lookup_domain_by_name("lasting")
        assert dom.id == first_id
        assert dom.state() == (DomainState.RUNNING, RunningReason.BOOTED)
        dom.suspend()  # the monitor is really reconnected
        assert dom.state()[0] == DomainState.PAUSED
        dom.resume()
        dom.destroy()
        assert dom.state()[0] == DomainState.SHUTOFF
        dom.undefine()
    assert qemu_pids(str(daemon.root)) == []


def test_a_guest_that_powers_off_leaves_no_zombie(daemon: DaemonProcess, root: Path) -> None:
    """The guest is the daemon's child; the driver reaps it as it exits (PID 1 would only
    collect it after the daemon is gone), so no zombie stays while the daemon runs."""
    daemon.start()
    with pyvirt.open(system_uri(daemon)) as conn:
        dom = conn.create_domain(domain_xml("brief", write_disk(root / "boot.img", b"BYE", "poweroff")))
        wait_for(lambda: not conn.list_domains(pyvirt.ListFilter.ACTIVE), what="the guest to power off")
        assert dom.name not in {d.name for d in conn.list_domains()}
    assert qemu_pids(str(daemon.root)) == []
    assert zombie_children(daemon_pid(daemon)) == []


def test_a_driver_that_cannot_start_is_logged_and_the_daemon_serves_the_rest(daemon: DaemonProcess) -> None:
    lock = daemon.root / "run" / "pyvirt" / "qemu" / "driver.lock"
    lock.parent.mkdir(parents=True)
    with open(lock, "w") as held:  # another process drives this root
        fcntl.flock(held, fcntl.LOCK_EX)
        daemon.start()
        assert "stateful driver not started" in daemon.stderr() and "qemu:///system" in daemon.stderr()
        with pytest.raises(pyvirt.PyvirtError, match="in use by another process"):
            pyvirt.open(system_uri(daemon))
        with pyvirt.open(daemon.uri()) as conn:  # the test driver is served as ever
            assert conn.list_domains()
