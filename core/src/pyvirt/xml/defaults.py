"""Every default and normalisation libvirt applies at parse time, in one place.

libvirt's parser fills in what a document leaves out (a UUID, MAC addresses,
``<currentMemory>``, ``placement='static'``, ``on_poweroff``...) and converts what it can
write in several ways into the one way its formatter prints (units to KiB or bytes, lower-case
MACs, canonical CPU sets).  Doing all of that here, once, on the tree means the formatter never
needs to know about defaults and a dump defined again comes back byte for byte.

Only generic rules live here (what any libvirt driver, the test driver included, applies);
hypervisor-specific defaults (QEMU's implicit controllers, PCI addresses) belong to drivers.
"""

from __future__ import annotations

import os
import re
import uuid as _uuid
from collections.abc import Collection

from lxml import etree

from pyvirt.errors import XMLError
from pyvirt.xml.units import scaled_to

KIB = 1024

# -- shared helpers ------------------------------------------------------------------------

_UUID_HEX = re.compile(r"^[0-9a-fA-F]{32}$")


def canonical_uuid(value: str, *, line: int | None) -> str:
    """libvirt's UUID form: lower-case, dashed (it accepts dashes and spaces anywhere)."""
    compact = value.strip().replace("-", "").replace(" ", "")
    if not _UUID_HEX.match(compact):
        raise XMLError(f"XML error: malformed uuid element '{value}'", line=line)
    c = compact.lower()
    return f"{c[:8]}-{c[8:12]}-{c[12:16]}-{c[16:20]}-{c[20:]}"


def new_uuid() -> str:
    return str(_uuid.uuid4())


_MAC = re.compile(r"^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$")


def canonical_mac(value: str, *, line: int | None) -> str:
    """Lower-case, two digits per byte; multicast addresses are refused as libvirt does."""
    if not _MAC.match(value.strip()):
        raise XMLError(f"XML error: unable to parse mac address '{value}'", line=line)
    parts = [int(p, 16) for p in value.strip().split(":")]
    return ":".join(f"{p:02x}" for p in parts)


def new_mac(prefix: tuple[int, int, int] = (0x52, 0x54, 0x00)) -> str:
    """A random MAC in ``prefix`` (libvirt's QEMU/test prefix 52:54:00)."""
    tail = os.urandom(3)
    return ":".join(f"{b:02x}" for b in (*prefix, *tail))


def _int_attr(el: etree._Element, name: str, *, what: str | None = None) -> int | None:
    value = el.get(name)
    if value is None:
        return None
    try:
        return int(value, 0) if value.lower().startswith("0x") else int(value, 10)
    except ValueError:
        raise XMLError(
            f"XML error: Invalid value for attribute '{name}' in element '{what or el.tag}': '{value}'.",
            line=el.sourceline or None,
        ) from None


def _scale_text_to_kib(el: etree._Element, what: str) -> int:
    kib = scaled_to(
        el.text or "",
        el.get("unit"),
        out_unit=KIB,
        default_unit=KIB,
        what=what,
        line=el.sourceline or None,
    )
    el.text = str(kib)
    el.set("unit", "KiB")
    return kib


def parse_bitmap(text: str, *, what: str, line: int | None) -> list[int]:
    """A libvirt CPU/node set (``0-3,^2,5``) as sorted numbers."""
    include: set[int] = set()
    exclude: set[int] = set()
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            raise XMLError(f"XML error: Invalid value '{text}' for {what}", line=line)
        target = include
        if part.startswith("^"):
            target, part = exclude, part[1:]
        try:
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if lo > hi or lo < 0:
                    raise ValueError
                target.update(range(lo, hi + 1))
            else:
                n = int(part)
                if n < 0:
                    raise ValueError
                target.add(n)
        except ValueError:
            raise XMLError(f"XML error: Invalid value '{text}' for {what}", line=line) from None
    return sorted(include - exclude)


def format_bitmap(numbers: list[int]) -> str:
    """libvirt's compact form: ranges joined by commas, no exclusions."""
    out: list[str] = []
    i = 0
    while i < len(numbers):
        j = i
        while j + 1 < len(numbers) and numbers[j + 1] == numbers[j] + 1:
            j += 1
        out.append(str(numbers[i]) if i == j else f"{numbers[i]}-{numbers[j]}")
        i = j + 1
    return ",".join(out)


