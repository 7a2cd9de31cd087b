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
from collections.abc import Callable, Collection, Iterable
from typing import cast

from lxml import etree

from pyvirt import uuids
from pyvirt.errors import ErrorCode, XMLError
from pyvirt.xml import addresses, implicit, netdev, scaled, storage_rules
from pyvirt.xml.known import Found
from pyvirt.xml.parser import children as _children
from pyvirt.xml.parser import line_of, select
from pyvirt.xml.units import scaled_to

_items = cast("Callable[[etree._Element], list[tuple[str, str]]]", etree._Element.items)
"""lxml's ``items`` typed for str trees: all attributes in one read, cheaper than a lookup
for each of three or more names."""

_copy = cast("Callable[[etree._Element], etree._Element]", etree._Element.__copy__)  # type: ignore[attr-defined]
"""lxml's copy of an element (with its children, as ``copy.deepcopy`` makes, without that
function's memo): see :func:`_append_copy`."""

_LONG = 12
"""Children past which :func:`_first` leaves the search to lxml's C loop."""


def _first(el: etree._Element, tag: str) -> etree._Element | None:
    """``el``'s first child named ``tag``: :func:`pyvirt.xml.parser.first_child` over the slice
    of the children (the rules look up a child for most elements they visit, and the slice is
    cheaper than counting and then iterating the children)."""
    children = _children(el)
    if len(children) > _LONG:
        return next(el.iterchildren(tag), None)
    for child in children:
        if child.tag == tag:
            return child
    return None


def _template(tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    """An element the defaults add, made once: built with :func:`etree.Element`, so it has no
    source line and :func:`pyvirt.xml.parser.line_of` says None for its copies too."""
    el = etree.Element(tag, attrs)
    el.text = text
    return el


def _append_copy(parent: etree._Element, template: etree._Element) -> etree._Element:
    """Append a copy of ``template`` to ``parent`` and return it.  lxml checks the name of each
    element and attribute it creates (~2.5k instructions a name) but not those of a copy, so an
    added ``<vcpu placement='static'>1</vcpu>`` costs half as much copied as built."""
    el = _copy(template)
    parent.append(el)
    return el


def made(tag: str, **attrs: str) -> etree._Element:
    """A new ``<tag attrs/>``: a copy (see :func:`_append_copy`) of a template kept per tag and
    attribute values, for the elements the defaults add with computed values (implicit drive
    addresses and controllers; a document repeats a few of them) and drivers' post-parse
    steps (the test driver's ``<target dev='testnetN'/>``)."""
    key = (tag, *attrs.items())
    template = _MADE.get(key)
    if template is None:
        if len(_MADE) > _MADE_LIMIT:
            _MADE.clear()
        template = _MADE[key] = _template(tag, **attrs)
    return _copy(template)


_MADE: dict[tuple[object, ...], etree._Element] = {}
_MADE_LIMIT = 1_000


KIB = 1024
_UNLIMITED_KIB = 9007199254740991
"""VIR_DOMAIN_MEMORY_PARAM_UNLIMITED: a memtune limit this large means none."""


# -- shared helpers ------------------------------------------------------------------------


def canonical_uuid(value: str, *, line: int | None) -> str:
    """libvirt's UUID form (:func:`pyvirt.uuids.canonical`), or libvirt's error for a bad one."""
    found = uuids.canonical(value)
    if found is None:
        raise XMLError(f"XML error: malformed uuid element '{value}'", line=line)
    return found


def new_uuid() -> str:
    """A random (version 4) UUID, without importing :mod:`uuid` (which costs ~2 ms at start)."""
    h = os.urandom(16).hex()
    # version 4 in the high digit of byte 6; the RFC 4122 variant (10xx) in the high bits of byte 8
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}
"""A byte's high hex digit with its top two bits set to 10 (the digit's low two bits kept)."""


def _uuid_default(root: etree._Element, uuid_el: etree._Element | None) -> None:
    """libvirt's ``<uuid>`` rule for domains, networks and pools: a random UUID when the
    document has none, else its own in the canonical form."""
    if uuid_el is None:
        _append_copy(root, _UUID).text = new_uuid()
        return
    text = uuid_el.text or ""
    found = uuids.canonical(text)
    if found is None:
        found = canonical_uuid(text, line=line_of(uuid_el))  # raises libvirt's error
    if found != text:
        uuid_el.text = found


_UUID = _template("uuid")


_MAC = re.compile(r"^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$")


def _is_canonical_mac(value: str) -> bool:
    """Whether ``value`` already is libvirt's printed form (``[0-9a-f]{2}(:[0-9a-f]{2}){5}``),
    tested with string methods: a regular expression costs several times more, and most
    documents give their MACs in this form."""
    if len(value) != 17 or value[2::3] != ":::::":
        return False
    digits = value.replace(":", "")
    return len(digits) == 12 and not digits.strip("0123456789abcdef")


def canonical_mac(value: str, *, line: int | None) -> str:
    """Lower-case, two digits per byte, as libvirt prints MAC addresses."""
    if _is_canonical_mac(value):
        return value
    if not _MAC.match(value.strip()):
        raise XMLError(f"XML error: unable to parse mac address '{value}'", line=line)
    parts = [int(p, 16) for p in value.strip().split(":")]
    return ":".join(f"{p:02x}" for p in parts)


def new_mac(prefix: tuple[int, int, int] = (0x52, 0x54, 0x00)) -> str:
    """A random MAC in ``prefix`` (libvirt's QEMU/test prefix 52:54:00)."""
    tail = os.urandom(3)
    return ":".join(f"{b:02x}" for b in (*prefix, *tail))


def _int_attr(el: etree._Element, name: str, value: str) -> int:
    """``value`` of ``el``'s attribute ``name`` as libvirt reads it (decimal, or hex after 0x)."""
    try:
        return int(value, 0) if value.lower().startswith("0x") else int(value, 10)
    except ValueError:
        raise XMLError(
            f"XML error: Invalid value for attribute '{name}' in element '{el.tag}': '{value}'.",
            line=line_of(el),
        ) from None


def _scale_text_to_kib(el: etree._Element, what: str) -> int:
    text = el.text
    unit = el.get("unit")
    if text is not None and text.isdigit() and text.isascii():
        if unit == "KiB":
            return int(text)  # already libvirt's form
        if unit is None and len(text) <= _PLAIN_KIB_DIGITS:
            kib = int(text)  # KiB is the default unit: only the unit (and leading zeros) to settle
            if str(kib) != text:
                el.text = str(kib)
            el.set("unit", "KiB")
            return kib
    kib = scaled_to(
        text or "",
        unit,
        out_unit=KIB,
        default_unit=KIB,
        what=what,
        line=line_of(el),
    )
    el.text = str(kib)
    el.set("unit", "KiB")
    return kib


_PLAIN_KIB_DIGITS = 15
"""Digits of a KiB count that cannot pass :func:`pyvirt.xml.units.scaled_to`'s limit (2**64 - 1
bytes), so need none of its checks."""


MAX_BITMAP_BIT = 65535
"""Largest CPU/node number accepted in a set: bounds the memory a hostile ``0-4294967295`` costs."""

MAX_VCPUS = 16384
"""Largest vCPU count for which pyvirt lists vCPUs one by one (libvirt's own limits are lower)."""


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
            if not all(x.isdigit() and x.isascii() for x in part.split("-", 1)):
                raise ValueError  # virBitmapParse wants a digit where each number starts
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if lo > hi or lo < 0 or hi > MAX_BITMAP_BIT:
                    raise ValueError
                target.update(range(lo, hi + 1))
            else:
                n = int(part)
                if n < 0 or n > MAX_BITMAP_BIT:
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


_LEADING_ZERO = re.compile(r"(?:^|[,\-^])0[0-9]")


def _normalize_bitmap_attr(el: etree._Element, name: str, what: str) -> None:
    value = el.get(name)
    if value is not None and ("^" in value or " " in value or _LEADING_ZERO.search(value)):
        el.set(name, format_bitmap(parse_bitmap(value, what=what, line=line_of(el))))


# -- domain --------------------------------------------------------------------------------

_DOMAIN_KIB_ELEMENTS = ("maxMemory", "memory", "currentMemory")
_MEMTUNE = ("hard_limit", "soft_limit", "swap_hard_limit", "min_guarantee")


def children_by_tag(el: etree._Element) -> dict[str, list[etree._Element]]:
    """``el``'s children grouped by tag in one pass (cheaper than one search per tag).

    The children are read as a slice, which lxml builds in one C loop (iterating the element
    costs a call per child), and a tag is only tested for being a name (not a comment's or a
    processing instruction's) when first seen."""
    groups: dict[str, list[etree._Element]] = {}
    for child in _children(el):
        tag = child.tag
        found = groups.get(tag)
        if found is not None:
            found.append(child)
        elif isinstance(tag, str):
            groups[tag] = [child]
    return groups


Groups = dict[str, list[etree._Element]]


def index(root: etree._Element) -> tuple[Groups, Groups]:
    """Children of ``<domain>`` and of its ``<devices>`` by tag: the checks and the defaults
    both start from them, so a parse builds them once."""
    top = children_by_tag(root)
    devices = top.get("devices")
    return top, (children_by_tag(devices[0]) if devices else {})


def domain_defaults(
    root: etree._Element,
    namespaces: Collection[str] | None,
    groups: tuple[Groups, Groups] | None = None,
    found: Found | None = None,
) -> int | None:
    """Apply libvirt's generic domain parse-time defaults to ``root``; return its live ``id``.

    The ``id`` attribute is taken off the tree because it is not part of the definition: the
    formatter adds the current one (or none) when dumping.  ``groups`` are the children of
    ``<domain>`` and ``<devices>`` by tag when the caller already has them (see :func:`index`);
    ``found``,
    what the parse's walk met, when it has that (:func:`_walk`).
    """
    live_id: int | None = None
    raw_id = root.get("id")
    if raw_id is not None:
        del root.attrib["id"]
        try:
            live_id = int(raw_id)
        except ValueError:
            raise XMLError(f"XML error: invalid domain id '{raw_id}'", line=line_of(root)) from None
        if live_id < 0:
            live_id = None
    if namespaces is not None:
        _drop_foreign_namespaces(root, namespaces)
    if groups is None:
        groups = index(root)
    top_groups, device_groups = groups
    top = {tag: items[0] for tag, items in top_groups.items()}

    # identity
    _uuid_default(root, top.get("uuid"))
    info, device_seclabels, sized = _walk(root, groups, found)
    scaled.normalise(root, present=sized)

    # memory
    kib: dict[str, int] = {}  # the values now in the elements' text
    for tag in _DOMAIN_KIB_ELEMENTS:
        el = top.get(tag)
        if el is not None:
            kib[tag] = _scale_text_to_kib(el, tag)
    memory = top.get("memory")
    memory_kib = kib.get("memory", 0)
    cpu = top.get("cpu")
    numa_total = _numa_memory(cpu) if cpu is not None else 0
    devices = top.get("devices")
    # virDomainDefPostParseMemory: the NUMA cells' sum (plus memory devices) only stands in
    # for a missing or zero <memory>; a given one is kept as written, and holds the memory
    # devices with some initial memory left over
    hotplug = _hotplug_memory(root) if "memory" in device_groups else 0
    if numa_total and (memory is None or memory_kib == 0):
        if memory is None:
            memory = etree.SubElement(root, "memory", unit="KiB")
        memory_kib = numa_total + hotplug
        memory.text = str(memory_kib)
    elif hotplug > memory_kib:
        raise XMLError("XML error: Total size of memory devices exceeds the total memory size", line=line_of(memory))
    if memory is None or memory_kib - hotplug == 0:
        raise XMLError(
            "XML error: Memory size must be specified via <memory> or in the <numa> configuration",
            line=line_of(root),
        )
    maximum = top.get("maxMemory")
    if maximum is not None:
        _max_memory(maximum, memory_kib)
    current = top.get("currentMemory")
    if current is None:
        _append_copy(root, _CURRENT_MEMORY).text = memory.text
    elif kib["currentMemory"] > memory_kib or kib["currentMemory"] == 0:
        current.text = memory.text
    memtune = top.get("memtune")
    if memtune is not None:
        for tag in _MEMTUNE:
            el = _first(memtune, tag)
            if el is not None and _scale_text_to_kib(el, tag) >= _UNLIMITED_KIB:
                memtune.remove(el)  # VIR_DOMAIN_MEMORY_PARAM_UNLIMITED: the default, not printed
        if len(memtune) == 0:
            root.remove(memtune)
    for blkiotune in top_groups.get("blkiotune", ()):
        _blkiotune(root, blkiotune)

    # vcpus
    vcpu = top.get("vcpu")
    if vcpu is None:
        vcpu = _append_copy(root, _VCPU)
        given: dict[str, str] = {}
        placement: str | None = "static"
    else:
        given = dict(_items(vcpu))  # placement, cpuset, current: one read
        placement = given.get("placement")
        if placement is None:
            placement = "static"
            vcpu.set("placement", placement)
    if "numatune" in top or placement == "auto":  # else _numatune_memory has nothing to do
        _numatune_memory(root, top, vcpu)
    if "cpuset" in given:
        _normalize_bitmap_attr(vcpu, "cpuset", "cpuset")
    vcpus_el = top.get("vcpus")
    if vcpus_el is not None:
        _individual_vcpus(vcpu, vcpus_el)  # may set current
    cur = vcpu.get("current") if vcpus_el is not None else given.get("current")
    if cur is not None and int(cur) >= int((vcpu.text or "1").strip()):
        del vcpu.attrib["current"]

    iothreads = top.get("iothreads")
    if iothreads is None and "iothreadids" in top and _first(top["iothreadids"], "iothread") is not None:
        # virDomainDefParseIOThreads: the count is at least the number of ids listed
        iothreads = etree.SubElement(root, "iothreads")
        iothreads.text = "0"
    if iothreads is not None and "iothreadids" in top:
        _fill_iothread_ids(iothreads, top["iothreadids"])

    genid = top.get("genid")
    if genid is not None and not (genid.text or "").strip():
        genid.text = new_uuid()
    for seclabel in top_groups.get("seclabel", ()):
        _seclabel(seclabel)

    # lifecycle
    for tag, template in _LIFECYCLE:
        if tag not in top:
            _append_copy(root, template)
    if "clock" not in top:
        _append_copy(root, _CLOCK)
    else:
        _clock(top["clock"])
    for tag in ("title", "description"):
        el = top.get(tag)
        if el is not None and not el.text:
            root.remove(el)  # virXPathString reads an empty element as absent
    if "bootloader_args" in top and "bootloader" not in top:
        root.remove(top["bootloader_args"])  # printed only beside a bootloader

    os_el = top.get("os")
    if "bootloader" in top and (os_el is None or not (os_el.findtext("type") or "").strip()):
        # virDomainDefParseCaps: a bootloader without an OS type is a Xen paravirtual guest,
        # printed as 'linux' on a Xen domain
        if os_el is None:
            os_el = etree.SubElement(root, "os")
        type_el = _first(os_el, "type")
        if type_el is None:
            type_el = etree.SubElement(os_el, "type")
        type_el.text = "linux" if root.get("type") == "xen" else "xen"
    type_el = _os_defaults(os_el, info, bootloader="bootloader" in top) if os_el is not None else None
    if cpu is not None:
        _cpu_defaults(root, cpu)
    if "numatune" in top or "cputune" in top:
        _tuning_defaults(root, int((vcpu.text or "1").strip()))
    features = top.get("features")
    if features is not None:
        _feature_defaults(features)
    if devices is None:
        devices = _append_copy(root, _DEVICES)  # libvirt always prints <devices>
        device_groups = {}
    _device_defaults(
        devices,
        device_groups,
        info,
        seclabels=device_seclabels,
        hvm=type_el is not None and type_el.text == "hvm",
        live=live_id is not None,
        arch=type_el.get("arch") if type_el is not None else None,
        os_type=type_el.text if type_el is not None else None,
        virt_type=root.get("type"),
    )
    implicit.drop_empty_domain(root, top_groups)
    return live_id


