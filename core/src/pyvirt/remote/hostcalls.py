"""The remote driver's calls for host interfaces, node devices, scheduler parameters,
screenshots and checkpoints: one procedure of libvirt's remote program each, with libvirt's
flag numbers, so pyvirtd and libvirtd serve them alike.

A mixin of :class:`~pyvirt.remote.driver.RemoteConnection`: it uses the connection's ``_call``,
``_client`` and ``_dom`` (domain UUID -> wire identity).  Interfaces and node devices are named
by name on the wire as in pyvirt's interface, so they need no identity cache.
"""

from __future__ import annotations

from collections.abc import Callable

from pyvirt.rpc import remote_protocol as rp
from pyvirt.types import InterfaceRef, ListFilter, ModifyScope

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:  # values pyvirt.types loads on first use: imported where a call needs them
    from typing import Any

    from pyvirt.remote.client import RPCClient
    from pyvirt.stream import DriverStream
    from pyvirt.types import (
        CheckpointCreateFlags,
        CheckpointDeleteFlags,
        CheckpointListFlags,
        CheckpointXMLFlags,
        NodeDeviceCap,
        TypedParam,
    )

IFACES_INACTIVE, IFACES_ACTIVE = 1, 2
"""libvirt's VIR_CONNECT_LIST_INTERFACES_INACTIVE / _ACTIVE."""
INTERFACE_XML_INACTIVE = 1
INTERFACE_DEFINE_VALIDATE = 1
NODE_DEVICE_CREATE_VALIDATE = 1


def interface_filter_to_wire(filters: ListFilter) -> int:
    return (IFACES_ACTIVE if filters & ListFilter.ACTIVE else 0) | (
        IFACES_INACTIVE if filters & ListFilter.INACTIVE else 0
    )


def typed_to_wire(params: list[TypedParam]) -> list[rp.remote_typed_param]:
    return [rp.remote_typed_param(p.field, (int(p.type), p.value)) for p in params]


def typed_from_wire(params: list[rp.remote_typed_param]) -> list[TypedParam]:
    from pyvirt.types import TypedParam, TypedParamType

    found = []
    for param in params:
        kind, value = param.value
        found.append(TypedParam(param.field, TypedParamType(kind), value))
    return found


