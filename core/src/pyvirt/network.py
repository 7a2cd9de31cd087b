"""The public :class:`Network` handle: a thin value that delegates to its connection."""

from __future__ import annotations

from pyvirt.types import NetworkRef

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see pyvirt.records)
if TYPE_CHECKING:
    from pyvirt.connection import Connection


class Network:
    """A virtual network on a node."""

    __slots__ = ("_conn", "name", "uuid")

    def __init__(self, conn: Connection, ref: NetworkRef) -> None:
        self._conn = conn
        self.name, self.uuid = ref

    def __repr__(self) -> str:
        return f"<pyvirt.Network {self.name!r} uuid={self.uuid}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Network) and other.uuid == self.uuid and other._conn is self._conn

    def __hash__(self) -> int:
        return hash(self.uuid)

    def start(self) -> None:
        self._conn.check_writable("virNetworkCreate")
        self._conn.driver.network_create(self.uuid)

    def destroy(self) -> None:
        self._conn.check_writable("virNetworkDestroy")
        self._conn.driver.network_destroy(self.uuid)

    def undefine(self) -> None:
        self._conn.check_writable("virNetworkUndefine")
        self._conn.driver.network_undefine(self.uuid)

    def xml(self, *, inactive: bool = False) -> str:
        return self._conn.driver.network_get_xml(self.uuid, inactive)

    def is_active(self) -> bool:
        return self._conn.driver.network_is_active(self.uuid)

    def is_persistent(self) -> bool:
        return self._conn.driver.network_is_persistent(self.uuid)

    def bridge_name(self) -> str:
        return self._conn.driver.network_get_bridge_name(self.uuid)

    @property
    def autostart(self) -> bool:
        return self._conn.driver.network_get_autostart(self.uuid)

    def set_autostart(self, autostart: bool) -> None:
        self._conn.check_writable("virNetworkSetAutostart")
        self._conn.driver.network_set_autostart(self.uuid, autostart)
