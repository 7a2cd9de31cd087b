"""Node files: libvirt's examples load as real virsh shows them; broken ones say where."""

from __future__ import annotations

from pathlib import Path

import pytest
from testdriver_helpers import DATA, corpus_path, needs_libvirt, run_libvirt

import pyvirt
from pyvirt import DomainState
from pyvirt.xml.testnode import load_node_file
from pyvirt_test.defaults import NODE_INFO

EXAMPLES = corpus_path() / "testdriver"
needs_examples = pytest.mark.skipif(
    not (EXAMPLES / "testnode.xml").is_file(), reason=f"{EXAMPLES} not found (set PYVIRT_CORPUS)"
)


def _summary(conn: pyvirt.Connection) -> dict[str, object]:
    return {
        "domains": sorted([d.name, d.id, *map(int, d.state())] for d in conn.list_domains()),
        "networks": sorted([n.name, n.is_active()] for n in conn.list_networks()),
        "pools": sorted([p.name, sorted(v.name for v in p.list_volumes())] for p in conn.list_storage_pools()),
        "nodeinfo": list(conn.get_node_info()),
    }


@needs_examples
@pytest.mark.parametrize(
    ("name", "paused_fc5", "volumes"),
    [("testnode.xml", False, []), ("testnodeinline.xml", True, ["default-vol"])],
)
def test_libvirt_examples(name: str, paused_fc5: bool, volumes: list[str]) -> None:
    with pyvirt.open(f"test://{EXAMPLES / name}") as conn:
        summary = _summary(conn)
        fc5 = int(DomainState.PAUSED if paused_fc5 else DomainState.RUNNING)
        assert summary["domains"] == [["fc4", 2, 1, 0], ["fc5", 3, fc5, 0], ["fv0", 1, 1, 0]]
        assert summary["networks"] == [["default", True], ["private", True]]
        assert summary["pools"] == [["default-pool", volumes]]
        assert summary["nodeinfo"] == ["i986", 8192000, 50, 6000, 4, 4, 4, 2]
        assert "<cells num='0'>" in conn.get_capabilities()
        if volumes:
            vol = conn.lookup_pool_by_name("default-pool").lookup_volume("default-vol")
            assert vol.key == "/default-pool/default-vol"
            assert tuple(vol.info())[1:] == (1000000, 50000)


@needs_examples
@needs_libvirt
@pytest.mark.parametrize("path", [EXAMPLES / "testnode.xml", EXAMPLES / "testnodeinline.xml", DATA / "small-node.xml"])
def test_examples_match_libvirt(path: Path) -> None:
    """Objects, IDs, states with their reasons (0, unknown, for everything loaded) and node info."""
    uri = f"test://{path}"
    real = run_libvirt(
        "import json, sys, libvirt\n"
        "c = libvirt.open(json.load(sys.stdin))\n"
        "print(json.dumps({'domains': sorted([d.name(), d.ID(), *d.state()] for d in c.listAllDomains()),\n"
        " 'networks': sorted([n.name(), bool(n.isActive())] for n in c.listAllNetworks()),\n"
        " 'pools': sorted([p.name(), sorted(v.name() for v in p.listAllVolumes())] for p in c.listAllStoragePools()),\n"
        " 'nodeinfo': c.getInfo()}))\n",
        uri,
    )
    real["nodeinfo"][1] *= 1024  # libvirt-python gives MiB
    with pyvirt.open(uri) as conn:
        mine = _summary(conn)
    assert mine == real


def test_small_node_runstates_and_extras() -> None:
    with pyvirt.open(f"test://{DATA / 'small-node.xml'}") as conn:
        states = {d.name: (d.id, d.state()[0], d.is_persistent()) for d in conn.list_domains()}
        assert states == {
            "alpha": (1, DomainState.RUNNING, True),
            "beta": (2, DomainState.PAUSED, True),
            "gamma": (-1, DomainState.SHUTOFF, True),
            "delta": (3, DomainState.RUNNING, False),
        }
        assert "<target dev='testnet0'/>" in conn.lookup_domain_by_name("alpha").xml()
        assert "test:" not in conn.lookup_domain_by_name("beta").xml()
        assert conn.get_node_info() == ("i686", 4194304, 8, 2000, 1, 1, 4, 2)
        with pytest.raises(pyvirt.PyvirtError, match="Range exceeds available cells"):
            conn.get_cells_free_memory(0, 1)
        conn.lookup_domain_by_name("gamma").start()
        assert conn.lookup_domain_by_name("gamma").id == 4


