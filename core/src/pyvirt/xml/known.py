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
(``BITMAPS``) are likewise printed in libvirt's compact form (``1,2,3`` is ``1-3``), and a
domain's enumerated attributes (:mod:`._enums`) are checked in the same walk.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import cast

from lxml import etree

from pyvirt.errors import ErrorCode, XMLError
from pyvirt.xml._enums import ENUMS
from pyvirt.xml._known import BITMAPS, KNOWN, NUMBERS, REQUIRED, TEXT
from pyvirt.xml.parser import line_of

_ANY = "*"
_TABLES = {"domain": "domain", "network": "network", "pool": "pool", "volume": "volume"}
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


_INT10, _INT0, _SET, _ENUM = 0, 1, 2, 3
"""How a special attribute is read: decimal integer, base-0 integer, CPU/node set, enum."""


_Check = tuple[int, str, int, frozenset[str] | None]
"""One special attribute an element carries: its index among the element's attributes, its
name, how it is read, and for an enum the values libvirt's enum knows."""

_Work = tuple[tuple[str, ...], tuple[_Check, ...], str | None]
"""What an element with given attribute names needs: names to drop, special attributes to
check, the first missing required attribute."""


class _Path:
    """Everything the walk needs for one element path, reached from its parent's ``kids``."""

    __slots__ = (
        "attrs",
        "bare",
        "closed",
        "enums",
        "key",
        "kids",
        "leaf",
        "memo",
        "read",
        "required",
        "special",
        "text",
        "text_int",
    )

    def __init__(self, key: str) -> None:
        self.key = key
        self.read = False  # False: a path the schema walk did not reach, kept whole
        self.attrs: frozenset[str] | None = None  # None: any attribute is read
        self.kids: dict[str, _Path] | None = None  # child tag -> its path; None: any child is kept
        self.leaf = False  # libvirt's model has no child element here
        self.text = False  # the element holds text
        self.text_int = False  # ... and the text is an integer
        self.special: dict[str, int] = {}  # attribute -> _INT10 / _INT0 / _SET / _ENUM
        self.enums: dict[str, frozenset[str]] = {}  # attribute -> the values libvirt's enum knows
        self.closed: str | None = None  # message when an unknown child is refused (CLOSED)
        self.required: frozenset[str] = frozenset()  # attributes the element must carry
        self.memo: dict[tuple[str, ...], _Work] = {}
        """Attribute names -> their work: documents repeat the same few shapes, so each is
        worked out once and an element costs one lookup."""
        self.bare: _Work = ((), (), None)  # the work of an element without attributes

    def work(self, names: tuple[str, ...]) -> _Work:
        """What an element here with attributes ``names`` needs done (memoised)."""
        attrs, special, enums = self.attrs, self.special, self.enums
        drop = tuple(n for n in names if attrs is not None and n not in attrs and n[0] != "{")
        checks = tuple((i, n, special[n], enums.get(n)) for i, n in enumerate(names) if n in special and n not in drop)
        missing = sorted(self.required.difference(names))
        found = (drop, checks, missing[0] if missing else None)
        if len(self.memo) > 1000:
            self.memo.clear()
        self.memo[names] = found
        return found


def _child_path(key: str, tag: str) -> str:
    """As :func:`pyvirt.xml.canonical._child_key`: a child named like its parent shares its key."""
    return key if key.rsplit("/", 1)[-1] == tag else f"{key}/{tag}"


def _paths(kind: str) -> dict[str, _Path]:
    table, numbers, bitmaps, texts = KNOWN[kind], NUMBERS[kind], BITMAPS[kind], TEXT[kind]
    enums_by_tag: dict[str, dict[str, frozenset[str]]] = {}
    for (tag, attr), values in ENUMS.items():
        enums_by_tag.setdefault(tag, {})[attr] = values
    paths: dict[str, _Path] = {}

    def path(key: str) -> _Path:
        found = paths.get(key)
        if found is None:
            found = paths[key] = _Path(key)
        return found

    for key, (attrs, children) in table.items():
        ints, text_int, base0 = numbers.get(key, (frozenset(), False, frozenset()))
        special = {name: _INT0 if name in base0 else _INT10 for name in ints}
        special.update(dict.fromkeys(bitmaps.get(key, ()), _SET))
        enums = enums_by_tag.get(key.rsplit("/", 1)[-1], {}) if kind == "domain" else {}
        special.update(dict.fromkeys(enums, _ENUM))
        here = path(key)
        here.read = True
        here.attrs = None if _ANY in attrs else attrs
        here.kids = None if _ANY in children else {tag: path(_child_path(key, tag)) for tag in children}
        here.leaf = here.kids == {}
        here.text = key in texts
        here.text_int = text_int
        here.special = special
        here.enums = enums
        here.closed = CLOSED.get(key)
        here.required = REQUIRED[kind].get(key, frozenset())
        here.bare = here.work(())
    return paths


