"""Differential test against the installed libvirt: defaults beyond what the corpus shows.

Every corpus domain is mutated so that libvirt has to fill something in (device addresses,
controller indexes, disk buses, lifecycle and clock, disk device types removed), then defined
on real libvirt's test driver (through ``/usr/bin/python3``, which has the bindings) and on the
pyvirt model; the inactive dumps must agree.  Skipped when libvirt's bindings are missing.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree
from xmlcorpus import MatchReport, copy_generated, corpus_files, name_interfaces

from pyvirt.xml.domain import DomainDef

pytestmark = pytest.mark.needs_libvirt("bindings")

MUTATIONS: dict[str, Callable[[etree._Element], object]] = {
    "no-addresses": lambda r: [e.getparent().remove(e) for e in r.xpath("/domain/devices/*/address")],
    "no-controller-index": lambda r: [e.attrib.pop("index") for e in r.xpath("/domain/devices/controller[@index]")],
    "no-disk-bus": lambda r: [e.attrib.pop("bus") for e in r.xpath("/domain/devices/disk/target[@bus]")],
    "no-lifecycle": lambda r: [
        e.getparent().remove(e)
        for e in r.xpath("/domain/on_poweroff|/domain/on_reboot|/domain/on_crash|/domain/clock|/domain/currentMemory")
    ],
    "no-disk-device": lambda r: [e.attrib.pop("device") for e in r.xpath("/domain/devices/disk[@device='disk']")],
    "no-macs": lambda r: [e.getparent().remove(e) for e in r.xpath("/domain/devices/interface/mac")],
    "no-video": lambda r: [e.getparent().remove(e) for e in r.xpath("/domain/devices/video")],
    "no-video-attrs": lambda r: [
        [e.attrib.pop(a, None) for a in ("vram", "heads", "ram", "vgamem", "primary")]
        for e in r.xpath("/domain/devices/video/model")
    ],
    "no-graphics-ports": lambda r: [
        [e.attrib.pop(a, None) for a in ("port", "autoport", "tlsPort")] for e in r.xpath("/domain/devices/graphics")
    ],
    "no-chardev-targets": lambda r: [
        e.getparent().remove(e) for e in r.xpath("/domain/devices/*[self::serial or self::console]/target")
    ],
    "no-source-modes": lambda r: [e.attrib.pop("mode") for e in r.xpath("/domain/devices/*/source[@mode]")],
    "no-boot-vcpu-uuid": lambda r: [
        e.getparent().remove(e) for e in r.xpath("/domain/os/boot | /domain/vcpu | /domain/uuid")
    ],
    "no-listens": lambda r: [
        (e.attrib.pop("listen", None), [e.remove(x) for x in e.findall("listen")])
        for e in r.xpath("/domain/devices/graphics")
    ],
    "no-ports": lambda r: [
        e.attrib.pop("port") for e in r.xpath("/domain/devices/*[self::serial or self::console]/target[@port]")
    ],
    "no-console-type": lambda r: [e.attrib.pop("type") for e in r.xpath("/domain/devices/console/target[@type]")],
    "no-fs-accessmode": lambda r: [
        e.attrib.pop("accessmode") for e in r.xpath("/domain/devices/filesystem[@accessmode]")
    ],
    "no-hostdev-managed": lambda r: [e.attrib.pop("managed") for e in r.xpath("/domain/devices/hostdev[@managed]")],
    "no-iface-models": lambda r: [e.getparent().remove(e) for e in r.xpath("/domain/devices/interface/model")],
    "no-cpu-mode": lambda r: [
        (e.attrib.pop("mode", None), e.attrib.pop("match", None)) for e in r.xpath("/domain/cpu")
    ],
    "no-memballoon": lambda r: [e.getparent().remove(e) for e in r.xpath("/domain/devices/memballoon")],
    "no-placement": lambda r: [e.attrib.pop("placement") for e in r.xpath("/domain/vcpu[@placement]")],
    "bytes": lambda r: [
        (e.set("unit", "b"), setattr(e, "text", str(int(e.text) * 1024)))
        for e in r.xpath("/domain/memory[not(@unit) or @unit='KiB'] | /domain/currentMemory[not(@unit) or @unit='KiB']")
    ],
}

# Where pyvirt knowingly differs, and why.
KNOWN: dict[str, str] = {
    "generic-memorytune:no-boot-vcpu-uuid": "libvirt refuses memorytune monitors that end up with the same "
    "vCPUs once vCPUs the domain lacks are dropped; pyvirt accepts them",
}

_LIBVIRT = r"""
import json, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
docs, node = json.load(sys.stdin)
conn = libvirt.open("test://" + node)
out = {}
for key, xml in docs.items():
    try:
        if key.startswith("network:"):
            obj, flags = conn.networkDefineXML(xml), 0
        elif key.startswith("storagepool:"):
            obj, flags = conn.storagePoolDefineXML(xml), 0
        else:
            obj, flags = conn.defineXML(xml), libvirt.VIR_DOMAIN_XML_INACTIVE
        out[key] = obj.XMLDesc(flags)
        obj.undefine()
    except libvirt.libvirtError as exc:
        out[key] = "ERROR " + str(exc)