def test_broken_node_file_names_file_and_line(tmp_path: Path) -> None:
    node = tmp_path / "broken.xml"
    node.write_text("<node>\n  <domain>\n</node>\n")
    with pytest.raises(pyvirt.XMLError, match=rf"^{node}:3: ") as info:
        pyvirt.open(f"test://{node}")
    assert info.value.line == 3


def test_broken_referenced_file_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "dom.xml").write_text("<domain type='test'>\n  <name>x</name>\n  <memory>1</memory\n</domain>\n")
    node = tmp_path / "node.xml"
    node.write_text("<node>\n  <domain file='dom.xml'/>\n</node>\n")
    with pytest.raises(pyvirt.XMLError, match=rf"^{tmp_path / 'dom.xml'}:\d+: "):
        pyvirt.open(f"test://{node}")


def test_invalid_object_in_node_file_names_its_line(tmp_path: Path) -> None:
    node = tmp_path / "node.xml"
    node.write_text("<node>\n\n  <network><uuid>not-a-uuid</uuid></network>\n</node>\n")
    with pytest.raises(pyvirt.XMLError, match=rf"^{node}:3: "):
        pyvirt.open(f"test://{node}")


def test_duplicate_domains_in_node_file(tmp_path: Path) -> None:
    dom = "<domain type='test'><name>same</name><memory>1024</memory><os><type>hvm</type></os></domain>"
    node = tmp_path / "node.xml"
    node.write_text(f"<node>\n{dom}\n{dom}\n</node>\n")
    with pytest.raises(pyvirt.XMLError, match="domain 'same' already exists"):
        pyvirt.open(f"test://{node}")


def test_missing_node_file() -> None:
    with pytest.raises(pyvirt.XMLError, match=r"failed to parse xml document ./nonexistent/node\.xml."):
        pyvirt.open("test:///nonexistent/node.xml")


def test_missing_referenced_file(tmp_path: Path) -> None:
    node = tmp_path / "node.xml"
    node.write_text("<node><domain file='nope.xml'/></node>")
    with pytest.raises(pyvirt.XMLError, match=f"failed to parse xml document '{tmp_path / 'nope.xml'}'"):
        pyvirt.open(f"test://{node}")


def test_wrong_root_element(tmp_path: Path) -> None:
    node = tmp_path / "node.xml"
    node.write_text("<domain/>")
    with pytest.raises(pyvirt.XMLError, match=r"^XML error: expecting root element of 'node', not 'domain'$"):
        load_node_file(str(node), NODE_INFO)


_TEST_NS = "xmlns:test='http://libvirt.org/schemas/domain/test/1.0'"
_DOM = "<domain type='test'>{extra}<name>x</name><memory>1024</memory><os><type>hvm</type></os></domain>"
REFUSED_NODES = {
    "root": "<domain/>",
    "runstate-range": f"<node {_TEST_NS}>{_DOM.format(extra='<test:runstate>9</test:runstate>')}</node>",
    "runstate-word": f"<node {_TEST_NS}>{_DOM.format(extra='<test:runstate>x</test:runstate>')}</node>",
    "transient-shutoff": (
        f"<node {_TEST_NS}>{_DOM.format(extra='<test:transient/><test:runstate>5</test:runstate>')}</node>"
    ),
    "cpu-mhz": "<node><cpu><mhz>abc</mhz></cpu></node>",
    "cpu-active": "<node><cpu><active>-1</active></cpu></node>",
    "memory": "<node><memory>-5</memory></node>",
    "missing-file": "<node><domain file='nope.xml'/></node>",
}


