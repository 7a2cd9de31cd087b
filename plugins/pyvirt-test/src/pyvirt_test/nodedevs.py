"""Node device calls (libvirt's node-device driver, as its test driver implements it).

``test:///default`` has ``computer`` and three SCSI hosts under it; a node file's ``<device>``
elements are loaded as they are written.  A listing's capability filter also matches nested
capabilities (a ``scsi_host`` with an ``fc_host`` inside is listed for FC_HOST, one with
``vport_ops`` for VPORTS), while :meth:`node_device_list_caps` names the top-level ones, as
libvirt 9.0 does.  The test driver cannot tell active devices from inactive ones, so the
ACTIVE/INACTIVE bits are refused with libvirt's words (``virsh nodedev-list`` fails there).
"""

from __future__ import annotations

from pyvirt.errors import ErrorDomain, InternalError, InvalidArgumentError, NoNodeDeviceError, XMLError
from pyvirt_test import defaults
from pyvirt_test.sidetables import node_file_elements, side_table

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:  # the capability flags load on first use (pyvirt.types.nodedev): only these calls need them
    from lxml import etree

    from pyvirt.types import NodeDeviceCap
    from pyvirt.uri import URI
    from pyvirt_test.state import NodeState


def _nested_bits() -> dict[str, NodeDeviceCap]:
    """The listing bits a nested capability adds to its device's."""
    from pyvirt.types import NodeDeviceCap

    return {"fc_host": NodeDeviceCap.FC_HOST, "vport_ops": NodeDeviceCap.VPORTS}


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
        from pyvirt.types import NodeDeviceCap

        found: dict[str, _Device] = {}
        if self._shared:  # known without parsing: listing and dumps need not load lxml
            for (name, parent, caps, nested), xml in zip(
                defaults.NODE_DEVICE_FACTS, defaults.NODE_DEVICE_XMLS, strict=True
            ):
                bits = NodeDeviceCap.NONE
                for cap in caps:
                    bits |= NodeDeviceCap.from_name(cap)
                for cap in nested:
                    bits |= _nested_bits()[cap]
                found[name] = _Device(name, parent, list(caps), bits, xml)
            return NodeDeviceTable(found)
        for root in node_file_elements(self.uri.path, "device"):
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
        from pyvirt.types import NODE_DEVICE_CAP_NAMES

        refused = int(caps) & ~((1 << len(NODE_DEVICE_CAP_NAMES)) - 1)
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

    def node_device_create_xml(self, xml: str, validate: bool) -> str:
        """libvirt's mock of a vHBA: the document must name FC WWNs and a vport-capable
        parent; the new device is a copy of ``scsi_host11`` named ``scsi_host12`` with those
        WWNs (host number and parent stay scsi_host11's, as libvirt 9.0's mock leaves them)."""
        from lxml import etree

        from pyvirt.xml.canonical import serialize
        from pyvirt.xml.parser import parse_document

        root = parse_document(xml, kind="device")
        if root.tag != "device":
            raise XMLError(f"XML error: expecting root element of 'device', not '{root.tag}'", domain=ErrorDomain.XML)
        label = (root.findtext("name") or "").strip() or "new device"
        fc_host = root.find("capability[@type='scsi_host']/capability[@type='fc_host']")
        if fc_host is None:
            raise InternalError("internal error: Device is not a fibre channel HBA", domain=ErrorDomain.NODEDEV)
        wwns = []
        for tag in ("wwnn", "wwpn"):
            value = (fc_host.findtext(tag) or "").strip()
            if not value:
                raise InternalError(
                    f"internal error: no {tag.upper()} supplied for '{label}', and auto-generation failed",
                    domain=ErrorDomain.NODEDEV,
                )
            wwns.append(value)
        with self._state.lock:
            devices = self._devices()
            self._vport_parent(devices, (root.findtext("parent") or "").strip() or None, label)
            model = devices.get("scsi_host11")
            if model is None:
                raise NoNodeDeviceError(
                    "Node device not found: no node device with matching name 'scsi_host11'", domain=ErrorDomain.TEST
                )
            copy = etree.fromstring(model.xml.encode())
            name_el = copy.find("name")
            assert name_el is not None
            name_el.text = "scsi_host12"
            copied_fc = copy.find("capability[@type='scsi_host']/capability[@type='fc_host']")
            if copied_fc is not None:
                for tag, value in zip(("wwnn", "wwpn"), wwns, strict=True):
                    found = copied_fc.find(tag)
                    if found is not None:
                        found.text = value
            device = _device(etree.fromstring(serialize(copy).encode()))
            devices[device.name] = device
            return device.name

    def _vport_parent(self, devices: dict[str, _Device], parent: str | None, label: str) -> _Device:
        """The parent host a vHBA is created on (virNodeDeviceObjListGetParentHost)."""
        from pyvirt.types import NodeDeviceCap

        if parent is None:
            for device in devices.values():
                if device.bits & NodeDeviceCap.VPORTS:
                    return device
            raise InternalError("internal error: Could not find any vport capable device", domain=ErrorDomain.NODEDEV)
        found = devices.get(parent)
        if found is None:
            raise InternalError(
                f"internal error: Could not find parent device for '{label}'", domain=ErrorDomain.NODEDEV
            )
        if not found.bits & NodeDeviceCap.VPORTS:
            raise InternalError(
                f"internal error: Parent device {parent} is not capable of vport operations",
                domain=ErrorDomain.NODEDEV,
            )
        return found

    def node_device_destroy(self, name: str) -> None:
        """Remove a vHBA.  A device without FC WWNs is left in place and the call succeeds, as
        libvirt 9.0's test driver does (it reports the problem but returns success)."""
        from pyvirt.types import NodeDeviceCap

        with self._state.lock:
            device = self._device(name)
            if not device.bits & NodeDeviceCap.FC_HOST:
                return
            if device.parent is None or device.parent not in self._devices():
                raise InternalError(
                    f"internal error: cannot find parent '{device.parent}' definition", domain=ErrorDomain.TEST
                )
            del self._devices()[name]


def _device(root: etree._Element) -> _Device:
    """A ``<device>`` as the table keeps it: its document in libvirt's layout, its
    capabilities and the listing bits they (and the nested fc_host/vport_ops) give."""
    from pyvirt.types import NODE_DEVICE_CAP_NAMES, NodeDeviceCap
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
            bits |= _nested_bits().get(nested.get("type", ""), NodeDeviceCap.NONE)
    return _Device(name, parent.strip() if parent else None, caps, bits, serialize(root))
