"""Conformance: the domain state machine, as libvirt defines it.

Each test names every driver operation it calls in ``pyvirt_requires``; a driver that lacks one
gets the test skipped with the missing operations named.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest

import pyvirt
from pyvirt import DomainEventType, DomainState, ListFilter
from pyvirt.errors import ErrorCode

DomainXML = Callable[..., str]
Namer = Callable[[str], str]


DEFINED = ("domain_define_xml", "domain_undefine")
"""What a test needs to define a domain of its own and remove it afterwards."""
RUNS = (*DEFINED, "domain_create", "domain_destroy")
"""... and to start and stop it."""
EVENT_WAIT = 10.0
"""How long a test waits for events it caused (a bound for a hung driver, not a figure)."""


def _names(domains: list[pyvirt.Domain]) -> set[str]:
    return {d.name for d in domains}


class TestDomainLifecycle:
    @pytest.mark.pyvirt_requires(
        *DEFINED,
        "domain_get_state",
        "domain_is_persistent",
        "domain_lookup_by_uuid",
        "domain_lookup_by_name",
        "list_domains",
        "domain_get_xml",
    )
    def test_define_makes_an_inactive_persistent_domain(
        self, conn: pyvirt.Connection, domain_xml: DomainXML, unique_name: Namer
    ) -> None:
        name = unique_name("def")
        dom = conn.define_domain(domain_xml(name))
        try:
            assert dom.name == name and dom.id == -1
            assert dom.state()[0] == DomainState.SHUTOFF
            assert dom.is_persistent() and not dom.is_active()
            assert conn.lookup_domain_by_uuid(dom.uuid).name == name
            assert name in _names(conn.list_domains(ListFilter.INACTIVE))
            assert name not in _names(conn.list_domains(ListFilter.ACTIVE))
            assert f"<name>{name}</name>" in dom.xml()
        finally:
            dom.undefine()
        with pytest.raises(pyvirt.NoDomainError):
            conn.lookup_domain_by_name(name)

    @pytest.mark.pyvirt_requires(*RUNS, "domain_get_state", "domain_lookup_by_id", "list_domains")
    def test_start_and_destroy(self, conn: pyvirt.Connection, domain_xml: DomainXML, unique_name: Namer) -> None:
        dom = conn.define_domain(domain_xml(unique_name("run")))
        try:
            dom.start()
            assert dom.id > 0
            assert dom.state()[0] == DomainState.RUNNING
            assert conn.lookup_domain_by_id(dom.id).uuid == dom.uuid
            assert dom.name in _names(conn.list_domains(ListFilter.ACTIVE))
            # libvirt's drivers disagree on the error class here (the test driver reports an
            # internal error, QEMU an invalid operation): the contract is the refusal and its words.
            with pytest.raises(pyvirt.PyvirtError, match="already running"):
                dom.start()
            assert dom.state()[0] == DomainState.RUNNING
            dom.destroy()
            assert dom.id == -1 and dom.state()[0] == DomainState.SHUTOFF
            with pytest.raises(pyvirt.PyvirtError, match="not running"):
                dom.destroy()
        finally:
            dom.undefine()

    @pytest.mark.pyvirt_requires(*RUNS)
    def test_ids_are_not_reused(self, conn: pyvirt.Connection, domain_xml: DomainXML, unique_name: Namer) -> None:
        dom = conn.define_domain(domain_xml(unique_name("ids")))
        try:
            dom.start()
            first = dom.id
            dom.destroy()
            dom.start()
            assert dom.id > first
            dom.destroy()
        finally:
            dom.undefine()

    @pytest.mark.pyvirt_requires(*RUNS, "domain_suspend", "domain_resume", "domain_get_state")
    def test_suspend_and_resume(self, conn: pyvirt.Connection, domain_xml: DomainXML, unique_name: Namer) -> None:
        dom = conn.define_domain(domain_xml(unique_name("pause")))
        try:
            with pytest.raises(pyvirt.PyvirtError, match="not running"):
                dom.suspend()
            assert dom.state()[0] == DomainState.SHUTOFF
            dom.start()
            dom.suspend()
            assert dom.state()[0] == DomainState.PAUSED
            dom.resume()
            assert dom.state()[0] == DomainState.RUNNING
            dom.destroy()
        finally:
            dom.undefine()

    @pytest.mark.pyvirt_requires(
        "domain_create_xml",
        "domain_destroy",
        "domain_get_state",
        "domain_is_persistent",
        "list_domains",
        "domain_lookup_by_name",
    )
    def test_transient_domain_vanishes_when_stopped(
        self, conn: pyvirt.Connection, domain_xml: DomainXML, unique_name: Namer
    ) -> None:
        name = unique_name("trans")
        dom = conn.create_domain(domain_xml(name))
        assert dom.state()[0] == DomainState.RUNNING and not dom.is_persistent()
        assert name in _names(conn.list_domains(ListFilter.TRANSIENT))
        assert name not in _names(conn.list_domains(ListFilter.PERSISTENT))
        dom.destroy()
        with pytest.raises(pyvirt.NoDomainError):
            conn.lookup_domain_by_name(name)

    @pytest.mark.pyvirt_requires(*RUNS, "domain_lookup_by_uuid", "domain_is_persistent", "domain_lookup_by_name")
    def test_undefine_running_domain_makes_it_transient(
        self, conn: pyvirt.Connection, domain_xml: DomainXML, unique_name: Namer
    ) -> None:
        name = unique_name("undef")
        dom = conn.define_domain(domain_xml(name))
        dom.start()
        dom.undefine()
        assert dom.is_active() and not dom.is_persistent()
        dom.destroy()
        with pytest.raises(pyvirt.NoDomainError):
            conn.lookup_domain_by_name(name)

    @pytest.mark.pyvirt_requires(*DEFINED, "domain_lookup_by_name")
    def test_same_name_other_uuid_is_refused(
        self, conn: pyvirt.Connection, domain_xml: DomainXML, unique_name: Namer
    ) -> None:
        name = unique_name("dup")
        dom = conn.define_domain(domain_xml(name, uuid="11111111-2222-3333-4444-555555555555"))
        try:
            with pytest.raises(pyvirt.OperationFailedError, match="already exists"):
                conn.define_domain(domain_xml(name, uuid="11111111-2222-3333-4444-666666666666"))
            assert conn.lookup_domain_by_name(name).uuid == dom.uuid
        finally:
            dom.undefine()

    @pytest.mark.pyvirt_requires(*DEFINED, "domain_get_info")
    def test_redefine_updates_config(self, conn: pyvirt.Connection, domain_xml: DomainXML, unique_name: Namer) -> None:
        name = unique_name("redef")
        dom = conn.define_domain(domain_xml(name, memory_kib=262144))
        try:
            again = conn.define_domain(domain_xml(name, memory_kib=524288, uuid=dom.uuid))
            assert again.uuid == dom.uuid
            assert dom.info().max_memory == 524288
        finally:
            dom.undefine()

    @pytest.mark.pyvirt_requires("domain_define_xml", "list_domains")
    def test_bad_xml_changes_nothing(self, conn: pyvirt.Connection, unique_name: Namer) -> None:
        before = _names(conn.list_domains())
        with pytest.raises(pyvirt.XMLError) as info:
            conn.define_domain("<domain type='test'>\n  <name>broken</name>\n  <memory>1</memory\n</domain>")
        assert info.value.code == ErrorCode.XML_ERROR
        assert "line" in str(info.value)
        assert _names(conn.list_domains()) == before

    @pytest.mark.pyvirt_requires(*RUNS, "domain_save", "domain_restore", "domain_get_state")
    def test_save_and_restore(
        self, conn: pyvirt.Connection, domain_xml: DomainXML, unique_name: Namer, tmp_path: os.PathLike[str]
    ) -> None:
        dom = conn.define_domain(domain_xml(unique_name("save")))
        image = os.path.join(tmp_path, "saved.img")
        try:
            dom.start()
            dom.save(image)
            assert dom.state()[0] == DomainState.SHUTOFF
            assert os.path.getsize(image) > 0
            restored = conn.restore_domain(image)
            assert restored.uuid == dom.uuid and restored.state()[0] == DomainState.RUNNING
            restored.destroy()
            with pytest.raises(pyvirt.PyvirtError):
                conn.restore_domain(os.path.join(tmp_path, "missing.img"))
        finally:
            dom.undefine()

    @pytest.mark.pyvirt_requires(*DEFINED, "domain_get_autostart", "domain_set_autostart", "list_domains")
    def test_autostart(self, conn: pyvirt.Connection, domain_xml: DomainXML, unique_name: Namer) -> None:
        dom = conn.define_domain(domain_xml(unique_name("auto")))
        try:
            assert not dom.autostart
            dom.set_autostart(True)
            assert dom.autostart
            assert dom.name in _names(conn.list_domains(ListFilter.AUTOSTART))
            dom.set_autostart(False)
            assert not dom.autostart
        finally:
            dom.undefine()


class TestDomainDescription:
    @pytest.mark.pyvirt_requires(*DEFINED, "domain_get_xml")
    def test_title_disks_and_interfaces(self, conn: pyvirt.Connection, domain_type: str, unique_name: Namer) -> None:
        name = unique_name("dev")
        xml = (
            f"<domain type='{domain_type}'><name>{name}</name><title>A title</title>"
            "<memory>65536</memory><os><type>hvm</type></os><devices>"
            "<disk type='file' device='disk'><source file='/images/a.qcow2'/><target dev='vda' bus='virtio'/></disk>"
            "<interface type='network'><mac address='52:54:00:12:34:56'/><source network='default'/>"
            "<model type='virtio'/></interface></devices></domain>"
        )
        dom = conn.define_domain(xml)
        try:
            assert dom.title() == "A title"
            assert dom.disks() == [pyvirt.DomainDisk("file", "disk", "vda", "/images/a.qcow2")]
            (nic,) = dom.interfaces()
            assert (nic.type, nic.source, nic.model, nic.mac) == ("network", "default", "virtio", "52:54:00:12:34:56")
        finally:
            dom.undefine()


class TestDomainResources:
    @pytest.mark.pyvirt_requires(*DEFINED, "domain_set_memory", "domain_get_info")
    def test_memory(self, conn: pyvirt.Connection, domain_xml: DomainXML, unique_name: Namer) -> None:
        dom = conn.define_domain(domain_xml(unique_name("mem"), memory_kib=1048576))
        try:
            assert dom.info().max_memory == 1048576
            dom.set_memory(524288)
            assert dom.info().memory == 524288
            dom.set_max_memory(2097152)
            assert dom.info().max_memory == 2097152
            with pytest.raises(pyvirt.PyvirtError):
                dom.set_memory(4194304)  # above the maximum
        finally:
            dom.undefine()

    @pytest.mark.pyvirt_requires(*DEFINED, "domain_set_vcpus", "domain_get_vcpus_count")
    def test_vcpus(self, conn: pyvirt.Connection, domain_xml: DomainXML, unique_name: Namer) -> None:
        dom = conn.define_domain(domain_xml(unique_name("cpu"), vcpus=4))
        try:
            dom.set_vcpus(2)
            assert dom.vcpus_count() == 2
            assert dom.vcpus_count(pyvirt.ModifyScope.MAXIMUM | pyvirt.ModifyScope.CONFIG) == 4
            with pytest.raises(pyvirt.PyvirtError):
                dom.set_vcpus(8)
        finally:
            dom.undefine()


COMMON_EVENTS = frozenset(
    {DomainEventType.DEFINED, DomainEventType.STARTED, DomainEventType.STOPPED, DomainEventType.UNDEFINED}
)
"""The events every driver reports for define, start, destroy, undefine."""


class TestDomainEvents:
    @pytest.mark.pyvirt_requires(*RUNS)
    def test_lifecycle_events_in_order(
        self, conn: pyvirt.Connection, domain_xml: DomainXML, unique_name: Namer
    ) -> None:
        seen: list[tuple[str, DomainEventType]] = []
        arrived = threading.Condition()

        def on_event(ev: pyvirt.DomainEvent) -> None:
            if ev.event not in COMMON_EVENTS:
                return  # a driver may report more, as libvirt's QEMU does (RESUMED, SHUTDOWN)
            with arrived:
                seen.append((ev.domain.name, ev.event))
                arrived.notify_all()

        handle = conn.domain_event_register(on_event)
        name = unique_name("ev")
        dom = conn.define_domain(domain_xml(name))
        dom.start()
        dom.destroy()
        dom.undefine()
        # A remote driver delivers an event after the reply to the call that caused it, so
        # the last one may still be on its way: wait for it before unsubscribing.
        with arrived:
            arrived.wait_for(lambda: sum(who == name for who, _ in seen) >= 4, timeout=EVENT_WAIT)
        conn.domain_event_deregister(handle)
        conn.define_domain(domain_xml(unique_name("ev"))).undefine()
        mine = [event for who, event in seen if who == name]
        assert mine == [
            DomainEventType.DEFINED,
            DomainEventType.STARTED,
            DomainEventType.STOPPED,
            DomainEventType.UNDEFINED,
        ]
        assert all(who == name for who, _ in seen)

    @pytest.mark.pyvirt_requires(*RUNS, "domain_get_state")
    def test_hook_plugin_can_veto_start(
        self, conn: pyvirt.Connection, domain_xml: DomainXML, unique_name: Namer
    ) -> None:
        class Veto:
            @pyvirt.hookimpl
            def domain_start(self, domain: pyvirt.types.DomainRef) -> None:
                raise RuntimeError(f"{domain.name} may not run here")

        dom = conn.define_domain(domain_xml(unique_name("veto")))
        veto = Veto()
        conn.plugins.register(veto)
        try:
            with pytest.raises(pyvirt.OperationDeniedError, match="may not run here"):
                dom.start()
            assert dom.state()[0] == DomainState.SHUTOFF
        finally:
            conn.plugins.unregister(veto)
            dom.undefine()
