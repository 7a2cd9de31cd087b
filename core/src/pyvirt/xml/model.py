"""What every document model shares: the kept lxml tree, the format cache and deep copies.

A model owns the whole parsed (and normalised) tree, so everything the schema allows survives
even when no typed field covers it yet; typed properties read and write that tree.  Drivers
dump XML far more often than they change a definition, so each formatted variant is cached
and any assignment through a property clears the cache.  Sorting the tree into libvirt's
order is only needed for output, so it is done lazily, on the first dump after a change.

Assignable fields that live in one element's text or attribute are declared in one line with
the descriptors below (:class:`Text`, :class:`OptionalText`, :class:`Int`, :class:`Attr`);
read-only fields stay plain properties, which already say "read-only" to mypy and to the reader.
"""

from __future__ import annotations

from typing import Generic, Self, TypeVar, overload

from lxml import etree

from pyvirt.errors import XMLError
from pyvirt.xml.canonical import canonicalize, serialize
from pyvirt.xml.known import Found, drop_unknown
from pyvirt.xml.parser import first_child, line_of, parse_document

_T = TypeVar("_T")


class XMLModel:
    """Base of :class:`DomainDef`, :class:`NetworkDef`, :class:`PoolDef`, :class:`VolDef`."""

    kind = "xml"
    """The RelaxNG schema kind (:func:`pyvirt.xml.schema.validate`)."""
    root_tag = ""
    label = "XML document"
    """How libvirt's messages name the document ("storage pool", ...)."""

    def __init__(self, root: etree._Element, *, proxies: list[etree._Element] | None = None) -> None:
        self._root = root
        self._cache: dict[object, str] = {}
        self._sorted = False
        self._proxies = proxies
        """What :meth:`_parse_root` returned besides the root, kept until the first format."""

    @property
    def root(self) -> etree._Element:
        """The normalised tree.  Mutating it directly requires calling :meth:`invalidate`."""
        return self._root

    def invalidate(self) -> None:
        """Forget formatted output (and the sorted state) after the tree changed."""
        self._forget_output()

    def _forget_output(self) -> None:
        """What :meth:`invalidate` does here, without what subclasses add (rebinding device
        views): enough for an edit that adds or removes no sub-object, such as one attribute."""
        self._cache.clear()
        self._sorted = False

    def _output_tree(self) -> etree._Element:
        """The tree in libvirt's element and attribute order (sorted on first use)."""
        if not self._sorted:
            canonicalize(self._root)
            self._sorted = True
        return self._root

    def copy(self) -> Self:
        """An independent deep copy (a running domain keeps a live and a persistent one)."""
        clone = self.__class__.__new__(self.__class__)
        clone.__dict__.update(self.__dict__)
        clone._root = _deepcopy(self._root)
        clone._cache = dict(self._cache)
        clone._proxies = None
        clone._after_copy()
        return clone

    def _after_copy(self) -> None:
        """Rebind sub-objects (device wrappers) to the copied tree."""

    @classmethod
    def _parse_root(
        cls, text: str | bytes, *, validate: bool
    ) -> tuple[etree._Element, list[etree._Element], Found | None]:
        """What every ``from_xml`` starts with: safe parse, root check, optional RelaxNG.

        Each model then runs its own checks and defaults, which differ per document kind.
        Returned beside the root: what the walk for unknown content met on its way (a domain's
        rules start from it, :class:`pyvirt.xml.known.Found`), and a proxy for each parsed
        node, for the model to keep until its first format.  lxml makes a new Python object
        for a node each time a walk reaches it unless one is alive, and a define walks the
        same tree several times (unknown content, checks, defaults, sorting, output), so
        keeping one alive through them saves creating and freeing the others (a medium
        domain's define + dump: 2313k -> 2195k instructions).  Released at the first format,
        so a kept definition holds no more objects than before (a daemon keeps thousands).
        """
        proxies: list[etree._Element] = []
        root = parse_document(text, kind=cls.label, keep=proxies)
        expect_root(root, cls.root_tag, cls.label)
        if validate:
            from pyvirt.xml.schema import validate as schema_validate

            schema_validate(root, cls.kind)
        found = drop_unknown(root)
        return root, proxies, found

    def _format(self, key: object) -> str:
        """Format the sorted tree and cache it as dump variant ``key``.

        For models whose variants all print the same tree (:class:`DomainDef` strips live
        state per variant, so it formats on its own).
        """
        text = serialize(self._output_tree())
        self._cache[key] = text
        self._proxies = None
        return text

    # -- tree helpers ----------------------------------------------------------------------

    def _find(self, path: str) -> etree._Element | None:
        return find_path(self._root, path)

    def _attr(self, path: str, name: str) -> str | None:
        """Attribute ``name`` of the element at ``path``; ``None`` if either is absent."""
        el = find_path(self._root, path)
        return None if el is None else el.get(name)

    def _text(self, path: str) -> str | None:
        el = find_path(self._root, path)
        if el is None:
            return None
        return el.text if el.text is not None else ""

    def _set_text(self, path: str, value: str | None, *, attrs: dict[str, str] | None = None) -> None:
        """Set (creating at libvirt's position) or remove the element at ``path``."""
        el = find_path(self._root, path)
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


