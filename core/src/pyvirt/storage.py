"""The public :class:`StoragePool` and :class:`StorageVol` handles."""

from __future__ import annotations

from pyvirt.stream import Stream
from pyvirt.types import PoolInfo, PoolRef, VolInfo, VolRef

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see pyvirt.records)
if TYPE_CHECKING:
    from pyvirt.connection import Connection


class StoragePool:
    """A storage pool: a place volumes live in (a directory, an LVM group, ...)."""

    __slots__ = ("_conn", "name", "uuid")

    def __init__(self, conn: Connection, ref: PoolRef) -> None:
        self._conn = conn
        self.name, self.uuid = ref

    def __repr__(self) -> str:
        return f"<pyvirt.StoragePool {self.name!r} uuid={self.uuid}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StoragePool) and other.uuid == self.uuid and other._conn is self._conn

    def __hash__(self) -> int:
        return hash(self.uuid)

    def build(self) -> None:
        self._conn.check_writable("virStoragePoolBuild")
        self._conn.driver.pool_build(self.uuid)

    def start(self) -> None:
        self._conn.check_writable("virStoragePoolCreate")
        self._conn.driver.pool_create(self.uuid)

    def destroy(self) -> None:
        self._conn.check_writable("virStoragePoolDestroy")
        self._conn.driver.pool_destroy(self.uuid)

    def delete(self) -> None:
        self._conn.check_writable("virStoragePoolDelete")
        self._conn.driver.pool_delete(self.uuid)

    def undefine(self) -> None:
        self._conn.check_writable("virStoragePoolUndefine")
        self._conn.driver.pool_undefine(self.uuid)

    def refresh(self) -> None:
        self._conn.check_writable("virStoragePoolRefresh")
        self._conn.driver.pool_refresh(self.uuid)

    def info(self) -> PoolInfo:
        return self._conn.driver.pool_get_info(self.uuid)

    def xml(self, *, inactive: bool = False) -> str:
        return self._conn.driver.pool_get_xml(self.uuid, inactive)

    def is_active(self) -> bool:
        return self._conn.driver.pool_is_active(self.uuid)

    def is_persistent(self) -> bool:
        return self._conn.driver.pool_is_persistent(self.uuid)

    @property
    def autostart(self) -> bool:
        return self._conn.driver.pool_get_autostart(self.uuid)

    def set_autostart(self, autostart: bool) -> None:
        self._conn.check_writable("virStoragePoolSetAutostart")
        self._conn.driver.pool_set_autostart(self.uuid, autostart)

    def list_volumes(self) -> list[StorageVol]:
        return [StorageVol(self._conn, ref) for ref in self._conn.driver.pool_list_volumes(self.uuid)]

    def lookup_volume(self, name: str) -> StorageVol:
        return StorageVol(self._conn, self._conn.driver.vol_lookup_by_name(self.uuid, name))

    def create_volume(self, xml: str, *, validate: bool = False) -> StorageVol:
        self._conn.check_writable("virStorageVolCreateXML")
        return StorageVol(self._conn, self._conn.driver.vol_create_xml(self.uuid, xml, validate))

    def clone_volume(self, xml: str, source: StorageVol) -> StorageVol:
        """Create a volume described by ``xml`` holding a copy of ``source``'s content."""
        self._conn.check_writable("virStorageVolCreateXMLFrom")
        return StorageVol(self._conn, self._conn.driver.vol_create_xml_from(self.uuid, xml, source.key))


class StorageVol:
    """A volume (a disk image, an LV, ...) inside a pool; identified by its key."""

    __slots__ = ("_conn", "key", "name", "pool_name")

    def __init__(self, conn: Connection, ref: VolRef) -> None:
        self._conn = conn
        self.pool_name, self.name, self.key = ref

    def __repr__(self) -> str:
        return f"<pyvirt.StorageVol {self.name!r} pool={self.pool_name!r} key={self.key!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StorageVol) and other.key == self.key and other._conn is self._conn

    def __hash__(self) -> int:
        return hash(self.key)

    def pool(self) -> StoragePool:
        return self._conn.lookup_pool_by_name(self.pool_name)

    def delete(self) -> None:
        self._conn.check_writable("virStorageVolDelete")
        self._conn.driver.vol_delete(self.key)

    def wipe(self) -> None:
        self._conn.check_writable("virStorageVolWipe")
        self._conn.driver.vol_wipe(self.key)

    def resize(self, capacity: int, *, delta: bool = False, shrink: bool = False) -> None:
        """Set the capacity to ``capacity`` bytes (``delta``: grow or shrink by it)."""
        self._conn.check_writable("virStorageVolResize")
        self._conn.driver.vol_resize(self.key, capacity, delta, shrink)

    def info(self) -> VolInfo:
        return self._conn.driver.vol_get_info(self.key)

    def xml(self) -> str:
        return self._conn.driver.vol_get_xml(self.key)

    def path(self) -> str:
        return self._conn.driver.vol_get_path(self.key)

    def upload(self, offset: int = 0, length: int = 0) -> Stream:
        """A stream to send the volume's new content into, from ``offset`` (``length`` 0: up to
        the end); the volume changes when the stream is finished."""
        self._conn.check_writable("virStorageVolUpload")
        return Stream(self._conn.driver.vol_upload(self.key, offset, length))

    def download(self, offset: int = 0, length: int = 0) -> Stream:
        """A stream giving the volume's bytes from ``offset`` (``length`` 0: to the end).
        Refused on read-only connections, as libvirt does (the data may be a guest's secrets)."""
        self._conn.check_writable("virStorageVolDownload")
        return Stream(self._conn.driver.vol_download(self.key, offset, length))
