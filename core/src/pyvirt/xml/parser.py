"""Safe parsing of untrusted XML into an lxml tree.

Every document pyvirt reads comes from a caller (``defineXML``), a file on disk or the wire,
so the parser is configured for hostile input once, here:

* no network access, no external entities, no DTD loading, entities never substituted;
* a document with a ``<!DOCTYPE>`` (where entity bombs live) is refused outright: libvirt's
  formats never use one;
* the size is bounded (:data:`MAX_DOCUMENT_BYTES`) before libxml2 sees a byte, and libxml2's
  own nesting limit (256 levels without ``huge_tree``) bounds the depth, which we lower further
  to :data:`MAX_DEPTH` with a cheap check;
* comments, processing instructions and whitespace-only text are dropped, because libvirt
  regenerates documents from its model and never keeps them either.

Errors are :class:`~pyvirt.errors.XMLError` with the 1-based line libxml2 reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from operator import itemgetter
from typing import cast

from lxml import etree

from pyvirt.errors import XMLError

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
"""Largest document accepted (10 MiB); libvirt's biggest real documents are a few hundred KiB."""

MAX_DEPTH = 64
"""Deepest element nesting accepted; a domain with a long backing chain is about 40 deep."""

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_blank_text=True,
    remove_comments=True,
    remove_pis=True,
    strip_cdata=True,
    collect_ids=False,
)

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


def parse_document(text: str | bytes, *, kind: str, keep: list[etree._Element] | None = None) -> etree._Element:
    """Parse ``text`` safely and return its root element.

    ``kind`` ("domain", "network", ...) only names the document in error messages.  The root's
    tag is not checked here; the model for the kind does that with a better message.
    ``keep``, when given, receives every element of the tree in document order (a model keeps
    them to hold their Python proxies, :meth:`pyvirt.xml.model.XMLModel._parse_root`); their
    number also bounds the depth, which then needs no search of the text.
    """
    if isinstance(text, str):
        if len(text) > MAX_DOCUMENT_BYTES:
            raise XMLError(_too_big(kind, len(text)))
        if text.startswith("<?xml") or (text[:1].isspace() and text.lstrip().startswith("<?xml")):
            # lxml refuses str input that declares an encoding; the str is already decoded.
            text = _XML_DECL.sub("", text, count=1)
        data: str | bytes = text
    elif isinstance(text, (bytes, bytearray, memoryview)):
        if len(text) > MAX_DOCUMENT_BYTES:
            raise XMLError(_too_big(kind, len(text)))
        data = bytes(text)
    else:
        raise XMLError(f"{kind} XML must be str or bytes, not {type(text).__name__}")
    if not data or data.isspace():
        raise XMLError(f"(xml) {kind} XML document is empty", line=1)
    if ("<!DOCTYPE" in data) if isinstance(data, str) else (b"<!DOCTYPE" in data or _utf16_doctype(data)):
        # Refused before libxml2 sees it: entity bombs and external DTDs live in a DOCTYPE.
        raise XMLError(_NO_DOCTYPE.format(kind=kind), line=1)
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        msg = str(exc.msg) if exc.msg else str(exc)
        msg = re.sub(r",? line \d+(, column \d+)?$", "", msg)
        raise XMLError(f"(xml) malformed {kind} XML: {msg}", line=line) from None
    except ValueError as exc:  # e.g. an encoding lxml cannot handle
        raise XMLError(f"(xml) malformed {kind} XML: {exc}") from None
    if root is None:
        raise XMLError(f"(xml) {kind} XML document has no root element", line=1)
    # A tree deeper than MAX_DEPTH has more than MAX_DEPTH elements, and an end tag for each
    # of its MAX_DEPTH outer ones: most documents have fewer, and then only blank text is left
    # to look for.
    if keep is not None:
        keep += root.iter()
    if isinstance(data, str):
        # The DOCTYPE search above saw the very characters libxml2 parsed.
        shallow = (keep is not None and len(keep) <= MAX_DEPTH) or data.count("</") < MAX_DEPTH
    else:
        # Bytes may be in an encoding the byte searches cannot read (UTF-7, EBCDIC...): ask
        # libxml2 what it found.
        docinfo = root.getroottree().docinfo
        if docinfo.internalDTD is not None or docinfo.doctype:
            raise XMLError(_NO_DOCTYPE.format(kind=kind), line=1)
        shallow = False
    if (_ANY_BLANK_TEXT if shallow else _DEEP_OR_BLANK)(root) is True:  # one XPath call
        if not shallow:
            _check_depth(root, kind)
        if shallow or _ANY_BLANK_TEXT(root) is True:
            for owner in select(_BLANK_LEAVES, root):
                # whitespace inside a leaf (``<source>\n</source>``) carries nothing: libvirt drops it
                owner.text = None
    return root


