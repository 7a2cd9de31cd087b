"""Networks, pools and volumes: state changes, sizes, keys and libvirt's error words."""

from __future__ import annotations

from typing import Any

import pytest
from testdriver_helpers import needs_libvirt, run_libvirt
from testdriver_scenario import LIBVIRT_OBJECT_RUNNER, assert_same, run_pyvirt_objects

import pyvirt
from pyvirt import ErrorCode, ListFilter, PoolState, VolType

NET = "<network><name>{name}</name><bridge name='{bridge}'/></network>"
POOL = "<pool type='dir'><name>{name}</name><target><path>/p/{name}</path></target></pool>"
VOL = "<volume><name>{name}</name><capacity>{capacity}</capacity><allocation>{allocation}</allocation></volume>"


# -- networks --------------------------------------------------------------------------------------


def test_network_lifecycle(default_conn: pyvirt.Connection) -> None:
    net = default_conn.define_network(NET.format(name="lan", bridge="brlan"))
    assert not net.is_active() and net.is_persistent() and not net.autostart
    assert net.bridge_name() == "brlan"
    net.start()
    with pytest.raises(pyvirt.OperationInvalidError, match="Network 'lan' is already running"):
        net.start()
    with pytest.raises(pyvirt.OperationInvalidError, match="Network 'lan' is still running"):
        net.undefine()
    net.set_autostart(True)
    assert net.autostart
    assert {n.name for n in default_conn.list_networks(ListFilter.AUTOSTART)} == {"lan"}
    assert {n.name for n in default_conn.list_networks(ListFilter.INACTIVE)} == set()
    net.destroy()
    net.destroy()  # libvirt's test driver does not mind stopping a stopped network
    net.undefine()
    with pytest.raises(pyvirt.NoNetworkError, match="no network with matching name 'lan'"):
        default_conn.lookup_network_by_name("lan")


def test_transient_network(default_conn: pyvirt.Connection) -> None:
    net = default_conn.create_network(NET.format(name="tmp", bridge="brtmp"))
    assert net.is_active() and not net.is_persistent()
    with pytest.raises(pyvirt.OperationFailedError, match="network 'tmp' already exists with uuid"):
        default_conn.create_network(NET.format(name="tmp", bridge="brtmp"))
    net.destroy()
    with pytest.raises(pyvirt.NoNetworkError):
        net.is_active()


def test_network_xml_and_bridge_errors(default_conn: pyvirt.Connection) -> None:
    net = default_conn.define_network("<network><name>nob</name></network>")
    with pytest.raises(pyvirt.PyvirtError, match="network 'nob' does not have a bridge name"):
        net.bridge_name()
    with pytest.raises(pyvirt.PyvirtError, match="unsupported flags") as info:
        net.xml(inactive=True)
    assert info.value.code == ErrorCode.INVALID_ARG
    assert "<name>nob</name>" in net.xml()


def test_redefining_a_running_network_keeps_the_live_definition(default_conn: pyvirt.Connection) -> None:
    net = default_conn.lookup_network_by_name("default")
    changed = net.xml().replace("virbr0", "virbr9")
    default_conn.define_network(changed)
    assert net.bridge_name() == "virbr0"
    net.destroy()
    assert net.bridge_name() == "virbr9"


# -- pools -----------------------------------------------------------------------------------------


