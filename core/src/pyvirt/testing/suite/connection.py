"""Conformance: opening, describing and closing a connection; read-only enforcement.

Every test names the driver operations it calls in ``pyvirt_requires`` (the opening and closing
that every driver has are not named): on a driver that lacks one, the test is skipped.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from lxml import etree

import pyvirt
from pyvirt import ListFilter, uuids
from pyvirt.driver import DriverConnection
from pyvirt.errors import ErrorCode
from pyvirt.uri import parse as parse_uri


class TestConnection:
    def test_knows_its_uri_and_type(self, conn: pyvirt.Connection, pyvirt_uri: str) -> None:
        assert conn.uri == str(parse_uri(pyvirt_uri))
        assert conn.get_type(), "the driver reports no type"
        assert conn.get_type() != DriverConnection.name, "give your DriverConnection subclass a 'name'"

    @pytest.mark.pyvirt_requires("get_hostname")
    def test_hostname(self, conn: pyvirt.Connection) -> None:
        assert conn.get_hostname()

    @pytest.mark.pyvirt_requires("get_node_info")
    def test_node_info(self, conn: pyvirt.Connection) -> None:
        info = conn.get_node_info()
        assert info.cpus >= 1 and info.memory > 0 and info.model

    @pytest.mark.pyvirt_requires("list_domains")
    def test_lists_domains(self, conn: pyvirt.Connection) -> None:
        every = {d.uuid: d for d in conn.list_domains()}
        assert all(d.name and uuids.canonical(d.uuid) == d.uuid for d in every.values())
        active = {d.uuid for d in conn.list_domains(ListFilter.ACTIVE)}
        inactive = {d.uuid for d in conn.list_domains(ListFilter.INACTIVE)}
        assert not active & inactive
        assert active | inactive == set(every)
        assert all(every[u].id > 0 for u in active) and all(every[u].id == -1 for u in inactive)

    @pytest.mark.pyvirt_requires("get_capabilities")
    def test_capabilities_is_a_capabilities_document(self, conn: pyvirt.Connection) -> None:
        root = etree.fromstring(conn.get_capabilities().encode())
        assert root.tag == "capabilities"
        assert root.find("host") is not None

    def test_closed_connection_refuses_calls(self, pyvirt_uri: str) -> None:
        connection = pyvirt.open(pyvirt_uri)
        connection.close()
        connection.close()  # idempotent
        assert not connection.is_alive()
        with pytest.raises(pyvirt.PyvirtError) as info:
            connection.list_domains()
        assert info.value.code == ErrorCode.INVALID_CONN

    def test_context_manager_closes(self, pyvirt_uri: str) -> None:
        with pyvirt.open(pyvirt_uri) as connection:
            assert connection.is_alive()
        assert not connection.is_alive()

    @pytest.mark.pyvirt_requires("domain_lookup_by_name", "domain_lookup_by_uuid")
    def test_missing_domain_is_no_domain_error(self, conn: pyvirt.Connection) -> None:
        with pytest.raises(pyvirt.NoDomainError) as info:
            conn.lookup_domain_by_name("no-such-domain-anywhere")
        assert info.value.code == ErrorCode.NO_DOMAIN
        with pytest.raises(pyvirt.NoDomainError):
            conn.lookup_domain_by_uuid("00000000-0000-0000-0000-00000000dead")


class TestReadOnly:
    def test_read_only_refuses_to_define(
        self, ro_conn: pyvirt.Connection, domain_xml: Callable[..., str], unique_name: Callable[[str], str]
    ) -> None:
        attempts: list[Callable[[], object]] = [
            lambda: ro_conn.define_domain(domain_xml(unique_name("ro"))),
            lambda: ro_conn.create_domain(domain_xml(unique_name("ro"))),
            lambda: ro_conn.define_network("<network><name>x</name></network>"),
            lambda: ro_conn.define_pool("<pool type='dir'><name>x</name></pool>"),
        ]
        for attempt in attempts:
            with pytest.raises(pyvirt.OperationDeniedError, match="read only access"):
                attempt()

    @pytest.mark.pyvirt_requires("domain_define_xml", "domain_undefine", "domain_lookup_by_name", "domain_get_state")
    def test_read_only_refuses_to_change_a_domain(
        self,
        conn: pyvirt.Connection,
        ro_conn: pyvirt.Connection,
        domain_xml: Callable[..., str],
        unique_name: Callable[[str], str],
    ) -> None:
        name = unique_name("ro")
        conn.define_domain(domain_xml(name))
        try:
            dom = ro_conn.lookup_domain_by_name(name)
            attempts: list[Callable[[], object]] = [
                dom.start,
                dom.destroy,
                dom.undefine,
                dom.suspend,
                lambda: dom.set_memory(1024),
                lambda: dom.set_autostart(True),
            ]
            for attempt in attempts:
                with pytest.raises(pyvirt.OperationDeniedError, match="read only access"):
                    attempt()
            assert dom.state()[0] == pyvirt.DomainState.SHUTOFF
            assert ro_conn.lookup_domain_by_name(name).uuid == dom.uuid
        finally:
            conn.lookup_domain_by_name(name).undefine()
