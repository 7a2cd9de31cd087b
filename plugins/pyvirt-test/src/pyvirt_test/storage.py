"""Storage pool and volume calls, as libvirt's test driver keeps them.

Every pool reports 100 GiB of capacity whatever its XML says; a volume's key and path are
both ``<pool target path>/<name>``, and creating one takes its allocation from the pool.
Volume resize and wipe are pyvirt's own (libvirt's test driver does not implement them).
"""

from __future__ import annotations

from pyvirt.errors import (
    ErrorCode,
    ErrorDomain,
    InternalError,
    InvalidArgumentError,
    NoStoragePoolError,
    NoStorageVolError,
    OperationFailedError,
    OperationInvalidError,
    StorageVolExistsError,
)
from pyvirt.types import ListFilter, PoolInfo, PoolRef, PoolState, VolInfo, VolRef, VolType
from pyvirt_test.documents import parse_pool, parse_volume
from pyvirt_test.flags import keep_common, unsupported_flags
from pyvirt_test.state import POOL_CAPACITY, NodeState, PoolObj, VolObj

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from typing import NoReturn

    from pyvirt.xml.storagepool import PoolDef
    from pyvirt.xml.storagevol import VolDef


_VOL_TYPES = {kind.name.lower(): kind for kind in VolType}