def test_pool_lifecycle_and_errors(default_conn: pyvirt.Connection) -> None:
    pool = default_conn.define_pool(POOL.format(name="p1"))
    assert pool.info() == (PoolState.INACTIVE, 107374182400, 0, 107374182400)
    with pytest.raises(pyvirt.OperationInvalidError, match="storage pool 'p1' is not active"):
        pool.destroy()
    with pytest.raises(pyvirt.OperationInvalidError, match="storage pool 'p1' is not active"):
        pool.create_volume(VOL.format(name="v", capacity=1, allocation=1))
    with pytest.raises(
        pyvirt.OperationInvalidError, match=r"^Requested operation is not valid: storage pool is not active"
    ):
        pool.list_volumes()
    pool.build()
    pool.delete()
    pool.start()
    for call in (pool.start, pool.build, pool.delete, pool.undefine):
        with pytest.raises(pyvirt.OperationInvalidError, match="storage pool 'p1' is active"):
            call()
    pool.refresh()
    pool.set_autostart(True)
    assert pool.autostart
    assert {p.name for p in default_conn.list_storage_pools(ListFilter.AUTOSTART)} == {"p1"}
    with pytest.raises(pyvirt.PyvirtError, match="unsupported flags"):
        pool.xml(inactive=True)
    pool.destroy()
    pool.undefine()
    with pytest.raises(pyvirt.NoStoragePoolError, match="no storage pool with matching name 'p1'"):
        default_conn.lookup_pool_by_name("p1")


def test_pool_conflicts_and_transient_pools(default_conn: pyvirt.Connection) -> None:
    with pytest.raises(pyvirt.OperationFailedError, match="pool 'default-pool' already exists with uuid"):
        default_conn.define_pool(POOL.format(name="default-pool"))
    uuid = default_conn.lookup_pool_by_name("default-pool").uuid
    other = POOL.format(name="other").replace("<name>", f"<uuid>{uuid}</uuid><name>")
    with pytest.raises(pyvirt.OperationFailedError, match="pool 'default-pool' is already defined with uuid"):
        default_conn.define_pool(other)
    transient = default_conn.create_pool(POOL.format(name="tp"))
    assert transient.is_active() and not transient.is_persistent()
    with pytest.raises(pyvirt.PyvirtError, match="pool has no config file"):
        transient.set_autostart(True)
    transient.destroy()
    with pytest.raises(pyvirt.NoStoragePoolError):
        transient.info()


# -- volumes ---------------------------------------------------------------------------------------


def test_volumes(default_conn: pyvirt.Connection) -> None:
    pool = default_conn.lookup_pool_by_name("default-pool")
    vol = pool.create_volume(VOL.format(name="v1", capacity=1000000, allocation=500))
    assert vol.key == vol.path() == "/default-pool/v1"
    assert vol.info() == (VolType.FILE, 1000000, 500)
    assert "<key>/default-pool/v1</key>" in vol.xml()
    assert pool.info() == (PoolState.RUNNING, 107374182400, 500, 107374182400 - 500)
    with pytest.raises(pyvirt.OperationFailedError, match="storage vol already exists"):
        pool.create_volume(VOL.format(name="v1", capacity=1, allocation=1))
    with pytest.raises(pyvirt.PyvirtError, match="Not enough free space in pool for volume 'huge'"):
        pool.create_volume(VOL.format(name="huge", capacity=10**15, allocation=10**15))
    clone = pool.clone_volume(VOL.format(name="v2", capacity=7, allocation=7), vol)
    assert clone.info().capacity == 7
    assert default_conn.lookup_volume_by_key("/default-pool/v2").name == "v2"
    assert default_conn.lookup_volume_by_path("/default-pool/v1").name == "v1"
    assert pool.lookup_volume("v1").key == vol.key
    assert sorted(v.name for v in pool.list_volumes()) == ["v1", "v2"]
    vol.wipe()
    assert vol.info().allocation == 500
    clone.delete()
    with pytest.raises(pyvirt.NoStorageVolError, match="no storage vol with matching name 'v2'"):
        clone.delete()
    assert pool.info().allocation == 500
    pool.destroy()
    with pytest.raises(pyvirt.NoStorageVolError, match="matching key"):
        default_conn.lookup_volume_by_key(vol.key)
    with pytest.raises(pyvirt.OperationInvalidError, match="storage pool 'default-pool' is not active"):
        vol.info()
    pool.start()
    assert [v.name for v in pool.list_volumes()] == ["v1"]  # volumes outlive a pool restart