_CURRENT_MEMORY = _template("currentMemory", unit="KiB")
_VCPU = _template("vcpu", "1", placement="static")
_LIFECYCLE = tuple(
    (tag, _template(tag, value))
    for tag, value in (("on_poweroff", "destroy"), ("on_reboot", "restart"), ("on_crash", "destroy"))
)
_CLOCK = _template("clock", offset="utc")
_DEVICES = _template("devices")
"""What :func:`domain_defaults` adds when the document leaves it out (see :func:`_append_copy`)."""


def _zero(el: etree._Element) -> bool:
    try:
        return int((el.text or "").strip()) == 0
    except ValueError:
        return False  # not a number: the checks refuse it


def _blkiotune(root: etree._Element, blkiotune: etree._Element) -> None:
    """virDomainDefBlkiotuneFormat prints only non-zero values, skips a ``<device>`` that sets
    none of them, and leaves out an empty ``<blkiotune>``."""
    for child in list(blkiotune):
        if child.tag == "weight" and _zero(child):
            blkiotune.remove(child)
        elif child.tag == "device":
            for value in list(child):
                if value.tag != "path" and _zero(value):
                    child.remove(value)
            if all(value.tag == "path" for value in child):
                blkiotune.remove(child)
    if len(blkiotune) == 0 and blkiotune.getparent() is root:
        root.remove(blkiotune)


def _max_memory(maximum: etree._Element, total: int) -> None:
    """virDomainDefPostParseMemory: hotplug needs both a maximum size and a slot count, and the
    maximum holds the memory (``total``, KiB); ``maximum``: ``<maxMemory>``, already in KiB."""
    size = int(maximum.text or 0)
    slots = addresses.c_number(maximum.get("slots", "0"), 10) or 0
    if (size or slots) and not (size and slots):
        raise XMLError(
            "XML error: both maximum memory size and memory slot count must be specified", line=line_of(maximum)
        )
    if size and size < total:
        raise XMLError(
            "XML error: maximum memory size must be equal or greater than the actual memory size",
            line=line_of(maximum),
        )


def _numatune_memory(root: etree._Element, top: dict[str, etree._Element], vcpu: etree._Element) -> None:
    """``<numatune><memory>`` as virDomainNumatuneParseXML/virDomainNumatuneSet settle it: mode
    defaults to strict; placement to static with a nodeset (or a static vCPU placement), else
    auto; auto forgets the nodeset; an auto vCPU placement with no ``<memory>`` gets one; and
    automatic memory placement makes the vCPU placement auto unless something is pinned."""
    static_vcpus = vcpu.get("placement") != "auto"
    numatune = top.get("numatune")
    memory = _first(numatune, "memory") if numatune is not None else None
    if memory is None:
        if static_vcpus:
            return
        if numatune is None:
            numatune = etree.SubElement(root, "numatune")
        memory = etree.Element("memory", mode="strict", placement="auto")
        numatune.insert(0, memory)
    elif not memory.attrib:
        numatune.remove(memory)  # type: ignore[union-attr]
        if numatune is not None and len(numatune) == 0:
            root.remove(numatune)
        return
    if memory.get("mode") is None:
        memory.set("mode", "strict")
    placement = memory.get("placement")
    if placement is None:
        placement = "static" if memory.get("nodeset") is not None or static_vcpus else "auto"
    if placement == "static" and memory.get("nodeset") is None:
        raise XMLError(
            "unsupported configuration: nodeset for NUMA memory tuning must be set if 'placement' is 'static'",
            code=ErrorCode.CONFIG_UNSUPPORTED,
            line=line_of(memory),
        )
    if placement == "auto":
        if "nodeset" in memory.attrib:
            del memory.attrib["nodeset"]
        memory.set("placement", "auto")
        pinned = root.find("cputune/vcpupin") is not None or root.find("cputune/emulatorpin") is not None
        if not pinned and vcpu.get("cpuset") is None and root.find("cputune/iothreadpin") is None:
            vcpu.set("placement", "auto")
    elif "placement" in memory.attrib:
        del memory.attrib["placement"]  # the formatter prints a static placement as its nodeset


def _clock(clock: etree._Element) -> None:
    """A ``utc``/``localtime`` clock with a numeric ``adjustment`` is a ``variable`` clock on
    that basis (virDomainDefParseXML's clock rule); ``reset`` keeps the offset."""
    offset, adjustment = clock.get("offset"), clock.get("adjustment")
    if offset in ("utc", "localtime") and adjustment not in (None, "reset"):
        clock.set("offset", "variable")
        clock.set("basis", offset)


def iothread_ids(given: list[int], count: int) -> list[int]:
    """virDomainIOThreadIDDefArrayInit: the ids listed in ``<iothreadids>``, then the lowest ids
    of 1..``count`` not listed until there are ``count`` (the checks ask it too, before the
    defaults run, to know which iothreads a pin may name)."""
    used = set(given)
    free = [n for n in range(1, count + 1) if n not in used]
    return given + free[: max(count - len(given), 0)]


def _fill_iothread_ids(iothreads: etree._Element, ids_el: etree._Element) -> None:
    """``<iothreads>N`` with fewer ids listed gets the missing ones appended
    (:func:`iothread_ids`); more ids than N raise the count."""
    try:
        count = int((iothreads.text or "0").strip())
        given = [int(el.get("id", "")) for el in ids_el.iterchildren("iothread")]
    except ValueError:
        return  # the checks report it
    if count < len(given):
        iothreads.text = str(len(given))
        return
    for n in iothread_ids(given, count)[len(given) :]:
        etree.SubElement(ids_el, "iothread", id=str(n))


def _seclabel(seclabel: etree._Element) -> None:
    """What virSecurityLabelDefParseXML reads of a domain ``<seclabel>`` in a definition: the
    ``<label>`` of a static one, the ``<baselabel>`` of a dynamic one; an ``<imagelabel>`` (and a
    dynamic label) only from a live dump, never in a definition.

    A label without a ``type`` is of the enum's zero type, "default" (virXMLPropEnum resets the
    dynamic type set before it), which the formatter prints nothing for: it is dropped, unless
    its model is 'none', which an inactive definition always makes a 'none' label."""
    stype = seclabel.get("type")
    none_model = seclabel.get("model") == "none"
    if stype is None and not none_model:
        parent = seclabel.getparent()
        if parent is not None:
            parent.remove(seclabel)
        return
    if stype is not None:
        given = seclabel.get("relabel")
        relabel = stype not in ("static", "none") if given is None else given == "yes"
        if stype == "dynamic" and not relabel:
            raise _seclabel_error("dynamic label type must use resource relabeling", seclabel)
        if stype == "none" and relabel:
            raise _seclabel_error("resource relabeling is not compatible with 'none' label type", seclabel)
    if none_model:
        # "Fix older configurations": type 'none', no relabeling, whatever it said
        seclabel.set("type", "none")
        if "relabel" in seclabel.attrib:
            del seclabel.attrib["relabel"]
        stype = "none"
    if stype == "none":
        if "relabel" in seclabel.attrib:
            del seclabel.attrib["relabel"]  # virSecLabelDefFormat stops after a 'none' label's model
    elif seclabel.get("relabel") is None:
        seclabel.set("relabel", "yes" if stype == "dynamic" else "no")  # printed for every other type
    keep = {"static": "label", "dynamic": "baselabel"}.get(stype or "")
    for child in list(seclabel):
        if child.tag != keep:
            seclabel.remove(child)


def _seclabel_error(message: str, seclabel: etree._Element) -> XMLError:
    return XMLError(f"unsupported configuration: {message}", line=line_of(seclabel), code=ErrorCode.CONFIG_UNSUPPORTED)


def _drop_foreign_namespaces(root: etree._Element, keep: Collection[str]) -> None:
    removed = False
    for child in list(root):
        tag = child.tag
        if isinstance(tag, str) and tag.startswith("{") and tag[1 : tag.index("}")] not in keep:
            root.remove(child)
            removed = True
    if removed or root.nsmap:
        etree.cleanup_namespaces(root)


_STATE_FEATURES = frozenset(
    ("vmcoreinfo", "hap", "pmu", "pvspinlock", "vmport", "htm", "nested-hv", "ccf-assist", "smm")
)
"""Features virDomainDefFormatFeatures prints with ``state=`` (``acpi``, ``pae``... print bare)."""


_VALUE_FEATURES = {"cfpc": "value", "sbbc": "value", "ibs": "value", "ioapic": "driver"}
"""Features whose one attribute libvirt reads into the feature itself with
virXMLPropEnumDefault(..., NONE) (the pSeries values, the I/O APIC driver): without it they are
not set."""


def _feature_defaults(features: etree._Element) -> None:
    """One pass over the features; each rule reads the first feature of its name only.  A
    feature libvirt's parser leaves unset (a pSeries feature without its value, an ``<hpt>``
    without resizing or page size) is not printed."""
    seen: set[str] = set()
    unset: list[etree._Element] = []
    for el in _children(features):
        tag = el.tag
        if tag in seen or not isinstance(tag, str):
            continue
        seen.add(tag)
        if tag in _VALUE_FEATURES:
            if el.get(_VALUE_FEATURES[tag]) is None:
                unset.append(el)
        elif tag == "hpt":
            size = _first(el, "maxpagesize")
            if el.get("resizing") is None and (size is None or (size.text or "0").strip() in ("0", "")):
                unset.append(el)
        elif tag in _STATE_FEATURES:
            if el.get("state") is None:
                el.set("state", "on")  # present means on; the formatter spells out the state
        elif tag == "capabilities":
            # virDomainFeaturesCapabilitiesDefParse: the policy defaults to 'default', which the
            # formatter spells out only beside a capability; bare, nothing is printed at all
            if el.get("policy", "default") == "default":
                if len(el) == 0:
                    unset.append(el)
                else:
                    el.set("policy", "default")
        elif tag == "hyperv":
            if el.get("mode") is None:
                el.set("mode", "custom")
            _hyperv_values(el)
        elif tag == "tcg":
            cache = _first(el, "tb-cache")
            if cache is not None:
                _scale_text_to_kib(cache, "tb-cache")
    for el in unset:
        features.remove(el)


_HYPERV_VALUES = {"spinlocks": "retries", "vendor_id": "value"}


def _hyperv_values(hyperv: etree._Element) -> None:
    """virDomainFeaturesHyperVDefParse reads the spinlocks' retries and the vendor id only when
    the feature is switched on; the formatter prints them only then."""
    for child in hyperv:
        attr = _HYPERV_VALUES.get(child.tag) if isinstance(child.tag, str) else None
        if attr is not None and child.get("state") != "on" and attr in child.attrib:
            del child.attrib[attr]


_PCI_CANONICAL = re.compile(r"0x[0-9a-f]{4}:0x[0-9a-f]{2}:0x[0-9a-f]{2}\.0x[0-7]")
_PCI_FIELDS = (("domain", "0x{:04x}"), ("bus", "0x{:02x}"), ("slot", "0x{:02x}"), ("function", "0x{:x}"))
_PCI_SOURCE_ADDRESSES = etree.XPath(
    "hostdev[@type='pci']/source/address | hostdev[@type='pci']/source[not(address)]"
    " | interface[@type='hostdev']/source/address[@type='pci']"
)


def _pci_source_addresses(devices: etree._Element) -> None:
    """A PCI host device's source address as virPCIDeviceAddressFormat prints it: all four
    fields, hex, zero-padded (``slot='5'`` -> ``slot='0x05'``).  Device addresses are already in
    that form (:func:`_device_info`).  A ``<source>`` without an address holds the zero address
    (virDomainHostdevSubsysPCIDefParseXML reads the address only when given; the formatter
    prints the struct)."""
    for found in select(_PCI_SOURCE_ADDRESSES, devices):
        _pci_address(found if found.tag == "address" else etree.SubElement(found, "address"))


def _pci_address(address: etree._Element) -> None:
    """One host PCI address as virPCIDeviceAddressFormat prints it (missing fields are 0)."""
    for attr, _form in _PCI_FIELDS:
        if address.get(attr) is None:
            address.set(attr, "0")
    if _PCI_CANONICAL.fullmatch(
        f"{address.get('domain')}:{address.get('bus')}:{address.get('slot')}.{address.get('function')}"
    ):
        return
    for attr, form in _PCI_FIELDS:
        raw = address.get(attr, "")
        try:
            value = int(raw, 16) if raw[:2].lower() == "0x" else int(raw, 10)
        except ValueError:
            continue  # the checks report it
        shown = form.format(value)
        if shown != raw:
            address.set(attr, shown)


def _individual_vcpus(vcpu: etree._Element, vcpus_el: etree._Element) -> None:
    """``<vcpus>`` lists every vCPU: missing ones are off and hotpluggable; ``current`` counts the on ones."""
    maximum = int((vcpu.text or "1").strip())
    if maximum > MAX_VCPUS:
        raise XMLError(f"XML error: vcpu count {maximum} is too large (limit {MAX_VCPUS})", line=line_of(vcpu))
    listed: dict[int, etree._Element] = {}
    for item in vcpus_el.iterchildren("vcpu"):
        listed[int(item.get("id", "0"))] = item
    for index in range(maximum):
        if index not in listed:
            etree.SubElement(vcpus_el, "vcpu", id=str(index), enabled="no", hotpluggable="yes")
        elif listed[index].get("hotpluggable") is None:
            # virDomainDefPostParseVcpus: an online vCPU is fixed, an offline one hotpluggable
            listed[index].set("hotpluggable", "no" if listed[index].get("enabled") == "yes" else "yes")
    ordered = sorted(vcpus_el.iterchildren("vcpu"), key=lambda e: int(e.get("id", "0")))
    for item in ordered:
        vcpus_el.remove(item)
        vcpus_el.append(item)
    enabled = sum(1 for item in ordered if item.get("enabled") == "yes")
    if enabled < maximum:
        vcpu.set("current", str(enabled))


