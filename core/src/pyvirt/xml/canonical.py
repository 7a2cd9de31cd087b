"""libvirt's canonical layout: element order, attribute order and the exact bytes.

libvirt never echoes a document: it formats its C model, so every output has a fixed element
and attribute order, 2-space indentation, single-quoted attributes and ``'``/``"`` escaped as
``&apos;``/``&quot;`` everywhere.  pyvirt keeps the parsed lxml tree instead of a full model
(anything the schema allows survives), so it gets the same bytes by sorting the tree into
libvirt's order (tables in :mod:`pyvirt.xml._order`, read off libvirt's own outputs) and
serialising with libxml2, fixing the quote style afterwards.

Elements the tables do not know keep their place after the known sibling they followed, so an
extension is never dropped or moved far.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import cast

from lxml import etree

from pyvirt.xml._order import ATTR_ORDER, CHILD_ORDER

_CHILD_RANK: dict[str, dict[str, int]] = {k: {t: i for i, t in enumerate(v)} for k, v in CHILD_ORDER.items()}
_ATTR_RANK: dict[str, dict[str, int]] = {k: {t: i for i, t in enumerate(v)} for k, v in ATTR_ORDER.items()}
_PLACEHOLDER = "\ue000"
_VARIANTS = {("interface", "hostdev")}
_VARIANT_TAGS = frozenset(tag for tag, _ in _VARIANTS)
"""Elements whose children libvirt orders by their ``type``: tables keyed ``PATH@TYPE``
(a hostdev interface prints its ``<driver>`` with the host device, before ``<source>``)."""


def canonicalize(root: etree._Element) -> None:
    """Sort ``root``'s subtree in place into libvirt's element and attribute order."""
    # Hot path of every first dump: an explicit stack instead of a recursion, one table node
    # per element path found from its parent's, memo lookups on attribute names and child
    # tags instead of logic, and no lxml call for what a node says cannot need sorting.
    tag = root.tag
    stack: list[tuple[etree._Element, _Node, list[str] | None]] = [
        (root, _node(tag if isinstance(tag, str) else ""), None)
    ]
    while stack:
        el, node, names = stack.pop()
        arank = node.arank
        if arank is not None:
            if names is None:
                names = _keys(el)
            if len(names) > 1:
                attr_sig = tuple(names)
                ok = node.attrs_ok.get(attr_sig)
                if ok is None:
                    ok = node.attrs_in_order(attr_sig)
                if not ok:
                    items = sorted(_items(el), key=lambda kv: arank.get(kv[0], 1000))
                    el.attrib.clear()
                    for name, value in items:
                        el.set(name, value)
        kids = node.kids
        tags: list[object] | None = [] if node.crank is not None else None  # to order
        for child in el:
            ctag = child.tag
            if tags is not None:
                tags.append(ctag)
            if ctag.__class__ is not str:
                continue
            found = kids.get(ctag, _ABSENT)
            if found is _ABSENT:
                found = node.child(ctag)
            if found is None:
                continue  # an extension namespace, or nothing below can need sorting
            child_names = None
            if not len(child):
                if found.arank is None:
                    continue
                child_names = _keys(child)
                if len(child_names) < 2:
                    continue
            if found.variants is not None:
                found = found.variants.get(child.get("type"), found)
            stack.append((child, found, child_names))
        if tags is not None and len(tags) > 1:
            sig = tuple(tags)
            orders = node.orders
            order = orders[sig] if sig in orders else node.child_order(sig)
            if order is not None:
                children = list(el)
                for child in children:
                    el.remove(child)
                for i in order:
                    el.append(children[i])


_keys = cast("Callable[[etree._Element], list[str]]", etree._Element.keys)
_items = cast("Callable[[etree._Element], list[tuple[str, str]]]", etree._Element.items)
"""lxml's ``keys``/``items`` typed for str trees."""


_MEMO_LIMIT = 2_000


