"""The domain state machine, IDs, events, errors and resources, as libvirt's test driver."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from testdriver_helpers import domain_xml, needs_libvirt, run_libvirt
from testdriver_scenario import LIBVIRT_RUNNER, assert_same, run_pyvirt

import pyvirt
from pyvirt import DomainEventType, DomainState, ErrorCode, ListFilter, ModifyScope
from pyvirt.errors import InternalError
from pyvirt.types import (
    DefinedDetail,
    PausedReason,
    ResumedDetail,
    RunningReason,
    ShutoffReason,
    StartedDetail,
    StoppedDetail,
    SuspendedDetail,
    UndefinedDetail,
)
from pyvirt_test.saveimage import SAVE_MAGIC

UUID = "0a0b0c0d-1111-2222-3333-444455556666"


# -- lifecycle --------------------------------------------------------------------------------------


def test_ids_follow_libvirt(default_conn: pyvirt.Connection) -> None:
    dom = default_conn.define_domain(domain_xml("ids"))
    assert dom.id == -1
    dom.start()
    assert dom.id == 2  # the default node's "test" took 1
    dom.destroy()
    dom.start()
    assert dom.id == 3
    assert default_conn.lookup_domain_by_id(3).name == "ids"
    with pytest.raises(pyvirt.NoDomainError, match=r"^Domain not found$"):
        default_conn.lookup_domain_by_id(2)


def test_wrong_state_errors(default_conn: pyvirt.Connection) -> None:
    """libvirt's test driver: internal errors for start/suspend/resume/shutdown, 55 for the rest."""
    test = default_conn.lookup_domain_by_name("test")
    with pytest.raises(InternalError, match=r"^internal error: Domain 'test' is already running$"):
        test.start()
    with pytest.raises(InternalError, match=r"^internal error: domain 'test' not paused$"):
        test.resume()
    test.suspend()
    with pytest.raises(InternalError, match=r"^internal error: domain 'test' not running$"):
        test.suspend()
    test.destroy()
    for call in (test.shutdown, test.suspend):
        with pytest.raises(InternalError, match=r"^internal error: domain 'test' not running$"):
            call()
    with pytest.raises(InternalError, match=r"^internal error: domain 'test' not paused$"):
        test.resume()
    for call in (test.destroy, test.reboot, test.reset, test.memory_stats):
        with pytest.raises(
            pyvirt.OperationInvalidError, match=r"^Requested operation is not valid: domain is not running$"
        ) as info:
            call()
        assert info.value.domain == pyvirt.ErrorDomain.DOMAIN


def test_a_paused_domain_can_be_shut_down_rebooted_reset_and_saved(
    default_conn: pyvirt.Connection, tmp_path: Path
) -> None:
    test = default_conn.lookup_domain_by_name("test")
    test.suspend()
    test.reset()
    assert test.state() == (DomainState.PAUSED, PausedReason.USER)
    test.reboot()
    assert test.state() == (DomainState.RUNNING, RunningReason.BOOTED)
    test.suspend()
    test.shutdown()
    assert test.state() == (DomainState.SHUTOFF, ShutoffReason.SHUTDOWN)
    test.start()
    test.suspend()
    test.save(str(tmp_path / "paused.img"))
    assert test.state() == (DomainState.SHUTOFF, ShutoffReason.SAVED)


def test_states_and_reasons(default_conn: pyvirt.Connection, tmp_path: Path) -> None:
    dom = default_conn.lookup_domain_by_name("test")
    assert dom.state() == (DomainState.RUNNING, 0)  # loaded with the node: reason unknown
    dom.suspend()
    assert dom.state() == (DomainState.PAUSED, PausedReason.USER)
    dom.resume()
    assert dom.state() == (DomainState.RUNNING, RunningReason.UNPAUSED)
    dom.shutdown()
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.SHUTDOWN)
    dom.start()
    dom.reboot()
    assert dom.state() == (DomainState.RUNNING, RunningReason.BOOTED) and dom.id == 2
    dom.save(str(tmp_path / "test.save"))
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.SAVED)
    default_conn.restore_domain(str(tmp_path / "test.save"))
    assert dom.state() == (DomainState.RUNNING, RunningReason.RESTORED)
    dom.destroy()
    assert dom.state() == (DomainState.SHUTOFF, ShutoffReason.DESTROYED)