def _normalize_bitmap_attr(el: etree._Element, name: str, what: str) -> None:
    value = el.get(name)
    if value is not None and ("^" in value or " " in value):
        el.set(name, format_bitmap(parse_bitmap(value, what=what, line=el.sourceline or None)))


def _ensure_child(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = parent.find(tag)
    if el is None:
        el = etree.SubElement(parent, tag)
        if text is not None:
            el.text = text
        for k, v in attrs.items():
            el.set(k, v)
    return el


# -- domain --------------------------------------------------------------------------------

_DOMAIN_KIB_ELEMENTS = ("maxMemory", "memory", "currentMemory")
_MEMTUNE = ("hard_limit", "soft_limit", "swap_hard_limit", "min_guarantee")
_BLKIO_TUNE = ()


def domain_defaults(root: etree._Element, namespaces: Collection[str] | None) -> int | None:
    """Apply libvirt's generic domain parse-time defaults to ``root``; return its live ``id``.

    The ``id`` attribute is taken off the tree because it is not part of the definition: the
    formatter adds the current one (or none) when dumping.
    """
    live_id: int | None = None
    raw_id = root.attrib.pop("id", None)
    if raw_id is not None:
        try:
            live_id = int(raw_id)
        except ValueError:
            raise XMLError(f"XML error: invalid domain id '{raw_id}'", line=root.sourceline or None) from None
        if live_id < 0:
            live_id = None
    if namespaces is not None:
        _drop_foreign_namespaces(root, namespaces)

    # identity
    uuid_el = root.find("uuid")
    if uuid_el is None:
        uuid_el = etree.SubElement(root, "uuid")
        uuid_el.text = new_uuid()
    else:
        uuid_el.text = canonical_uuid(uuid_el.text or "", line=uuid_el.sourceline or None)

    # memory
    for tag in _DOMAIN_KIB_ELEMENTS:
        el = root.find(tag)
        if el is not None:
            _scale_text_to_kib(el, tag)
    memory = root.find("memory")
    numa_total = _numa_memory(root)
    if memory is None and numa_total:
        memory = etree.SubElement(root, "memory", unit="KiB")
        memory.text = str(numa_total)
    elif memory is not None and numa_total and int(memory.text or 0) != numa_total:
        memory.text = str(numa_total)
    if memory is None or int(memory.text or 0) == 0:
        raise XMLError(
            "XML error: Memory size must be specified via <memory> or in the <numa> configuration",
            line=root.sourceline or None,
        )
    current = root.find("currentMemory")
    if current is None:
        current = etree.SubElement(root, "currentMemory", unit="KiB")
        current.text = memory.text
    elif int(current.text or 0) > int(memory.text or 0) or int(current.text or 0) == 0:
        current.text = memory.text
    memtune = root.find("memtune")
    if memtune is not None:
        for tag in _MEMTUNE:
            el = memtune.find(tag)
            if el is not None:
                _scale_text_to_kib(el, tag)

    # vcpus
    vcpu = root.find("vcpu")
    if vcpu is None:
        vcpu = etree.SubElement(root, "vcpu")
        vcpu.text = "1"
    if vcpu.get("placement") is None:
        vcpu.set("placement", "auto" if root.find("numatune/memory[@placement='auto']") is not None else "static")
    maximum = int((vcpu.text or "1").strip())
    cur = vcpu.get("current")
    if cur is not None and int(cur) >= maximum:
        del vcpu.attrib["current"]

    # lifecycle
    for tag, value in (("on_poweroff", "destroy"), ("on_reboot", "restart"), ("on_crash", "destroy")):
        _ensure_child(root, tag, value)
    if root.find("clock") is None:
        etree.SubElement(root, "clock", offset="utc")

    _os_defaults(root)
    devices = root.find("devices")
    if devices is not None:
        _device_defaults(root, devices)
    return live_id


def _drop_foreign_namespaces(root: etree._Element, keep: Collection[str]) -> None:
    removed = False
    for child in list(root):
        tag = child.tag
        if isinstance(tag, str) and tag.startswith("{") and tag[1 : tag.index("}")] not in keep:
            root.remove(child)
            removed = True
    if removed or root.nsmap:
        etree.cleanup_namespaces(root)


def _numa_memory(root: etree._Element) -> int:
    total = 0
    for cell in root.iterfind("cpu/numa/cell"):
        mem = cell.get("memory")
        if mem is None:
            continue
        kib = scaled_to(mem, cell.get("unit"), out_unit=KIB, default_unit=KIB, what="cell", line=cell.sourceline)
        cell.set("memory", str(kib))
        cell.set("unit", "KiB")
        total += kib
    return total


def _os_defaults(root: etree._Element) -> None:
    os_el = root.find("os")
    if os_el is None:
        return
    os_type = os_el.findtext("type")
    if os_type == "hvm" and os_el.find("boot") is None and os_el.find("kernel") is None:
        if root.find("devices//boot[@order]") is None:
            etree.SubElement(os_el, "boot", dev="hd")


def _device_defaults(root: etree._Element, devices: etree._Element) -> None:
    for iface in devices.iterchildren("interface"):
        mac = iface.find("mac")
        if mac is None:
            mac = etree.SubElement(iface, "mac")
            mac.set("address", new_mac())
        else:
            mac.set("address", canonical_mac(mac.get("address", ""), line=mac.sourceline or None))


# -- live-only state ------------------------------------------------------------------------

_LIVE_ONLY = etree.XPath(
    "//source/@index | //backingStore/@index | //devices/disk/mirror | //interface/source/@portid"
    " | //cputune/cachetune/@id | //cputune/memorytune/@id"
)


def strip_live_only(root: etree._Element) -> etree._Element:
    """A copy of ``root`` without what only a running instance has (libvirt's INACTIVE form)."""
    found = _LIVE_ONLY(root)
    if not found:
        return root
    import copy

    clone = copy.deepcopy(root)
    for item in _LIVE_ONLY(clone):
        if isinstance(item, etree._Element):
            parent = item.getparent()
            if parent is not None:
                parent.remove(item)
        else:
            owner = item.getparent()
            if owner is not None:
                del owner.attrib[item.attrname]
    return clone


# -- network -------------------------------------------------------------------------------

_LIBVIRT_BRIDGED = ("nat", "route", "open", None)


def network_defaults(root: etree._Element, namespaces: Collection[str] | None) -> None:
    """libvirt's network parse-time defaults (generic parser, no driver)."""
    if namespaces is not None:
        _drop_foreign_namespaces(root, namespaces)
    uuid_el = root.find("uuid")
    if uuid_el is None:
        uuid_el = etree.SubElement(root, "uuid")
        uuid_el.text = new_uuid()
    else:
        uuid_el.text = canonical_uuid(uuid_el.text or "", line=uuid_el.sourceline or None)
    if root.get("ipv6") == "no":
        del root.attrib["ipv6"]
    for mac in root.iterfind("mac"):
        mac.set("address", canonical_mac(mac.get("address", ""), line=mac.sourceline or None))
    forward = root.find("forward")
    mode: str | None = None
    if forward is not None:
        mode = forward.get("mode")
        if mode is None:
            mode = "nat"
            forward.set("mode", mode)
        dev = forward.get("dev")
        ifaces = forward.findall("interface")
        if dev is not None and not ifaces and forward.find("pf") is None and forward.find("address") is None:
            etree.SubElement(forward, "interface", dev=dev)
        elif dev is None and ifaces and mode in ("nat", "route", "open"):
            first = ifaces[0].get("dev")
            if first:
                forward.set("dev", first)
        if forward.find("nat") is not None and mode != "nat":
            pass
    bridge = root.find("bridge")
    if mode in _LIBVIRT_BRIDGED and bridge is not None:
        if bridge.get("stp") is None:
            bridge.set("stp", "on")
        if bridge.get("delay") is None:
            bridge.set("delay", "0")
    for host in root.iterfind("ip/dhcp/host"):
        mac = host.get("mac")
        if mac is not None:
            host.set("mac", canonical_mac(mac, line=host.sourceline or None))


# -- storage -------------------------------------------------------------------------------


def _bytes_element(parent: etree._Element, tag: str, *, default: int | None) -> int | None:
    el = parent.find(tag)
    if el is None:
        if default is None:
            return None
        el = etree.SubElement(parent, tag)
        el.text = str(default)
        el.set("unit", "bytes")
        return default
    value = scaled_to(
        el.text or "", el.get("unit"), out_unit=1, default_unit=1, what=tag, line=el.sourceline or None
    )
    el.text = str(value)
    el.set("unit", "bytes")
    return value


def clean_path(path: str) -> str:
    """libvirt's path clean-up: repeated slashes collapsed, trailing slash removed."""
    if "//" in path or (path.endswith("/") and len(path) > 1):
        lead = "//" if path.startswith("//") and not path.startswith("///") else ""
        body = re.sub("/{2,}", "/", path)
        if len(body) > 1:
            body = body.rstrip("/") or "/"
        return lead + body.lstrip("/") if lead else body
    return path


def _permissions(perms: etree._Element, *, file_mode_default: str | None = None) -> None:
    for tag in ("owner", "group"):
        el = perms.find(tag)
        if el is None:
            continue
        text = (el.text or "").strip()
        try:
            number = int(text, 10)
        except ValueError:
            raise XMLError(f"XML error: malformed {tag} element", line=el.sourceline or None) from None
        if number in (-1, 2**32 - 1):
            perms.remove(el)
        else:
            el.text = str(number)
    mode = perms.find("mode")
    if mode is not None:
        text = (mode.text or "").strip()
        try:
            number = int(text, 8)
        except ValueError:
            raise XMLError("XML error: malformed octal mode", line=mode.sourceline or None) from None
        if number < 0 or number > 0o777:
            raise XMLError("XML error: malformed octal mode", line=mode.sourceline or None)
        mode.text = "0" + format(number, "o")


_POOL_FORMAT_DEFAULTS = {"logical": "lvm2", "fs": "auto", "netfs": "auto", "disk": "unknown"}


def pool_defaults(root: etree._Element) -> None:
    """libvirt's storage pool parse-time defaults."""
    uuid_el = root.find("uuid")
    if uuid_el is None:
        uuid_el = etree.SubElement(root, "uuid")
        uuid_el.text = new_uuid()
    else:
        uuid_el.text = canonical_uuid(uuid_el.text or "", line=uuid_el.sourceline or None)
    for tag in ("capacity", "allocation", "available"):
        _bytes_element(root, tag, default=0)
    pool_type = root.get("type", "")
    source = root.find("source")
    if source is None:
        source = etree.SubElement(root, "source")
    fmt = _POOL_FORMAT_DEFAULTS.get(pool_type)
    if fmt is not None and source.find("format") is None:
        etree.SubElement(source, "format", type=fmt)
    if len(source) == 0 and not source.attrib:
        source.text = "\n  "  # libvirt prints an empty pool source as an open/close pair
    for dev in source.iterfind("device"):
        for ext in dev.findall("freeExtent"):
            dev.remove(ext)
    target = root.find("target")
    if target is not None:
        path = target.find("path")
        if path is not None and path.text:
            path.text = clean_path(path.text.strip())
        perms = target.find("permissions")
        if perms is not None:
            _permissions(perms)


_VOL_TYPE_BY_POOL = {
    "dir": "file",
    "fs": "file",
    "netfs": "file",
    "logical": "block",
    "disk": "block",
    "iscsi": "block",
    "iscsi-direct": "network",
    "scsi": "block",
    "mpath": "block",
    "rbd": "network",
    "sheepdog": "network",
    "gluster": "network",
    "zfs": "block",
    "vstorage": "file",
}


def vol_defaults(root: etree._Element, pool_type: str, *, no_capacity: bool) -> None:
    """libvirt's volume parse-time defaults; the pool decides the type and format."""
    if root.get("type") is None:
        vtype = _VOL_TYPE_BY_POOL.get(pool_type)
        if vtype is not None:
            root.set("type", vtype)
    # <source> of a volume is output-only (extents of a logical volume): libvirt ignores it.
    for src in root.findall("source"):
        root.remove(src)
    cap = root.find("capacity")
    if cap is None and not no_capacity:
        raise XMLError("XML error: missing capacity element", line=root.sourceline or None)
    capacity = _bytes_element(root, "capacity", default=None)
    allocation = root.find("allocation")
    if allocation is None and capacity is not None and pool_type not in ("dir", "fs", "netfs"):
        _bytes_element(root, "allocation", default=capacity)
    else:
        _bytes_element(root, "allocation", default=0 if capacity is not None else None)
    for target in (root.find("target"), *root.findall("backingStore")):
        if target is None:
            continue
        if target.tag == "target" and pool_type in ("dir", "fs", "netfs", "vstorage"):
            if target.find("format") is None:
                etree.SubElement(target, "format", type="raw")
        for stamps in target.findall("timestamps"):
            target.remove(stamps)
        perms = target.find("permissions")
        if perms is not None:
            _permissions(perms)
