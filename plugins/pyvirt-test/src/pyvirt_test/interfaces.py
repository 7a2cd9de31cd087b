"""Host interface calls (libvirt's interface driver, as its test driver implements it).

``test:///default`` has one interface, ``eth1``, up; a node file's ``<interface>`` elements are
loaded up too.  A defined interface starts down.  Documents are kept in libvirt's layout
(:func:`format_interface`), so a dump shows what ``virsh iface-dumpxml`` shows.  Errors are
libvirt 9.0's test driver's, flags included: its XML dump takes none, so ``inactive`` is
refused with "unsupported flags (0x1)".
"""

from __future__ import annotations

from pyvirt.errors import (
    ErrorCode,
    ErrorDomain,
    InvalidArgumentError,
    NoInterfaceError,
    OperationInvalidError,
    PyvirtError,
    XMLError,
)
from pyvirt.types import InterfaceRef, ListFilter
from pyvirt_test import defaults
from pyvirt_test.sidetables import node_file_elements, side_table

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from lxml import etree

    from pyvirt.uri import URI
    from pyvirt_test.state import NodeState

_TYPES = ("ethernet", "bridge", "bond", "vlan")
_START_MODES = ("none", "onboot", "hotplug")
_TOP_ORDER = ("start", "mtu", "protocol", "link")
_BY_TYPE = {"ethernet": ("mac",), "bridge": ("bridge",), "bond": ("bond",), "vlan": ("vlan",)}


class _Iface:
    __slots__ = ("active", "mac", "name", "xml")

    def __init__(self, name: str, mac: str, xml: str, active: bool) -> None:
        self.name = name
        self.mac = mac
        self.xml = xml
        self.active = active

    @property
    def ref(self) -> InterfaceRef:
        return InterfaceRef(self.name, self.mac)


class InterfaceTable:
    """A node's interfaces by name, and the copy an open change transaction rolls back to."""

    def __init__(self, ifaces: dict[str, _Iface]) -> None:
        self.ifaces = ifaces
        self.backup: dict[str, _Iface] | None = None


class InterfaceCalls:
    """The interface calls of :class:`~pyvirt_test.driver.TestConnection` (a mixin over its node)."""

    _state: NodeState
    _shared: bool
    uri: URI

    def _ifaces(self) -> InterfaceTable:
        return side_table(self._state, InterfaceTable, self._load_interfaces)

    def _load_interfaces(self) -> InterfaceTable:
        if self._shared:  # known without parsing: iface-list need not load lxml
            name, mac = defaults.INTERFACE_IDENTITY
            return InterfaceTable({name: _Iface(name, mac, defaults.INTERFACE_XML, active=True)})
        table: dict[str, _Iface] = {}
        for root in node_file_elements(self.uri.path, "interface"):
            name, mac, xml = format_interface(root)
            table[name] = _Iface(name, mac, xml, active=True)
        return InterfaceTable(table)

    def _iface(self, name: str) -> _Iface:
        found = self._ifaces().ifaces.get(name)
        if found is None:
            raise NoInterfaceError(
                f"Interface not found: no interface with matching name '{name}'", domain=ErrorDomain.TEST
            )
        return found

    def list_interfaces(self, filters: ListFilter) -> list[InterfaceRef]:
        want_active, want_inactive = bool(filters & ListFilter.ACTIVE), bool(filters & ListFilter.INACTIVE)
        with self._state.lock:
            found = self._ifaces().ifaces.values()
            return [obj.ref for obj in found if want_active == want_inactive or obj.active == want_active]

    def interface_lookup_by_name(self, name: str) -> InterfaceRef:
        with self._state.lock:
            return self._iface(name).ref

    def interface_lookup_by_mac(self, mac: str) -> InterfaceRef:
        with self._state.lock:
            found = [obj for obj in self._ifaces().ifaces.values() if obj.mac.lower() == mac.lower()]
        if not found:
            raise NoInterfaceError(
                f"Interface not found: no interface with matching mac '{mac}'", domain=ErrorDomain.TEST
            )
        if len(found) > 1:
            raise PyvirtError(
                "multiple matching interfaces found", code=ErrorCode.MULTIPLE_INTERFACES, domain=ErrorDomain.TEST
            )
        return found[0].ref

    def interface_define_xml(self, xml: str, validate: bool) -> InterfaceRef:
        name, mac, text = format_interface(_parse(xml))
        with self._state.lock:
            table = self._ifaces().ifaces
            old = table.get(name)
            table[name] = obj = _Iface(name, mac, text, active=old is not None and old.active)
            return obj.ref

    def interface_undefine(self, name: str) -> None:
        with self._state.lock:
            self._iface(name)
            del self._ifaces().ifaces[name]

    def interface_create(self, name: str) -> None:
        self._set_active(name, True)

    def interface_destroy(self, name: str) -> None:
        self._set_active(name, False)

    def _set_active(self, name: str, active: bool) -> None:
        with self._state.lock:
            obj = self._iface(name)
            if obj.active == active:
                raise OperationInvalidError("Requested operation is not valid", domain=ErrorDomain.TEST)
            obj.active = active

    def interface_get_xml(self, name: str, inactive: bool) -> str:
        if inactive:
            raise InvalidArgumentError(
                "unsupported flags (0x1) in function testInterfaceGetXMLDesc", domain=ErrorDomain.TEST
            )
        with self._state.lock:
            return self._iface(name).xml

    def interface_is_active(self, name: str) -> bool:
        with self._state.lock:
            return self._iface(name).active

    def interface_change_begin(self) -> None:
        with self._state.lock:
            table = self._ifaces()
            if table.backup is not None:
                raise OperationInvalidError(
                    "Requested operation is not valid: there is another transaction running.", domain=ErrorDomain.TEST
                )
            # libvirt's clone of the list keeps each definition but not its state: after a
            # rollback every interface is down (observed with libvirt 9.0's test driver).
            table.backup = {
                name: _Iface(obj.name, obj.mac, obj.xml, active=False) for name, obj in table.ifaces.items()
            }

    def interface_change_commit(self) -> None:
        with self._state.lock:
            table = self._ifaces()
            if table.backup is None:
                raise OperationInvalidError(
                    "Requested operation is not valid: no transaction running, nothing to be committed.",
                    domain=ErrorDomain.TEST,
                )
            table.backup = None

    def interface_change_rollback(self) -> None:
        with self._state.lock:
            table = self._ifaces()
            if table.backup is None:
                raise OperationInvalidError(
                    "Requested operation is not valid: no transaction running, nothing to rollback.",
                    domain=ErrorDomain.TEST,
                )
            table.ifaces, table.backup = table.backup, None