def test_transient_domains_vanish_when_stopped(default_conn: pyvirt.Connection) -> None:
    dom = default_conn.create_domain(domain_xml("tr"))
    assert dom.id == 2 and not dom.is_persistent()
    dom.destroy()
    with pytest.raises(pyvirt.NoDomainError, match=r"^Domain not found$"):
        default_conn.lookup_domain_by_name("tr")
    with pytest.raises(pyvirt.NoDomainError, match="no domain with matching uuid"):
        dom.state()


def test_shutdown_of_a_transient_domain(default_conn: pyvirt.Connection) -> None:
    dom = default_conn.create_domain(domain_xml("trs"))
    dom.shutdown()
    assert dom.id == -1


def test_paused_starts_are_refused_as_libvirt_refuses_them(default_conn: pyvirt.Connection) -> None:
    """libvirt's test driver supports no flag of virDomainCreateXML/virDomainCreateWithFlags."""
    with pytest.raises(
        pyvirt.InvalidArgumentError, match=r"^unsupported flags \(0x1\) in function testDomainCreateXML$"
    ):
        default_conn.create_domain("<domain", paused=True)  # refused before the XML is read
    test = default_conn.lookup_domain_by_name("test")
    test.destroy()
    with pytest.raises(pyvirt.InvalidArgumentError, match=r"in function testDomainCreateWithFlags$") as info:
        test.start(paused=True)
    assert info.value.domain == pyvirt.ErrorDomain.TEST
    assert test.state()[0] == DomainState.SHUTOFF


def test_undefine_with_a_managed_save_image(tmp_path: Path) -> None:
    node = tmp_path / "node.xml"
    node.write_text(
        "<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><domain type='test'><name>ms</name>"
        "<memory>1024</memory><os><type>hvm</type></os><test:runstate>5</test:runstate><test:hasmanagedsave/>"
        "</domain></node>"
    )
    with pyvirt.open(f"test://{node}") as conn:
        dom = conn.lookup_domain_by_name("ms")
        with pytest.raises(pyvirt.OperationInvalidError, match="Refusing to undefine while domain managed save"):
            dom.undefine()
        dom.undefine(managed_save=True)
        assert [d.name for d in conn.list_domains()] == []


def test_undefine_running_makes_it_transient(default_conn: pyvirt.Connection) -> None:
    dom = default_conn.lookup_domain_by_name("test")
    dom.undefine()
    assert dom.is_active() and not dom.is_persistent()
    with pytest.raises(pyvirt.OperationInvalidError, match="transient domains do not have any persistent config"):
        dom.set_memory(1024, ModifyScope.CONFIG)
    dom.destroy()
    assert default_conn.list_domains() == []


def test_define_conflicts(default_conn: pyvirt.Connection) -> None:
    test_uuid = "6695eb01-f6a4-8304-79aa-97f2502e193f"
    with pytest.raises(pyvirt.OperationFailedError, match="domain 'test' already exists with uuid " + test_uuid):
        default_conn.define_domain(domain_xml("test"))
    with pytest.raises(pyvirt.OperationFailedError, match="domain 'test' is already defined with uuid " + test_uuid):
        default_conn.define_domain(domain_xml("other", uuid=test_uuid))
    with pytest.raises(pyvirt.OperationInvalidError, match="domain 'test' is already active"):
        default_conn.create_domain(domain_xml("test", uuid=test_uuid))
    assert [d.name for d in default_conn.list_domains()] == ["test"]


def test_redefining_a_running_domain_keeps_its_live_definition(default_conn: pyvirt.Connection) -> None:
    dom = default_conn.lookup_domain_by_name("test")
    changed = dom.xml(inactive=True).replace("<currentMemory unit='KiB'>2097152", "<currentMemory unit='KiB'>1000000")
    default_conn.define_domain(changed)
    assert "<currentMemory unit='KiB'>2097152</currentMemory>" in dom.xml()
    assert "<currentMemory unit='KiB'>1000000</currentMemory>" in dom.xml(inactive=True)
    assert dom.info().memory == 2097152
    dom.destroy()
    assert dom.info().memory == 1000000


