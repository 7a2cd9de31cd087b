"""Conformance: virtual networks."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import pyvirt
from pyvirt import ListFilter

Namer = Callable[[str], str]


def network_xml(name: str, bridge: str) -> str:
    return (
        f"<network>\n  <name>{name}</name>\n  <bridge name='{bridge}'/>\n"
        "  <ip address='192.168.200.1' netmask='255.255.255.0'/>\n</network>\n"
    )


class TestNetworks:
    @pytest.mark.pyvirt_requires(
        "network_define_xml",
        "network_undefine",
        "network_create",
        "network_destroy",
        "network_is_active",
        "network_is_persistent",
        "network_get_bridge_name",
        "network_get_xml",
        "list_networks",
        "network_lookup_by_name",
    )
    def test_define_start_destroy_undefine(self, conn: pyvirt.Connection, unique_name: Namer) -> None:
        name = unique_name("net")
        net = conn.define_network(network_xml(name, "pvbr" + name[-4:]))
        try:
            assert not net.is_active() and net.is_persistent()
            assert name in {n.name for n in conn.list_networks(ListFilter.INACTIVE)}
            net.start()
            assert net.is_active()
            with pytest.raises(pyvirt.OperationInvalidError):
                net.start()
            assert net.bridge_name() == "pvbr" + name[-4:]
            assert f"<name>{name}</name>" in net.xml()
            net.destroy()
            assert not net.is_active()
        finally:
            net.undefine()
        with pytest.raises(pyvirt.NoNetworkError):
            conn.lookup_network_by_name(name)

    @pytest.mark.pyvirt_requires(
        "network_create_xml", "network_destroy", "network_is_active", "network_is_persistent", "network_lookup_by_uuid"
    )
    def test_transient_network(self, conn: pyvirt.Connection, unique_name: Namer) -> None:
        name = unique_name("tnet")
        net = conn.create_network(network_xml(name, "pvt" + name[-4:]))
        assert net.is_active() and not net.is_persistent()
        net.destroy()
        with pytest.raises(pyvirt.NoNetworkError):
            conn.lookup_network_by_uuid(net.uuid)

    @pytest.mark.pyvirt_requires(
        "network_define_xml", "network_undefine", "network_set_autostart", "network_get_autostart"
    )
    def test_autostart(self, conn: pyvirt.Connection, unique_name: Namer) -> None:
        net = conn.define_network(network_xml(unique_name("anet"), "pva0"))
        try:
            net.set_autostart(True)
            assert net.autostart
        finally:
            net.undefine()
