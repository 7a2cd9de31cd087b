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

Where libvirt's parser reads more than its schema lists (found by running libvirt's whole test
data through the rule, ``tests/data/libvirt-xml``), :data:`EXTRA` adds it, with why.

    .venv/bin/python tests/xml/gen_known.py
"""

from __future__ import annotations

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

EXTRA: dict[str, tuple[str, ...]] = {}
"""Path -> names (``@attr`` or ``child``) libvirt's parser reads although the schema lacks them."""

ANY = "*"


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


def walk(grammar: Grammar) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """Path -> (attribute names, child names); ``*`` among child names: anything goes below."""
    defs: dict[str, set[int]] = defaultdict(set)
    nodes: dict[int, etree._Element] = {}
    pending: list[tuple[str, etree._Element]] = []
    for start in grammar.start:
        _, elements, _ = grammar.content(start)
        for el in elements:
            for name in element_names(el):
                pending.append((name, el))
    table: dict[str, tuple[set[str], set[str]]] = {}
    while pending:
        key, el = pending.pop()
        if id(el) in defs[key]:
            continue
        defs[key].add(id(el))
        nodes[id(el)] = el
        attrs, children, any_attr = grammar.content(el)
        known = table.setdefault(key, (set(), set()))
        known[0].update(attrs)
        if any_attr:
            known[0].add(ANY)
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
    for key, names in EXTRA.items():
        known = table.setdefault(key, (set(), set()))
        for name in names:
            known[0 if name.startswith("@") else 1].add(name.lstrip("@"))
    return {k: (frozenset(a), frozenset(c)) for k, (a, c) in table.items()}


def main() -> None:
    lines = [
        '"""What libvirt\'s parsers read: element path -> (attribute names, child element names).',
        "",
        "Generated by tests/xml/gen_known.py from libvirt 9.0.0's RelaxNG schemas; do not edit.",
        "Paths use :mod:`pyvirt.xml.canonical`'s keys; ``*`` means any name is read.",
        '"""',
        "",
        "KNOWN: dict[str, dict[str, tuple[frozenset[str], frozenset[str]]]] = {",
    ]
    total = 0
    for kind, top in TOPS.items():
        table = walk(Grammar(top))
        total += len(table)
        lines.append(f"    {kind!r}: {{")
        for key in sorted(table):
            attrs, children = table[key]
            lines.append(f"        {key!r}: (frozenset({tuple(sorted(attrs))!r}), frozenset({tuple(sorted(children))!r})),")
        lines.append("    },")
    lines.append("}")
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT}: {total} element paths")


if __name__ == "__main__":
    main()