def test_interfaces_get_testnet_names(empty_conn: pyvirt.Connection) -> None:
    xml = (
        "<domain type='test'><name>nics</name><memory>1024</memory><os><type>hvm</type></os><devices>"
        "<interface type='user'/><interface type='user'><target dev='testnet1'/></interface>"
        "<interface type='user'/></devices></domain>"
    )
    out = empty_conn.define_domain(xml).xml()
    assert [line.strip() for line in out.splitlines() if "<target dev=" in line] == [
        "<target dev='testnet0'/>",
        "<target dev='testnet1'/>",
        "<target dev='testnet2'/>",
    ]


_NAMING_LIBVIRT = r"""
import json, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
conn = libvirt.open("test:///default")
out = []
for xml in json.loads(sys.stdin.read()):
    try:
        out.append(["ok", conn.defineXML(xml).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)])
    except libvirt.libvirtError as e:
        out.append(["error", e.get_error_code(), e.get_error_domain(), e.get_error_message()])
print(json.dumps(out))
"""


def _nics_domain(name: str, interfaces: str) -> str:
    return (
        f"<domain type='test'><name>{name}</name><memory>1024</memory><os><type>hvm</type></os>"
        f"<devices>{interfaces}</devices></domain>"
    )


def _named_nics(count: int) -> str:
    """Interfaces named ``testnet0`` .. ``testnet{count - 1}``: one more to name needs the next."""
    return "".join(f"<interface type='user'><target dev='testnet{i}'/></interface>" for i in range(count))


def _define_all(conn: pyvirt.Connection, documents: list[str]) -> list[list[Any]]:
    out: list[list[Any]] = []
    for xml in documents:
        try:
            out.append(["ok", conn.define_domain(xml).xml(inactive=True)])
        except pyvirt.PyvirtError as exc:
            out.append(["error", int(exc.code), int(exc.domain), str(exc)])
    return out


def _targets(result: list[Any]) -> list[Any]:
    """An outcome with the generated MACs left out: only the targets (or the error) compare."""
    if result[0] != "ok":
        return result
    return [line.strip() for line in result[1].splitlines() if "<target" in line]


@needs_libvirt
def test_interface_names_match_libvirt(default_conn: pyvirt.Connection) -> None:
    """An empty ``dev`` is a name, a ``vnet`` one is dropped and named anew, a ``<target>``
    without ``dev`` gets one in place; ``testnet1023`` is the last name, needing another is
    libvirt's error."""
    documents = [
        _nics_domain(
            "nics-mixed",
            "<interface type='user'><target dev=''/></interface><interface type='user'><target/></interface>"
            "<interface type='user'/><interface type='user'><target dev='vnet3'/></interface>"
            "<interface type='user'><target dev='testnet1'/></interface>"
            "<interface type='ethernet'><target managed='no'/></interface>",
        ),
        _nics_domain("nics-last", _named_nics(1023) + "<interface type='user'/>"),
        _nics_domain("nics-over", _named_nics(1024) + "<interface type='user'/>"),
    ]
    mine = [_targets(result) for result in _define_all(default_conn, documents)]
    real = [_targets(result) for result in run_libvirt(_NAMING_LIBVIRT, documents)]
    assert mine == real
    assert mine[0] == [
        "<target dev=''/>",
        "<target dev='testnet0'/>",
        "<target dev='testnet2'/>",
        "<target dev='testnet3'/>",
        "<target dev='testnet1'/>",
        "<target dev='testnet4' managed='no'/>",
    ]
    assert mine[1][-1] == "<target dev='testnet1023'/>"
    assert mine[2] == [
        "error",
        ErrorCode.INTERNAL_ERROR,
        pyvirt.ErrorDomain.TEST,
        "internal error: Exceeded max iface limit 1024",
    ]


