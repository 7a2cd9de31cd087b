"""Awaitable twins of the public handles: the same methods, each one awaited.

Each wraps the synchronous handle (:class:`~pyvirt.Domain`...), so the read-only checks, the
plugin hooks and the errors are exactly those of the synchronous API; only the waiting moves
off the event loop.  Identity attributes (``name``, ``uuid``...) are plain attributes, as there.
Properties that call the driver (``autostart``) become ``get_autostart()``.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

from pyvirt.aio._run import Runner
from pyvirt.domain import Domain
from pyvirt.network import Network
from pyvirt.storage import StoragePool, StorageVol
from pyvirt.types import (
    DomainDisk,
    DomainInfo,
    DomainInterface,
    DomainMessageKind,
    DomainState,
    ModifyScope,
    PoolInfo,
    VolInfo,
)


class _HasName(Protocol):
    @property
    def name(self) -> str: ...


class _HasUUID(_HasName, Protocol):
    @property
    def uuid(self) -> str: ...


_Sync = TypeVar("_Sync", bound=_HasName)
_Named = TypeVar("_Named", bound=_HasUUID)


class _Handle(Generic[_Sync]):
    """What every async handle holds: the synchronous handle it wraps and the runner that
    moves its calls off the event loop."""

    __slots__ = ("_run", "sync")

    def __init__(self, sync: _Sync, run: Runner) -> None:
        self.sync = sync
        self._run = run

    @property
    def name(self) -> str:
        return self.sync.name


class _UUIDHandle(_Handle[_Named]):
    """A handle of an object named by UUID (domain, network, pool)."""

    __slots__ = ()

    @property
    def uuid(self) -> str:
        return self.sync.uuid


class AsyncDomain(_UUIDHandle[Domain]):
    """A domain; see :class:`pyvirt.Domain` for what each method does."""

    __slots__ = ()

    @property
    def id(self) -> int:
        return self.sync.id

    def __repr__(self) -> str:
        return f"<pyvirt.aio.AsyncDomain {self.name!r} id={self.id} uuid={self.uuid}>"

    async def start(self, *, paused: bool = False) -> None:
        await self._run(self.sync.start, paused=paused)

    async def shutdown(self, *, timeout: float | None = None) -> None:
        """As :meth:`pyvirt.Domain.shutdown`; the wait for ``timeout`` never blocks the loop."""
        from pyvirt.aio._shutdown import wait_shut_off
        from pyvirt.shutdown_wait import check_timeout

        check_timeout(timeout)
        await self._run(self.sync.shutdown)
        if timeout is not None:
            await wait_shut_off(self.sync, timeout, self._run)
            self.sync.id = -1  # shut off: no ID any more, as the synchronous call leaves it

    async def destroy(self) -> None:
        await self._run(self.sync.destroy)

    async def reboot(self) -> None:
        await self._run(self.sync.reboot)

    async def reset(self) -> None:
        await self._run(self.sync.reset)

    async def suspend(self) -> None:
        await self._run(self.sync.suspend)

    async def resume(self) -> None:
        await self._run(self.sync.resume)

    async def save(self, path: str) -> None:
        await self._run(self.sync.save, path)

    async def undefine(self, *, managed_save: bool = False) -> None:
        await self._run(self.sync.undefine, managed_save=managed_save)

    async def state(self) -> tuple[DomainState, int]:
        return await self._run(self.sync.state)

    async def info(self) -> DomainInfo:
        return await self._run(self.sync.info)

    async def xml(self, *, inactive: bool = False, secure: bool = False) -> str:
        return await self._run(self.sync.xml, inactive=inactive, secure=secure)

    async def os_type(self) -> str:
        return await self._run(self.sync.os_type)

    async def is_active(self) -> bool:
        return await self._run(self.sync.is_active)

    async def is_persistent(self) -> bool:
        return await self._run(self.sync.is_persistent)

    async def is_updated(self) -> bool:
        return await self._run(self.sync.is_updated)

    async def has_managed_save(self) -> bool:
        return await self._run(self.sync.has_managed_save)

    async def security_label(self) -> tuple[str, str, bool]:
        return await self._run(self.sync.security_label)

    async def messages(self, kinds: DomainMessageKind = DomainMessageKind.ALL) -> list[str]:
        return await self._run(self.sync.messages, kinds)

    async def get_autostart(self) -> bool:
        return await self._run(lambda: self.sync.autostart)

    async def set_autostart(self, autostart: bool) -> None:
        await self._run(self.sync.set_autostart, autostart)

    async def title(self, *, inactive: bool = False) -> str | None:
        return await self._run(self.sync.title, inactive=inactive)

    async def description(self, *, inactive: bool = False) -> str | None:
        return await self._run(self.sync.description, inactive=inactive)

    async def disks(self, *, inactive: bool = False) -> list[DomainDisk]:
        return await self._run(self.sync.disks, inactive=inactive)

    async def interfaces(self, *, inactive: bool = False) -> list[DomainInterface]:
        return await self._run(self.sync.interfaces, inactive=inactive)

    async def set_memory(self, kib: int, scope: ModifyScope = ModifyScope.CURRENT) -> None:
        await self._run(self.sync.set_memory, kib, scope)

    async def set_max_memory(self, kib: int, scope: ModifyScope = ModifyScope.CURRENT) -> None:
        await self._run(self.sync.set_max_memory, kib, scope)

    async def set_vcpus(self, count: int, scope: ModifyScope = ModifyScope.CURRENT) -> None:
        await self._run(self.sync.set_vcpus, count, scope)

    async def vcpus_count(self, scope: ModifyScope = ModifyScope.CURRENT) -> int:
        return await self._run(self.sync.vcpus_count, scope)

    async def memory_stats(self) -> dict[str, int]:
        return await self._run(self.sync.memory_stats)


class AsyncNetwork(_UUIDHandle[Network]):
    """A virtual network; see :class:`pyvirt.Network`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<pyvirt.aio.AsyncNetwork {self.name!r} uuid={self.uuid}>"

    async def start(self) -> None:
        await self._run(self.sync.start)

    async def destroy(self) -> None:
        await self._run(self.sync.destroy)

    async def undefine(self) -> None:
        await self._run(self.sync.undefine)

    async def xml(self, *, inactive: bool = False) -> str:
        return await self._run(self.sync.xml, inactive=inactive)

    async def is_active(self) -> bool:
        return await self._run(self.sync.is_active)

    async def is_persistent(self) -> bool:
        return await self._run(self.sync.is_persistent)

    async def bridge_name(self) -> str:
        return await self._run(self.sync.bridge_name)

    async def get_autostart(self) -> bool:
        return await self._run(lambda: self.sync.autostart)

    async def set_autostart(self, autostart: bool) -> None:
        await self._run(self.sync.set_autostart, autostart)


