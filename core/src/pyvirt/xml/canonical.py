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
from operator import attrgetter
from typing import cast

from lxml import etree

from pyvirt.xml._order import ATTR_ORDER, CHILD_ORDER
from pyvirt.xml.parser import children as _children

_CHILD_RANK: dict[str, dict[str, int]] = {k: {t: i for i, t in enumerate(v)} for k, v in CHILD_ORDER.items()}
_ATTR_RANK: dict[str, dict[str, int]] = {k: {t: i for i, t in enumerate(v)} for k, v in ATTR_ORDER.items()}
_PLACEHOLDER = "\ue000"
_VARIANTS = {("interface", "hostdev")}
_VARIANT_TAGS = frozenset(tag for tag, _ in _VARIANTS)
"""Elements whose children libvirt orders by their ``type``: tables keyed ``PATH@TYPE``
(a hostdev interface prints its ``<driver>`` with the host device, before ``<source>``)."""


def canonicalize(root: etree._Element) -> None:
    """Sort ``root``'s subtree in place into libvirt's element and attribute order."""
    # Hot path of every first dump, where each lxml call costs about as much as the Python
    # around it: an explicit stack instead of a recursion, each element's children fetched in
    # one slice, and all that depends only on (element path, child tags) -- the permutation,
    # which children to visit and with which table node -- worked out once per shape (_Plan).
    # Memo keys are names joined by NUL (no XML name holds it): one string to hash instead of
    # a tuple of fresh strings, each hashed on its own.
    tag = root.tag
    stack = [(root, _node(tag if isinstance(tag, str) else ""))]
    while stack:
        el, node = stack.pop()
        if node.arank is not None:
            names = _keys(el)
            if len(names) > 1 and _SEP.join(names) not in node.attrs_ok:
                _order_attrs(el, node, names)
        children = _children(el)
        if not children:
            continue
        tags = list(map(_TAG, children))
        try:
            sig: object = _SEP.join(tags)  # type: ignore[arg-type]
        except TypeError:  # a comment or processing instruction: its tag is a function
            sig = tuple(tags)
        try:
            plan = node.plans[sig]
        except KeyError:
            plan = node.plan(sig, tags)
        leaves, below, moves = plan
        for i, sub in leaves:
            names = _keys(children[i])
            if len(names) > 1 and _SEP.join(names) not in sub.attrs_ok:
                _order_attrs(children[i], sub, names)
        for i, sub in below:
            child = children[i]
            if sub.variants is not None:
                sub = sub.variants.get(child.get("type"), sub)
            if len(child):
                stack.append((child, sub))
            elif sub.arank is not None:  # a leaf after all: only its attributes can need sorting
                names = _keys(child)
                if len(names) > 1 and _SEP.join(names) not in sub.attrs_ok:
                    _order_attrs(child, sub, names)
        if moves is not None:
            el.extend([children[i] for i in moves])  # appending a child moves it to the end


_SEP = "\0"


_keys = cast("Callable[[etree._Element], list[str]]", etree._Element.keys)
_items = cast("Callable[[etree._Element], list[tuple[str, str]]]", etree._Element.items)
"""lxml's ``keys``/``items`` typed for str trees."""
_TAG = cast("Callable[[etree._Element], object]", attrgetter("tag"))


def _order_attrs(el: etree._Element, node: _Node, names: list[str]) -> None:
    """Put ``el``'s attributes in libvirt's order; names found in order are remembered."""
    arank = node.arank or {}
    ranks = [arank.get(n, 1000) for n in names]
    if ranks == sorted(ranks):
        if len(node.attrs_ok) > _MEMO_LIMIT:
            node.attrs_ok.clear()
        node.attrs_ok.add(_SEP.join(names))
        return
    items = sorted(_items(el), key=lambda kv: arank.get(kv[0], 1000))
    el.attrib.clear()
    for name, value in items:
        el.set(name, value)


_MEMO_LIMIT = 2_000

_Plan = tuple[list[tuple[int, "_Node"]], list[tuple[int, "_Node"]], list[int] | None]
"""What to do with an element's children, per (element path, child tags): the children whose
attributes alone may need sorting, the children to descend into, and the indexes (in their new
order) of the children to move to the end, or None when they are in order."""