@needs_libvirt
def test_foreign_namespaces_dropped_as_libvirt(default_conn: pyvirt.Connection) -> None:
    """The test driver parses no namespace extension: a top-level one is dropped, ``<metadata>``
    keeps its own; a document declaring no namespace is read as it is."""
    documents = [
        "<domain type='test' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><name>ns</name>"
        "<memory>1024</memory><os><type>hvm</type></os><metadata><app:x xmlns:app='urn:app'>1</app:x>"
        "</metadata><qemu:commandline><qemu:arg value='-x'/></qemu:commandline></domain>",
        "<domain type='test'><name>plain</name><memory>1024</memory><os><type>hvm</type></os>"
        "<description>no xmlns here</description></domain>",
        # a declaration after other text holding "xml" (the scan for one goes on past them)
        "<domain type='test'><name>late</name><description>an xml file, xml-ish</description>"
        "<memory>1024</memory><os><type>hvm</type></os><qemu:commandline"
        " xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><qemu:arg value='-x'/></qemu:commandline></domain>",
        # the xml: prefix needs no declaration
        "<domain type='test'><name>xmlpfx</name><memory>1024</memory><os><type>hvm</type></os>"
        "<xml:extra>1</xml:extra></domain>",
    ]
    mine = _define_all(default_conn, documents)
    real = run_libvirt(_NAMING_LIBVIRT, documents)
    assert [_without_uuid(result) for result in mine] == [_without_uuid(result) for result in real]
    assert "qemu" not in mine[0][1] and "qemu" not in mine[2][1] and "extra" not in mine[3][1]
    assert '<app:x xmlns:app="urn:app">1</app:x>' in mine[0][1]


def _without_uuid(result: list[Any]) -> list[Any]:
    return [line for line in result[1].splitlines() if "<uuid>" not in line] if result[0] == "ok" else result


# -- save / restore -----------------------------------------------------------------------------------


def test_save_writes_an_image_and_restore_rejects_others(default_conn: pyvirt.Connection, tmp_path: Path) -> None:
    dom = default_conn.lookup_domain_by_name("test")
    image = tmp_path / "test.img"
    dom.save(str(image))
    data = image.read_bytes()
    assert data.startswith(SAVE_MAGIC) and b"<name>test</name>" in data
    assert sorted(os.listdir(tmp_path)) == ["test.img"]  # the temp file was renamed into place
    not_an_image = tmp_path / "plain.xml"
    not_an_image.write_text(dom.xml())
    with pytest.raises(InternalError, match=r"^internal error: mismatched header magic$") as info:
        default_conn.restore_domain(str(not_an_image))
    assert info.value.code == ErrorCode.INTERNAL_ERROR
    with pytest.raises(pyvirt.PyvirtError, match="cannot read domain image") as missing:
        default_conn.restore_domain(str(tmp_path / "missing.img"))
    assert missing.value.code == ErrorCode.SYSTEM_ERROR
    short = tmp_path / "short.img"
    short.write_bytes(SAVE_MAGIC[:3])
    with pytest.raises(pyvirt.PyvirtError, match=r"^incomplete save header in '.*short\.img': Success$") as cut:
        default_conn.restore_domain(str(short))
    assert cut.value.code == ErrorCode.SYSTEM_ERROR
    restored = default_conn.restore_domain(str(image))
    assert restored.id == 2 and restored.state()[0] == DomainState.RUNNING
    with pytest.raises(pyvirt.OperationInvalidError, match="domain 'test' is already active"):
        default_conn.restore_domain(str(image))


def test_save_into_a_missing_folder_keeps_the_domain_running(default_conn: pyvirt.Connection, tmp_path: Path) -> None:
    dom = default_conn.lookup_domain_by_name("test")
    with pytest.raises(pyvirt.PyvirtError, match=r"^saving domain 'test' to '.*': open failed: No such file"):
        dom.save(str(tmp_path / "no" / "such" / "dir" / "x.img"))
    assert dom.state()[0] == DomainState.RUNNING


def test_restore_of_an_undefined_domain_makes_it_transient(default_conn: pyvirt.Connection, tmp_path: Path) -> None:
    image = str(tmp_path / "t.img")
    dom = default_conn.create_domain(domain_xml("tsave"))
    dom.save(image)
    with pytest.raises(pyvirt.NoDomainError):
        default_conn.lookup_domain_by_name("tsave")
    again = default_conn.restore_domain(image)
    assert again.name == "tsave" and not again.is_persistent()


