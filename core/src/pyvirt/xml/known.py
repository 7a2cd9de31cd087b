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

A domain's walk also hands on what it met (:class:`Found`): the children of ``<domain>`` and
of ``<devices>`` by tag, and the device parts and sized elements that the checks and the
defaults look for wherever they sit.  Every element of a domain is visited here anyway, so
noting one costs a dictionary append, where each of those rules walking the tree again cost
about as much as a small document's whole walk.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import cast

from lxml import etree

from pyvirt.errors import ErrorCode, XMLError
from pyvirt.xml import scaled, twice
from pyvirt.xml._enums import ENUMS
from pyvirt.xml._known import BITMAPS, KNOWN, NUMBERS, ONCE, REQUIRED, TEXT
from pyvirt.xml.parser import children as _children
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

_Rare = tuple[tuple[str, ...], str | None, bool]
"""The uncommon part of an element's work: attribute names to drop, the first missing
required attribute, whether its text is an integer to normalise."""

_Work = tuple[tuple[_Check, ...], set[str], _Rare | None]
"""What an element with given attribute names needs: special attributes to check, the value
lists already checked here that needed nothing (a document repeats the same few, so each is
checked once), and the rest (None in the usual case, so that costs one test)."""


DEVICE_PARTS = frozenset(
    ("address", "alias", "boot", "seclabel", "auth", "secret", "source", "driver", "vlan", "backend")
)
"""Elements below ``<devices>`` that the checks (``_DeviceWalk``) and the defaults (device
addresses, aliases, boot orders, security labels) look for at any depth."""

Groups = dict[str, list[etree._Element]]


class Found:
    """What a domain's walk met: :attr:`groups`, the children of ``<domain>`` and of its
    ``<devices>`` by tag (as :func:`pyvirt.xml.defaults.index` builds them), and :attr:`tags`,
    the :data:`DEVICE_PARTS` below ``<devices>`` and the elements :mod:`.scaled` rewrites, by
    tag in document order.  Only handed on when the walk saw the whole tree as it left it
    (:func:`drop_unknown`)."""

    __slots__ = ("groups", "tags", "whole")

    def __init__(self) -> None:
        self.groups: tuple[Groups, Groups] = ({}, {})
        self.tags: Groups = {}
        self.whole = True
        """False when the walk left a subtree with elements unvisited (kept extension content,
        an element whose content libvirt keeps whole) or merged or dropped copies of an
        element it had already noted (:mod:`.twice`): the rules then look for themselves."""


class _Path:
    """Everything the walk needs for one element path, reached from its parent's ``kids``.

    A path the schema walk did not reach keeps its whole content: any attribute, any child,
    nothing special, so it needs no flag of its own."""

    __slots__ = (
        "attrs",
        "closed",
        "enums",
        "gather",
        "group",
        "key",
        "kids",
        "memo",
        "metadata",
        "required",
        "single",
        "special",
        "text",
        "text_int",
    )

    def __init__(self, key: str) -> None:
        self.key = key
        self.attrs: frozenset[str] | None = None  # None: any attribute is read
        self.kids: dict[str, _Path] | None = None  # child tag -> its path; None: any child is kept
        # (an empty ``kids``: libvirt's model has no child element here)
        self.text = False  # the element holds text
        self.text_int = False  # ... and the text is an integer
        self.special: dict[str, int] = {}  # attribute -> _INT10 / _INT0 / _SET / _ENUM
        self.enums: dict[str, frozenset[str]] = {}  # attribute -> the values libvirt's enum knows
        self.closed: str | None = None  # message when an unknown child is refused (CLOSED)
        self.required: frozenset[str] = frozenset()  # attributes the element must carry
        self.single = 0  # the schema allows it once per parent: how libvirt reads a second (twice.py)
        self.metadata = False  # the root's <metadata> (:func:`_sanitize_metadata`)
        self.gather: str | None = None  # the Found.tags entry an element here goes to
        self.group = -1  # its children go to Found.groups[group] (<domain>: 0, <devices>: 1)
        self.memo: dict[str, _Work] = {}
        """Attribute names -> their work: documents repeat the same few shapes, so each is
        worked out once and an element costs one lookup."""

    def work(self, names: tuple[str, ...]) -> _Work:
        """What an element here with attributes ``names`` needs done (memoised)."""
        attrs, special, enums = self.attrs, self.special, self.enums
        drop = tuple(n for n in names if attrs is not None and n not in attrs and n[0] != "{")
        checks = tuple((i, n, special[n], enums.get(n)) for i, n in enumerate(names) if n in special and n not in drop)
        missing = sorted(self.required.difference(names))
        rare = (drop, missing[0] if missing else None, self.text_int)
        found: _Work = (checks, set(), rare if any(rare) else None)
        if len(self.memo) > 1000:
            self.memo.clear()
        self.memo[" ".join(names)] = found  # names hold no blank
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
        here.attrs = None if _ANY in attrs else attrs
        here.kids = None if _ANY in children else {tag: path(_child_path(key, tag)) for tag in children}
        here.text = key in texts
        here.text_int = text_int
        here.special = special
        here.enums = enums
        here.closed = CLOSED.get(key)
        here.required = REQUIRED[kind].get(key, frozenset())
        here.metadata = key == f"{kind}/metadata"
    _mark_single(kind, paths)
    if kind == "domain":
        _mark_found(paths)
    return paths


