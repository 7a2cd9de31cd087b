"""The values libvirt's domain parser assumes for attributes a document leaves out, and what
it requires once those values are known.

libvirt reads most enumerated attributes with "the enum's first value" as default: a
``<controller>`` without ``type`` is an IDE controller, an ``<interface>`` without ``type`` a
user-mode one, a ``<hostdev>`` without ``mode`` a subsystem one, a ``<clock>`` without
``offset`` a UTC clock.  Documents other tools write (sparse, relying on those defaults) and
documents with an attribute lost show the difference, and the checks that follow (a model
known for the controller type, the ``<source>`` an interface type needs) only make sense on
the completed values -- so these are filled in on the tree before
:func:`pyvirt.xml.checks.check_domain` reads it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lxml import etree

from pyvirt.errors import ErrorCode, XMLError
from pyvirt.xml.parser import children, line_of, select

Groups = dict[str, list[etree._Element]]

_CONTROLLER_MODELS: dict[str, frozenset[str]] = {
    "ide": frozenset(("piix3", "piix4", "ich6")),
    "scsi": frozenset(
        (
            "auto",
            "buslogic",
            "lsilogic",
            "lsisas1068",
            "vmpvscsi",
            "ibmvscsi",
            "virtio-scsi",
            "lsisas1078",
            "virtio-transitional",
            "virtio-non-transitional",
            "ncr53c90",
            "dc390",
            "am53c974",
        )
    ),
    "usb": frozenset(
        (
            "piix3-uhci",
            "piix4-uhci",
            "ehci",
            "ich9-ehci1",
            "ich9-uhci1",
            "ich9-uhci2",
            "ich9-uhci3",
            "vt82c686b-uhci",
            "pci-ohci",
            "nec-xhci",
            "qusb1",
            "qusb2",
            "qemu-xhci",
            "none",
        )
    ),
    "pci": frozenset(
        (
            "pci-root",
            "pcie-root",
            "pci-bridge",
            "dmi-to-pci-bridge",
            "pcie-to-pci-bridge",
            "pcie-root-port",
            "pcie-switch-upstream-port",
            "pcie-switch-downstream-port",
            "pci-expander-bus",
            "pcie-expander-bus",
        )
    ),
    "virtio-serial": frozenset(("virtio", "virtio-transitional", "virtio-non-transitional")),
}
"""virDomainControllerModelTypeFromString: the models each controller type knows; the other
types (fdc, sata, ccid, xenbus, isa) know none, so any ``model`` on them is refused."""

_NET_SOURCE_ATTRS: dict[str, tuple[str, ...]] = {
    "network": ("network",),
    "vds": ("switchid", "portid", "portgroupid", "connectionid"),
    "internal": ("name",),
    "bridge": ("bridge",),
    "direct": ("dev",),
    "vhostuser": ("type",),
    "vdpa": ("dev",),
    "client": ("address", "port"),
    "mcast": ("address", "port"),
    "udp": ("address", "port"),
    "server": ("port",),
}
"""virDomainNetDefParseXML: the ``<source>`` attributes each interface type cannot do without,
in the order it reads them (the first missing one is reported)."""


def _required(el: etree._Element, attr: str) -> None:
    if el.get(attr) is None:
        raise XMLError(f"XML error: Missing required attribute '{attr}' in element '{el.tag}'", line=line_of(el))


def fill_domain(
    top: Groups, devices: Groups, sources: Mapping[etree._Element | None, list[etree._Element]]
) -> list[str]:
    """Write libvirt's implied enum values into the document, refusing what they make invalid.

    ``top``/``devices``: the children of ``<domain>`` and ``<devices>`` by tag; ``sources``: the
    ``<source>`` children of every element under ``<devices>`` that has any (in document order),
    when the document has interfaces or host devices -- most interfaces have none to look at.
    Returns the interfaces' types, completed, in the order of ``devices["interface"]``: the
    checks that follow pick interfaces by type, and reading each again would cost as much.
    """
    for clock in top.get("clock", ()):
        _clock(clock)
    for ctrl in devices.get("controller", ()):
        ctype = ctrl.get("type")
        if ctype is None:
            ctype = "ide"
            ctrl.set("type", ctype)
        model = ctrl.get("model")
        if model is not None and model not in _CONTROLLER_MODELS.get(ctype, ()):
            line = line_of(ctrl)
            raise XMLError(
                f"unsupported configuration: Unknown model type '{model}'"
                + (f" (line {line})" if line is not None else ""),
                line=line,
                code=ErrorCode.CONFIG_UNSUPPORTED,
            )
    types: list[str] = []
    for iface in devices.get("interface", ()):
        itype = iface.get("type")
        if itype is None:
            itype = "user"
            iface.set("type", itype)
        types.append(itype)
        if itype in _NET_SOURCE_ATTRS or (itype in ("user", "hostdev") and iface in sources):
            _interface(iface, itype, sources.get(iface, ()))
        elif itype == "hostdev":
            raise XMLError("XML error: missing source address type", line=line_of(iface))
    for hostdev in devices.get("hostdev", ()):
        if hostdev.get("mode") is None:
            hostdev.set("mode", "subsystem")
        if hostdev not in sources:
            raise XMLError("XML error: Missing <source> element in hostdev device", line=line_of(hostdev))
    return types


def _clock(clock: etree._Element) -> None:
    """virDomainDefClockParse: UTC when ``offset`` is missing; a variable clock's adjustment is
    0 and its basis UTC unless given; timezone and absolute clocks need their value."""
    offset = clock.get("offset")
    if offset is None:
        offset = "utc"
        clock.set("offset", offset)
    if offset == "variable":
        if clock.get("adjustment") is None:
            clock.set("adjustment", "0")
        if clock.get("basis") is None:
            clock.set("basis", "utc")
    elif offset == "timezone" and clock.get("timezone") is None:
        raise XMLError(
            "internal error: missing 'timezone' attribute for clock with offset='timezone'",
            line=line_of(clock),
            code=ErrorCode.INTERNAL_ERROR,
        )
    elif offset == "absolute" and clock.get("start") is None:
        raise XMLError(
            "internal error: missing 'start' attribute for clock with offset='absolute'",
            line=line_of(clock),
            code=ErrorCode.INTERNAL_ERROR,
        )


def _interface(iface: etree._Element, itype: str, sources: Sequence[etree._Element]) -> None:
    """virDomainNetDefParseXML: the types that connect somewhere need a ``<source>`` naming it
    (``itype``: the interface's type, ``sources``: its ``<source>`` children); a user NIC's
    parser reads only source/@dev; a host device NIC's source address type says what kind of
    device it is (USB when it names a vendor)."""
    if itype == "user":
        for user_source in sources:
            for name in [a for a in user_source.attrib if a != "dev"]:
                del user_source.attrib[name]
            if not user_source.attrib and len(user_source) == 0:
                iface.remove(user_source)
        return
    if itype == "hostdev":
        _hostdev_nic(iface, sources)
        return
    if not sources:
        raise XMLError(f"XML error: interface type='{itype}' requires a 'source' element", line=line_of(iface))
    source = sources[0]
    for attr in _NET_SOURCE_ATTRS[itype]:
        _required(source, attr)
    if itype == "vhostuser":
        if source.get("type") != "unix":
            raise XMLError(
                f"unsupported configuration: Type='{source.get('type')}' unsupported for <interface type='vhostuser'>",
                line=line_of(source),
                code=ErrorCode.CONFIG_UNSUPPORTED,
            )
        _required(source, "path")
    elif itype == "udp":
        local = source.find("local")
        if local is None:
            raise XMLError("XML error: '<local>' element missing for 'udp' socket interface", line=line_of(source))
        _required(local, "address")
        _required(local, "port")
    elif itype == "direct" and source.get("mode") is None:
        source.set("mode", "vepa")  # virXMLPropEnumDefault: VIR_NETDEV_MACVLAN_MODE_VEPA


def _hostdev_nic(iface: etree._Element, sources: Sequence[etree._Element]) -> None:
    """virDomainNetDefParseXML's hostdev case: the type comes from ``source/address/@type``, or
    is USB when the source names a vendor; virDomainHostdevDefParseXMLSubsys refuses it missing."""
    kind = None
    vendor = False
    for source in sources:
        for child in source:
            if child.tag == "address" and kind is None:
                kind = child.get("type")
            elif child.tag == "vendor":
                vendor = True
    if kind is None and not vendor:
        raise XMLError("XML error: missing source address type", line=line_of(iface))


_EMPTY_TOP = ("features", "cputune", "idmap", "numatune")
_EMPTY_NESTED = (
    ("memoryBacking", ("allocation", "access")),
    ("os", ("bootmenu",)),
    ("pm", ("suspend-to-mem", "suspend-to-disk")),
)
"""``<domain>``'s children, and children of its children, dropped when bare; then the parents
``memoryBacking`` and ``pm`` themselves (an interface's model and driver and a disk's source are
dropped by the defaults, which visit those devices anyway)."""
_EMPTY_NETWORK = etree.XPath("dns | domain | bridge | ip/dhcp | portgroup/virtualport | virtualport")
_EMPTY_POOL = etree.XPath("source/protocol | source/product | source/vendor")


def _bare(el: etree._Element) -> bool:
    return not el.attrib and len(el) == 0 and not (el.text or "").strip()


def _drop_empty(root: etree._Element, paths: etree.XPath) -> None:
    for el in select(paths, root):
        parent = el.getparent()
        if parent is not None and _bare(el):
            parent.remove(el)


def drop_empty_domain(root: etree._Element, top: Groups) -> None:
    """Elements libvirt knows only through their attributes or children: written bare they set
    nothing, so libvirt's formatter (which prints values, not the document) leaves them out.

    ``top``: ``<domain>``'s children by tag as parsed (none of these is added since)."""
    for tag in _EMPTY_TOP:
        for el in top.get(tag, ()):
            # these usually have children: counting them settles it before the attributes are read
            if len(el) == 0 and _bare(el) and el.getparent() is root:
                root.remove(el)
    for tag, empty_tags in _EMPTY_NESTED:
        for parent in top.get(tag, ()):
            # the children as a slice, tags compared here: lxml's tag matcher costs more to set
            # up than these few children cost to look at
            for el in children(parent):
                if el.tag in empty_tags and _bare(el):
                    parent.remove(el)
            if tag != "os" and len(parent) == 0 and _bare(parent) and parent.getparent() is root:
                root.remove(parent)


def drop_empty_network(root: etree._Element) -> None:
    """As :func:`drop_empty_domain`, for a network's bare ``<dns/>``, ``<domain/>``, ``<bridge/>``,
    ``<dhcp/>`` and ``<virtualport/>``."""
    _drop_empty(root, _EMPTY_NETWORK)


def drop_empty_pool(root: etree._Element) -> None:
    """As :func:`drop_empty_domain`, for a pool source's bare ``<protocol/>``, ``<product/>``, ``<vendor/>``."""
    _drop_empty(root, _EMPTY_POOL)