# -- events ------------------------------------------------------------------------------------------


def test_lifecycle_events_with_details(default_conn: pyvirt.Connection, tmp_path: Path) -> None:
    seen: list[tuple[str, int, DomainEventType, int]] = []
    default_conn.domain_event_register(lambda e: seen.append((e.domain.name, e.domain.id, e.event, e.detail)))
    dom = default_conn.define_domain(domain_xml("ev", uuid=UUID))
    default_conn.define_domain(domain_xml("ev", uuid=UUID, memory=2048))
    dom.start()
    dom.suspend()
    dom.resume()
    dom.reboot()
    dom.reset()
    dom.shutdown()
    dom.start()
    dom.save(str(tmp_path / "ev.img"))
    default_conn.restore_domain(str(tmp_path / "ev.img"))
    dom.undefine()
    dom.destroy()
    assert seen == [
        ("ev", -1, DomainEventType.DEFINED, DefinedDetail.ADDED),
        ("ev", -1, DomainEventType.DEFINED, DefinedDetail.UPDATED),
        ("ev", 2, DomainEventType.STARTED, StartedDetail.BOOTED),
        ("ev", 2, DomainEventType.SUSPENDED, SuspendedDetail.PAUSED),
        ("ev", 2, DomainEventType.RESUMED, ResumedDetail.UNPAUSED),
        ("ev", -1, DomainEventType.STOPPED, StoppedDetail.SHUTDOWN),
        ("ev", 3, DomainEventType.STARTED, StartedDetail.BOOTED),
        ("ev", -1, DomainEventType.STOPPED, StoppedDetail.SAVED),
        ("ev", 4, DomainEventType.STARTED, StartedDetail.RESTORED),
        ("ev", 4, DomainEventType.UNDEFINED, UndefinedDetail.REMOVED),
        ("ev", -1, DomainEventType.STOPPED, StoppedDetail.DESTROYED),
    ]


# -- resources ---------------------------------------------------------------------------------------


def test_memory_scopes(default_conn: pyvirt.Connection) -> None:
    dom = default_conn.lookup_domain_by_name("test")
    dom.set_memory(1000, ModifyScope.LIVE)
    assert dom.info().memory == 1000 and "<currentMemory unit='KiB'>2097152" in dom.xml(inactive=True)
    dom.set_memory(3000, ModifyScope.CONFIG)
    assert dom.info().memory == 1000 and "<currentMemory unit='KiB'>3000" in dom.xml(inactive=True)
    dom.set_memory(4000)
    assert dom.info().memory == 4000
    with pytest.raises(pyvirt.PyvirtError, match="cannot set memory higher than max memory") as info:
        dom.set_memory(9000000, ModifyScope.LIVE)
    assert info.value.code == ErrorCode.INVALID_ARG
    with pytest.raises(pyvirt.OperationInvalidError, match="cannot resize the maximum memory on an active domain"):
        dom.set_max_memory(4000000)
    dom.set_max_memory(2000, ModifyScope.CONFIG)
    inactive = dom.xml(inactive=True)
    assert "<memory unit='KiB'>2000</memory>" in inactive and "<currentMemory unit='KiB'>2000<" in inactive
    with pytest.raises(pyvirt.PyvirtError, match="mutually exclusive"):
        dom.set_memory(10, ModifyScope.LIVE | ModifyScope.CONFIG)
    dom.destroy()
    assert dom.info().max_memory == 2000
    with pytest.raises(pyvirt.OperationInvalidError, match="domain is not running"):
        dom.set_memory(10, ModifyScope.LIVE)
    dom.set_max_memory(5000)
    assert dom.info().max_memory == 5000