class AsyncStoragePool(_UUIDHandle[StoragePool]):
    """A storage pool; see :class:`pyvirt.StoragePool`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<pyvirt.aio.AsyncStoragePool {self.name!r} uuid={self.uuid}>"

    async def build(self) -> None:
        await self._run(self.sync.build)

    async def start(self) -> None:
        await self._run(self.sync.start)

    async def destroy(self) -> None:
        await self._run(self.sync.destroy)

    async def delete(self) -> None:
        await self._run(self.sync.delete)

    async def undefine(self) -> None:
        await self._run(self.sync.undefine)

    async def refresh(self) -> None:
        await self._run(self.sync.refresh)

    async def info(self) -> PoolInfo:
        return await self._run(self.sync.info)

    async def xml(self, *, inactive: bool = False) -> str:
        return await self._run(self.sync.xml, inactive=inactive)

    async def is_active(self) -> bool:
        return await self._run(self.sync.is_active)

    async def is_persistent(self) -> bool:
        return await self._run(self.sync.is_persistent)

    async def get_autostart(self) -> bool:
        return await self._run(lambda: self.sync.autostart)

    async def set_autostart(self, autostart: bool) -> None:
        await self._run(self.sync.set_autostart, autostart)

    async def list_volumes(self) -> list[AsyncStorageVol]:
        return [AsyncStorageVol(v, self._run) for v in await self._run(self.sync.list_volumes)]

    async def lookup_volume(self, name: str) -> AsyncStorageVol:
        return AsyncStorageVol(await self._run(self.sync.lookup_volume, name), self._run)

    async def create_volume(self, xml: str, *, validate: bool = False) -> AsyncStorageVol:
        return AsyncStorageVol(await self._run(self.sync.create_volume, xml, validate=validate), self._run)

    async def clone_volume(self, xml: str, source: AsyncStorageVol) -> AsyncStorageVol:
        return AsyncStorageVol(await self._run(self.sync.clone_volume, xml, source.sync), self._run)


class AsyncStorageVol(_Handle[StorageVol]):
    """A storage volume; see :class:`pyvirt.StorageVol`."""

    __slots__ = ()

    @property
    def key(self) -> str:
        return self.sync.key

    @property
    def pool_name(self) -> str:
        return self.sync.pool_name

    def __repr__(self) -> str:
        return f"<pyvirt.aio.AsyncStorageVol {self.name!r} pool={self.pool_name!r} key={self.key!r}>"

    async def pool(self) -> AsyncStoragePool:
        return AsyncStoragePool(await self._run(self.sync.pool), self._run)

    async def delete(self) -> None:
        await self._run(self.sync.delete)

    async def wipe(self) -> None:
        await self._run(self.sync.wipe)

    async def resize(self, capacity: int, *, delta: bool = False, shrink: bool = False) -> None:
        await self._run(self.sync.resize, capacity, delta=delta, shrink=shrink)

    async def info(self) -> VolInfo:
        return await self._run(self.sync.info)

    async def xml(self) -> str:
        return await self._run(self.sync.xml)

    async def path(self) -> str:
        return await self._run(self.sync.path)
