"""Drop what libvirt's parsers do not read, one rule for every document kind.

libvirt never echoes a document: its parsers fill a C model and ignore every element and
attribute the model has no field for, so a dump shows only what the model holds.  pyvirt keeps
the parsed tree instead of a model, so it applies the same filter once, right after parsing:
an element or attribute whose name the schema does not allow at that path is removed, before
checks and defaults see the tree.

The table (:mod:`pyvirt.xml._known`) is generated from libvirt's RelaxNG schemas, which
describe its model, by ``tests/xml/gen_known.py``.  It is permissive where it cannot be exact:
names are merged over every definition of an element at a path (a ``<source>`` of any disk type
allows every disk source attribute), a path the table does not hold keeps its whole content, and
namespaced content is left to the namespace rule of the models (``namespaces=``).

A few elements are read the other way round: libvirt walks *every* child and looks its name up
in an enum, so an unknown child is an error instead of being ignored (``<features>`` and its
``hyperv``, ``kvm``, ``xen`` and ``capabilities`` lists, domain_conf.c's
``virDomainFeatures*DefParse``; a volume's ``<target><features>``, storage_conf.c).
:data:`CLOSED` lists those with libvirt's message.

Integers are read into C numbers and printed back in decimal, so the way a document writes
one (``08``, ``+8``, `` 8``) never shows in a dump: the same walk rewrites every value the
schema types as an integer (``NUMBERS``) the way libvirt's ``strtol``-style readers take it
(leading blanks, a sign, decimal digits; a leading ``0`` is octal where libvirt reads the
attribute in base 0).  A value they would not take is left for the checks.  CPU and node sets
(``BITMAPS``) are likewise printed in libvirt's compact form (``1,2,3`` is ``1-3``).
"""

from __future__ import annotations

import re

from lxml import etree

from pyvirt.errors import ErrorCode, XMLError
from pyvirt.xml._known import BITMAPS, KNOWN, NUMBERS, TEXT
from pyvirt.xml.parser import line_of

_ANY = "*"
_TABLES = {"domain": "domain", "network": "network", "pool": "pool", "volume": "volume"}
_KEYS: dict[tuple[str, str], str] = {}

CLOSED: dict[str, str] = {
    "domain/features": "unexpected feature '{}'",
    "domain/features/hyperv": "unsupported HyperV Enlightenment feature: {}",
    "domain/features/kvm": "unsupported KVM feature: {}",
    "domain/features/xen": "unsupported Xen feature: {}",
    "domain/features/capabilities": "unexpected capability feature '{}'",
    "volume/target/features": "unsupported feature {}",
    "domain/features/hyperv/stimer": "unsupported Hyper-V stimer feature: {}",
}
"""Paths whose every child libvirt looks up by name, refusing unknown ones (any namespace:
the lookup uses the local name)."""

_CLOSED_WHEN_ON = frozenset(("domain/features/hyperv/stimer",))
"""Closed only when the element's ``state`` is ``on`` (libvirt reads the children only then)."""


def _child_key(key: str, tag: str) -> str:
    found = _KEYS.get((key, tag))
    if found is None:
        found = key if key.rsplit("/", 1)[-1] == tag else f"{key}/{tag}"
        _KEYS[(key, tag)] = found
    return found


_Table = dict[str, tuple[frozenset[str], frozenset[str]]]
_Numbers = dict[str, tuple[frozenset[str], bool, frozenset[str]]]


def drop_unknown(root: etree._Element) -> None:
    """Remove from ``root``'s tree what libvirt's parser for its kind would not read, and
    write its integers as libvirt prints them."""
    tag = root.tag
    if not isinstance(tag, str) or tag not in _TABLES:
        return
    kind = _TABLES[tag]
    _filter(root, tag, KNOWN[kind], NUMBERS[kind], BITMAPS[kind], TEXT[kind])
    for metadata in root.iterchildren("metadata"):
        _sanitize_metadata(metadata)


def _sanitize_metadata(metadata: etree._Element) -> None:
    """virXMLNodeSanitizeNamespaces: ``<metadata>`` keeps only namespaced children, the first
    one of each namespace URI."""
    seen: set[str] = set()
    for child in list(metadata):
        tag = child.tag
        uri = tag[1 : tag.index("}")] if isinstance(tag, str) and tag[:1] == "{" else ""
        if not uri or uri in seen:
            metadata.remove(child)
        else:
            seen.add(uri)