def test_vcpu_scopes(default_conn: pyvirt.Connection) -> None:
    dom = default_conn.lookup_domain_by_name("test")
    dom.set_vcpus(1, ModifyScope.LIVE)
    assert dom.info().vcpus == 1 and dom.vcpus_count(ModifyScope.CONFIG) == 2
    with pytest.raises(pyvirt.PyvirtError, match=r"requested cpu amount exceeds maximum \(3 > 2\)"):
        dom.set_vcpus(3, ModifyScope.CONFIG)
    dom.set_vcpus(4, ModifyScope.CONFIG | ModifyScope.MAXIMUM)
    assert dom.vcpus_count(ModifyScope.CONFIG | ModifyScope.MAXIMUM) == 4
    assert dom.vcpus_count(ModifyScope.LIVE | ModifyScope.MAXIMUM) == 2
    with pytest.raises(pyvirt.PyvirtError, match="is required by flag 'VIR_DOMAIN_VCPU_MAXIMUM'"):
        dom.set_vcpus(4, ModifyScope.MAXIMUM)
    with pytest.raises(pyvirt.PyvirtError, match=r"maximum supported amount \(33 > 32\)"):
        dom.set_vcpus(33, ModifyScope.CONFIG)
    with pytest.raises(pyvirt.PyvirtError, match="must not be zero"):
        dom.set_vcpus(0)
    dom.set_vcpus(1, ModifyScope.LIVE | ModifyScope.CONFIG)
    assert dom.vcpus_count(ModifyScope.LIVE) == 1 and dom.vcpus_count(ModifyScope.CONFIG) == 1
    assert "<vcpu placement='static' current='1'>4</vcpu>" in dom.xml(inactive=True)


def test_stats_label_os_type_autostart(default_conn: pyvirt.Connection) -> None:
    dom = default_conn.lookup_domain_by_name("test")
    stats = dom.memory_stats()
    assert stats["actual"] == 2097152 and stats["rss"] == 1048576
    assert dom.security_label() == ("testSecurity", "libvirt-test", True)
    assert dom.os_type() == "linux"
    dom.set_autostart(True)
    assert dom.autostart
    dom.destroy()
    assert dom.security_label() == ("testSecurity", "", False)


# -- listing -------------------------------------------------------------------------------------------


def test_every_list_filter(default_conn: pyvirt.Connection) -> None:
    default_conn.define_domain(domain_xml("off"))
    default_conn.define_domain(domain_xml("auto")).set_autostart(True)
    default_conn.create_domain(domain_xml("trans"))
    default_conn.create_domain(domain_xml("tpaused")).suspend()

    def names(flags: ListFilter) -> list[str]:
        return sorted(d.name for d in default_conn.list_domains(flags))

    everything = ["auto", "off", "test", "tpaused", "trans"]
    assert names(ListFilter.NONE) == everything
    assert names(ListFilter.ACTIVE) == ["test", "tpaused", "trans"]
    assert names(ListFilter.INACTIVE) == ["auto", "off"]
    assert names(ListFilter.ACTIVE | ListFilter.INACTIVE) == everything
    assert names(ListFilter.PERSISTENT) == ["auto", "off", "test"]
    assert names(ListFilter.TRANSIENT) == ["tpaused", "trans"]
    assert names(ListFilter.RUNNING) == ["test", "trans"]
    assert names(ListFilter.PAUSED) == ["tpaused"]
    assert names(ListFilter.SHUTOFF) == ["auto", "off"]
    assert names(ListFilter.OTHER) == []
    assert names(ListFilter.RUNNING | ListFilter.PAUSED) == ["test", "tpaused", "trans"]
    assert names(ListFilter.AUTOSTART) == ["auto"]
    assert names(ListFilter.NO_AUTOSTART) == ["off", "test", "tpaused", "trans"]
    assert names(ListFilter.MANAGEDSAVE) == []
    assert names(ListFilter.NO_MANAGEDSAVE) == everything
    assert names(ListFilter.PERSISTENT | ListFilter.ACTIVE) == ["test"]


def test_lookup_by_any_uuid_spelling(default_conn: pyvirt.Connection) -> None:
    dom = default_conn.lookup_domain_by_uuid("6695EB01F6A4830479AA97F2502E193F")
    assert dom.name == "test"


# -- side by side with libvirt --------------------------------------------------------------------------

