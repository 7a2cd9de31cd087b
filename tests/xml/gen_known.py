"""Regenerate ``core/src/pyvirt/xml/_known.py``: what libvirt's parsers read, per element path.

libvirt's parsers read the elements and attributes their C model has and ignore everything
else, so a dump never shows content the model lacks.  The RelaxNG schemas describe that model:
this script walks each kind's grammar (``domain.rng``, ``network.rng``, ``storagepool.rng``,
``storagevol.rng``) from its start element, following ``<ref>``s, and records for every element
path (the key :mod:`pyvirt.xml.canonical` sorts by: repeated segments collapsed) the attribute
names and child element names any definition of that element allows.  An element whose content
is a wildcard (``<metadata>``'s ``customElement``) is recorded as open: everything under it is
kept.  Paths deeper than :data:`MAX_DEPTH` are not recorded, and an unrecorded path keeps all
of its content, so the table only ever drops what the schema positively does not know.

Run over libvirt's whole test data (``tests/data/libvirt-xml``) and the differential test on
fresh documents (``fresh_documents.py``), the table drops nothing libvirt keeps.

Required attributes: ``REQUIRED`` lists, per path, the attributes every definition of the
element requires and that libvirt's own readers take with ``VIR_XML_PROP_REQUIRED``
(:func:`c_required`); a document without one is refused ("Missing required attribute"), except
the pairs in :data:`NOT_REQUIRED`.

Integers: libvirt reads them into C numbers, so their written form never shows in a dump.
``NUMBERS`` lists, per path, the attributes (and texts) every definition types as an integer,
and which of those libvirt reads in base 0 (``010`` is 8, ``0x10`` is 16): the one base
libvirt's number readers in ``src/conf`` use for that attribute name, and where they use
several or none, base 0 if the schema allows a hexadecimal form, else base 10.

The schema leaves a few numbers untyped: :data:`EXTRA_NUMBERS` adds those, with where libvirt
reads them.

    .venv/bin/python tests/xml/gen_known.py <unpacked libvirt-9.0.0>
"""

from __future__ import annotations

import copy
import re
import sys
from collections import defaultdict
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "core" / "src" / "pyvirt" / "xml" / "schemas"
OUT = REPO / "core" / "src" / "pyvirt" / "xml" / "_known.py"
RNG = "{http://relaxng.org/ns/structure/1.0}"
TOPS = {"domain": "domain.rng", "network": "network.rng", "pool": "storagepool.rng", "volume": "storagevol.rng"}
MAX_DEPTH = 14
"""Longest element path recorded (libvirt's deepest non-recursive content is about 9 levels)."""

ANY = "*"

NOT_REQUIRED = frozenset(
    (
        "access@mode alias@name bootmenu@enable cfpc@value channel@type controller@type cow@state"
        " domain@name driver@name entry@name feature@enabled format@type ibs@value interface@type"
        " iqn@name memnode@mode mknod@state model@name model@type parallel@type product@name"
        " reconnect@enabled redirdev@bus sbbc@value serial@type smbios@mode source@type target@dev"
        " domain@type teaming@type backenddomain@name link@state mtu@size vendor@name"
    ).split()
)
"""``element@attribute`` pairs the schema requires and some libvirt parser reads as required,
but where real libvirt accepts a document without them (it defaults or ignores them): found by
the differential test with attributes dropped at random (``fresh_documents.py --defaults``,
4 x 3,000 documents), and left out of REQUIRED at every path; ``domain@type`` because libvirt
refuses it with a message of its own ("missing domain type attribute", checks.py); ``teaming@type``
because virDomainNetTeamingInfoParseXML reads it by XPath (a bare ``<teaming/>`` is no teaming,
a missing type beside ``persistent`` has its own message: pyvirt.xml.netdev); an interface's
``backenddomain@name``, ``link@state`` and ``mtu@size`` (a network's too) are read by XPath, absent
meaning unset."""

