"""Container networking: veth pairs on a bridge the test makes, MACs and names from the XML."""

from __future__ import annotations

from collections.abc import Callable

import pyvirt
from pyvirt_lxc import netdev
from pyvirt_lxc.testing import container_xml

Inside = Callable[..., str]


def nic(kind: str, source: str, mac: str, host: str, guest: str) -> str:
    src = f"<source {'bridge' if kind == 'bridge' else 'network'}='{source}'/>" if source else ""
    return (
        f"<interface type='{kind}'><mac address='{mac}'/>{src}<target dev='{host}'/><guest dev='{guest}'/></interface>"
    )


def test_two_containers_on_a_bridge_ping_each_other(
    lxc: pyvirt.Connection, rootfs: str, bridge: str, inside: Inside
) -> None:
    a = lxc.create_domain(
        container_xml(
            "ping-a",
            rootfs,
            args=["-c", "exec sleep 1000"],
            extra_devices=nic("bridge", bridge, "52:54:00:aa:00:01", f"{bridge}a", "eth0"),
        )
    )
    b = lxc.create_domain(
        container_xml(
            "ping-b",
            rootfs,
            args=["-c", "exec sleep 1000"],
            extra_devices=nic("network", bridge, "52:54:00:aa:00:02", f"{bridge}b", "lan0"),
        )
    )
    assert inside(a, "cat", "/sys/class/net/eth0/address").strip() == "52:54:00:aa:00:01"
    assert sorted(inside(b, "ls", "/sys/class/net").split()) == ["lan0", "lo"]
    inside(a, "ip", "addr", "add", "10.213.7.1/24", "dev", "eth0")
    inside(b, "ip", "addr", "add", "10.213.7.2/24", "dev", "lan0")
    assert "1 packets received" in inside(a, "ping", "-c", "1", "-W", "5", "10.213.7.2")
    assert netdev.existing([f"{bridge}a", f"{bridge}b"]) == [f"{bridge}a", f"{bridge}b"]
    assert "52:54:00:aa:00:01" in a.xml() and f"{bridge}a" in a.xml()
    a.destroy()
    b.destroy()
    assert netdev.existing([f"{bridge}a", f"{bridge}b"]) == []


def test_ethernet_interface_and_generated_host_name(lxc: pyvirt.Connection, rootfs: str, inside: Inside) -> None:
    eth = "<interface type='ethernet'><mac address='52:54:00:aa:00:09'/></interface>"
    dom = lxc.create_domain(container_xml("plain", rootfs, args=["-c", "exec sleep 1000"], extra_devices=eth))
    assert sorted(inside(dom, "ls", "/sys/class/net").split()) == ["eth0", "lo"]
    (iface,) = dom.interfaces()
    assert iface.target and netdev.existing([iface.target]) == [iface.target]
    dom.destroy()
    assert netdev.existing([iface.target]) == []


def test_missing_bridge_is_refused_before_anything_is_made(lxc: pyvirt.Connection, rootfs: str) -> None:
    dom = lxc.define_domain(
        container_xml(
            "lonely", rootfs, extra_devices=nic("bridge", "pvtnosuchbr", "52:54:00:aa:00:03", "pvtlonely", "eth0")
        )
    )
    import pytest

    with pytest.raises(pyvirt.PyvirtError, match="bridge 'pvtnosuchbr' has no bridge device"):
        dom.start()
    assert not dom.is_active() and netdev.existing(["pvtlonely"]) == []
    net = lxc.define_domain(
        container_xml(
            "netless", rootfs, extra_devices=nic("network", "pvtnosuchnet", "52:54:00:aa:00:04", "pvtnetless", "eth0")
        )
    )
    with pytest.raises(pyvirt.PyvirtError, match=r"network 'pvtnosuchnet' has no bridge device.*no network driver"):
        net.start()
    assert not net.is_active() and netdev.existing(["pvtnetless"]) == []