SCENARIO: list[list[Any]] = [
    ["lookup", "nope"],
    ["lookup_uuid", UUID],
    ["lookup_id", 99],
    ["start", "test"],
    ["resume", "test"],
    ["suspend", "test"],
    ["suspend", "test"],
    ["memstats", "test"],
    ["reset", "test"],
    ["state", "test"],
    ["reboot", "test"],
    ["state", "test"],
    ["suspend", "test"],
    ["shutdown", "test"],
    ["state", "test"],
    ["shutdown", "test"],
    ["destroy", "test"],
    ["suspend", "test"],
    ["resume", "test"],
    ["reboot", "test"],
    ["reset", "test"],
    ["memstats", "test"],
    ["seclabel", "test"],
    ["ostype", "test"],
    ["setmem", "test", 0, 2],
    ["setmem", "test", 1000, 1],
    ["setmem", "test", 1000, 3],
    ["getvcpus", "test", 1],
    ["getvcpus", "test", 3],
    ["setvcpus", "test", 1, 3],
    ["setvcpus", "test", 0, 0],
    ["setvcpus", "test", 2, 4],
    ["cells", 0, 2],
    ["cells", 0, 5],
    ["cells", 3, 1],
    ["cells", -1, 1],
    ["start", "test"],
    ["seclabel", "test"],
    ["create_xml", domain_xml("tr", memory=524288, vcpus=1)],
    ["setmem", "tr", 1000, 2],
    ["getvcpus", "tr", 2],
    ["setvcpus", "tr", 1, 3],
    ["undefine", "tr"],
    ["persistent", "tr"],
    ["state", "tr"],
    ["undefine", "tr"],
    ["destroy", "tr"],
    ["lookup", "tr"],
    ["define", domain_xml("a", uuid=UUID, memory=1048576, vcpus=2)],
    ["start", "a"],
    ["start", "a"],
    ["lookup", "a"],
    ["suspend", "a"],
    ["suspend", "a"],
    ["resume", "a"],
    ["resume", "a"],
    ["state", "a"],
    ["reboot", "a"],
    ["state", "a"],
    ["setmem", "a", 500000, 1],
    ["setmem", "a", 600000, 2],
    ["setmem", "a", 2000000, 1],
    ["setmem", "a", 900000, 6],
    ["setmem", "a", 900000, 5],
    ["setmem", "a", 900000, 4],
    ["info", "a"],
    ["xml", "a", False],
    ["xml", "a", True],
    ["setvcpus", "a", 1, 1],
    ["setvcpus", "a", 3, 2],
    ["setvcpus", "a", 4, 6],
    ["setvcpus", "a", 4, 4],
    ["setvcpus", "a", 40, 2],
    ["getvcpus", "a", 1],
    ["getvcpus", "a", 2],
    ["getvcpus", "a", 6],
    ["getvcpus", "a", 3],
    ["xml", "a", True],
    ["define", domain_xml("a", uuid=UUID, memory=2097152, vcpus=3)],
    ["info", "a"],
    ["xml", "a", True],
    ["shutdown", "a"],
    ["shutdown", "a"],
    ["destroy", "a"],
    ["suspend", "a"],
    ["resume", "a"],
    ["reboot", "a"],
    ["reset", "a"],
    ["info", "a"],
    ["xml", "a", False],
    ["setmem", "a", 1000, 1],
    ["setmem", "a", 1000, 0],
    ["setmem", "a", 4000000, 4],
    ["info", "a"],
    ["start", "a"],
    ["lookup", "a"],
    ["undefine", "a"],
    ["persistent", "a"],
    ["lookup", "a"],
    ["destroy", "a"],
    ["lookup", "a"],
    ["create_xml", domain_xml("p", uuid="0a0b0c0d-1111-2222-3333-4444555566ff", memory=524288)],
    ["define", domain_xml("p", uuid="0a0b0c0d-1111-2222-3333-4444555566ff", memory=1048576)],
    ["persistent", "p"],
    ["info", "p"],
    ["destroy", "p"],
    ["info", "p"],
    ["create_xml", domain_xml("p", uuid="0a0b0c0d-1111-2222-3333-4444555566ff", memory=262144)],
    ["info", "p"],
    ["xml", "p", True],
    ["destroy", "p"],
    ["info", "p"],
    ["undefine", "p"],
    ["create_xml", domain_xml("t", memory=524288, vcpus=1)],
    ["lookup", "t"],
    ["persistent", "t"],
    ["autostart", "t", True],
    ["setmem", "t", 1000, 2],
    ["undefine", "t"],
    ["lookup", "t"],
    ["destroy", "t"],
    ["lookup", "t"],
    ["define", domain_xml("test")],
    ["define", domain_xml("zzz", uuid="6695eb01-f6a4-8304-79aa-97f2502e193f")],
    ["create_xml", domain_xml("test", uuid="6695eb01-f6a4-8304-79aa-97f2502e193f")],
    ["define", domain_xml("b")],
    ["autostart", "b", True],
    ["list", 0],
    ["list", 1],
    ["list", 2],
    ["list", 4 | 1],
    ["list", 1 << 10],
    ["list", 1 << 11],
    ["list", 1 << 6],
    ["undefine", "b"],
    ["undefine", "b"],
]


