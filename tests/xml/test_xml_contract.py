"""The contract other packages code against (documented in ``pyvirt/xml/__init__.py``)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from lxml import etree

from pyvirt.errors import XMLError
from pyvirt.xml.domain import DiskDef, DomainDef, InterfaceDef
from pyvirt.xml.network import NetworkDef
from pyvirt.xml.parser import parse_document
from pyvirt.xml.schema import SCHEMA_FILES, validate
from pyvirt.xml.storagepool import PoolDef
from pyvirt.xml.storagevol import VolDef

SMALL = """<domain type='test'>
  <name>demo</name>
  <memory unit='MiB'>512</memory>
  <vcpu current='1'>2</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><source file='/img/a.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><target dev='hdc'/></disk>
    <interface type='network'><source network='default'/><model type='virtio'/></interface>
    <interface type='bridge'><mac address='AA:BB:CC:00:11:22'/><source bridge='br0'/></interface>
  </devices>
</domain>
"""


def test_import_pyvirt_does_not_import_xml_or_lxml() -> None:
    code = "import sys, pyvirt; print('pyvirt.xml' in sys.modules, 'lxml' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_domain_fields_and_defaults() -> None:
    dom = DomainDef.from_xml(SMALL)
    assert (dom.name, dom.virt_type, dom.os_type, dom.arch) == ("demo", "test", "hvm", "x86_64")
    assert len(dom.uuid) == 36 and dom.uuid == dom.uuid.lower()
    assert (dom.memory_kib, dom.current_memory_kib, dom.vcpus, dom.current_vcpus) == (524288, 524288, 2, 1)
    assert dom.title is None and dom.description is None
    vda, hdc = dom.disks
    assert isinstance(vda, DiskDef)
    assert (vda.type, vda.device, vda.target_dev, vda.target_bus, vda.source) == (
        "file",
        "disk",
        "vda",
        "virtio",
        "/img/a.qcow2",
    )
    assert (hdc.device, hdc.target_bus, hdc.source) == ("cdrom", "ide", None)
    net, bridge = dom.interfaces
    assert isinstance(net, InterfaceDef)
    assert (net.type, net.source, net.model, net.target_dev) == ("network", "default", "virtio", None)
    assert net.mac is not None and net.mac.startswith("52:54:00:")
    assert (bridge.mac, bridge.source, bridge.model) == ("aa:bb:cc:00:11:22", "br0", None)
    out = dom.to_xml()
    assert out.endswith("</domain>\n")
    assert "<currentMemory unit='KiB'>524288</currentMemory>" in out
    assert "<vcpu placement='static' current='1'>2</vcpu>" in out
    assert "<on_poweroff>destroy</on_poweroff>" in out


def test_uuid_kept_and_generated() -> None:
    text = SMALL.replace("<name>demo</name>", "<name>demo</name><uuid>C7A5FDBDEDAF9455926AD65C16DB1809</uuid>")
    assert DomainDef.from_xml(text).uuid == "c7a5fdbd-edaf-9455-926a-d65c16db1809"
    assert DomainDef.from_xml(SMALL).uuid != DomainDef.from_xml(SMALL).uuid


def test_to_xml_forms() -> None:
    dom = DomainDef.from_xml(SMALL)
    live = dom.to_xml(domain_id=7)
    assert live.startswith("<domain type='test' id='7'>\n")
    inactive = dom.to_xml(inactive=True, domain_id=7)
    assert inactive.startswith("<domain type='test'>\n")
    assert dom.to_xml() == live.replace(" id='7'", "", 1)


def test_assignments_invalidate_cache() -> None:
    dom = DomainDef.from_xml(SMALL)
    first = dom.to_xml(domain_id=1)
    assert dom.to_xml(domain_id=1) is first  # cached
    dom.memory_kib = 1048576
    dom.current_memory_kib = 262144
    dom.vcpus = 4
    dom.current_vcpus = 3
    dom.interfaces[0].target_dev = "testnet0"
    out = dom.to_xml(domain_id=1)
    assert "<memory unit='KiB'>1048576</memory>" in out
    assert "<currentMemory unit='KiB'>262144</currentMemory>" in out
    assert "<vcpu placement='static' current='3'>4</vcpu>" in out
    assert "<target dev='testnet0'/>" in out
    # the target sits where libvirt puts it: after <source> and before <model>
    assert out.index("<source network='default'/>") < out.index("testnet0") < out.index("<model type='virtio'/>")
    dom.current_vcpus = 4
    assert "<vcpu placement='static'>4</vcpu>" in dom.to_xml()
    dom.interfaces[0].target_dev = None
    assert "testnet0" not in dom.to_xml()


def test_title_and_description_assignable() -> None:
    dom = DomainDef.from_xml(SMALL)
    dom.title = "A <title> & 'quotes'"
    dom.description = 'say "hi"'
    out = dom.to_xml()
    assert "<title>A &lt;title&gt; &amp; &apos;quotes&apos;</title>" in out
    assert "<description>say &quot;hi&quot;</description>" in out
    assert out.index("<uuid>") < out.index("<title>") < out.index("<description>") < out.index("<memory")
    again = DomainDef.from_xml(out)
    assert (again.title, again.description) == ("A <title> & 'quotes'", 'say "hi"')
    dom.title = None
    assert "<title>" not in dom.to_xml()


def test_copy_is_independent() -> None:
    dom = DomainDef.from_xml(SMALL)
    before = dom.to_xml()
    twin = dom.copy()
    twin.memory_kib = 2048
    twin.interfaces[1].target_dev = "vnet9"
    assert dom.to_xml() == before
    assert "vnet9" in twin.to_xml() and "vnet9" not in dom.to_xml()
    assert twin.interfaces[1].element.getroottree() is not dom.interfaces[1].element.getroottree()


def test_a_second_dump_is_served_from_the_cache() -> None:
    """The same text object comes back, so nothing was formatted again (its speed: bench/bench_xml.py)."""
    dom = DomainDef.from_xml(SMALL)
    first = dom.to_xml(domain_id=3)
    assert dom.to_xml(domain_id=3) is first


def test_unknown_content_is_dropped_as_libvirt_does() -> None:
    """libvirt's parser reads only what its model has: unknown elements and attributes at any
    depth are gone from the dump, what the schema knows stays (pyvirt.xml.known)."""
    known = SMALL.replace("<name>", "<uuid>2cc0906a-0fb2-4865-84b3-9a5004bcc475</uuid><name>").replace(
        "<source network='default'/>", "<source network='default'/><mac address='52:54:00:00:00:01'/>"
    )
    text = known.replace(
        "<devices>",
        "<futureknob level='3'><sub>x</sub></futureknob><devices future='1'><futuredevice model='x'/>",
    ).replace("<domain type='test'>", "<domain type='test' color='blue'>")
    out = DomainDef.from_xml(text).to_xml()
    assert "future" not in out and "color" not in out
    assert out == DomainDef.from_xml(known).to_xml()


def test_namespaces_kept_or_dropped() -> None:
    text = SMALL.replace(
        "<domain type='test'>", "<domain type='test' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
    )
    text = text.replace("</domain>", "<qemu:commandline><qemu:arg value='-x'/></qemu:commandline></domain>")
    kept = DomainDef.from_xml(text).to_xml()
    assert "<domain type='test' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>" in kept
    assert "<qemu:arg value='-x'/>" in kept
    dropped = DomainDef.from_xml(text, namespaces=()).to_xml()
    assert "qemu" not in dropped


def test_network_contract() -> None:
    net = NetworkDef.from_xml(
        "<network><name>n</name><forward/><bridge name='virbr3'/><ip address='192.168.3.1' prefix='24'/></network>"
    )
    assert (net.name, net.bridge_name, net.forward_mode) == ("n", "virbr3", "nat")
    net.bridge_name = "virbr4"
    assert "<bridge name='virbr4' stp='on' delay='0'/>" in net.to_xml()
    assert net.copy().to_xml() == net.to_xml()


def test_pool_and_volume_contract() -> None:
    pool = PoolDef.from_xml("<pool type='dir'><name>p</name><target><path>/var//imgs/</path></target></pool>")
    assert (pool.pool_type, pool.target_path, pool.capacity) == ("dir", "/var/imgs", 0)
    pool.capacity = 100
    pool.allocation = 40
    pool.available = 60
    assert "<available unit='bytes'>60</available>" in pool.to_xml()
    vol = VolDef.from_xml("<volume><name>v.img</name><capacity unit='MiB'>2</capacity></volume>", pool)
    assert (vol.vol_type, vol.format, vol.capacity, vol.allocation, vol.key) == ("file", "raw", 2097152, 2097152, None)
    vol.key = vol.target_path = "/var/imgs/v.img"
    vol.allocation = 4096
    out = vol.to_xml(pool)
    assert out.index("<key>") < out.index("<capacity") < out.index("<target>")
    assert VolDef.from_xml(out, pool).allocation == 4096
    with pytest.raises(XMLError, match="missing capacity element"):
        VolDef.from_xml("<volume><name>v</name></volume>", pool)
    assert VolDef.from_xml("<volume><name>v</name></volume>", pool, no_capacity=True).capacity == 0


def test_schema_kinds_and_errors() -> None:
    assert {"domain", "network", "storagepool", "storagevol", "capability", "nodedev", "interface"} <= set(SCHEMA_FILES)
    validate(parse_document(DomainDef.from_xml(SMALL).to_xml(), kind="domain"), "domain")
    with pytest.raises(XMLError, match="no schema"):
        validate(parse_document("<x/>", kind="x"), "nonsense")
    bad = parse_document("<network>\n<name>n</name>\n<bridge nme='x'/>\n</network>", kind="network")
    with pytest.raises(XMLError) as info:
        validate(bad, "network")
    assert info.value.line == 3 and "bridge" in str(info.value)


def test_title_with_newline_refused() -> None:
    with pytest.raises(XMLError, match="Domain title can't contain newlines"):
        DomainDef.from_xml(SMALL.replace("<name>demo</name>", "<name>demo</name><title>a\nb</title>"))


def test_generated_tap_names_not_kept_in_definitions() -> None:
    text = SMALL.replace("<source network='default'/>", "<source network='default'/><target dev='vnet3'/>")
    assert DomainDef.from_xml(text).interfaces[0].target_dev is None
    live = DomainDef.from_xml(text.replace("<domain type='test'>", "<domain type='test' id='4'>"))
    assert live.interfaces[0].target_dev == "vnet3"
    assert live.live_id == 4
    mine = text.replace("vnet3", "mytap0")
    assert DomainDef.from_xml(mine).interfaces[0].target_dev == "mytap0"


def test_pty_paths_not_kept_in_definitions() -> None:
    """Observed on libvirt 9.0: a defined domain never shows a pty's tty or source path."""
    doc = (
        "<domain type='test'><name>p</name><memory>1024</memory><os><type>hvm</type></os><devices>"
        "<serial type='pty'><source path='/dev/pts/3'/><target port='0'/></serial>"
        "<console type='pty' tty='/dev/pts/7'><source path='/dev/pts/7'/><target type='virtio' port='1'/></console>"
        "<serial type='file'><source path='/tmp/log'/><target port='1'/></serial>"
        "</devices></domain>"
    )
    out = DomainDef.from_xml(doc).to_xml()
    assert "/dev/pts" not in out and "tty=" not in out
    assert "<source path='/tmp/log'/>" in out
    live = DomainDef.from_xml(doc.replace("<domain type='test'>", "<domain type='test' id='3'>"))
    assert "<source path='/dev/pts/3'/>" in live.to_xml(domain_id=3)


