"""Guests outlive the process that started them, and the next open of the root finds them.

Each scenario runs the first half in a separate Python process (as one ``pyvirsh`` call would),
which exits while its guest keeps running; the test process then opens the same root.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from bootsector import write_disk
from lxml import etree
from qemu_helpers import domain_xml, file_serial, node, qemu_pids, wait_for

import pyvirt
from pyvirt.types import DomainState, PausedReason, RunningReason, ShutoffReason


def _in_other_process(uri: str, code: str, returncode: int = 0) -> str:
    script = "import pyvirt\nconn = pyvirt.open(URI)\n" + textwrap.dedent(code)
    done = subprocess.run(
        [sys.executable, "-c", script.replace("URI", repr(uri))], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == returncode, done.stderr
    return done.stdout


def test_reopen_finds_running_guest_and_destroys_it(uri: str, root: Path) -> None:
    disk = write_disk(root / "halt.img", b"ALIVE", "halt")
    serial = root / "serial.log"
    xml = domain_xml(
        "keep",
        disk,
        serial=file_serial(serial),
        extra="<serial type='pty'><target port='1'/></serial><graphics type='vnc'/>",
    )
    out = _in_other_process(uri, f"d = conn.define_domain({xml!r})\nd.start()\nprint(d.id)\n")
    first_id = int(out)
    assert len(qemu_pids(str(root))) == 1
    with pyvirt.open(uri) as conn:
        dom = conn.lookup_domain_by_name("keep")
        assert dom.state() == (DomainState.RUNNING, RunningReason.BOOTED)
        assert dom.id == first_id
        wait_for(lambda: "ALIVE" in serial.read_text(errors="replace"), what="the guest's marker")
        live = etree.fromstring(dom.xml().encode())  # what only QEMU knew, asked again
        assert node(live, "devices/serial[@type='pty']/source").get("path", "").startswith("/dev/pts/")
        assert int(node(live, "devices/graphics").get("port", "-1")) >= 5900
        assert node(live, "devices/serial/alias").get("name") == "serial0"
        dom.suspend()  # the monitor is really reconnected
        assert dom.state() == (DomainState.PAUSED, PausedReason.USER)
        dom.destroy()
        assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.DESTROYED)
        other = conn.create_domain(domain_xml("next"))
        assert other.id > first_id  # ids are not reused after a restart
        other.destroy()
    assert qemu_pids(str(root)) == []


def test_guest_killed_while_no_one_watched_is_crashed(uri: str, root: Path) -> None:
    out = _in_other_process(uri, f"d = conn.define_domain({domain_xml('victim')!r})\nd.start()\nprint(d.uuid)\n")
    (pid,) = qemu_pids(out.strip())
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not Path(f"/proc/{pid}").exists() or ") Z" in Path(f"/proc/{pid}/stat").read_text())
    with pyvirt.open(uri) as conn:
        dom = conn.lookup_domain_by_name("victim")
        assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.CRASHED)
        assert not (root / "run" / "qemu" / "victim.xml").exists()


def test_transient_guest_survives_and_paused_state_is_kept(uri: str, root: Path) -> None:
    _in_other_process(uri, f"conn.create_domain({domain_xml('tr')!r}, paused=True)\n")
    with pyvirt.open(uri) as conn:
        dom = conn.lookup_domain_by_name("tr")
        assert not dom.is_persistent()
        assert dom.state()[0] == DomainState.PAUSED
        dom.destroy()
        assert conn.list_domains() == []


def test_autostart_guests_start_on_the_first_open_after_boot_only(uri: str, root: Path) -> None:
    _in_other_process(uri, f"d = conn.define_domain({domain_xml('auto')!r})\nd.set_autostart(True)\n")
    (root / "run" / "qemu" / "autostarted").unlink()  # what a host reboot does to the marker
    with pyvirt.open(uri) as conn:
        dom = conn.lookup_domain_by_name("auto")
        assert dom.autostart
        assert dom.state()[0] == DomainState.RUNNING
        dom.destroy()
    with pyvirt.open(uri) as conn:  # the same boot: a guest its user stopped stays stopped
        assert conn.lookup_domain_by_name("auto").state()[0] == DomainState.SHUTOFF


def test_second_process_is_refused_while_the_root_is_in_use(uri: str) -> None:
    with pyvirt.open(uri):
        done = subprocess.run(
            [sys.executable, "-c", f"import pyvirt; pyvirt.open({uri!r})"], capture_output=True, text=True
        )
    assert done.returncode != 0
    assert "in use by another process" in done.stderr


def test_guest_that_powered_off_unwatched_is_shut_off_with_reason_shutdown(uri: str, root: Path) -> None:
    disk = write_disk(root / "off.img", b"GOING", "poweroff")
    serial = root / "serial.log"
    xml = domain_xml("off", disk, serial=file_serial(serial))
    _in_other_process(uri, f"conn.define_domain({xml!r}).start()\n")
    wait_for(lambda: serial.exists() and "GOING" in serial.read_text(errors="replace"), what="the guest to run")
    assert len(qemu_pids(str(root))) == 1  # -no-shutdown keeps QEMU until a driver looks
    with pyvirt.open(uri) as conn:
        dom = conn.lookup_domain_by_name("off")
        wait_for(lambda: dom.state()[0] == DomainState.SHUTOFF, what="the driver to end the powered-off QEMU")
        assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.SHUTDOWN)
    assert qemu_pids(str(root)) == []


def test_driver_killed_with_sigkill_loses_nothing(uri: str, root: Path) -> None:
    """The process that drove the root dies by SIGKILL mid-life: lock, guest and state survive."""
    code = (
        f"d = conn.define_domain({domain_xml('hard')!r})\nd.start()\nd.suspend()\n"
        "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"
    )
    _in_other_process(uri, code, returncode=-signal.SIGKILL)
    with pyvirt.open(uri) as conn:
        dom = conn.lookup_domain_by_name("hard")
        assert dom.state() == (DomainState.PAUSED, PausedReason.USER)
        dom.resume()
        dom.destroy()
        assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.DESTROYED)


def test_reopening_a_root_with_a_running_guest_leaks_no_descriptors(uri: str) -> None:
    with pyvirt.open(uri) as conn:
        conn.create_domain(domain_xml("fds"))
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        with pyvirt.open(uri) as conn:
            assert conn.lookup_domain_by_name("fds").state()[0] == DomainState.RUNNING
    wait_for(lambda: len(os.listdir("/proc/self/fd")) <= before, what="the monitors and pidfds to be released")
    with pyvirt.open(uri) as conn:
        conn.lookup_domain_by_name("fds").destroy()