def _memory_device_defaults(memory: etree._Element) -> None:
    if memory.get("model") == "virtio-pmem" and memory.get("access") is None:
        memory.set("access", "shared")  # virDomainMemoryDefPostParse: virtio-pmem mandates it
    for parent_tag, tags in (("target", ("size", "requested", "block", "current")), ("source", ("pagesize",))):
        parent = _first(memory, parent_tag)
        if parent is None:
            continue
        for tag in tags:
            el = _first(parent, tag)
            if el is not None:
                _scale_text_to_kib(el, tag)
        label = _first(parent, "label")
        size = _first(label, "size") if label is not None else None
        if size is not None:
            _scale_text_to_kib(size, "size")


def _hotplug_memory(root: etree._Element) -> int:
    total = 0
    for size in root.iterfind("devices/memory/target/size"):
        total += scaled_to(
            size.text or "", size.get("unit"), out_unit=KIB, default_unit=KIB, what="size", line=line_of(size)
        )
    return total


def _numa_memory(cpu: etree._Element) -> int:
    total = 0
    for cell in cpu.iterfind("numa/cell"):
        mem = cell.get("memory")
        if mem is None:
            continue
        kib = scaled_to(mem, cell.get("unit"), out_unit=KIB, default_unit=KIB, what="cell", line=line_of(cell))
        cell.set("memory", str(kib))
        cell.set("unit", "KiB")
        total += kib
    return total


def _cpu_defaults(root: etree._Element, cpu: etree._Element) -> None:
    mode = cpu.get("mode")
    model = _first(cpu, "model")
    named = model is not None and bool((model.text or "").strip())
    if mode is None and (cpu.get("match") is not None or named):
        cpu.set("mode", "custom")
        mode = "custom"
    if mode == "custom" and named and cpu.get("match") is None:
        cpu.set("match", "exact")
    elif mode not in (None, "custom") and "match" in cpu.attrib:
        del cpu.attrib["match"]  # virCPUDefFormatBuf prints the match policy of custom CPUs only
    for feature in cpu.iterchildren("feature"):
        if feature.get("policy") is None:
            feature.set("policy", "require")  # virCPUDefParseXML: a guest CPU feature is required
    if named and model is not None and model.get("fallback") is None:
        model.set("fallback", "allow")  # virCPUDefParseXML's default for any named model
    if model is not None and not (model.text or "").strip() and mode != "custom" and model.get("vendor_id") is None:
        cpu.remove(model)  # a model without a name says nothing libvirt keeps
    if not cpu.attrib and len(cpu) == 0:
        root.remove(cpu)  # an empty <cpu/> is the default CPU: libvirt prints nothing
        return
    topology = _first(cpu, "topology")
    if topology is not None and topology.get("dies") is None:
        topology.set("dies", "1")
    cells = list(cpu.iterfind("numa/cell"))
    for index, cell in enumerate(cells):
        if cell.get("id") is None:
            cell.set("id", str(index))
    ids = [cell.get("id", "") for cell in cells]
    if all(i.isdigit() for i in ids) and any(_first(cell, "distances") is not None for cell in cells):
        _numa_distances(cells)
    if all(i.isdigit() for i in ids) and ids != sorted(ids, key=int):
        # libvirt stores cell N at index N and prints them in that order
        _replace_run(_first(cpu, "numa"), cells, sorted(cells, key=lambda c: int(c.get("id", "0"))))  # type: ignore[arg-type]


_LOCAL_DISTANCE = 10


def _numa_distances(cells: list[etree._Element]) -> None:
    """virDomainNumaDefNodeDistanceParseXML: each cell's listed siblings, its own distance 10,
    and the mirror of every distance a sibling does not list itself; printed by sibling id."""
    by_id = {int(cell.get("id", "0")): cell for cell in cells}
    matrix: dict[int, dict[int, int]] = {}
    for cell in cells:
        cur = int(cell.get("id", "0"))
        dist = _first(cell, "distances")
        if dist is None:
            continue
        for sibling in dist.iterchildren("sibling"):
            try:
                sid, value = int(sibling.get("id", ""), 10), int(sibling.get("value", ""), 10)
            except ValueError:
                continue  # the checks report it
            if sid not in by_id:
                continue
            matrix.setdefault(cur, {cur: _LOCAL_DISTANCE})[sid] = value
            matrix.setdefault(sid, {sid: _LOCAL_DISTANCE}).setdefault(cur, value)
    for cid, row in matrix.items():
        cell = by_id[cid]
        old = _first(cell, "distances")
        if old is not None:
            cell.remove(old)
        dist = etree.SubElement(cell, "distances")
        for sid in sorted(row):
            etree.SubElement(dist, "sibling", id=str(sid), value=str(row[sid]))


def _tuning_defaults(root: etree._Element, max_vcpus: int) -> None:
    numatune = _first(root, "numatune")
    if numatune is not None:
        for el in numatune:
            _normalize_bitmap_attr(el, "nodeset", "nodeset")
    cputune = _first(root, "cputune")
    if cputune is not None:
        for pin in list(cputune.iterchildren("vcpupin")):
            if int(pin.get("vcpu", "0")) >= max_vcpus:
                cputune.remove(pin)  # libvirt ignores pins of vCPUs the domain does not have
        for tune in list(cputune.iterchildren("cachetune")):
            _mask_vcpus(tune, max_vcpus)
            if tune.get("vcpus") == "":
                cputune.remove(tune)
                continue
            for monitor in tune.iterchildren("monitor"):
                _mask_vcpus(monitor, max_vcpus)
        pins = list(cputune.iterchildren("iothreadpin"))
        ids = [el.get("id", "") for el in root.iterfind("iothreadids/iothread")]
        rank = {value: n for n, value in enumerate(ids)}
        ordered = sorted(
            pins, key=lambda p: (rank.get(p.get("iothread", ""), len(ids)), _c_int(p.get("iothread", "")) or 0)
        )
        if ordered != pins:
            _replace_run(cputune, pins, ordered)  # printed in iothread id order, not as written
        _split_sched(cputune, "vcpusched", "vcpus")
        _split_sched(cputune, "iothreadsched", "iothreads")
        for tune in cputune.iterchildren("memorytune"):
            nodes = sorted(list(tune.iterchildren("node")), key=lambda n: int(n.get("id", "0")))
            for node in nodes:
                tune.remove(node)
            insert_at = len(list(tune.iterchildren("monitor"))) and 0
            for offset, node in enumerate(nodes):
                tune.insert(insert_at + offset, node)


def _mask_vcpus(el: etree._Element, max_vcpus: int) -> None:
    """Keep only vCPUs the domain has in ``el``'s ``vcpus`` set (libvirt drops the others)."""
    raw = el.get("vcpus")
    if raw is None:
        return
    ids = [i for i in parse_bitmap(raw, what="vcpus", line=line_of(el)) if i < max_vcpus]
    shown = format_bitmap(ids)
    if shown != raw:
        el.set("vcpus", shown)


def _split_sched(cputune: etree._Element, tag: str, attr: str) -> None:
    """libvirt keeps one scheduler per vCPU/iothread; the last setting of an id wins."""
    items = cputune.findall(tag)
    if not items:
        return
    per_id: dict[int, dict[str, str]] = {}
    for item in items:
        ids = parse_bitmap(item.get(attr, ""), what=attr, line=line_of(item))
        for i in ids:
            per_id[i] = {str(k): str(v) for k, v in item.items() if k != attr}
    anchor = items[0]
    for i in sorted(per_id):
        new = etree.Element(tag)
        new.set(attr, str(i))
        for k, v in per_id[i].items():
            new.set(k, v)
        anchor.addprevious(new)
    for item in items:
        cputune.remove(item)


_BOOT_ORDER = etree.XPath("boolean(devices/*/boot[@order])")


_KERNEL = ("type", "smbios", "kernel", "initrd", "cmdline", "dtb", "root")
_OS_READS = {
    "hvm": frozenset((*_KERNEL, "firmware", "loader", "nvram", "acpi", "boot", "bootmenu", "bios")),
    "xen": frozenset((*_KERNEL, "loader", "nvram")),
    "xenpvh": frozenset((*_KERNEL, "loader", "nvram")),
    "uml": frozenset((*_KERNEL, "loader", "nvram")),
    "exe": frozenset(("type", "smbios", "init", "cmdline", "initdir", "inituser", "initgroup", "initarg", "initenv")),
    "linux": frozenset(("type", "smbios")),
}
"""The ``<os>`` children libvirt reads for each OS type (virDomainDefParseBootOptions: kernel
options for hvm and the paravirtual types, firmware, ACPI table and boot order for hvm only,
the init options for exe; ``<smbios>`` is read for all): the rest is ignored, so not printed."""


def _os_defaults(
    os_el: etree._Element, info: list[tuple[etree._Element, str]], *, bootloader: bool
) -> etree._Element | None:
    """``<os>``'s defaults; returns its ``<type>`` (children looked at in one pass).  ``info``:
    :func:`_walk`'s finds, among them every ``<boot>`` of the document: with none, no device has
    a boot order to look for."""
    firmware = menu = loader = type_el = boot = None
    children = _children(os_el)
    first_type = None
    for child in children:
        if child.tag == "type":
            first_type = child
            break
    kind = (first_type.text or "") if first_type is not None else ""
    domain_el = os_el.getparent()
    if kind == "linux" and domain_el is not None and domain_el.get("type") == "xen":
        kind = "xen"  # virDomainDefParseXML: Xen's old name of its paravirtual type
    reads = _OS_READS.get(kind)
    if reads is not None:
        children = _keep_read(os_el, children, reads)
        if "firmware" not in reads:
            if "firmware" in os_el.attrib:
                del os_el.attrib["firmware"]  # virDomainDefParseBootFirmwareOptions
    for child in children:
        tag = child.tag
        if tag == "firmware":
            firmware = firmware if firmware is not None else child
        elif tag == "bootmenu":
            menu = menu if menu is not None else child
        elif tag == "loader":
            loader = loader if loader is not None else child
        elif tag == "type":
            type_el = type_el if type_el is not None else child
        elif tag == "boot":
            boot = boot if boot is not None else child
        elif tag == "acpi":
            for table in child:
                if table.tag == "table" and table.text is None:
                    table.text = ""  # virDomainDefFormatInternal escapes the path, empty or not: never '<table/>'
    if firmware is not None and os_el.get("firmware") is None:
        os_el.remove(firmware)  # firmware features are read only for firmware autoselection
        firmware = None
    if firmware is not None and firmware.find("feature[@name='enrolled-keys'][@enabled='yes']") is not None:
        secure = firmware.find("feature[@name='secure-boot']")
        if secure is None:
            etree.SubElement(firmware, "feature", enabled="yes", name="secure-boot")
        elif secure.get("enabled") == "no":
            raise XMLError(
                "firmware feature 'enrolled-keys' cannot be enabled when firmware feature 'secure-boot' is disabled",
                code=ErrorCode.XML_DETAIL,
                line=line_of(secure),
            )
    if menu is not None and menu.get("enable") != "yes" and "timeout" in menu.attrib:
        del menu.attrib["timeout"]  # virDomainDefParseBootXML reads it for an enabled menu only
    if loader is not None and loader.get("type") is None and (loader.text or "").strip():
        loader.set("type", "rom")
    os_type = type_el.text if type_el is not None else None
    if bootloader:
        # virDomainDefFormatInternal prints boot devices, boot menu and BIOS only without one
        for el in list(os_el.iterchildren("boot", "bootmenu", "bios")):
            os_el.remove(el)
        return type_el
    if os_type == "hvm" and boot is None:
        root = os_el.getparent()
        if root is not None and not (any(tag == "boot" for _el, tag in info) and _BOOT_ORDER(root)):
            _append_copy(os_el, _BOOT)
    return type_el


_BOOT = _template("boot", dev="hd")


_USER_ALIAS = re.compile(r"ua-[A-Za-z0-9_-]*")


_INFO_TAGS = ("address", "alias", "boot")


def _walk(
    root: etree._Element, groups: tuple[Groups, Groups], found: Found | None
) -> tuple[list[tuple[etree._Element, str]], bool, bool]:
    """One C-level walk for every element a rule looks for wherever it is (cheaper than one walk
    or query per rule): the ``<address>``, ``<alias>`` and ``<boot>`` elements with their tags
    (:func:`_device_info` keeps the devices' own), whether a ``<seclabel>`` is below
    ``<domain>``'s own, and whether an element :mod:`.scaled` rewrites is there (looked for only
    where ``groups``, the children of ``<domain>`` and ``<devices>``, say one may be).  A
    ``<boot>`` or ``<seclabel>`` outside the first ``<devices>`` matters to no rule: with that one
    empty (and, :func:`.scaled.tags_to_find` sees to it, the only one) there is no walk.

    The defaults neither add nor drop such elements before those rules run.  When the parse's
    walk noted them (``found``, with the device parts below ``<devices>`` only: the rules keep
    only a device's own info and look for device labels), they are read from its lists, by
    tag: only addresses can be refused, so the first refused is the same."""
    if found is not None:
        noted = found.tags
        info = [(el, tag) for tag in _INFO_TAGS for el in noted.get(tag, ())]
        return info, "seclabel" in noted, not noted.keys().isdisjoint(scaled.TAGS)
    info = []
    seclabels = sized = False
    sizes = scaled.tags_to_find(*groups)
    if not groups[1] and not sizes:
        # the (first) <devices> has no children, so no device info or device label to find, and
        # the walk's set-up alone would cost ~12k instructions
        return info, seclabels, sized
    for el in root.iter(*_INFO_TAGS, "seclabel", *sizes):
        tag = str(el.tag)
        if tag in _INFO_TAGS:
            info.append((el, tag))
        elif tag == "seclabel":
            seclabels = seclabels or el.getparent() is not root
        else:
            sized = True
    return info, seclabels, sized


def _keep_read(parent: etree._Element, children: list[etree._Element], read: Collection[str]) -> list[etree._Element]:
    """``children`` (of ``parent``) that libvirt's parser reads: elements whose tag is not in
    ``read`` are removed from the tree (the OS and graphics rules read only a few children)."""
    kept = []
    for child in children:
        tag = child.tag
        if isinstance(tag, str) and tag not in read:
            parent.remove(child)
        else:
            kept.append(child)
    return kept