def test_volume_key_and_path_ignore_the_document(default_conn: pyvirt.Connection) -> None:
    pool = default_conn.lookup_pool_by_name("default-pool")
    vol = pool.create_volume(
        "<volume><name>z</name><key>mine</key><capacity>5</capacity><target><path>/else/z</path></target></volume>"
    )
    assert vol.key == vol.path() == "/default-pool/z"


def test_volume_defaults(default_conn: pyvirt.Connection) -> None:
    vol = default_conn.lookup_pool_by_name("default-pool").create_volume(
        "<volume><name>d</name><capacity>5</capacity></volume>"
    )
    assert vol.info().allocation == 5
    assert "<format type='raw'/>" in vol.xml()


def test_volume_resize(default_conn: pyvirt.Connection) -> None:
    pool = default_conn.lookup_pool_by_name("default-pool")
    vol = pool.create_volume(VOL.format(name="r", capacity=1000, allocation=100))
    vol.resize(2000)
    assert vol.info().capacity == 2000
    with pytest.raises(pyvirt.PyvirtError, match="unless shrink flag"):
        vol.resize(1500)
    vol.resize(1500, shrink=True)
    assert vol.info().capacity == 1500
    vol.resize(500, delta=True)
    assert vol.info().capacity == 2000
    vol.resize(500, delta=True, shrink=True)
    assert vol.info().capacity == 1500
    with pytest.raises(pyvirt.PyvirtError, match="below current allocation"):
        vol.resize(50, shrink=True)
    with pytest.raises(pyvirt.PyvirtError, match="Not enough space left"):
        vol.resize(10**15)


@needs_libvirt
def test_volumes_match_libvirt(default_conn: pyvirt.Connection) -> None:
    real = run_libvirt(
        "import json, sys, libvirt\n"
        "libvirt.registerErrorHandler(lambda *a: None, None)\n"
        "docs = json.load(sys.stdin)\n"
        "c = libvirt.open('test:///default')\n"
        "p = c.storagePoolLookupByName('default-pool')\n"
        "out = []\n"
        "for d in docs:\n"
        "    v = p.createXML(d, 0)\n"
        "    out.append([v.key(), v.path(), v.info(), v.XMLDesc(0)])\n"
        "out.append(p.info())\n"
        "print(json.dumps(out))\n",
        [
            VOL.format(name="a", capacity=1000000, allocation=500),
            "<volume><name>b</name><capacity>9</capacity></volume>",
        ],
    )
    pool = default_conn.lookup_pool_by_name("default-pool")
    for document, (key, path, info, xml) in zip(
        [
            VOL.format(name="a", capacity=1000000, allocation=500),
            "<volume><name>b</name><capacity>9</capacity></volume>",
        ],
        real[:2],
        strict=True,
    ):
        vol = pool.create_volume(document)
        assert [vol.key, vol.path(), list(vol.info()), vol.xml()] == [key, path, info, xml]
    assert list(pool.info()) == real[2]


