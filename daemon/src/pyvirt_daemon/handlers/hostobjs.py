"""Host interface and node device procedures, mapped onto :class:`pyvirt.Connection`'s calls.

Both kinds are named by name on the wire as in pyvirt, so no handler needs a lookup first.
Listing flags are libvirt's: VIR_CONNECT_LIST_INTERFACES_* (INACTIVE 1, ACTIVE 2) and
VIR_CONNECT_LIST_NODE_DEVICES_* (pyvirt's NodeDeviceCap has the same numbers).
"""

from __future__ import annotations

from pyvirt.interface import Interface
from pyvirt.nodedevice import NodeDevice
from pyvirt.remote import wire_values as wv
from pyvirt.remote.hostcalls import (
    IFACES_ACTIVE,
    IFACES_INACTIVE,
    INTERFACE_DEFINE_VALIDATE,
    INTERFACE_XML_INACTIVE,
    NODE_DEVICE_CREATE_VALIDATE,
)
from pyvirt.rpc import remote_protocol as rp
from pyvirt.types import InterfaceRef, ListFilter, NodeDeviceCap
from pyvirt_daemon.handlers.table import serves
from pyvirt_daemon.session import Session


def _wire(ref: Interface) -> rp.remote_nonnull_interface:
    return rp.remote_nonnull_interface(ref.name, ref.mac)


def _iface(s: Session, wire: rp.remote_nonnull_interface) -> Interface:
    return Interface(s.conn, InterfaceRef(wire.name, wire.mac))


def _ifaces(s: Session, flags: int, api: str) -> list[Interface]:
    wv.check_flags(flags, IFACES_ACTIVE | IFACES_INACTIVE, api)
    filters = (ListFilter.ACTIVE if flags & IFACES_ACTIVE else ListFilter.NONE) | (
        ListFilter.INACTIVE if flags & IFACES_INACTIVE else ListFilter.NONE
    )
    return s.conn.list_interfaces(filters)


@serves(rp.REMOTE_PROC_CONNECT_LIST_ALL_INTERFACES, "list_interfaces")
def list_all_interfaces(
    s: Session, args: rp.remote_connect_list_all_interfaces_args
) -> rp.remote_connect_list_all_interfaces_ret:
    found = _ifaces(s, args.flags, "virConnectListAllInterfaces")
    return rp.remote_connect_list_all_interfaces_ret([_wire(i) for i in found] if args.need_results else [], len(found))


@serves(rp.REMOTE_PROC_CONNECT_NUM_OF_INTERFACES, "list_interfaces")
def num_of_interfaces(s: Session, args: None) -> rp.remote_connect_num_of_interfaces_ret:
    return rp.remote_connect_num_of_interfaces_ret(len(s.conn.list_interfaces(ListFilter.ACTIVE)))


@serves(rp.REMOTE_PROC_CONNECT_LIST_INTERFACES, "list_interfaces")
def list_interfaces(s: Session, args: rp.remote_connect_list_interfaces_args) -> rp.remote_connect_list_interfaces_ret:
    names = [i.name for i in s.conn.list_interfaces(ListFilter.ACTIVE)]
    return rp.remote_connect_list_interfaces_ret(names[: max(args.maxnames, 0)])


@serves(rp.REMOTE_PROC_CONNECT_NUM_OF_DEFINED_INTERFACES, "list_interfaces")
def num_of_defined_interfaces(s: Session, args: None) -> rp.remote_connect_num_of_defined_interfaces_ret:
    return rp.remote_connect_num_of_defined_interfaces_ret(len(s.conn.list_interfaces(ListFilter.INACTIVE)))


@serves(rp.REMOTE_PROC_CONNECT_LIST_DEFINED_INTERFACES, "list_interfaces")
def list_defined_interfaces(
    s: Session, args: rp.remote_connect_list_defined_interfaces_args
) -> rp.remote_connect_list_defined_interfaces_ret:
    names = [i.name for i in s.conn.list_interfaces(ListFilter.INACTIVE)]
    return rp.remote_connect_list_defined_interfaces_ret(names[: max(args.maxnames, 0)])


@serves(rp.REMOTE_PROC_INTERFACE_LOOKUP_BY_NAME, "interface_lookup_by_name")
def lookup_by_name(s: Session, args: rp.remote_interface_lookup_by_name_args) -> rp.remote_interface_lookup_by_name_ret:
    return rp.remote_interface_lookup_by_name_ret(_wire(s.conn.lookup_interface_by_name(args.name)))