EXTRA_NUMBERS: dict[str, str] = {
    "domain/devices/serial/target@port": "virDomainChrDefParseTargetXML: virStrToLong_ui, base 10",
    "domain/devices/parallel/target@port": "as for serial",
    "domain/devices/console/target@port": "as for serial",
    "domain/devices/channel/target@port": "guestfwd port: virStrToLong_ui after virXMLPropString",
    "domain/devices/controller/master@startport": "virXMLPropUInt, base 10 (the schema reuses usbPort)",
    "domain/clock@adjustment": "virStrToLong_ll base 10 unless 'reset' (the schema's timeDelta is a pattern)",
}
"""``path@attr`` the schema types as free text but libvirt reads as a decimal integer."""

OWN_TEXT_READERS: dict[str, str] = {
    "volume/capacity": "virStorageSize: virStrToLong_ullp refuses any minus sign, '-0' too (storage_rules)",
    "volume/allocation": "as for capacity",
}
"""Integer texts a rule module reads itself, in libvirt's own way, so the generic walk leaves
them as written (its ``strtol``-style reading would turn ``-0`` into ``0``)."""

BASE_AT: dict[str, int] = {
    "domain/features/kvm/dirty-ring@size": 0,
    "domain/devices/shmem/msi@vectors": 0,
    "domain/devices/hostdev/source/address@target": 0,
    "domain/devices/hostdev/source/address@unit": 0,
    "domain/devices/audio@id": 10,
    "domain/devices/graphics/audio@id": 10,
    "domain/devices/sound/audio@id": 10,
}
"""``path@attr`` whose name libvirt reads in different bases in different places (so
:func:`c_bases` leaves it out), with the base of the reader at that path: the KVM dirty ring's
size (virDomainFeaturesKVMDefParse: virXMLPropUInt base 0, so ``04096`` is a bad octal number),
an ivshmem's MSI vectors (virDomainShmemDefParseXML), a SCSI host device's source target and unit
(virDomainHostdevSubsysSCSIHostDefParseXML), audio ids (virDomainAudioDefParseXML and the
sound and graphics ``<audio id>`` readers, base 10)."""

INTEGER_TYPES = frozenset(
    ("int", "integer", "long", "short", "unsignedInt", "unsignedLong", "unsignedShort", "positiveInteger")
)
"""XML Schema datatypes libvirt reads into a C integer and prints back in decimal."""

_NUMBER_PATTERN = re.compile(r"^(\(0x\)\?|0x)?\[0-9(a-fA-F)?\](\{[0-9,]+\}|\+)$")
"""A string pattern that only matches a number, decimal or hexadecimal (``uint8``, ``usbAddr``...)."""


def element_key(parent: str, tag: str) -> str:
    """As :func:`pyvirt.xml.canonical._child_key`: a child named like its parent shares its key."""
    if not parent:
        return tag
    return parent if parent.rsplit("/", 1)[-1] == tag else f"{parent}/{tag}"


