"""The ``dir`` storage pool backend: a directory whose files are volumes, made by ``qemu-img``.

Pools are kept as libvirt keeps them: the definition under the pools directory, an active pool's
XML under the run directory (so the next driver start knows it is active), autostart links.  A
volume is any regular file in the pool's directory; its key and path are the file's absolute
path, its format and sizes what ``qemu-img info`` says.  Only ``dir`` pools are accepted.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from pyvirt.errors import (
    ErrorDomain,
    InvalidArgumentError,
    NoStoragePoolError,
    NoStorageVolError,
    OperationFailedError,
    OperationInvalidError,
    StorageVolExistsError,
)
from pyvirt.files import remove, write_atomic
from pyvirt.types import PoolInfo, PoolRef, PoolState, VolInfo, VolRef, VolType
from pyvirt.xml.storagepool import PoolDef
from pyvirt.xml.storagevol import VolDef
from pyvirt_qemu import qemuimg
from pyvirt_qemu.layout import Layout
from pyvirt_qemu.support import UnsupportedConfigError

WIPE_CHUNK = 1 << 20


@dataclass(eq=False)
class PoolObj:
    definition: PoolDef
    persistent: bool
    active: bool = False
    autostart: bool = False
    volumes: dict[str, VolDef] = field(default_factory=dict)

    @property
    def ref(self) -> PoolRef:
        return PoolRef(self.definition.name, self.definition.uuid)

    @property
    def path(self) -> Path:
        return Path(self.definition.target_path or "")


class Pools:
    """Every storage pool of one driver root."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.lock = threading.RLock()
        self.by_uuid: dict[str, PoolObj] = {}

    def load(self) -> None:
        """Read definitions, mark the pools that were active, start the autostart ones."""
        for path in sorted(self.layout.pools.glob("*.xml")):
            dfn = PoolDef.from_xml(path.read_bytes())
            obj = PoolObj(dfn, persistent=True, autostart=(self.layout.pools / "autostart" / path.name).exists())
            self.by_uuid[dfn.uuid] = obj
        for path in sorted(self.layout.pools_run.glob("*.xml")):
            dfn = PoolDef.from_xml(path.read_bytes())
            obj = self.by_uuid.setdefault(dfn.uuid, PoolObj(dfn, persistent=False))
            obj.active = obj.path.is_dir()
        for obj in self.by_uuid.values():
            if obj.autostart and not obj.active and obj.path.is_dir():
                obj.active = True
                self._mark_active(obj)
            if obj.active:
                self.refresh(obj)

    # -- lookups ------------------------------------------------------------------------------

    def get(self, uuid: str) -> PoolObj:
        obj = self.by_uuid.get(uuid)
        if obj is None:
            raise NoStoragePoolError(
                f"Storage pool not found: no storage pool with matching uuid '{uuid}'", domain=ErrorDomain.STORAGE
            )
        return obj

    def by_name(self, name: str) -> PoolObj:
        for obj in self.by_uuid.values():
            if obj.definition.name == name:
                return obj
        raise NoStoragePoolError(
            f"Storage pool not found: no storage pool with matching name '{name}'", domain=ErrorDomain.STORAGE
        )

    def active(self, uuid: str) -> PoolObj:
        obj = self.get(uuid)
        if not obj.active:
            raise OperationInvalidError(
                f"Requested operation is not valid: storage pool '{obj.definition.name}' is not active",
                domain=ErrorDomain.STORAGE,
            )
        return obj

    def volume(self, key: str) -> tuple[PoolObj, VolDef]:
        for obj in self.by_uuid.values():
            if obj.active:
                for vol in obj.volumes.values():
                    if vol.key == key:
                        return obj, vol
        raise NoStorageVolError(
            f"Storage volume not found: no storage vol with matching key {key}", domain=ErrorDomain.STORAGE
        )

    # -- pools --------------------------------------------------------------------------------

    def define(self, xml: str, validate: bool, persistent: bool) -> PoolObj:
        dfn = PoolDef.from_xml(xml, validate=validate)
        if dfn.pool_type != "dir":
            raise UnsupportedConfigError(
                f"storage pool type '{dfn.pool_type}' is not supported by pyvirt-qemu (dir is)"
            )
        if not dfn.target_path:
            raise InvalidArgumentError("XML error: missing storage pool target path")
        with self.lock:
            for other in self.by_uuid.values():
                if other.definition.name == dfn.name and other.definition.uuid != dfn.uuid:
                    raise OperationFailedError(
                        f"operation failed: pool '{dfn.name}' already exists with uuid {other.definition.uuid}",
                        domain=ErrorDomain.STORAGE,
                    )
            obj = self.by_uuid.get(dfn.uuid)
            if obj is not None and not persistent:
                raise OperationFailedError(f"operation failed: pool '{dfn.name}' already exists")
            if persistent:
                write_atomic(self.layout.pools / f"{dfn.name}.xml", dfn.to_xml(inactive=True), 0o644)
            if obj is None:
                obj = PoolObj(dfn, persistent=persistent)
                self.by_uuid[dfn.uuid] = obj
            else:
                obj.definition, obj.persistent = dfn, True
            return obj

    def start(self, obj: PoolObj) -> None:
        if obj.active:
            raise OperationInvalidError(
                f"Requested operation is not valid: storage pool '{obj.definition.name}' is already active"
            )
        if not obj.path.is_dir():
            raise OperationFailedError(
                f"cannot open directory '{obj.path}': No such file or directory", domain=ErrorDomain.STORAGE
            )
        obj.active = True
        self._mark_active(obj)
        self.refresh(obj)

    def _mark_active(self, obj: PoolObj) -> None:
        write_atomic(self.layout.pools_run / f"{obj.definition.name}.xml", obj.definition.to_xml(), 0o644)

    def stop(self, obj: PoolObj) -> None:
        obj.active = False
        obj.volumes = {}
        remove(self.layout.pools_run / f"{obj.definition.name}.xml")
        if not obj.persistent:
            self.by_uuid.pop(obj.definition.uuid, None)

    def undefine(self, obj: PoolObj) -> None:
        if not obj.persistent:
            raise InvalidArgumentError("invalid argument: pool has no config file")
        remove(
            self.layout.pools / f"{obj.definition.name}.xml",
            self.layout.pools / "autostart" / f"{obj.definition.name}.xml",
        )
        obj.persistent, obj.autostart = False, False
        if not obj.active:
            self.by_uuid.pop(obj.definition.uuid, None)

    def set_autostart(self, obj: PoolObj, autostart: bool) -> None:
        if not obj.persistent:
            raise InvalidArgumentError("invalid argument: cannot set autostart for transient pool")
        link = self.layout.pools / "autostart" / f"{obj.definition.name}.xml"
        if autostart and not link.exists():
            link.symlink_to(self.layout.pools / f"{obj.definition.name}.xml")
        elif not autostart:
            remove(link)
        obj.autostart = autostart

    def refresh(self, obj: PoolObj) -> None:
        """Read the directory again: every regular file is a volume."""
        volumes = {}
        for entry in sorted(obj.path.iterdir()):
            if entry.is_file() and not entry.name.startswith("."):
                volumes[entry.name] = self.describe(obj, entry)
        obj.volumes = volumes

    def describe(self, obj: PoolObj, path: Path) -> VolDef:
        """The volume the file at ``path`` is now, as qemu-img reads it."""
        found = qemuimg.info(str(path))
        xml = (
            f"<volume type='file'><name>{_escape(path.name)}</name><key>{_escape(str(path))}</key>"
            f"<capacity unit='bytes'>{found.capacity}</capacity>"
            f"<allocation unit='bytes'>{found.allocation}</allocation>"
            f"<target><path>{_escape(str(path))}</path><format type='{found.format}'/></target></volume>"
        )
        return VolDef.from_xml(xml, obj.definition)

    def volume_path(self, pool: str, name: str) -> str:
        """The file behind ``<source pool= volume=>`` of a disk: its pool must be active."""
        with self.lock:
            obj = self.by_name(pool)
            if not obj.active:
                raise OperationInvalidError(
                    f"Requested operation is not valid: storage pool '{pool}' containing volume '{name}' is not active"
                )
            vol = obj.volumes.get(name)
            if vol is None or not vol.target_path:
                raise NoStorageVolError(
                    f"Storage volume not found: no storage vol with matching name '{name}'", domain=ErrorDomain.STORAGE
                )
            return vol.target_path

    def info(self, obj: PoolObj) -> PoolInfo:
        if not obj.active:
            return PoolInfo(PoolState.INACTIVE, 0, 0, 0)
        st = os.statvfs(obj.path)
        capacity = st.f_blocks * st.f_frsize
        return PoolInfo(PoolState.RUNNING, capacity, capacity - st.f_bfree * st.f_frsize, st.f_bavail * st.f_frsize)

    def pool_xml(self, obj: PoolObj, inactive: bool) -> str:
        if obj.active and not inactive:
            live = obj.definition.copy()
            state = self.info(obj)
            live.capacity, live.allocation, live.available = state.capacity, state.allocation, state.available
            return live.to_xml()
        return obj.definition.to_xml(inactive=True)

    # -- volumes ------------------------------------------------------------------------------

    def create_volume(self, obj: PoolObj, xml: str, validate: bool, source: VolDef | None = None) -> VolDef:
        vol = VolDef.from_xml(xml, obj.definition, validate=validate, no_capacity=source is not None)
        if "/" in vol.name or vol.name in ("", ".", ".."):
            raise InvalidArgumentError(f"invalid argument: volume name '{vol.name}' cannot contain '/'")
        path = obj.path / vol.name
        if vol.name in obj.volumes or path.exists():
            raise StorageVolExistsError(
                f"operation failed: storage volume '{vol.name}' already exists", domain=ErrorDomain.STORAGE
            )
        fmt = vol.format or "raw"
        if source is not None:
            assert source.target_path is not None
            qemuimg.convert(source.target_path, source.format or "raw", str(path), fmt)
            if vol.capacity > source.capacity:
                qemuimg.resize(str(path), fmt, vol.capacity, shrink=False)
        else:
            backing = vol.root.find("backingStore")
            backing_format = backing.find("format") if backing is not None else None
            qemuimg.create(
                str(path),
                fmt,
                vol.capacity,
                backing.findtext("path") if backing is not None else None,
                backing_format.get("type") if backing_format is not None else None,
            )
        made = self.describe(obj, path)
        obj.volumes[vol.name] = made
        return made

    def delete_volume(self, obj: PoolObj, vol: VolDef) -> None:
        assert vol.target_path is not None
        try:
            os.unlink(vol.target_path)
        except FileNotFoundError:
            pass
        obj.volumes.pop(vol.name, None)

    def wipe_volume(self, obj: PoolObj, vol: VolDef) -> None:
        """Zeros over a raw image; a formatted image is made again, empty, with the same size."""
        assert vol.target_path is not None
        if (vol.format or "raw") == "raw":
            zeros = bytes(WIPE_CHUNK)
            with open(vol.target_path, "r+b") as f:
                left = vol.capacity
                while left > 0:
                    left -= f.write(zeros[: min(left, WIPE_CHUNK)])
                f.flush()
                os.fsync(f.fileno())
        else:
            found = qemuimg.info(vol.target_path)
            os.unlink(vol.target_path)
            qemuimg.create(vol.target_path, found.format, found.capacity)
        obj.volumes[vol.name] = self.describe(obj, Path(vol.target_path))

    def resize_volume(self, obj: PoolObj, vol: VolDef, capacity: int, delta: bool, shrink: bool) -> None:
        assert vol.target_path is not None
        target = vol.capacity + capacity if delta else capacity
        if target < vol.capacity and not shrink:
            raise InvalidArgumentError(
                "invalid argument: Can't shrink capacity below current capacity unless shrink flag explicitly specified"
            )
        qemuimg.resize(vol.target_path, vol.format or "raw", target, shrink=target < vol.capacity)
        obj.volumes[vol.name] = self.describe(obj, Path(vol.target_path))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;")


def vol_ref(obj: PoolObj, vol: VolDef) -> VolRef:
    return VolRef(obj.definition.name, vol.name, vol.key or "")


def vol_info(vol: VolDef) -> VolInfo:
    return VolInfo(VolType.FILE, vol.capacity, vol.allocation)
