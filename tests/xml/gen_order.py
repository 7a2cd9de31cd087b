"""Regenerate ``core/src/pyvirt/xml/_order.py`` from libvirt's own output documents.

libvirt formats every document from its C structures, so the order of child elements and of
attributes in its outputs is fixed per element.  This script reads that order off libvirt's
outputs in the corpus (``*.out.xml``, ``*.testdriver.xml``, the test driver's default state),
off real libvirt's dumps of probe documents (``libvirt-probes/``, see probe_libvirt.py) and of
all of libvirt's test documents (``tests/data/libvirt-xml``, see gen_libvirt_data.py),
merges the orders seen for each element path into one total order (a topological sort of
"seen before" pairs, first-seen wins on conflicts) and writes the tables as Python literals.
It reads data, not code; run it when the corpus grows:

    .venv/bin/python tests/xml/gen_order.py [CORPUS]
"""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "core" / "src" / "pyvirt" / "xml" / "_order.py"


def element_key(path: list[str]) -> str:
    """Element path with repeated segments collapsed (backing chains nest arbitrarily)."""
    out: list[str] = []
    for seg in path:
        if not out or out[-1] != seg:
            out.append(seg)
    return "/".join(out)


VARIANTS = {("interface", "hostdev")}
"""Elements whose formatter orders children by their ``type`` (libvirt prints a hostdev
interface's ``<driver>`` with the host device, before ``<source>``): keyed ``PATH@TYPE``."""


DOCUMENT_ORDER = {
    "domain/cpu/numa/interconnects": "numa_conf.c reads ./latency|./bandwidth as one node set, kept in document order",
}
"""Elements whose children of different names libvirt reads into one list, in the document's
order, and prints back in that order: no table, so the sort leaves them as written."""


def variant(el: etree._Element) -> str:
    kind = el.get("type")
    return f"@{kind}" if (el.tag, kind) in VARIANTS else ""


# Orders libvirt documents but the corpus cannot show (items never seen side by side).
OVERRIDES: dict[str, tuple[str, ...]] = {
    # storage_conf.c virStorageVolTargetDefFormat; the features in virStorageFileFeature's order
    "volume/target": (
        "path",
        "format",
        "permissions",
        "timestamps",
        "encryption",
        "compat",
        "clusterSize",
        "features",
    ),
    "volume/target/features": ("lazy_refcounts", "extended_l2"),
    "domain/resource": ("partition", "fibrechannel"),  # virDomainResourceDefFormat
    # network_conf.c virNetworkDefFormatBuf
    "network": (
        "name",
        "uuid",
        "metadata",
        "forward",
        "bridge",
        "mtu",
        "mac",
        "domain",
        "dns",
        "vlan",
        "bandwidth",
        "port",
        "ip",
        "route",
        "virtualport",
        "portgroup",
    ),
    "network/portgroup": ("vlan", "virtualport", "bandwidth"),  # virPortGroupDefFormat
    "network/forward": ("driver", "nat", "pf", "interface", "address"),
    # storage_conf.c virStoragePoolDefFormatBuf, virStoragePoolSourceFormat
    "pool": ("name", "uuid", "capacity", "allocation", "available", "features", "source", "target", "refresh"),
    "pool/source": (
        "host",
        "device",
        "dir",
        "adapter",
        "name",
        "initiator",
        "format",
        "auth",
        "protocol",
        "vendor",
        "product",
    ),
    # network_conf.c virNetworkDNSDefFormat
    "network/dns": ("forwarder", "txt", "srv", "host"),
    "domain": (
        "name",
        "uuid",
        "genid",
        "title",
        "description",
        "metadata",
        "maxMemory",
        "memory",
        "currentMemory",
        "blkiotune",
        "memtune",
        "memoryBacking",
        "vcpu",
        "vcpus",
        "iothreads",
        "iothreadids",
        "defaultiothread",
        "cputune",
        "numatune",
        "resource",
        "sysinfo",
        "bootloader",
        "bootloader_args",
        "os",
        "idmap",
        "features",
        "cpu",
        "clock",
        "on_poweroff",
        "on_reboot",
        "on_crash",
        "on_lockfailure",
        "pm",
        "perf",
        "devices",
        "seclabel",
        "keywrap",
        "launchSecurity",
    ),
    "domain/blkiotune/device": (
        "path",
        "weight",
        "read_iops_sec",
        "write_iops_sec",
        "read_bytes_sec",
        "write_bytes_sec",
    ),
    "domain/os": (
        "type",
        "firmware",
        "loader",
        "nvram",
        "kernel",
        "initrd",
        "cmdline",
        "shim",
        "dtb",
        "root",
        "init",
        "initarg",
        "initenv",
        "initdir",
        "inituser",
        "initgroup",
        "acpi",
        "boot",
        "bootmenu",
        "bios",
        "smbios",
    ),
    # virDomainChrDefFormat: the source part (virDomainChrSourceDefFormat: <source>, <protocol>,
    # <log>), the target, then virDomainDeviceInfoFormat (<boot>, <alias>, ..., <address>)
    **{
        f"domain/devices/{tag}": ("source", "protocol", "log", "target", "alias", "address")
        for tag in ("serial", "parallel", "console", "channel")
    },
    # virDomainDefFormatFeatures prints features in virDomainFeature's enum order
    "domain/features": (
        "acpi",
        "apic",
        "pae",
        "hap",
        "viridian",
        "privnet",
        "hyperv",
        "kvm",
        "pvspinlock",
        "capabilities",
        "pmu",
        "vmport",
        "gic",
        "smm",
        "ioapic",
        "hpt",
        "vmcoreinfo",
        "htm",
        "nested-hv",
        "msrs",
        "ccf-assist",
        "xen",
        "cfpc",
        "sbbc",
        "ibs",
        "tcg",
    ),
    # virDomainFSDefFormat: <readonly/> before the device info, the space limits after it
    "domain/devices/filesystem": (
        "driver",
        "binary",
        "source",
        "target",
        "readonly",
        "boot",
        "alias",
        "address",
        "space_hard_limit",
        "space_soft_limit",
    ),
    "domain/devices/redirdev": ("source", "protocol", "log", "boot", "alias", "address"),
    "domain/devices/smartcard": ("certificate", "database", "source", "protocol", "log", "alias", "address"),
    "domain/devices": (
        "emulator",
        "disk",
        "controller",
        "lease",
        "filesystem",
        "interface",
        "smartcard",
        "serial",
        "parallel",
        "console",
        "channel",
        "input",
        "tpm",
        "graphics",
        "sound",
        "audio",
        "video",
        "hostdev",
        "redirdev",
        "redirfilter",
        "hub",
        "watchdog",
        "memballoon",
        "rng",
        "nvram",
        "panic",
        "shmem",
        "memory",
        "iommu",
        "vsock",
        "crypto",
    ),
}


