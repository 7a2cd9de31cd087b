"""Conformance: host interfaces, node devices, scheduler parameters, screenshots, checkpoints.

Contracts any driver with these operations keeps, whatever its host has: what a listing gives
can be looked up and described, a definition round-trips, refusals use libvirt's error classes.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import pyvirt
from pyvirt import ListFilter
from pyvirt.types import CheckpointListFlags, CheckpointXMLFlags

Namer = Callable[[str], str]

_BOTH = ListFilter.ACTIVE | ListFilter.INACTIVE
_RUNS = ("domain_define_xml", "domain_create", "domain_destroy", "domain_undefine")


class TestInterfaces:
    @pytest.mark.pyvirt_requires(
        "list_interfaces", "interface_lookup_by_name", "interface_get_xml", "interface_is_active"
    )
    def test_listed_interfaces_describe_themselves(self, conn: pyvirt.Connection) -> None:
        for iface in conn.list_interfaces(_BOTH):
            found = conn.lookup_interface_by_name(iface.name)
            assert (found.name, found.mac) == (iface.name, iface.mac)
            assert f"name='{iface.name}'" in iface.xml()
            assert iface.is_active() == (iface in conn.list_interfaces(ListFilter.ACTIVE))

    @pytest.mark.pyvirt_requires(
        "interface_define_xml", "interface_undefine", "interface_create", "interface_destroy", "interface_is_active",
        "interface_lookup_by_mac", "interface_lookup_by_name", "list_interfaces",
    )  # fmt: skip
    def test_define_start_destroy_undefine(self, conn: pyvirt.Connection, unique_name: Namer) -> None:
        name = unique_name("if")[-15:]  # an interface name has at most 15 characters on Linux
        mac = "52:54:00:9a:bc:de"
        iface = conn.define_interface(f"<interface type='ethernet' name='{name}'><mac address='{mac}'/></interface>")
        try:
            assert (iface.name, iface.mac, iface.is_active()) == (name, mac, False)
            assert conn.lookup_interface_by_mac(mac).name == name
            iface.start()
            assert iface.is_active()
            with pytest.raises(pyvirt.OperationInvalidError):
                iface.start()
            iface.destroy()
            assert not iface.is_active()
        finally:
            iface.undefine()
        with pytest.raises(pyvirt.NoInterfaceError):
            conn.lookup_interface_by_name(name)


class TestNodeDevices:
    @pytest.mark.pyvirt_requires(
        "list_node_devices", "node_device_lookup_by_name", "node_device_get_xml", "node_device_get_parent",
        "node_device_list_caps",
    )  # fmt: skip
    def test_devices_form_a_tree_and_describe_themselves(self, conn: pyvirt.Connection) -> None:
        devices = conn.list_node_devices()
        names = {d.name for d in devices}
        for device in devices:
            assert conn.lookup_node_device_by_name(device.name) == device
            assert f"<name>{device.name}</name>" in device.xml()
            parent = device.parent()
            assert parent is None or parent in names
            caps = device.caps()
            assert caps and all(cap in pyvirt.types.NODE_DEVICE_CAP_NAMES for cap in caps)
            for cap in caps:
                assert device in conn.list_node_devices(pyvirt.NodeDeviceCap.from_name(cap))
        with pytest.raises(pyvirt.NoNodeDeviceError):
            conn.lookup_node_device_by_name("no-such-device-conf")


class TestSchedulerAndScreenshot:
    @pytest.mark.pyvirt_requires(
        *_RUNS, "domain_get_scheduler_type", "domain_get_scheduler_parameters", "domain_set_scheduler_parameters"
    )
    def test_parameters_round_trip(
        self, conn: pyvirt.Connection, domain_xml: Callable[..., str], unique_name: Namer
    ) -> None:
        dom = conn.define_domain(domain_xml(unique_name("sched")))
        try:
            dom.start()
            name, count = dom.scheduler_type()
            params = dom.scheduler_parameters()
            assert name and count == len(params)
            dom.set_scheduler_parameters(params)
            assert [(p.field, p.type) for p in dom.scheduler_parameters()] == [(p.field, p.type) for p in params]
            dom.destroy()
        finally:
            dom.undefine()

    @pytest.mark.pyvirt_requires(*_RUNS, "domain_screenshot")
    def test_screenshot_gives_an_image(
        self, conn: pyvirt.Connection, domain_xml: Callable[..., str], unique_name: Namer
    ) -> None:
        dom = conn.define_domain(domain_xml(unique_name("shot")))
        try:
            dom.start()
            stream, mime = dom.screenshot()
            with stream:
                data = b"".join(stream)
            assert mime.startswith("image/") and data
            dom.destroy()
        finally:
            dom.undefine()


class TestCheckpoints:
    @pytest.mark.pyvirt_requires(
        *_RUNS, "domain_checkpoint_create", "domain_checkpoint_list", "domain_checkpoint_children",
        "domain_checkpoint_lookup", "domain_checkpoint_get_xml", "domain_checkpoint_get_parent",
        "domain_checkpoint_delete",
    )  # fmt: skip
    def test_create_list_parent_delete(self, conn: pyvirt.Connection, domain_type: str, unique_name: Namer) -> None:
        name = unique_name("chk")
        dom = conn.define_domain(
            f"<domain type='{domain_type}'><name>{name}</name><memory unit='KiB'>524288</memory>"
            "<os><type arch='x86_64'>hvm</type></os><devices><disk type='file' device='disk'>"
            f"<source file='/var/tmp/{name}.img'/><target dev='vda'/></disk></devices></domain>"
        )
        try:
            dom.start()
            first = dom.create_checkpoint("<domaincheckpoint><name>first</name></domaincheckpoint>")
            second = dom.create_checkpoint("<domaincheckpoint><name>second</name></domaincheckpoint>")
            assert {c.name for c in dom.list_checkpoints()} == {"first", "second"}
            assert dom.list_checkpoints(CheckpointListFlags.ROOTS) == [first]
            assert second.parent() == first and first.parent() is None
            assert first.children() == [second]
            assert "<name>second</name>" in second.xml(CheckpointXMLFlags.NO_DOMAIN)
            first.delete()
            assert second.parent() is None
            second.delete()
            with pytest.raises(pyvirt.NoDomainCheckpointError):
                dom.lookup_checkpoint("second")
            dom.destroy()
        finally:
            dom.undefine()
