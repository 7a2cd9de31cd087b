"""``<interface type='bridge'>`` on a real Linux bridge: a tap made by QEMU, enslaved by us, and
its traffic counters (``domifstat``) read from the tap as libvirt reads them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree
from qemu_helpers import domain_xml, node, wait_for

import pyvirt


@pytest.fixture
def bridge() -> Iterator[str]:
    name = f"pqbr{os.getpid() % 100000}"
    made = subprocess.run(["ip", "link", "add", name, "type", "bridge"], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot create a bridge here: {made.stderr.strip()}")
    yield name
    subprocess.run(["ip", "link", "del", name], check=True)


def test_guest_nic_is_a_tap_on_the_bridge(conn: pyvirt.Connection, bridge: str) -> None:
    nic = f"<interface type='bridge'><source bridge='{bridge}'/><model type='virtio'/></interface>"
    dom = conn.define_domain(domain_xml("bridged", extra=nic))
    dom.start()
    tap = node(etree.fromstring(dom.xml().encode()), "devices/interface/target").get("dev", "")
    assert tap.startswith("pvnet")
    assert Path(f"/sys/class/net/{tap}/master").resolve().name == bridge
    assert (
        Path(f"/sys/class/net/{tap}/flags").read_text().strip()
        and int(Path(f"/sys/class/net/{tap}/flags").read_text(), 16) & 1
    )  # IFF_UP
    assert "<target" not in dom.xml(inactive=True)
    dom.destroy()
    assert not Path(f"/sys/class/net/{tap}").exists()


def _send_frames(tap: str, count: int, size: int) -> None:
    """Send ``count`` broadcast Ethernet frames of ``size`` bytes out of ``tap``: towards the guest."""
    frame = b"\xff" * 6 + b"\x52\x54\x00\x00\x00\x01" + b"\x88\xb5" + b"\0" * (size - 14)
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
        sock.bind((tap, 0))
        for _ in range(count):
            sock.send(frame)


def _stat(tap: str, name: str) -> int:
    return int(Path(f"/sys/class/net/{tap}/statistics/{name}").read_text())


PYVIRSH = Path(sys.executable).parent / "pyvirsh"


# The tap counts a frame for the host's side only once QEMU has read it, and QEMU reads only
# while the guest's NIC can take frames: an rtl8139 the guest never set up takes (and drops)
# them, a virtio NIC without a driver does not, so these tests give the guest an rtl8139.
RTL8139 = "<model type='rtl8139'/>"


def test_domifstat_reads_the_tap_with_directions_swapped(conn: pyvirt.Connection, bridge: str) -> None:
    mac = "52:54:00:12:34:56"
    nic = f"<interface type='bridge'><source bridge='{bridge}'/><mac address='{mac}'/>{RTL8139}</interface>"
    dom = conn.define_domain(domain_xml("counted", extra=nic))
    dom.start()
    tap = node(etree.fromstring(dom.xml().encode()), "devices/interface/target").get("dev", "")
    before = dom.interface_stats(tap)
    _send_frames(tap, 5, 100)  # the host transmits on the tap: the guest receives
    # by MAC too, as libvirt allows; QEMU reads the frames a moment later
    wait_for(lambda: dom.interface_stats(mac).rx_packets - before.rx_packets >= 5, 10, "QEMU to read the frames")
    names = ("tx_bytes", "rx_bytes", "rx_packets")
    low = {n: _stat(tap, n) for n in names}
    after = dom.interface_stats(mac)
    high = {n: _stat(tap, n) for n in names}  # the host's own chatter may move them meanwhile
    assert after.rx_bytes - before.rx_bytes >= 500
    assert low["tx_bytes"] <= after.rx_bytes <= high["tx_bytes"]  # swapped: the host's tx is the guest's rx
    assert low["rx_bytes"] <= after.tx_bytes <= high["rx_bytes"]
    assert low["rx_packets"] <= after.tx_packets <= high["rx_packets"]
    with pytest.raises(pyvirt.InvalidArgumentError, match="'nosuch' is not a known interface"):
        dom.interface_stats("nosuch")
    dom.destroy()


@pytest.mark.skipif(not shutil.which("virsh"), reason="no virsh")
def test_real_virsh_domifstat_through_pyvirtd(root: Path, bridge: str) -> None:
    from pyvirt_daemon.process import DaemonProcess

    daemon = DaemonProcess(root / "d").start()
    try:
        uri = daemon.uri(driver="qemu", path="/system")
        nic = f"<interface type='bridge'><source bridge='{bridge}'/>{RTL8139}</interface>"
        with pyvirt.open(uri) as conn:
            dom = conn.create_domain(domain_xml("served", extra=nic))
            tap = node(etree.fromstring(dom.xml().encode()), "devices/interface/target").get("dev", "")
            _send_frames(tap, 3, 64)
            wait_for(lambda: _stat(tap, "tx_bytes") >= 192, 10, "QEMU to read the frames")
            try:
                for cli in (["virsh"], [str(PYVIRSH)]):
                    low = {n: _stat(tap, n) for n in ("tx_bytes", "rx_packets")}
                    out = subprocess.run(
                        [*cli, "-c", uri, "domifstat", "served", tap], capture_output=True, text=True, timeout=60
                    )
                    assert out.returncode == 0, out.stderr
                    rows = dict(line.split()[1:3] for line in out.stdout.splitlines() if line.strip())
                    # the host's own chatter (IPv6 solicitations) may add to the counters meanwhile
                    assert 192 <= low["tx_bytes"] <= int(rows["rx_bytes"]) <= _stat(tap, "tx_bytes")
                    assert low["rx_packets"] <= int(rows["tx_packets"]) <= _stat(tap, "rx_packets")
            finally:
                dom.destroy()
    finally:
        daemon.stop()