ATTR_OVERRIDES: dict[str, tuple[str, ...]] = {
    # virDomainFSDefFormat's order, which the dumps never show whole
    "domain/devices/filesystem": ("type", "accessmode", "model", "multidevs", "fmode", "dmode"),
    "domain/devices/filesystem/driver": ("type", "format", "wrpolicy", "queue"),
    # virDomainDiskDefFormatDriver, then virDomainVirtioOptionsFormat
    "domain/devices/disk/driver": (
        "name",
        "type",
        "cache",
        "error_policy",
        "rerror_policy",
        "io",
        "ioeventfd",
        "event_idx",
        "copy_on_read",
        "discard",
        "iothread",
        "detect_zeroes",
        "queues",
        "queue_size",
        "iommu",
        "ats",
        "packed",
        "page_per_vq",
    ),
    # virDomainControllerDriverFormat, then virDomainVirtioOptionsFormat
    "domain/devices/controller/driver": (
        "queues",
        "cmd_per_lun",
        "max_sectors",
        "ioeventfd",
        "iothread",
        "iommu",
        "ats",
        "packed",
        "page_per_vq",
    ),
    "domain/devices/iommu/driver": ("intremap", "caching_mode", "eim", "iotlb", "aw_bits"),  # virDomainIOMMUDefFormat
    "domain/devices/video/model": (
        "type",
        "ram",
        "vram",
        "vram64",
        "vgamem",
        "heads",
        "primary",
    ),  # virDomainVideoDefFormat
}
"""Attribute orders libvirt's formatter fixes but the dumps cannot show (never side by side)."""


def merge(sequences: list[list[str]]) -> list[str]:
    """One order consistent with as many observed sequences as possible.

    Items never seen side by side are ordered by their mean relative position.
    """
    pos: dict[str, list[float]] = defaultdict(list)
    for seq in sequences:
        for i, item in enumerate(seq):
            pos[item].append(i / max(len(seq) - 1, 1))
    first_seen: dict[str, float] = {}
    before: dict[str, set[str]] = defaultdict(set)
    for seq in sequences:
        for item in seq:
            first_seen.setdefault(item, sum(pos[item]) / len(pos[item]))
        for i, a in enumerate(seq):
            for b in seq[i + 1 :]:
                if a != b and a not in before[b]:
                    before[a].add(b)
    # drop edges that contradict an earlier-added one (cycles): keep a before b if both exist
    # and a was seen first.
    for a in list(before):
        for b in list(before[a]):
            if a in before.get(b, set()) and (first_seen[a], a) > (first_seen[b], b):
                before[a].discard(b)

    def rank(item: str) -> tuple[float, str]:
        return (first_seen[item], item)  # the name breaks ties: the same tables on every run

    indeg = {x: 0 for x in first_seen}
    for bs in before.values():
        for b in bs:
            indeg[b] += 1
    order: list[str] = []
    ready = sorted((x for x, d in indeg.items() if d == 0), key=rank)
    while ready:
        x = ready.pop(0)
        order.append(x)
        for b in sorted(before.get(x, ()), key=rank):
            indeg[b] -= 1
            if indeg[b] == 0:
                ready.append(b)
        ready.sort(key=rank)
    rest = [x for x in first_seen if x not in order]
    return order + sorted(rest, key=rank)