def test_order_tables_are_current() -> None:
    """``_order.py`` is what ``gen_order.py`` reads off the corpus and the probes today."""
    from gen_order import tables
    from xmlcorpus import CORPUS

    from pyvirt.xml._order import ATTR_ORDER, CHILD_ORDER

    if CORPUS is None:
        pytest.skip("libvirt corpus not found")
    assert tables(CORPUS) == (CHILD_ORDER, ATTR_ORDER), "run tests/xml/gen_order.py"


def test_namespaces_placed_like_libvirt() -> None:
    """Extension elements go last; metadata carries the declarations it uses (as libvirt prints it)."""
    text = (
        "<domain type='kvm' xmlns:app='http://app/' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
        "<name>m</name><metadata><app:foo a='1'>x</app:foo></metadata><memory>1024</memory>"
        "<os><type>hvm</type></os><qemu:commandline><qemu:arg value='-x'/></qemu:commandline>"
        "<devices/></domain>"
    )
    out = DomainDef.from_xml(text).to_xml()
    assert out.startswith("<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n")
    assert '  <metadata xmlns:app="http://app/">\n    <app:foo a="1">x</app:foo>\n  </metadata>\n' in out
    assert out.index("</devices>") < out.index("<qemu:commandline>")
    assert DomainDef.from_xml(out).to_xml() == out