_PATHS: dict[str, dict[str, _Path]] = {}
_keys = cast("Callable[[etree._Element], list[str]]", etree._Element.keys)
_values = cast("Callable[[etree._Element], list[str]]", etree._Element.values)
"""lxml's ``keys``/``values`` typed for str trees (a parsed document's names are str)."""


def drop_unknown(root: etree._Element) -> None:
    """Remove from ``root``'s tree what libvirt's parser for its kind would not read, and
    write its integers and CPU sets as libvirt prints them."""
    tag = root.tag
    if not isinstance(tag, str) or tag not in _TABLES:
        return
    kind = _TABLES[tag]
    paths = _PATHS.get(kind)
    if paths is None:
        paths = _PATHS[kind] = _paths(kind)
    # Hot path of every parse.  One flat pass in document order instead of a recursion: the
    # list keeps every element's proxy alive, so an element's parent is the same object and
    # costs no allocation, and a child is decided from the children's paths its parent left
    # in ``open_`` (children of a removed or unread element find none), with the CLOSED
    # message in ``closed_`` when an unknown child is an error.  Per element: one memo lookup
    # on its attribute names, then only the work that lookup says is needed.
    elements = list(root.iter())
    open_: dict[etree._Element, dict[str, _Path]] = {}
    closed_: dict[etree._Element, str] = {}  # those of them that are CLOSED
    for el in elements:
        parent = el.getparent()
        if parent is None:
            if el is not root:
                continue  # detached by the text rule below
            here = paths.get(tag)
            if here is None:
                continue
        else:
            kids = open_.get(parent)
            if kids is None:
                continue
            ctag = el.tag
            if ctag.__class__ is not str:
                continue
            found = kids.get(ctag)
            if found is None:
                closed = closed_.get(parent) if closed_ else None
                if closed is not None:
                    _refuse_unknown(el, ctag, kids, closed)
                elif ctag[0] != "{":  # namespaced ones are left to the model's namespace rule
                    parent.remove(el)
                continue
            here = found
        if not here.read:
            continue  # a path the schema walk did not reach: keep everything
        names = _keys(el)
        if names:
            work = here.memo.get(tuple(names))
            if work is None:
                work = here.work(tuple(names))
        else:
            work = here.bare
        drop, checks, missing = work
        if here.leaf and len(el):
            # An element without child elements in libvirt's model keeps none; if it holds
            # text, libvirt reads its string value, the text of every descendant.
            el.text = ("".join(str(t) for t in el.itertext()) or None) if here.text else None
            for child in list(el):
                el.remove(child)
        if missing is not None:
            raise XMLError(f"XML error: Missing required attribute '{missing}' in element '{el.tag}'", line=line_of(el))
        if checks:
            values = _values(el)
            for index, name, how, known in checks:
                value = values[index]
                if known is not None:
                    if value not in known:
                        # virXMLPropEnum refuses a value its enum does not know
                        raise XMLError(
                            f"XML error: Invalid value for attribute '{name}' in element '{el.tag}': '{value}'.",
                            line=line_of(el),
                        )
                elif not (value.isdigit() and (value[0] != "0" or len(value) == 1)):  # not _plain
                    _special(el, name, value, how)
        if drop:
            attrib = el.attrib
            for name in drop:
                del attrib[name]
        if here.text_int:
            text = el.text
            if text is not None and not _plain(text):
                fixed = decimal(text)
                if fixed is not None:
                    el.text = fixed
        if here.kids and len(el):
            open_[el] = here.kids
            closed = here.closed
            if closed is not None and (here.key not in _CLOSED_WHEN_ON or el.get("state") == "on"):
                closed_[el] = closed
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


def _refuse_unknown(child: etree._Element, tag: str, kids: dict[str, _Path], closed: str) -> None:
    """A child of a :data:`CLOSED` element its lookup does not know (in any namespace) is an
    error, met in document order with the errors of the known ones' content; a namespaced
    child with a known local name is kept as it is."""
    name = tag.rpartition("}")[2]
    if name not in kids:
        line = line_of(child)
        suffix = f" (line {line})" if line is not None else ""
        raise XMLError(
            "unsupported configuration: " + closed.format(name) + suffix,
            line=line,
            code=ErrorCode.CONFIG_UNSUPPORTED,
        )


def _special(el: etree._Element, name: str, value: str, how: int) -> None:
    """Rewrite (or refuse) one integer or CPU-set attribute not already in printed form."""
    if how == _SET:
        fixed = compact_set(value)
        if fixed is None:
            raise XMLError(
                f"invalid argument: Failed to parse bitmap '{value}'", line=line_of(el), code=ErrorCode.INVALID_ARG
            )
        if fixed:
            el.set(name, fixed)
        return
    fixed = decimal(value, base0=how == _INT0)
    if fixed is not None:
        el.set(name, fixed)
    elif how == _INT0 and _BAD_OCTAL.match(value):
        raise XMLError(
            f"XML error: Invalid value for attribute '{name}' in element '{el.tag}': '{value}'. Expected integer value",
            line=line_of(el),
        )
