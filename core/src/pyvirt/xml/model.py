"""What every document model shares: the kept lxml tree, the format cache and deep copies.

A model owns the whole parsed (and normalised) tree, so everything the schema allows survives
even when no typed field covers it yet; typed properties read and write that tree.  Drivers
dump XML far more often than they change a definition, so each formatted variant is cached
and any assignment through a property clears the cache.  Sorting the tree into libvirt's
order is only needed for output, so it is done lazily, on the first dump after a change.
"""

from __future__ import annotations

from typing import Self

from lxml import etree

from pyvirt.errors import XMLError
from pyvirt.xml.parser import line_of


class XMLModel:
    """Base of :class:`DomainDef`, :class:`NetworkDef`, :class:`PoolDef`, :class:`VolDef`."""

    kind = "xml"
    root_tag = ""

    def __init__(self, root: etree._Element) -> None:
        self._root = root
        self._cache: dict[object, str] = {}
        self._sorted = False

    @property
    def root(self) -> etree._Element:
        """The normalised tree.  Mutating it directly requires calling :meth:`invalidate`."""
        return self._root

    def invalidate(self) -> None:
        """Forget formatted output (and the sorted state) after the tree changed."""
        self._cache.clear()
        self._sorted = False

    def _output_tree(self) -> etree._Element:
        """The tree in libvirt's element and attribute order (sorted on first use)."""
        if not self._sorted:
            from pyvirt.xml.canonical import canonicalize

            canonicalize(self._root)
            self._sorted = True
        return self._root

    def copy(self) -> Self:
        """An independent deep copy (a running domain keeps a live and a persistent one)."""
        clone = self.__class__.__new__(self.__class__)
        clone.__dict__.update(self.__dict__)
        clone._root = _deepcopy(self._root)
        clone._cache = dict(self._cache)
        clone._after_copy()
        return clone

    def _after_copy(self) -> None:
        """Rebind sub-objects (device wrappers) to the copied tree."""

    # -- tree helpers ----------------------------------------------------------------------

    def _find(self, path: str) -> etree._Element | None:
        return self._root.find(path)

    def _text(self, path: str) -> str | None:
        el = self._root.find(path)
        if el is None:
            return None
        return el.text if el.text is not None else ""

    def _set_text(self, path: str, value: str | None, *, attrs: dict[str, str] | None = None) -> None:
        """Set (creating at libvirt's position) or remove the element at ``path``."""
        el = self._root.find(path)
        if value is None:
            if el is not None:
                parent = el.getparent()
                if parent is not None:
                    parent.remove(el)
            self.invalidate()
            return
        if el is None:
            parent = self._root
            for part in path.split("/")[:-1]:
                found = parent.find(part)
                if found is None:
                    found = etree.SubElement(parent, part)
                parent = found
            el = etree.SubElement(parent, path.split("/")[-1])
            if attrs:
                for k, v in attrs.items():
                    el.set(k, v)
        el.text = value
        self.invalidate()


def _deepcopy(root: etree._Element) -> etree._Element:
    import copy

    return copy.deepcopy(root)


def expect_root(root: etree._Element, tag: str, kind: str) -> None:
    """Refuse a document whose root element is not ``tag`` (libvirt: "unexpected root element")."""
    if root.tag != tag:
        raise XMLError(
            f"XML error: unexpected root element <{etree.QName(root).localname}>, expecting <{tag}> for {kind}",
            line=line_of(root),
        )