def tables(
    corpus: Path, leave_out: frozenset[str] = frozenset()
) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(child order, attribute order) per element path, read off libvirt's outputs; dumps of the
    libvirt test documents named in ``leave_out`` are not read (holdout.py measures with them)."""
    files = sorted(corpus.glob("*/*.out.xml")) + sorted(corpus.glob("*/*.testdriver.xml"))
    files += sorted((corpus / "testdriver" / "default-state").glob("*.xml"))
    # real libvirt's dumps of documents holding many optional children at once (probe_libvirt.py)
    files += sorted((Path(__file__).resolve().parent / "libvirt-probes").glob("*.xml"))
    # real libvirt's dumps of every document of its own test data (gen_libvirt_data.py)
    files += sorted(
        f
        for f in (REPO / "tests" / "data" / "libvirt-xml").glob("*/*.dump.xml")
        if f.name.removesuffix(".dump.xml") not in leave_out
    )
    children: dict[str, list[list[str]]] = defaultdict(list)
    attrs: dict[str, list[list[str]]] = defaultdict(list)
    parser = etree.XMLParser(remove_blank_text=True, remove_comments=True)

    def walk(el: etree._Element, path: list[str]) -> None:
        if not isinstance(el.tag, str) or el.tag.startswith("{"):
            return
        here = [*path, el.tag]
        key = element_key(here) + variant(el)
        if el.attrib:
            attrs[key].append([str(a) for a in el.attrib if not str(a).startswith("{")])
        seq: list[str] = []
        for child in el:
            if isinstance(child.tag, str) and not child.tag.startswith("{"):
                if not seq or seq[-1] != child.tag:
                    seq.append(child.tag)
                walk(child, here)
        if seq:
            children[key].append(seq)

    for f in files:
        walk(etree.parse(str(f), parser).getroot(), [])
    child_order: dict[str, tuple[str, ...]] = {}
    for key in sorted((set(children) | set(OVERRIDES)) - set(DOCUMENT_ORDER)):
        fixed = OVERRIDES.get(key, ())
        order = (*fixed, *(x for x in merge(children[key]) if x not in fixed))
        if len(order) > 1:
            child_order[key] = with_alias(key, order)
    attr_order: dict[str, tuple[str, ...]] = {}
    schema = schema_attribute_order()
    for key in sorted(set(attrs) | set(schema)):
        merged = with_schema_fallback(merge(attrs[key]) if key in attrs else [], schema.get(key.partition("@")[0], []))
        fixed = ATTR_OVERRIDES.get(key, ())
        merged = [*fixed, *(name for name in merged if name not in fixed)]
        if len(merged) > 1:
            attr_order[key] = tuple(merged)
    return child_order, attr_order


def with_alias(key: str, order: tuple[str, ...]) -> tuple[str, ...]:
    """A device's ``<alias>`` goes before its ``<address>`` (virDomainDeviceInfoFormat prints
    both, the alias first) where the dumps never showed the two side by side."""
    if key.count("/") != 2 or not key.startswith("domain/devices/") or "address" not in order or "alias" in order:
        return order
    at = order.index("address")
    return (*order[:at], "alias", *order[at:])


def schema_attribute_order() -> dict[str, list[str]]:
    """Path -> attribute names in the schemas' order, for every document kind (gen_known.py)."""
    from gen_known import TOPS, Grammar, attribute_order

    order: dict[str, list[str]] = {}
    for top in TOPS.values():
        order.update(attribute_order(Grammar(top)))
    return order


def with_schema_fallback(learned: list[str], schema: list[str]) -> list[str]:
    """``learned`` (libvirt's order as its dumps show it) followed by the attributes they never
    show, in the schema's order: the stated fallback for attributes no dump holds.  At the end,
    not next to their schema neighbours: libvirt's formatters print later additions last, and
    measured on held-out test data (holdout.py) the end is right more often."""
    return [*learned, *(name for name in schema if name not in learned)]


def main() -> None:
    corpus = Path(
        sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PYVIRT_CORPUS", REPO.parent / "shared" / "corpus")
    )
    child_order, attr_order = tables(corpus)
    lines = [
        '"""Element and attribute order of libvirt\'s formatter, per element path.',
        "",
        "Generated by tests/xml/gen_order.py from libvirt 9.0.0's output documents; do not edit.",
        "Keys are element paths with repeated segments collapsed; values list names in order.",
        '"""',
        "",
        "CHILD_ORDER: dict[str, tuple[str, ...]] = {",
    ]
    lines += [f"    {key!r}: {order!r}," for key, order in child_order.items()]
    lines += ["}", "", "ATTR_ORDER: dict[str, tuple[str, ...]] = {"]
    lines += [f"    {key!r}: {order!r}," for key, order in attr_order.items()]
    lines.append("}")
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT}: {len(child_order)} element paths, {len(attr_order)} attribute paths")


if __name__ == "__main__":
    main()
