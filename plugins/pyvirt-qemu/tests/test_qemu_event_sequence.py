"""The lifecycle events of each operation on a real QEMU guest, in libvirt 9.0's order and detail.

libvirt's QEMU driver reports some events from QMP (QEMU's RESUME as ``cont`` starts a booting
guest's CPUs, QEMU's SHUTDOWN when destroy's signal ends it, a guest's own power-off) and the
others from the API call, so a start is RESUMED before STARTED and a destroy SHUTDOWN before
STOPPED.  ``tests/compat/test_qemu_embed.py`` compares the start/suspend/resume/destroy sequence
with real libvirt; this file pins every sequence, including those that need a guest that answers
the ACPI power button.
"""

from __future__ import annotations

import threading
from pathlib import Path

from bootsector import write_disk
from qemu_helpers import domain_xml, file_serial, wait_for

import pyvirt
from pyvirt.types import (
    DomainEventType,
    DomainState,
    ResumedDetail,
    ShutdownDetail,
    StartedDetail,
    StoppedDetail,
    SuspendedDetail,
)
from pyvirt_qemu import lifecycle

Seen = list[tuple[DomainEventType, int]]

BOOT: Seen = [(DomainEventType.RESUMED, ResumedDetail.UNPAUSED), (DomainEventType.STARTED, StartedDetail.BOOTED)]
DESTROY: Seen = [(DomainEventType.SHUTDOWN, ShutdownDetail.HOST), (DomainEventType.STOPPED, StoppedDetail.DESTROYED)]
PAUSE: Seen = [(DomainEventType.SUSPENDED, SuspendedDetail.PAUSED)]
UNPAUSE: Seen = [(DomainEventType.RESUMED, ResumedDetail.UNPAUSED)]


def _recorder(conn: pyvirt.Connection, name: str) -> Seen:
    seen: Seen = []
    conn.domain_event_register(lambda e: seen.append((e.event, e.detail)) if e.domain.name == name else None)
    return seen


def _serial_text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def test_start_then_destroy(conn: pyvirt.Connection) -> None:
    dom = conn.define_domain(domain_xml("seq-boot"))
    seen = _recorder(conn, "seq-boot")
    dom.start()
    assert seen == BOOT
    dom.destroy()
    assert seen == BOOT + DESTROY


def test_start_paused_then_resume(conn: pyvirt.Connection) -> None:
    dom = conn.define_domain(domain_xml("seq-paused"))
    seen = _recorder(conn, "seq-paused")
    dom.start(paused=True)
    assert seen == [(DomainEventType.STARTED, StartedDetail.BOOTED), *PAUSE]
    dom.resume()
    dom.destroy()
    assert seen == [(DomainEventType.STARTED, StartedDetail.BOOTED), *PAUSE, *UNPAUSE, *DESTROY]


def test_suspend_resume_and_destroy_while_paused(conn: pyvirt.Connection) -> None:
    seen = _recorder(conn, "seq-pause")
    dom = conn.create_domain(domain_xml("seq-pause"))
    dom.suspend()
    dom.resume()
    dom.suspend()
    dom.destroy()
    assert seen == BOOT + PAUSE + UNPAUSE + PAUSE + DESTROY


def test_guest_answers_acpi_shutdown(conn: pyvirt.Connection, root: Path) -> None:
    """The guest powers off: QEMU says SHUTDOWN (guest), its exit STOPPED (shutdown); the
    quit that ends QEMU afterwards is not a second SHUTDOWN."""
    disk = write_disk(root / "acpi.img", b"READY", "acpi")
    serial = root / "serial.log"
    dom = conn.define_domain(domain_xml("seq-acpi", disk, serial=file_serial(serial)))
    seen = _recorder(conn, "seq-acpi")
    dom.start()
    wait_for(lambda: "READY" in _serial_text(serial), what="the guest to boot")
    dom.shutdown()
    wait_for(lambda: len(seen) >= 4, what="the guest's shutdown events")
    assert seen == [
        *BOOT,
        (DomainEventType.SHUTDOWN, ShutdownDetail.GUEST),
        (DomainEventType.STOPPED, StoppedDetail.SHUTDOWN),
    ]


def test_reset_and_reboot_report_no_lifecycle_event(conn: pyvirt.Connection, root: Path) -> None:
    """libvirt reports a reset or a completed reboot as a REBOOT event, not a lifecycle one."""
    disk = write_disk(root / "acpi.img", b"BOOTED", "acpi")
    serial = root / "serial.log"
    dom = conn.define_domain(domain_xml("seq-reset", disk, serial=file_serial(serial)))
    dom.start()
    wait_for(lambda: _serial_text(serial).count("BOOTED") == 1, what="the first boot")
    seen = _recorder(conn, "seq-reset")
    dom.reset()
    wait_for(lambda: _serial_text(serial).count("BOOTED") == 2, what="the boot after the reset")
    dom.reboot()
    wait_for(lambda: _serial_text(serial).count("BOOTED") == 3, what="the boot after the reboot")
    assert seen == []
    dom.destroy()
    assert seen == DESTROY


def test_save_and_restore(conn: pyvirt.Connection, root: Path) -> None:
    """Save pauses (SUSPENDED) then stops (STOPPED saved) with no SHUTDOWN; a restore is
    STARTED (restored) then RESUMED (from snapshot, libvirt's detail for a restored guest)."""
    dom = conn.define_domain(domain_xml("seq-save"))
    dom.start()
    seen = _recorder(conn, "seq-save")
    image = root / "seq-save.state"
    dom.save(str(image))
    assert seen == [*PAUSE, (DomainEventType.STOPPED, StoppedDetail.SAVED)]
    conn.restore_domain(str(image))
    assert seen[2:] == [
        (DomainEventType.STARTED, StartedDetail.RESTORED),
        (DomainEventType.RESUMED, ResumedDetail.FROM_SNAPSHOT),
    ]
    dom.destroy()


def test_stale_shutdown_of_a_saved_process_is_ignored_after_restore(conn: pyvirt.Connection, root: Path) -> None:
    """QMP events wait in the driver's event queue: the SHUTDOWN the saved QEMU sent as it quit
    can be handled after the restored one started (seen on a loaded machine).  It is about a
    process that has ended, so it neither reports SHUTDOWN nor stops the restored guest."""
    dom = conn.define_domain(domain_xml("seq-stale"))
    dom.start()
    drv = conn.driver.drv  # type: ignore[attr-defined]
    saved_pid = drv.get(dom.uuid).pid
    image = root / "seq-stale.state"
    dom.save(str(image))
    conn.restore_domain(str(image))
    seen = _recorder(conn, "seq-stale")
    obj = drv.get(dom.uuid)
    assert obj.pid not in (0, saved_pid)
    handled = threading.Event()
    drv.submit(lifecycle.on_event, drv, obj, "SHUTDOWN", {"guest": False}, saved_pid)
    drv.submit(handled.set)  # the event thread handles submissions in order
    assert handled.wait(30)
    assert seen == []
    assert dom.state()[0] == DomainState.RUNNING
    dom.destroy()


def test_managed_save_then_start_paused(conn: pyvirt.Connection) -> None:
    dom = conn.define_domain(domain_xml("seq-managed"))
    dom.start()
    seen = _recorder(conn, "seq-managed")
    dom.managed_save()
    dom.start(paused=True)
    assert seen == [
        *PAUSE,
        (DomainEventType.STOPPED, StoppedDetail.SAVED),
        (DomainEventType.STARTED, StartedDetail.RESTORED),
        *PAUSE,
    ]
    dom.destroy()