@serves(rp.REMOTE_PROC_INTERFACE_LOOKUP_BY_MAC_STRING, "interface_lookup_by_mac")
def lookup_by_mac(
    s: Session, args: rp.remote_interface_lookup_by_mac_string_args
) -> rp.remote_interface_lookup_by_mac_string_ret:
    return rp.remote_interface_lookup_by_mac_string_ret(_wire(s.conn.lookup_interface_by_mac(args.mac)))


@serves(rp.REMOTE_PROC_INTERFACE_GET_XML_DESC, "interface_get_xml")
def get_xml_desc(s: Session, args: rp.remote_interface_get_xml_desc_args) -> rp.remote_interface_get_xml_desc_ret:
    wv.check_flags(args.flags, INTERFACE_XML_INACTIVE, "virInterfaceGetXMLDesc")
    xml = _iface(s, args.iface).xml(inactive=bool(args.flags & INTERFACE_XML_INACTIVE))
    return rp.remote_interface_get_xml_desc_ret(xml)


@serves(rp.REMOTE_PROC_INTERFACE_DEFINE_XML, "interface_define_xml")
def define_xml(s: Session, args: rp.remote_interface_define_xml_args) -> rp.remote_interface_define_xml_ret:
    wv.check_flags(args.flags, INTERFACE_DEFINE_VALIDATE, "virInterfaceDefineXML")
    iface = s.conn.define_interface(args.xml, validate=bool(args.flags & INTERFACE_DEFINE_VALIDATE))
    return rp.remote_interface_define_xml_ret(_wire(iface))


@serves(rp.REMOTE_PROC_INTERFACE_UNDEFINE, "interface_undefine")
def undefine(s: Session, args: rp.remote_interface_undefine_args) -> None:
    _iface(s, args.iface).undefine()


@serves(rp.REMOTE_PROC_INTERFACE_CREATE, "interface_create")
def create(s: Session, args: rp.remote_interface_create_args) -> None:
    wv.check_flags(args.flags, 0, "virInterfaceCreate")
    _iface(s, args.iface).start()


@serves(rp.REMOTE_PROC_INTERFACE_DESTROY, "interface_destroy")
def destroy(s: Session, args: rp.remote_interface_destroy_args) -> None:
    wv.check_flags(args.flags, 0, "virInterfaceDestroy")
    _iface(s, args.iface).destroy()


@serves(rp.REMOTE_PROC_INTERFACE_IS_ACTIVE, "interface_is_active")
def is_active(s: Session, args: rp.remote_interface_is_active_args) -> rp.remote_interface_is_active_ret:
    return rp.remote_interface_is_active_ret(int(_iface(s, args.iface).is_active()))


@serves(rp.REMOTE_PROC_INTERFACE_CHANGE_BEGIN, "interface_change_begin")
def change_begin(s: Session, args: rp.remote_interface_change_begin_args) -> None:
    wv.check_flags(args.flags, 0, "virInterfaceChangeBegin")
    s.conn.interface_change_begin()


@serves(rp.REMOTE_PROC_INTERFACE_CHANGE_COMMIT, "interface_change_commit")
def change_commit(s: Session, args: rp.remote_interface_change_commit_args) -> None:
    wv.check_flags(args.flags, 0, "virInterfaceChangeCommit")
    s.conn.interface_change_commit()


@serves(rp.REMOTE_PROC_INTERFACE_CHANGE_ROLLBACK, "interface_change_rollback")
def change_rollback(s: Session, args: rp.remote_interface_change_rollback_args) -> None:
    wv.check_flags(args.flags, 0, "virInterfaceChangeRollback")
    s.conn.interface_change_rollback()


# -- node devices ------------------------------------------------------------------------------


def _named_devices(s: Session, cap: str | None) -> list[str]:
    """Names of the devices with capability ``cap`` (None: all); a name libvirt does not know
    matches nothing, as libvirt's virNodeListDevices answers it (an empty list, no error)."""
    if cap is None:
        return [d.name for d in s.conn.list_node_devices()]
    try:
        bits = NodeDeviceCap.from_name(cap)
    except KeyError:
        return []
    return [d.name for d in s.conn.list_node_devices(bits)]