class Grammar:
    """One kind's grammar: its defines (includes merged) and its start patterns."""

    def __init__(self, top: str) -> None:
        self.defines: dict[str, list[etree._Element]] = defaultdict(list)
        self.start: list[etree._Element] = []
        self._load(top, set())

    def _load(self, name: str, seen: set[str]) -> None:
        if name in seen:
            return
        seen.add(name)
        root = etree.parse(str(SCHEMAS / name)).getroot()
        for child in root:
            tag = child.tag
            if tag == f"{RNG}include":
                self._load(child.get("href", ""), seen)
            elif tag == f"{RNG}define":
                self.defines[child.get("name", "")].append(child)
            elif tag == f"{RNG}start":
                self.start.append(child)

    def numeric(self, node: etree._Element) -> tuple[bool, bool]:
        """Whether the value pattern under ``node`` (an attribute, or an element's own text
        with its attributes and child elements left out) is only ever an integer, and whether
        it may be written in hexadecimal (then libvirt reads it with base 0: ``010`` is 8)."""
        kinds: set[str] = set()
        hexadecimal = False
        stack = list(node)
        seen: set[str] = set()
        while stack:
            item = stack.pop()
            tag = item.tag
            if not isinstance(tag, str) or tag in (f"{RNG}attribute", f"{RNG}element", f"{RNG}documentation"):
                continue
            if tag in (f"{RNG}name", f"{RNG}anyName", f"{RNG}nsName", f"{RNG}empty"):
                continue
            if tag == f"{RNG}data":
                pattern = "".join(p.text or "" for p in item.iterchildren(f"{RNG}param") if p.get("name") == "pattern")
                integer = item.get("type") in INTEGER_TYPES or bool(pattern and _NUMBER_PATTERN.match(pattern))
                kinds.add("int" if integer else "other")
                hexadecimal = hexadecimal or "0x" in pattern
            elif tag == f"{RNG}value":
                kinds.add("int" if (item.text or "").strip().lstrip("-").isdigit() else "other")
            elif tag in (f"{RNG}text", f"{RNG}list"):
                kinds.add("other")
            elif tag == f"{RNG}ref":
                ref = item.get("name", "")
                if ref not in seen:
                    seen.add(ref)
                    for define in self.defines.get(ref, ()):
                        stack.extend(define)
            else:
                stack.extend(item)
        return kinds == {"int"}, hexadecimal

    def has_text(self, node: etree._Element) -> bool:
        """Whether an element's own content (attributes and child elements left out) holds text."""
        stack = list(node)
        seen: set[str] = set()
        while stack:
            item = stack.pop()
            tag = item.tag
            if not isinstance(tag, str) or tag in (f"{RNG}attribute", f"{RNG}element"):
                continue
            if tag in (f"{RNG}data", f"{RNG}value", f"{RNG}text", f"{RNG}list"):
                return True
            if tag == f"{RNG}ref":
                ref = item.get("name", "")
                if ref not in seen:
                    seen.add(ref)
                    for define in self.defines.get(ref, ()):
                        stack.extend(define)
            elif tag not in (f"{RNG}name", f"{RNG}anyName", f"{RNG}nsName", f"{RNG}documentation"):
                stack.extend(item)
        return False

    def required(self, node: etree._Element, refs: frozenset[str] = frozenset()) -> frozenset[str]:
        """Attribute names every match of ``node``'s content must carry: outside ``optional``
        and ``zeroOrMore``, and in every branch of a ``choice``."""
        out: set[str] = set()
        for item in node:
            tag = item.tag
            if not isinstance(tag, str) or tag in (f"{RNG}element", f"{RNG}optional", f"{RNG}zeroOrMore"):
                continue
            if tag == f"{RNG}attribute":
                if item.get("name"):
                    out.add(item.get("name", ""))
            elif tag == f"{RNG}choice":
                branches = [self.required(_wrap(b), refs) for b in item if isinstance(b.tag, str)]
                if branches:
                    out |= frozenset.intersection(*branches)
            elif tag == f"{RNG}ref":
                ref = item.get("name", "")
                defines = self.defines.get(ref, [])
                if ref not in refs and defines:
                    out |= frozenset.intersection(*(self.required(d, refs | {ref}) for d in defines))
            elif tag not in (f"{RNG}name", f"{RNG}anyName", f"{RNG}nsName", f"{RNG}documentation"):
                out |= self.required(item, refs)
        return frozenset(out)

    def attributes(self, node: etree._Element) -> list[etree._Element]:
        """The ``<attribute>`` patterns of an element's content (``<ref>``s followed)."""
        found: list[etree._Element] = []
        stack = list(node)
        seen: set[str] = set()
        while stack:
            item = stack.pop()
            tag = item.tag
            if not isinstance(tag, str) or tag == f"{RNG}element":
                continue
            if tag == f"{RNG}attribute":
                found.append(item)
            elif tag == f"{RNG}ref":
                ref = item.get("name", "")
                if ref not in seen:
                    seen.add(ref)
                    for define in self.defines.get(ref, ()):
                        stack.extend(define)
            else:
                stack.extend(item)
        return found

    def counts(self, node: etree._Element, refs: frozenset[str] = frozenset()) -> dict[str, int]:
        """Child element name -> how many times it may occur in the content of pattern ``node``,
        capped at 2 (more than once): a group or an interleave adds up its parts."""
        out: dict[str, int] = {}
        for item in node:
            for name, count in self._item_counts(item, refs).items():
                out[name] = min(out.get(name, 0) + count, 2)
        return out

    def _item_counts(self, item: etree._Element, refs: frozenset[str]) -> dict[str, int]:
        """As :meth:`counts` for one pattern: ``zeroOrMore``/``oneOrMore`` repeat, a ``choice``
        takes its larger branch, a ``<ref>`` that recurses is taken as repeating; namespaced and
        wildcard elements are not counted, nor is what a child element holds."""
        tag = item.tag
        if not isinstance(tag, str) or tag in (f"{RNG}attribute", f"{RNG}documentation"):
            return {}
        if tag == f"{RNG}element":
            return {} if namespaced(item) else dict.fromkeys(element_names(item), 1)
        if tag in (f"{RNG}zeroOrMore", f"{RNG}oneOrMore"):
            return dict.fromkeys(self.counts(item, refs), 2)
        found: dict[str, int] = {}
        if tag == f"{RNG}choice":
            for branch in item:
                for name, count in self._item_counts(branch, refs).items():
                    found[name] = max(found.get(name, 0), count)
        elif tag == f"{RNG}ref":
            ref = item.get("name", "")
            for define in self.defines.get(ref, ()):
                if ref in refs:
                    elements = self.content(define)[1]
                    found.update((n, 2) for el in elements if not namespaced(el) for n in element_names(el))
                    continue
                for name, count in self.counts(define, refs | {ref}).items():
                    found[name] = max(found.get(name, 0), count)
        else:
            found = self.counts(item, refs)
        return found

    def content(self, node: etree._Element) -> tuple[set[str], list[etree._Element], bool]:
        """Attribute names, child ``<element>`` patterns and whether any attribute goes, for the
        content of pattern ``node`` (``<ref>``s followed, nested elements not entered)."""
        attrs: set[str] = set()
        elements: list[etree._Element] = []
        any_attr = False
        stack = list(node)
        seen: set[str] = set()
        while stack:
            item = stack.pop()
            tag = item.tag
            if not isinstance(tag, str):
                continue
            if tag == f"{RNG}element":
                elements.append(item)
            elif tag == f"{RNG}attribute":
                name = item.get("name")
                if name is None:
                    names = [n.text for n in item.iter(f"{RNG}name")]
                    if not names:
                        any_attr = True
                    attrs.update(n.strip() for n in names if n)
                else:
                    attrs.add(name)
            elif tag == f"{RNG}ref":
                ref = item.get("name", "")
                if ref not in seen:
                    seen.add(ref)
                    for define in self.defines.get(ref, ()):
                        stack.extend(define)
            elif tag not in (f"{RNG}name", f"{RNG}anyName", f"{RNG}nsName", f"{RNG}documentation"):
                stack.extend(item)
        return attrs, elements, any_attr


