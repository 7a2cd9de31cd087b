"""``test:///default`` is libvirt's default test node, object for object, and shared."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from testdriver_helpers import corpus_path, domain_xml, needs_libvirt, run_libvirt

import pyvirt
from pyvirt import DomainState, PoolState
from pyvirt.errors import InvalidArgumentError

DEFAULT_STATE = corpus_path() / "testdriver" / "default-state"
needs_corpus = pytest.mark.skipif(not DEFAULT_STATE.is_dir(), reason=f"{DEFAULT_STATE} not found (set PYVIRT_CORPUS)")


def _dump(name: str) -> str:
    # virsh prints one more newline than the API returns.
    return (DEFAULT_STATE / name).read_text().rstrip("\n") + "\n"


def test_built_in_objects(default_conn: pyvirt.Connection) -> None:
    assert [d.name for d in default_conn.list_domains()] == ["test"]
    dom = default_conn.lookup_domain_by_name("test")
    assert dom.id == 1 and dom.uuid == "6695eb01-f6a4-8304-79aa-97f2502e193f"
    assert dom.state() == (DomainState.RUNNING, 0)  # libvirt: "running (unknown)" until it is restarted
    assert dom.is_persistent() and not dom.autostart
    assert [n.name for n in default_conn.list_networks()] == ["default"]
    assert default_conn.lookup_network_by_name("default").is_active()
    pool = default_conn.lookup_pool_by_name("default-pool")
    assert pool.info() == (PoolState.RUNNING, 107374182400, 0, 107374182400)
    assert pool.list_volumes() == []


@needs_corpus
def test_documents_equal_libvirts(default_conn: pyvirt.Connection) -> None:
    dom = default_conn.lookup_domain_by_name("test")
    assert dom.xml() == _dump("domain-test.xml")
    assert dom.xml(inactive=True) == _dump("domain-test.inactive.xml")
    assert default_conn.lookup_network_by_name("default").xml() == _dump("network-default.xml")
    assert default_conn.lookup_pool_by_name("default-pool").xml() == _dump("storagepool-default-pool.xml")
    assert default_conn.get_capabilities() == _dump("capabilities.xml")


def test_node_description(default_conn: pyvirt.Connection) -> None:
    assert default_conn.get_type() == "TEST"
    assert default_conn.get_version().number == 2
    assert str(default_conn.get_version()) == "0.0.2"
    assert default_conn.get_hostname() == socket.gethostname()
    assert default_conn.get_node_info() == ("i686", 3145728, 16, 1400, 2, 2, 2, 2)
    assert default_conn.get_cells_free_memory(0, 2) == [2097152, 4194304]
    assert default_conn.get_cells_free_memory(1, 5) == [4194304]  # cut short, as libvirt does
    for start in (2, -1):
        with pytest.raises(InvalidArgumentError, match="Range exceeds available cells"):
            default_conn.get_cells_free_memory(start, 1)
    assert "<sysinfo type='smbios'>" in default_conn.get_sysinfo()


def test_connections_share_the_default_node() -> None:
    with pyvirt.open("test:///default") as first, pyvirt.open("test:///default") as second:
        first.define_domain(domain_xml("shared"))
        assert second.lookup_domain_by_name("shared").name == "shared"
        seen: list[str] = []
        second.domain_event_register(lambda event: seen.append(event.domain.name))
        first.lookup_domain_by_name("shared").start()
        assert seen == ["shared"]


def test_default_node_is_fresh_after_the_last_close() -> None:
    with pyvirt.open("test:///default") as conn:
        conn.define_domain(domain_xml("gone-later"))
    with pyvirt.open("test:///default") as conn:
        assert [d.name for d in conn.list_domains()] == ["test"]


def test_each_open_of_a_node_file_is_fresh(empty_node: str) -> None:
    with pyvirt.open(empty_node) as first, pyvirt.open(empty_node) as second:
        first.define_domain(domain_xml("mine"))
        assert second.list_domains() == []


def test_uri_without_a_path_is_refused() -> None:
    with pytest.raises(pyvirt.ConnectError, match="test:///default"):
        pyvirt.open("test:///")


def test_remote_test_uris_are_declined() -> None:
    with pytest.raises(pyvirt.ConnectError):
        pyvirt.open("test+tcp://somehost/default")


@needs_libvirt
def test_node_facts_equal_libvirts(default_conn: pyvirt.Connection) -> None:
    real = run_libvirt(
        "import json, libvirt\n"
        "c = libvirt.open('test:///default')\n"
        "d = c.lookupByName('test')\n"
        "print(json.dumps({'info': c.getInfo(), 'version': c.getVersion(), 'host': c.getHostname(),"
        " 'caps': c.getCapabilities(), 'sysinfo': c.getSysinfo(), 'xml': d.XMLDesc(0), 'free': c.getFreeMemory(),"
        " 'cells': c.getCellsFreeMemory(0, 2), 'os': d.OSType(), 'label': d.securityLabel()}))\n"
    )
    info = default_conn.get_node_info()
    # libvirt-python's getInfo gives the memory in MiB, virNodeInfo has it in KiB.
    assert [
        info.model,
        info.memory // 1024,
        info.cpus,
        info.mhz,
        info.nodes,
        info.sockets,
        info.cores,
        info.threads,
    ] == (real["info"])
    assert default_conn.get_version().number == real["version"]
    assert default_conn.get_hostname() == real["host"]
    assert default_conn.get_capabilities() == real["caps"]
    assert default_conn.get_sysinfo() == real["sysinfo"]
    assert default_conn.get_free_memory() == real["free"]
    assert default_conn.get_cells_free_memory(0, 2) == real["cells"]
    dom = default_conn.lookup_domain_by_name("test")
    assert dom.xml() == real["xml"]
    assert dom.os_type() == real["os"]
    model, label, enforcing = dom.security_label()
    assert (model, [label, enforcing]) == ("testSecurity", real["label"])


@needs_libvirt
def test_open_errors_equal_libvirts(tmp_path: Path) -> None:
    """Opening without a path, or a node file that cannot be read: same code, domain and message."""
    uris = ["test:///", f"test://{tmp_path}/missing.xml", f"test://{tmp_path}"]
    real = run_libvirt(
        "import json, sys, libvirt\n"
        "libvirt.registerErrorHandler(lambda *a: None, None)\n"
        "out = []\n"
        "for uri in json.load(sys.stdin):\n"
        "    try:\n"
        "        libvirt.open(uri)\n"
        "        out.append(None)\n"
        "    except libvirt.libvirtError as e:\n"
        "        out.append([e.get_error_code(), e.get_error_domain(), e.get_error_message()])\n"
        "print(json.dumps(out))\n",
        uris[:2],
    )
    mine = []
    for uri in uris:
        with pytest.raises(pyvirt.ConnectError if uri == "test:///" else pyvirt.XMLError) as info:
            pyvirt.open(uri)
        mine.append([int(info.value.code), int(info.value.domain), info.value.message])
    assert mine[:2] == real
    assert mine[2] == [27, 12, f"XML error: failed to parse xml document '{tmp_path}'"]
