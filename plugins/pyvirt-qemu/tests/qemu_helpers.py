"""Helpers for the QEMU driver's tests: finding and killing QEMU processes, waiting, guest XML."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree


def qemu_pids(marker: str) -> list[int]:
    """QEMU processes whose command line mentions ``marker`` (the test's root)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if b"qemu-system" in cmdline and marker.encode() in cmdline and ") Z" not in stat:
            found.append(int(entry))
    return found


def kill_and_reap(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            deadline = time.monotonic() + 5
            while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
                time.sleep(0.02)


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def domain_xml(
    name: str,
    disk: Path | None = None,
    *,
    serial: str = "",
    virt_type: str = "qemu",
    machine: str = "pc",
    bus: str = "virtio",
    extra: str = "",
    emulator: str = "",
) -> str:
    """A small guest: 64 MiB, one vCPU, optionally booting ``disk``."""
    dev = "vda" if bus == "virtio" else "sda"
    disk_xml = (
        f"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{disk}'/>"
        f"<target dev='{dev}' bus='{bus}'/></disk>"
        if disk
        else ""
    )
    emulator_xml = f"<emulator>{emulator}</emulator>" if emulator else ""
    return (
        f"<domain type='{virt_type}'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
        f"<os><type arch='x86_64' machine='{machine}'>hvm</type></os><features><acpi/></features>"
        f"<devices>{emulator_xml}{disk_xml}{serial}{extra}</devices></domain>"
    )


def node(el: etree._Element, path: str) -> etree._Element:
    """The element at ``path`` under ``el``; fails the test when it is missing."""
    found = el.find(path)
    assert found is not None, f"no <{path}> in {etree.tostring(el)!r}"
    return found


def file_serial(path: Path) -> str:
    return f"<serial type='file'><source path='{path}'/></serial>"
