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
``virDomainFeatures*DefParse``).  :data:`CLOSED` lists those with libvirt's message.
"""

from __future__ import annotations

from lxml import etree

from pyvirt.errors import ErrorCode, XMLError
from pyvirt.xml._known import KNOWN
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
}
"""Paths whose every child libvirt looks up by name, refusing unknown ones (any namespace:
the lookup uses the local name)."""


def _child_key(key: str, tag: str) -> str:
    found = _KEYS.get((key, tag))
    if found is None:
        found = key if key.rsplit("/", 1)[-1] == tag else f"{key}/{tag}"
        _KEYS[(key, tag)] = found
    return found


def drop_unknown(root: etree._Element) -> None:
    """Remove from ``root``'s tree what libvirt's parser for its kind would not read."""
    tag = root.tag
    if not isinstance(tag, str) or tag not in _TABLES:
        return
    _filter(root, tag, KNOWN[_TABLES[tag]])


def _filter(el: etree._Element, key: str, table: dict[str, tuple[frozenset[str], frozenset[str]]]) -> None:
    known = table.get(key)
    if known is None:
        return  # a path the schema walk did not reach: keep everything
    attrs, children = known
    if _ANY not in attrs:
        for name in el.keys():
            if name not in attrs and name[0] != "{":
                del el.attrib[name]
    open_content = _ANY in children
    closed = CLOSED.get(key)
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
            _filter(child, _child_key(key, ctag), table)
        elif not open_content:
            el.remove(child)
