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
from typing import NamedTuple

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


class _Plan(NamedTuple):
    """Everything the walk needs for one element path, looked up once per element."""

    attrs: frozenset[str] | None  # None: any attribute is read
    kids: dict[str, str] | None  # child tag -> child path; None: any child is kept
    text: bool  # the element holds text
    text_int: bool  # ... and the text is an integer
    special: dict[str, int]  # attribute -> _INT10 / _INT0 / _SET / _ENUM
    enums: dict[str, frozenset[str]]  # attribute -> the values libvirt's enum knows
    closed: str | None  # message when an unknown child is refused (CLOSED)
    required: frozenset[str]  # attributes the element must carry


def _child_path(key: str, tag: str) -> str:
    """As :func:`pyvirt.xml.canonical._child_key`: a child named like its parent shares its key."""
    return key if key.rsplit("/", 1)[-1] == tag else f"{key}/{tag}"


def _plans(kind: str) -> dict[str, _Plan]:
    table, numbers, bitmaps, texts = KNOWN[kind], NUMBERS[kind], BITMAPS[kind], TEXT[kind]
    enums_by_tag: dict[str, dict[str, frozenset[str]]] = {}
    for (tag, attr), values in ENUMS.items():
        enums_by_tag.setdefault(tag, {})[attr] = values
    plans: dict[str, _Plan] = {}
    for key, (attrs, children) in table.items():
        ints, text_int, base0 = numbers.get(key, (frozenset(), False, frozenset()))
        special = {name: _INT0 if name in base0 else _INT10 for name in ints}
        special.update(dict.fromkeys(bitmaps.get(key, ()), _SET))
        enums = enums_by_tag.get(key.rsplit("/", 1)[-1], {}) if kind == "domain" else {}
        special.update(dict.fromkeys(enums, _ENUM))
        plans[key] = _Plan(
            attrs=None if _ANY in attrs else attrs,
            kids=None if _ANY in children else {tag: _child_path(key, tag) for tag in children},
            text=key in texts,
            text_int=text_int,
            special=special,
            enums=enums,
            closed=CLOSED.get(key),
            required=REQUIRED[kind].get(key, frozenset()),
        )
    return plans


_PLANS: dict[str, dict[str, _Plan]] = {}
_AttrWork = tuple[tuple[str, ...], tuple[tuple[str, int], ...], str | None]
_ATTR_MEMO: dict[tuple[str, tuple[object, ...]], _AttrWork] = {}
"""Memo: (path, attribute names) -> (names to drop, special names present, first missing
required name).  Documents repeat the same few shapes, so each is worked out once."""


def drop_unknown(root: etree._Element) -> None:
    """Remove from ``root``'s tree what libvirt's parser for its kind would not read, and
    write its integers and CPU sets as libvirt prints them."""
    tag = root.tag
    if not isinstance(tag, str) or tag not in _TABLES:
        return
    kind = _TABLES[tag]
    plans = _PLANS.get(kind)
    if plans is None:
        plans = _PLANS[kind] = _plans(kind)
    _filter(root, tag, plans)
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


def _attr_work(plan: _Plan, sig: tuple[str, tuple[object, ...]]) -> _AttrWork:
    """What an element at ``sig[0]`` with attributes ``sig[1]`` needs done (memoised)."""
    names = sig[1]
    attrs = plan.attrs
    drop = tuple(str(n) for n in names if attrs is not None and n not in attrs and str(n)[0] != "{")
    special = tuple((str(n), plan.special[str(n)]) for n in names if n in plan.special)
    missing = sorted(plan.required.difference(str(n) for n in names))
    found = (drop, special, missing[0] if missing else None)
    if len(_ATTR_MEMO) > 50_000:
        _ATTR_MEMO.clear()
    _ATTR_MEMO[sig] = found
    return found


def _filter(el: etree._Element, key: str, plans: dict[str, _Plan]) -> None:
    # Hot path of every parse: one plan lookup and one memo lookup per element; the checks a
    # plan can never need are skipped without touching the element.
    plan = plans.get(key)
    if plan is None:
        return  # a path the schema walk did not reach: keep everything
    kids = plan.kids
    count = len(el)
    if count and kids is not None and not kids:
        # An element without child elements in libvirt's model keeps none; if it holds text,
        # libvirt reads its string value, the text of every descendant.
        el.text = ("".join(str(t) for t in el.itertext()) or None) if plan.text else None
        for child in list(el):
            el.remove(child)
        count = 0
    sig = (key, tuple(el.keys()))
    found = _ATTR_MEMO.get(sig)
    if found is None:
        found = _attr_work(plan, sig)
    drop, special, missing = found
    if missing is not None:
        raise XMLError(f"XML error: Missing required attribute '{missing}' in element '{el.tag}'", line=line_of(el))
    if drop:
        attrib = el.attrib
        for name in drop:
            del attrib[name]
    for name, how in special:
        value = el.get(name)
        if value is None:
            continue
        if how == _ENUM:
            if value not in plan.enums[name]:
                # virXMLPropEnum refuses a value its enum does not know
                raise XMLError(
                    f"XML error: Invalid value for attribute '{name}' in element '{el.tag}': '{value}'.",
                    line=line_of(el),
                )
        elif not _plain(value):
            _special(el, name, value, how)
    if plan.text_int:
        text = el.text
        if text is not None and not _plain(text):
            fixed = decimal(text)
            if fixed is not None:
                el.text = fixed
    if not count or kids is None:
        return  # no children, or any child is kept as it is
    closed = plan.closed
    if closed is not None and (key not in _CLOSED_WHEN_ON or el.get("state") == "on"):
        _filter_closed(el, kids, closed, plans)
        return
    dropped = None
    for child in el:
        ctag = child.tag
        if ctag.__class__ is not str:
            continue
        child_key = kids.get(ctag)
        if child_key is not None:
            _filter(child, child_key, plans)
        elif ctag[0] != "{":
            # namespaced ones are left to the model's namespace rule
            if dropped is None:
                dropped = [child]
            else:
                dropped.append(child)
    if dropped is not None:
        for child in dropped:
            el.remove(child)


def _filter_closed(el: etree._Element, kids: dict[str, str], closed: str, plans: dict[str, _Plan]) -> None:
    """The children of a :data:`CLOSED` element: one its lookup does not know (in any
    namespace) is an error, met in document order with the errors of the known ones' content."""
    for child in el:
        if child.tag.__class__ is not str:
            continue
        name = etree.QName(child).localname
        if name not in kids:
            line = line_of(child)
            suffix = f" (line {line})" if line is not None else ""
            raise XMLError(
                "unsupported configuration: " + closed.format(name) + suffix,
                line=line,
                code=ErrorCode.CONFIG_UNSUPPORTED,
            )
        child_key = kids.get(str(child.tag))
        if child_key is not None:
            _filter(child, child_key, plans)


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
