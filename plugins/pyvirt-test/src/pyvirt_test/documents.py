"""Documents read as libvirt's test driver reads them.

The test driver parses no XML namespace extension (it drops them all), gives a domain without
``arch`` the node's one guest architecture, and names interfaces without a target
``testnetN``.  XML models are imported here, lazily, the first time a document is parsed.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from pyvirt.xml.domain import DomainDef
    from pyvirt.xml.network import NetworkDef
    from pyvirt.xml.storagepool import PoolDef
    from pyvirt.xml.storagevol import VolDef


GUEST_ARCH = "i686"
"""The one guest architecture of the test node's capabilities (for hvm and xen guests)."""


_NO_NAMESPACES: tuple[str, ...] = ()
"""libvirt's test driver parses no XML namespace extension, so it drops them all."""


def parse_domain(xml: str, validate: bool) -> DomainDef:
    from pyvirt.xml.domain import DomainDef

    dfn = DomainDef.from_xml(xml, validate=validate, namespaces=_NO_NAMESPACES)
    if dfn.arch is None:
        _default_arch(dfn)
    _name_interfaces(dfn)
    return dfn


def _default_arch(dfn: DomainDef) -> None:
    """No ``arch``: the test node's only guest architecture (capabilities), as libvirt fills it."""
    os_type = dfn.root.find("os/type")
    if os_type is None:
        return
    others = list(os_type.attrib.items())  # libvirt writes arch first, before machine
    os_type.attrib.clear()
    os_type.set("arch", GUEST_ARCH)
    for key, value in others:
        os_type.set(key, value)
    dfn.invalidate()


def _name_interfaces(dfn: DomainDef) -> None:
    """Give each interface without a target the first free ``testnetN``, as libvirt's test driver."""
    interfaces = dfn.interfaces
    if not interfaces:
        return
    used = {iface.target_dev for iface in interfaces if iface.target_dev}
    counter = 0
    for iface in interfaces:
        if iface.target_dev:
            continue
        while f"testnet{counter}" in used:
            counter += 1
        name = f"testnet{counter}"
        iface.target_dev = name
        used.add(name)


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