class _Node:
    """One table key (an element path): its ranks, its variants and its memos."""

    __slots__ = ("arank", "attrs_ok", "deep", "key", "plans", "sortable", "variants")

    def __init__(self, key: str) -> None:
        self.key = key
        self.sortable = key in _SORTABLE  # False: no table at or below it
        self.deep = key in _DEEP or key.partition("@")[0] in _DEEP  # a table below it
        self.arank = _ATTR_RANK.get(key)
        tag = key.rpartition("/")[2]
        self.variants: dict[str | None, _Node] | None = None
        if tag in _VARIANT_TAGS:
            self.variants = {kind: _node(f"{key}@{kind}") for t, kind in _VARIANTS if t == tag}
        self.attrs_ok: set[str] = set()
        self.plans: dict[object, _Plan] = {}
        """Memos: documents repeat the same shapes, so each is worked out once (attribute
        names found in order, plans per child tags; both keyed by names joined by NUL)."""

    def child(self, tag: str) -> _Node | None:
        """The node of a child named ``tag`` (repeated names, as in nested backingStore,
        collapse into one key, and a variant's children have the plain path), or None when
        nothing at or below it can need sorting or it is an extension namespace."""
        if tag[0] == "{":
            return None
        base = self.key.partition("@")[0]
        found = _node(base if base.rsplit("/", 1)[-1] == tag else base + "/" + tag)
        return found if found.sortable else None

    def plan(self, sig: object, tags: list[object]) -> _Plan:
        """The :data:`_Plan` for children ``tags``, memoised under ``sig``."""
        leaves: list[tuple[int, _Node]] = []
        below: list[tuple[int, _Node]] = []
        for i, tag in enumerate(tags):
            sub = self.child(tag) if isinstance(tag, str) else None
            if sub is None:
                continue  # an extension namespace, a comment, or nothing below can need sorting
            if sub.deep or sub.variants is not None:
                below.append((i, sub))
            elif sub.arank is not None:
                leaves.append((i, sub))
        moves = None
        order = _child_order(self.key, tags) if len(tags) > 1 else None
        if order is not None:
            first = next(i for i, j in enumerate(order) if i != j)
            moves = order[first:]
        plan = (leaves, below, moves)
        if len(self.plans) > _MEMO_LIMIT:
            self.plans.clear()
        self.plans[sig] = plan
        return plan


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
    global _SORTABLE, _DEEP
    _CHILD_RANK.clear()
    _CHILD_RANK.update({k: {t: i for i, t in enumerate(v)} for k, v in child.items()})
    _ATTR_RANK.clear()
    _ATTR_RANK.update({k: {t: i for i, t in enumerate(v)} for k, v in attrs.items()})
    _SORTABLE = _prefixes((*child, *attrs))
    _DEEP = _deep(child, attrs)
    _NODES.clear()


def _prefixes(keys: tuple[str, ...]) -> frozenset[str]:
    """Keys with a table at or below them: other subtrees cannot need sorting."""
    return frozenset("/".join(k.split("/")[: i + 1]) for k in keys for i in range(k.count("/") + 1))


def _deep(child: dict[str, tuple[str, ...]], attrs: dict[str, tuple[str, ...]]) -> frozenset[str]:
    """Keys whose children may need sorting, or something below them: a child table of their
    own or any table under them (a variant's children share its plain path)."""
    keys = [k.partition("@")[0] for k in (*child, *attrs)]
    below = frozenset("/".join(k.split("/")[: i + 1]) for k in keys for i in range(k.count("/")))
    return below | frozenset(child) | frozenset(k.partition("@")[0] for k in child)


_SORTABLE: frozenset[str] = _prefixes((*CHILD_ORDER, *ATTR_ORDER))
_DEEP: frozenset[str] = _deep(CHILD_ORDER, ATTR_ORDER)