def _wrap(branch: etree._Element) -> etree._Element:
    """A choice branch as a pattern whose content is the branch itself."""
    holder = etree.Element(f"{RNG}group")
    holder.append(copy.copy(branch))
    return holder


def namespaced(el: etree._Element) -> bool:
    """An element of an extension namespace (``ns=`` on it or an ancestor): a driver's
    namespace parser reads those, and pyvirt keeps or drops them by namespace instead."""
    for node in el.iterancestors():
        if node.get("ns"):
            return True
    return bool(el.get("ns"))


def element_names(el: etree._Element) -> list[str]:
    """The names an ``<element>`` pattern matches; empty for a wildcard."""
    name = el.get("name")
    if name is not None:
        return [name]
    return [(n.text or "").strip() for n in el.iterchildren(f"{RNG}name")] or [
        (n.text or "").strip() for c in el.iterchildren(f"{RNG}choice") for n in c.iterchildren(f"{RNG}name")
    ]


Table = dict[str, tuple[frozenset[str], frozenset[str]]]
Numbers = dict[str, tuple[frozenset[str], bool, frozenset[str]]]
Bitmaps = dict[str, frozenset[str]]

_XPATH_NUMBER = re.compile(r'virXPath(?:U?Int|U?LongLong|ULong|Long)\(\s*"string\(\./(?:[\w/]*/)?@(\w+)\)"')
"""libvirt's XPath number readers, always base 10."""
_PROP_BASE = re.compile(r'virXMLProp(?:U?Int|U?LongLong|ULong|Long)\(\s*[\w>.-]+,\s*"(\w+)",\s*(\d+)')


