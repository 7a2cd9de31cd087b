"""What libvirt-python's object classes have in common, written once.

Every wrapper keeps the connection it came from (libvirt-python's ``connect()``) and the pyvirt
handle beneath it; domains, networks and storage pools are also defined objects with a UUID, an
active and a persistent flag and an autostart switch, which libvirt-python returns as ints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from pyvirt_libvirt.errors import api
from pyvirt_libvirt.uuidbytes import to_bytes

if TYPE_CHECKING:
    from pyvirt_libvirt.connect import virConnect


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class _Defined(_Named, Protocol):
    @property
    def uuid(self) -> str: ...

    @property
    def autostart(self) -> bool: ...

    def is_active(self) -> bool: ...

    def is_persistent(self) -> bool: ...

    def set_autostart(self, autostart: bool) -> None: ...


NamedT = TypeVar("NamedT", bound=_Named)
DefinedT = TypeVar("DefinedT", bound=_Defined)


class Handle(Generic[NamedT]):
    """A libvirt-python object over a pyvirt handle: its connection and its name."""

    def __init__(self, conn: virConnect, _obj: NamedT) -> None:
        self._conn = conn
        self._o = _obj

    def connect(self) -> virConnect:
        return self._conn

    def name(self) -> str:
        return self._o.name


class DefinedHandle(Handle[DefinedT]):
    """A domain, network or storage pool: identity by UUID, state flags and autostart."""

    def UUIDString(self) -> str:
        return self._o.uuid

    def UUID(self) -> bytes:
        return to_bytes(self._o.uuid)

    @api
    def isActive(self) -> int:
        return int(self._o.is_active())

    @api
    def isPersistent(self) -> int:
        return int(self._o.is_persistent())

    @api
    def autostart(self) -> int:
        return int(self._o.autostart)

    @api
    def setAutostart(self, autostart: int) -> int:
        self._o.set_autostart(bool(autostart))
        return 0