def _child_order(key: str, tags: list[object]) -> list[int] | None:
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
    items = _items(root)
    if first:
        items[1:1] = first.items()
    # Built by appending (one attribute in most roots): a list joined at the end, and the
    # str() of the tag, cost a domain's first dump more than the few appends.
    text = "<" + root.tag
    for name, value in items:
        text += f" {name}='{value if value.isalnum() else escape_attr(value)}'"
    own = root.nsmap
    if not own:
        return text + ">"
    parent = root.getparent()
    inherited = parent.nsmap if parent is not None else {}
    for prefix, uri in own.items():
        if inherited.get(prefix) != uri and _used_outside_metadata(root, uri):
            text += f" xmlns:{prefix}='{escape_attr(uri)}'" if prefix else f" xmlns='{escape_attr(uri)}'"
    return text + ">"


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
    if paired is not None:
        whole, starts, pattern = paired
        for empty in whole:
            if empty in text:
                text = _pair_whole(text, empty)
        if pattern is not None and _may_self_close(root, starts):
            text = pattern.sub(_open_close, text)
    return text[text.index(">") + 1 :]


# Elements libvirt always prints as an open/close pair, even when empty, per root element.
# An element that has no attributes is a fixed string (indent and ``<name/>``, a line of its
# own): a plain search finds it (``<devices/>`` alone ends a minimal domain), where the regex
# would cost more than the rest of a small dump's formatting.  The others are regexes, behind
# a search for a self-closed tag starting with one of their names (most dumps have none).
# A storage <encryption> (its format comes first) is one wherever it is (virStorageEncryptionFormat);
# a TPM's is not.
_PAIRED: dict[str, tuple[tuple[str, ...], tuple[str, ...], re.Pattern[str] | None]] = {
    "domain": (
        ("\n  <devices/>\n",),
        ("<redirdev", "<hyperv", "<encryption"),
        re.compile(r"\n(    )<(redirdev|hyperv)( [^>]*)?/>(?=\n)|\n( +)<(encryption)( format=[^>]*)/>(?=\n)"),
    ),
    "volume": ((), ("<encryption",), re.compile(r"\n( +)<(encryption)( format=[^>]*)/>(?=\n)")),
    "pool": (("\n  <source/>\n",), (), None),
    "network": (
        ("\n    <bandwidth/>\n",),
        ("<ip", "<portgroup", "<bandwidth"),
        re.compile(r"\n(  )<(ip|portgroup|bandwidth)( [^>]*)?/>(?=\n)"),
    ),
}


def _pair_whole(text: str, empty: str) -> str:
    """``text`` with every line ``empty`` (``"\\n  <devices/>\\n"``) printed as a pair of tags.
    Repeated until none is left: two such lines in a row share the newline between them."""
    at = empty.index("<")
    indent, name = empty[1:at], empty[at + 1 : -3]
    paired = f"\n{indent}<{name}>\n{indent}</{name}>\n"
    while empty in text:
        text = text.replace(empty, paired)
    return text


_ANY_NAMESPACE = {starts: tuple(f"{{*}}{start[1:]}" for start in starts) for _, starts, _ in _PAIRED.values()}
"""Each ``starts`` as lxml tags matching the name in any namespace (``{*}redirdev``)."""


def _may_self_close(root: etree._Element, starts: tuple[str, ...]) -> bool:
    """False when no element named by ``starts`` (``"<redirdev"``) can be self-closed in the
    output of ``root``: the regex after it only ever rewrites such a tag.  libxml2 writes
    ``<name/>`` only for an element with no child node at all, so one walk of lxml's over the
    elements with these names (in any namespace) that looks for one without children and text
    tells, for any size of document."""
    for el in root.iter(*_ANY_NAMESPACE[starts]):
        if not len(el) and el.text is None:
            return True
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
    if "'" in text:  # rare: a memchr scan, where counting for the replace walks every char
        text = text.replace("'", "&apos;")
    text = text.replace('"', "'")
    return text.replace(_PLACEHOLDER, "&quot;") if quoted else text


def _has_quote_in_text(root: etree._Element) -> bool:
    """Whether any text node printed with ``root`` holds a ``"``: libxml2's text output of the
    subtree is one C call, about ten times cheaper than an XPath walk."""
    return '"' in etree.tostring(root, method="text", encoding="unicode")