class _Node:
    """One table key (an element path): its ranks, its children's nodes and its memos."""

    __slots__ = ("arank", "attrs_ok", "crank", "key", "kids", "orders", "sortable", "variants")

    def __init__(self, key: str) -> None:
        self.key = key
        self.sortable = key in _SORTABLE  # False: no table at or below it
        self.arank = _ATTR_RANK.get(key)
        self.crank = _CHILD_RANK.get(key)
        self.kids: dict[str, _Node | None] = {}  # child tag -> node (None: extension namespace)
        tag = key.rpartition("/")[2]
        self.variants: dict[str | None, _Node] | None = None
        if tag in _VARIANT_TAGS:
            self.variants = {kind: _node(f"{key}@{kind}") for t, kind in _VARIANTS if t == tag}
        self.attrs_ok: dict[tuple[str, ...], bool] = {}
        self.orders: dict[tuple[object, ...], list[int] | None] = {}
        """Memos: documents repeat the same shapes, so each (names) order is worked out once."""

    def child(self, tag: str) -> _Node | None:
        """The node of a child named ``tag`` (repeated names, as in nested backingStore,
        collapse into one key, and a variant's children have the plain path), or None when
        nothing at or below it can need sorting or it is an extension namespace."""
        found = None
        if tag[0] != "{":
            base = self.key.partition("@")[0]
            found = _node(base if base.rsplit("/", 1)[-1] == tag else base + "/" + tag)
            if not found.sortable:
                found = None
        if len(self.kids) < _MEMO_LIMIT:
            self.kids[tag] = found
        return found

    def attrs_in_order(self, names: tuple[str, ...]) -> bool:
        arank = self.arank
        ranks = [arank.get(n, 1000) for n in names] if arank is not None else []
        ok = ranks == sorted(ranks)
        if len(self.attrs_ok) > _MEMO_LIMIT:
            self.attrs_ok.clear()
        self.attrs_ok[names] = ok
        return ok

    def child_order(self, tags: tuple[object, ...]) -> list[int] | None:
        """The permutation that sorts children ``tags``, or None when already in order."""
        order = _child_order(self.key, tags)
        if len(self.orders) > _MEMO_LIMIT:
            self.orders.clear()
        self.orders[tags] = order
        return order


_NODES: dict[str, _Node] = {}


def _node(key: str) -> _Node:
    found = _NODES.get(key)
    if found is None:
        if len(_NODES) > 20_000:
            _NODES.clear()  # paths of unknown elements: keep the table bounded
        found = _NODES[key] = _Node(key)
    return found


def use_tables(child: dict[str, tuple[str, ...]], attrs: dict[str, tuple[str, ...]]) -> None:
    """Sort by other order tables from now on (``tests/xml/holdout.py`` measures with tables
    learned from part of the data); the memos built from the old ones are forgotten."""
    global _SORTABLE
    _CHILD_RANK.clear()
    _CHILD_RANK.update({k: {t: i for i, t in enumerate(v)} for k, v in child.items()})
    _ATTR_RANK.clear()
    _ATTR_RANK.update({k: {t: i for i, t in enumerate(v)} for k, v in attrs.items()})
    _SORTABLE = _prefixes((*child, *attrs))
    _NODES.clear()


def _prefixes(keys: tuple[str, ...]) -> frozenset[str]:
    """Keys with a table at or below them: other subtrees cannot need sorting."""
    return frozenset("/".join(k.split("/")[: i + 1]) for k in keys for i in range(k.count("/") + 1))


_SORTABLE: frozenset[str] = _prefixes((*CHILD_ORDER, *ATTR_ORDER))
_ABSENT = _Node("")
"""Marks a child tag a node has not looked up yet."""


def _child_order(key: str, tags: tuple[object, ...]) -> list[int] | None:
    """The permutation that sorts children ``tags`` of ``key``, or None when already in order."""
    crank = _CHILD_RANK.get(key)
    if crank is None:
        return None
    ordered = True
    prev = -1
    ranks: list[int] = []
    at_root = "/" not in key
    last = len(crank)
    for tag in tags:
        r = crank.get(tag, -1) if isinstance(tag, str) else -1
        if r < 0 and at_root and isinstance(tag, str) and tag[0] == "{":
            r = last  # a driver's namespaced extension: libvirt prints it after everything
            ordered = ordered and prev <= r
        elif r < 0:
            r = prev  # unknown: stay right after the known sibling it followed
        elif r < prev:
            ordered = False
        ranks.append(r)
        prev = r
    if ordered:
        return None
    return sorted(range(len(tags)), key=ranks.__getitem__)


def start_tag(root: etree._Element, first: dict[str, str] | None = None) -> str:
    """The root's start tag as libvirt writes it: attributes, then namespace declarations.

    ``first`` attributes (e.g. a live domain's ``id``) are placed after the root's own first
    attribute, which is where libvirt puts them (``<domain type='kvm' id='1'>``).
    """
    items = list(root.attrib.items())
    if first:
        items[1:1] = [(k, v) for k, v in first.items()]
    parts = [str(root.tag)]
    parts += [f"{k!s}='{escape_attr(str(v))}'" for k, v in items]
    own = root.nsmap
    parent = root.getparent()
    inherited = parent.nsmap if parent is not None else {}
    for prefix, uri in own.items():
        if inherited.get(prefix) != uri and _used_outside_metadata(root, uri):
            parts.append(f"xmlns:{prefix}='{escape_attr(uri)}'" if prefix else f"xmlns='{escape_attr(uri)}'")
    return "<" + " ".join(parts) + ">"