@needs_libvirt
def test_scenario_matches_libvirt() -> None:
    mine = run_pyvirt("test:///default", SCENARIO)
    real = run_libvirt(LIBVIRT_RUNNER, {"uri": "test:///default", "steps": SCENARIO})
    assert_same(SCENARIO, mine["results"], real["results"])
    assert mine["events"] == real["events"]


@needs_libvirt
def test_save_restore_scenario_matches_libvirt(tmp_path: Path) -> None:
    (tmp_path / "junk.img").write_text("not a save image, not a save image, not a save image")
    (tmp_path / "folder.img").mkdir()
    steps: list[list[Any]] = [
        ["define", domain_xml("s", uuid=UUID)],
        ["save", "s", str(tmp_path / "none.img")],
        ["save", "test", str(tmp_path / "missing" / "t.img")],
        ["state", "test"],
        ["restore", str(tmp_path / "missing.img")],
        ["restore", str(tmp_path / "junk.img")],
        ["restore", str(tmp_path / "folder.img")],
        ["start", "s"],
        ["suspend", "s"],
        ["save", "s", str(tmp_path / "s.img")],
        ["state", "s"],
        ["restore", str(tmp_path / "s.img")],
        ["state", "s"],
        ["restore", str(tmp_path / "s.img")],
        ["lookup", "s"],
        ["save", "s", str(tmp_path / "folder.img")],
        ["state", "s"],
    ]
    mine = run_pyvirt("test:///default", steps)
    real = run_libvirt(LIBVIRT_RUNNER, {"uri": "test:///default", "steps": steps})
    assert_same(steps, mine["results"], real["results"])
    assert mine["events"] == real["events"]


def test_defining_a_live_dump_drops_its_id(default_conn: pyvirt.Connection) -> None:
    live = default_conn.lookup_domain_by_name("test").xml()
    assert live.startswith("<domain type='test' id='1'>")
    copy = live.replace("<name>test</name>", "<name>copy</name>").replace("6695eb01", "6695eb02")
    dom = default_conn.define_domain(copy)
    assert dom.xml().startswith("<domain type='test'>\n")
    dom.start()
    assert dom.xml().startswith("<domain type='test' id='2'>\n")
    dom.destroy()
    assert dom.xml().startswith("<domain type='test'>\n")


def test_missing_arch_defaults_to_the_nodes_guest_arch(empty_conn: pyvirt.Connection) -> None:
    plain = empty_conn.define_domain(domain_xml("plain"))
    assert "<type arch='i686'>hvm</type>" in plain.xml()
    machine = empty_conn.define_domain(
        "<domain type='test'><name>m</name><memory>1024</memory><os><type machine='pc'>hvm</type></os></domain>"
    )
    assert "<type arch='i686' machine='pc'>hvm</type>" in machine.xml()
    other = empty_conn.define_domain(
        "<domain type='test'><name>o</name><memory>1024</memory><os><type arch='x86_64'>hvm</type></os></domain>"
    )
    assert "<type arch='x86_64'>hvm</type>" in other.xml()