def _device_info(devices: etree._Element, info: list[tuple[etree._Element, str]]) -> None:
    """Each device's ``<address>`` in libvirt's printed form (:mod:`.addresses`), and only user
    aliases (``ua-*``) kept: the test driver parses with ``VIR_DOMAIN_DEF_PARSE_INACTIVE``,
    under which ``virDomainDeviceInfoParseXML`` reads no other alias.

    ``info`` holds the candidates (:func:`_walk`), of which those that are a device's own count."""
    for el, tag in info:
        device = el.getparent()
        if device is None or device.getparent() is not devices:
            continue
        if tag == "address":
            if not addresses.normalise(el):
                device.remove(el)
        elif tag == "boot":
            if "loadparm" in el.attrib:
                el.set("loadparm", el.get("loadparm", "").upper())  # virDomainDeviceBootParseXML
        elif not _USER_ALIAS.fullmatch(el.get("name", "")):
            device.remove(el)


_USBDEVS = etree.XPath("redirfilter/usbdev")


def _device_seclabel(seclabel: etree._Element) -> None:
    """A device ``<seclabel>`` in a definition (virSecurityDeviceLabelDefParseXML with
    PARSE_INACTIVE): ``labelskip`` is live-only, and a relabelling one without a label prints
    nothing in inactive XML."""
    if "labelskip" in seclabel.attrib:
        del seclabel.attrib["labelskip"]
    if seclabel.get("relabel", "yes") == "yes" and _first(seclabel, "label") is None:
        parent = seclabel.getparent()
        if parent is not None:
            parent.remove(seclabel)


def _usbdev(usbdev: etree._Element) -> None:
    """A redirfilter rule as libvirt prints it: ``-1`` (any) left out, ids in upper-case hex,
    the version as major.minor with two minor digits (``9.4`` is 9.40)."""
    for attr, width in (("class", 2), ("vendor", 4), ("product", 4)):
        raw = usbdev.get(attr)
        if raw is None:
            continue
        value = _c_int(raw)
        if value is None or value < 0:
            if value == -1:
                del usbdev.attrib[attr]
            continue
        usbdev.set(attr, f"0x{value:0{width}X}")
    version = usbdev.get("version")
    if version == "-1":
        del usbdev.attrib["version"]
    elif version is not None and re.fullmatch(r"\d{1,2}\.\d{1,2}", version):
        major, minor = version.split(".")
        usbdev.set("version", f"{int(major)}.{int(minor) * (10 if len(minor) == 1 else 1):02d}")


def _c_int(raw: str) -> int | None:
    """strtol base 0, as virXMLPropInt reads with base 0: an optional sign, then the number as
    :func:`.addresses.c_number` reads it."""
    text = raw.strip()
    negative = text.startswith("-")
    value = addresses.c_number(text[1:] if text[:1] in ("+", "-") else text, 0)
    return -value if value is not None and negative else value


def _coalesce(iface: etree._Element, coalesce: etree._Element) -> None:
    """libvirt keeps only a non-zero ``<rx><frames max>``: anything else prints nothing."""
    frames = coalesce.find("rx/frames")
    value = _c_int(frames.get("max", "0")) if frames is not None else 0
    if not value:
        iface.remove(coalesce)


def input_bus(itype: str, *, os_type: str | None, arch: str | None, virt_type: str | None) -> str | None:
    """virDomainInputDefParseXML's bus for an input device that names none (the checks ask it
    too, before the defaults run)."""
    if os_type == "hvm":
        x86 = arch is None or arch in ("i686", "x86_64")
        if itype in ("mouse", "keyboard") and x86:
            return "ps2"
        if (arch or "").startswith("s390") or itype == "passthrough":
            return "virtio"
        return None if itype == "evdev" else "usb"
    if (os_type in ("xen", "xenpvh", "linux") and virt_type == "xen") or os_type in ("xen", "xenpvh"):
        return "xen"
    if virt_type in ("vz", "parallels"):
        return "parallels"
    return None


def _device_defaults(
    devices: etree._Element,
    groups: Groups,
    info: list[tuple[etree._Element, str]],
    *,
    seclabels: bool,
    hvm: bool,
    live: bool,
    arch: str | None,
    os_type: str | None = None,
    virt_type: str | None = None,
) -> None:
    if not groups:
        return  # no device: no rule below has anything to read (nor an implicit controller to add)
    get = groups.get
    _device_info(devices, info)
    # coalesce is settled after every other device, for the interfaces that have it
    later: list[etree._Element] = []
    hostdev_nic = False
    for iface in get("interface", ()):
        hostdev_iface, settle_later = _interface_defaults(iface, live=live)
        hostdev_nic = hostdev_nic or hostdev_iface
        if settle_later:
            later.append(iface)
    disks = get("disk", [])
    if len(disks) > 1:
        _order_disks(devices, disks)
    drive_tops: dict[str, int] = {}
    for disk in disks:
        found = _disk_defaults(disk)
        if found is not None and found[1] > drive_tops.get(found[0], -1):
            drive_tops[found[0]] = found[1]
    hostdevs = get("hostdev", [])
    if hostdevs:
        _scsi_hostdev_addresses(devices, hostdevs)
    for hostdev in hostdevs:
        _hostdev_defaults(hostdev)
    if not _RARE_DEVICES.isdisjoint(groups):  # one test for the kinds most domains have none of
        _rare_devices(devices, groups)
    for balloon in get("memballoon", ()):
        for stats in [child for child in _children(balloon) if child.tag == "stats"]:
            if _c_int(stats.get("period", "0")) == 0:
                balloon.remove(stats)  # virDomainMemballoonDefFormat: a period of 0 is none
    for tpm in get("tpm", ()):
        backend = _first(tpm, "backend")
        if backend is not None:
            _tpm_backend(backend)
    for sound in get("sound", ()):
        if len(sound) and sound.get("model") not in ("ich6", "ich9"):
            for codec in [child for child in _children(sound) if child.tag == "codec"]:
                sound.remove(codec)  # virDomainSoundModelSupportsCodecs: ich6 and ich9 only
    for kind in _CHARDEV_TAGS if not _CHARDEV_SET.isdisjoint(groups) else ():
        for chardev in get(kind, ()):
            if kind == "smartcard" and not _smartcard(chardev):
                continue
            tty = kind in _TTY_TAGS
            _chardev_defaults(chardev, typed=tty, forget_pty=not live, seclabels=tty)
    for rng in get("rng", ()):
        for rate in list(rng.iterchildren("rate")):
            if _c_int(rate.get("bytes", "0")) in (0, None):
                rng.remove(rate)  # virDomainRNGDefParseXML: a rate of 0 bytes is no rate (nor period)
        for backend in rng.iterchildren("backend"):
            if backend.get("type") is not None:
                _chardev_defaults(backend, typed=False)
            elif backend.get("model") == "random" and not (backend.text or "").strip():
                backend.text = "/dev/random"  # virDomainRNGDefPostParse
    virtio_serial: set[int] = set()
    for channel in get("channel", ()):
        _virtio_serial_user(channel, virtio_serial, channel=True)
    for kind in ("serial", "parallel"):
        if kind in groups:
            _chardev_ports(groups[kind])
    for n, console in enumerate(get("console", ())):
        # consoles are numbered by their place in the document, before the compat stub
        target = _first(console, "target")
        if target is None:
            target = etree.SubElement(console, "target")
        if target.get("port") != str(n):
            target.set("port", str(n))
    changed = False
    if hvm and ("console" in groups or "serial" in groups):
        changed = _console_compat(devices, get("console", []), get("serial", []))
    if changed:
        groups = dict(groups)
        for tag in ("serial", "console"):
            groups[tag] = list(devices.iterchildren(tag))
        get = groups.get
    consoles = list(get("console", ()))
    if consoles:
        _mirror_serials(consoles, get("serial", []), hvm=hvm)
    for graphics in get("graphics", ()):
        _graphics_defaults(graphics)
    if "video" in groups or "graphics" in groups:
        _video_defaults(devices, get("video", []), arch=arch, os_type=os_type, virt_type=virt_type)
    for console in consoles:
        _virtio_serial_user(console, virtio_serial)
    _controller_defaults(devices, groups, drive_tops, virtio_serial)
    if "hostdev" in groups or hostdev_nic:
        _pci_source_addresses(devices)
    for inp in get("input", ()):
        if inp.get("bus") is None:
            bus = input_bus(inp.get("type", ""), os_type=os_type, arch=arch, virt_type=virt_type)
            if bus is not None:
                inp.set("bus", bus)
    for seclabel in list(devices.iter("seclabel")) if seclabels else ():
        _device_seclabel(seclabel)
    for usbdev in select(_USBDEVS, devices) if "redirfilter" in groups else ():
        _usbdev(usbdev)
    for iface in later:
        for coalesce in list(iface.iterchildren("coalesce")):
            _coalesce(iface, coalesce)
    for redirdev in get("redirdev", ()):
        if redirdev.get("type") == "dbus":
            source = _first(redirdev, "source")
            if source is None:
                source = etree.SubElement(redirdev, "source")
            if source.get("channel") is None:
                source.set("channel", "org.qemu.usbredir")
    for fs in get("filesystem", ()):
        for attr in ("fmode", "dmode"):
            raw = fs.get(attr)
            if raw is not None and raw.isdigit():
                fs.set(attr, f"{int(raw, 8):04o}")  # read as octal, printed '%04o'
    for watchdog in get("watchdog", ()):
        if watchdog.get("action") is None:
            watchdog.set("action", "reset")
    for audio in get("audio", ()):
        if len(audio):
            for io in list(audio.iterchildren("input", "output")):
                _audio_io(audio, io)
    for tag in _DRIVER_DEVICES.intersection(groups):  # no other device's rule reads the <driver>
        for device in groups[tag]:
            driver = _first(device, "driver") if len(device) else None
            if driver is not None and _bare(driver):
                device.remove(driver)


def _rare_devices(devices: etree._Element, groups: Groups) -> None:
    """The rules for the device kinds in :data:`_RARE_DEVICES`, one kind after the other."""
    get = groups.get
    for fs in get("filesystem", ()):
        _filesystem_defaults(fs)
    for panic in get("panic", ()):
        if not panic.attrib and len(panic) == 0:
            devices.remove(panic)  # libvirt prints nothing for a panic device without model or address
    for memdev in get("memory", ()):
        _memory_device_defaults(memdev)
    for shmem in get("shmem", ()):
        model = _first(shmem, "model")
        if model is None:
            model = etree.SubElement(shmem, "model", type="ivshmem")
        if model.get("type") is None:
            model.set("type", "ivshmem")  # the enum's first value, printed always
        if model.get("type") == "ivshmem" and "role" in shmem.attrib:
            del shmem.attrib["role"]  # virDomainShmemDefParseXML reads a role for the ivshmem-* models only
        size = _first(shmem, "size")
        if size is not None and not (size.text or "").strip():
            shmem.remove(size)  # no value, no size: virDomainShmemDefFormat prints a non-zero one only
    for vsock in get("vsock", ()):
        _vsock_cid(vsock)


_RARE_DEVICES = frozenset(("filesystem", "panic", "memory", "shmem", "vsock"))
"""Device kinds whose rules run right after the host devices' (see :func:`_rare_devices`)."""


def _audio_io(audio: etree._Element, io: etree._Element) -> None:
    """virDomainAudioCommonParse and its formatter for one ``<input>``/``<output>``: fixed
    settings need the mixing engine, ``<settings>`` needs fixed settings, and with them the
    formatter always prints a ``<settings>`` (empty if none given); an element that sets
    nothing is not printed."""
    settings = _first(io, "settings") if len(io) else None
    fixed = io.get("fixedSettings") == "yes"
    if fixed and io.get("mixingEngine") != "yes":
        raise _audio_error("fixed audio settings requires mixing engine", io)
    if settings is not None and not fixed:
        raise _audio_error("audio settings specified without fixed settings flag", settings)
    if fixed and settings is None:
        etree.SubElement(io, "settings")
    elif not io.attrib and settings is None:
        audio.remove(io)


def _audio_error(message: str, el: etree._Element) -> XMLError:
    return XMLError(f"unsupported configuration: {message}", line=line_of(el), code=ErrorCode.CONFIG_UNSUPPORTED)


_DRIVER_DEVICES = frozenset(("controller", "memballoon", "input", "rng", "filesystem", "hostdev", "iommu", "vsock"))
"""Devices whose ``<driver>`` (virtio options and the device's own settings) libvirt prints
only when something in it is set (virXMLFormatElement leaves an empty element out): a bare one
is dropped.  Disks, interfaces and videos have rules of their own."""


_CHARDEV_TAGS = ("serial", "parallel", "console", "channel", "smartcard", "redirdev")
_CHARDEV_SET = frozenset(_CHARDEV_TAGS)


# interfaces ------------------------------------------------------------------------------

_NET_MODELS = {
    "virtio",
    "virtio-transitional",
    "virtio-non-transitional",
    "e1000",
    "e1000e",
    "igb",
    "rtl8139",
    "netfront",
    "usb-net",
    "spapr-vlan",
    "lan9118",
    "scm91c111",
    "vlance",
    "vmxnet",
    "vmxnet2",
    "vmxnet3",
    "am79c970a",
    "am79c973",
    "82540em",
    "82545em",
    "82543gc",
}


_RESERVED_TAP_PREFIXES = ("vnet", "macvtap", "macvlan")


def _interface_defaults(iface: etree._Element, *, live: bool) -> tuple[bool, bool]:
    """One interface's defaults, its children visited once (interfaces are many in big domains).
    Returns whether it is a host device NIC with more than a MAC and model (its source address
    is settled later), and whether it has a ``<coalesce>``, settled later too."""
    mac = None
    others: list[etree._Element] | None = None
    virtio = vport = False
    for child in _children(iface):
        tag = child.tag
        if tag == "mac":
            if mac is None:
                mac = child
                address = child.get("address")
                if address is None:
                    child.set("address", new_mac())  # virDomainNetDefParseXML: generated
                elif not _is_canonical_mac(address):
                    child.set("address", canonical_mac(address, line=line_of(child)))
        elif tag == "model":
            mtype = child.get("type")
            if mtype is None:
                virtio = False
                if _bare(child):
                    iface.remove(child)  # a model without a type says nothing libvirt keeps
            else:
                if mtype != mtype.lower() and mtype.lower() in _NET_MODELS:
                    mtype = mtype.lower()
                    child.set("type", mtype)
                virtio = mtype.startswith("virtio")
        elif tag == "virtualport":
            if not vport:
                # here, not with the other children: the ids are drawn in document order
                netdev.virtualport(child, iface.get("type", "user"), new_uuid)
                vport = True
        elif others is None:
            others = [child]
        else:
            others.append(child)
    if mac is None:
        etree.SubElement(iface, "mac").set("address", new_mac())
    if others is None:
        return False, False  # nothing its type decides (a host device NIC has a <source>)
    itype = iface.get("type")
    return itype == "hostdev", _interface_rest(iface, others, itype=itype, virtio=virtio, live=live)


