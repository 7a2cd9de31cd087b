"""What a domain dump leaves out: live-only state (``inactive``) and secrets (not ``secure``).

libvirt's formatter (virDomainDefFormatInternal and the device formatters it calls) skips
what only a running instance has when ``VIR_DOMAIN_XML_INACTIVE`` is set -- runtime source
indexes, block-job ``<mirror>``, port ids, resctrl ids, pty paths -- and never prints
passwords or cookies without ``VIR_DOMAIN_XML_SECURE``.  pyvirt keeps one tree, so a dump
removes them from a copy, in the few definitions that hold any.

Almost no definition holds any, and the exact queries (``//`` over the whole document) cost
more than formatting the dump.  So a dump is formatted first and :func:`may_strip` tells
from that text or one cheap walk whether any rule can apply; only then does
:func:`strip_for_output` run the queries and, if they strip something, the copy is formatted.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import cast

from lxml import etree

from pyvirt.xml.parser import select

# (query selecting elements, attribute to drop from them or None to drop the elements)
_Strip = tuple[etree.XPath, str | None]
_LIVE_ONLY: tuple[_Strip, ...] = (
    # virDomainDiskSourceFormat / virDomainDiskBackingStoreFormat: index='N' is a live id
    (etree.XPath("//source[@index] | //backingStore[@index]"), "index"),
    # virDomainDiskDefFormatMirror: a block job's <mirror> only while the job runs
    (etree.XPath("/domain/devices/disk/mirror"), None),
    # virDomainNetDefFormat: the port a running network handed out
    (etree.XPath("/domain/devices/interface[@type='network']/source[@portid]"), "portid"),
    # virDomainCachetuneDefFormat / virDomainMemorytuneDefFormat: the resctrl group's id
    (etree.XPath("/domain/cputune/cachetune[@id] | /domain/cputune/memorytune[@id]"), "id"),
    # virDomainChrAttrsDefFormat: tty='/dev/pts/N' of a running pty
    (
        etree.XPath(
            "/domain/devices/console[@tty] | /domain/devices/serial[@tty]"
            " | /domain/devices/parallel[@tty] | /domain/devices/channel[@tty]"
        ),
        "tty",
    ),
    # virDomainChrSourceDefFormat: a pty's <source> (its allocated path) is not printed inactive
    (etree.XPath("/domain/devices/*[@type='pty']/source"), None),
)
_SECURE: tuple[_Strip, ...] = (
    # virDomainDiskSourceFormatNetworkCookies: a network disk's cookies
    (etree.XPath("//source/cookies"), None),
    # virDomainGraphicsAuthDefFormatAttr: passwd only with VIR_DOMAIN_XML_SECURE
    (etree.XPath("/domain/devices/graphics[@passwd]"), "passwd"),
)


def _any_of(strips: tuple[_Strip, ...]) -> etree.XPath:
    """One query that is true when any strip applies: ``or`` of booleans, not a union, which
    would make libxml2 merge node sets (slow on big documents)."""
    parts = [f"boolean({part.strip()})" for query, _ in strips for part in query.path.split(" | ")]
    return etree.XPath(" or ".join(parts))


_ANY_LIVE_ONLY = _any_of(_LIVE_ONLY)
_ANY_SECURE = _any_of(_SECURE)


def may_strip(root: etree._Element, body: str, *, inactive: bool, secure: bool) -> bool:
    """Whether :func:`strip_for_output` may change ``root``, whose formatted body
    (:func:`pyvirt.xml.canonical.serialize_body`) is ``body``; False is certain.

    Two exact tests of the same thing, the cheaper for the size: a short body is searched for
    markers (:func:`_text_markers`, a few hundred instructions a search), a longer one by one
    walk of lxml's over the elements the rules name (:func:`_tree_markers`: its set-up costs
    less than the searches, each of which costs about two instructions a character).
    """
    if not inactive and secure:
        return False
    if len(body) < _SHORT:
        return _text_markers(body, inactive=inactive, secure=secure)
    return _tree_markers(root, body, inactive=inactive, secure=secure)


_SHORT = 700
"""Body length below which the text searches cost less than the walk (a 6-element domain's
body, about 450 characters: 11k instructions against 17k; a 59-element one, 2,400
characters: 57k against 32k)."""


def _tree_markers(root: etree._Element, body: str, *, inactive: bool, secure: bool) -> bool:
    """:func:`may_strip` by one walk over the elements the rules select or test.

    lxml's plain tag names match elements without a namespace only, as the queries' names
    do, and ``keys()`` names an attribute without one by its bare name, so each test below
    holds whenever its rule's query selects something:

    - ``source`` or ``backingStore`` with ``index``; ``source`` with ``portid`` or whose
      parent has ``type='pty'``;
    - any ``mirror``, ``cachetune``, ``memorytune`` (inactive) or ``cookies`` (not secure);
    - ``graphics`` with ``passwd``;
    - `` tty=`` in ``body`` (an attribute of one of four elements, each common: one search
      costs less than walking to them).
    """
    tags = _TAGS[inactive, secure]
    for el in root.iter(*tags):
        tag = el.tag
        if tag == "source" or tag == "backingStore":
            names = _keys(el)
            if "index" in names or "portid" in names:
                return True
            if tag == "source":
                parent = el.getparent()
                if parent is not None and parent.get("type") == "pty":
                    return True
        elif tag != "graphics" or "passwd" in _keys(el):
            return True
    return inactive and " tty=" in body


_LIVE_TAGS = ("source", "backingStore", "mirror", "cachetune", "memorytune")
_SECRET_TAGS = ("cookies", "graphics")
_TAGS = {
    (True, False): _LIVE_TAGS + _SECRET_TAGS,
    (True, True): _LIVE_TAGS,
    (False, False): _SECRET_TAGS,
}
_keys = cast("Callable[[etree._Element], list[str]]", etree._Element.keys)


def _text_markers(body: str, *, inactive: bool, secure: bool) -> bool:
    """:func:`may_strip` by substring searches in ``body``.

    Each marker is a superset of what one rule's query selects, given how ``body`` is written
    (libxml2's serialiser, then :func:`~pyvirt.xml.canonical.serialize_body`'s fixes):

    - an element or attribute without a namespace -- the only ones a query's plain name
      selects -- is written as its bare name: an element as ``<name`` (then a space when it
      has attributes), an attribute as a space, ``name`` and ``=``;
    - ``<`` and ``>`` are escaped in attribute values and ``<`` in text, so outside comments,
      processing instructions and CDATA (parse_document drops those, and the checks below
      that read the markup look for them) every ``<`` opens a tag and a start tag ends at
      the next ``>``; a start tag ending in ``/>`` has no children;
    - attribute values are delimited by ``'`` except inside ``<metadata>``, where libvirt
      copies libxml2's ``"``; the one marker holding a value (``type='pty'``) concerns
      ``/domain/devices`` only.

    The markers, rule by rule (a marker seen in a value or in text only costs the exact
    queries, never a byte of the result):

    - ``//source[@index] | //backingStore[@index]``: a `` index=`` whose tag (the nearest
      ``<`` before it) opens with ``<source `` or ``<backingStore ``;
    - ``/domain/devices/disk/mirror``: ``<mirror``;
    - ``interface[@type='network']/source[@portid]``: ``<source`` and `` portid=``;
    - ``/domain/cputune/cachetune[@id] | memorytune[@id]``: ``<cputune``, then
      ``<cachetune`` or ``<memorytune``;
    - ``console|serial|parallel|channel[@tty]``: `` tty=``;
    - ``/domain/devices/*[@type='pty']/source``: ``<source`` and :func:`_pty_with_source`;
    - ``//source/cookies``: ``<source`` and ``<cookies``;
    - ``/domain/devices/graphics[@passwd]``: `` passwd=``.
    """
    if not secure and " passwd=" in body:
        return True
    if inactive:
        if " tty=" in body or "<mirror" in body or _indexed_source(body):
            return True
        if "<cputune" in body and ("<cachetune" in body or "<memorytune" in body):
            return True
    if "<source" not in body:  # what the three rules left need (most short bodies have none)
        return False
    if not secure and "<cookies" in body:
        return True
    return inactive and (" portid=" in body or _pty_with_source(body))


_INDEXED = ("<source ", "<backingStore ")


def _indexed_source(body: str) -> bool:
    """Whether a `` index=`` may be an attribute of a ``source`` or ``backingStore``: one that
    is lies in that element's start tag, where no ``<`` comes between the two (most hits are
    controllers' indexes)."""
    at = body.find(" index=")
    while at >= 0:
        if body.startswith(_INDEXED, body.rfind("<", 0, at)):
            return True
        at = body.find(" index=", at + 7)
    return False


def _pty_with_source(body: str) -> bool:
    """Whether an element with ``type='pty'`` may have a ``<source>`` child.

    Most definitions have a pty serial and console without one (libvirt keeps their source
    only while they run).  For each start tag holding `` type='pty'``: one ending ``/>`` has
    no children; otherwise, with ``name`` its tag's name, its content runs from the tag's end
    to the first ``</name>`` after it, unless the content in between holds ``<name`` (a
    nested element of the same name may have closed there) or ``<!``/``<?`` (markup that is
    not a tag); then it may be anything.  No ``<source`` after the tag at all settles this
    element and every later one.
    """
    at = body.find(" type='pty'")
    while at >= 0:
        end = body.find(">", at)
        if end < 0:
            return True
        if body[end - 1] != "/":
            src = body.find("<source", end)
            if src < 0:
                return False
            start = body.rfind("<", 0, at)
            name = body[start + 1 : body.find(" ", start)]
            close = body.find(f"</{name}>", end)
            if close < 0 or src < close:
                return True
            content = body[end:close]
            if f"<{name}" in content or "<!" in content or "<?" in content:
                return True
        at = body.find(" type='pty'", at + 11)
    return False


def strip_for_output(root: etree._Element, *, inactive: bool, secure: bool) -> etree._Element:
    """``root`` itself, or a copy without live-only state (``inactive``) and secrets (not
    ``secure``): the exact rules, for a dump :func:`may_strip` could not clear."""
    strip: list[_Strip] = []
    if inactive and _ANY_LIVE_ONLY(root) is True:
        strip += _LIVE_ONLY
    if not secure and _ANY_SECURE(root) is True:
        strip += _SECURE
    if not strip:
        return root
    clone = copy.deepcopy(root)
    for query, attr in strip:
        for el in select(query, clone):
            if attr is None:
                parent = el.getparent()
                if parent is not None:
                    parent.remove(el)
            elif attr in el.attrib:
                del el.attrib[attr]
    return clone