DEFAULT_NET_UUID = "dd8fe884-6c02-601e-7551-cca97df1c5df"
DEFAULT_NET = f"<network><name>default</name><uuid>{DEFAULT_NET_UUID}</uuid></network>"
DEFAULT_POOL_UUID = "dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566"
DEFAULT_POOL = (
    f"<pool type='dir'><name>default-pool</name><uuid>{DEFAULT_POOL_UUID}</uuid>"
    "<target><path>/default-pool</path></target></pool>"
)
NET_UUID = "0a0b0c0d-1111-2222-3333-4444555566aa"
TMP_UUID = "0a0b0c0d-1111-2222-3333-4444555566cc"
POOL_UUID = "0a0b0c0d-1111-2222-3333-4444555566bb"
OBJECT_SCENARIO: list[list[Any]] = [
    ["net_define", NET.format(name="lan", bridge="brlan").replace("<name>", f"<uuid>{NET_UUID}</uuid><name>")],
    ["net_define", NET.format(name="lan", bridge="brother")],
    ["net_active", "lan"],
    ["net_persistent", "lan"],
    ["net_bridge", "lan"],
    ["net_xml", "lan", True],
    ["net_start", "lan"],
    ["net_start", "lan"],
    ["net_undefine", "lan"],
    ["net_autostart", "lan", True],
    ["nets", 0],
    ["nets", 1],
    ["nets", 2],
    ["net_destroy", "lan"],
    ["net_destroy", "lan"],
    ["net_undefine", "lan"],
    ["net_undefine", "lan"],
    ["net_create_xml", NET.format(name="tmp", bridge="brtmp").replace("<name>", f"<uuid>{TMP_UUID}</uuid><name>")],
    ["net_create_xml", NET.format(name="tmp", bridge="brtmp")],
    ["net_persistent", "tmp"],
    ["net_autostart", "tmp", True],
    ["net_destroy", "tmp"],
    ["net_active", "tmp"],
    ["net_define", "<network><name>nob</name></network>"],
    ["net_bridge", "nob"],
    ["net_define", NET.format(name="default", bridge="x")],
    ["net_xml", "nope", False],
    ["net_uuid", NET_UUID],
    ["net_uuid", DEFAULT_NET_UUID],
    ["pool_uuid", POOL_UUID],
    ["pool_uuid", DEFAULT_POOL_UUID],
    ["net_create_xml", DEFAULT_NET],
    ["net_define", DEFAULT_NET.replace("<name>default</name>", "<name>zz</name>")],
    ["net_create_xml", DEFAULT_NET.replace("<name>default</name>", "<name>zz</name>")],
    ["net_create_xml", DEFAULT_NET.replace(DEFAULT_NET_UUID, NET_UUID)],
    ["net_define", NET.format(name="n1", bridge="brn1").replace("<name>", f"<uuid>{NET_UUID}</uuid><name>")],
    ["net_create_xml", NET.format(name="n1", bridge="brn1").replace("<name>", f"<uuid>{NET_UUID}</uuid><name>")],
    ["net_active", "n1"],
    ["net_persistent", "n1"],
    ["net_destroy", "n1"],
    ["net_persistent", "n1"],
    ["net_undefine", "n1"],
    ["pool_info", "nope"],
    ["pool_create_xml", DEFAULT_POOL],
    ["pool_define", DEFAULT_POOL.replace("<name>default-pool</name>", "<name>zz</name>")],
    ["pool_create_xml", DEFAULT_POOL.replace("<name>default-pool</name>", "<name>zz</name>")],
    ["pool_create_xml", DEFAULT_POOL.replace(DEFAULT_POOL_UUID, POOL_UUID)],
    ["pool_build", "default-pool"],
    ["pool_start", "default-pool"],
    ["pool_delete", "default-pool"],
    ["pool_undefine", "default-pool"],
    ["pool_xml", "default-pool", True],
    ["pool_vol_create", "default-pool", VOL.format(name="src", capacity=10, allocation=10)],
    ["pool_vol_create", "default-pool", VOL.format(name="other", capacity=10, allocation=10)],
    ["pool_keep", "default-pool", "src"],
    ["pool_keep", "default-pool", "other"],
    ["pool_vol_clone", "default-pool", VOL.format(name="src", capacity=10, allocation=10), "src"],
    ["pool_vol_clone", "default-pool", VOL.format(name="c1", capacity=10, allocation=10), "src"],
    ["pool_vol_clone", "default-pool", VOL.format(name="c2", capacity=10**15, allocation=10**15), "src"],
    ["pool_vol_delete", "default-pool", "src"],
    ["pool_vol_clone", "default-pool", VOL.format(name="c3", capacity=10, allocation=10), "src"],
    ["kept_info", "src"],
    ["kept_xml", "src"],
    ["kept_path", "src"],
    ["kept_delete", "src"],
    ["pool_destroy", "default-pool"],
    ["kept_info", "other"],
    ["kept_xml", "other"],
    ["kept_path", "other"],
    ["kept_delete", "other"],
    ["pool_vol_info", "default-pool", "other"],
    ["pool_vol_create", "default-pool", VOL.format(name="v9", capacity=1, allocation=1)],
    ["vol_key", "/default-pool/other"],
    ["vol_path", "/default-pool/other"],
    ["pool_destroy", "default-pool"],
    ["pool_refresh", "default-pool"],
    ["pool_vols", "default-pool"],
    ["pool_build", "default-pool"],
    ["pool_delete", "default-pool"],
    ["pool_create_xml", DEFAULT_POOL],
    ["pool_active", "default-pool"],
    ["pool_persistent", "default-pool"],
    ["pool_autostart", "default-pool", True],
    ["pool_undefine", "default-pool"],
    ["pool_destroy", "default-pool"],
    ["pool_info", "default-pool"],
    ["pool_define", POOL.format(name="p1").replace("<name>", f"<uuid>{POOL_UUID}</uuid><name>")],
    ["pool_define", POOL.format(name="p1")],
    ["pool_define", POOL.format(name="p2").replace("<name>", f"<uuid>{POOL_UUID}</uuid><name>")],
    ["pool_info", "p1"],
    ["pool_active", "p1"],
    ["pool_xml", "p1", True],
    ["pool_destroy", "p1"],
    ["pool_refresh", "p1"],
    ["pool_vols", "p1"],
    ["pool_vol_create", "p1", VOL.format(name="v", capacity=1, allocation=1)],
    ["pool_build", "p1"],
    ["pool_delete", "p1"],
    ["pool_start", "p1"],
    ["pool_start", "p1"],
    ["pool_build", "p1"],
    ["pool_delete", "p1"],
    ["pool_undefine", "p1"],
    ["pool_refresh", "p1"],
    ["pool_vol_create", "p1", VOL.format(name="v1", capacity=1000000, allocation=500)],
    ["pool_vol_create", "p1", VOL.format(name="v1", capacity=1000000, allocation=500)],
    ["pool_vol_create", "p1", VOL.format(name="v2", capacity=10, allocation=50)],
    ["pool_vol_create", "p1", VOL.format(name="big", capacity=10**15, allocation=10**15)],
    ["pool_info", "p1"],
    ["pool_vols", "p1"],
    ["pool_vol_info", "p1", "v1"],
    ["pool_vol_info", "p1", "nope"],
    ["vol_key", "/p/p1/v1"],
    ["vol_path", "/p/p1/v2"],
    ["vol_key", "/p/p1/nope"],
    ["pool_vol_delete", "p1", "v2"],
    ["pool_info", "p1"],
    ["pool_autostart", "p1", True],
    ["pools", 1],
    ["pools", 2],
    ["pool_destroy", "p1"],
    ["pool_vols", "p1"],
    ["pool_vol_info", "p1", "v1"],
    ["vol_key", "/p/p1/v1"],
    ["pool_info", "p1"],
    ["pool_start", "p1"],
    ["pool_vols", "p1"],
    ["pool_destroy", "p1"],
    ["pool_undefine", "p1"],
    ["pool_info", "p1"],
    ["pool_create_xml", POOL.format(name="tp")],
    ["pool_autostart", "tp", True],
    ["pool_destroy", "tp"],
    ["pool_info", "tp"],
]


@needs_libvirt
def test_object_scenario_matches_libvirt() -> None:
    mine = run_pyvirt_objects("test:///default", OBJECT_SCENARIO)
    real = run_libvirt(LIBVIRT_OBJECT_RUNNER, {"uri": "test:///default", "steps": OBJECT_SCENARIO})
    assert_same(OBJECT_SCENARIO, mine, real)