def _interface_rest(
    iface: etree._Element, children: list[etree._Element], *, itype: str | None, virtio: bool, live: bool
) -> bool:
    """The rules for an interface's children other than ``<mac>`` and ``<model>``; True when a
    ``<coalesce>`` is left for later."""
    later = False
    driver = vlan = None
    drivers: list[etree._Element] = []
    backends: list[etree._Element] = []
    filterrefs: list[etree._Element] = []
    for child in children:
        tag = child.tag
        if tag == "backend":
            backends.append(child)
        elif tag == "filterref":
            filterrefs.append(child)
        elif tag == "driver":
            driver = child
            drivers.append(child)
        elif tag == "ip":
            netdev.ip_address(child)
            _ip_family(child)
        elif tag == "vlan":
            if vlan is None:
                vlan = child
                netdev.vlan(child)
        elif tag == "teaming":
            if not netdev.teaming(child, hostdev=False):
                iface.remove(child)
        elif tag == "source" and itype == "hostdev" and len(child):
            _usb_ids(child)
        elif tag == "target":
            netdev.unmanaged_target(child, itype or "user")
            if not live and child.get("dev", "").startswith(_RESERVED_TAP_PREFIXES):
                # names libvirt generates for running guests: a definition never keeps them
                del child.attrib["dev"]
                if not child.attrib and len(child) == 0:
                    iface.remove(child)
        elif tag == "coalesce":
            later = True
        elif tag in _NIC_VALUE_OF:
            if not any(child.get(attr) is not None for attr in _NIC_VALUE_OF[tag]):
                iface.remove(child)  # virDomainNetDefParseXML reads only that attribute: nothing set
    if driver is not None:
        _net_driver(iface, driver, virtio=virtio and itype != "hostdev", hostdev=itype == "hostdev")
    for other in drivers[:-1]:
        if _bare(other):
            iface.remove(other)  # only the last driver is read; an empty one says nothing
    if not virtio or itype == "hostdev":
        for backend in backends:
            if "vhost" in backend.attrib:
                del backend.attrib["vhost"]  # virDomainNetBackendParseXML: virtio NICs only
    if itype not in _FILTERREF_TYPES:
        for filterref in filterrefs:
            iface.remove(filterref)
    return later


_NIC_VALUE_OF = {
    "script": ("path",),
    "downscript": ("path",),
    "backenddomain": ("name",),
    "link": ("state",),
    "guest": ("dev", "actual"),
    "mtu": ("size",),
}
"""Interface children virDomainNetDefParseXML reads one or two attributes of by XPath: without
them nothing is set and the formatter prints nothing."""


def _bare(el: etree._Element) -> bool:
    """Without attributes, children or text: an element libvirt knows only through those."""
    return not el.attrib and len(el) == 0 and not (el.text or "").strip()


_FILTERREF_TYPES = frozenset(("network", "bridge", "ethernet"))
"""Interface types whose ``<filterref>`` libvirt's parser reads (virDomainNetDefParseXML)."""
_VIRTIO_OPTIONS = frozenset(("iommu", "ats", "packed", "page_per_vq"))
"""Driver attributes every device with virtio options reads, whatever its model."""


def _net_driver(iface: etree._Element, driver: etree._Element, *, virtio: bool, hostdev: bool) -> None:
    """virDomainNetDefParseXMLDriver: the virtio-net options (and ``<host>``/``<guest>``) are read
    only for a virtio model that is not a host device; one queue is the same as none."""
    if virtio:
        if driver.get("queues") is not None and addresses.c_number(driver.get("queues", ""), 10) == 1:
            del driver.attrib["queues"]
    else:
        keep = _VIRTIO_OPTIONS | {"name"} if hostdev else _VIRTIO_OPTIONS
        for attr in driver.keys():
            if attr not in keep:
                del driver.attrib[attr]
        for child in list(driver):
            driver.remove(child)
    if not driver.attrib and not len(driver):
        iface.remove(driver)


# disks -----------------------------------------------------------------------------------

_DEFAULT_PORTS = {
    "nbd": "10809",
    "iscsi": "3260",
    "sheepdog": "7000",
    "gluster": "24007",
    "http": "80",
    "https": "443",
    "ftp": "21",
    "ftps": "990",
    "tftp": "69",
    "ssh": "22",
    "vxhs": "9999",
}


def _ip_family(ip: etree._Element) -> None:
    address = ip.get("address")
    if ip.get("family") is None and address:
        ip.set("family", "ipv6" if ":" in address else "ipv4")


def _network_source_defaults(source: etree._Element) -> None:
    protocol = source.get("protocol")
    if protocol is None:
        return
    port = _DEFAULT_PORTS.get(protocol)
    for host in source.iterchildren("host"):
        if port is not None and host.get("port") is None and host.get("transport") in (None, "tcp"):
            if host.get("socket") is None:
                host.set("port", port)
    if protocol == "iscsi":
        name = source.get("name")
        if name is not None and "/" not in name:
            source.set("name", name + "/0")


_BUS_BY_PREFIX = (("xvd", "xen"), ("ubd", "uml"), ("hd", "ide"), ("sd", "scsi"), ("vd", "virtio"), ("fd", "fdc"))


def disk_bus(disk: etree._Element, target: etree._Element) -> str:
    """The bus virDomainDiskDefPostParse settles on: written, else floppy -> fdc, else by the
    target name's prefix, else IDE (the checks ask it too, before the defaults run)."""
    bus = target.get("bus")
    if bus is not None:
        return bus
    if disk.get("device") == "floppy":
        return "fdc"
    dev = target.get("dev", "")
    return next((b for prefix, b in _BUS_BY_PREFIX if dev.startswith(prefix)), "ide")


def _positive(value: str | None) -> bool:
    number = _c_int(value) if value is not None else None
    return number is not None and number > 0


def _disk_defaults(disk: etree._Element) -> tuple[str, int] | None:
    """One disk's defaults, its children visited once.  Returns its bus and the highest
    controller of its drive addresses when that bus has drive controllers (they are implied)."""
    sources: list[etree._Element] = []
    addresses_: list[etree._Element] = []
    unread: list[etree._Element] = []
    driver = readonly = target = None
    nested = False  # whether a child has children, where a <source> may be nested (backingStore, mirror...)
    for child in _children(disk):
        tag = child.tag
        nested = nested or len(child) > 0
        if tag == "source":
            sources.append(child)
        elif tag == "driver":
            driver = driver if driver is not None else child
        elif tag == "readonly":
            readonly = readonly if readonly is not None else child
        elif tag == "target":
            target = target if target is not None else child
        elif tag == "address":
            addresses_.append(child)
        elif tag == "geometry" and not all(_positive(child.get(name)) for name in ("cyls", "heads", "secs")):
            unread.append(child)  # virDomainDiskGeometryDefFormat: printed with all three sizes only
        elif tag == "backenddomain" and child.get("name") is None:
            unread.append(child)  # virDomainDiskDefParseXML reads backenddomain/@name only
    for child in unread:
        disk.remove(child)  # after the walk: removing while iterating would skip the next child
    dtype = disk.get("type")
    if dtype is None or (dtype != "file" and not sources):
        dtype = "file"
        disk.set("type", dtype)  # an empty drive is a file disk without a file
    device = disk.get("device")
    if device is None:
        device = "disk"
        disk.set("device", device)
    if dtype == "vhostuser" and disk.get("snapshot") is None:
        disk.set("snapshot", "no")
    for source in disk.iter("source") if nested else sources:  # document order either way
        _network_source_defaults(source)
    if driver is not None:
        if driver.get("cache") == "default":
            del driver.attrib["cache"]  # the enum's zero: accepted, never printed
        cache = _first(driver, "metadata_cache") if len(driver) else None
        if cache is not None and _first(cache, "max_size") is None:
            driver.remove(cache)  # virDomainDiskDefFormatDriver prints it for a size only
        if _bare(driver):
            disk.remove(driver)  # nothing set: the formatter prints no element
    if device == "cdrom" and readonly is None:
        readonly = etree.SubElement(disk, "readonly")  # virDomainDiskDefPostParse: a CD-ROM is read-only
    if readonly is not None and disk.get("snapshot") == "no":
        del disk.attrib["snapshot"]  # implied by read-only: the formatter leaves it out
    for source in sources:
        if _bare(source):
            disk.remove(source)  # an empty <source/> names nothing: the drive is empty
    if target is None:
        return None
    if target.get("tray") == "closed":
        del target.attrib["tray"]  # the default state: libvirt prints only tray='open'
    bus = target.get("bus")
    if bus is None:
        bus = disk_bus(disk, target)
        target.set("bus", bus)
    if bus not in _DRIVE_LAYOUT:
        return None
    if not addresses_:
        idx = disk_name_to_index(target.get("dev", ""))
        if idx is None:
            return None
        per_controller, per_bus = _DRIVE_LAYOUT[bus]
        controller, rest = divmod(idx, per_controller)
        bus_no, unit = divmod(rest, per_bus)
        disk.append(
            made("address", type="drive", controller=str(controller), bus=str(bus_no), target="0", unit=str(unit))
        )
        return bus, controller
    top = -1
    for address in addresses_:
        if address.get("type") == "drive":
            top = max(top, int(address.get("controller", "0")))
    return (bus, top) if top >= 0 else None


# bus -> (disks per controller, disks per bus), libvirt's drive address layout
_DRIVE_LAYOUT = {"ide": (4, 2), "scsi": (7, 7), "sata": (6, 6), "fdc": (2, 2)}
_DISK_PREFIXES = ("fd", "hd", "vd", "sd", "xvd", "ubd")


def disk_name_to_index(name: str) -> int | None:
    """``sda`` -> 0, ``hdc`` -> 2, ``sdaa`` -> 26 (libvirt's disk name numbering)."""
    for prefix in _DISK_PREFIXES:
        if name.startswith(prefix):
            letters = name[len(prefix) :]
            break
    else:
        return None
    letters = letters.rstrip("0123456789")  # a partition number (sda1) does not change the disk
    if not letters or not letters.isalpha() or not letters.islower():
        return None
    idx = 0
    for ch in letters:
        idx = idx * 26 + (ord(ch) - ord("a") + 1)
    return idx - 1


def _order_disks(devices: etree._Element, disks: list[etree._Element]) -> None:
    """Put disks where libvirt's parser files them in.

    libvirt inserts each disk after the last disk on the same bus whose name sorts lower
    (``vdb`` then ``vda`` becomes ``vda``, ``vdb``).  The effect is: disks grouped by the bus
    written in the document (groups in order of first appearance; a disk without a bus forms
    the group of disks without one), each group stably sorted by disk index.  Computed that way
    it is O(n log n), so a hostile document with many disks cannot stall the parser.
    """
    groups: dict[str | None, list[tuple[int, etree._Element]]] = {}
    for disk in disks:
        target = _first(disk, "target")
        bus = target.get("bus") if target is not None else None
        index = disk_name_to_index(target.get("dev", "")) if target is not None else None
        groups.setdefault(bus, []).append((-1 if index is None else index, disk))
    ordered = [disk for group in groups.values() for _, disk in sorted(group, key=lambda item: item[0])]
    if ordered == disks:
        return
    _replace_run(devices, disks, ordered)
    disks[:] = ordered


_SCSI_BUS_UNITS = 7
"""scsiBusMaxUnit of a driver without the WIDE_SCSI feature (the test driver): units 0-6."""
_SCSI_MODEL_LIMITS = {
    "virtio-scsi": (16383, None),
    "virtio-transitional": (16383, None),
    "virtio-non-transitional": (16383, None),
    "ibmvscsi": (31, 7),
    "lsisas1068": (1, None),
    "lsisas1078": (255, None),
    "lsilogic": (None, 7),
    "vmpvscsi": (None, 7),
    "buslogic": (None, 7),
    "ncr53c90": (6, None),
    "dc390": (6, None),
    "am53c974": (6, None),
}
"""Controller model -> (highest unit, reserved unit): virDomainSCSIDriveAddressIsUsed."""


def _scsi_hostdev_addresses(devices: etree._Element, hostdevs: list[etree._Element]) -> None:
    """virDomainHostdevAssignAddress: a SCSI hostdev without an address gets bus 0, target 0 and
    the first unit free on the first controller with one (units its model cannot have count as
    taken; a controller that does not exist yet has them all)."""
    if not any(h.get("type") == "scsi" for h in hostdevs):
        return
    used: set[tuple[int, int, int, int]] = set()
    for address in [*select(_SCSI_DISK_ADDRESSES, devices), *(_first(h, "address") for h in hostdevs)]:
        if address is not None and address.get("type") == "drive":
            c, b, t, u = (addresses.c_number(address.get(f, "0"), 10) or 0 for f in _DRIVE_FIELDS)
            used.add((c, b, t, u))
    models = {c.get("index"): c.get("model") for c in devices.iterchildren("controller") if c.get("type") == "scsi"}
    for hostdev in hostdevs:
        if hostdev.get("type") != "scsi" or hostdev.get("mode", "subsystem") != "subsystem":
            continue
        if _first(hostdev, "address") is not None:
            continue
        controller = 0
        while True:
            top, reserved = _SCSI_MODEL_LIMITS.get(models.get(str(controller)) or "", (None, None))
            free = [
                u
                for u in range(_SCSI_BUS_UNITS)
                if (controller, 0, 0, u) not in used and (top is None or u <= top) and u != reserved
            ]
            if free:
                break
            controller += 1
        used.add((controller, 0, 0, free[0]))
        etree.SubElement(
            hostdev, "address", type="drive", controller=str(controller), bus="0", target="0", unit=str(free[0])
        )


_DRIVE_FIELDS = ("controller", "bus", "target", "unit")


def _hostdev_defaults(hostdev: etree._Element) -> None:
    if hostdev.get("mode", "subsystem") == "subsystem" and hostdev.get("managed") is None:
        hostdev.set("managed", "no")
    source = _first(hostdev, "source")
    if source is not None:
        _network_source_defaults(source)
        if hostdev.get("type") == "usb":
            _usb_ids(source)
    if hostdev.get("mode") == "capabilities" and hostdev.get("type") == "net":
        for ip in hostdev.iterchildren("ip"):
            netdev.ip_address(ip)  # virDomainHostdevDefParseXMLCaps reads them as an interface's
    teaming = _first(hostdev, "teaming")
    if teaming is not None:
        if not netdev.teaming(teaming, hostdev=True):
            hostdev.remove(teaming)
        elif hostdev.get("mode") != "subsystem" or hostdev.get("type") != "pci":
            raise XMLError(
                "unsupported configuration: teaming is only supported for pci hostdev devices",
                line=line_of(teaming),
                code=ErrorCode.CONFIG_UNSUPPORTED,
            )


def _usb_ids(source: etree._Element) -> None:
    """A USB host device's vendor and product ids as its formatter prints them (``0x%.4x``)."""
    for tag in ("vendor", "product"):
        el = _first(source, tag)
        raw = el.get("id") if el is not None else None
        if el is not None and raw is not None:
            try:
                el.set("id", f"0x{int(raw, 16):04x}")
            except ValueError:
                pass  # schema validation reports it


