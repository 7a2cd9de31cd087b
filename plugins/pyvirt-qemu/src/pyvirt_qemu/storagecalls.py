"""The storage calls of :class:`~pyvirt_qemu.connection.QemuConnection`, over :mod:`.storage`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyvirt.errors import ErrorDomain, NoStorageVolError, OperationInvalidError
from pyvirt.filters import keeps
from pyvirt.types import ListFilter, PoolInfo, PoolRef, VolInfo, VolRef
from pyvirt_qemu import storage

if TYPE_CHECKING:
    from pyvirt_qemu.driver import QemuDriver


class StorageCalls:
    drv: QemuDriver

    def list_storage_pools(self, filters: ListFilter) -> list[PoolRef]:
        pools = self.drv.pools
        with pools.lock:
            return [
                o.ref
                for o in pools.by_uuid.values()
                if keeps(filters, active=o.active, persistent=o.persistent, autostart=o.autostart)
            ]

    def pool_lookup_by_name(self, name: str) -> PoolRef:
        with self.drv.pools.lock:
            return self.drv.pools.by_name(name).ref

    def pool_lookup_by_uuid(self, uuid: str) -> PoolRef:
        with self.drv.pools.lock:
            return self.drv.pools.get(uuid).ref

    def pool_define_xml(self, xml: str, validate: bool) -> PoolRef:
        return self.drv.pools.define(xml, validate, persistent=True).ref

    def pool_create_xml(self, xml: str, validate: bool) -> PoolRef:
        pools = self.drv.pools
        with pools.lock:
            obj = pools.define(xml, validate, persistent=False)
            try:
                pools.start(obj)
            except BaseException:
                pools.by_uuid.pop(obj.definition.uuid, None)
                raise
            return obj.ref

    def pool_build(self, uuid: str) -> None:
        with self.drv.pools.lock:
            obj = self.drv.pools.get(uuid)
            if obj.active:
                raise OperationInvalidError("Requested operation is not valid: storage pool is already active")
            obj.path.mkdir(parents=True, exist_ok=True, mode=0o755)

    def pool_create(self, uuid: str) -> None:
        with self.drv.pools.lock:
            self.drv.pools.start(self.drv.pools.get(uuid))

    def pool_destroy(self, uuid: str) -> None:
        with self.drv.pools.lock:
            self.drv.pools.stop(self.drv.pools.active(uuid))

    def pool_delete(self, uuid: str) -> None:
        with self.drv.pools.lock:
            obj = self.drv.pools.get(uuid)
            if obj.active:
                raise OperationInvalidError("Requested operation is not valid: storage pool is still active")
            obj.path.rmdir()

    def pool_undefine(self, uuid: str) -> None:
        with self.drv.pools.lock:
            self.drv.pools.undefine(self.drv.pools.get(uuid))

    def pool_refresh(self, uuid: str) -> None:
        with self.drv.pools.lock:
            self.drv.pools.refresh(self.drv.pools.active(uuid))

    def pool_get_info(self, uuid: str) -> PoolInfo:
        with self.drv.pools.lock:
            return self.drv.pools.info(self.drv.pools.get(uuid))

    def pool_get_xml(self, uuid: str, inactive: bool) -> str:
        with self.drv.pools.lock:
            return self.drv.pools.pool_xml(self.drv.pools.get(uuid), inactive)

    def pool_is_active(self, uuid: str) -> bool:
        return self.drv.pools.get(uuid).active

    def pool_is_persistent(self, uuid: str) -> bool:
        return self.drv.pools.get(uuid).persistent

    def pool_get_autostart(self, uuid: str) -> bool:
        return self.drv.pools.get(uuid).autostart

    def pool_set_autostart(self, uuid: str, autostart: bool) -> None:
        with self.drv.pools.lock:
            self.drv.pools.set_autostart(self.drv.pools.get(uuid), autostart)

    def pool_list_volumes(self, uuid: str) -> list[VolRef]:
        with self.drv.pools.lock:
            obj = self.drv.pools.active(uuid)
            return [storage.vol_ref(obj, v) for v in obj.volumes.values()]

    def vol_lookup_by_name(self, pool_uuid: str, name: str) -> VolRef:
        with self.drv.pools.lock:
            obj = self.drv.pools.active(pool_uuid)
            vol = obj.volumes.get(name)
            if vol is None:
                raise NoStorageVolError(
                    f"Storage volume not found: no storage vol with matching name '{name}'", domain=ErrorDomain.STORAGE
                )
            return storage.vol_ref(obj, vol)

    def vol_lookup_by_key(self, key: str) -> VolRef:
        with self.drv.pools.lock:
            return storage.vol_ref(*self.drv.pools.volume(key))

    def vol_lookup_by_path(self, path: str) -> VolRef:
        with self.drv.pools.lock:
            try:
                return storage.vol_ref(*self.drv.pools.volume(path))
            except NoStorageVolError:
                raise NoStorageVolError(
                    f"Storage volume not found: no storage vol with matching path '{path}'", domain=ErrorDomain.STORAGE
                ) from None

    def vol_create_xml(self, pool_uuid: str, xml: str, validate: bool) -> VolRef:
        with self.drv.pools.lock:
            obj = self.drv.pools.active(pool_uuid)
            return storage.vol_ref(obj, self.drv.pools.create_volume(obj, xml, validate))

    def vol_create_xml_from(self, pool_uuid: str, xml: str, source_key: str) -> VolRef:
        with self.drv.pools.lock:
            obj = self.drv.pools.active(pool_uuid)
            _, source = self.drv.pools.volume(source_key)
            return storage.vol_ref(obj, self.drv.pools.create_volume(obj, xml, False, source))

    def vol_delete(self, key: str) -> None:
        with self.drv.pools.lock:
            self.drv.pools.delete_volume(*self.drv.pools.volume(key))

    def vol_wipe(self, key: str) -> None:
        with self.drv.pools.lock:
            self.drv.pools.wipe_volume(*self.drv.pools.volume(key))

    def vol_resize(self, key: str, capacity: int, delta: bool, shrink: bool) -> None:
        with self.drv.pools.lock:
            obj, vol = self.drv.pools.volume(key)
            self.drv.pools.resize_volume(obj, vol, capacity, delta, shrink)

    def vol_get_info(self, key: str) -> VolInfo:
        with self.drv.pools.lock:
            return storage.vol_info(self.drv.pools.volume(key)[1])

    def vol_get_xml(self, key: str) -> str:
        with self.drv.pools.lock:
            obj, vol = self.drv.pools.volume(key)
            return vol.to_xml(obj.definition)

    def vol_get_path(self, key: str) -> str:
        with self.drv.pools.lock:
            return self.drv.pools.volume(key)[1].target_path or ""
