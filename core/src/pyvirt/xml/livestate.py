"""What a domain dump leaves out: live-only state (``inactive``) and secrets (not ``secure``).

libvirt's formatter (virDomainDefFormatInternal and the device formatters it calls) skips
what only a running instance has when ``VIR_DOMAIN_XML_INACTIVE`` is set -- runtime source
indexes, block-job ``<mirror>``, port ids, resctrl ids, pty paths -- and never prints
passwords or cookies without ``VIR_DOMAIN_XML_SECURE``.  pyvirt keeps one tree, so a dump
removes them from a copy, in the few definitions that hold any.

Almost no definition holds any, and the exact queries (``//`` over the whole document) cost
more than formatting the dump.  So a dump is formatted first and :func:`may_strip` tells
by one cheap walk whether any rule can apply; only then does
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

    One walk of lxml's over the elements the rules select or test.  lxml's plain tag names
    match elements without a namespace only, as the queries' names do, and ``keys()`` names
    an attribute without one by its bare name, so each test below holds whenever its rule's
    query selects something:

    - ``source`` or ``backingStore`` with ``index``; ``source`` with ``portid`` or whose
      parent has ``type='pty'``;
    - any ``mirror``, ``cachetune``, ``memorytune`` (inactive) or ``cookies`` (not secure);
    - ``graphics`` with ``passwd``;
    - `` tty=`` in ``body`` (an attribute of one of four elements, each common: one search
      costs less than walking to them).
    """
    if not inactive and secure:
        return False
    for el in root.iter(*_TAGS[inactive, secure]):
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