_USES_NS = etree.XPath(
    "boolean(*[not(self::metadata)]/descendant-or-self::*[namespace-uri() = $uri]"
    " | *[not(self::metadata)]/descendant-or-self::*/@*[namespace-uri() = $uri])"
)


def _used_outside_metadata(root: etree._Element, uri: str) -> bool:
    return _USES_NS(root, uri=uri) is True


def escape_attr(value: str) -> str:
    """libvirt's escaping, used for attribute values and text alike."""
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("'", "&apos;")
        .replace('"', "&quot;")
    )


def serialize(root: etree._Element, first: dict[str, str] | None = None) -> str:
    """libvirt's bytes for ``root``: 2-space indent, single quotes, trailing newline.

    ``<metadata>`` content is copied the way libvirt copies it (libxml2's own output, double
    quotes); everything else follows libvirt's formatter.  ``first`` as for :func:`start_tag`.
    """
    if len(root) == 0 and not root.text:
        return start_tag(root, first)[:-1] + "/>\n"
    return start_tag(root, first) + serialize_body(root)


def serialize_body(root: etree._Element) -> str:
    """What :func:`serialize` prints after the root's start tag (a caller that writes the
    start tag itself, as a domain dump with its ``id``, formats the rest once)."""
    quoted = _has_quote_in_text(root)
    tree = root
    if quoted:
        # libxml2 leaves '"' raw in text; libvirt escapes it.  Hide those before swapping.
        tree = copy.deepcopy(root)
        for node in tree.iter():
            if node.text and '"' in node.text:
                node.text = node.text.replace('"', _PLACEHOLDER)
            if node.tail and '"' in node.tail:
                node.tail = node.tail.replace('"', _PLACEHOLDER)
    raw = etree.tostring(tree, encoding="unicode", pretty_print=True)
    meta_start = raw.find("\n  <metadata")
    if meta_start >= 0 and raw[meta_start + len("\n  <metadata")] in " >":
        meta_end = raw.find("\n  </metadata>", meta_start) + len("\n  </metadata>")
        meta = raw[meta_start:meta_end]
        if root.nsmap:
            meta = _own_namespaces_metadata(tree)
        if quoted:
            meta = meta.replace(_PLACEHOLDER, '"')
        text = _swap_quotes(raw[:meta_start], quoted) + meta + _swap_quotes(raw[meta_end:], quoted)
    else:
        text = _swap_quotes(raw, quoted)
    paired = _PAIRED.get(str(root.tag))
    if paired is not None and _self_closed(text, paired[0]):
        text = paired[1].sub(_open_close, text)
    return text[text.index(">") + 1 :]


# Elements libvirt always prints as an open/close pair, even when empty (indent, name), with
# the start of their tags: a plain search for a self-closed one rules the regex out for most dumps.
_PAIRED = {
    "domain": (
        ("<devices", "<redirdev", "<hyperv"),
        re.compile(r"\n(  )<(devices)()/>(?=\n)|\n(    )<(redirdev|hyperv)( [^>]*)?/>(?=\n)"),
    ),
    "pool": (("<source",), re.compile(r"\n(  )<(source)()/>(?=\n)")),
    "network": (("<ip",), re.compile(r"\n(  )<(ip)( [^>]*)?/>(?=\n)")),
}


def _self_closed(text: str, starts: tuple[str, ...]) -> bool:
    """Whether a tag beginning with one of ``starts`` is self-closed (``<redirdev .../>``)."""
    for start in starts:
        at = text.find(start)
        while at >= 0:
            end = text.find(">", at)
            if end < 0:
                break
            if text[end - 1] == "/":
                return True
            at = text.find(start, end)
    return False


def _open_close(match: re.Match[str]) -> str:
    groups = [g for g in match.groups() if g is not None]
    indent, name = groups[0], groups[1]
    attrs = groups[2] if len(groups) > 2 else ""
    return f"\n{indent}<{name}{attrs}>\n{indent}</{name}>"


def _own_namespaces_metadata(root: etree._Element) -> str:
    """``<metadata>`` with the namespace declarations it uses on itself, as libvirt copies it
    out of the document (declarations made on ``<domain>`` move down to it)."""
    meta = root.find("metadata")
    if meta is None:
        return ""
    alone = etree.tostring(copy.deepcopy(meta), encoding="unicode", pretty_print=True).rstrip("\n")
    return "\n" + "\n".join("  " + line for line in alone.split("\n"))


def _swap_quotes(text: str, quoted: bool) -> str:
    text = text.replace("'", "&apos;").replace('"', "'")
    return text.replace(_PLACEHOLDER, "&quot;") if quoted else text


def _has_quote_in_text(root: etree._Element) -> bool:
    """Whether any text node printed with ``root`` holds a ``"``: libxml2's text output of the
    subtree is one C call, about ten times cheaper than an XPath walk."""
    return '"' in etree.tostring(root, method="text", encoding="unicode")