def decimal(value: str, *, base0: bool = False) -> str | None:
    """``value`` as libvirt prints the integer its ``strtol``-style readers take from it (in
    base 10, or base 0 where a leading ``0`` means octal), or None; hexadecimal is left alone."""
    text = value.lstrip(" \t\n\r\f\v")
    sign = ""
    if text[:1] in ("+", "-"):
        sign, text = text[0], text[1:]
    if not text.isdigit() or not text.isascii():
        return None
    if base0 and len(text) > 1 and text[0] == "0":
        if "8" in text or "9" in text:
            return None
        number = int(text, 8)
    else:
        number = int(text)
    return f"-{number}" if sign == "-" and number else str(number)


_BAD_OCTAL = re.compile(r"^\s*[+-]?0[0-7]*[89]")
"""A base-0 number whose leading ``0`` makes it octal but which has an 8 or 9: strtol stops
there, so libvirt's reader refuses it."""


def _plain(value: str) -> bool:
    """Already in printed form: the common case, checked without parsing."""
    return value.isdigit() and (value[0] != "0" or len(value) == 1)


_SETS: dict[str, str | None] = {}
"""Memo: a written CPU/node set -> libvirt's compact form (None: it does not parse)."""


def compact_set(value: str) -> str | None:
    """A CPU/node set as ``virBitmapFormat`` prints it (``1,2,3`` -> ``1-3``), or None."""
    found = _SETS.get(value, "")
    if found != "":
        return found
    from pyvirt.xml.defaults import format_bitmap, parse_bitmap

    try:
        found = format_bitmap(parse_bitmap(value, what="", line=None))
    except XMLError:
        found = None
    if len(_SETS) > 10_000:
        _SETS.clear()
    _SETS[value] = found
    return found


def _filter(
    el: etree._Element,
    key: str,
    table: _Table,
    numbers: _Numbers,
    bitmaps: dict[str, frozenset[str]],
    texts: frozenset[str],
) -> None:
    known = table.get(key)
    if known is None:
        return  # a path the schema walk did not reach: keep everything
    attrs, children = known
    if not children and len(el):
        # An element without child elements in libvirt's model keeps none; if it holds text,
        # libvirt reads its string value, the text of every descendant.
        el.text = "".join(str(t) for t in el.itertext()) if key in texts else None
        for child in list(el):
            el.remove(child)
    sets = bitmaps.get(key)
    if sets is not None:
        for name in sets:
            value = el.get(name)
            if value is not None and not _plain(value):
                fixed = compact_set(value)
                if fixed is None:
                    raise XMLError(
                        f"invalid argument: Failed to parse bitmap '{value}'",
                        line=line_of(el),
                        code=ErrorCode.INVALID_ARG,
                    )
                if fixed:
                    el.set(name, fixed)
    ints = numbers.get(key)
    if ints is not None:
        for name in ints[0]:
            value = el.get(name)
            if value is not None and not _plain(value):
                base0 = name in ints[2]
                fixed = decimal(value, base0=base0)
                if fixed is not None:
                    el.set(name, fixed)
                elif base0 and _BAD_OCTAL.match(value):
                    raise XMLError(
                        f"XML error: Invalid value for attribute '{name}' in element '{el.tag}': '{value}'."
                        " Expected integer value",
                        line=line_of(el),
                    )
        text = el.text
        if ints[1] and text is not None and not _plain(text):
            fixed = decimal(text)
            if fixed is not None:
                el.text = fixed
    if _ANY not in attrs:
        for attr in el.keys():
            if attr not in attrs and str(attr)[0] != "{":
                del el.attrib[attr]
    open_content = _ANY in children
    closed = CLOSED.get(key)
    if key in _CLOSED_WHEN_ON and el.get("state") != "on":
        closed = None
    for child in list(el):
        ctag = child.tag
        if ctag.__class__ is not str:
            continue
        if closed is not None and etree.QName(child).localname not in children:
            line = line_of(child)
            suffix = f" (line {line})" if line is not None else ""
            raise XMLError(
                "unsupported configuration: " + closed.format(etree.QName(child).localname) + suffix,
                line=line,
                code=ErrorCode.CONFIG_UNSUPPORTED,
            )
        if ctag[0] == "{":
            continue  # namespaced: the model's namespace rule decides
        if ctag in children:
            _filter(child, _child_key(key, ctag), table, numbers, bitmaps, texts)
        elif not open_content:
            el.remove(child)