class StorageCalls:
    """The pool and volume calls of :class:`~pyvirt_test.driver.TestConnection` (a mixin over its node)."""

    _state: NodeState

    def list_storage_pools(self, filters: ListFilter) -> list[PoolRef]:
        with self._state.lock:
            objs = list(self._state.pools_by_name.values())
            return [obj.ref for obj in objs if keep_common(int(filters), obj.active, obj.persistent, obj.autostart)]

    def pool_lookup_by_name(self, name: str) -> PoolRef:
        obj = self._state.pools_by_name.get(name)
        if obj is None:
            raise NoStoragePoolError(
                f"Storage pool not found: no storage pool with matching name '{name}'", domain=ErrorDomain.TEST
            )
        return obj.ref

    def pool_lookup_by_uuid(self, uuid: str) -> PoolRef:
        return self._pool(uuid).ref

    def _pool(self, uuid: str) -> PoolObj:
        obj = self._state.pools_by_uuid.get(uuid)
        if obj is None:
            raise NoStoragePoolError(
                f"Storage pool not found: no storage pool with matching uuid '{uuid}'", domain=ErrorDomain.TEST
            )
        return obj

    def _active_pool(self, uuid: str) -> PoolObj:
        obj = self._pool(uuid)
        if not obj.active:
            _pool_not_active(obj)
        return obj

    def pool_define_xml(self, xml: str, validate: bool) -> PoolRef:
        dfn = parse_pool(xml, validate)
        with self._state.lock:
            return define_pool(self._state, dfn, persistent=True).ref

    def pool_create_xml(self, xml: str, validate: bool) -> PoolRef:
        dfn = parse_pool(xml, validate)
        with self._state.lock:
            obj = define_pool(self._state, dfn, persistent=False)
            obj.active = True
            return obj.ref

    def pool_build(self, uuid: str) -> None:
        with self._state.lock:
            _check_pool_inactive(self._pool(uuid))

    def pool_create(self, uuid: str) -> None:
        with self._state.lock:
            obj = self._pool(uuid)
            _check_pool_inactive(obj)
            obj.active = True

    def pool_destroy(self, uuid: str) -> None:
        state = self._state
        with state.lock:
            obj = self._active_pool(uuid)
            obj.active = False
            if not obj.persistent:
                _remove_pool(state, obj)

    def pool_delete(self, uuid: str) -> None:
        with self._state.lock:
            _check_pool_inactive(self._pool(uuid))

    def pool_undefine(self, uuid: str) -> None:
        state = self._state
        with state.lock:
            obj = self._pool(uuid)
            _check_pool_inactive(obj)
            _remove_pool(state, obj)

    def pool_refresh(self, uuid: str) -> None:
        with self._state.lock:
            self._active_pool(uuid)

    def pool_get_info(self, uuid: str) -> PoolInfo:
        with self._state.lock:
            obj = self._pool(uuid)
            state = PoolState.RUNNING if obj.active else PoolState.INACTIVE
            return PoolInfo(state, *obj.sizes())

    def pool_get_xml(self, uuid: str, inactive: bool) -> str:
        if inactive:
            unsupported_flags("testStoragePoolGetXMLDesc")
        with self._state.lock:
            return self._pool(uuid).defn.to_xml()

    def pool_is_active(self, uuid: str) -> bool:
        return self._pool(uuid).active

    def pool_is_persistent(self, uuid: str) -> bool:
        return self._pool(uuid).persistent

    def pool_get_autostart(self, uuid: str) -> bool:
        return self._pool(uuid).autostart

    def pool_set_autostart(self, uuid: str, autostart: bool) -> None:
        with self._state.lock:
            obj = self._pool(uuid)
            if not obj.persistent:
                raise InvalidArgumentError("invalid argument: pool has no config file", domain=ErrorDomain.TEST)
            obj.autostart = autostart

    def pool_list_volumes(self, uuid: str) -> list[VolRef]:
        with self._state.lock:
            obj = self._pool(uuid)
            if not obj.active:
                raise OperationInvalidError(
                    "Requested operation is not valid: storage pool is not active", domain=ErrorDomain.TEST
                )
            return [vol.ref for vol in obj.volumes.values()]

    def vol_lookup_by_name(self, pool_uuid: str, name: str) -> VolRef:
        with self._state.lock:
            vol = self._active_pool(pool_uuid).volumes.get(name)
            if vol is None:
                raise NoStorageVolError(
                    f"Storage volume not found: no storage vol with matching name '{name}'", domain=ErrorDomain.TEST
                )
            return vol.ref

    def vol_lookup_by_key(self, key: str) -> VolRef:
        return self._vol_lookup(key, "key")

    def vol_lookup_by_path(self, path: str) -> VolRef:
        return self._vol_lookup(path, "path")

    def _vol_lookup(self, value: str, what: str) -> VolRef:
        vol = self._state.volumes_by_key.get(value)
        if vol is None or not vol.pool.active:
            raise NoStorageVolError(
                f"Storage volume not found: no storage vol with matching {what} '{value}'", domain=ErrorDomain.TEST
            )
        return vol.ref

    def _vol(self, key: str) -> VolObj:
        """The volume behind a handle; its pool must be running (libvirt checks that first)."""
        vol = self._state.volumes_by_key.get(key)
        if vol is None:
            name = key.rsplit("/", 1)[-1]
            raise NoStorageVolError(
                f"Storage volume not found: no storage vol with matching name '{name}'", domain=ErrorDomain.TEST
            )
        if not vol.pool.active:
            _pool_not_active(vol.pool)
        return vol

    def vol_create_xml(self, pool_uuid: str, xml: str, validate: bool) -> VolRef:
        with self._state.lock:
            pool = self._active_pool(pool_uuid)
            dfn = parse_volume(xml, pool.defn, validate)
            return add_volume(self._state, pool, dfn).ref

    def vol_create_xml_from(self, pool_uuid: str, xml: str, source_key: str) -> VolRef:
        """Clone: the new volume is described by ``xml``; the test node keeps no content to copy."""
        with self._state.lock:
            pool = self._active_pool(pool_uuid)
            dfn = parse_volume(xml, pool.defn, False)
            if dfn.name in pool.volumes:
                _volume_exists()
            # libvirt's test driver looks for the source by name in the target pool only.
            source = self._state.volumes_by_key.get(source_key)
            source_name = source.ref.name if source is not None else source_key.rsplit("/", 1)[-1]
            if source_name not in pool.volumes:
                raise NoStorageVolError(
                    f"Storage volume not found: no storage vol with matching name '{source_name}'",
                    domain=ErrorDomain.TEST,
                )
            return add_volume(self._state, pool, dfn).ref

    def vol_delete(self, key: str) -> None:
        state = self._state
        with state.lock:
            vol = self._vol(key)
            pool = vol.pool
            del pool.volumes[vol.ref.name]
            del state.volumes_by_key[vol.key]
            pool.defn.allocation -= vol.defn.allocation
            pool.defn.available = pool.defn.capacity - pool.defn.allocation

    def vol_wipe(self, key: str) -> None:
        """Nothing to overwrite in memory; sizes are unchanged, as after a real wipe."""
        with self._state.lock:
            self._vol(key)

    def vol_resize(self, key: str, capacity: int, delta: bool, shrink: bool) -> None:
        """Resize as libvirt's storage driver does (the C test driver does not implement it)."""
        with self._state.lock:
            vol = self._vol(key)
            dfn = vol.defn
            if delta:
                new = dfn.capacity - capacity if shrink else dfn.capacity + capacity
            else:
                new = capacity
            if new < 0:
                raise InvalidArgumentError(
                    "invalid argument: can't shrink capacity below zero", domain=ErrorDomain.STORAGE
                )
            if new < dfn.capacity and not shrink:
                raise InvalidArgumentError(
                    "invalid argument: Can't shrink capacity below current capacity unless shrink flag "
                    "explicitly specified",
                    domain=ErrorDomain.STORAGE,
                )
            if new < dfn.allocation:
                raise InvalidArgumentError(
                    "invalid argument: Can't shrink capacity below current allocation", domain=ErrorDomain.STORAGE
                )
            if new - dfn.capacity > vol.pool.defn.available:
                raise OperationFailedError(
                    "operation failed: Not enough space left in storage pool", domain=ErrorDomain.STORAGE
                )
            dfn.capacity = new

    def vol_get_info(self, key: str) -> VolInfo:
        with self._state.lock:
            dfn = self._vol(key).defn
            return VolInfo(_VOL_TYPES.get(dfn.vol_type, VolType.FILE), dfn.capacity, dfn.allocation)

    def vol_get_xml(self, key: str) -> str:
        with self._state.lock:
            vol = self._vol(key)
            return vol.defn.to_xml(vol.pool.defn)

    def vol_get_path(self, key: str) -> str:
        with self._state.lock:
            return self._vol(key).key