def _mark_found(paths: dict[str, _Path]) -> None:
    """Mark the paths whose elements a domain's walk notes in :class:`Found`."""
    paths["domain"].group = 0
    paths["domain/devices"].group = 1
    sized = [row[0].split("//") for row in scaled.ROWS]
    for key, here in paths.items():
        tag = key.rsplit("/", 1)[-1]
        if tag in DEVICE_PARTS and key.startswith("domain/devices/"):
            here.gather = tag
        for steps in sized:
            if (len(steps) == 1 and key == "domain/" + steps[0]) or (
                len(steps) == 2 and key.startswith(f"domain/{steps[0]}/") and key.endswith("/" + steps[1])
            ):
                here.gather = tag


def _mark_single(kind: str, paths: dict[str, _Path]) -> None:
    """Mark the paths whose element the schema allows at most once under every parent that
    reaches the path (``ONCE``) with how libvirt reads a second copy (:func:`twice.how`)."""
    once, votes, closed = ONCE[kind], dict[str, bool](), set[str]()
    for key, (_, children) in KNOWN[kind].items():
        allowed = once.get(key, frozenset())
        for tag in children:
            child = _child_path(key, tag)
            votes[child] = votes.get(child, True) and tag in allowed
            if key in CLOSED:
                closed.add(child)
    for key, single in votes.items():
        if single and key in paths:
            paths[key].single = twice.how(key, key in closed)


_PATHS: dict[str, dict[str, _Path]] = {}
_keys = cast("Callable[[etree._Element], list[str]]", etree._Element.keys)
_values = cast("Callable[[etree._Element], list[str]]", etree._Element.values)
"""lxml's ``keys``/``values`` typed for str trees (a parsed document's names are str)."""


def drop_unknown(root: etree._Element) -> Found | None:
    """Remove from ``root``'s tree what libvirt's parser for its kind would not read, and
    write its integers and CPU sets as libvirt prints them.  For a domain, return what the
    walk met (:class:`Found`), unless some of it may be out of date."""
    tag = root.tag
    if not isinstance(tag, str) or tag not in _TABLES:
        return None
    kind = _TABLES[tag]
    paths = _PATHS.get(kind)
    if paths is None:
        paths = _PATHS[kind] = _paths(kind)
    found = Found()  # only a domain's paths note anything in it
    _walk([root], root, {tag: paths[tag]}, None, found, None)
    return found if kind == "domain" and found.whole else None


