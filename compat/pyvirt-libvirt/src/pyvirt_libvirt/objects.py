"""``virNetwork``, ``virStoragePool``, ``virStorageVol``, ``virInterface`` and ``virNodeDevice``.

Each keeps its connection and the pyvirt handle beneath it; methods pyvirt lacks raise
``VIR_ERR_NO_SUPPORT`` through the generated stubs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyvirt_libvirt._stubs import (
    virInterfaceStubs,
    virNetworkStubs,
    virNodeDeviceStubs,
    virStoragePoolStubs,
    virStorageVolStubs,
)
from pyvirt_libvirt.errors import api
from pyvirt_libvirt.handle import DefinedHandle, Handle

if TYPE_CHECKING:  # the handle types are named in the classes' bases, as strings
    from pyvirt.interface import Interface  # noqa: F401
    from pyvirt.network import Network  # noqa: F401
    from pyvirt.nodedevice import NodeDevice  # noqa: F401
    from pyvirt.storage import StoragePool, StorageVol  # noqa: F401
    from pyvirt_libvirt.stream import virStream

_XML_INACTIVE = 1  # VIR_NETWORK_XML_INACTIVE, VIR_STORAGE_XML_INACTIVE, VIR_INTERFACE_XML_INACTIVE
VIR_STORAGE_VOL_RESIZE_DELTA = 2
VIR_STORAGE_VOL_RESIZE_SHRINK = 4
VIR_STORAGE_VOL_CREATE_VALIDATE = 4


class virNetwork(DefinedHandle["Network"], virNetworkStubs):
    @api
    def create(self) -> int:
        self._o.start()
        return 0

    @api
    def destroy(self) -> int:
        self._o.destroy()
        return 0

    @api
    def undefine(self) -> int:
        self._o.undefine()
        return 0

    @api
    def XMLDesc(self, flags: int = 0) -> str:
        return self._o.xml(inactive=bool(flags & _XML_INACTIVE))

    @api
    def bridgeName(self) -> str:
        return self._o.bridge_name()


class virStoragePool(DefinedHandle["StoragePool"], virStoragePoolStubs):
    @api
    def build(self, flags: int = 0) -> int:
        self._o.build()
        return 0

    @api
    def create(self, flags: int = 0) -> int:
        self._o.start()
        return 0

    @api
    def destroy(self) -> int:
        self._o.destroy()
        return 0

    @api
    def delete(self, flags: int = 0) -> int:
        self._o.delete()
        return 0

    @api
    def undefine(self) -> int:
        self._o.undefine()
        return 0

    @api
    def refresh(self, flags: int = 0) -> int:
        self._o.refresh()
        return 0

    @api
    def info(self) -> list[int]:
        i = self._o.info()
        return [int(i.state), i.capacity, i.allocation, i.available]

    @api
    def XMLDesc(self, flags: int = 0) -> str:
        return self._o.xml(inactive=bool(flags & _XML_INACTIVE))

    @api
    def listAllVolumes(self, flags: int = 0) -> list[virStorageVol]:
        return [virStorageVol(self._conn, v) for v in self._o.list_volumes()]

    @api
    def listVolumes(self) -> list[str]:
        return [v.name for v in self._o.list_volumes()]

    @api
    def numOfVolumes(self) -> int:
        return len(self._o.list_volumes())

    @api
    def storageVolLookupByName(self, name: str) -> virStorageVol:
        return virStorageVol(self._conn, self._o.lookup_volume(name))

    @api
    def createXML(self, xmlDesc: str, flags: int = 0) -> virStorageVol:
        vol = self._o.create_volume(xmlDesc, validate=bool(flags & VIR_STORAGE_VOL_CREATE_VALIDATE))
        return virStorageVol(self._conn, vol)

    @api
    def createXMLFrom(self, xmlDesc: str, clonevol: virStorageVol, flags: int = 0) -> virStorageVol:
        return virStorageVol(self._conn, self._o.clone_volume(xmlDesc, clonevol._o))


class virStorageVol(Handle["StorageVol"], virStorageVolStubs):
    def key(self) -> str:
        return self._o.key

    @api
    def storagePoolLookupByVolume(self) -> virStoragePool:
        return virStoragePool(self._conn, self._o.pool())

    @api
    def path(self) -> str:
        return self._o.path()

    @api
    def info(self) -> list[int]:
        i = self._o.info()
        return [int(i.type), i.capacity, i.allocation]

    @api
    def XMLDesc(self, flags: int = 0) -> str:
        return self._o.xml()

    @api
    def delete(self, flags: int = 0) -> int:
        self._o.delete()
        return 0

    @api
    def wipe(self, flags: int = 0) -> int:
        self._o.wipe()
        return 0

    @api
    def resize(self, capacity: int, flags: int = 0) -> int:
        self._o.resize(
            capacity,
            delta=bool(flags & VIR_STORAGE_VOL_RESIZE_DELTA),
            shrink=bool(flags & VIR_STORAGE_VOL_RESIZE_SHRINK),
        )
        return 0

    @api
    def upload(self, stream: virStream, offset: int, length: int, flags: int = 0) -> int:
        stream._bind(self._o.upload(offset, length))
        return 0

    @api
    def download(self, stream: virStream, offset: int, length: int, flags: int = 0) -> int:
        stream._bind(self._o.download(offset, length))
        return 0


class virInterface(Handle["Interface"], virInterfaceStubs):
    def MACString(self) -> str:
        return self._o.mac

    @api
    def XMLDesc(self, flags: int = 0) -> str:
        return self._o.xml(inactive=bool(flags & _XML_INACTIVE))

    @api
    def isActive(self) -> int:
        return int(self._o.is_active())

    @api
    def create(self, flags: int = 0) -> int:
        self._o.start()
        return 0

    @api
    def destroy(self, flags: int = 0) -> int:
        self._o.destroy()
        return 0

    @api
    def undefine(self) -> int:
        self._o.undefine()
        return 0


class virNodeDevice(Handle["NodeDevice"], virNodeDeviceStubs):
    @api
    def XMLDesc(self, flags: int = 0) -> str:
        return self._o.xml()

    @api
    def parent(self) -> str | None:
        return self._o.parent()

    @api
    def listCaps(self) -> list[str]:
        return self._o.caps()

    @api
    def numOfCaps(self) -> int:
        return len(self._o.caps())

    @api
    def destroy(self) -> int:
        self._o.destroy()
        return 0