_PROP_REQUIRED = re.compile(r'virXMLProp\w*\(\s*[\w>.\[\]-]+,\s*"(\w+)",[^;]*?VIR_XML_PROP_REQUIRED', re.S)


def c_required(src: Path) -> frozenset[str]:
    """Attribute names some ``virXMLProp*`` call in libvirt's ``src/conf`` reads with
    ``VIR_XML_PROP_REQUIRED`` (missing -> "Missing required attribute")."""
    names: set[str] = set()
    for path in sorted((src / "src" / "conf").glob("*.c")):
        names.update(_PROP_REQUIRED.findall(path.read_text(errors="replace")))
    return frozenset(names)


def c_bases(src: Path) -> dict[str, int]:
    """Attribute name -> the one base libvirt's number readers (``virXMLProp*Int`` with its base
    argument, ``virXPath*Int`` always 10) use for it across ``src/conf/*.c``; names read with
    different bases in different places are left out."""
    seen: dict[str, set[int]] = defaultdict(set)
    for path in sorted((src / "src" / "conf").glob("*.c")):
        code = path.read_text(errors="replace")
        for name, base in _PROP_BASE.findall(code):
            seen[name].add(int(base))
        for name in _XPATH_NUMBER.findall(code):
            seen[name].add(10)
    return {name: bases.pop() for name, bases in seen.items() if len(bases) == 1}


def is_bitmap(attr: etree._Element) -> bool:
    """An attribute typed as libvirt's ``cpuset`` (a CPU or node set such as ``0-3,^2``)."""
    kids = [c for c in attr if isinstance(c.tag, str) and c.tag != f"{RNG}documentation"]
    return len(kids) == 1 and kids[0].tag == f"{RNG}ref" and kids[0].get("name") == "cpuset"


