"""Boot real guests under TCG (and KVM where it works) and watch what they do.

The guest is the boot sector of :mod:`bootsector`: it prints a marker on COM1, then halts,
powers off by itself, or waits for the ACPI power button.  What is covered: serial output
through a file and a pty, the QMP events of a guest power-off and of an ACPI shutdown request
answered by the guest, destroy, suspend/resume, paused start, save/restore, live XML.
"""

from __future__ import annotations

import os
import select
import signal
from pathlib import Path

import pytest
from bootsector import write_disk
from lxml import etree
from qemu_helpers import domain_xml, file_serial, node, qemu_pids, wait_for

import pyvirt
from pyvirt.types import DomainEventType, DomainState, PausedReason, RunningReason, ShutoffReason, StoppedDetail
from pyvirt_qemu import probe
from pyvirt_qemu.prepare import DEFAULT_EMULATOR


def _serial_text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def test_boots_and_prints_marker_on_serial_file(conn: pyvirt.Connection, root: Path) -> None:
    disk = write_disk(root / "halt.img", b"PYVIRT-HELLO", "halt")
    serial = root / "serial.log"
    dom = conn.define_domain(domain_xml("hello", disk, serial=file_serial(serial)))
    dom.start()
    assert dom.state() == (DomainState.RUNNING, RunningReason.BOOTED)
    wait_for(lambda: "PYVIRT-HELLO" in _serial_text(serial), what="the marker on the serial file")
    assert dom.info().cpu_time > 0
    dom.destroy()
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.DESTROYED)
    assert qemu_pids(str(root)) == []
    assert not list((root / "run" / "qemu").glob("*.qmp"))


def test_pty_console_on_q35_sata_started_paused(conn: pyvirt.Connection, root: Path) -> None:
    """The pty's path is only known after start: it must be in the live XML.  Starting paused
    lets the test open the pty before the guest writes (a pty drops output nobody reads)."""
    disk = write_disk(root / "halt.img", b"PYVIRT-PTY", "halt")
    dom = conn.define_domain(domain_xml("pty", disk, machine="q35", bus="sata", serial="<serial type='pty'/>"))
    dom.start(paused=True)
    assert dom.state()[0] == DomainState.PAUSED
    live = etree.fromstring(dom.xml().encode())
    path = node(live, "devices/serial/source").get("path")
    assert path and path.startswith("/dev/pts/")
    assert etree.fromstring(dom.xml(inactive=True).encode()).find("devices/serial/source") is None
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    try:
        dom.resume()
        assert dom.state() == (DomainState.RUNNING, RunningReason.UNPAUSED)
        seen = b""
        while b"PYVIRT-PTY" not in seen:
            ready, _, _ = select.select([fd], [], [], 20)
            assert ready, f"no marker on the pty, got {seen!r}"
            seen += os.read(fd, 1024)
    finally:
        os.close(fd)
        dom.destroy()


def test_guest_power_off_is_seen_through_qmp(conn: pyvirt.Connection, root: Path) -> None:
    events: list[pyvirt.DomainEvent] = []
    conn.domain_event_register(events.append)
    disk = write_disk(root / "off.img", b"BYE", "poweroff")
    dom = conn.define_domain(domain_xml("off", disk))
    dom.start()
    wait_for(lambda: dom.state()[0] == DomainState.SHUTOFF, what="the guest to power off")
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.SHUTDOWN)
    kinds = [e.event for e in events]
    assert kinds[-3:] == [DomainEventType.STARTED, DomainEventType.SHUTDOWN, DomainEventType.STOPPED]
    assert events[-1].detail == StoppedDetail.SHUTDOWN
    assert not (root / "run" / "qemu" / "off.xml").exists()


def test_acpi_shutdown_answered_by_the_guest(conn: pyvirt.Connection, root: Path) -> None:
    disk = write_disk(root / "acpi.img", b"READY", "acpi")
    serial = root / "serial.log"
    dom = conn.define_domain(domain_xml("acpi", disk, serial=file_serial(serial)))
    dom.start()
    wait_for(lambda: "READY" in _serial_text(serial), what="the guest to boot")
    dom.shutdown()
    wait_for(lambda: dom.state()[0] == DomainState.SHUTOFF, what="the ACPI shutdown")
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.SHUTDOWN)


