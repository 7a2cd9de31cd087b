"""The public :class:`Interface` handle: a host network interface (libvirt's ``virInterfacePtr``).

Like every handle it is a thin value that keeps its connection; drivers name interfaces by
their name, so each method passes :attr:`Interface.name` on.
"""

from __future__ import annotations

from pyvirt.types import InterfaceRef

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see pyvirt.records)
if TYPE_CHECKING:
    from pyvirt.connection import Connection


class Interface:
    """A physical or virtual network interface of the host (not a domain's ``<interface>``)."""

    __slots__ = ("_conn", "mac", "name")

    def __init__(self, conn: Connection, ref: InterfaceRef) -> None:
        self._conn = conn
        self.name, self.mac = ref

    @property
    def connection(self) -> Connection:
        return self._conn

    def __repr__(self) -> str:
        return f"<pyvirt.Interface {self.name!r} mac={self.mac!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Interface) and other.name == self.name and other._conn is self._conn

    def __hash__(self) -> int:
        return hash(self.name)

    def xml(self, *, inactive: bool = False) -> str:
        """The interface's XML; ``inactive=True`` gives its persistent definition."""
        return self._conn.driver.interface_get_xml(self.name, inactive)

    def is_active(self) -> bool:
        return self._conn.driver.interface_is_active(self.name)

    def start(self) -> None:
        """Bring the interface up (libvirt's virInterfaceCreate)."""
        self._conn.check_writable("virInterfaceCreate")
        self._conn.driver.interface_create(self.name)

    def destroy(self) -> None:
        """Take the interface down."""
        self._conn.check_writable("virInterfaceDestroy")
        self._conn.driver.interface_destroy(self.name)

    def undefine(self) -> None:
        self._conn.check_writable("virInterfaceUndefine")
        self._conn.driver.interface_undefine(self.name)
