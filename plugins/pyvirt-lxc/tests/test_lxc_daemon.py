"""lxc:///system served by pyvirtd: containers outlive every client and the daemon itself
(restarted cleanly or killed with SIGKILL), autostart ones start with the daemon before any
client connects, and real virsh manages them."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import pyvirt
from pyvirt import DomainState
from pyvirt.plugins import host
from pyvirt_daemon.process import DaemonProcess, zombie_children
from pyvirt_lxc.testing import container_xml, empty_root


def system_uri(daemon: DaemonProcess) -> str:
    return daemon.uri(driver="lxc", path="/system")


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    """A private pyvirtd (not started) whose every file, and every container, is under its root."""
    node = DaemonProcess(tmp_path / "node")
    try:
        yield node
    finally:
        node.kill()
        # what the daemon ran is cleaned up by this process, as a restarted daemon would
        saved = host().server_side, host().root
        host().server_side, host().root = True, str(node.root)
        try:
            with pyvirt.open("lxc:///system") as conn:
                for dom in conn.list_domains(pyvirt.ListFilter.ACTIVE):
                    dom.destroy()
        finally:
            host().server_side, host().root = saved
        empty_root(str(node.root))


def virsh(uri: str, *words: str) -> str:
    done = subprocess.run(["virsh", "-c", uri, *words], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["clean", "kill-9"])
def test_containers_survive_a_daemon_restart(daemon: DaemonProcess, rootfs: str, how: signal.Signals) -> None:
    daemon.start()
    with pyvirt.open(system_uri(daemon)) as conn:
        dom = conn.define_domain(container_xml("served", rootfs, args=["-c", "exec sleep 1000"]))
        dom.start()
        first_id = dom.id
        paused = conn.create_domain(container_xml("napping", rootfs, args=["-c", "exec sleep 1000"]))
        paused.suspend()
    if how == signal.SIGKILL:
        daemon.kill()
    else:
        daemon.stop()
    daemon.start()
    with pyvirt.open(system_uri(daemon)) as conn:
        dom = conn.lookup_domain_by_name("served")
        assert dom.id == first_id and dom.state()[0] == DomainState.RUNNING
        assert conn.lookup_domain_by_id(first_id).name == "served"  # the ID is the init's PID, kept on disk
        assert conn.lookup_domain_by_name("napping").state()[0] == DomainState.PAUSED
        conn.lookup_domain_by_name("napping").destroy()
        dom.destroy()
        dom.undefine()


@pytest.mark.skipif(shutil.which("virsh") is None, reason="real virsh is not installed")
def test_real_virsh_manages_containers_through_pyvirtd(daemon: DaemonProcess, rootfs: str, tmp_path: Path) -> None:
    daemon.start()
    uri = system_uri(daemon)
    xml = tmp_path / "v.xml"
    xml.write_text(container_xml("viaVirsh", rootfs, args=["-c", "exec sleep 1000"]))
    virsh(uri, "define", str(xml))
    virsh(uri, "start", "viaVirsh")
    assert "running" in virsh(uri, "domstate", "viaVirsh")
    virsh(uri, "suspend", "viaVirsh")
    assert "paused" in virsh(uri, "domstate", "viaVirsh")
    virsh(uri, "resume", "viaVirsh")
    info = virsh(uri, "dominfo", "viaVirsh")
    assert "OS Type:        exe" in info and "running" in info
    stats = dict(line.strip().split("=", 1) for line in virsh(uri, "domstats", "viaVirsh").splitlines() if "=" in line)
    assert stats["state.state"] == "1" and stats["balloon.maximum"] == "65536" and int(stats["cpu.time"]) > 0
    # shutdown asks the init and returns at once; an init without a SIGTERM handler stays up
    assert "is being shutdown" in virsh(uri, "shutdown", "viaVirsh")
    assert "running" in virsh(uri, "domstate", "viaVirsh")
    virsh(uri, "destroy", "viaVirsh")
    virsh(uri, "start", "--paused", "viaVirsh")
    assert "paused" in virsh(uri, "domstate", "viaVirsh")
    virsh(uri, "destroy", "viaVirsh")
    assert daemon.proc is not None and zombie_children(daemon.proc.pid) == []  # its monitor was reaped
    virsh(uri, "undefine", "viaVirsh")
    assert "viaVirsh" not in virsh(uri, "list", "--all")


def _with_env(token: str) -> list[int]:
    """Processes whose environment holds ``token`` (a container's init, seen from the host)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if token.encode() in (proc / "environ").read_bytes().split(b"\0"):
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


def test_autostart_container_starts_with_the_daemon_before_any_client(daemon: DaemonProcess, rootfs: str) -> None:
    token = f"PYVIRT_AUTOSTART_TEST={daemon.root}"
    xml = container_xml(
        "early", rootfs, args=["-c", "exec sleep 1000"], env={"PYVIRT_AUTOSTART_TEST": str(daemon.root)}
    )
    daemon.start()
    with pyvirt.open(system_uri(daemon)) as conn:
        conn.define_domain(xml).set_autostart(True)
    daemon.stop()
    shutil.rmtree(daemon.root / "run")  # as a host reboot empties /run
    assert _with_env(token) == []
    daemon.start()  # the socket accepts only once the stateful drivers are up
    assert len(_with_env(token)) == 1
    with pyvirt.open(system_uri(daemon)) as conn:
        dom = conn.lookup_domain_by_name("early")
        assert dom.state()[0] == DomainState.RUNNING
        dom.destroy()
        dom.undefine()


def test_a_container_that_ends_on_its_own_leaves_no_zombie(daemon: DaemonProcess, rootfs: str) -> None:
    """Its monitor is the daemon's child: the driver reaps it as the container ends."""
    daemon.start()
    with pyvirt.open(system_uri(daemon)) as conn:
        conn.create_domain(container_xml("brief", rootfs, args=["-c", "exit 0"]))
        deadline = time.monotonic() + 30
        while conn.list_domains(pyvirt.ListFilter.ACTIVE):
            assert time.monotonic() < deadline, "the container did not end"
            time.sleep(0.05)
    assert daemon.proc is not None and zombie_children(daemon.proc.pid) == []