@serves(rp.REMOTE_PROC_CONNECT_LIST_ALL_NODE_DEVICES, "list_node_devices")
def list_all_node_devices(
    s: Session, args: rp.remote_connect_list_all_node_devices_args
) -> rp.remote_connect_list_all_node_devices_ret:
    found = s.conn.list_node_devices(NodeDeviceCap(args.flags))
    wire = [rp.remote_nonnull_node_device(d.name) for d in found] if args.need_results else []
    return rp.remote_connect_list_all_node_devices_ret(wire, len(found))


@serves(rp.REMOTE_PROC_NODE_NUM_OF_DEVICES, "list_node_devices")
def num_of_devices(s: Session, args: rp.remote_node_num_of_devices_args) -> rp.remote_node_num_of_devices_ret:
    wv.check_flags(args.flags, 0, "virNodeNumOfDevices")
    return rp.remote_node_num_of_devices_ret(len(_named_devices(s, args.cap)))


@serves(rp.REMOTE_PROC_NODE_LIST_DEVICES, "list_node_devices")
def list_devices(s: Session, args: rp.remote_node_list_devices_args) -> rp.remote_node_list_devices_ret:
    wv.check_flags(args.flags, 0, "virNodeListDevices")
    return rp.remote_node_list_devices_ret(_named_devices(s, args.cap)[: max(args.maxnames, 0)])


@serves(rp.REMOTE_PROC_NODE_DEVICE_LOOKUP_BY_NAME, "node_device_lookup_by_name")
def device_lookup_by_name(
    s: Session, args: rp.remote_node_device_lookup_by_name_args
) -> rp.remote_node_device_lookup_by_name_ret:
    dev = s.conn.lookup_node_device_by_name(args.name)
    return rp.remote_node_device_lookup_by_name_ret(rp.remote_nonnull_node_device(dev.name))


@serves(rp.REMOTE_PROC_NODE_DEVICE_GET_XML_DESC, "node_device_get_xml")
def device_get_xml_desc(
    s: Session, args: rp.remote_node_device_get_xml_desc_args
) -> rp.remote_node_device_get_xml_desc_ret:
    wv.check_flags(args.flags, 0, "virNodeDeviceGetXMLDesc")
    return rp.remote_node_device_get_xml_desc_ret(NodeDevice(s.conn, args.name).xml())


@serves(rp.REMOTE_PROC_NODE_DEVICE_GET_PARENT, "node_device_get_parent")
def device_get_parent(s: Session, args: rp.remote_node_device_get_parent_args) -> rp.remote_node_device_get_parent_ret:
    return rp.remote_node_device_get_parent_ret(NodeDevice(s.conn, args.name).parent())


@serves(rp.REMOTE_PROC_NODE_DEVICE_NUM_OF_CAPS, "node_device_list_caps")
def device_num_of_caps(
    s: Session, args: rp.remote_node_device_num_of_caps_args
) -> rp.remote_node_device_num_of_caps_ret:
    return rp.remote_node_device_num_of_caps_ret(len(NodeDevice(s.conn, args.name).caps()))


@serves(rp.REMOTE_PROC_NODE_DEVICE_LIST_CAPS, "node_device_list_caps")
def device_list_caps(s: Session, args: rp.remote_node_device_list_caps_args) -> rp.remote_node_device_list_caps_ret:
    return rp.remote_node_device_list_caps_ret(NodeDevice(s.conn, args.name).caps()[: max(args.maxnames, 0)])


@serves(rp.REMOTE_PROC_NODE_DEVICE_CREATE_XML, "node_device_create_xml")
def device_create_xml(s: Session, args: rp.remote_node_device_create_xml_args) -> rp.remote_node_device_create_xml_ret:
    wv.check_flags(args.flags, NODE_DEVICE_CREATE_VALIDATE, "virNodeDeviceCreateXML")
    dev = s.conn.create_node_device(args.xml_desc, validate=bool(args.flags & NODE_DEVICE_CREATE_VALIDATE))
    return rp.remote_node_device_create_xml_ret(rp.remote_nonnull_node_device(dev.name))


@serves(rp.REMOTE_PROC_NODE_DEVICE_DESTROY, "node_device_destroy")
def device_destroy(s: Session, args: rp.remote_node_device_destroy_args) -> None:
    NodeDevice(s.conn, args.name).destroy()
