"""``<interface type='bridge'>`` on a real Linux bridge: a tap made by QEMU, enslaved by us."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree
from qemu_helpers import domain_xml, node

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
