"""libvirt's semantic checks: what the schema may allow but libvirt still refuses.

The checks run on the document as written (before defaults), so they see what the user
wrote and can point at its line.  Messages carry the key words of libvirt's own (users search
for them) plus the line of the offending element.  Validation with the RelaxNG schema is
optional in libvirt and in pyvirt, so the checks also cover the few schema rules a broken
document most often breaks (PCI address ranges, negative numbers); enumerated attributes are
checked while the tree is filtered (:mod:`pyvirt.xml.known`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import cast

from lxml import etree

from pyvirt import uuids
from pyvirt.errors import ErrorCode, XMLError
from pyvirt.xml import defaults, implicit
from pyvirt.xml.known import Found
from pyvirt.xml.parser import children, line_of, select
from pyvirt.xml.parser import first_child as _first
from pyvirt.xml.refusal import internal


def _fail(message: str, el: etree._Element | None) -> XMLError:
    return XMLError(f"XML error: {message}", line=line_of(el))


def _unsupported(message: str, el: etree._Element | None) -> XMLError:
    line = line_of(el)
    suffix = f" (line {line})" if line is not None else ""
    return XMLError(f"unsupported configuration: {message}{suffix}", line=line, code=ErrorCode.CONFIG_UNSUPPORTED)


def _number(value: str) -> int | None:
    if value.isdigit() and value.isascii():
        return int(value)  # the common case, without the exception machinery
    try:
        return int(value, 16) if value.lower().startswith("0x") else int(value, 10)
    except ValueError:
        return None


def _bitmap(value: str, el: etree._Element) -> set[int]:
    return set(defaults.parse_bitmap(value, what=str(el.tag), line=line_of(el)))


# -- domain ------------------------------------------------------------------------------------


def check_domain(
    root: etree._Element,
    groups: tuple[dict[str, list[etree._Element]], dict[str, list[etree._Element]]] | None = None,
    found: Found | None = None,
) -> None:
    """Refuse a domain libvirt's generic parser refuses (duplicate targets, bad indexes...).

    ``groups``: the children of ``<domain>`` and ``<devices>`` by tag, if the caller has them.
    Every check looks its elements up in them (no path search of the whole tree), and a check
    whose elements are absent costs one dictionary lookup: most documents use few features.
    ``found``: what the parse's walk met, when the caller has it (the device parts below).
    """
    if root.get("type") is None:
        raise _fail("missing domain type attribute", root)
    top, device_groups = groups if groups is not None else defaults.index(root)
    devices = top["devices"][0] if "devices" in top else None
    walk = _DeviceWalk(devices, device_groups, found) if devices is not None else None
    iface_types = implicit.fill_domain(top, device_groups, walk.sources if walk is not None else {})
    get = top.get
    name_el = top["name"][0] if "name" in top else None
    name = (name_el.text or "") if name_el is not None else ""
    if name_el is None or not name.strip():
        raise _fail("missing domain name information", name_el if name_el is not None else root)
    if "/" in name:
        raise _fail(f"name {name} cannot contain '/'", name_el)
    for title in get("title", ()):
        if "\n" in (title.text or ""):
            raise _fail("Domain title can't contain newlines", title)
    os_el = top["os"][0] if "os" in top else None
    os_kids = _first_by_tag(os_el) if os_el is not None else {}
    os_type = os_kids.get("type")
    if (os_type is None or not (os_type.text or "").strip()) and "bootloader" not in top:
        raise _fail("an os <type> must be specified", os_el if os_el is not None else root)
    if os_el is not None:
        _check_os(os_el, os_kids)
        if "boot" in os_kids and _device_boot_order(root, top, walk):
            # virDomainDefBootOrderPostParse
            raise _unsupported("per-device boot elements cannot be used together with os/boot elements", root)
    vcpu_el = top["vcpu"][0] if "vcpu" in top else None
    max_vcpus = _number((vcpu_el.text or "1").strip()) if vcpu_el is not None else 1
    if max_vcpus is None or max_vcpus < 1:
        raise _fail(f"Invalid number of vcpus '{(vcpu_el.text or '') if vcpu_el is not None else ''}'", vcpu_el)
    if vcpu_el is not None and vcpu_el.get("cpuset"):
        _bitmap(vcpu_el.get("cpuset", ""), vcpu_el)
    if "numatune" in top or "memoryBacking" in top:
        ncells = len(root.findall("cpu/numa/cell"))
        for numatune in get("numatune", ()):
            for el in numatune:
                if el.get("nodeset") and not _bitmap(el.get("nodeset", ""), el):
                    raise _unsupported(f"Invalid value of 'nodeset': {el.get('nodeset')}", el)
            _check_memnodes(numatune, ncells, vcpu_el)
        for backing in get("memoryBacking", ()):
            _check_hugepages(backing, ncells)
    for features in get("features", ()):
        for hyperv in features.iterchildren("hyperv"):
            _check_hyperv(hyperv)
    for keywrap in get("keywrap", ()):
        _check_keywrap(keywrap)
    if "cputune" in top:
        _check_iothread_refs(root, top)
    if "iothreadids" in top or "defaultiothread" in top:
        _check_thread_pools(top)
    for blkiotune in get("blkiotune", ()):
        paths: set[str | None] = set()
        for device in blkiotune.iterchildren("device"):
            path = _first(device, "path")
            if path is None:
                raise _unsupported("missing per-device path", device)  # virDomainBlkioDeviceParseXML
            if path.text in paths:
                # virDomainDefTunablesValidate
                raise _unsupported(f"duplicate blkio device path '{path.text}'", path)
            paths.add(path.text)
    if "sysinfo" in top:
        for entry in root.iterfind("sysinfo/bios/entry[@name='date']"):
            if not _BIOS_DATE.fullmatch((entry.text or "").strip()) or not _valid_bios_date(entry.text or ""):
                raise XMLError("Invalid BIOS 'date' format", line=line_of(entry), code=ErrorCode.XML_DETAIL)
    if "cputune" in top:
        _check_cputune(top["cputune"][0], max_vcpus)
    if "cpu" in top:
        _check_cpu(top["cpu"][0])
        _check_numa(top["cpu"][0], max_vcpus)
    for vcpus in get("vcpus", ()):
        for item in vcpus.iterchildren("vcpu"):
            if (_number(item.get("id", "0")) or 0) >= max_vcpus:
                raise _fail(f"vcpu id '{item.get('id')}' is out of range of maximum vcpu count", item)
    if "sysinfo" in top and "uuid" in top:
        _check_sysinfo(root, top["uuid"][0])
    if "idmap" in top:
        _check_idmap(top["idmap"])
    if devices is not None and walk is not None:
        _check_devices(devices, device_groups, top, walk, iface_types, os_el, os_type)


def _first_by_tag(el: etree._Element) -> dict[str, etree._Element]:
    """The first child of each tag, in one pass: cheaper than a lookup per tag once an element
    is asked for two or more of its children (a ``<video>``'s model and driver)."""
    kids: dict[str, etree._Element] = {}
    for child in children(el):
        tag = child.tag
        if isinstance(tag, str) and tag not in kids:
            kids[tag] = child
    return kids


class _DeviceWalk:
    """The elements of ``<devices>`` some check looks at wherever they sit (addresses, boot
    orders, security labels, auth and secrets), gathered in one walk of the subtree instead of
    one path search each; lists keep document order, so the first offender is the one reported.

    The walk also notes the elements with a ``<vlan>``, a ``<backend>`` or a ``<driver>``: only
    those interfaces (and vhost-user ones) can fail :func:`_check_interface` or the queue check,
    and most interfaces have none, so the others are never visited child by child.  Likewise it
    gathers each element's ``<source>`` children (:attr:`sources`): a character device without
    one is checked by its type alone, and :func:`.implicit.fill_domain` reads the interfaces'
    and host devices' from it instead of searching each device.  Each of these is looked for
    only when the document has such devices.  When the parse's walk noted them
    (:class:`pyvirt.xml.known.Found`), they are read from its lists instead."""

    __slots__ = ("_iface_parts", "aliases", "auths", "boots", "ccw", "pci", "seclabels", "secrets", "sources")

    def __init__(self, devices: etree._Element, groups: dict[str, list[etree._Element]], found: Found | None) -> None:
        pci: list[etree._Element] = []
        ccw: list[etree._Element] = []
        boots: list[etree._Element] = []
        auths: list[etree._Element] = []
        secrets: list[etree._Element] = []
        sources: dict[etree._Element | None, list[etree._Element]] = {}
        parts: set[etree._Element | None] = set()
        aliases: list[etree._Element] = []
        seclabels = 0
        if "interface" in groups:
            wanted = _WALKED_WITH_INTERFACES
        elif "hostdev" in groups or not groups.keys().isdisjoint(_CHARDEV_TAGS):
            wanted = _WALKED_WITH_SOURCES
        else:
            wanted = _WALKED
        walked: Iterable[tuple[object, etree._Element]]
        if found is not None:
            noted = found.tags
            walked = [(tag, el) for tag in wanted for el in noted.get(tag, ())]
        else:
            walked = ((el.tag, el) for el in devices.iter())
        for tag, el in walked:
            if tag not in wanted:
                continue
            if tag == "address":
                atype = el.get("type")
                if atype == "pci":
                    pci.append(el)
                elif atype == "ccw" and _grandchild(el, devices):
                    ccw.append(el)
            elif tag == "source":
                parent = el.getparent()
                if parent in sources:
                    sources[parent].append(el)
                else:
                    sources[parent] = [el]
            elif tag in _INTERFACE_PARTS:
                parts.add(el.getparent())
            elif tag == "boot":
                if _grandchild(el, devices):
                    boots.append(el)
            elif tag == "alias":
                if el.get("name", "").startswith("ua-") and _grandchild(el, devices):
                    aliases.append(el)
            elif tag == "seclabel":
                seclabels += 1
            elif tag == "auth":
                auths.append(el)
            else:
                secrets.append(el)
        self.pci, self.ccw, self.boots, self.auths, self.secrets = pci, ccw, boots, auths, secrets
        self.sources, self._iface_parts, self.seclabels = sources, parts, seclabels
        self.aliases = aliases

    def interfaces(self, interfaces: list[etree._Element], types: list[str]) -> list[etree._Element]:
        """Those of ``interfaces`` (of ``types``) the interface checks could refuse, in document order."""
        parts = self._iface_parts
        return [iface for iface, itype in zip(interfaces, types, strict=True) if iface in parts or itype == "vhostuser"]


_INTERFACE_PARTS = ("driver", "vlan", "backend")
_WALKED = frozenset(("address", "boot", "seclabel", "auth", "secret", "alias"))
"""The tags :class:`_DeviceWalk` looks for in every document; ``<source>`` too when some
device reads it from the walk, and the interface parts when there are interfaces.  One walk
of every element, its tag looked up here, costs less than lxml's iterator matching a list of
tags (whose set-up alone costs as much as a small document's walk)."""
_WALKED_WITH_SOURCES = _WALKED | {"source"}
_WALKED_WITH_INTERFACES = _WALKED_WITH_SOURCES | set(_INTERFACE_PARTS)


def _grandchild(el: etree._Element, ancestor: etree._Element) -> bool:
    parent = el.getparent()
    return parent is not None and parent.getparent() is ancestor


def _device_boot_order(root: etree._Element, top: dict[str, list[etree._Element]], walk: _DeviceWalk | None) -> bool:
    """Whether a device has ``<boot order=...>`` (the walk sees the first ``<devices>`` only)."""
    if walk is not None and len(top["devices"]) == 1:
        return any(boot.get("order") is not None for boot in walk.boots)
    return _DEVICE_BOOT_ORDER(root) is True


_BIOS_DATE = re.compile(r"[0-9]+/[0-9]+/[0-9]+")


def _valid_bios_date(text: str) -> bool:
    """virSysinfoBIOSParseXML: mm/dd/yy or mm/dd/yyyy (1900 and later)."""
    month, day, year = (int(part) for part in text.strip().split("/"))
    return 1 <= month <= 12 and 1 <= day <= 31 and (year < 100 or year >= 1900)


def _check_hugepages(backing: etree._Element, ncells: int) -> None:
    """virDomainDefMemtuneValidate's hugepage rules: one page size without a nodeset at most, and
    nodesets naming existing guest NUMA cells only."""
    master: etree._Element | None = None
    for page in backing.iterfind("hugepages/page"):
        nodeset = page.get("nodeset")
        if nodeset is None:
            if master is not None:
                raise XMLError(
                    f"two master hugepages detected: {master.get('size')} and {page.get('size')}",
                    line=line_of(page),
                    code=ErrorCode.XML_DETAIL,
                )
            master = page
            continue
        beyond = sorted(n for n in _bitmap(nodeset, page) if n >= ncells)
        if beyond:
            raise XMLError(f"hugepages: node {beyond[0]} not found", line=line_of(page), code=ErrorCode.XML_DETAIL)


def _check_keywrap(keywrap: etree._Element) -> None:
    """virDomainKeyWrapCipherDefParseXML: a cipher is aes or dea, named once."""
    named: set[str] = set()
    for cipher in keywrap.iterchildren("cipher"):
        name = cipher.get("name")
        if name is None:
            continue  # the schema's error
        if name not in ("aes", "dea"):
            raise _fail(f"Invalid value for attribute 'name' in element 'cipher': '{name}'.", cipher)
        if name in named:
            raise internal(f"A domain definition can have no more than one cipher node with name {name}", cipher)
        named.add(name)


_VENDOR_ID_MAX = 12
"""VIR_DOMAIN_HYPERV_VENDOR_ID_MAX"""


def _check_hyperv(hyperv: etree._Element) -> None:
    """virDomainFeaturesHyperVDefParse: a spinlocks or vendor_id feature switched on carries
    its value (at least 4095 retries; a vendor id of at most 12 characters, no comma)."""
    for feature in hyperv.iterchildren("spinlocks", "vendor_id"):
        if feature.get("state") != "on":
            continue
        if feature.tag == "spinlocks":
            retries = feature.get("retries")
            if retries is None:
                raise _fail("Missing required attribute 'retries' in element 'spinlocks'", feature)
            number = _number(retries.strip())
            if number is not None and number < 0xFFF:
                raise _fail("HyperV spinlock retry count must be at least 4095", feature)
            continue
        vendor = feature.get("value")
        if vendor is None:
            raise _fail("missing 'value' attribute for HyperV feature 'vendor_id'", feature)
        if len(vendor) > _VENDOR_ID_MAX:
            raise _fail(f"HyperV vendor_id value must not be more than {_VENDOR_ID_MAX} characters.", feature)
        if "," in vendor:
            raise _fail("HyperV vendor_id value is invalid", feature)


def _check_thread_pools(top: dict[str, list[etree._Element]]) -> None:
    """virDomainDefValidateIOThreads: a thread pool's maximum is positive and not below its
    minimum, an absent bound counting as -1 (so a minimum alone is refused); the parser
    before it refuses an iothread id listed twice."""
    pools = [el for ids in top.get("iothreadids", ()) for el in ids.iterchildren("iothread")]
    seen: set[int | None] = set()
    for pool in pools:
        # virDomainDefParseIOThreads, before any validation
        number = _number((pool.get("id") or "").strip())
        if number is not None and number in seen:
            raise _fail(f"duplicate iothread id '{number}' found", pool)
        seen.add(number)
    pools += top.get("defaultiothread", [])
    for pool in pools:
        low = _c_signed(pool.get("thread_pool_min"))
        high = _c_signed(pool.get("thread_pool_max"))
        if low is None or high is None:
            continue  # not a number: the parser's error
        if high == 0:
            raise _unsupported("thread_pool_max must be a positive integer", pool)
        if low > high:
            raise _unsupported("thread_pool_min must be smaller or equal to thread_pool_max", pool)


def _c_signed(value: str | None) -> int | None:
    """A decimal ``int`` attribute as virXMLPropInt reads it, -1 when absent."""
    if value is None:
        return -1
    text = value.strip()
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not digits.isdigit() or not digits.isascii():
        return None
    return -int(digits) if text.startswith("-") else int(digits)


def _check_iothread_refs(root: etree._Element, top: dict[str, list[etree._Element]]) -> None:
    """Pins and schedulers name existing iothreads (virDomainDefGetIOThreadSched & co): the
    domain's iothread ids as libvirt completes them (:func:`.defaults.iothread_ids`)."""
    cputune = top["cputune"][0]
    if cputune.find("iothreadpin") is None and cputune.find("iothreadsched") is None:
        return
    listed = [_number(el.get("id", "")) for el in root.iterfind("iothreadids/iothread")]
    count = _number((top["iothreads"][0].text or "0").strip()) if "iothreads" in top else 0
    ids = set(defaults.iothread_ids([n for n in listed if n is not None], count or 0))
    wanted = [(pin, {_number(pin.get("iothread", "")) or 0}) for pin in cputune.iterchildren("iothreadpin")]
    wanted += [(s, _bitmap(s.get("iothreads", ""), s)) for s in cputune.iterchildren("iothreadsched")]
    for el, refs in wanted:
        for ref in sorted(r for r in refs if r not in ids):
            raise _unsupported(f"Cannot find 'iothread' : {ref}", el)


def _os_detail(message: str, el: etree._Element) -> XMLError:
    return XMLError(message, line=line_of(el), code=ErrorCode.XML_DETAIL)


def _check_firmware(os_el: etree._Element, kids: dict[str, etree._Element]) -> None:
    """virDomainDefOSValidate: what firmware autoselection allows of ``<loader>``/``<nvram>``,
    and what a stateless or NVRAM-backed loader needs.  ``kids``: ``<os>``'s first children by tag."""
    loader_el, nvram_el = kids.get("loader"), kids.get("nvram")
    if loader_el is None and nvram_el is None:
        return
    firmware = os_el.get("firmware")
    loader = loader_el if loader_el is not None else os_el
    nvram = nvram_el is not None and (bool((nvram_el.text or "").strip()) or _first(nvram_el, "source") is not None)
    template = nvram_el is not None and nvram_el.get("template") is not None
    if firmware is not None:
        for attr in ("readonly", "type"):
            if loader_el is not None and loader_el.get(attr) is not None:
                raise _os_detail(
                    f"loader attribute '{attr}' cannot be specified when firmware autoselection is enabled", loader
                )
        if loader_el is not None and (loader_el.text or "").strip():
            raise _os_detail("loader path cannot be specified when firmware autoselection is enabled", loader)
        if template:
            raise _os_detail(
                "nvram attribute 'template' cannot be specified when firmware autoselection is enabled", loader
            )
        if loader_el is not None and loader_el.get("secure") == "no":
            raise _os_detail(
                "loader attribute 'secure' cannot be specified when firmware autoselection is enabled", loader
            )
        if nvram and firmware != "efi":
            raise _os_detail(f"firmware type '{firmware}' does not support nvram", loader)
    else:
        if loader_el is None or not (loader_el.text or "").strip():
            raise _os_detail("no loader path specified and firmware auto selection disabled", loader)
    stateless = loader_el.get("stateless") if loader_el is not None else None
    if stateless == "yes":
        if template:
            raise _os_detail("NVRAM template is not permitted when loader is stateless", loader)
        if nvram:
            raise _os_detail("NVRAM is not permitted when loader is stateless", loader)
    elif stateless == "no":
        if firmware is None and (loader_el is None or loader_el.get("type") != "pflash"):
            raise _os_detail("Only pflash loader type permits NVRAM", loader)
        if firmware is not None and firmware != "efi":
            raise _os_detail("Only EFI firmware permits NVRAM", loader)


def _check_os(os_el: etree._Element, kids: dict[str, etree._Element]) -> None:
    _check_firmware(os_el, kids)
    menu = kids.get("bootmenu")
    if menu is not None and menu.get("timeout") is not None:
        timeout = _number(menu.get("timeout", ""))
        if timeout is None or not 0 <= timeout <= 65535:
            raise _unsupported("invalid value for boot menu timeout, must be in range [0,65535]", menu)


_DEVICE_BOOT_ORDER = etree.XPath("boolean(devices/*/boot[@order])")
_PCI_FIELDS = (("domain", 0xFFFF), ("bus", 0xFF), ("slot", 0x1F), ("function", 7))


_Controller = tuple[etree._Element, str | None, str | None, str | None, int]
"""A controller with its ``type``, ``model``, ``index`` as written and that index's value (0
when absent): the controller checks all read these, so they are read once."""


def _read_controllers(controllers: Iterable[etree._Element]) -> list[_Controller]:
    """Each controller's facts, refusing an index the schema would refuse."""
    facts: list[_Controller] = []
    for ctrl in controllers:
        get = ctrl.get
        index = get("index")
        value = _number(index) if index is not None else 0
        if value is None or value < 0:
            raise _fail(
                f"Invalid value for attribute 'index' in element 'controller': '{index}'. Expected non-negative value",
                ctrl,
            )
        facts.append((ctrl, get("type"), get("model"), index, value))
    return facts


def _check_numbers(interfaces: list[etree._Element], pci: list[etree._Element]) -> None:
    """Interface queue counts and PCI address fields the schema would refuse.

    ``interfaces``: those that may be refused (see :meth:`_DeviceWalk.interfaces`); ``pci``:
    every PCI address under ``<devices>``."""
    for iface in interfaces:
        for drv in iface.iterchildren("driver"):
            queues = drv.get("queues")
            if queues is not None and (_number(queues) is None or (_number(queues) or 0) < 0):
                raise _fail(
                    f"Invalid value for attribute 'queues' in element 'driver': '{queues}'. "
                    "Expected non-negative integer value",
                    drv,
                )
    valid, small = _VALID_PCI_ADDRESSES, _SMALL_PCI_VALUES
    for address in pci:
        values = address.values()
        joined = "\0".join(cast("list[str]", values))  # a parsed document's values are str; NUL is no XML character
        if joined in small:
            continue
        if values.count("pci") == 1 and _SMALL_OR_PCI.issuperset(values):
            if len(small) < 512:
                small.add(joined)
            continue  # every value but the type's is a number 0-7, valid in any field
        written = (tuple(address.keys()), tuple(values))
        if written not in valid:
            _check_pci_address(address)
            if len(valid) < 512:
                valid.add(written)


_SMALL_OR_PCI = frozenset(
    ("pci", *(spelling for n in range(8) for spelling in (str(n), f"0x{n:x}", f"0x{n:02x}", f"0x{n:04x}")))
)
"""``pci`` and the usual spellings of 0-7, a number every PCI address field takes: an
address (of type ``pci``) whose other values are all such is valid without reading which
value is which field -- most are (function 0, the first buses and slots), and one read of
the values costs a fraction of reading the fields."""

_SMALL_PCI_VALUES: set[str] = set()
"""The value lists (joined) already found to be ``pci`` and small numbers alone: one lookup
instead of counting and testing each value again (which builds a set of them each time)."""

_VALID_PCI_ADDRESSES: set[tuple[tuple[str | bytes, ...], tuple[str | bytes, ...]]] = set()
"""PCI addresses already checked and found valid, as their attributes were written (names,
values; a few hundred at most): documents repeat the same ones (a device on slot 0x1f of bus
0x00...) and one lookup of the whole address is several times cheaper than reading its fields."""


def _check_pci_address(address: etree._Element) -> None:
    """Each field in turn: the first bad one is reported."""
    for attr, limit in _PCI_FIELDS:
        raw = address.get(attr)
        if raw is None:
            continue
        try:
            value: int | None = int(raw, 0)
        except ValueError:
            value = _number(raw)
        if value is None or value < 0:
            raise _fail(f"Invalid PCI address {attr}='{raw}'", address)
        if value > limit:
            if attr == "function":
                raise _fail(f"Invalid PCI address function={raw}, must be <= {limit}", address)
            raise _fail(f"Invalid PCI address {attr}='{raw}', must be <= 0x{limit:X}", address)


def _check_cputune(cputune: etree._Element, max_vcpus: int) -> None:
    _check_pins(cputune, max_vcpus)
    for item in cputune.iterchildren("emulatorsched"):
        _check_sched_priority(item)
    for tag, attr in (("vcpusched", "vcpus"), ("iothreadsched", "iothreads")):
        seen: set[int] = set()
        for item in cputune.iterfind(tag):
            ids = _bitmap(item.get(attr, ""), item)
            _check_sched_priority(item)
            if tag == "vcpusched" and ids and max(ids) >= max_vcpus:
                raise _unsupported(f"vCPU '{max(ids)}' is not present in domain definition", item)
            if ids & seen:
                raise _fail(f"'{tag}' attributes '{attr}' must not overlap", item)
            seen |= ids
    for tune in cputune.iterchildren("cachetune"):
        allocs: dict[tuple[str, str], list[str]] = {}
        for cache in tune.iterchildren("cache"):
            key = (cache.get("level", ""), cache.get("id", ""))
            ctype = cache.get("type", "both")
            taken = allocs.setdefault(key, [])
            if ctype in taken or (ctype == "both" and taken) or "both" in taken:
                raise _fail(
                    f"Colliding cache allocations for cache level '{key[0]}' id '{key[1]}', type '{ctype}'", cache
                )
            taken.append(ctype)
    _check_resctrls(cputune, max_vcpus)


def _check_sched_priority(item: etree._Element) -> None:
    """virDomainSchedulerParseCommonAttrs: the real-time schedulers need their priority."""
    if item.get("scheduler") in ("fifo", "rr") and item.get("priority") is None:
        raise _fail(f"Missing required attribute 'priority' in element '{item.tag}'", item)


def _check_pins(cputune: etree._Element, max_vcpus: int) -> None:
    """virDomainVcpuPinDefParseXML, virDomainEmulatorPinDefParseXML and
    virDomainIOThreadPinDefParseXML: a pin names its CPU set (a vCPU pin beyond the vCPUs is
    ignored first), and one vCPU is pinned once."""
    pinned: set[int] = set()
    for pin in cputune:
        tag = pin.tag
        if tag == "vcpupin":
            vcpu = _number(pin.get("vcpu", "").strip())
            if vcpu is None or vcpu >= max_vcpus:
                continue  # refused as a number by the tree's filter, or ignored by libvirt
            if pin.get("cpuset") is None:
                raise internal("missing cpuset for vcpupin", pin)
            if vcpu in pinned:
                raise internal(f"duplicate vcpupin for vcpu '{vcpu}'", pin)
            pinned.add(vcpu)
        elif tag in ("emulatorpin", "iothreadpin") and pin.get("cpuset") is None:
            raise internal(f"missing cpuset for {tag}", pin)


def _check_resctrls(cputune: etree._Element, max_vcpus: int) -> None:
    """libvirt groups cachetunes and memorytunes by vCPU set (virDomainResctrlVcpuMatch): two
    cachetunes may not share a set, sets may not partly overlap, and a memorytune joining a
    group may not set a node's bandwidth twice.  vCPUs the domain lacks are dropped first."""
    groups: list[tuple[set[int], set[int]]] = []  # (vCPUs, nodes with a bandwidth)
    for tag in ("cachetune", "memorytune"):
        for tune in cputune.iterchildren(tag):
            vcpus = {n for n in _bitmap(tune.get("vcpus", ""), tune) if n < max_vcpus}
            if not vcpus:
                continue
            _check_monitors(tune, vcpus, max_vcpus)
            group = None
            for other in groups:
                if other[0] == vcpus:
                    group = other
                    break
                if other[0] & vcpus:
                    raise _fail("Overlapping vcpus in resctrls", tune)
            if tag == "cachetune":
                if group is not None:
                    raise _fail("Identical vcpus in cachetunes found", tune)
                groups.append((vcpus, set()))
                continue
            if group is None:
                group = (vcpus, set())
                groups.append(group)
            for node in tune.iterchildren("node"):
                node_id = _number(node.get("id", "")) or 0
                if node_id in group[1]:
                    raise _fail(f"Memory Bandwidth already defined for node {node_id}", node)
                group[1].add(node_id)


def _invalid_arg(message: str, el: etree._Element) -> XMLError:
    return XMLError(f"invalid argument: {message}", line=line_of(el), code=ErrorCode.INVALID_ARG)


def _check_monitors(tune: etree._Element, vcpus: set[int], max_vcpus: int) -> None:
    """virDomainResctrlValidateMonitor, for each ``<monitor>`` of one cachetune or memorytune:
    its vCPUs lie within the tune's, no two monitors have the same set, and sets overlap only
    where one of them is the tune's whole set (any overlap, when the tune allocates nothing)."""
    allocates = len(tune) > len(list(tune.iterchildren("monitor")))
    seen: list[set[int]] = []
    for monitor in tune.iterchildren("monitor"):
        mine = {n for n in _bitmap(monitor.get("vcpus", ""), monitor) if n < max_vcpus}
        if not mine:
            raise _invalid_arg("vcpus is empty", monitor)
        if not mine <= vcpus:
            raise _invalid_arg("Monitor vcpus conflicts with allocation", monitor)
        overlap_any = overlap_partial = False
        for other in seen:
            if other == mine:
                raise _invalid_arg("Identical vcpus found in same type monitors", monitor)
            overlap = bool(other & mine)
            overlap_any = overlap_any or overlap
            if mine != vcpus and other != vcpus and overlap:
                overlap_partial = True
        if overlap_partial or (not allocates and overlap_any):
            raise _invalid_arg("vcpus overlaps in resctrl groups", monitor)
        seen.append(mine)


def _check_cpu(cpu: etree._Element) -> None:
    mode = cpu.get("mode", "custom")
    if cpu.get("migratable") is not None and mode not in ("host-passthrough", "maximum"):
        raise _unsupported("Attribute migratable is only allowed for 'host-passthrough' / 'maximum' CPU mode", cpu)
    model = _first(cpu, "model")
    named = model is not None and bool((model.text or "").strip())
    if mode == "custom" and not named and _first(cpu, "feature") is not None:
        raise _fail("Non-empty feature list specified without CPU model", cpu)
    if mode == "custom" and not named and cpu.get("check") not in (None, "default"):
        # virDomainDefPostParseCPU
        raise _unsupported("check attribute specified for CPU with no model", cpu)


def _check_memnodes(numatune: etree._Element, ncells: int, vcpu: etree._Element | None) -> None:
    """virDomainNumatuneNodeParseXML: per-node bindings need static placement, existing and
    distinct cells, and 'restrictive' everywhere once the memory element says so."""
    memnodes = list(numatune.iterchildren("memnode"))
    if not memnodes:
        return
    memory = _first(numatune, "memory")
    if memory is not None:
        placement = memory.get("placement")
        if placement is None and memory.get("nodeset") is None:
            placement = "auto" if vcpu is not None and vcpu.get("placement") == "auto" else "static"
        if placement == "auto":
            raise _unsupported("Per-node binding is not compatible with automatic NUMA placement.", memory)
    if not ncells:
        raise _fail("Element 'memnode' is invalid without any guest NUMA cells", memnodes[0])
    seen: set[int] = set()
    restrictive = memory is not None and memory.get("mode") == "restrictive"
    for node in memnodes:
        cellid = _number(node.get("cellid", ""))
        if cellid is None or cellid >= ncells:
            raise _fail("Argument 'cellid' in memnode element must correspond to existing guest's NUMA cell", node)
        if cellid in seen:
            raise _fail(f"Multiple memnode elements with cellid {cellid}", node)
        seen.add(cellid)
        if node.get("mode") is None:
            node.set("mode", "strict")  # virXMLPropEnumDefault(..., VIR_DOMAIN_NUMATUNE_MEM_STRICT), always printed
        if restrictive and node.get("mode") != "restrictive":
            raise _fail(
                "'restrictive' mode is required in memnode element when mode is 'restrictive' in memory element", node
            )


def _check_numa(cpu: etree._Element, max_vcpus: int) -> None:
    """virDomainNumaDefParseXML: the first ``<numa>`` holds cells, numbered from 0 without gaps,
    each with its ``memory`` (read by virDomainParseMemory as required, whose message names the
    XPath), and the cells' CPUs exist."""
    numa_cpus: set[int] = set()
    numa = _first(cpu, "numa") if len(cpu) else None
    if numa is None:
        return
    if _first(numa, "cell") is None:
        raise _fail("NUMA topology defined without NUMA cells", numa)
    cells = list(cpu.iterfind("numa/cell"))
    ids: set[int] = set()
    for position, cell in enumerate(cells):
        cell_id = _number(cell.get("id", str(position)))
        if cell_id is None or cell_id >= len(cells):
            raise _fail(
                "Exactly one 'cell' element per guest NUMA cell allowed, non-contiguous ranges or "
                "ranges not starting from 0 are not allowed",
                cell,
            )
        if cell_id in ids:
            raise _fail(f"Duplicate NUMA cell info for cell id '{cell_id}'", cell)
        ids.add(cell_id)
    for cell in cells:
        if cell.get("cpus"):
            numa_cpus |= _bitmap(cell.get("cpus", ""), cell)
        if cell.get("memory") is None:
            raise _fail("missing element or attribute './@memory'", cell)
        access = cell.get("memAccess")
        if access is not None and access not in ("shared", "private", "default"):
            raise _fail(f"Invalid value for attribute 'memAccess' in element 'cell': '{access}'.", cell)
    if numa_cpus and max(numa_cpus) >= max_vcpus:
        raise XMLError(
            f"internal error: Number of CPUs in <numa> exceeds the <vcpu> count (line {line_of(cpu)})",
            line=line_of(cpu),
            code=ErrorCode.INTERNAL_ERROR,
        )


def _check_idmap(idmaps: list[etree._Element]) -> None:
    """virDomainIdmapDefParseXML: every uid and gid map has its start, target and count
    (virXPathUInt: an absent value is an error); virDomainDefIdMapValidate: uids and gids are
    mapped both or neither."""
    kinds: set[str] = set()
    for idmap in idmaps:
        for entry in idmap:
            if entry.tag not in ("uid", "gid"):
                continue
            kinds.add(str(entry.tag))
            if any(not (entry.get(attr) or "").strip() for attr in ("start", "target", "count")):
                raise _fail("invalid idmap start/target/count settings", entry)
    if len(kinds) == 1:
        raise _unsupported("uid and gid should be mapped both", idmaps[0])


def _check_sysinfo(root: etree._Element, uuid_el: etree._Element) -> None:
    for entry in root.iterfind("sysinfo[@type='smbios']/system/entry[@name='uuid']"):
        mine = (uuid_el.text or "").replace("-", "").strip().lower()
        theirs = (entry.text or "").replace("-", "").strip().lower()
        if mine != theirs:
            raise XMLError(
                f"UUID mismatch between <uuid> and <sysinfo> ('{uuid_el.text}' vs '{entry.text}')",
                line=line_of(entry),
                code=ErrorCode.CONFIG_UNSUPPORTED,
            )


def _check_panics(panics: list[etree._Element]) -> None:
    """virDomainDefRejectDuplicatePanics: one panic device per model (none written is the
    model ``default``)."""
    seen: set[str] = set()
    for panic in panics:
        model = panic.get("model", "default")
        if model in seen:
            raise _fail(f"Multiple panic devices with model '{model}'", panic)
        seen.add(model)


def _check_audio_ids(groups: dict[str, list[etree._Element]]) -> None:
    """virDomainAudioDefValidate and virDomainEnsureAudioID: audio ids are unique, and a sound
    device's or VNC display's ``<audio id>`` names an ``<audio>`` backend (0 names none)."""
    ids: set[int | None] = set()
    for audio in groups.get("audio", ()):
        number = _number(audio.get("id", "").strip())
        if number in ids:
            raise _fail(f"audio ID {number} is used multiple times", audio)
        ids.add(number)
    users = [*groups.get("sound", ()), *(g for g in groups.get("graphics", ()) if g.get("type") == "vnc")]
    for user in users:
        ref = _first(user, "audio") if len(user) else None
        number = _number(ref.get("id", "").strip()) if ref is not None else None
        if number and number not in ids:
            raise _fail(f"no audio device with ID {number}", ref)


_IOMMU_INTEL_ONLY = ("intremap", "caching_mode", "eim", "iotlb", "aw_bits")


def _check_iommu(iommu: etree._Element) -> None:
    """virDomainIOMMUDefValidate: the driver options are Intel's only."""
    model = iommu.get("model")
    driver = _first(iommu, "driver")
    if model not in ("smmuv3", "virtio") or driver is None:
        return
    for name in _IOMMU_INTEL_ONLY:
        value = driver.get(name)
        if value is not None and (name != "aw_bits" or _number(value.strip()) != 0):
            raise _fail(f"iommu model '{model}' doesn't support additional attributes", iommu)


_SINGLE_DEVICES = (
    ("watchdog", "watchdog", ErrorCode.INTERNAL_ERROR),
    ("memballoon", "memory balloon", ErrorCode.INTERNAL_ERROR),
    ("nvram", "nvram", ErrorCode.INTERNAL_ERROR),
    ("iommu", "IOMMU", ErrorCode.XML_ERROR),
    ("vsock", "vsock", ErrorCode.XML_ERROR),
)
"""Devices a domain has at most one of (virDomainDefParseXML counts them before parsing one;
its codes: VIR_ERR_INTERNAL_ERROR for the older three, VIR_ERR_XML_ERROR for the others)."""


def _check_devices(
    devices: etree._Element,
    groups: dict[str, list[etree._Element]],
    top: dict[str, list[etree._Element]],
    walk: _DeviceWalk,
    iface_types: list[str],
    os_el: etree._Element | None,
    os_type: etree._Element | None,
) -> None:
    """``iface_types``: the types of ``groups``' interfaces (see :func:`.implicit.fill_domain`);
    ``os_el``, ``os_type``: the first ``<os>`` and its first ``<type>``, found once by
    :func:`check_domain` for the input and console checks.

    Every check of a device kind sits behind one test of that kind's presence in ``groups``:
    a document has a few of the thirty kinds, and an absent kind then costs that test alone."""
    if not groups.keys().isdisjoint(_SINGLE_TAGS):
        for tag, what, code in _SINGLE_DEVICES:
            if len(groups.get(tag, ())) > 1:
                prefix = "internal error" if code == ErrorCode.INTERNAL_ERROR else "XML error"
                raise XMLError(
                    f"{prefix}: only a single {what} device is supported", line=line_of(groups[tag][1]), code=code
                )
    if "panic" in groups:
        _check_panics(groups["panic"])
    if "audio" in groups or "sound" in groups or "graphics" in groups:
        _check_audio_ids(groups)
    if "iommu" in groups:
        for iommu in groups["iommu"]:
            _check_iommu(iommu)
    for address in walk.ccw:
        given = [address.get(f) is not None for f in ("cssid", "ssid", "devno")]
        if any(given) and not all(given):
            # virDomainDeviceCCWAddressParseXML: all three or none (the driver assigns one)
            raise XMLError(
                "internal error: Invalid partial specification for virtio ccw address",
                line=line_of(address),
                code=ErrorCode.INTERNAL_ERROR,
            )
    controllers = _read_controllers(groups["controller"]) if "controller" in groups else []
    interfaces = walk.interfaces(groups["interface"], iface_types) if "interface" in groups else []
    if interfaces or walk.pci:
        _check_numbers(interfaces, walk.pci)
    if "disk" in groups:
        _check_disks(groups["disk"])
    usb: list[_Controller] = []
    if controllers:
        _check_controllers(controllers)
        usb = [c for c in controllers if c[1] == "usb"]
        _check_usb_none(usb, groups)
    if "redirdev" in groups:
        usb_models = [c[2] for c in usb]
        if not usb_models or usb_models == ["none"]:
            for redirdev in groups["redirdev"]:
                if redirdev.get("bus", "usb") == "usb":
                    # virDomainRedirdevDefValidate: the domain has no USB bus to put it on
                    raise _unsupported("cannot add redirected USB device: USB is disabled for this domain", redirdev)
    videos = groups.get("video", [])
    video_models = _check_videos(videos) if videos else []
    if "memory" in groups:
        _check_memory_devices(devices, groups["memory"])
    if "hostdev" in groups:
        _check_mdevs(groups["hostdev"])
    if "shmem" in groups:
        for shmem in groups["shmem"]:
            if _first(shmem, "msi") is not None and _first(shmem, "server") is None:
                raise _fail("msi option is only supported with a server", shmem)
    if "seclabel" in top and len(top["seclabel"]) > 1:
        _check_seclabel_models(devices.getparent())
    if walk.seclabels > 1:
        # one label per owner cannot clash; with more, the owners in document order
        for owner in select(_DEVICE_SOURCES, devices):
            _check_seclabel_models(owner)
    for boot in walk.boots:
        _check_loadparm(boot)
    if "hostdev" in groups:
        _check_hostdevs(groups["hostdev"])
    if "iommu" in groups:
        _check_intremap(groups["iommu"][0], top)
    if "input" in groups:
        _check_inputs(groups["input"], os_el, os_type)
    if "tpm" in groups:
        for tpm in groups["tpm"]:
            if _first(tpm, "backend") is None:
                raise _fail("missing TPM device backend", tpm)
    if "graphics" in groups:
        for graphics in groups["graphics"]:
            _check_graphics(graphics)
    if len(videos) > 1:
        primaries = [v for v in videos if v.find("model[@primary='yes']") is not None]
        if len(primaries) > 1:
            raise _unsupported("Only one primary video device is supported", primaries[1])
    channel_targets: dict[etree._Element, etree._Element | None] = {}
    if "channel" in groups:
        channel_targets = {channel: _first(channel, "target") for channel in groups["channel"]}
    if "smartcard" in groups:
        for smartcard in groups["smartcard"]:
            if smartcard.get("mode") == "host-certificates":
                if sum(1 for child in smartcard if child.tag == "certificate") != 3:
                    # virDomainSmartcardDefParseXML (VIR_DOMAIN_SMARTCARD_NUM_CERTIFICATES)
                    raise _fail("host-certificates mode needs exactly three certificates", smartcard)
    stub = None
    if not groups.keys().isdisjoint(_CHARDEV_TAGS):
        stub = _check_chardevs(groups, os_type, walk.sources, channel_targets)
    if "filesystem" in groups:
        for fs in groups["filesystem"]:
            _check_filesystem(fs)
    for channel, target in channel_targets.items():
        if target is None or target.get("type") is None:
            # virDomainChrDefParseTargetXML
            raise _fail("target type must be specified for channel device", channel)
    for model in video_models:
        if model is not None and model.get("type") not in (None, "qxl"):
            for name in ("ram", "vram64", "vgamem"):
                value = model.get(name)
                if value is not None and _number(value.strip()) != 0:
                    # virDomainVideoDefValidate
                    raise _unsupported(f"{name} attribute only supported for video type qxl", model)
    for auth in walk.auths:
        _check_auth(auth)
    for secret in walk.secrets:
        _check_secret(secret)
    if "rng" in groups:
        for rng in groups["rng"]:
            if len(list(rng.iterchildren("backend"))) != 1:
                raise _fail("only one RNG backend is supported", rng)
            for backend in rng.iterchildren("backend"):
                if backend.get("model") == "egd":
                    _check_chardev(backend, backend.get("type"), list(backend.iterchildren("source")), None)
    for iface in interfaces:
        _check_interface(iface)
    if len(walk.aliases) > 1:
        _check_aliases(walk.aliases, groups["serial"][0] if stub is not None else None)


_SINGLE_TAGS = frozenset(tag for tag, _, _ in _SINGLE_DEVICES)


def _check_chardevs(
    groups: dict[str, list[etree._Element]],
    os_type: etree._Element | None,
    sources: dict[etree._Element | None, list[etree._Element]],
    channel_targets: dict[etree._Element, etree._Element | None],
) -> etree._Element | None:
    """The character devices (and passthrough smartcards) in document order of kind: a spicevmc
    one's target type, and the backend (:func:`_check_chardev`) of each one that is not the
    console stub and has a ``<source>`` or a type that needs one.  ``sources``: the devices'
    ``<source>`` children (:attr:`_DeviceWalk.sources`); ``channel_targets``: each channel's
    first ``<target>``; ``os_type``: the first ``<os><type>``.  Returns the console stub (see
    :func:`_console_stub`), or None."""
    stub = _console_stub(groups, os_type) if "console" in groups else None
    for tag in _CHARDEV_TAGS:
        if tag not in groups:
            continue
        for chardev in groups[tag]:
            if tag == "smartcard" and chardev.get("mode") != "passthrough":
                continue
            ctype = chardev.get("type")
            if ctype == "spicevmc" and tag in _SPICEVMC_TARGET:
                if tag == "channel":
                    target = channel_targets[chardev]
                else:
                    target = _first(chardev, "target") if len(chardev) else None
                _check_spicevmc(chardev, _SPICEVMC_TARGET[tag], target)
            if chardev is stub:
                continue
            if chardev in sources or ctype in _CHARDEV_SOURCE_TYPES:
                _check_chardev(chardev, ctype, sources.get(chardev, []), channel_targets.get(chardev))
    return stub


_NO_DEVICE_INFO = frozenset(("graphics", "audio", "lease", "redirfilter", "emulator", "crypto"))
"""Devices libvirt keeps no device info for: their ``<alias>`` is never read."""


def _check_aliases(aliases: list[etree._Element], first_serial: etree._Element | None) -> None:
    """virDomainDefValidateAliases: user aliases (``ua-``, the only ones an inactive
    definition keeps) are unique across the devices virDomainDeviceInfoIterate visits.
    ``first_serial``: the serial port a console stub aliases, whose own alias that iteration
    skips (see :func:`_console_stub`); a ``model='none'`` controller has no device info."""
    seen: set[str] = set()
    for alias in aliases:
        device = alias.getparent()
        if device is None or device is first_serial or device.tag in _NO_DEVICE_INFO:
            continue
        if device.tag == "controller" and device.get("model") == "none":
            continue
        name = alias.get("name", "")
        if name in seen:
            raise _unsupported(f"non unique alias detected: {name}", alias)
        seen.add(name)


_SPICEVMC_TARGET = {"channel": "virtio", "serial": "usb-serial", "console": "xen", "parallel": None}
"""The target type of each character device whose number equals the channel target type
virtio's: the one target type virDomainChrDefParseXML lets a spicevmc device have."""


def _check_spicevmc(chardev: etree._Element, allowed: str | None, target: etree._Element | None) -> None:
    """virDomainChrDefParseXML compares a spicevmc device's target type number with the
    channel's virtio without looking at the device's kind: so besides a virtio channel, a
    usb-serial serial port and a xen console pass (a parallel port has no target types).
    ``target``: the device's first ``<target>`` (a channel's is looked up once for all checks)."""
    if chardev.tag == "channel" and (target is None or target.get("type") is None):
        return  # refused for its missing target type first
    if allowed is None or target is None or target.get("type") != allowed:
        raise _unsupported("spicevmc device type only supports virtio", chardev)


def _console_stub(groups: dict[str, list[etree._Element]], os_type: etree._Element | None) -> etree._Element | None:
    """virDomainDefAddConsoleCompat: only the first console may be a serial one; on an HVM
    guest (``os_type``: the first ``<os><type>``) with serial ports, a first console of target
    type serial (or none) becomes a stub aliasing the first serial port, its own source never
    read or validated.  Returns that console, or None."""
    consoles = groups["console"]
    for console in consoles[1:]:
        # virDomainChrDefPostParse made a console without a target type a serial one
        target = _first(console, "target") if len(console) else None
        if target is None or target.get("type") in (None, "serial"):
            raise _unsupported("Only the first console can be a serial port", console)
    if "serial" not in groups:
        return None
    if os_type is None or (os_type.text or "").strip() != "hvm":
        return None
    first = consoles[0]
    target = _first(first, "target") if len(first) else None
    return first if target is None or target.get("type") in (None, "serial") else None


def _check_inputs(
    inputs: list[etree._Element], os_el: etree._Element | None, os_type_el: etree._Element | None
) -> None:
    """virDomainInputDefValidate: an HVM guest has no xen input bus and puts only mice and
    keyboards on ps2; a xen guest has the xen bus alone, for mice and keyboards; passthrough
    inputs and virtio models sit on the virtio bus, evdev on none.  A missing bus is the one
    :func:`.defaults.input_bus` gives (from the architecture and domain type, read only then).
    ``os_el``, ``os_type_el``: the first ``<os>`` and its first ``<type>``."""
    os_type = (os_type_el.text or "").strip() if os_type_el is not None else None
    for inp in inputs:
        bus, itype = inp.get("bus"), inp.get("type")
        if itype == "evdev" and bus is not None:
            raise _unsupported("input evdev doesn't support bus element", inp)
        if bus is None:
            arch = os_type_el.get("arch") if os_type_el is not None else None
            root = os_el.getparent() if os_el is not None else None
            virt_type = root.get("type") if root is not None else None
            bus = defaults.input_bus(itype or "", os_type=os_type, arch=arch, virt_type=virt_type)
        if os_type == "hvm":
            if bus == "ps2" and itype not in ("mouse", "keyboard"):
                raise internal(f"ps2 bus does not support {itype} input device", inp)
            if bus == "xen":
                raise internal("unsupported input bus xen", inp)
        elif os_type in ("xen", "xenpvh"):
            if bus not in (None, "xen"):
                raise internal(f"unsupported input bus {bus}", inp)
            if itype not in ("mouse", "keyboard"):
                raise internal(f"xen bus does not support {itype} input device", inp)
        if itype == "passthrough" and bus != "virtio":
            raise _unsupported("only bus 'virtio' is supported for 'passthrough' input devices", inp)
        model = inp.get("model")
        if model in ("virtio", "virtio-transitional", "virtio-non-transitional") and bus != "virtio":
            raise _unsupported(f"only bus 'virtio' is supported for input model '{model}'", inp)


def _check_intremap(iommu: etree._Element, top: dict[str, list[etree._Element]]) -> None:
    """virDomainDefIOMMUValidate: interrupt remapping needs the split I/O APIC
    (``<features><ioapic driver='qemu'/>``)."""
    driver = _first(iommu, "driver") if len(iommu) else None
    if driver is None or driver.get("intremap") != "on":
        return
    features = top["features"][0] if "features" in top else None
    ioapic = _first(features, "ioapic") if features is not None else None
    if ioapic is None or ioapic.get("driver") != "qemu":
        raise _unsupported("IOMMU interrupt remapping requires split I/O APIC (ioapic driver='qemu')", iommu)


def _check_memory_devices(devices: etree._Element, memories: list[etree._Element]) -> None:
    """virDomainMemoryDefParseXML: a memory device has a ``<target>`` with its size (read as a
    required memory value, whose message names the XPath), and its target node exists among the
    guest's NUMA cells."""
    ncells = len(select(_NUMA_CELLS, devices))
    for memdev in memories:
        target = _first(memdev, "target")
        if target is None:
            raise _fail("missing <target> element for <memory> device", memdev)
        size = _first(target, "size")
        if size is None or not size.text:
            raise _fail("missing element or attribute './size'", target)
        node = _first(target, "node")
        target_node = _number((node.text or "").strip()) if node is not None else None
        if target_node is not None and target_node >= 0:
            if ncells == 0:
                raise XMLError(
                    "can't add memory backend as guest has no NUMA nodes configured",
                    line=line_of(node),
                    code=ErrorCode.XML_DETAIL,
                )
            if target_node >= ncells:
                raise XMLError(
                    f"can't add memory backend for guest node '{target_node}' as the guest has only "
                    f"'{ncells}' NUMA nodes configured",
                    line=line_of(node),
                    code=ErrorCode.XML_DETAIL,
                )


_CHARDEV_TAGS = ("serial", "parallel", "console", "channel", "smartcard", "redirdev")


_FS_SOURCE_ATTR = {"mount": "dir", "bind": "dir", "file": "file", "block": "dev", "template": "name"}


def _check_filesystem(fs: etree._Element) -> None:
    """virDomainFSDefParseXML and virDomainFSDefValidate: a source (its attribute depends on
    the type, which defaults to mount; a socket does too; ram and volume need none) and a
    target directory."""
    source = _first(fs, "source")
    target = _first(fs, "target")
    target_dir = target.get("dir") if target is not None else None
    attr = _FS_SOURCE_ATTR.get(fs.get("type", "mount"))
    given = source is not None and (source.get("socket") is not None or (attr is not None and source.get(attr)))
    if attr is not None and not given:
        raise XMLError(f"missing source information for device {target_dir or ''}".rstrip(), line=line_of(fs))
    if target_dir is None:
        shown = None
        if source is not None:
            shown = (source.get(attr) if attr is not None else None) or source.get("socket")
        raise XMLError(f"missing target information for device {shown or ''}".rstrip(), line=line_of(fs))


def _check_auth(auth: etree._Element) -> None:
    """virStorageAuthDefParse (disks, iSCSI hostdevs, pools): a username (not empty), a known
    auth type when one is given, and a secret."""
    if not auth.get("username"):
        raise _fail("missing username for auth", auth)
    kind = auth.get("type")
    if kind and kind not in ("none", "chap", "ceph"):
        raise _unsupported(f"unknown auth type '{kind}'", auth)
    secret = _first(auth, "secret")
    if secret is None:
        raise _fail("Missing <secret> element in auth", auth)
    _check_secret(secret)


def _check_secret(secret: etree._Element) -> None:
    """virSecretLookupParseSecret: a secret is looked up by UUID (a valid one) or by usage."""
    uuid = secret.get("uuid")
    if uuid is None and secret.get("usage") is None:
        raise _fail("missing secret uuid or usage attribute", secret)
    if uuid is not None and secret.get("usage") is not None:
        raise _fail("either secret uuid or usage expected", secret)
    if uuid is not None and uuids.canonical(uuid) is None:
        raise _fail(f"invalid secret uuid '{uuid}'", secret)


def _check_interface(iface: etree._Element) -> None:
    for vlan in iface.iterchildren("vlan"):
        if _first(vlan, "tag") is None:
            # virNetDevVlanParse
            raise _fail("missing tag id - each <vlan> must have at least one <tag id='n'/> subelement", vlan)
    model = _first(iface, "model")
    virtio = model is not None and (model.get("type") or "").lower().startswith("virtio")
    if iface.get("type") == "vhostuser":
        for src in iface.iterchildren("source"):
            if src.get("mode") is None:
                raise _fail("Missing required attribute 'mode' in element 'source'", src)
        if not virtio:
            raise XMLError(
                "internal error: Wrong or no <model> 'type' attribute specified with <interface type='vhostuser'/>. "
                f"vhostuser requires the virtio-net* frontend (line {line_of(iface)})",
                line=line_of(iface),
                code=ErrorCode.INTERNAL_ERROR,
            )
    for backend in iface.iterchildren("backend"):
        btype = backend.get("type")
        if btype is not None:
            # The libvirt 9.0 build this is measured against knows no interface backend type
            # (its virDomainNetBackend lookup refuses 'passt' as well as 'default').
            raise _fail(f"Invalid value for attribute 'type' in element 'backend': '{btype}'.", backend)
    driver = _first(iface, "driver")
    if driver is not None and not virtio and iface.get("type") != "hostdev":
        _virtio_options_absent(driver)


_VIRTIO_OPTIONS = ("iommu", "ats", "packed")


def _virtio_options_absent(driver: etree._Element) -> None:
    """virDomainCheckVirtioOptionsAreAbsent: a ``<driver>`` of a device that is not virtio
    (interface, disk off the virtio bus, video) takes none of the virtio transport options."""
    for option in _VIRTIO_OPTIONS:
        if driver.get(option) is not None:
            raise _unsupported(f"{option} driver option is only supported for virtio devices", driver)
    if driver.get("page_per_vq") is not None:
        raise _unsupported("page_per_vq option is only supported for virtio devices", driver)


def _disk_source_name(disk: etree._Element) -> str:
    src = _first(disk, "source")
    if src is None:
        return ""
    for attr in ("file", "dev", "dir", "name", "volume", "path"):
        if src.get(attr) is not None:
            return src.get(attr, "")
    return ""


_SECRET_USAGES = ("none", "volume", "ceph", "iscsi", "tls", "vtpm")
_SECRET_FOR_PROTOCOL = {"iscsi": "iscsi", "rbd": "ceph"}


def _check_disk_source(kids: dict[str, etree._Element], dtype: str | None) -> None:
    """``<auth>``/``<encryption>`` once, beside or inside ``<source>`` (virDomainDiskDefParseXML),
    a secret of the kind the protocol uses and no LUKS cipher (virDomainDiskDefValidateSource).

    ``kids``: the disk's first children by tag; ``dtype``: its type."""
    src = kids.get("source")
    src_kids = _first_by_tag(src) if src is not None and len(src) else {}
    for tag in ("auth", "encryption"):
        if tag in src_kids and tag in kids:
            raise _unsupported(f"an <{tag}> definition already found for disk source", kids[tag])
    auth = src_kids.get("auth")
    if auth is None:
        auth = kids.get("auth")
    if auth is not None and dtype == "network" and src is not None:
        secret = _first(auth, "secret")
        kind = secret.get("type") if secret is not None else None
        if kind not in _SECRET_USAGES:
            raise _unsupported(f"unknown secret type '{kind if kind is not None else '<null>'}'", auth)
        wanted = _SECRET_FOR_PROTOCOL.get(src.get("protocol", ""))
        if wanted is not None and kind != wanted:
            raise _unsupported(f"invalid secret type '{kind}'", auth)
    encryption = src_kids.get("encryption")
    if encryption is None:
        encryption = kids.get("encryption")
    if encryption is not None:
        _check_encryption(encryption)
    if encryption is not None and encryption.get("format") == "luks" and _first(encryption, "cipher") is not None:
        raise _unsupported("supplying <cipher> for domain disk definition is unnecessary", encryption)


_LOCAL_PATH_ATTR = {"file": "file", "block": "dev", "dir": "dir"}


def _local_path_missing(dtype: str | None, source: etree._Element | None) -> bool:
    """virStorageSourceIsEmpty: a local disk (file, block or dir) without a path, or a
    network disk without a source.  ``dtype``: the disk's type."""
    if dtype == "network":
        return source is None
    attr = _LOCAL_PATH_ATTR.get("file" if dtype is None else dtype)
    return attr is not None and (source is None or not source.get(attr))


def _check_network_source(dtype: str | None, source: etree._Element | None) -> None:
    """The source parsers of virDomainStorageSourceParse for the types that need parts:
    virDomainDiskSourceNetworkParse (a protocol, a name unless the protocol is NBD, and each
    ``<host>`` as virDomainStorageNetworkParseHost reads it) and
    virDomainDiskSourceVHostUserParse (a UNIX socket's type and path)."""
    if source is None:
        return
    if dtype == "vhostuser":
        kind = source.get("type")
        if kind is None:
            raise _fail("missing 'type' attribute for vhostuser disk source", source)
        if kind != "unix":
            raise _fail("invalid 'type' attribute for vhostuser disk source", source)
        if source.get("path") is None:
            raise _fail("missing 'path' attribute for vhostuser disk source", source)
        return
    if dtype != "network":
        return
    if source.get("protocol") is None:
        raise _fail("Missing required attribute 'protocol' in element 'source'", source)
    if source.get("name") is None and source.get("protocol") != "nbd":
        raise _fail("missing name for disk source", source)
    for host in source.iterchildren("host") if len(source) else ():
        _check_storage_host(host)


def _check_storage_host(host: etree._Element) -> None:
    """virDomainStorageNetworkParseHost: a UNIX transport names a socket, the others (TCP by
    default) a host name and no socket."""
    transport = host.get("transport")
    if transport == "unix":
        if host.get("socket") is None:
            raise _fail("missing socket for unix transport", host)
        return
    if host.get("socket") is not None:
        shown = transport if transport is not None else "(null)"  # C's printf of the absent attribute
        raise _fail(f"transport '{shown}' does not support socket attribute", host)
    if host.get("name") is None:
        raise _fail("missing name for host", host)


def _backing_chain(backing: etree._Element) -> None:
    """virDomainDiskBackingStoreParse on a disk's first ``<backingStore>`` and down its chain:
    one without a ``type`` ends the chain (libvirt keeps an empty terminator, whatever it
    held); a typed one needs a ``<format type=...>`` and a ``<source>``, checked as a disk's."""
    while True:
        btype = backing.get("type")
        if btype is None:
            backing.attrib.clear()
            for child in list(backing):
                backing.remove(child)
            backing.text = None
            return
        kids = _first_by_tag(backing)
        fmt = kids.get("format")
        if fmt is None or not fmt.get("type"):
            raise _fail("missing disk backing store format", backing)
        cache = _first(fmt, "metadata_cache") if len(fmt) else None
        if cache is not None and _first(cache, "max_size") is None:
            fmt.remove(cache)  # printed for a size only, as a disk driver's
        source = kids.get("source")
        if source is None:
            raise _fail("missing disk backing store source", backing)
        _check_network_source(btype, source)
        if not source.attrib and len(source) == 0:
            backing.remove(source)  # a source naming nothing: the formatter prints no element
        nested = kids.get("backingStore")
        if nested is None:
            return
        backing = nested


def _check_lun_only(disk: etree._Element, device: str | None) -> None:
    """virDomainDiskDefValidate: no ``unfiltered`` sgio at all, and sgio and rawio on LUNs only."""
    if disk.get("sgio") == "unfiltered":
        raise _unsupported("unfiltered sgio is no longer supported", disk)
    if device != "lun":
        for name in ("rawio", "sgio"):
            if disk.get(name) not in (None, "default"):
                raise _unsupported(f"{name} can be used only with device='lun'", disk)


def _check_disks(disks: Iterable[etree._Element]) -> None:
    targets: dict[str, etree._Element] = {}
    for disk in disks:
        kids = _first_by_tag(disk)
        dtype, device = disk.get("type"), disk.get("device")
        _check_disk_source(kids, dtype)
        target = kids.get("target")
        dev = target.get("dev") if target is not None else None
        if target is None or not dev:
            raise XMLError(
                f"missing target information for device {_disk_source_name(disk)}".rstrip(), line=line_of(disk)
            )
        source = kids.get("source")
        _check_network_source(dtype, source)
        if "backingStore" in kids:
            _backing_chain(kids["backingStore"])
        attrib = disk.attrib  # one proxy for the presence tests (each ``disk.attrib`` makes one)
        if "sgio" in attrib or "rawio" in attrib:
            _check_lun_only(disk, device)
        if device in (None, "disk") and _local_path_missing(dtype, source):
            # virDomainDiskDefValidate: only removable media may be empty
            raise XMLError(f"missing source information for device {dev}", line=line_of(disk))
        if source is not None and source.get("fdgroup") is not None:
            # virDomainDeviceDefPostParseCheckFeatures: the test driver lacks the DISK_FD feature
            raise _unsupported(f"driver does not support FD passing for disk '{dev}'", source)
        address = kids.get("address")
        if address is not None and address.get("type") not in (None, "drive"):
            bus = defaults.disk_bus(disk, target)
            if bus in ("ide", "fdc", "scsi", "sata"):
                # virDomainDiskAddressDiskBusCompatibility: these buses take drive addresses only
                raise _unsupported(
                    f"Invalid address type '{address.get('type')}' for the disk '{dev}' with the bus type '{bus}'",
                    address,
                )
        if device == "lun":
            _check_lun(disk, dtype if source is not None else "file", source)
        policy = source.get("startupPolicy") if source is not None else None
        if policy is not None:
            _check_startup_policy(dtype or "file", device, policy, source)
        if "driver" in kids or "model" in attrib:
            _check_not_virtio_disk(disk, kids.get("driver"), defaults.disk_bus(disk, target))
        other = targets.get(dev)
        if other is not None:
            raise _fail(
                f"target '{dev}' duplicated for disk sources '{_disk_source_name(disk)}' "
                f"and '{_disk_source_name(other)}'",
                target,
            )
        targets[dev] = disk


def _check_startup_policy(dtype: str, device: str | None, policy: str, source: etree._Element | None) -> None:
    """virDomainDiskDefValidateStartupPolicy: a startup policy needs local storage (or a
    volume), and 'requisite' a cdrom or floppy."""
    if dtype not in ("file", "block", "dir", "volume"):
        raise _fail(f"disk startupPolicy '{policy}' is not allowed for disk of '{dtype}' type", source)
    if policy == "requisite" and device not in ("cdrom", "floppy"):
        raise _fail("disk startupPolicy 'requisite' is allowed only for cdrom or floppy", source)


def _check_not_virtio_disk(disk: etree._Element, driver: etree._Element | None, bus: str) -> None:
    """virDomainDiskDefValidate: a disk off the virtio bus takes neither a virtio model nor
    the virtio-blk driver options (queues, event_idx, ioeventfd, the transport options)."""
    if bus == "virtio":
        return
    model = disk.get("model")
    if model in ("virtio", "virtio-transitional", "virtio-non-transitional"):
        raise _unsupported(f"disk model '{model}' not supported for bus '{bus}'", disk)
    if driver is None:
        return
    if _number((driver.get("queues") or "0").strip()):
        raise _unsupported("queues attribute in disk driver element is only supported by virtio-blk", driver)
    for mode in ("event_idx", "ioeventfd"):
        if driver.get(mode) is not None:
            raise _unsupported(f"disk {mode} mode supported only for virtio bus", driver)
    _virtio_options_absent(driver)


def _check_lun(disk: etree._Element, dtype: str | None, source: etree._Element | None) -> None:
    """virDomainDiskDefSourceLUNValidate: a LUN is an iSCSI network disk, a block device or a
    pool volume.  ``dtype``: the disk's source type (a file when the disk has no ``<source>``:
    virDomainDiskDefParseSourceXML resets it)."""
    if dtype == "network":
        protocol = source.get("protocol") if source is not None else None
        if protocol != "iscsi":
            raise _unsupported(f"disk device='lun' is not supported for protocol='{protocol}'", disk)
    elif dtype not in ("block", "volume"):
        raise _unsupported("disk device='lun' is only valid for block type disk source", disk)


def _check_pci_controller_target(ctrl: etree._Element, index: int) -> None:
    """virDomainControllerDefValidate for PCI: target index 0-30, 0 only on controller 0 (and
    it always), and no NUMA node for controller 0.  ``index``: the controller's."""
    target = _first(ctrl, "target") if len(ctrl) else None
    if target is None:
        return
    raw = target.get("index")
    if raw is not None:
        tindex = _number(raw)
        if tindex is None or not 0 <= tindex <= 30:
            raise _unsupported(f"PCI controller target index '{raw}' out of range - must be 0-30", target)
        if (index == 0) != (tindex == 0):
            raise _unsupported("Only the PCI controller with index 0 can have target index 0, and vice versa", target)
    if index == 0 and _first(target, "node") is not None:
        raise _unsupported("The PCI controller with index=0 can't be associated with a NUMA node", target)


_VIRTIO_SCSI = ("virtio-scsi", "virtio-transitional", "virtio-non-transitional")


def _check_controllers(controllers: list[_Controller]) -> None:
    seen: set[tuple[str, int]] = set()
    for ctrl, ctype, model, raw, index in controllers:
        if model in ("pci-root", "pcie-root") and len(ctrl) and _first(ctrl, "address") is not None:
            raise _unsupported("pci-root and pcie-root controllers should not have an address", ctrl)
        if ctype == "pci":
            _check_pci_controller_target(ctrl, index)
        if len(ctrl) and not (ctype == "scsi" and model in _VIRTIO_SCSI):
            driver = _first(ctrl, "driver")
            if driver is not None and _number(driver.get("iothread", "0").strip()) != 0:
                # virDomainControllerDefPostParse
                raise _fail("'iothread' attribute only supported for virtio scsi controllers", ctrl)
        if raw is None or ctype == "usb":
            continue  # virDomainDefRejectDuplicateControllers allows USB controllers to share an index
        key = (ctype or "", index)
        if key in seen:
            raise _fail(f"Multiple '{key[0]}' controllers with index '{key[1]}'", ctrl)
        seen.add(key)


_NEEDS_USB: tuple[tuple[str, str, str, str], ...] = (
    ("input", "bus", "usb", "Can't add USB input device. USB bus is disabled"),
    ("hub", "type", "usb", "Can't add USB hub: USB is disabled for this domain"),
    (
        "redirdev",
        "bus",
        "usb",
        "cannot add redirected USB device: USB is disabled for this domain",
    ),
    ("hostdev", "type", "usb", "Can't add host USB device: USB is disabled in this host"),
)
"""Devices libvirt's parser refuses once a ``<controller type='usb' model='none'>`` disables USB."""


_COMPANIONS = ("ich9-uhci1", "ich9-uhci2", "ich9-uhci3")


def _check_usb_none(usb: list[_Controller], groups: dict[str, list[etree._Element]]) -> None:
    """``model='none'`` must be the only USB controller (``usb``: the USB controllers), and then
    no device may need USB (virDomainDefParseXML's controller, input, hub and hostdev loops;
    redirdev validation)."""
    if not usb:
        return
    models = [c[2] for c in usb]
    for ctrl, _, model, _, _ in usb:
        if model not in _COMPANIONS and not (len(ctrl) and _first(ctrl, "master") is not None):
            break  # a master
    else:
        if models.count("none") < len(models):
            # virDomainDefParseXML: companions (ICH9 UHCI get a master port by default) need a master
            raise XMLError("No master USB controller specified", line=line_of(usb[0][0]), code=ErrorCode.XML_DETAIL)
    if "none" not in models:
        return
    if len(usb) > 1:
        raise XMLError(
            "Can't add another USB controller: USB is disabled for this domain",
            line=line_of(usb[1][0]),
            code=ErrorCode.XML_DETAIL,
        )
    for tag, attr, value, message in _NEEDS_USB:
        for dev in groups.get(tag, ()):
            if dev.get(attr) == value:
                raise _unsupported(message, dev)


_NUMA_CELLS = etree.XPath("../cpu/numa/cell")
_LOADPARM_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789. ")


def _check_loadparm(boot: etree._Element) -> None:
    """virDomainDeviceLoadparmIsValid on the upper-cased value."""
    raw = boot.get("loadparm")
    if raw is None:
        return
    value = raw.upper()
    line = line_of(boot)
    if not 1 <= len(value) <= 8:
        raise XMLError(f"internal error: loadparm value '{value}' must be between 1 and 8 characters", line=line)
    if not set(value) <= _LOADPARM_CHARS:
        raise XMLError(
            f"internal error: invalid loadparm value '{value}', "
            "expecting chars in set of [a-zA-Z0-9.] and blank spaces",
            line=line,
        )


_DEVICE_SOURCES = etree.XPath("*/source[seclabel] | *[seclabel]")


def _check_seclabel_models(owner: etree._Element | None) -> None:
    """One ``<seclabel>`` per security model (virSecurityLabelDefsParseXML and the device
    variant); with several, each must name its model."""
    if owner is None:
        return
    labels = list(owner.iterchildren("seclabel"))
    seen: set[str] = set()
    for label in labels:
        model = label.get("model")
        if model is None:
            if len(labels) > 1 and owner.tag == "domain":
                raise _fail("missing security model when using multiple labels", label)
            continue
        if model in seen:
            raise XMLError(
                f"seclabel for model {model} is already provided", line=line_of(label), code=ErrorCode.XML_DETAIL
            )
        seen.add(model)


def _check_mdevs(hostdevs: list[etree._Element]) -> None:
    """Mediated devices: the source names its UUID; vfio-pci takes PCI and vfio-ccw CCW
    addresses; at most one shows a ramfb display."""
    ramfb = 0
    for hostdev in hostdevs:
        if hostdev.get("type") != "mdev":
            continue
        src_addr = hostdev.find("source/address")
        if src_addr is not None and src_addr.get("uuid") is None:
            raise _unsupported("Missing 'uuid' attribute for element <address>", src_addr)
        model = hostdev.get("model")
        address = _first(hostdev, "address")
        wanted = {"vfio-pci": "pci", "vfio-ccw": "ccw"}.get(model or "")
        if address is not None and wanted is not None and address.get("type") != wanted:
            raise _fail(
                f"Unsupported address type '{address.get('type')}' with mediated device model '{model}'", address
            )
        if hostdev.get("ramfb") == "on":
            ramfb += 1
            if ramfb > 1:
                raise _unsupported("Only one vgpu device can have 'ramfb' enabled", hostdev)


def _check_videos(videos: list[etree._Element]) -> list[etree._Element | None]:
    """virDomainVideoDefValidate and virDomainDefVideoValidate: a 'none' video stands alone,
    ramfb takes no address, only a virtio video takes the virtio driver options.  Returns each
    video's ``<model>`` for the checks that follow."""
    models: list[etree._Element | None] = []
    for video in videos:
        kids = _first_by_tag(video)
        model = kids.get("model")
        models.append(model)
        vtype = model.get("type") if model is not None else None
        if vtype == "none" and len(videos) > 1:
            raise _unsupported("a 'none' video type must be the only video device defined for the domain", video)
        if vtype == "ramfb" and "address" in kids:
            raise _unsupported("address not supported for video type ramfb", video)
        driver = kids.get("driver") if vtype != "virtio" else None
        if driver is not None:
            _virtio_options_absent(driver)
    return models


def _hostdev_key(hostdev: etree._Element) -> tuple[str, ...] | None:
    if hostdev.get("mode", "subsystem") != "subsystem":
        return None
    htype = hostdev.get("type", "")
    src = _first(hostdev, "source")
    if src is None:
        return None
    if htype == "pci":
        addr = _first(src, "address")
        if addr is None:
            return None
        get = addr.get
        return (
            "pci",
            _int_text(get("domain", "0")),
            _int_text(get("bus", "0")),
            _int_text(get("slot", "0")),
            _int_text(get("function", "0")),
        )
    if htype not in ("usb", "scsi", "mdev"):
        return None
    kids = _first_by_tag(src)
    if htype == "usb":
        vendor, product, addr = kids.get("vendor"), kids.get("product"), kids.get("address")
        if vendor is not None and product is not None:
            return ("usb", vendor.get("id", "").lower(), product.get("id", "").lower())
        if addr is not None:
            return ("usb-addr", addr.get("bus", ""), addr.get("device", ""))
        return None
    if htype == "scsi":
        adapter, addr = kids.get("adapter"), kids.get("address")
        if adapter is not None and addr is not None:
            return ("scsi", adapter.get("name", ""), addr.get("bus", ""), addr.get("target", ""), addr.get("unit", ""))
        return None
    addr = kids.get("address")
    return ("mdev", addr.get("uuid", "").lower()) if addr is not None else None


def _check_hostdevs(hostdevs: Iterable[etree._Element]) -> None:
    seen: set[tuple[str, ...]] = set()
    for hostdev in hostdevs:
        if hostdev.get("mode", "subsystem") == "subsystem":
            _check_hostdev_source(hostdev)
        key = _hostdev_key(hostdev)
        if key is None:
            continue
        if key in seen:
            raise _fail("Hostdev already exists in the domain configuration", hostdev)
        seen.add(key)


def _check_hostdev_source(hostdev: etree._Element) -> None:
    """The source parsers of virDomainHostdevDefParseXMLSubsys for the parts a type cannot do
    without: a SCSI host's address (bus, target, unit) and adapter name, an iSCSI target's name
    and its one host; a vhost-scsi's protocol and 'naa.' WWPN; a USB vendor with its product."""
    htype = hostdev.get("type")
    if htype not in ("scsi", "scsi_host", "usb"):
        return
    source = _first(hostdev, "source")
    if source is None:
        return  # refused by implicit.fill_domain
    kids = _first_by_tag(source) if len(source) else {}
    if htype == "usb":
        vendor, product = kids.get("vendor"), kids.get("product")
        if vendor is not None and product is None:
            raise internal("missing product", source)
        if product is not None and vendor is None:
            raise internal("missing vendor", source)
        return
    if htype == "scsi_host":
        protocol = source.get("protocol")
        if protocol is None:
            raise _fail("Missing scsi_host subsystem protocol", source)
        wwpn = source.get("wwpn")
        if protocol == "vhost":
            if wwpn is None:
                raise _fail("missing vhost-scsi hostdev source wwpn", source)
            if not wwpn.startswith("naa.") or not _WWN.fullmatch(wwpn[4:]):
                raise _fail("malformed 'wwpn' value", source)
        return
    if source.get("protocol") == "iscsi":
        if source.get("name") is None:
            raise _fail("missing iSCSI hostdev source path name", source)
        hosts = list(source.iterchildren("host"))
        for host in hosts:
            _check_storage_host(host)
        if not hosts:
            raise _fail("missing the host address for the iSCSI hostdev", source)
        if len(hosts) > 1:
            raise _fail("only one source host address may be specified for the iSCSI hostdev", hosts[1])
        return
    address = kids.get("address")
    if address is None:
        raise _fail("'address' must be specified for scsi hostdev source", source)
    for attr in ("bus", "target", "unit"):
        if address.get(attr) is None:
            raise _fail(f"Missing required attribute '{attr}' in element 'address'", address)
    adapter = kids.get("adapter")
    if adapter is None or not adapter.get("name"):
        raise _fail("'adapter' name must be specified for scsi hostdev source", source)


_FIELD = r"\s*[+-]?\d+"
_VALID_TO = re.compile(f"{_FIELD}-{_FIELD}-{_FIELD}T{_FIELD}:{_FIELD}:{_FIELD}")
"""virDomainGraphicsAuthDefParseXML's YYYY-MM-DDTHH:MM:SS, each field read by strtol."""


def _check_graphics(graphics: etree._Element) -> None:
    """virDomainGraphicsDefParseXML's refusals.  The attributes it looks at are mostly absent,
    so their names are read once and only those present are read (each absent ``get`` costs
    about as much as reading every name)."""
    names = graphics.keys()
    if "passwd" in names and "passwdValidTo" in names:
        valid_to = graphics.get("passwdValidTo", "")
        if not _VALID_TO.fullmatch(valid_to):
            raise internal(f"cannot parse password validity time '{valid_to}', expect YYYY-MM-DDTHH:MM:SS", graphics)
    if "passwd" in names and "connected" in names:
        if graphics.get("connected") != "keep" and graphics.get("type") == "vnc":
            # virDomainGraphicsAuthDefParseXML (read only beside a password)
            raise _unsupported("VNC supports connected='keep' only", graphics)
    listens = [child for child in children(graphics) if child.tag == "listen"]
    for listen in listens:
        if listen.get("type") == "network" and not listen.get("network"):
            raise _fail("'network' attribute is required for listen type 'network'", listen)
    attr = graphics.get("listen") if "listen" in names else None
    if attr is not None and listens:
        first = listens[0]
        if first.get("type") == "address" and first.get("address") not in (None, attr):
            raise _unsupported(
                f"graphics 'listen' attribute '{attr}' must match 'address' attribute of first listen element "
                f"(found '{first.get('address')}')",
                graphics,
            )
    socket = graphics.get("socket") if "socket" in names else None
    if socket is not None and graphics.get("type") == "vnc" and listens and listens[0].get("type") == "socket":
        found = listens[0].get("socket")
        if found is not None and found != socket:
            raise _unsupported(
                f"graphics 'socket' attribute '{socket}' must match 'socket' attribute of first listen element "
                f"(found '{found}')",
                graphics,
            )


def _chardev_error(message: str, el: etree._Element) -> XMLError:
    line = line_of(el)
    return XMLError(f"internal error: {message} (line {line})", line=line, code=ErrorCode.INTERNAL_ERROR)


_PATH_TYPES = ("file", "dev", "pipe", "unix")
_CHARDEV_SOURCE_TYPES = frozenset((*_PATH_TYPES, "tcp", "udp"))
"""The character device types :func:`_check_chardev` can refuse without a ``<source>``."""
_NO_ATTRIBUTES: dict[str, str] = {}


def _check_chardev(
    chardev: etree._Element,
    ctype: str | None,
    sources: list[etree._Element],
    channel_target: etree._Element | None,
) -> None:
    """A character device's backend as libvirt's parser and virDomainChrSourceDefValidate
    check it: one ``<source>`` (two for UDP), and the attributes each type cannot do without.
    ``ctype``: its type; ``sources``: its ``<source>`` children; ``channel_target``: a channel's
    ``<target>`` (None for other devices)."""
    if len(sources) > 1 and ctype != "udp":
        raise _fail("only one source element is allowed for character device", sources[1])
    if len(sources) > 2:
        raise _fail("only two source elements are allowed for character device", sources[2])
    src = sources[0] if sources else None
    attr = src.get if src is not None else _NO_ATTRIBUTES.get
    reconnect = _first(src, "reconnect") if src is not None and len(src) else None
    if reconnect is not None and reconnect.get("enabled") == "yes" and reconnect.get("timeout") is None:
        raise _fail("Missing required attribute 'timeout' in element 'reconnect'", reconnect)
    reconnecting = reconnect is not None and reconnect.get("enabled") == "yes"
    if ctype in _PATH_TYPES and attr("path") is None:
        generated = channel_target is not None and channel_target.get("type") in ("xen", "virtio")
        if not (ctype == "unix" and generated):
            raise _chardev_error("Missing source path attribute for char device", chardev)
    if ctype == "tcp":
        where = src if src is not None else chardev
        if attr("host") is None:
            raise _chardev_error("Missing source host attribute for char device", where)
        if attr("service") is None:
            raise _chardev_error("Missing source service attribute for char device", where)
    if ctype == "udp":
        connect = [s for s in sources if s.get("mode", "connect") == "connect"]
        if not connect or connect[0].get("service") is None:
            raise _chardev_error("Missing source service attribute for char device", chardev)
    if ctype in ("tcp", "unix") and reconnecting and attr("mode") == "bind":
        raise _chardev_error("chardev reconnect is possible only for connect mode", chardev)


def check_domain_addresses(root: etree._Element) -> None:
    """After defaults: no two disks on a bus, no two SCSI host devices, and no host device and
    SCSI disk share a drive address (virDomainDefDuplicateDriveAddressesValidate)."""
    devices = None
    # from the end, where <devices> usually is; there is only one (known.py merged any later
    # copy into the first)
    for child in reversed(children(root)):
        if child.tag == "devices":
            devices = child
            break
    if devices is None:
        return
    disks: list[tuple[etree._Element, etree._Element, etree._Element]] = []  # (disk, address, target)
    hostdevs: list[tuple[etree._Element, etree._Element]] = []
    for device in children(devices):  # one slice: lxml's multi-tag iterator costs more to set up
        tag = device.tag
        if tag == "disk":
            kids = _first_by_tag(device)
            address, target = kids.get("address"), kids.get("target")
            if address is not None and target is not None and address.get("type") == "drive":
                disks.append((device, address, target))
        elif tag == "hostdev":
            address = _first(device, "address")
            if address is not None and address.get("type") == "drive" and device.get("type") == "scsi":
                hostdevs.append((device, address))
    if not disks and not hostdevs:
        return
    seen: dict[tuple[str, tuple[str, ...]], etree._Element] = {}
    for disk, address, target in disks:
        key = (target.get("bus", ""), _drive(address))
        other = seen.get(key)
        if other is not None:
            first_target = _first(other, "target")
            name = first_target.get("dev", "") if first_target is not None else ""
            c, b, t, u = key[1]
            raise _unsupported(
                f"Found duplicate drive address for disk with target name '{name}' "
                f"controller='{c}' bus='{b}' target='{t}' unit='{u}'",
                disk,
            )
        seen[key] = disk
    scsi_hostdevs: set[tuple[str, ...]] = set()
    for hostdev, address in hostdevs:
        drive = _drive(address)
        c, b, t, u = drive
        if drive in scsi_hostdevs:
            # libvirt prints bus and controller swapped in this message
            raise _unsupported(
                f"SCSI host address controller='{b}' bus='{c}' target='{t}' unit='{u}' "
                "in use by another SCSI host device",
                hostdev,
            )
        scsi_hostdevs.add(drive)
        if ("scsi", drive) in seen:
            raise _unsupported(
                f"SCSI host address controller='{b}' bus='{c}' target='{t}' unit='{u}' in use by another SCSI disk",
                hostdev,
            )


def _drive(address: etree._Element) -> tuple[str, ...]:
    get = address.get
    return (
        _int_text(get("controller", "0")),
        _int_text(get("bus", "0")),
        _int_text(get("target", "0")),
        _int_text(get("unit", "0")),
    )


def _int_text(text: str) -> str:
    """``text``'s number in decimal, "0" if it is none: the form address fields are compared in."""
    if text.isdigit() and text.isascii() and (text[0] != "0" or len(text) == 1):
        return text  # already decimal without leading zeros
    return str(_number(text) or 0)


# -- network -----------------------------------------------------------------------------------


def check_network(root: etree._Element) -> None:
    """Refuse a network libvirt's generic parser refuses."""
    name_el = _first(root, "name")
    if name_el is None or not (name_el.text or "").strip():
        raise _fail("missing network name element", root)
    name = name_el.text or ""
    if "/" in name:
        raise _fail(f"name {name} cannot contain '/'", name_el)
    _check_network_ips(root, name)
    dns = _first(root, "dns")
    if dns is not None and dns.get("enable") == "no" and (len(dns) > 0 or dns.get("forwardPlainNames")):
        raise _fail(f"Extra data in disabled network '{name}'", dns)
    forward = _first(root, "forward")
    if forward is None:
        return
    mode = forward.get("mode", "nat")
    if mode in ("route", "nat", "open"):
        # virNetworkDefParseXML: L3 forwarding needs an address and at most one interface
        if _first(root, "ip") is None:
            raise _fail(f"{mode} forwarding requested, but no IP address provided for network '{name}'", forward)
        if len(list(forward.iterchildren("interface"))) > 1:
            raise _fail(
                f"multiple forwarding interfaces specified for network '{name}', only one is supported", forward
            )
    if mode == "open" and (forward.get("dev") is not None or _first(forward, "interface") is not None):
        raise _fail(f"forward dev not allowed for network '{name}' with forward mode='open'", forward)
    nats = [child for child in forward if child.tag == "nat"] if len(forward) else []
    if len(nats) > 1:
        raise _fail(f"Only one <nat> element is allowed in <forward> of network {name}", nats[1])
    if nats:
        _check_nat(nats[0], mode, name)
    seen_pci: set[tuple[int, ...]] = set()
    # PCI addresses are the device list only without interfaces (virNetworkForwardDefParseXML)
    listed = _first(forward, "interface") is None and forward.get("dev") is None
    for addr in forward.iterfind("address[@type='pci']") if listed else ():
        key = tuple(_number(addr.get(a, "0")) or 0 for a in ("domain", "bus", "slot", "function"))
        if key in seen_pci:
            shown = f"{key[0]:04x}:{key[1]:02x}:{key[2]:02x}.{key[3]:x}"
            raise _fail(f"PCI device '{shown}' can only be listed once in network {name}", addr)
        seen_pci.add(key)
    forward_dev = forward.get("dev")
    if forward_dev is not None and (_first(forward, "address") is not None or _first(forward, "pf") is not None):
        # virNetworkForwardDefParseXML (its message prints a literal "%s" for the name)
        raise _fail(
            "the <forward> 'dev' attribute cannot be used when <address> or <pf> sub-elements are present "
            "in network %s",
            forward,
        )
    seen_dev: set[str] = set()
    for position, iface in enumerate(forward.iterchildren("interface")):
        dev = iface.get("dev")
        if dev is None:
            raise _fail(f"Missing required dev attribute in <forward> <interface> element of network {name}", iface)
        if position == 0 and forward_dev is not None:
            if dev != forward_dev:
                raise _fail(
                    f"<forward dev='{forward_dev}'> must match first <interface dev='{dev}'/> in network {name}", iface
                )
            seen_dev.add(dev)
            continue
        if dev in seen_dev:
            raise _fail(f"interface '{dev}' can only be listed once in network {name}", iface)
        seen_dev.add(dev)


def _check_nat(nat: etree._Element, mode: str, name: str) -> None:
    """virNetworkForwardNatDefParseXML: NAT settings belong to a NAT network; one SNAT address
    range with both ends, one port range within 0-65535 with both ends in order."""
    where = f"in <nat> in <forward> in network {name}"
    if mode != "nat":
        raise _fail(f"The <nat> element can only be used when <forward> 'mode' is 'nat' in network {name}", nat)
    addresses = list(nat.iterchildren("address"))
    if len(addresses) > 1:
        raise _fail(f"Only one <address> element is allowed {where}", addresses[1])
    for address in addresses:
        for end in ("start", "end"):
            if address.get(end) is None:
                raise _fail(f"missing '{end}' attribute in <address> element {where}", address)
    ports = list(nat.iterchildren("port"))
    if len(ports) > 1:
        raise _fail(f"Only one <port> element is allowed {where}", ports[1])
    for port in ports:
        start = _number(port.get("start", "").strip()) if port.get("start", "").strip().isdigit() else None
        if start is None or start > 65535:
            raise XMLError(
                f"Missing or invalid 'start' attribute in <port> {where}", line=line_of(port), code=ErrorCode.XML_DETAIL
            )
        stop = _number(port.get("end", "").strip()) if port.get("end", "").strip().isdigit() else None
        if stop is None or stop > 65535 or stop < start:
            raise XMLError(
                f"Missing or invalid 'end' attribute in <port> {where}", line=line_of(port), code=ErrorCode.XML_DETAIL
            )


def _check_network_ips(root: etree._Element, name: str) -> None:
    """virNetworkIPDefParseXML and its DHCP parsers: an ``<ip>`` has an address, a range both
    ends, a static host an IP and something to match it by (MAC or name; id or name on IPv6);
    every ``<vlan>`` (virNetDevVlanParse) has a tag."""
    for ip in root.iterchildren("ip"):
        if ip.get("address") is None:
            raise _fail(f"Missing required address attribute in network '{name}'", ip)
        ipv6 = ":" in ip.get("address", "")
        family = ip.get("family")
        if ipv6 and family in (None, "ipv4"):
            raise _unsupported(
                f"{family or 'no'} family specified for non-IPv4 address '{ip.get('address')}' in network '{name}'", ip
            )
        for dhcp in ip.iterchildren("dhcp"):
            for rng in dhcp.iterchildren("range"):
                for end in ("start", "end"):
                    if rng.get(end) is None:
                        raise _fail(f"Missing '{end}' attribute in dhcp range for network '{name}'", rng)
            for host in dhcp.iterchildren("host"):
                if ipv6 and host.get("id") is None and host.get("name") is None:
                    raise _fail(f"Static host definition in IPv6 network '{name}' must have id or name attribute", host)
                if not ipv6 and host.get("mac") is None and host.get("name") is None:
                    raise _fail(
                        f"Static host definition in IPv4 network '{name}' must have mac or name attribute", host
                    )
                if host.get("ip") is None:
                    raise _fail(f"Missing IP address in static host definition for network '{name}'", host)
    for host in root.iterfind("dns/host"):
        if host.get("ip") is None:
            # virNetworkDNSHostDefParseXML
            raise XMLError(
                f"Missing IP address in network '{name}' DNS HOST record", line=line_of(host), code=ErrorCode.XML_DETAIL
            )
    for vlan in root.iter("vlan"):
        if _first(vlan, "tag") is None:
            raise _fail("missing tag id - each <vlan> must have at least one <tag id='n'/> subelement", vlan)


# -- storage -----------------------------------------------------------------------------------

_POOLS_WITH_TARGET_PATH = ("dir", "fs", "netfs", "disk", "iscsi", "scsi", "mpath", "vstorage")


def check_pool(root: etree._Element) -> None:
    """Refuse a storage pool libvirt's generic parser refuses."""
    pool_type = root.get("type")
    if pool_type is None:
        raise _fail("storage pool missing type attribute", root)
    name = root.findtext("name")
    if not name and not (pool_type == "logical" and root.findtext("source/name")):
        raise _fail("missing pool source name element", root)
    if name and "/" in name:
        raise _fail(f"name {name} cannot contain '/'", _first(root, "name"))
    _check_pool_source(pool_type, _first(root, "source"))
    for auth in root.iterfind("source/auth"):
        _check_auth(auth)
    if pool_type in _POOLS_WITH_TARGET_PATH and not (root.findtext("target/path") or "").strip():
        raise _fail(
            "missing storage pool target path", _first(root, "target") if _first(root, "target") is not None else root
        )


_POOLS_WITH_HOST = frozenset(("netfs", "iscsi", "iscsi-direct", "rbd", "sheepdog", "gluster"))
_POOLS_WITH_SOURCE_DIR = frozenset(("netfs",))
"""Gluster has the flag too, but its parser defaults the directory to ``/`` first."""
_POOLS_WITH_DEVICE_ONLY = frozenset(("fs", "disk"))


def _check_pool_source(pool_type: str, source: etree._Element | None) -> None:
    """virStoragePoolDefParseSource and the pool type's source flags: every host has a name and
    every device a path; network pools name a host (and netfs/gluster a directory); a pool
    whose only source is a device names one."""
    if pool_type == "rbd" and (source is None or _first(source, "name") is None):
        raise _fail("element 'name' is mandatory for RBD pool", source)
    hosts = [] if source is None else list(source.iterchildren("host"))
    for host in hosts:
        if host.get("name") is None:
            raise _fail("missing storage pool host name", host)
    devices = [] if source is None else list(source.iterchildren("device"))
    for device in devices:
        if device.get("path") is None:
            raise _fail("missing storage pool source device path", device)
    if pool_type in _POOLS_WITH_HOST and not hosts:
        raise _fail("missing storage pool source host name", source)
    if pool_type in _POOLS_WITH_SOURCE_DIR and (source is None or not source.xpath("string(dir/@path)")):
        raise _fail("missing storage pool source path", source)
    if pool_type in _POOLS_WITH_DEVICE_ONLY and not devices:
        raise _fail("missing storage pool source device name", source)
    adapter = _first(source, "adapter") if source is not None else None
    kind = _check_adapter(adapter) if adapter is not None else None
    if pool_type == "scsi":
        if kind is None:
            raise _fail("missing storage pool source adapter", source)
        assert adapter is not None
        _validate_adapter(adapter, kind)


def _check_adapter(adapter: etree._Element) -> str | None:
    """virStorageAdapterParseXML: the adapter's type, or None (libvirt's 'default', no adapter).
    Without a ``type`` only a SCSI host's ``name`` may be given (the legacy form)."""
    kind = adapter.get("type")
    if kind is None:
        if any(adapter.get(attr) is not None for attr in ("wwnn", "wwpn", "parent")):
            raise _fail("Use of 'wwnn', 'wwpn', and 'parent' attributes requires use of the adapter 'type'", adapter)
        if _first(adapter, "parentaddr") is not None:
            raise _fail("Use of 'parentaddr' element requires use of the adapter 'type'", adapter)
        return "scsi_host" if adapter.get("name") is not None else None
    if kind == "scsi_host":
        parentaddr = _first(adapter, "parentaddr")
        if parentaddr is not None:
            if _first(parentaddr, "address") is None:
                raise _fail("Missing scsi_host PCI address element", parentaddr)
            unique = _number(parentaddr.get("unique_id", "").strip())
            if unique is None or unique < 0:
                raise _fail("Missing or invalid scsi adapter 'unique_id' value", parentaddr)
    return kind


_WWN = re.compile(r"(0x)?[0-9a-fA-F]{16}")


def _validate_adapter(adapter: etree._Element, kind: str) -> None:
    """virStorageAdapterValidate for a SCSI pool: an FC host's WWNs (both ports' and its
    parent's in pairs, each 16 hex digits), a SCSI host's name or parent address, not both."""
    if kind == "fc_host":
        if adapter.get("wwnn") is None or adapter.get("wwpn") is None:
            raise _fail("'wwnn' and 'wwpn' must be specified for adapter type 'fchost'", adapter)
        parent_wwnn, parent_wwpn = adapter.get("parent_wwnn"), adapter.get("parent_wwpn")
        if parent_wwnn is not None and parent_wwpn is None:
            raise _fail(f"when providing parent_wwnn='{parent_wwnn}', the parent_wwpn must also be provided", adapter)
        if parent_wwnn is None and parent_wwpn is not None:
            raise _fail(f"when providing parent_wwpn='{parent_wwpn}', the parent_wwnn must also be provided", adapter)
        for attr in ("wwnn", "wwpn", "parent_wwnn", "parent_wwpn", "parent_fabric_wwn"):
            wwn = adapter.get(attr)
            if wwn is not None and not _WWN.fullmatch(wwn):
                raise XMLError(
                    f"internal error: Malformed wwn: {wwn}", line=line_of(adapter), code=ErrorCode.INTERNAL_ERROR
                )
    elif kind == "scsi_host":
        named, parent = adapter.get("name") is not None, _first(adapter, "parentaddr") is not None
        if not named and not parent:
            raise _fail("Either 'name' or 'parent' must be specified for the 'scsi_host' adapter", adapter)
        if named and parent:
            raise _fail("Both 'name' and 'parent' cannot be specified for the 'scsi_host' adapter", adapter)


def check_vol(root: etree._Element) -> None:
    """Refuse a storage volume libvirt's generic parser refuses (capacity is checked with defaults)."""
    name = root.findtext("name")
    if not name:
        raise _fail("missing volume name element", root)
    if "/" in name:
        raise _fail(f"volume name '{name}' cannot contain '/'", _first(root, "name"))


def _check_encryption(encryption: etree._Element) -> None:
    """virStorageEncryptionParseNode (volumes and disk sources): a format; each ``<secret>`` of
    a known type, found by UUID or usage; a LUKS ``<cipher>`` names itself and its size, and an
    ``<ivgen>`` (which needs the cipher) its name."""
    if encryption.get("format") is None:
        raise _fail("unknown volume encryption format", encryption)
    cipher = ivgen = None
    for child in encryption:
        tag = child.tag
        if tag == "secret":
            kind = child.get("type")
            if kind is None:
                raise _fail("unknown volume encryption secret type", child)
            if kind != "passphrase":
                raise _unsupported(f"unknown volume encryption secret type {kind}", child)
            _check_secret(child)
        elif tag == "cipher" and cipher is None:
            cipher = child
        elif tag == "ivgen" and ivgen is None:
            ivgen = child
    if encryption.get("format") != "luks":
        return
    if cipher is not None:
        if cipher.get("name") is None:
            raise _fail("cipher info missing 'name' attribute", cipher)
        if cipher.get("size") is None:
            raise _fail("Missing required attribute 'size' in element 'cipher'", cipher)
    if ivgen is not None:
        if cipher is None:
            raise _fail("ivgen element found, but cipher is missing", ivgen)
        if ivgen.get("name") is None:
            raise _fail("missing ivgen info name string", ivgen)