@needs_libvirt
def test_refused_node_files_match_libvirt(tmp_path: Path) -> None:
    """What libvirt's test driver refuses in a node file: same code, error domain and message."""
    paths = []
    for name, text in REFUSED_NODES.items():
        path = tmp_path / f"{name}.xml"
        path.write_text(text)
        paths.append(str(path))
    real = run_libvirt(
        "import json, sys, libvirt\n"
        "libvirt.registerErrorHandler(lambda *a: None, None)\n"
        "out = []\n"
        "for path in json.load(sys.stdin):\n"
        "    try:\n"
        "        libvirt.open('test://' + path)\n"
        "        out.append(None)\n"
        "    except libvirt.libvirtError as e:\n"
        "        out.append([e.get_error_code(), e.get_error_domain(), e.get_error_message()])\n"
        "print(json.dumps(out))\n",
        paths,
    )
    mine = []
    for path in paths:
        with pytest.raises(pyvirt.XMLError) as info:
            pyvirt.open(f"test://{path}")
        mine.append([int(info.value.code), int(info.value.domain), info.value.message])
    assert dict(zip(REFUSED_NODES, mine, strict=True)) == dict(zip(REFUSED_NODES, real, strict=True))


def test_refusals_keep_the_line(tmp_path: Path) -> None:
    node = tmp_path / "node.xml"
    node.write_text(f"<node {_TEST_NS}>\n\n" + _DOM.format(extra="\n<test:runstate>9</test:runstate>") + "</node>")
    with pytest.raises(pyvirt.XMLError, match="runstate '9' out of range") as info:
        load_node_file(str(node), NODE_INFO)
    assert info.value.line == 4


_TAINT_NODE = """<node>
{domains}
</node>
"""

_TAINT_DEVICES = {
    "cdrom-file": "<disk type='file' device='cdrom'><source file='/x.iso'/><target dev='hdc'/></disk>",
    "cdrom-empty": "<disk type='block' device='cdrom'><target dev='hdc'/></disk>",
    "lun-no-rawio": "<disk type='block' device='lun' rawio='no'><source dev='/dev/sda'/>"
    "<target dev='sda' bus='scsi'/></disk>",
    "scripts": "<interface type='ethernet'><script path='x'/></interface>"
    "<interface type='network'><source network='default'/><script path='y'/></interface>",
    "hostdev-rawio": "<hostdev mode='subsystem' type='scsi' rawio='yes'><source><adapter name='scsi_host0'/>"
    "<address bus='0' target='0' unit='0'/></source></hostdev>",
    "cdrom-and-luns": "<disk type='block' device='cdrom'><source dev='/dev/sr0'/><target dev='hdc'/></disk>"
    "<disk type='block' device='lun' rawio='yes'><source dev='/dev/sdb'/><target dev='sdb' bus='scsi'/></disk>"
    "<disk type='block' device='lun' rawio='yes'><source dev='/dev/sdc'/><target dev='sdc' bus='scsi'/></disk>",
}
_TAINT_CPUS = {
    "host-model": "<cpu mode='host-model'><model>Deprecated-Test</model></cpu>",
    "custom": "<cpu mode='custom' match='exact'><model fallback='forbid'>Deprecated-Test</model></cpu>",
    "passthrough": "<cpu mode='host-passthrough'/>",
    "dtb-and-cpu": "<cpu><model>Deprecated-Test</model></cpu>",
}


def _taint_node(tmp_path: Path) -> str:
    domains = []
    for name, devices in _TAINT_DEVICES.items():
        domains.append(
            f"<domain type='test'><name>{name}</name><memory>1024</memory><os><type>hvm</type></os>"
            f"<devices>{devices}</devices></domain>"
        )
    for name, cpu in _TAINT_CPUS.items():
        dtb = "<dtb>/x</dtb>" if name.startswith("dtb") else ""
        domains.append(
            f"<domain type='test'><name>{name}</name><memory>1024</memory><os><type>hvm</type>{dtb}</os>{cpu}</domain>"
        )
    path = tmp_path / "taints.xml"
    path.write_text(_TAINT_NODE.format(domains="\n".join(domains)))
    return f"test://{path}"


