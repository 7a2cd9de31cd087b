"""Network calls: define, create, start, destroy, undefine, autostart, XML and bridge name.

Networks have no lifecycle events in pyvirt yet; errors are libvirt 9.0's test driver's.
"""

from __future__ import annotations

from pyvirt.errors import (
    ErrorDomain,
    InternalError,
    NetworkExistsError,
    NoNetworkError,
    OperationInvalidError,
)
from pyvirt.types import ListFilter, NetworkRef
from pyvirt_test.documents import parse_network
from pyvirt_test.flags import keep_common, unsupported_flags
from pyvirt_test.state import NetworkObj, NodeState, claim_identity

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from pyvirt.xml.network import NetworkDef


class NetworkCalls:
    """The network calls of :class:`~pyvirt_test.driver.TestConnection` (a mixin over its node)."""

    _state: NodeState

    def list_networks(self, filters: ListFilter) -> list[NetworkRef]:
        with self._state.lock:
            objs = list(self._state.networks_by_name.values())
            return [obj.ref for obj in objs if keep_common(int(filters), obj.active, obj.persistent, obj.autostart)]

    def network_lookup_by_name(self, name: str) -> NetworkRef:
        return self._net_by_name(name).ref

    def network_lookup_by_uuid(self, uuid: str) -> NetworkRef:
        return self._net(uuid).ref

    def _net_by_name(self, name: str) -> NetworkObj:
        obj = self._state.networks_by_name.get(name)
        if obj is None:
            raise NoNetworkError(f"Network not found: no network with matching name '{name}'", domain=ErrorDomain.TEST)
        return obj

    def _net(self, uuid: str) -> NetworkObj:
        obj = self._state.networks_by_uuid.get(uuid)
        if obj is None:
            raise NoNetworkError(f"Network not found: no network with matching uuid '{uuid}'", domain=ErrorDomain.TEST)
        return obj

    def network_define_xml(self, xml: str, validate: bool) -> NetworkRef:
        dfn = parse_network(xml, validate)
        with self._state.lock:
            return define_network(self._state, dfn).ref

    def network_create_xml(self, xml: str, validate: bool) -> NetworkRef:
        dfn = parse_network(xml, validate)
        state = self._state
        with state.lock:
            obj = _find_network_slot(state, dfn)
            if obj is None:
                obj = NetworkObj(None, dfn, dfn.name, dfn.uuid)
                state.networks_by_name[obj.name] = obj
                state.networks_by_uuid[obj.uuid] = obj
                return obj.ref
            if obj.active:
                raise OperationInvalidError(
                    f"Requested operation is not valid: network is already active as '{obj.name}'",
                    domain=ErrorDomain.NETWORK,
                )
            obj.live = dfn
            return obj.ref

    def network_undefine(self, uuid: str) -> None:
        state = self._state
        with state.lock:
            obj = self._net(uuid)
            if obj.active:
                raise OperationInvalidError(
                    f"Requested operation is not valid: Network '{obj.name}' is still running",
                    domain=ErrorDomain.TEST,
                )
            del state.networks_by_name[obj.name]
            del state.networks_by_uuid[obj.uuid]

    def network_create(self, uuid: str) -> None:
        with self._state.lock:
            obj = self._net(uuid)
            if obj.active:
                raise OperationInvalidError(
                    f"Requested operation is not valid: Network '{obj.name}' is already running",
                    domain=ErrorDomain.TEST,
                )
            obj.live = obj.config

    def network_destroy(self, uuid: str) -> None:
        """Stop the network; like libvirt's test driver, stopping an inactive one is no error."""
        state = self._state
        with state.lock:
            obj = self._net(uuid)
            obj.live = None
            if obj.config is None:
                del state.networks_by_name[obj.name]
                del state.networks_by_uuid[obj.uuid]

    def network_get_xml(self, uuid: str, inactive: bool) -> str:
        if inactive:
            unsupported_flags("testNetworkGetXMLDesc")
        with self._state.lock:
            return self._net(uuid).current().to_xml()

    def network_is_active(self, uuid: str) -> bool:
        return self._net(uuid).active

    def network_is_persistent(self, uuid: str) -> bool:
        return self._net(uuid).persistent

    def network_get_autostart(self, uuid: str) -> bool:
        return self._net(uuid).autostart

    def network_set_autostart(self, uuid: str, autostart: bool) -> None:
        with self._state.lock:
            self._net(uuid).autostart = autostart

    def network_get_bridge_name(self, uuid: str) -> str:
        with self._state.lock:
            obj = self._net(uuid)
            bridge = obj.current().bridge_name
        if not bridge:
            raise InternalError(
                f"internal error: network '{obj.name}' does not have a bridge name.", domain=ErrorDomain.TEST
            )
        return bridge


def _find_network_slot(state: NodeState, dfn: NetworkDef) -> NetworkObj | None:
    return claim_identity(
        state.networks_by_uuid,
        state.networks_by_name,
        dfn.name,
        dfn.uuid,
        kind="network",
        error=NetworkExistsError,
        error_domain=ErrorDomain.NETWORK,
    )


def define_network(state: NodeState, dfn: NetworkDef) -> NetworkObj:
    obj = _find_network_slot(state, dfn)
    if obj is None:
        obj = NetworkObj(dfn, None, dfn.name, dfn.uuid)
        state.networks_by_name[obj.name] = obj
        state.networks_by_uuid[obj.uuid] = obj
        return obj
    obj.config = dfn  # a running network keeps its live definition until it stops
    return obj
