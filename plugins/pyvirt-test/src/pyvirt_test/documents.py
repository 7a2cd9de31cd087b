"""Documents read as libvirt's test driver reads them.

The test driver parses no XML namespace extension (it drops them all), gives a domain without
``arch`` the node's one guest architecture, and names interfaces without a target
``testnetN``.  XML models are imported here, lazily, the first time a document is parsed.
"""

from __future__ import annotations

from pyvirt.errors import ErrorDomain, InternalError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from lxml.etree import _Element

    from pyvirt.xml.defaults import Groups
    from pyvirt.xml.domain import DomainDef
    from pyvirt.xml.network import NetworkDef
    from pyvirt.xml.storagepool import PoolDef
    from pyvirt.xml.storagevol import VolDef


GUEST_ARCH = "i686"
"""The one guest architecture of the test node's capabilities (for hvm and xen guests)."""


MAX_INTERFACE_NAMES = 1024
"""libvirt's test driver names interfaces ``testnet0`` to ``testnet1023`` and no further."""


_NO_NAMESPACES: tuple[str, ...] = ()
"""libvirt's test driver parses no XML namespace extension, so it drops them all."""


def parse_domain(xml: str, validate: bool) -> DomainDef:
    model = _DOMAIN_MODEL or _load_domain_model()
    return model.from_xml(xml, validate=validate, namespaces=_namespaces_kept(xml), post_parse=_post_parse)


_DOMAIN_MODEL: type[DomainDef] | None = None
""":class:`~pyvirt.xml.domain.DomainDef` once loaded: an import statement run on every define
costs about 4k instructions."""


def _load_domain_model() -> type[DomainDef]:
    global _DOMAIN_MODEL, _made_element
    from pyvirt.xml.defaults import made
    from pyvirt.xml.domain import DomainDef

    _made_element = made
    _DOMAIN_MODEL = DomainDef
    return DomainDef


def _made_element(tag: str, **attrs: str) -> _Element:
    """:func:`pyvirt.xml.defaults.made` (a copy of a cached template: lxml checks the names of
    what it builds, not of what it copies), bound with the domain model on first use."""
    raise AssertionError("bound by _load_domain_model before any domain is parsed")


def _namespaces_kept(xml: str) -> tuple[str, ...] | None:
    """None (keep all, a step less) for a document that declares no namespace: then none of its
    elements is in a foreign one to drop (the ``xml:`` prefix needs no declaration).

    One scan for ``xml`` finds both ``xmlns`` and ``xml:``, and costs less than a scan for
    each (a medium document: 11.6k -> 8.5k instructions)."""
    if not isinstance(xml, str):
        return _NO_NAMESPACES
    at = xml.find("xml")
    while at != -1:
        if xml.startswith(_NAMESPACE_MARKS, at):
            return _NO_NAMESPACES
        at = xml.find("xml", at + 3)
    return None


_NAMESPACE_MARKS = ("xmlns", "xml:")


def _post_parse(dfn: DomainDef, groups: tuple[Groups, Groups]) -> None:
    """The test driver's own defaults: the node's architecture, then interface names.

    Both edit the tree of a model that :meth:`DomainDef.from_xml` has just built, before
    anything was formatted or bound, so neither calls :meth:`DomainDef.invalidate`."""
    top, devices = groups
    os_type = _os_type(dfn.root, top.get("os"))
    if os_type is not None and os_type.get("arch") is None:
        _default_arch(os_type)
    interfaces = devices.get("interface")
    if interfaces is not None:
        _name_interfaces(interfaces)


def _os_type(root: _Element, listed: list[_Element] | None) -> _Element | None:
    """``root.find("os/type")``: the first ``<os>`` is the one the parse listed, and its
    ``<type>`` comes first (the scan ends where lxml's tag search would only be set up)."""
    if listed is None:  # none in the document: the generic defaults may have added one
        return root.find("os/type")
    for sub in listed[0]:
        if sub.tag == "type":
            return sub
    return root.find("os/type")  # a later <os> may hold it


def _default_arch(os_type: _Element) -> None:
    """No ``arch``: the test node's only guest architecture (capabilities), as libvirt fills it.

    The ``<os><type>`` is looked up once, by the caller (each lookup from the root costs more
    than the rest of this step), and attributes are only re-set when there are others to
    follow ``arch``."""
    others = os_type.items()  # libvirt writes arch first, before machine
    if others:
        os_type.attrib.clear()
    os_type.set("arch", GUEST_ARCH)
    for key, value in others:
        os_type.set(key, value)


def _name_interfaces(interfaces: list[_Element]) -> None:
    """Give each interface without a name the first free ``testnetN``, as libvirt's test driver.

    The name is the ``dev`` of an interface's first ``<target>``; an empty one is a name too
    (libvirt keeps and prints ``dev=''``), and past ``testnet1023`` libvirt gives up.  Read and
    written in the tree directly, from the interfaces the parse listed: binding the model's
    interface views, or searching the tree again, would cost more than the naming.
    """
    used: set[str] = set()
    unnamed = []
    for iface in interfaces:
        target = None
        for child in iface:
            if child.tag == "target":
                target = child
                break
        name = None if target is None else target.get("dev")
        if name is None:
            unnamed.append((iface, target))
        else:
            used.add(name)
    counter = 0
    for iface, target in unnamed:
        while f"testnet{counter}" in used:
            counter += 1
        if counter >= MAX_INTERFACE_NAMES:
            raise InternalError(
                f"internal error: Exceeded max iface limit {MAX_INTERFACE_NAMES}", domain=ErrorDomain.TEST
            )
        name = f"testnet{counter}"
        used.add(name)
        if target is None:
            iface.append(_made_element("target", dev=name))
        else:
            target.set("dev", name)


def parse_default_domain(xml: str) -> DomainDef:
    return parse_domain(xml, False)


def parse_network(xml: str, validate: bool) -> NetworkDef:
    from pyvirt.xml.network import NetworkDef

    return NetworkDef.from_xml(xml, validate=validate, namespaces=_NO_NAMESPACES)


def parse_pool(xml: str, validate: bool) -> PoolDef:
    from pyvirt.xml.storagepool import PoolDef

    return PoolDef.from_xml(xml, validate=validate, namespaces=_NO_NAMESPACES)


def parse_volume(xml: str, pool: PoolDef, validate: bool) -> VolDef:
    from pyvirt.xml.storagevol import VolDef

    return VolDef.from_xml(xml, pool, validate=validate)