def _walk(
    children: list[etree._Element],
    parent: etree._Element,
    kids: dict[str, _Path],
    closed: str | None,
    found: Found,
    group: Groups | None,
) -> None:
    """Visit ``children`` (of ``parent``, whose children's paths are ``kids``; ``closed`` is
    its CLOSED message) and, depth first, their descendants, in document order.  ``found``:
    where a domain's walk notes what it meets; ``group``: where the children kept go by tag.

    Hot path of every parse, so it is written for few bytecodes per element: the path comes
    down with the recursion, one memo lookup on the attribute names tells what an element
    needs, and only elements with children cost a call, which gets them in one slice (a
    list, so removing one of them on the way changes nothing in the loop; cheaper than
    iterating the element: medium domain walk 435k -> 416k instructions).  The root's
    ``<metadata>`` is sanitised on the way, not looked up again afterwards.  A second copy of
    an element the schema allows once is read as libvirt reads it (:mod:`.twice`): mostly
    dropped unread."""
    seen: dict[_Path, etree._Element] | None = None
    for el in children:
        tag = el.tag
        here = kids.get(tag)
        if here is None:
            if _unknown(el, parent, kids, closed):
                if group is not None:
                    group.setdefault(tag, []).append(el)
                if len(el):
                    found.whole = False
            continue
        if here.single:
            if seen is None:
                seen = {here: el}
            elif here in seen:
                found.whole = False
                again = twice.again(el, seen[here], here.single, here.key)
                if again is None:
                    continue
                el = seen[here] = again
            else:
                seen[here] = el
        names = _keys(el)
        work = here.memo.get(" ".join(names))
        if work is None:
            work = here.work(tuple(names))
        checks, clean, rare = work
        if rare is not None:
            _rare_work(el, here, checks, rare)
        elif checks:
            values = _values(el)
            key = "\0".join(values)  # NUL is no XML character
            if key not in clean and _check(el, values, checks):
                if len(clean) > 100:
                    clean.clear()
                clean.add(key)
        if group is not None:  # (inline: a call would cost more than the work)
            same = group.get(tag)
            if same is None:
                group[tag] = [el]
            else:
                same.append(el)
        gather = here.gather
        if gather is not None:
            same = found.tags.get(gather)
            if same is None:
                found.tags[gather] = [el]
            else:
                same.append(el)
        if len(el):
            sub = here.kids
            if sub:
                shut = here.closed
                if shut is not None and here.key in _CLOSED_WHEN_ON and el.get("state") != "on":
                    shut = None
                inner = found.groups[here.group] if here.group >= 0 else None
                _walk(_children(el), el, sub, shut, found, inner)
            elif sub is not None:
                _empty(el, here.text)
            elif here.metadata:
                _sanitize_metadata(el)
            else:
                found.whole = False


def _unknown(el: etree._Element, parent: etree._Element, kids: dict[str, _Path], closed: str | None) -> bool:
    """An element its parent's path does not know: removed, or refused under a CLOSED
    parent; namespaced ones are left to the model's namespace rule.  True when it stays."""
    tag = el.tag
    if tag.__class__ is not str:
        return False
    if closed is not None:
        _refuse_unknown(el, tag, kids, closed)
        return True
    if tag[0] != "{":
        parent.remove(el)
        return False
    return True


def _empty(el: etree._Element, text: bool) -> None:
    """An element without child elements in libvirt's model keeps none; if it holds text,
    libvirt reads its string value, the text of every descendant."""
    el.text = ("".join(str(t) for t in el.itertext()) or None) if text else None
    for child in list(el):
        el.remove(child)


def _rare_work(el: etree._Element, here: _Path, checks: tuple[_Check, ...], rare: _Rare) -> None:
    """The uncommon work of an element, in libvirt's order: a missing required attribute,
    the special attributes, attributes libvirt does not read, an integer text (read after
    the element lost the children its model has none of)."""
    drop, missing, text_int = rare
    if text_int and len(el):
        _empty(el, here.text)
    if missing is not None:
        raise XMLError(f"XML error: Missing required attribute '{missing}' in element '{el.tag}'", line=line_of(el))
    if checks:
        _check(el, _values(el), checks)
    if drop:
        attrib = el.attrib
        for name in drop:
            del attrib[name]
    if text_int:
        text = el.text
        if text is not None and not _plain(text):
            fixed = decimal(text)
            if fixed is not None:
                el.text = fixed


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


def _check(el: etree._Element, values: list[str], checks: tuple[_Check, ...]) -> bool:
    """Check (and rewrite) the special attributes of ``el``, whose values are ``values``;
    True when none needed a change."""
    clean = True
    for index, name, how, known in checks:
        value = values[index]
        if known is not None:
            if value not in known:
                # virXMLPropEnum refuses a value its enum does not know
                raise XMLError(
                    f"XML error: Invalid value for attribute '{name}' in element '{el.tag}': '{value}'.",
                    line=line_of(el),
                )
        elif not _plain(value) and _special(el, name, value, how):
            clean = False
    return clean


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


def _special(el: etree._Element, name: str, value: str, how: int) -> bool:
    """Rewrite (or refuse) one integer or CPU-set attribute not already in printed form;
    True when its value changed."""
    if how == _SET:
        fixed = compact_set(value)
        if fixed is None:
            raise XMLError(
                f"invalid argument: Failed to parse bitmap '{value}'", line=line_of(el), code=ErrorCode.INVALID_ARG
            )
    else:
        fixed = decimal(value, base0=how == _INT0)
        if fixed is None and how == _INT0 and _BAD_OCTAL.match(value):
            raise XMLError(
                f"XML error: Invalid value for attribute '{name}' in element '{el.tag}': '{value}'. "
                "Expected integer value",
                line=line_of(el),
            )
    if fixed and fixed != value:
        el.set(name, fixed)
        return True
    return False
