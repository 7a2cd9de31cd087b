"""libvirt's layout from any order: :func:`pyvirt.xml.canonical.canonicalize` and ``serialize``.

Real libvirt's dumps of all its test documents (``tests/data/libvirt-xml``, 2,142 documents) are
in libvirt's order already, so formatting one again must give it back byte for byte; shuffled
(attributes and children of every element in random order, known names only) it must come back
the same.  The shuffles run through the same memos (plans per child tags, attribute names in
order) on many shapes and many repeats of each, which is what keeps the sort cheap.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from gen_order import DOCUMENT_ORDER, VARIANTS, element_key
from lxml import etree

from pyvirt.xml._order import ATTR_ORDER, CHILD_ORDER
from pyvirt.xml.canonical import canonicalize, serialize

DATA = Path(__file__).resolve().parents[1] / "data" / "libvirt-xml"
KINDS = ("domain", "network", "pool", "volume")
_PARSER = etree.XMLParser(remove_blank_text=True)


def dumps() -> Iterator[tuple[str, str]]:
    for kind in KINDS:
        for path in sorted((DATA / kind).glob("*.dump.xml")):
            yield path.name, path.read_text()


def shuffle(el: etree._Element, path: list[str], rng: random.Random) -> None:
    """Put ``el``'s attributes and children, and those below, in a random order that libvirt's
    order tables undo: only elements whose every name is in their table (an unknown name keeps
    its place after the known sibling it followed), children of one name in their order (a
    stable sort keeps them so), no variant or document-order element."""
    key = None if (el.tag, el.get("type")) in VARIANTS else element_key(path)
    arank = ATTR_ORDER.get(key, ()) if key else ()
    items = list(el.items())
    if len(items) > 1 and all(name in arank for name, _ in items):
        rng.shuffle(items)
        el.attrib.clear()
        for name, value in items:
            el.set(name, value)
    children = list(el)
    crank = CHILD_ORDER.get(key, ()) if key and key not in DOCUMENT_ORDER else ()
    if len(children) > 1 and all(isinstance(c.tag, str) and c.tag in crank for c in children):
        tags = [str(c.tag) for c in children]
        rng.shuffle(tags)
        same_name = {tag: iter([c for c in children if c.tag == tag]) for tag in set(tags)}
        for child in children:
            el.remove(child)
        el.extend(next(same_name[tag]) for tag in tags)
    for child in el:
        if isinstance(child.tag, str):
            shuffle(child, [*path, child.tag], rng)


def test_libvirt_dumps_are_kept() -> None:
    changed = []
    for name, text in dumps():
        root = etree.fromstring(text.encode(), _PARSER)
        canonicalize(root)
        if serialize(root) != text:
            changed.append(name)
    assert not changed


@pytest.mark.parametrize("seed", [1, 2])
def test_shuffled_dumps_come_back(seed: int) -> None:
    rng = random.Random(seed)
    wrong = []
    for name, text in dumps():
        root = etree.fromstring(text.encode(), _PARSER)
        shuffle(root, [str(root.tag)], rng)
        canonicalize(root)
        if serialize(root) != text:
            wrong.append(name)
    assert not wrong


def test_a_comment_stays_after_the_element_it_followed() -> None:
    """A comment's tag is not a string (the plan's memo key falls back to a tuple): it keeps
    its place after its known sibling, which moves into libvirt's order with it."""
    root = etree.fromstring("<domain><uuid>u</uuid><!-- note --><name>n</name></domain>")
    canonicalize(root)
    assert [c.tag if isinstance(c.tag, str) else "comment" for c in root] == ["name", "uuid", "comment"]


def test_attribute_order_is_fixed_after_the_same_names_were_in_order() -> None:
    """The memo of names found in order holds names in that order only."""
    first = etree.fromstring("<domain><devices><controller type='pci' index='0' model='pcie-root'/></devices></domain>")
    canonicalize(first)
    second = etree.fromstring(
        "<domain><devices><controller type='pci' model='pcie-root' index='0'/></devices></domain>"
    )
    canonicalize(second)
    controller = second.find("devices/controller")
    assert controller is not None
    assert controller.keys() == ["type", "index", "model"]
