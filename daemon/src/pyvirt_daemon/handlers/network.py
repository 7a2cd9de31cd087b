"""Network procedures, mapped onto :class:`pyvirt.Network` (handles built from wire refs)."""

from __future__ import annotations

import pyvirt
from pyvirt.remote import wire_values as wv
from pyvirt.rpc import remote_protocol as rp
from pyvirt.types import NetworkRef
from pyvirt_daemon.handlers.table import handles
from pyvirt_daemon.session import Session


def _net(s: Session, wire: rp.remote_nonnull_network) -> pyvirt.Network:
    return pyvirt.Network(s.conn, wv.network_from_wire(wire))


def _ret(net: pyvirt.Network) -> rp.remote_nonnull_network:
    return wv.network_to_wire(NetworkRef(net.name, net.uuid))


@handles(rp.REMOTE_PROC_NETWORK_LOOKUP_BY_NAME)
def lookup_by_name(s: Session, args: rp.remote_network_lookup_by_name_args) -> rp.remote_network_lookup_by_name_ret:
    return rp.remote_network_lookup_by_name_ret(_ret(s.conn.lookup_network_by_name(args.name)))


@handles(rp.REMOTE_PROC_NETWORK_LOOKUP_BY_UUID)
def lookup_by_uuid(s: Session, args: rp.remote_network_lookup_by_uuid_args) -> rp.remote_network_lookup_by_uuid_ret:
    return rp.remote_network_lookup_by_uuid_ret(_ret(s.conn.lookup_network_by_uuid(wv.uuid_from_wire(args.uuid))))


@handles(rp.REMOTE_PROC_NETWORK_DEFINE_XML)
def define_xml(s: Session, args: rp.remote_network_define_xml_args) -> rp.remote_network_define_xml_ret:
    return rp.remote_network_define_xml_ret(_ret(s.conn.define_network(args.xml)))


@handles(rp.REMOTE_PROC_NETWORK_DEFINE_XML_FLAGS)
def define_xml_flags(
    s: Session, args: rp.remote_network_define_xml_flags_args
) -> rp.remote_network_define_xml_flags_ret:
    wv.check_flags(args.flags, wv.NETWORK_DEFINE_VALIDATE, "virNetworkDefineXMLFlags")
    net = s.conn.define_network(args.xml, validate=bool(args.flags & wv.NETWORK_DEFINE_VALIDATE))
    return rp.remote_network_define_xml_flags_ret(_ret(net))


@handles(rp.REMOTE_PROC_NETWORK_CREATE_XML)
def create_xml(s: Session, args: rp.remote_network_create_xml_args) -> rp.remote_network_create_xml_ret:
    return rp.remote_network_create_xml_ret(_ret(s.conn.create_network(args.xml)))


@handles(rp.REMOTE_PROC_NETWORK_CREATE_XML_FLAGS)
def create_xml_flags(
    s: Session, args: rp.remote_network_create_xml_flags_args
) -> rp.remote_network_create_xml_flags_ret:
    wv.check_flags(args.flags, wv.NETWORK_CREATE_VALIDATE, "virNetworkCreateXMLFlags")
    net = s.conn.create_network(args.xml, validate=bool(args.flags & wv.NETWORK_CREATE_VALIDATE))
    return rp.remote_network_create_xml_flags_ret(_ret(net))


@handles(rp.REMOTE_PROC_NETWORK_CREATE)
def create(s: Session, args: rp.remote_network_create_args) -> None:
    _net(s, args.net).start()


@handles(rp.REMOTE_PROC_NETWORK_DESTROY)
def destroy(s: Session, args: rp.remote_network_destroy_args) -> None:
    _net(s, args.net).destroy()


@handles(rp.REMOTE_PROC_NETWORK_UNDEFINE)
def undefine(s: Session, args: rp.remote_network_undefine_args) -> None:
    _net(s, args.net).undefine()


@handles(rp.REMOTE_PROC_NETWORK_GET_XML_DESC)
def get_xml_desc(s: Session, args: rp.remote_network_get_xml_desc_args) -> rp.remote_network_get_xml_desc_ret:
    wv.check_flags(args.flags, wv.NETWORK_XML_INACTIVE, "virNetworkGetXMLDesc")
    return rp.remote_network_get_xml_desc_ret(
        _net(s, args.net).xml(inactive=bool(args.flags & wv.NETWORK_XML_INACTIVE))
    )


@handles(rp.REMOTE_PROC_NETWORK_IS_ACTIVE)
def is_active(s: Session, args: rp.remote_network_is_active_args) -> rp.remote_network_is_active_ret:
    return rp.remote_network_is_active_ret(int(_net(s, args.net).is_active()))


@handles(rp.REMOTE_PROC_NETWORK_IS_PERSISTENT)
def is_persistent(s: Session, args: rp.remote_network_is_persistent_args) -> rp.remote_network_is_persistent_ret:
    return rp.remote_network_is_persistent_ret(int(_net(s, args.net).is_persistent()))


@handles(rp.REMOTE_PROC_NETWORK_GET_AUTOSTART)
def get_autostart(s: Session, args: rp.remote_network_get_autostart_args) -> rp.remote_network_get_autostart_ret:
    return rp.remote_network_get_autostart_ret(int(_net(s, args.net).autostart))


@handles(rp.REMOTE_PROC_NETWORK_SET_AUTOSTART)
def set_autostart(s: Session, args: rp.remote_network_set_autostart_args) -> None:
    _net(s, args.net).set_autostart(bool(args.autostart))


@handles(rp.REMOTE_PROC_NETWORK_GET_BRIDGE_NAME)
def bridge_name(s: Session, args: rp.remote_network_get_bridge_name_args) -> rp.remote_network_get_bridge_name_ret:
    return rp.remote_network_get_bridge_name_ret(_net(s, args.net).bridge_name())