def _parse(xml: str) -> etree._Element:
    from pyvirt.xml.parser import parse_document

    return parse_document(xml, kind="interface")


def format_interface(root: etree._Element) -> tuple[str, str, str]:
    """(name, MAC, document in libvirt's layout) of an ``<interface>``, refused as libvirt's
    parser refuses it: unknown root, type or start mode, no name, an MTU over 100000."""
    from lxml import etree

    from pyvirt.xml.canonical import serialize

    if root.tag != "interface":
        raise _xml_error(f"expecting root element of 'interface', not '{root.tag}'", ErrorDomain.XML)
    kind = root.get("type")
    if kind is None:
        raise _xml_error("Missing required attribute 'type' in element 'interface'", ErrorDomain.XML)
    if kind not in _TYPES:
        raise _xml_error(f"Invalid value for attribute 'type' in element 'interface': '{kind}'.", ErrorDomain.XML)
    name = root.get("name")
    if name is None:
        raise _xml_error("interface has no name")
    start = root.find("start")
    if start is not None and start.get("mode") not in _START_MODES:
        raise _xml_error(f"unknown interface startmode {start.get('mode')}")
    mtu = root.find("mtu")
    size = mtu.get("size", "") if mtu is not None else "0"
    if not size.isdigit():
        raise _xml_error(f"Invalid value for attribute 'size' in element 'mtu': '{size}'.")
    if int(size) > 100000:
        raise _xml_error("value of the 'size' attribute of 'mtu' element must be at most 100000")
    import copy  # only a definition needs it, not listing

    out = etree.Element("interface", type=kind, name=name)
    for tag in (*_TOP_ORDER, *_BY_TYPE[kind]):
        for child in root.iterchildren(tag):
            out.append(copy.deepcopy(child))
    mac_el = root.find("mac") if kind == "ethernet" else None
    mac = mac_el.get("address", "") if mac_el is not None else ""
    import re  # only defining an interface needs it

    return name, mac, re.sub(_EMPTY_INTERFACE, r"\1<interface \2>\n\1</interface>", serialize(out), flags=re.MULTILINE)


_EMPTY_INTERFACE = r"^( *)<interface (type=[^>]*?)/>$"
"""libvirt prints an ``<interface type=...>`` (the document, or one enslaved in a bridge or bond)
as an open/close pair even when it has nothing inside (a VLAN's ``<interface name=...>`` stays
empty-element)."""


def _xml_error(message: str, domain: ErrorDomain = ErrorDomain.INTERFACE) -> XMLError:
    """libvirt's wording; generic XML checks report from the XML domain, the rest from interface's."""
    return XMLError(f"XML error: {message}", domain=domain)
