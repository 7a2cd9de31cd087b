"""Node device calls (libvirt's node-device driver, as its test driver implements it).

``test:///default`` has ``computer`` and three SCSI hosts under it; a node file's ``<device>``
elements are loaded as they are written.  A listing's capability filter also matches nested
capabilities (a ``scsi_host`` with an ``fc_host`` inside is listed for FC_HOST, one with
``vport_ops`` for VPORTS), while :meth:`node_device_list_caps` names the top-level ones, as
libvirt 9.0 does.  The test driver cannot tell active devices from inactive ones, so the
ACTIVE/INACTIVE bits are refused with libvirt's words (``virsh nodedev-list`` fails there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyvirt.errors import ErrorDomain, InvalidArgumentError, NoNodeDeviceError, XMLError
from pyvirt.types import NODE_DEVICE_CAP_NAMES, NodeDeviceCap
from pyvirt_test import defaults
from pyvirt_test.sidetables import node_file_elements, side_table

if TYPE_CHECKING:
    from lxml import etree

    from pyvirt.uri import URI
    from pyvirt_test.state import NodeState

_CAP_FILTERS = NodeDeviceCap((1 << len(NODE_DEVICE_CAP_NAMES)) - 1)
_NESTED_BITS = {"fc_host": NodeDeviceCap.FC_HOST, "vport_ops": NodeDeviceCap.VPORTS}


class _Device:
    __slots__ = ("bits", "caps", "name", "parent", "xml")

    def __init__(self, name: str, parent: str | None, caps: list[str], bits: NodeDeviceCap, xml: str) -> None:
        self.name = name
        self.parent = parent
        self.caps = caps
        self.bits = bits
        self.xml = xml


class NodeDeviceTable:
    """A node's devices by name, in the order the node defines them."""

    def __init__(self, devices: dict[str, _Device]) -> None:
        self.devices = devices


class NodeDeviceCalls:
    """The node-device calls of :class:`~pyvirt_test.driver.TestConnection`."""

    _state: NodeState
    _shared: bool
    uri: URI

    def _devices(self) -> dict[str, _Device]:
        return side_table(self._state, NodeDeviceTable, self._load_devices).devices

    def _load_devices(self) -> NodeDeviceTable:
        from pyvirt.xml.parser import parse_document

        if self._shared:
            roots = [parse_document(xml, kind="device") for xml in defaults.NODE_DEVICE_XMLS]
        else:
            roots = node_file_elements(self.uri.path, "device")
        found: dict[str, _Device] = {}
        for root in roots:
            device = _device(root)
            found[device.name] = device
        return NodeDeviceTable(found)

    def _device(self, name: str) -> _Device:
        found = self._devices().get(name)
        if found is None:
            raise NoNodeDeviceError(
                f"Node device not found: no node device with matching name '{name}'", domain=ErrorDomain.TEST
            )
        return found

    def list_node_devices(self, caps: NodeDeviceCap) -> list[str]:
        refused = int(caps) & ~int(_CAP_FILTERS)
        if refused:
            raise InvalidArgumentError(
                f"unsupported flags (0x{refused:x}) in function testConnectListAllNodeDevices", domain=ErrorDomain.TEST
            )
        with self._state.lock:
            return [d.name for d in self._devices().values() if not caps or d.bits & caps]

    def node_device_lookup_by_name(self, name: str) -> str:
        with self._state.lock:
            return self._device(name).name

    def node_device_get_xml(self, name: str) -> str:
        with self._state.lock:
            return self._device(name).xml

    def node_device_get_parent(self, name: str) -> str | None:
        with self._state.lock:
            return self._device(name).parent

    def node_device_list_caps(self, name: str) -> list[str]:
        with self._state.lock:
            return list(self._device(name).caps)


def _device(root: etree._Element) -> _Device:
    """A ``<device>`` as the table keeps it: its document in libvirt's layout, its
    capabilities and the listing bits they (and the nested fc_host/vport_ops) give."""
    from pyvirt.xml.canonical import serialize

    if root.tag != "device":
        raise XMLError(f"XML error: expecting root element of 'device', not '{root.tag}'", domain=ErrorDomain.XML)
    name = (root.findtext("name") or "").strip()
    if not name:
        raise XMLError("XML error: no device name", domain=ErrorDomain.NODEDEV)
    parent = root.findtext("parent")
    caps: list[str] = []
    bits = NodeDeviceCap.NONE
    for cap in root.iterchildren("capability"):
        kind = cap.get("type", "")
        if kind not in NODE_DEVICE_CAP_NAMES:
            raise XMLError(f"XML error: unknown capability type '{kind}'", domain=ErrorDomain.NODEDEV)
        caps.append(kind)
        bits |= NodeDeviceCap.from_name(kind)
        for nested in cap.iterchildren("capability"):
            bits |= _NESTED_BITS.get(nested.get("type", ""), NodeDeviceCap.NONE)
    return _Device(name, parent.strip() if parent else None, caps, bits, serialize(root))