def walk(
    grammar: Grammar, bases: dict[str, int], c_musts: frozenset[str] = frozenset()
) -> tuple[Table, Numbers, Bitmaps, frozenset[str], dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Path -> (attribute names, child names), ``*`` among child names meaning anything goes
    below; path -> (integer attributes, whether the text is an integer); and path -> the child
    names every definition of the element allows at most once."""
    defs: dict[str, set[int]] = defaultdict(set)
    pending: list[tuple[str, etree._Element]] = []
    for start in grammar.start:
        _, elements, _ = grammar.content(start)
        for el in elements:
            for name in element_names(el):
                pending.append((name, el))
    table: dict[str, tuple[set[str], set[str]]] = {}
    int_attrs: dict[str, dict[str, set[tuple[bool, bool]]]] = defaultdict(lambda: defaultdict(set))
    int_text: dict[str, set[bool]] = defaultdict(set)
    sets: dict[str, dict[str, set[bool]]] = defaultdict(lambda: defaultdict(set))
    texts: set[str] = set()
    required: dict[str, list[frozenset[str]]] = defaultdict(list)
    once_votes: dict[str, dict[str, set[bool]]] = defaultdict(lambda: defaultdict(set))
    while pending:
        key, el = pending.pop()
        if id(el) in defs[key]:
            continue
        defs[key].add(id(el))
        attrs, children, any_attr = grammar.content(el)
        known = table.setdefault(key, (set(), set()))
        known[0].update(attrs)
        if any_attr:
            known[0].add(ANY)
        for attr in grammar.attributes(el):
            if attr.get("name"):
                int_attrs[key][attr.get("name", "")].add(grammar.numeric(attr))
                sets[key][attr.get("name", "")].add(is_bitmap(attr))
        int_text[key].add(not children and grammar.numeric(el)[0])
        if grammar.has_text(el):
            texts.add(key)
        required[key].append(grammar.required(el))
        for name, count in grammar.counts(el).items():
            once_votes[key][name].add(count == 1)
        for child in children:
            if namespaced(child):
                continue
            names = element_names(child)
            if not names:
                known[1].add(ANY)
                continue
            for name in names:
                known[1].add(name)
                child_key = element_key(key, name)
                if child_key.count("/") < MAX_DEPTH:
                    pending.append((child_key, child))
    numbers: Numbers = {}
    for key in table:
        ints = frozenset(name for name, votes in int_attrs[key].items() if all(v[0] for v in votes))
        base0 = frozenset(
            name for name in ints if bases.get(name, 0 if any(v[1] for v in int_attrs[key][name]) else 10) == 0
        )
        base0 = frozenset(name for name in ints if BASE_AT.get(f"{key}@{name}", 0 if name in base0 else 10) == 0)
        ints |= {n.partition("@")[2] for n in EXTRA_NUMBERS if n.partition("@")[0] == key}
        text = int_text[key] == {True} and key not in OWN_TEXT_READERS
        if ints or text:
            numbers[key] = (ints, text, base0)
    bitmaps: Bitmaps = {}
    for key, votes_by_name in sets.items():
        found = frozenset(name for name, votes in votes_by_name.items() if votes == {True})
        if found:
            bitmaps[key] = found
    musts = {
        key: frozenset(
            n for n in frozenset.intersection(*sets) & c_musts if f"{key.rsplit('/', 1)[-1]}@{n}" not in NOT_REQUIRED
        )
        for key, sets in required.items()
        if sets
    }
    musts = {key: names for key, names in musts.items() if names}
    tables = {k: (frozenset(a), frozenset(c)) for k, (a, c) in table.items()}
    once = {key: frozenset(n for n, votes in once_votes[key].items() if votes == {True}) for key in table}
    return tables, numbers, bitmaps, frozenset(texts), musts, {key: names for key, names in once.items() if names}


def attribute_order(grammar: Grammar) -> dict[str, list[str]]:
    """Path -> attribute names in the order the schema first lists them (``<ref>``s followed in
    place): the fallback order for attributes libvirt's dumps never show (gen_order.py)."""
    order: dict[str, list[str]] = {}
    seen_defs: set[tuple[str, int]] = set()

    def attrs_in_order(node: etree._Element, refs: frozenset[str]) -> list[str]:
        out: list[str] = []
        for item in node:
            tag = item.tag
            if not isinstance(tag, str) or tag == f"{RNG}element":
                continue
            if tag == f"{RNG}attribute":
                if item.get("name"):
                    out.append(item.get("name", ""))
            elif tag == f"{RNG}ref":
                ref = item.get("name", "")
                if ref not in refs:
                    for define in grammar.defines.get(ref, ()):
                        out += attrs_in_order(define, refs | {ref})
            else:
                out += attrs_in_order(item, refs)
        return out

    pending: list[tuple[str, etree._Element]] = []
    for start in grammar.start:
        pending += [(name, el) for el in grammar.content(start)[1] for name in element_names(el)]
    while pending:
        key, el = pending.pop(0)
        if (key, id(el)) in seen_defs:
            continue
        seen_defs.add((key, id(el)))
        names = order.setdefault(key, [])
        names += [n for n in attrs_in_order(el, frozenset()) if n not in names]
        for child in grammar.content(el)[1]:
            if namespaced(child):
                continue
            for name in element_names(child):
                child_key = element_key(key, name)
                if child_key.count("/") < MAX_DEPTH:
                    pending.append((child_key, child))
    return order


def with_alias(table: dict[str, tuple[frozenset[str], frozenset[str]]], once: dict[str, frozenset[str]]) -> None:
    """Every device that reads an ``<address>`` reads an ``<alias>`` too: both come from
    virDomainDeviceInfoParseXML, though the schema omits the alias of some (a smartcard's);
    it reads the first ``<alias>`` only."""
    for key, (attrs, children) in table.items():
        if key.count("/") == 2 and key.startswith("domain/devices/") and "address" in children:
            table[key] = (attrs, children | {"alias"})
            once[key] = once.get(key, frozenset()) | {"alias"}


def _names(names: frozenset[str]) -> str:
    return f"frozenset({tuple(sorted(names))!r})"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    bases = c_bases(Path(argv[1]))
    c_musts = c_required(Path(argv[1]))
    lines = [
        '"""What libvirt\'s parsers read, per element path (keys of :mod:`pyvirt.xml.canonical`).',
        "",
        "Generated by tests/xml/gen_known.py from libvirt 9.0.0's RelaxNG schemas; do not edit.",
        "KNOWN: path -> (attribute names, child element names), ``*`` meaning any name is read.",
        "NUMBERS: path -> (attributes read as integers, whether the text is read as an integer,",
        "         the attributes among them read in base 0, where a leading 0 means octal).",
        "BITMAPS: path -> attributes read as CPU/node sets (printed in libvirt's compact form).",
        "TEXT: the paths whose element holds text.",
        "REQUIRED: path -> attributes every definition of the element requires.",
        "ONCE: path -> child element names every definition of the element allows at most once.",
        '"""',
        "",
    ]
    known: list[str] = ["KNOWN: dict[str, dict[str, tuple[frozenset[str], frozenset[str]]]] = {"]
    numbers: list[str] = ["NUMBERS: dict[str, dict[str, tuple[frozenset[str], bool, frozenset[str]]]] = {"]
    bitmaps: list[str] = ["BITMAPS: dict[str, dict[str, frozenset[str]]] = {"]
    text_paths: list[str] = ["TEXT: dict[str, frozenset[str]] = {"]
    required_lines: list[str] = ["REQUIRED: dict[str, dict[str, frozenset[str]]] = {"]
    once_lines: list[str] = ["ONCE: dict[str, dict[str, frozenset[str]]] = {"]
    total = 0
    for kind, top in TOPS.items():
        table, ints, sets, texts, musts, once = walk(Grammar(top), bases, c_musts)
        with_alias(table, once)
        once_lines.append(f"    {kind!r}: {{")
        once_lines += [f"        {key!r}: {_names(once[key])}," for key in sorted(once)]
        once_lines.append("    },")
        required_lines.append(f"    {kind!r}: {{")
        required_lines += [f"        {key!r}: {_names(musts[key])}," for key in sorted(musts)]
        required_lines.append("    },")
        text_paths.append(f"    {kind!r}: frozenset({tuple(sorted(texts))!r}),")
        total += len(table)
        known.append(f"    {kind!r}: {{")
        for key in sorted(table):
            attrs, children = table[key]
            known.append(
                f"        {key!r}: (frozenset({tuple(sorted(attrs))!r}), frozenset({tuple(sorted(children))!r})),"
            )
        known.append("    },")
        numbers.append(f"    {kind!r}: {{")
        for key in sorted(ints):
            names, text, base0 = ints[key]
            row = f"({_names(names)}, {text!r}, {_names(base0)})"
            numbers.append(f"        {key!r}: {row},")
        numbers.append("    },")
        bitmaps.append(f"    {kind!r}: {{")
        bitmaps += [f"        {key!r}: {_names(sets[key])}," for key in sorted(sets)]
        bitmaps.append("    },")
    OUT.write_text(
        "\n".join(
            [
                *lines,
                *known,
                "}",
                "",
                *numbers,
                "}",
                "",
                *bitmaps,
                "}",
                "",
                *text_paths,
                "}",
                "",
                *required_lines,
                "}",
                "",
                *once_lines,
                "}",
            ]
        )
        + "\n"
    )
    print(f"wrote {OUT}: {total} element paths")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