def select(query: etree.XPath, node: etree._Element) -> list[etree._Element]:
    """The elements an XPath query returns, typed (lxml's result type is a wide union)."""
    found = query(node)
    if not isinstance(found, list):
        return []
    return [item for item in found if isinstance(item, etree._Element)]


def first_child(el: etree._Element, tag: str) -> etree._Element | None:
    """First child named ``tag`` (a plain name or ``{uri}name``), as ``el.find(tag)`` but
    several times faster: checks and defaults look up a child for most elements they visit.

    lxml's tag matcher costs more to set up than comparing a few tags in Python, so an element
    with few children is scanned here and only a long child list is left to lxml's C loop.
    """
    if len(el) <= _SCAN_CHILDREN:
        for child in children(el):
            if child.tag == tag:
                return child
        return None
    for child in el.iterchildren(tag):
        return child
    return None


children = cast("Callable[[etree._Element], list[etree._Element]]", itemgetter(slice(None)))
"""``el[:]``, typed: an element's children in one call.  lxml builds the list in one C loop,
while iterating the element costs a set-up (about 2k instructions) and a call per child."""


_SCAN_CHILDREN = 10
"""Up to this many children, :func:`first_child` compares tags itself (measured break-even)."""


_ANY_BLANK_TEXT = etree.XPath("boolean(descendant::text()[not(normalize-space())])", regexp=False)
_BLANK_LEAVES = etree.XPath("descendant-or-self::*[not(*)][text()][normalize-space(.) = '']", regexp=False)
"""Both from the root (the document node holds no text), without lxml's regular-expression
functions, whose registration costs more than these queries' own work on a small document."""


_NO_DOCTYPE = "(xml) {kind} XML must not contain a DOCTYPE declaration (entities and DTDs are refused)"


def _utf16_doctype(data: bytes) -> bool:
    """A DOCTYPE in a UTF-16 document (the plain byte search cannot see it)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) > 1 and (data[0] == 0 or data[1] == 0)):
        return "<!DOCTYPE".encode("utf-16-le") in data or "<!DOCTYPE".encode("utf-16-be") in data
    return False


def _too_big(kind: str, size: int) -> str:
    return f"(xml) {kind} XML document is too large: {size} bytes (limit {MAX_DOCUMENT_BYTES})"


_DEPTH_XPATH = etree.XPath("boolean(" + "/*" * (MAX_DEPTH + 1) + ")", regexp=False)
_DEEP_OR_BLANK = etree.XPath(f"{_DEPTH_XPATH.path} or {_ANY_BLANK_TEXT.path}", regexp=False)


def _check_depth(root: etree._Element, kind: str) -> None:
    """Refuse documents nested deeper than :data:`MAX_DEPTH` (one XPath call, no Python walk)."""
    if _DEPTH_XPATH(root) is True:
        deep = root
        for _ in range(MAX_DEPTH):
            deep = next(iter(deep.iterchildren("*")), deep)
        raise XMLError(f"(xml) {kind} XML is nested too deeply (limit {MAX_DEPTH} levels)", line=line_of(deep))


def line_of(element: etree._Element | None) -> int | None:
    """The source line of ``element``, or None for elements created after parsing."""
    if element is None:
        return None
    line: object = element.sourceline
    return line if isinstance(line, int) and line > 0 else None