def _filesystem_defaults(fs: etree._Element) -> None:
    if fs.get("type") is None:
        fs.set("type", "mount")
    driver = _first(fs, "driver")
    if driver is None or driver.get("type") != "virtiofs":
        # virDomainFSDefParseXML reads <binary> and the queue size for virtiofs only
        for binary in list(fs.iterchildren("binary")):
            fs.remove(binary)
        if driver is not None and "queue" in driver.attrib:
            del driver.attrib["queue"]
    if driver is not None and driver.get("type") is None:
        # virDomainFSDefFormat prints the format and write policy only beside a driver type
        for name in ("format", "wrpolicy"):
            if name in driver.attrib:
                del driver.attrib[name]
    source = _first(fs, "source")
    if fs.get("accessmode") is None and (source is None or source.get("socket") is None):
        fs.set("accessmode", "passthrough")
    if fs.get("type") == "ram":
        source = _first(fs, "source")
        if source is not None and source.get("usage") is not None:
            kib = scaled_to(
                source.get("usage", ""),
                source.get("units"),
                out_unit=KIB,
                default_unit=KIB,
                what="usage",
                line=line_of(source),
            )
            source.set("usage", str(kib))
            source.set("units", "KiB")


# character devices -------------------------------------------------------------------------


_SMARTCARD_PARTS = {"passthrough": ("certificate", "database"), "host-certificates": ("source", "protocol", "log")}


def _smartcard(smartcard: etree._Element) -> bool:
    """Drop what a smartcard's mode does not read (virDomainSmartcardDefParseXML: the
    certificates and database in host-certificates mode, the ``type`` attribute and a
    character device's parts in passthrough mode, nothing else in host mode); True when it is a
    passthrough one, whose character device parts get the chardev defaults."""
    mode = smartcard.get("mode")
    passthrough = mode == "passthrough"
    if mode not in ("host", "host-certificates", "passthrough"):
        return False  # refused by the checks
    unread = _SMARTCARD_PARTS.get(mode, ("certificate", "database", "source", "protocol", "log"))
    for child in [c for c in smartcard if c.tag in unread]:
        smartcard.remove(child)
    if not passthrough and "type" in smartcard.attrib:
        del smartcard.attrib["type"]
    return passthrough


_PATH_SOURCE = (frozenset(("path",)), frozenset(("seclabel",)))
_CHR_SOURCES: dict[str, tuple[frozenset[str], frozenset[str]] | None] = {
    "null": None,
    "vc": None,
    "stdio": None,
    "spicevmc": None,
    "qemu-vdagent": (frozenset(), frozenset(("clipboard", "mouse"))),
    "pty": _PATH_SOURCE,
    "dev": _PATH_SOURCE,
    "pipe": _PATH_SOURCE,
    "file": (frozenset(("path", "append")), frozenset(("seclabel",))),
    "nmdm": (frozenset(("master", "slave")), frozenset()),
    "udp": (frozenset(("mode", "host", "service")), frozenset()),
    "tcp": (frozenset(("mode", "host", "service", "tls")), frozenset(("reconnect",))),
    "unix": (frozenset(("mode", "path")), frozenset(("seclabel", "reconnect"))),
    "spiceport": (frozenset(("channel",)), frozenset()),
    "dbus": (frozenset(("channel",)), frozenset()),
}
"""What of a character device's ``<source>`` libvirt keeps, per chardev type: its attributes
and child elements (virDomainChrSourceDefParseXML reads per type, virDomainChrSourceDefFormat
prints per type; None: no source at all).  A source left with nothing to print is not printed."""


def _chr_source(chardev: etree._Element, ctype: str, sources: list[etree._Element], *, seclabels: bool) -> None:
    """Drop what ``_CHR_SOURCES`` says libvirt does not keep of ``sources``; ``seclabels``:
    whether the device reads ``<seclabel>`` overrides in its source (serial, parallel, console
    and channel do; backends of smartcards, redirdevs and RNGs do not)."""
    if ctype not in _CHR_SOURCES:
        return  # an unknown type is refused by the checks
    keeps = _CHR_SOURCES[ctype]
    for source in sources:
        if keeps is None:
            chardev.remove(source)
            continue
        attrs, kids = keeps
        for name in [n for n in source.attrib if n not in attrs]:
            del source.attrib[name]
        for child in [c for c in source if c.tag not in kids or (c.tag == "seclabel" and not seclabels)]:
            source.remove(child)
        if not source.attrib and not len(source):
            chardev.remove(source)


def _chardev_defaults(
    chardev: etree._Element, *, typed: bool, forget_pty: bool = False, seclabels: bool = False
) -> None:
    """A character device's (or a chardev backend's) defaults.  ``typed``: a missing type is
    written out as pty (serial, parallel, console, channel).  ``forget_pty``: a pty's path is
    allocated when the domain starts, so a definition keeps none (libvirt ignores ``tty`` and
    the pty ``<source path>`` unless it reads a live dump).  ``seclabels``: see :func:`_chr_source`."""
    written = ctype = chardev.get("type")
    if ctype is None:
        ctype = "pty"
        if typed:
            written = ctype
            chardev.set("type", ctype)
    sources: list[etree._Element] = []
    protocols: list[etree._Element] = []
    logs: list[etree._Element] = []
    for child in _children(chardev):
        tag = child.tag
        if tag == "source":
            sources.append(child)
        elif tag == "protocol":
            protocols.append(child)
        elif tag == "log":
            logs.append(child)
    if forget_pty and written == "pty":
        if "tty" in chardev.attrib:
            del chardev.attrib["tty"]
        for source in sources:
            chardev.remove(source)
        sources = []
    if sources:
        _chr_source(chardev, ctype, sources, seclabels=seclabels)
        sources = [src for src in sources if src.getparent() is chardev]
    if ctype in _CHR_SOURCES:  # an unknown type is refused by the checks
        for log in logs:
            if log.get("file") is None:
                chardev.remove(log)  # virDomainChrSourceDefFormat prints <log> only with a file
    if ctype in ("tcp", "udp", "unix"):
        for src in sources:
            if src.get("mode") is None:
                src.set("mode", "connect")
        if ctype == "unix":
            for src in sources:
                if src.get("path") is None:
                    chardev.remove(src)
        if ctype == "udp":
            seen_modes: set[str | None] = set()
            for src in list(sources):
                if src.get("mode") in seen_modes:
                    chardev.remove(src)  # libvirt keeps one connect and one bind side
                    sources.remove(src)
                seen_modes.add(src.get("mode"))
        if ctype == "udp" and len(sources) == 2 and sources[0].get("mode") == "connect":
            # libvirt prints the bind (local) side first
            if sources[1].get("mode") == "bind":
                chardev.remove(sources[1])
                sources[0].addprevious(sources[1])
    if ctype == "tcp" and not protocols:
        etree.SubElement(chardev, "protocol", type="raw")
    elif ctype != "tcp":
        for protocol in protocols:
            chardev.remove(protocol)  # read for TCP sources only


_TPM_BACKEND_KIDS = {"passthrough": ("device",), "emulator": ("encryption", "active_pcr_banks")}


def _tpm_backend(backend: etree._Element) -> None:
    """What virDomainTPMDefParseXML reads of a passthrough or emulator backend: a passthrough
    one only its device path (``/dev/tpm0`` when absent), an emulator one its version, secret,
    PCR banks and persistent state (printed only when ``yes``)."""
    btype = backend.get("type")
    kids = _TPM_BACKEND_KIDS.get(btype or "")
    if kids is None:
        return
    for child in [c for c in backend if c.tag not in kids]:
        backend.remove(child)
    attrib = backend.attrib
    if btype == "passthrough":
        for name in [n for n in attrib if n != "type"]:
            del attrib[name]
        device = _first(backend, "device")
        if device is None:
            device = etree.SubElement(backend, "device")
        if device.get("path") is None:
            device.set("path", "/dev/tpm0")
    elif attrib.get("persistent_state") == "no":
        del attrib["persistent_state"]


def _vsock_cid(vsock: etree._Element) -> None:
    """virDomainVsockDefPostParse: ``auto`` is ``no`` with a guest CID, else ``yes``."""
    cid = _first(vsock, "cid")
    if cid is None:
        cid = etree.SubElement(vsock, "cid")
    if "auto" not in cid.attrib:
        cid.set("auto", "no" if _c_int(cid.get("address", "0")) else "yes")


def _chardev_ports(items: list[etree._Element]) -> None:
    """Serial and parallel ports without a target port get the lowest free ones, in order."""
    if not items:
        return
    targets: list[tuple[etree._Element, etree._Element | None, str | None]] = []
    for item in items:
        target = _first(item, "target")
        targets.append((item, target, target.get("port") if target is not None else None))
    used = {given for _, _, given in targets if given is not None}
    port = 0
    for item, target, given in targets:
        if given is not None:
            continue
        if target is None:
            target = etree.SubElement(item, "target")
        while str(port) in used:
            port += 1
        target.set("port", str(port))
        used.add(str(port))


def _clone(el: etree._Element) -> etree._Element:
    import copy

    return copy.deepcopy(el)


def _copy_device(device: etree._Element, tag: str) -> etree._Element:
    """A new character device ``tag`` that is ``device`` (backend, address, alias) without its
    ``<target>``: how libvirt shows one device as both a serial port and a console."""
    copy = _clone(device)  # one C-level copy, then what is not to be copied undone
    copy.tag = tag
    copy.text = copy.tail = None
    copy.sourceline = 0  # type: ignore[assignment]  # a new element: no source line (stubs type it oddly)
    for target in list(copy.iterchildren("target")):
        copy.remove(target)
    return copy


_STUB_CONSOLE_SERIALS = (None, "isa-serial", "spapr-vio-serial", "system-serial", "sclp-serial")
"""Serial target types for which libvirt adds a console mirroring serial 0 (virDomainDefAddConsoleCompat)."""


def _console_compat(devices: etree._Element, consoles: list[etree._Element], serials: list[etree._Element]) -> bool:
    """libvirt's console/serial aliasing for hvm guests (``virDomainDefAddConsoleCompat``).

    A first console of target type ``serial`` (or none) stands for serial 0: without serials
    it becomes one; a guest whose serial 0 is an ISA-like port and whose first console is not
    serial gets a stub console in front.  Returns whether devices were added.
    """
    for console in consoles[1:]:
        target = _first(console, "target")
        if target is not None and target.get("type") == "serial":
            raise XMLError(
                "unsupported configuration: Only the first console can be a serial port",
                code=ErrorCode.CONFIG_UNSUPPORTED,
                line=line_of(console),
            )
    if consoles:
        target = _first(consoles[0], "target")
        if (target.get("type") if target is not None else None) in (None, "serial"):
            if serials:
                return False
            # the console device itself becomes serial 0 (address and alias included)
            serial = _copy_device(consoles[0], "serial")
            etree.SubElement(serial, "target", port="0")
            devices.append(serial)
            return True
    if not serials:
        return False
    target = _first(serials[0], "target")
    if (target.get("type") if target is not None else None) not in _STUB_CONSOLE_SERIALS:
        return False
    stub = etree.Element("console", type="pty")
    etree.SubElement(stub, "target", type="serial")
    if consoles:
        consoles[0].addprevious(stub)
    else:
        devices.append(stub)
    return True


def _mirror_serials(consoles: list[etree._Element], serials: list[etree._Element], *, hvm: bool) -> None:
    """Number consoles not yet numbered by position and, for hvm guests, print a serial-type console ``n`` as a
    copy of serial ``n`` (libvirt's formatter copies the whole serial device: backend,
    address, alias), with only the target's type and port of its own."""
    for n, console in enumerate(consoles):
        target = _first(console, "target")
        if target is None:
            target = etree.SubElement(console, "target")
        ttype = target.get("type")
        if ttype is None:
            ttype = "serial"
            target.set("type", ttype)
        if target.get("port") is None:
            target.set("port", str(n))
        if not (hvm and ttype == "serial" and n < len(serials)):
            continue
        serial = serials[n]
        serial_target = _first(serial, "target")
        port = serial_target.get("port", "0") if serial_target is not None else "0"
        if _is_mirror(console, target, serial, serial_target, port):
            # already the copy: only its source lines are forgotten, as a new copy has none
            console.sourceline = target.sourceline = 0  # type: ignore[assignment]
            continue
        mirror = _copy_device(serial, "console")
        etree.SubElement(mirror, "target", type="serial", port=port)
        console.addprevious(mirror)
        console.getparent().remove(console)  # type: ignore[union-attr]
        consoles[n] = mirror


def _is_mirror(
    console: etree._Element,
    target: etree._Element,
    serial: etree._Element,
    serial_target: etree._Element | None,
    port: str,
) -> bool:
    """Whether ``console`` (with its first ``target``) already is what :func:`_mirror_serials`
    would put in its place: the serial's attributes, and nothing but a bare target of type
    serial and the serial's port, the serial having nothing but its target either (the common
    case, which then costs a few reads instead of a deep copy)."""
    return (
        serial_target is not None
        and len(console) == 1
        and len(serial) == 1
        and len(target) == 0
        and console.items() == serial.items()
        and target.items() == [("type", "serial"), ("port", port)]
        and console.text is None
        and console.tail is None
        and target.text is None
        and target.tail is None
    )


# graphics and video ------------------------------------------------------------------------


_AUTH = ("passwd", "passwdValidTo", "connected")


def _graphics_auth(graphics: etree._Element, gtype: str | None) -> None:
    """virDomainGraphicsAuthDefParseXML runs for VNC and SPICE only and reads the password's
    validity and ``connected`` only beside a password."""
    attrib = graphics.attrib
    if "passwd" in attrib and gtype in ("vnc", "spice"):
        return
    for name in _AUTH:
        if name in attrib and (name != "passwd" or gtype not in ("vnc", "spice")):
            del attrib[name]


_GRAPHICS_CHILDREN: dict[str | None, frozenset[str]] = {
    "vnc": frozenset(("listen", "audio")),
    "rdp": frozenset(("listen",)),
    "sdl": frozenset(("gl",)),
    "egl-headless": frozenset(("gl",)),
    "dbus": frozenset(("gl", "audio")),
    "desktop": frozenset(),
    "spice": frozenset(
        (
            "listen",
            "channel",
            "image",
            "jpeg",
            "zlib",
            "playback",
            "streaming",
            "clipboard",
            "filetransfer",
            "gl",
            "mouse",
        )
    ),
}
"""The children each graphics type's parser reads (virDomainGraphicsDefParseXMLVNC, ...RDP,
...SDL, ...EGLHeadless, ...DBus, ...Desktop, ...Spice); the formatter prints only those, so a
SPICE-only ``<mouse>`` or ``<gl>`` written on a VNC display is gone from the dump."""