print(json.dumps(out))
"""


def _mutated() -> dict[str, str]:
    parser = etree.XMLParser(remove_blank_text=True)
    docs: dict[str, str] = {}
    for path in corpus_files("domain", "*.in.xml"):
        name = path.name.removesuffix(".in.xml")
        for label, mutate in MUTATIONS.items():
            root = etree.parse(str(path), parser).getroot()
            mutate(root)
            docs[f"{name}:{label}"] = etree.tostring(root, encoding="unicode")
    return docs


@pytest.fixture(scope="module")
def libvirt_dumps() -> tuple[dict[str, str], dict[str, str]]:
    if not Path("/usr/bin/python3").exists():
        pytest.skip("no /usr/bin/python3")
    probe = subprocess.run(["/usr/bin/python3", "-E", "-c", "import libvirt"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("libvirt's Python bindings are not installed")
    docs = _mutated()
    if not docs:
        pytest.skip("libvirt corpus not found")
    return docs, _libvirt_run(docs)


def _libvirt_run(docs: dict[str, str]) -> dict[str, str]:
    """Real libvirt's dump (or ``ERROR message``) of each document defined on its test driver,
    run in the system python, which has the bindings.  Keys starting ``network:`` or
    ``storagepool:`` name networks and pools, the rest domains (dumped inactive)."""
    with tempfile.TemporaryDirectory() as tmp:
        node = Path(tmp) / "empty.xml"
        node.write_text("<node/>\n")
        proc = subprocess.run(
            ["/usr/bin/python3", "-E", "-c", _LIBVIRT],
            input=json.dumps([docs, str(node)]),
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
    dumps: dict[str, str] = json.loads(proc.stdout)
    return dumps


def _pyvirt_dump(xml: str) -> str:
    dom = DomainDef.from_xml(xml, namespaces=())
    if dom.arch is None:
        dom.arch = "i686"  # the test driver's guest architecture
    name_interfaces(dom)
    return dom.to_xml(inactive=True)


def _same(got: str, expected: str) -> bool:
    return copy_generated(got, expected) == expected


def test_mutated_corpus_matches_libvirt(
    libvirt_dumps: tuple[dict[str, str], dict[str, str]], report: MatchReport
) -> None:
    docs, dumps = libvirt_dumps
    misses: list[str] = []
    for key, xml in docs.items():
        expected = dumps[key]
        try:
            got = _pyvirt_dump(xml)
        except Exception as exc:
            got = f"ERROR {exc}"
        if expected.startswith("ERROR") or got.startswith("ERROR"):
            ok = expected.startswith("ERROR") and got.startswith("ERROR")
        else:
            ok = _same(got, expected)
        reason = KNOWN.get(key) or KNOWN.get(key.split(":", 1)[0])
        report.record(
            "extra: mutated corpus vs real libvirt (byte-identical)", key, None if ok else reason or "differs"
        )
        if not ok and reason is None:
            misses.append(key)
    assert not misses, f"unexpected differences from libvirt: {misses}"


NET_POOL_MUTATIONS: dict[str, tuple[str, Callable[[etree._Element], object]]] = {
    "no-stp": (
        "network",
        lambda r: [(e.attrib.pop("stp", None), e.attrib.pop("delay", None)) for e in r.xpath("/network/bridge")],
    ),
    "no-bridge": ("network", lambda r: [e.getparent().remove(e) for e in r.xpath("/network/bridge")]),
    "no-forward-mode": ("network", lambda r: [e.attrib.pop("mode") for e in r.xpath("/network/forward[@mode='nat']")]),
    "no-uuid-mac": ("network", lambda r: [e.getparent().remove(e) for e in r.xpath("/network/uuid|/network/mac")]),
    "no-sizes": (
        "storagepool",
        lambda r: [e.getparent().remove(e) for e in r.xpath("/pool/capacity|/pool/allocation|/pool/available")],
    ),
    "no-permissions": ("storagepool", lambda r: [e.getparent().remove(e) for e in r.xpath("/pool/target/permissions")]),
    "no-source-format": ("storagepool", lambda r: [e.getparent().remove(e) for e in r.xpath("/pool/source/format")]),
}


def test_mutated_networks_and_pools_match_libvirt(
    libvirt_dumps: tuple[dict[str, str], dict[str, str]], report: MatchReport
) -> None:
    from pyvirt.xml.network import NetworkDef
    from pyvirt.xml.storagepool import PoolDef

    parser = etree.XMLParser(remove_blank_text=True)
    docs: dict[str, str] = {}
    for label, (kind, mutate) in NET_POOL_MUTATIONS.items():
        for path in corpus_files(kind, "*.in.xml"):
            root = etree.parse(str(path), parser).getroot()
            mutate(root)
            docs[f"{kind}:{path.name.removesuffix('.in.xml')}:{label}"] = etree.tostring(root, encoding="unicode")
    dumps = _libvirt_run(docs)
    misses = []
    for key, xml in docs.items():
        expected = dumps[key]
        if key.startswith("network"):
            got = NetworkDef.from_xml(xml, namespaces=()).to_xml()
        else:
            pool = PoolDef.from_xml(xml, namespaces=())
            pool.capacity = pool.available = 107374182400  # what the test driver reports
            pool.allocation = 0
            got = pool.to_xml()
        ok = _same(got, expected)
        report.record("extra: mutated networks/pools vs real libvirt (byte-identical)", key, None if ok else "differs")
        if not ok:
            misses.append(key)
    assert not misses, f"unexpected differences from libvirt: {misses}"