@needs_libvirt
def test_messages_match_libvirt(tmp_path: Path) -> None:
    """Taints and deprecations of loaded domains, every kind filter; defined domains have none."""
    uris = [_taint_node(tmp_path)]
    if (EXAMPLES / "testnode.xml").is_file():
        uris.append(f"test://{EXAMPLES / 'testnode.xml'}")
    real = run_libvirt(
        "import json, sys, libvirt\n"
        "out = []\n"
        "for uri in json.load(sys.stdin):\n"
        "    c = libvirt.open(uri)\n"
        "    out.append({d.name(): [d.messages(f) for f in (0, 1, 2, 3)] for d in c.listAllDomains()})\n"
        "    out.append(list(c.getSecurityModel()))\n"
        "print(json.dumps(out))\n",
        uris,
    )
    mine: list[object] = []
    for uri in uris:
        with pyvirt.open(uri) as conn:
            mine.append(
                {d.name: [d.messages(pyvirt.DomainMessageKind(f)) for f in (0, 1, 2, 3)] for d in conn.list_domains()}
            )
            mine.append(list(conn.get_security_model()))
    assert mine == real


@needs_examples
def test_messages_are_found_at_load_only() -> None:
    """Stops and starts keep a loaded domain's messages; a domain defined anew has none."""
    with pyvirt.open(f"test://{EXAMPLES / 'testnode.xml'}") as conn:
        fc4 = conn.lookup_domain_by_name("fc4")
        taint = ["tainted: network configuration using opaque shell scripts"]
        fc4.destroy()
        assert fc4.messages() == taint
        fc4.start()
        assert fc4.messages() == taint
        fc4.destroy()
        xml = fc4.xml()
        fc4.undefine()
        assert conn.define_domain(xml).messages() == []


def _volume(name: str, allocation: int = 50000) -> str:
    return (
        f"<volume><name>{name}</name><capacity>1000000</capacity><allocation>{allocation}</allocation>"
        "<target/></volume>"
    )


_POOL = (
    "<name>default-pool</name><uuid>35bb2ad9-388a-cdfe-461a-b8907f6e53fe</uuid>"
    "<target><path>/default-pool</path></target>"
)

_POOL_LAYOUTS = {
    # node file's <pool> element, files next to it
    "inline-pool-volume-file": (f"<pool type='dir'>{_POOL}<volume file='vol.xml'/>{_volume('x', 1)}</pool>", {}),
    "pool-file-inline-child": ("<pool file='pool.xml'>" + _volume("ignored") + "</pool>", {"pool.xml": ""}),
    "pool-file-own-inline": ("<pool file='pool.xml'/>", {"pool.xml": _volume("inner", 500)}),
    "pool-file-own-file": ("<pool file='pool.xml'/>", {"pool.xml": "<volume file='vol.xml'/>"}),
    "pool-file-both": ("<pool file='pool.xml'><volume file='vol.xml'/></pool>", {"pool.xml": _volume("inner", 500)}),
    "pool-file-in-folder": ("<pool file='sub/pool.xml'/>", {"sub/pool.xml": "<volume file='top.xml'/>"}),
}


@needs_libvirt
def test_pool_volumes_match_libvirt(tmp_path: Path) -> None:
    """Which volumes a node-file pool gets: a pool file's own ones; file= relative to the node file."""
    uris = []
    for name, (pool, files) in _POOL_LAYOUTS.items():
        folder = tmp_path / name
        (folder / "sub").mkdir(parents=True)
        (folder / "vol.xml").write_text(_volume("from-file"))
        (folder / "top.xml").write_text(_volume("top"))
        (folder / "sub" / "top.xml").write_text(_volume("sub"))
        for file_name, volumes in files.items():
            (folder / file_name).write_text(f"<pool type='dir'>{_POOL}{volumes}</pool>")
        (folder / "node.xml").write_text(f"<node>\n{pool}\n</node>\n")
        uris.append(f"test://{folder / 'node.xml'}")
    real = run_libvirt(
        "import json, sys, libvirt\n"
        "out = []\n"
        "for uri in json.load(sys.stdin):\n"
        "    p = libvirt.open(uri).storagePoolLookupByName('default-pool')\n"
        "    out.append([sorted([v.name(), *v.info()[1:]] for v in p.listAllVolumes()), p.info()[2]])\n"
        "print(json.dumps(out))\n",
        uris,
    )
    mine = []
    for uri in uris:
        with pyvirt.open(uri) as conn:
            pool = conn.lookup_pool_by_name("default-pool")
            mine.append([sorted([v.name, *tuple(v.info())[1:]] for v in pool.list_volumes()), pool.info().allocation])
    assert dict(zip(_POOL_LAYOUTS, mine, strict=True)) == dict(zip(_POOL_LAYOUTS, real, strict=True))