def _graphics_defaults(graphics: etree._Element) -> None:
    """One graphics device's defaults; its attributes are read once (``given``, kept up to date
    with what is written back) and its children in one slice."""
    given = dict(_items(graphics))
    gtype = given.get("type")
    if "passwdValidTo" in given or "connected" in given or "passwd" in given:
        _graphics_auth(graphics, gtype)
    if gtype != "spice" and "defaultMode" in given:
        del graphics.attrib["defaultMode"]  # virDomainGraphicsDefParseXMLSpice's alone
    read = _GRAPHICS_CHILDREN.get(gtype)
    children = _children(graphics)
    if read is not None:
        children = _keep_read(graphics, children, read)
    if gtype not in ("vnc", "spice", "rdp"):
        return
    listens = [child for child in children if child.tag == "listen"]
    for listen in listens:
        if listen.get("type") == "network" and "address" in listen.attrib:
            del listen.attrib["address"]  # a network's address is resolved at start: live-only
    socket = given.get("socket")
    if gtype == "vnc" and socket is not None:
        for old in listens:
            graphics.remove(old)
        new = etree.Element("listen", type="socket", socket=socket)
        graphics.insert(0, new)
        return
    if gtype == "vnc" and listens and listens[0].get("type") == "socket":
        if listens[0].get("socket") is not None:
            graphics.set("socket", listens[0].get("socket", ""))
        return
    listen_attr = given.get("listen")
    first = listens[0] if listens else None
    first_type = first.get("type") if first is not None else None
    if listen_attr is not None and first is None:
        first = etree.Element("listen", type="address", address=listen_attr)
        graphics.insert(0, first)
        first_type = "address"
    elif listen_attr is None and first is not None and first_type == "address":
        address = first.get("address")
        if address:
            graphics.set("listen", address)
            given["listen"] = address
    elif listen_attr and first is not None and first_type == "address" and first.get("address") is None:
        first.set("address", listen_attr)  # virDomainGraphicsListenDefParseXML: the first listen takes it
    if first is None:
        first = etree.Element("listen", type="address")  # every vnc, spice and rdp graphics listens
        graphics.insert(0, first)
        first_type = "address"
    if gtype == "vnc":
        _vnc_port(graphics, first_type, given)
    elif gtype == "spice":
        _spice_ports(graphics, first, first_type, given)


def _spice_ports(
    graphics: etree._Element, first: etree._Element, first_type: str | None, given: dict[str, str]
) -> None:
    """SPICE ports as virDomainGraphicsDefParseXMLSpice reads them for a definition (``-1`` for
    both ports means autoport; autoport forgets them), virDomainDefPostParseGraphics turns an
    address listen without ports or autoport into ``type='none'``, and the formatter prints
    non-zero ports and ``autoport`` only when listening on an address or network.
    ``first``: the first listen, of type ``first_type``; ``given``: the graphics' attributes."""
    values = {}
    for attr in ("port", "tlsPort"):
        raw = given.get(attr)
        try:
            values[attr] = int(raw, 10) if raw is not None else 0
        except ValueError:
            raise XMLError(
                f"XML error: Invalid value for attribute '{attr}' in element 'graphics': '{raw}'. "
                "Expected integer value",
                line=line_of(graphics),
            ) from None
        if raw is not None:
            del graphics.attrib[attr]
    auto = given.get("autoport") == "yes"
    if "autoport" in given:
        del graphics.attrib["autoport"]
    if values["port"] == -1 and values["tlsPort"] == -1:
        auto = True
    if auto:
        values = {"port": 0, "tlsPort": 0}
    if (first_type or "address") == "address" and not values["port"] and not values["tlsPort"] and not auto:
        first.attrib.clear()
        first.set("type", "none")
        first_type = "none"
        if "listen" in given:
            del graphics.attrib["listen"]
    if (first_type or "address") not in ("address", "network"):
        return
    for attr in ("port", "tlsPort"):
        if values[attr]:
            graphics.set(attr, str(values[attr]))
    graphics.set("autoport", "yes" if auto else "no")


def _vnc_port(graphics: etree._Element, first_type: str | None, given: dict[str, str]) -> None:
    """VNC ``port``/``autoport`` as virDomainGraphicsDefParseXMLVNC reads them for a definition
    (a missing port or ``-1`` means autoport; autoport forgets the port) and as the formatter
    prints them: ``port='-1'`` for autoport, nothing at all unless listening on an address or
    network.  ``first_type``: the first listen's type; ``given``: the graphics' attributes."""
    port, autoport = given.get("port"), given.get("autoport")
    number = 0
    auto = port is None
    if port is not None:
        try:
            number = int(port, 10)
        except ValueError:
            raise XMLError(f"internal error: cannot parse vnc port {port}", line=line_of(graphics)) from None
        if number == -1:
            number, auto = 0, True
    if autoport is not None:
        auto = autoport == "yes"
        if auto:
            number = 0
    for attr in ("port", "autoport"):
        if attr in given:
            del graphics.attrib[attr]
    if (first_type or "address") not in ("address", "network"):
        return
    if number and not auto:
        graphics.set("port", str(number))
    elif auto:
        graphics.set("port", "-1")
    graphics.set("autoport", "yes" if auto else "no")


_VGA_LIKE = frozenset(("vga", "cirrus", "vmvga"))
_VIDEO_ENUM_ZERO = {"vgaconf": "io"}
"""``<video><driver>`` attributes whose value is index 0 of libvirt's enum: the formatter tests
the number for truth, so that value is never printed (virDomainVideoDefFormat)."""


def video_default_ram(mtype: str, virt_type: str | None) -> int:
    """virDomainVideoDefaultRAM: KiB of video memory a model gets when the document gives none."""
    if mtype in _VGA_LIKE:
        return {"vbox": 8192, "vmware": 4096}.get(virt_type or "", 16384)
    return {"bochs": 16384, "xen": 4096, "qxl": 65536}.get(mtype, 0)


def _power_of_two(value: int) -> int:
    """VIR_ROUND_UP_POWER_OF_TWO (0 stays 0)."""
    return 1 << (value - 1).bit_length() if value > 0 else 0


def _video_defaults(
    devices: etree._Element,
    videos: list[etree._Element],
    *,
    arch: str | None,
    os_type: str | None,
    virt_type: str | None,
) -> None:
    """Implicit video for graphics, the test driver's default model, libvirt's video post-parse
    (default and power-of-two RAM) and the primary video first."""
    if not videos and _first(devices, "graphics") is not None:
        videos = [etree.SubElement(devices, "video")]
    # testDomainDevicesDefPostParse: Xen guests get a Xen framebuffer, POWER VGA, others Cirrus
    default = "xen" if os_type in ("xen", "linux") else "vga" if arch and arch.startswith("ppc64") else "cirrus"
    primary = None
    for video in videos:
        driver = model = None
        for child in _children(video):
            tag = child.tag
            if tag == "driver":
                driver = child if driver is None else driver
            elif tag == "model":
                model = child if model is None else model
        if driver is not None:
            for attr, zero in _VIDEO_ENUM_ZERO.items():
                if driver.get(attr) == zero:
                    del driver.attrib[attr]
            if not driver.attrib and not len(driver):
                video.remove(driver)
        if model is None:
            model = etree.SubElement(video, "model", type=default)
        given = dict(_items(model))  # type, ram, vram, heads, primary: one read
        mtype = given.get("type")
        if mtype is None:
            mtype = default
            model.set("type", mtype)
        if mtype == "none":
            # virDomainDefPostParseVideo: a 'none' video is cleared of all but its type and alias
            model.attrib.clear()
            model.set("type", "none")
            for child in list(model):
                model.remove(child)
            for child in list(video):
                if child is not model and child.tag != "alias":
                    video.remove(child)
            continue
        for attr in ("ram", "vram"):
            raw = given.get(attr)
            # plain digits (the usual case) read directly, as c_number would
            size = int(raw) if raw is not None and raw.isdecimal() else addresses.c_number(raw or "0", 10) or 0
            if size == 0 and (attr == "vram" or mtype == "qxl"):
                size = video_default_ram(mtype, virt_type)
            if size:
                shown = str(_power_of_two(size))
                if shown != raw:
                    model.set(attr, shown)
        if given.get("heads") is None:
            model.set("heads", "1")
        primary_attr = given.get("primary")
        if primary_attr == "yes" and primary is None:
            primary = video
        elif primary_attr is not None:
            del model.attrib["primary"]  # libvirt prints only primary='yes', on one video
    if not videos:
        return
    if primary is None:
        first_model = _first(videos[0], "model")
        if first_model is not None and first_model.get("type") != "none":
            first_model.set("primary", "yes")
    elif primary is not videos[0]:
        devices.remove(primary)
        videos[0].addprevious(primary)


# controllers -------------------------------------------------------------------------------


_USB2_MODELS = frozenset(("ich9-ehci1", "ich9-uhci1", "ich9-uhci2", "ich9-uhci3"))


def _usb2_group_index(
    entry: list[str | None], previous_usb: list[str | None] | None, controllers: list[list[str | None]]
) -> str | None:
    """virDomainDefPostParseUSBControllers: a USB2 controller without an index joins the group of
    the USB controller just before it, if that one is USB2 too and the group has no controller
    of this model yet.  Controllers are given as their [type, model, index]."""
    ctype, model, _index = entry
    if ctype != "usb" or model not in _USB2_MODELS or previous_usb is None:
        return None
    if previous_usb[1] not in _USB2_MODELS:
        return None
    index = previous_usb[2]
    for other in controllers:
        if other[0] == "usb" and other[2] == index and other[1] == model:
            return None
    return index


def _controller_defaults(
    devices: etree._Element, groups: Groups, drive_tops: dict[str, int], virtio_serial: set[int]
) -> None:
    """Controllers' indexes, order and the implicit ones; ``drive_tops`` is the highest drive
    controller each disk bus uses (:func:`_disk_defaults`), ``virtio_serial`` the virtio-serial
    controllers consoles and channels use (:func:`_virtio_serial_user`)."""
    controllers = groups.get("controller", [])
    if not (controllers or drive_tops or virtio_serial or "hostdev" in groups or "smartcard" in groups):
        return  # no controller to settle and none implied
    # each controller's [type, model, index] read once (the index is filled in below)
    attrs: list[list[str | None]] = []
    indexes: list[int | None] = []
    used: dict[str, set[int]] = {}
    for ctrl in controllers:
        given = dict(_items(ctrl))
        ctype, model, raw = given.get("type", ""), given.get("model"), given.get("index")
        attrs.append([ctype, model, raw])
        for attr, types in _CONTROLLER_ATTRS if not _CONTROLLER_ATTR_NAMES.isdisjoint(given) else ():
            if attr in given and ctype not in types:
                del ctrl.attrib[attr]
        master = _controller_children(ctrl, ctype, model) if len(ctrl) else None
        if master is None:
            if ctype == "usb" and model in _COMPANION_PORTS:
                etree.SubElement(ctrl, "master", startport=_COMPANION_PORTS[model])  # virDomainControllerDefParseXML
        elif master.get("startport") is None:
            master.set("startport", "0")  # virDomainDeviceUSBMasterParseXML: an optional number, 0 unless given
        if raw is None:
            indexes.append(None)
        else:
            idx = int(raw) if raw.isdecimal() else _int_attr(ctrl, "index", raw)
            indexes.append(idx)
            used.setdefault(ctype, set()).add(idx)
    # controllers of distinct types stay where they are: only same-type ones are reordered
    if len(controllers) > 1 and len({entry[0] for entry in attrs}) < len(attrs):
        order = _order_controllers(devices, controllers, indexes, attrs)
        controllers = [controllers[i] for i in order]
        attrs = [attrs[i] for i in order]
    # A SCSI hostdev adds its controller while the document is parsed, before controllers
    # written without an index get one (so such a controller may end up as index 1).
    for hostdev in groups.get("hostdev", ()):
        address = _first(hostdev, "address")
        if hostdev.get("type") == "scsi" and address is not None and address.get("type") == "drive":
            index = int(address.get("controller", "0"))
            if index not in used.setdefault("scsi", set()):
                _insert_controller(devices, "scsi", index, _hostdev_scsi_model(devices, groups["hostdev"]))
                used["scsi"].add(index)
    previous_usb: list[str | None] | None = None
    for ctrl, entry in zip(controllers, attrs, strict=True):
        ctype = entry[0] or ""
        if entry[2] is None:
            shared = _usb2_group_index(entry, previous_usb, attrs) if ctype == "usb" else None
            if shared is None:
                taken = used.setdefault(ctype, set())
                idx = 0
                while idx in taken:
                    idx += 1
                taken.add(idx)
                shared = str(idx)
            ctrl.set("index", shared)
            entry[2] = shared
        if ctype == "usb":
            previous_usb = entry
    needed: list[tuple[str, int]] = []
    if "hostdev" in groups:
        drive_tops = dict(drive_tops)
        for hostdev in groups["hostdev"]:
            for address in hostdev.iterchildren("address"):
                if address.get("type") == "drive":
                    drive_tops["scsi"] = max(drive_tops.get("scsi", -1), int(address.get("controller", "0")))
    if drive_tops and max(drive_tops.values()) > _MAX_IMPLICIT_CONTROLLERS:
        _refuse_drive_controller(devices)
    for bus, top in drive_tops.items():
        needed += [(bus, i) for i in range(top + 1)]  # virDomainDefAddDiskControllersForType
    if "smartcard" in groups:
        needed.append(("ccid", 0))
    needed += [("virtio-serial", n) for n in virtio_serial]
    if len(needed) > 1:
        needed = sorted(set(needed), key=lambda item: (_IMPLICIT_ORDER.get(item[0], 99), item[1]))
    disk_scsi, hostdev_model = -1, None
    if "hostdev" in groups and any(ctype == "scsi" for ctype, _ in needed):
        disk_scsi = max((int(a.get("controller", "0")) for a in _scsi_disk_addresses(devices)), default=-1)
        hostdev_model = _hostdev_scsi_model(devices, groups["hostdev"])
    for ctype, index in needed:
        if index not in used.setdefault(ctype, set()):
            # only virDomainDefMaybeAddHostdevSCSIcontroller gives its controllers a model
            model = hostdev_model if ctype == "scsi" and index > disk_scsi else None
            _insert_controller(devices, ctype, index, model)
            used[ctype].add(index)
    slot = 0
    for card in groups.get("smartcard", ()):
        if _first(card, "address") is None:
            etree.SubElement(card, "address", type="ccid", controller="0", slot=str(slot))
        slot += 1


def _refuse_drive_controller(devices: etree._Element) -> None:
    """libvirt's refusal of a drive address whose controller index would need too many implicit
    controllers, naming the last such address of the first bus (in document order) past the limit."""
    highest: dict[str, tuple[int, etree._Element]] = {}
    for address in select(_DRIVE_ADDRESSES, devices):
        dev = address.getparent()
        if dev is not None:
            bus = None
            if dev.tag == "disk":
                target = _first(dev, "target")
                bus = target.get("bus") if target is not None else None
            elif dev.tag == "hostdev":
                bus = "scsi"
            if bus in _DRIVE_LAYOUT:
                index = int(address.get("controller", "0"))
                if index >= highest.get(str(bus), (-1, address))[0]:
                    highest[str(bus)] = (index, address)
    for top, address in highest.values():
        if top > _MAX_IMPLICIT_CONTROLLERS:
            raise XMLError(
                f"XML error: drive address controller {top} would need too many implicit controllers",
                line=line_of(address),
            )