class HostObjectCalls:
    """Interface, node-device, scheduler, screenshot and checkpoint calls over the wire."""

    if TYPE_CHECKING:
        _call: Callable[..., Any]
        _client: RPCClient

        def _dom(self, uuid: str) -> rp.remote_nonnull_domain: ...

    # -- host interfaces ------------------------------------------------------------------

    def _iface(self, name: str) -> rp.remote_nonnull_interface:
        return rp.remote_nonnull_interface(name, "")

    def list_interfaces(self, filters: ListFilter) -> list[InterfaceRef]:
        args = rp.remote_connect_list_all_interfaces_args(1, interface_filter_to_wire(filters))
        ifaces = self._call(rp.REMOTE_PROC_CONNECT_LIST_ALL_INTERFACES, args).ifaces
        return [InterfaceRef(i.name, i.mac) for i in ifaces]

    def interface_lookup_by_name(self, name: str) -> InterfaceRef:
        args = rp.remote_interface_lookup_by_name_args(name)
        iface = self._call(rp.REMOTE_PROC_INTERFACE_LOOKUP_BY_NAME, args).iface
        return InterfaceRef(iface.name, iface.mac)

    def interface_lookup_by_mac(self, mac: str) -> InterfaceRef:
        args = rp.remote_interface_lookup_by_mac_string_args(mac)
        iface = self._call(rp.REMOTE_PROC_INTERFACE_LOOKUP_BY_MAC_STRING, args).iface
        return InterfaceRef(iface.name, iface.mac)

    def interface_define_xml(self, xml: str, validate: bool) -> InterfaceRef:
        args = rp.remote_interface_define_xml_args(xml, INTERFACE_DEFINE_VALIDATE if validate else 0)
        iface = self._call(rp.REMOTE_PROC_INTERFACE_DEFINE_XML, args).iface
        return InterfaceRef(iface.name, iface.mac)

    def interface_undefine(self, name: str) -> None:
        self._call(rp.REMOTE_PROC_INTERFACE_UNDEFINE, rp.remote_interface_undefine_args(self._iface(name)))

    def interface_create(self, name: str) -> None:
        self._call(rp.REMOTE_PROC_INTERFACE_CREATE, rp.remote_interface_create_args(self._iface(name), 0))

    def interface_destroy(self, name: str) -> None:
        self._call(rp.REMOTE_PROC_INTERFACE_DESTROY, rp.remote_interface_destroy_args(self._iface(name), 0))

    def interface_get_xml(self, name: str, inactive: bool) -> str:
        flags = INTERFACE_XML_INACTIVE if inactive else 0
        args = rp.remote_interface_get_xml_desc_args(self._iface(name), flags)
        xml: str = self._call(rp.REMOTE_PROC_INTERFACE_GET_XML_DESC, args).xml
        return xml

    def interface_is_active(self, name: str) -> bool:
        args = rp.remote_interface_is_active_args(self._iface(name))
        return bool(self._call(rp.REMOTE_PROC_INTERFACE_IS_ACTIVE, args).active)

    def interface_change_begin(self) -> None:
        self._call(rp.REMOTE_PROC_INTERFACE_CHANGE_BEGIN, rp.remote_interface_change_begin_args(0))

    def interface_change_commit(self) -> None:
        self._call(rp.REMOTE_PROC_INTERFACE_CHANGE_COMMIT, rp.remote_interface_change_commit_args(0))

    def interface_change_rollback(self) -> None:
        self._call(rp.REMOTE_PROC_INTERFACE_CHANGE_ROLLBACK, rp.remote_interface_change_rollback_args(0))

    # -- node devices -----------------------------------------------------------------------

    def list_node_devices(self, caps: NodeDeviceCap) -> list[str]:
        args = rp.remote_connect_list_all_node_devices_args(1, int(caps))
        return [d.name for d in self._call(rp.REMOTE_PROC_CONNECT_LIST_ALL_NODE_DEVICES, args).devices]

    def node_device_lookup_by_name(self, name: str) -> str:
        args = rp.remote_node_device_lookup_by_name_args(name)
        found: str = self._call(rp.REMOTE_PROC_NODE_DEVICE_LOOKUP_BY_NAME, args).dev.name
        return found

    def node_device_get_xml(self, name: str) -> str:
        args = rp.remote_node_device_get_xml_desc_args(name, 0)
        xml: str = self._call(rp.REMOTE_PROC_NODE_DEVICE_GET_XML_DESC, args).xml
        return xml

    def node_device_get_parent(self, name: str) -> str | None:
        args = rp.remote_node_device_get_parent_args(name)
        parent: str | None = self._call(rp.REMOTE_PROC_NODE_DEVICE_GET_PARENT, args).parentName
        return parent

    def node_device_list_caps(self, name: str) -> list[str]:
        num = self._call(rp.REMOTE_PROC_NODE_DEVICE_NUM_OF_CAPS, rp.remote_node_device_num_of_caps_args(name)).num
        args = rp.remote_node_device_list_caps_args(name, num)
        return list(self._call(rp.REMOTE_PROC_NODE_DEVICE_LIST_CAPS, args).names)

    def node_device_create_xml(self, xml: str, validate: bool) -> str:
        args = rp.remote_node_device_create_xml_args(xml, NODE_DEVICE_CREATE_VALIDATE if validate else 0)
        name: str = self._call(rp.REMOTE_PROC_NODE_DEVICE_CREATE_XML, args).dev.name
        return name

    def node_device_destroy(self, name: str) -> None:
        self._call(rp.REMOTE_PROC_NODE_DEVICE_DESTROY, rp.remote_node_device_destroy_args(name))

    # -- scheduler parameters and screenshots ------------------------------------------------

    def domain_get_scheduler_type(self, uuid: str) -> tuple[str, int]:
        ret = self._call(
            rp.REMOTE_PROC_DOMAIN_GET_SCHEDULER_TYPE, rp.remote_domain_get_scheduler_type_args(self._dom(uuid))
        )
        return ret.type, ret.nparams

    def domain_get_scheduler_parameters(self, uuid: str, scope: ModifyScope) -> list[TypedParam]:
        """Without a scope, the flag-less procedure (as virsh uses it: libvirt's test driver
        refuses the STRING_OKAY flag the flags variant carries)."""
        dom = self._dom(uuid)
        _, nparams = self.domain_get_scheduler_type(uuid)
        if scope:
            # libvirt's client library adds VIR_TYPED_PARAM_STRING_OKAY (4) to these reads
            args = rp.remote_domain_get_scheduler_parameters_flags_args(dom, nparams, int(scope) | 4)
            params = self._call(rp.REMOTE_PROC_DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS, args).params
        else:
            args0 = rp.remote_domain_get_scheduler_parameters_args(dom, nparams)
            params = self._call(rp.REMOTE_PROC_DOMAIN_GET_SCHEDULER_PARAMETERS, args0).params
        return typed_from_wire(params)

    def domain_set_scheduler_parameters(self, uuid: str, params: list[TypedParam], scope: ModifyScope) -> None:
        dom = self._dom(uuid)
        if scope:
            args = rp.remote_domain_set_scheduler_parameters_flags_args(dom, typed_to_wire(params), int(scope))
            self._call(rp.REMOTE_PROC_DOMAIN_SET_SCHEDULER_PARAMETERS_FLAGS, args)
        else:
            args0 = rp.remote_domain_set_scheduler_parameters_args(dom, typed_to_wire(params))
            self._call(rp.REMOTE_PROC_DOMAIN_SET_SCHEDULER_PARAMETERS, args0)

    def domain_screenshot(self, uuid: str, screen: int) -> tuple[DriverStream, str]:
        args = rp.remote_domain_screenshot_args(self._dom(uuid), screen, 0)
        stream = self._client.open_stream(rp.REMOTE_PROC_DOMAIN_SCREENSHOT, args)
        reply = stream.reply
        mime = getattr(reply, "mime", None)
        return stream, mime or ""

    # -- checkpoints --------------------------------------------------------------------------

    def _chk(self, uuid: str, name: str) -> rp.remote_nonnull_domain_checkpoint:
        return rp.remote_nonnull_domain_checkpoint(name, self._dom(uuid))

    def domain_checkpoint_create(self, uuid: str, xml: str, flags: CheckpointCreateFlags) -> str:
        args = rp.remote_domain_checkpoint_create_xml_args(self._dom(uuid), xml, int(flags))
        name: str = self._call(rp.REMOTE_PROC_DOMAIN_CHECKPOINT_CREATE_XML, args).checkpoint.name
        return name

    def domain_checkpoint_list(self, uuid: str, flags: CheckpointListFlags) -> list[str]:
        args = rp.remote_domain_list_all_checkpoints_args(self._dom(uuid), 1, int(flags))
        return [c.name for c in self._call(rp.REMOTE_PROC_DOMAIN_LIST_ALL_CHECKPOINTS, args).checkpoints]

    def domain_checkpoint_children(self, uuid: str, name: str, flags: CheckpointListFlags) -> list[str]:
        args = rp.remote_domain_checkpoint_list_all_children_args(self._chk(uuid, name), 1, int(flags))
        return [c.name for c in self._call(rp.REMOTE_PROC_DOMAIN_CHECKPOINT_LIST_ALL_CHILDREN, args).checkpoints]

    def domain_checkpoint_lookup(self, uuid: str, name: str) -> str:
        args = rp.remote_domain_checkpoint_lookup_by_name_args(self._dom(uuid), name, 0)
        found: str = self._call(rp.REMOTE_PROC_DOMAIN_CHECKPOINT_LOOKUP_BY_NAME, args).checkpoint.name
        return found

    def domain_checkpoint_get_xml(self, uuid: str, name: str, flags: CheckpointXMLFlags) -> str:
        args = rp.remote_domain_checkpoint_get_xml_desc_args(self._chk(uuid, name), int(flags))
        xml: str = self._call(rp.REMOTE_PROC_DOMAIN_CHECKPOINT_GET_XML_DESC, args).xml
        return xml

    def domain_checkpoint_get_parent(self, uuid: str, name: str) -> str | None:
        """libvirt answers "no parent" with NO_DOMAIN_CHECKPOINT; pyvirt's interface with None."""
        from pyvirt.errors import ErrorCode, PyvirtError

        args = rp.remote_domain_checkpoint_get_parent_args(self._chk(uuid, name), 0)
        try:
            parent: str = self._call(rp.REMOTE_PROC_DOMAIN_CHECKPOINT_GET_PARENT, args).parent.name
        except PyvirtError as exc:
            if exc.code == ErrorCode.NO_DOMAIN_CHECKPOINT and "does not have a parent" in exc.message:
                return None
            raise
        return parent

    def domain_checkpoint_delete(self, uuid: str, name: str, flags: CheckpointDeleteFlags) -> None:
        args = rp.remote_domain_checkpoint_delete_args(self._chk(uuid, name), int(flags))
        self._call(rp.REMOTE_PROC_DOMAIN_CHECKPOINT_DELETE, args)