def define_pool(state: NodeState, dfn: PoolDef, persistent: bool) -> PoolObj:
    """Define (``persistent``) or create a pool, with libvirt's checks in libvirt's order.

    Creating over an inactive defined pool of the same name and UUID starts it as a transient
    pool (libvirt 9.0's test driver does so); over an active one it is refused.
    """
    name, uuid = dfn.name, dfn.uuid
    other = state.pools_by_name.get(name)
    if other is not None and other.uuid != uuid:
        raise OperationFailedError(
            f"operation failed: pool '{name}' already exists with uuid {other.uuid}", domain=ErrorDomain.STORAGE
        )
    _check_pool_source(state, dfn)
    obj = state.pools_by_uuid.get(uuid)
    if obj is not None and obj.name != name:
        raise OperationFailedError(
            f"operation failed: pool '{obj.name}' is already defined with uuid {uuid}", domain=ErrorDomain.STORAGE
        )
    if obj is not None and not persistent and obj.active:
        raise OperationInvalidError(
            f"Requested operation is not valid: pool is already active as '{name}'", domain=ErrorDomain.STORAGE
        )
    sized(dfn, obj.defn.allocation if obj is not None else 0)
    if obj is not None:
        obj.defn = dfn
        obj.persistent = persistent
        for vol in obj.volumes.values():
            vol.pool = obj
        return obj
    obj = PoolObj(dfn, name, uuid, persistent)
    state.pools_by_name[name] = obj
    state.pools_by_uuid[uuid] = obj
    return obj


def sized(dfn: PoolDef, allocation: int) -> PoolDef:
    """``dfn`` with the test driver's sizes: :data:`POOL_CAPACITY` whatever its XML says, and
    ``allocation`` bytes taken by its volumes."""
    dfn.capacity = POOL_CAPACITY
    dfn.allocation = allocation
    dfn.available = POOL_CAPACITY - allocation
    return dfn


def _check_pool_source(state: NodeState, dfn: PoolDef) -> None:
    """Two ``dir`` pools of different names may not share a target folder (libvirt's check).

    libvirt compares other pool types by their sources (hosts, devices, adapters); pyvirt's
    pool model does not describe sources, so only ``dir`` pools are compared.
    """
    if dfn.pool_type != "dir" or not dfn.target_path:
        return
    path = _sanitize_path(dfn.target_path)
    for other in state.pools_by_name.values():
        theirs = other.defn
        if other.name != dfn.name and theirs.pool_type == "dir" and theirs.target_path:
            if _sanitize_path(theirs.target_path) == path:
                raise OperationFailedError(
                    f"operation failed: Storage source conflict with pool: '{other.name}'", domain=ErrorDomain.STORAGE
                )


def _sanitize_path(path: str) -> str:
    """``/a//b/`` and ``/a/b`` name the same folder (libvirt cleans paths when it parses a pool)."""
    cleaned = "/".join(part for part in path.split("/") if part)
    return "/" + cleaned if path.startswith("/") else cleaned


def _remove_pool(state: NodeState, obj: PoolObj) -> None:
    del state.pools_by_name[obj.name]
    del state.pools_by_uuid[obj.uuid]
    for vol in obj.volumes.values():
        if state.volumes_by_key.get(vol.key) is vol:
            del state.volumes_by_key[vol.key]


def _check_pool_inactive(obj: PoolObj) -> None:
    if obj.active:
        raise OperationInvalidError(
            f"Requested operation is not valid: storage pool '{obj.name}' is active", domain=ErrorDomain.TEST
        )


def _pool_not_active(obj: PoolObj) -> NoReturn:
    raise OperationInvalidError(
        f"Requested operation is not valid: storage pool '{obj.name}' is not active", domain=ErrorDomain.TEST
    )


def _volume_exists() -> NoReturn:
    raise StorageVolExistsError(
        "operation failed: storage vol already exists", code=ErrorCode.OPERATION_FAILED, domain=ErrorDomain.TEST
    )


def add_volume(state: NodeState, pool: PoolObj, dfn: VolDef) -> VolObj:
    """Add ``dfn`` to ``pool``: its key and path become ``<pool path>/<name>``; space is taken."""
    name = dfn.name
    if name in pool.volumes:
        _volume_exists()
    pool_def = pool.defn
    if pool_def.available < dfn.allocation:
        raise InternalError(
            f"internal error: Not enough free space in pool for volume '{name}'", domain=ErrorDomain.TEST
        )
    # A pool without a target path (gluster, rbd...) gives "(null)/name", as libvirt prints it.
    key = f"{pool_def.target_path or '(null)'}/{name}"
    dfn.key = key
    dfn.target_path = key
    vol = VolObj(dfn, pool, key)
    pool.volumes[name] = vol
    state.volumes_by_key[key] = vol
    pool_def.allocation += dfn.allocation
    pool_def.available = pool_def.capacity - pool_def.allocation
    return vol