def _virtio_serial_user(device: etree._Element, virtio_serial: set[int], *, channel: bool = False) -> None:
    """Add to ``virtio_serial`` the controller a console or channel with a virtio target uses:
    that of its first address when it is a virtio-serial one, else 0.  A ``channel``'s (first)
    target also forgets its state, read from live XML only."""
    virtio = False
    address = None
    for child in _children(device):
        tag = child.tag
        if tag == "target":
            if channel:
                channel = False
                if "state" in child.attrib:
                    del child.attrib["state"]
            virtio = virtio or child.get("type") == "virtio"
        elif tag == "address" and address is None:
            address = child
    if virtio:
        if address is not None and address.get("type") == "virtio-serial":
            virtio_serial.add(int(address.get("controller", "0")))
        else:
            virtio_serial.add(0)


# libvirt adds implicit controllers in this order of types
_IMPLICIT_ORDER = {"scsi": 0, "fdc": 1, "ide": 2, "sata": 3, "virtio-serial": 4, "ccid": 5}
_DRIVE_ADDRESSES = etree.XPath("*/address[@type='drive']")


_CONTROLLER_ATTRS = (
    ("ports", ("usb", "virtio-serial")),
    ("vectors", ("virtio-serial",)),
    ("maxGrantFrames", ("xenbus",)),
    ("maxEventChannels", ("xenbus",)),
)
"""Controller attributes virDomainControllerDefParseXML reads for some types only."""
_CONTROLLER_ATTR_NAMES = frozenset(attr for attr, _types in _CONTROLLER_ATTRS)
_DEVICE_INFO_TAGS = frozenset(("address", "alias", "master", "acpi"))


def _controller_children(ctrl: etree._Element, ctype: str, model: str | None) -> etree._Element | None:
    """virDomainControllerDefParseXML, in one scan of the children: ``<target>`` attributes and
    ``<model name>`` are read for PCI controllers only; a ``<pcihole64>`` belongs to a PCI root;
    a USB controller of model 'none' has no device info (its address and alias are ignored).
    Returns the first ``<master>`` left."""
    master = None
    for child in _children(ctrl):
        tag = child.tag
        if (
            (ctype != "pci" and (tag == "target" or tag == "model"))
            or (tag == "pcihole64" and (ctype != "pci" or model not in ("pci-root", "pcie-root")))
            or (ctype == "usb" and model == "none" and tag in _DEVICE_INFO_TAGS)
        ):
            ctrl.remove(child)
        elif tag == "master" and master is None:
            master = child
    return master


def _order_controllers(
    devices: etree._Element,
    controllers: list[etree._Element],
    indexes: list[int | None],
    attrs: list[list[str | None]],
) -> list[int]:
    """libvirt files each parsed controller in after the last one of its type with a lower
    index (a USB master before its companions); types keep their order of first appearance.
    Returns the new order as positions in ``controllers`` (``attrs`` holds each one's type).

    Controllers of one type are few in real domains; past :data:`_FILE_IN_LIMIT` of them the
    same result for indexed controllers is computed with a sort, so the cost stays bounded.
    """
    per_type: dict[str | None, list[tuple[int, bool, int]]] = {}
    for pos, (ctrl, index, entry) in enumerate(zip(controllers, indexes, attrs, strict=True)):
        item = (-1 if index is None else index, len(ctrl) > 0 and _first(ctrl, "master") is not None, pos)
        per_type.setdefault(entry[0], []).append(item)
    ordered: list[int] = []
    for entries in per_type.values():
        if len(entries) > _FILE_IN_LIMIT:
            ordered += [e[2] for e in sorted(entries, key=lambda e: (e[0] < 0, e[0], e[1]))]
            continue
        placed: list[tuple[int, bool, int]] = []
        for index, companion, pos in entries:
            insert_at = -1
            for at in range(len(placed) - 1, -1, -1):
                other_index, other_companion, _ = placed[at]
                if index == -1:
                    insert_at = at + 1
                    break
                if other_index > index or (not companion and other_companion and other_index == index):
                    insert_at = at
                elif insert_at == -1:
                    insert_at = at + 1
            if insert_at == -1:
                placed.append((index, companion, pos))
            else:
                placed.insert(insert_at, (index, companion, pos))
        ordered += [e[2] for e in placed]
    if ordered != sorted(ordered):
        _replace_run(devices, controllers, [controllers[i] for i in ordered])
    return ordered


_FILE_IN_LIMIT = 256
_MAX_IMPLICIT_CONTROLLERS = 65535
"""Highest drive controller index accepted: libvirt would add every controller up to it, so an
unbounded index is a way to make the parser build millions of elements."""
_COMPANION_PORTS = {"ich9-uhci1": "0", "ich9-uhci2": "2", "ich9-uhci3": "4"}
"""The first port of each ICH9 UHCI companion on its EHCI master, when the document gives none."""


def _replace_run(parent: etree._Element, old: list[etree._Element], new: list[etree._Element]) -> None:
    """Put ``new`` (a permutation of ``old``) where ``old[0]`` was, in linear time."""
    marker = etree.Element("marker")
    old[0].addprevious(marker)
    for el in old:
        parent.remove(el)
    anchor = marker
    for el in new:
        anchor.addnext(el)
        anchor = el
    parent.remove(marker)


_SCSI_DISK_ADDRESSES = etree.XPath("disk[target/@bus='scsi']/address[@type='drive']")


def _scsi_disk_addresses(devices: etree._Element) -> list[etree._Element]:
    return select(_SCSI_DISK_ADDRESSES, devices)


def _hostdev_scsi_model(devices: etree._Element, hostdevs: Iterable[etree._Element]) -> str | None:
    """The model virDomainDefMaybeAddHostdevSCSIcontroller gives the controllers it adds: that
    of the existing controller of the SCSI host device with the highest controller so far."""
    top = -1
    model = None
    for hostdev in hostdevs:
        address = _first(hostdev, "address")
        if hostdev.get("type") != "scsi" or address is None or address.get("type") != "drive":
            continue
        index = int(address.get("controller", "0"))
        if index > top:
            top = index
            for ctrl in devices.iterchildren("controller"):
                if ctrl.get("type") == "scsi" and ctrl.get("index") == str(index) and ctrl.get("model"):
                    model = ctrl.get("model")
    return model


def _insert_controller(devices: etree._Element, ctype: str, index: int, model: str | None = None) -> None:
    """An implicit controller goes after all the others (libvirt appends it)."""
    if model is None:
        new = made("controller", type=ctype, index=str(index))
    else:
        new = made("controller", type=ctype, index=str(index), model=model)
    last = next(devices.iterchildren("controller", reversed=True), None)
    if last is not None:
        last.addnext(new)
    else:
        devices.append(new)


_TTY_TAGS = ("console", "serial", "parallel", "channel")
"""The character devices of virDomainChrDefFormat (a tty, a target type): the rest of
``_CHARDEV_TAGS`` are other devices with a character source."""


# -- network -------------------------------------------------------------------------------

_LIBVIRT_BRIDGED = ("nat", "route", "open", None)


def network_defaults(root: etree._Element, namespaces: Collection[str] | None) -> None:
    """libvirt's network parse-time defaults (generic parser, no driver)."""
    implicit.drop_empty_network(root)
    if namespaces is not None:
        _drop_foreign_namespaces(root, namespaces)
    _uuid_default(root, _first(root, "uuid"))
    if root.get("ipv6") == "no":
        del root.attrib["ipv6"]
    for mac in list(root.iterchildren("mac")):
        if mac.get("address") is None:
            root.remove(mac)  # virNetworkDefParseXML reads only mac/@address: no bridge MAC
        else:
            mac.set("address", canonical_mac(mac.get("address", ""), line=line_of(mac)))
    forward = _first(root, "forward")
    mode: str | None = None
    if forward is not None:
        mode = forward.get("mode")
        if mode is None:
            mode = "nat"
            forward.set("mode", mode)
        dev = forward.get("dev")
        ifaces = list(forward.iterchildren("interface"))
        if dev is not None and not ifaces and _first(forward, "pf") is None and _first(forward, "address") is None:
            etree.SubElement(forward, "interface", dev=dev)
        elif dev is None and ifaces:
            first = ifaces[0].get("dev")
            if first:
                forward.set("dev", first)
        for address in forward.iterchildren("address"):
            if address.get("type") == "pci":
                _pci_address(address)  # virNetworkForwardDefParseXML reads it as a host PCI address
    for owner in (root, *root.iterchildren("portgroup")):
        vlan = _first(owner, "vlan")  # virNetworkDefParseXML and its portgroups read the first
        if vlan is not None:
            netdev.vlan(vlan)
    bridge = _first(root, "bridge")
    if mode in _LIBVIRT_BRIDGED and bridge is None:
        bridge = etree.SubElement(root, "bridge")  # libvirt manages this bridge: it has STP defaults
    if mode in _LIBVIRT_BRIDGED and bridge is not None:
        if bridge.get("stp") is None:
            bridge.set("stp", "on")
        if bridge.get("delay") is None:
            bridge.set("delay", "0")


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
    value = scaled_to(el.text or "", el.get("unit"), out_unit=1, default_unit=1, what=tag, line=line_of(el))
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


_POOL_FORMAT_DEFAULTS = {"logical": "lvm2", "fs": "auto", "netfs": "auto", "disk": "unknown"}


_POOLS_NAMED_BY_SOURCE = frozenset(("logical", "sheepdog", "gluster", "zfs", "vstorage"))
"""Pool types whose ``<source><name>`` defaults to the pool's name (VIR_STORAGE_POOL_SOURCE_NAME;
rbd has the flag too but requires the name)."""


def pool_defaults(root: etree._Element, namespaces: Collection[str] | None = None) -> None:
    """libvirt's storage pool parse-time defaults."""
    implicit.drop_empty_pool(root)
    if namespaces is not None:
        _drop_foreign_namespaces(root, namespaces)
    if _first(root, "name") is None and root.get("type") == "logical":
        src_name = root.findtext("source/name")
        if src_name:
            etree.SubElement(root, "name").text = src_name
    _uuid_default(root, _first(root, "uuid"))
    for tag in ("capacity", "allocation", "available"):
        # runtime values: libvirt's parser ignores them and a driver fills them in
        for el in root.findall(tag):
            root.remove(el)
        _bytes_element(root, tag, default=0)
    pool_type = root.get("type", "")
    for refresh in root.findall("refresh"):
        if root.find("refresh/volume[@allocation]") is None:
            root.remove(refresh)  # virStoragePoolDefRefreshParse reads refresh/volume/@allocation only
    source = _first(root, "source")
    if source is None:
        source = etree.SubElement(root, "source")
    source_name = _first(source, "name")
    if pool_type in _POOLS_NAMED_BY_SOURCE and source_name is None:
        source_name = etree.SubElement(source, "name")
        source_name.text = root.findtext("name") or ""
    if pool_type == "gluster":
        sdir = _first(source, "dir")
        if sdir is None:
            etree.SubElement(source, "dir", path="/")
        elif not sdir.get("path"):
            sdir.set("path", "/")
    for adapter in source.iterchildren("adapter"):
        if adapter.get("type") is None and adapter.get("name") is not None:
            adapter.set("type", "scsi_host")
        for address in adapter.iterfind("parentaddr/address"):
            _pci_address(address)  # virPCIDeviceAddressParseXML/Format: all four fields, hex
    for sdir in source.iterchildren("dir"):
        if sdir.get("path"):
            sdir.set("path", clean_path(sdir.get("path", "")))
    computed = None
    if pool_type == "logical" and source_name is not None:
        computed = "/dev/" + (source_name.text or "")
    elif pool_type == "zfs" and source_name is not None:
        computed = "/dev/zvol/" + (source_name.text or "")
    if computed is not None:
        target = _first(root, "target")
        if target is None:
            target = etree.SubElement(root, "target")
        path_el = _first(target, "path")
        if path_el is None:
            path_el = etree.SubElement(target, "path")
        path_el.text = computed
    fmt = _POOL_FORMAT_DEFAULTS.get(pool_type)
    fmt_el = _first(source, "format")
    if fmt is not None and fmt_el is None:
        etree.SubElement(source, "format", type=fmt)
    elif fmt is not None and fmt_el is not None and fmt_el.get("type") is None:
        fmt_el.set("type", fmt)  # the parser reads format/@type only
    for dev in source.iterchildren("device"):
        for ext in list(dev.iterchildren("freeExtent")):
            dev.remove(ext)
    target = _first(root, "target")
    if target is not None:
        path = _first(target, "path")
        if path is not None and path.text:
            path.text = clean_path(path.text)


_VOL_CHILDREN = frozenset(("name", "key", "capacity", "allocation", "target", "backingStore"))
_VOL_TARGET_CHILDREN = frozenset(
    ("path", "format", "permissions", "timestamps", "encryption", "compat", "clusterSize", "features")
)


def vol_defaults(root: etree._Element, *, no_capacity: bool) -> None:
    """libvirt's volume parse-time defaults that do not depend on the pool (those that do are
    :func:`pyvirt.xml.storage_rules.volume`'s)."""
    # What virStorageVolDefParseXML reads; the rest (<source>, output-only extents of a logical
    # volume; <physical>, computed; <nocow>, read but never printed) is dropped.
    for child in list(root):
        if child.tag not in _VOL_CHILDREN:
            root.remove(child)
    for vol_target in root.iterchildren("target"):
        for child in list(vol_target):
            if child.tag not in _VOL_TARGET_CHILDREN:
                vol_target.remove(child)
    storage_rules.volume_sizes(root, no_capacity=no_capacity)
    for target in (_first(root, "target"), *list(root.iterchildren("backingStore"))):
        if target is None:
            continue
        if target.tag == "target" and _first(target, "features") is not None and _first(target, "compat") is None:
            etree.SubElement(target, "compat").text = "1.1"  # features imply the qcow2 v3 format
        cluster = _first(target, "clusterSize") if target.tag == "target" else None
        if cluster is not None:
            # virParseScaledValue, bytes by default; printed in bytes when not 0
            size = scaled_to(
                cluster.text or "",
                cluster.get("unit"),
                out_unit=1,
                default_unit=1,
                what="clusterSize",
                line=line_of(cluster),
            )
            if size:
                cluster.text = str(size)
                cluster.set("unit", "B")
            else:
                target.remove(cluster)
        for stamps in list(target.iterchildren("timestamps")):
            target.remove(stamps)