def test_post_parse_runs_after_the_generic_steps_with_children_as_parsed() -> None:
    """A driver's post-parse step sees the finished generic model and the children of
    ``<domain>`` and ``<devices>`` by tag, and what it writes is in the first dump."""
    seen: dict[str, object] = {}
    Groups = dict[str, list[etree._Element]]

    def post_parse(dfn: DomainDef, groups: tuple[Groups, Groups]) -> None:
        top, devices = groups
        seen["kinds"] = sorted(devices)
        seen["os"] = top["os"][0].getparent() is dfn.root
        seen["current_memory"] = dfn.current_memory_kib  # filled in by the generic defaults
        for n, iface in enumerate(devices["interface"]):
            iface.append(etree.Element("target", dev=f"drv{n}"))

    dom = DomainDef.from_xml(SMALL, post_parse=post_parse)
    assert seen == {"kinds": ["disk", "interface"], "os": True, "current_memory": 524288}
    assert [iface.target_dev for iface in dom.interfaces] == ["drv0", "drv1"]
    assert "<target dev='drv1'/>" in dom.to_xml()


def test_post_parse_is_not_run_for_a_refused_document() -> None:
    calls: list[DomainDef] = []
    with pytest.raises(XMLError):
        DomainDef.from_xml(
            SMALL.replace("<memory unit='MiB'>512</memory>", ""), post_parse=lambda d, _: calls.append(d)
        )
    assert calls == []