def test_suspend_resume_and_events(conn: pyvirt.Connection, root: Path) -> None:
    events: list[pyvirt.DomainEvent] = []
    conn.domain_event_register(events.append)
    dom = conn.create_domain(domain_xml("pause"))
    assert not dom.is_persistent()
    dom.suspend()
    assert dom.state() == (DomainState.PAUSED, PausedReason.USER)
    dom.resume()
    assert dom.state() == (DomainState.RUNNING, RunningReason.UNPAUSED)
    dom.destroy()
    kinds = [e.event for e in events]
    assert kinds == [  # libvirt's order: QEMU's RESUME precedes STARTED, its SHUTDOWN precedes STOPPED
        DomainEventType.RESUMED,
        DomainEventType.STARTED,
        DomainEventType.SUSPENDED,
        DomainEventType.RESUMED,
        DomainEventType.SHUTDOWN,
        DomainEventType.STOPPED,
    ]
    with pytest.raises(pyvirt.NoDomainError):
        conn.lookup_domain_by_name("pause")  # transient: gone once stopped


def test_save_and_restore(conn: pyvirt.Connection, root: Path) -> None:
    disk = write_disk(root / "save.img", b"SAVED", "halt")
    serial = root / "serial.log"
    dom = conn.define_domain(domain_xml("save", disk, serial=file_serial(serial)))
    dom.start()
    wait_for(lambda: "SAVED" in _serial_text(serial), what="the guest to boot")
    image = root / "save.img.state"
    dom.save(str(image))
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.SAVED)
    assert image.stat().st_size > 1000
    restored = conn.restore_domain(str(image))
    assert restored.uuid == dom.uuid
    assert dom.state() == (DomainState.RUNNING, RunningReason.RESTORED)
    dom.destroy()


def test_balloon_set_memory_live(conn: pyvirt.Connection) -> None:
    dom = conn.define_domain(domain_xml("mem"))
    dom.start()
    dom.set_memory(48 * 1024, pyvirt.ModifyScope.LIVE)
    assert "<currentMemory unit='KiB'>49152</currentMemory>" in dom.xml()
    assert "<currentMemory unit='KiB'>65536</currentMemory>" in dom.xml(inactive=True)
    with pytest.raises(pyvirt.InvalidArgumentError):
        dom.set_memory(128 * 1024, pyvirt.ModifyScope.LIVE)
    dom.destroy()


def test_kvm_guest_starts_and_stops(conn: pyvirt.Connection, root: Path) -> None:
    """KVM is nested here (SeaBIOS takes ~20 s to boot), so this checks start and destroy only."""
    if not probe.capabilities(DEFAULT_EMULATOR, root / "cache").kvm:
        pytest.skip("KVM is not usable on this host")
    dom = conn.define_domain(domain_xml("kvm", virt_type="kvm"))
    dom.start()
    assert dom.state()[0] == DomainState.RUNNING
    cmdline = Path(f"/proc/{qemu_pids(dom.uuid)[0]}/cmdline").read_bytes().split(b"\0")
    assert b"kvm" in cmdline[cmdline.index(b"-accel") + 1]
    dom.destroy()
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.DESTROYED)


EVERY_DEVICE = """
<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{root}/a.img'/>
  <target dev='vda' bus='virtio'/><boot order='1'/></disk>
<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{root}/b.img'/>
  <target dev='sda' bus='sata'/></disk>
<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{root}/c.img'/>
  <target dev='sdb' bus='scsi'/><readonly/></disk>
<disk type='file' device='cdrom'><target dev='sdc' bus='sata'/></disk>
<controller type='virtio-serial'/>
<interface type='user'><model type='virtio'/></interface>
<interface type='user'><model type='e1000'/></interface>
<interface type='user'><model type='rtl8139'/></interface>
<serial type='pty'/>
<serial type='unix'><source mode='bind' path='{root}/serial.sock'/><target port='1'/></serial>
<serial type='null'><target port='2'/></serial>
<input type='tablet' bus='usb'/>
<graphics type='vnc' autoport='yes'/>
<video><model type='vga' vram='16384'/></video>
<watchdog model='i6300esb' action='poweroff'/>
<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
"""


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_every_supported_device_starts(conn: pyvirt.Connection, root: Path, machine: str) -> None:
    """QEMU accepts the whole command line: each device, its bus and its address."""
    for name in ("a.img", "b.img", "c.img"):
        write_disk(root / name, b"X", "halt")
    cpu = "<cpu mode='custom'><model>qemu64</model><topology sockets='1' dies='1' cores='2' threads='1'/></cpu>"
    clock = "<clock offset='utc'><timer name='rtc' tickpolicy='catchup'/><timer name='hpet' present='no'/></clock>"
    xml = domain_xml("all", extra=EVERY_DEVICE.format(root=root), machine=machine).replace(
        "<vcpu>1</vcpu>", f"<vcpu>2</vcpu>{cpu}{clock}"
    )
    dom = conn.define_domain(xml)
    dom.start()
    assert dom.state()[0] == DomainState.RUNNING
    assert (root / "serial.sock").exists()
    assert dom.info().vcpus == 2
    dom.destroy()