class _Field(Generic[_T]):
    """An assignable typed field kept in the element at ``path`` (its text or an attribute).

    Replaces a getter/setter property pair; like a property it is a data descriptor, reads the
    tree on every access (so direct tree edits are seen) and its setter clears the cached dumps
    (through :meth:`XMLModel._set_text`).
    """

    def __init__(self, path: str, *, doc: str | None = None) -> None:
        self.path = path
        self.__doc__ = doc

    @overload
    def __get__(self, model: None, owner: type[XMLModel]) -> Self: ...
    @overload
    def __get__(self, model: XMLModel, owner: type[XMLModel] | None = None) -> _T: ...
    def __get__(self, model: XMLModel | None, owner: type[XMLModel] | None = None) -> Self | _T:
        if model is None:
            return self
        return self._read(find_path(model._root, self.path))

    def _read(self, el: etree._Element | None) -> _T:
        raise NotImplementedError


class Text(_Field[str]):
    """An element's text, ``""`` when the element is absent; assigning creates it."""

    def _read(self, el: etree._Element | None) -> str:
        return "" if el is None else (el.text or "")

    def __set__(self, model: XMLModel, value: str) -> None:
        model._set_text(self.path, value)


class OptionalText(_Field[str | None]):
    """An element's text, ``None`` when the element is absent; assigning ``None`` removes it."""

    def _read(self, el: etree._Element | None) -> str | None:
        return None if el is None else (el.text or "")

    def __set__(self, model: XMLModel, value: str | None) -> None:
        model._set_text(self.path, value)


class Int(_Field[int]):
    """An integer element (0 when absent) written with its ``unit`` attribute.

    The text is read as is: :mod:`.defaults` scaled the document to ``unit`` at parse time.
    """

    def __init__(self, path: str, *, unit: str, doc: str | None = None) -> None:
        super().__init__(path, doc=doc)
        self.unit = unit

    def _read(self, el: etree._Element | None) -> int:
        return 0 if el is None else int(el.text or 0)

    def __set__(self, model: XMLModel, value: int) -> None:
        model._set_text(self.path, str(int(value)), attrs={"unit": self.unit})


class Attr(_Field[str | None]):
    """Attribute ``name`` of the element at ``path``, ``None`` when either is absent.

    Assigning ``None`` removes the attribute.  Assigning a value to a missing element creates
    it only with ``create`` (a direct child); otherwise there is nothing to set it on.
    """

    def __init__(self, path: str, name: str, *, create: bool = False, doc: str | None = None) -> None:
        super().__init__(path, doc=doc)
        self.name = name
        self.create = create

    def _read(self, el: etree._Element | None) -> str | None:
        return None if el is None else el.get(self.name)

    def __set__(self, model: XMLModel, value: str | None) -> None:
        el = find_path(model._root, self.path)
        if el is None:
            if value is None or not self.create:
                return  # nothing changed: the cached dumps stay valid
            el = etree.SubElement(model._root, self.path)
        if value is None:
            if self.name in el.attrib:
                del el.attrib[self.name]
        else:
            el.set(self.name, value)
        model.invalidate()


def find_path(root: etree._Element, path: str) -> etree._Element | None:
    """``root.find(path)`` for a plain ``a/b`` path, several times faster: typed fields read
    one element each, and drivers read a few of them per call.

    Following the first match at each step finds what ``find`` finds whenever that chain
    exists; otherwise ``find`` itself looks further (a later ``<a>`` may hold the ``<b>``).
    """
    el = root
    for part in path.split("/"):
        found = first_child(el, part)
        if found is None:
            return root.find(path) if "/" in path else None
        el = found
    return el


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
