"""The public :class:`NodeDevice` handle: a device of the host (libvirt's ``virNodeDevicePtr``).

Node devices form a tree under ``computer``; each has one or more capabilities (``system``,
``pci``, ``scsi_host``...).  Drivers name a device by its name.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see pyvirt.records)
if TYPE_CHECKING:
    from pyvirt.connection import Connection


class NodeDevice:
    """One device of the node, as the node-device driver sees it."""

    __slots__ = ("_conn", "name")

    def __init__(self, conn: Connection, name: str) -> None:
        self._conn = conn
        self.name = name

    @property
    def connection(self) -> Connection:
        return self._conn

    def __repr__(self) -> str:
        return f"<pyvirt.NodeDevice {self.name!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NodeDevice) and other.name == self.name and other._conn is self._conn

    def __hash__(self) -> int:
        return hash(self.name)

    def xml(self) -> str:
        return self._conn.driver.node_device_get_xml(self.name)

    def parent(self) -> str | None:
        """The parent device's name; None for the root of the tree."""
        return self._conn.driver.node_device_get_parent(self.name)

    def caps(self) -> list[str]:
        """The device's capability names, nested ones included (``scsi_host``, ``fc_host``...)."""
        return self._conn.driver.node_device_list_caps(self.name)

    def destroy(self) -> None:
        """Remove the device (libvirt's virNodeDeviceDestroy: a vHBA goes away)."""
        self._conn.check_writable("virNodeDeviceDestroy")
        self._conn.driver.node_device_destroy(self.name)