def test_qemu_killed_under_a_watching_driver_is_crashed(conn: pyvirt.Connection, root: Path) -> None:
    events: list[pyvirt.DomainEvent] = []
    conn.domain_event_register(events.append)
    dom = conn.define_domain(domain_xml("crash"))
    dom.start()
    (pid,) = qemu_pids(str(root))
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: dom.state()[0] == DomainState.SHUTOFF, what="the crash to be noticed")
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.CRASHED)
    assert (events[-1].event, events[-1].detail) == (DomainEventType.STOPPED, StoppedDetail.CRASHED)
    assert not Path(f"/proc/{pid}").exists()  # reaped at once: we are its parent


def test_vcpus_are_hot_plugged_up_to_the_maximum(conn: pyvirt.Connection) -> None:
    dom = conn.define_domain(domain_xml("cpus").replace("<vcpu>1</vcpu>", "<vcpu current='1'>3</vcpu>"))
    dom.start()
    dom.set_vcpus(3, pyvirt.ModifyScope.LIVE)
    assert dom.vcpus_count(pyvirt.ModifyScope.LIVE) == 3
    assert dom.vcpus_count(pyvirt.ModifyScope.CONFIG) == 1
    monitor = conn.driver.drv.get(dom.uuid).monitor  # type: ignore[attr-defined]
    assert len(monitor.execute("query-cpus-fast")) == 3  # QEMU really has them
    with pytest.raises(pyvirt.OperationInvalidError, match="co-operation"):
        dom.set_vcpus(2, pyvirt.ModifyScope.LIVE)
    dom.destroy()


def test_acpi_reboot_boots_the_guest_again(conn: pyvirt.Connection, root: Path) -> None:
    """The guest answers the power button by powering off; a reboot turns that into a reset."""
    events: list[pyvirt.DomainEvent] = []
    disk = write_disk(root / "acpi.img", b"BOOTED", "acpi")
    serial = root / "serial.log"
    dom = conn.define_domain(domain_xml("reboot", disk, serial=file_serial(serial)))
    dom.start()
    wait_for(lambda: _serial_text(serial).count("BOOTED") == 1, what="the first boot")
    conn.domain_event_register(events.append)
    dom.reboot()
    wait_for(lambda: _serial_text(serial).count("BOOTED") == 2, what="the second boot")
    assert dom.state()[0] == DomainState.RUNNING
    assert events == []  # a reboot is neither a stop nor a pause
    dom.destroy()


def test_guest_panic_is_reported_and_the_domain_crashes(conn: pyvirt.Connection, root: Path) -> None:
    """GUEST_PANICKED from the pvpanic device; <on_crash>destroy ends the guest as crashed."""
    events: list[pyvirt.DomainEvent] = []
    conn.domain_event_register(events.append)
    disk = write_disk(root / "panic.img", b"PANIC", "panic")
    dom = conn.define_domain(domain_xml("panic", disk, extra="<panic model='isa'/>"))
    dom.start()
    wait_for(lambda: dom.state()[0] == DomainState.SHUTOFF, what="the panic to end the guest")
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.CRASHED)
    kinds = [(e.event, e.detail) for e in events]
    assert (DomainEventType.CRASHED, 0) in kinds
    assert kinds[-1] == (DomainEventType.STOPPED, StoppedDetail.CRASHED)
