"""The awaitable connection: :func:`open` and :class:`AsyncConnection`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pyvirt.connection as sync_connection
from pyvirt import uri as uri_mod
from pyvirt.aio._run import Runner, ThreadRunner
from pyvirt.aio.events import LifecycleEvents
from pyvirt.aio.handles import AsyncDomain, AsyncNetwork, AsyncStoragePool, AsyncStorageVol
from pyvirt.connection import CloseCallback, Connection
from pyvirt.domain import Domain
from pyvirt.errors import OperationInvalidError
from pyvirt.types import CloseReason, ListFilter, NodeInfo, Version

if TYPE_CHECKING:
    from pyvirt.auth import Authenticator

AsyncCloseCallback = Callable[["AsyncConnection", CloseReason], None]
"""Told once, on the event loop, that a connection's link ended: the connection, and why."""


def open(name: str | None = None, *, auth: Authenticator | None = None) -> Opening:
    """Open a read-write connection (see :func:`pyvirt.open`) without blocking the loop:
    ``conn = await pyvirt.aio.open(uri)``, or ``async with pyvirt.aio.open(uri) as conn:``.
    ``auth`` answers the credentials the driver asks for while opening, as for
    :func:`pyvirt.open`; its callback is synchronous and runs on the loop for remote URIs over
    unix/tcp/tls, in a worker thread otherwise, so it should answer without waiting."""
    return Opening(name, read_only=False, auth=auth)


def open_read_only(name: str | None = None, *, auth: Authenticator | None = None) -> Opening:
    return Opening(name, read_only=True, auth=auth)


class Opening:
    """A connection being opened: await it, or use it as ``async with`` (closed on the way out)."""

    def __init__(self, name: str | None, read_only: bool, auth: Authenticator | None = None) -> None:
        self._name = name
        self._read_only = read_only
        self._auth = auth
        self._conn: AsyncConnection | None = None

    def __await__(self) -> Generator[Any, None, AsyncConnection]:
        return self._open().__await__()

    async def _open(self) -> AsyncConnection:
        """Remote URIs over unix, tcp or tls get the asyncio-native remote driver; the rest (local
        drivers, ssh and ext transports, the local daemon fallback) run in worker threads."""
        parsed = uri_mod.parse(self._name if self._name is not None else uri_mod.default_uri())
        if parsed.is_remote:
            from pyvirt.aio import remote  # the codec and greenlet load only for remote URIs

            target = remote.native_target(parsed, self._read_only)
            if target is not None:
                opened = await remote.open_remote(parsed, target, self._read_only, self._auth)
                return AsyncConnection(opened, remote.LoopRunner())
        runner = ThreadRunner(self._name or "default")
        opener = sync_connection.open_read_only if self._read_only else sync_connection.open
        try:
            conn = await runner(opener, self._name, auth=self._auth)
        except BaseException:
            await runner.aclose()
            raise
        return AsyncConnection(conn, runner)

    async def __aenter__(self) -> AsyncConnection:
        self._conn = await self._open()
        return self._conn

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._conn is not None:
            await self._conn.close()


class AsyncConnection:
    """An open connection whose calls are awaited; an async context manager.

    ``sync`` is the underlying :class:`pyvirt.Connection` (for code that runs in a thread).
    """

    def __init__(self, sync: Connection, runner: Runner) -> None:
        self.sync = sync
        self._run = runner
        self._close_relay: tuple[AsyncCloseCallback, CloseCallback] | None = None

    @property
    def uri(self) -> str:
        return self.sync.uri

    @property
    def read_only(self) -> bool:
        return self.sync.read_only

    def __repr__(self) -> str:
        return f"<pyvirt.aio.AsyncConnection {self.uri!r}{' read-only' if self.read_only else ''}>"

    async def close(self) -> None:
        """Close the connection, then end its worker threads.  Idempotent."""
        await self._run(self.sync.close)
        await self._run.aclose()

    async def __aenter__(self) -> AsyncConnection:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def lifecycle_events(self) -> LifecycleEvents:
        """Lifecycle events from now on, as an async iterator (see :class:`LifecycleEvents`)."""
        return LifecycleEvents(self.sync)

    # -- keepalive and the end of the link ------------------------------------------------------

    async def set_keepalive(self, interval: float, count: int) -> bool:
        """See :meth:`pyvirt.Connection.set_keepalive`."""
        return await self._run(self.sync.set_keepalive, interval, count)

    def register_close_callback(self, callback: AsyncCloseCallback) -> None:
        """``callback(conn, reason)`` runs once, on this event loop, when the link ends (see
        :meth:`pyvirt.Connection.register_close_callback`; its rules and errors apply)."""
        loop = asyncio.get_running_loop()

        def relay(_sync: Connection, reason: CloseReason) -> None:
            try:
                loop.call_soon_threadsafe(callback, self, reason)
            except RuntimeError:  # the loop is closed: nobody is listening any more
                pass

        self.sync.register_close_callback(relay)
        self._close_relay = (callback, relay)

    def unregister_close_callback(self, callback: AsyncCloseCallback) -> None:
        relay = self._close_relay
        if relay is None or relay[0] != callback:
            raise OperationInvalidError("Requested operation is not valid: A different callback was requested")
        self.sync.unregister_close_callback(relay[1])
        self._close_relay = None

    # -- node ---------------------------------------------------------------------------------

    async def is_alive(self) -> bool:
        return await self._run(self.sync.is_alive)

    async def is_encrypted(self) -> bool:
        return await self._run(self.sync.is_encrypted)

    async def is_secure(self) -> bool:
        return await self._run(self.sync.is_secure)

    async def get_type(self) -> str:
        return await self._run(self.sync.get_type)

    async def get_version(self) -> Version:
        return await self._run(self.sync.get_version)

    def get_lib_version(self) -> Version:
        return self.sync.get_lib_version()

    async def get_hostname(self) -> str:
        return await self._run(self.sync.get_hostname)

    async def get_node_info(self) -> NodeInfo:
        return await self._run(self.sync.get_node_info)

    async def get_capabilities(self) -> str:
        return await self._run(self.sync.get_capabilities)

    async def get_sysinfo(self) -> str:
        return await self._run(self.sync.get_sysinfo)

    async def get_free_memory(self) -> int:
        return await self._run(self.sync.get_free_memory)

    async def get_security_model(self) -> tuple[str, str]:
        return await self._run(self.sync.get_security_model)

    async def get_cells_free_memory(self, start_cell: int = 0, max_cells: int = 1) -> list[int]:
        return await self._run(self.sync.get_cells_free_memory, start_cell, max_cells)

    # -- domains ------------------------------------------------------------------------------

    def _domain(self, dom: Domain) -> AsyncDomain:
        return AsyncDomain(dom, self._run)

    async def list_domains(self, filters: ListFilter = ListFilter.NONE) -> list[AsyncDomain]:
        return [self._domain(d) for d in await self._run(self.sync.list_domains, filters)]

    async def lookup_domain_by_name(self, name: str) -> AsyncDomain:
        return self._domain(await self._run(self.sync.lookup_domain_by_name, name))

    async def lookup_domain_by_uuid(self, uuid: str) -> AsyncDomain:
        return self._domain(await self._run(self.sync.lookup_domain_by_uuid, uuid))

    async def lookup_domain_by_id(self, domain_id: int) -> AsyncDomain:
        return self._domain(await self._run(self.sync.lookup_domain_by_id, domain_id))

    async def define_domain(self, xml: str, *, validate: bool = False) -> AsyncDomain:
        return self._domain(await self._run(self.sync.define_domain, xml, validate=validate))

    async def create_domain(self, xml: str, *, validate: bool = False, paused: bool = False) -> AsyncDomain:
        return self._domain(await self._run(self.sync.create_domain, xml, validate=validate, paused=paused))

    async def restore_domain(self, path: str) -> AsyncDomain:
        return self._domain(await self._run(self.sync.restore_domain, path))

    # -- networks -----------------------------------------------------------------------------

    async def list_networks(self, filters: ListFilter = ListFilter.NONE) -> list[AsyncNetwork]:
        return [AsyncNetwork(n, self._run) for n in await self._run(self.sync.list_networks, filters)]

    async def lookup_network_by_name(self, name: str) -> AsyncNetwork:
        return AsyncNetwork(await self._run(self.sync.lookup_network_by_name, name), self._run)

    async def lookup_network_by_uuid(self, uuid: str) -> AsyncNetwork:
        return AsyncNetwork(await self._run(self.sync.lookup_network_by_uuid, uuid), self._run)

    async def define_network(self, xml: str, *, validate: bool = False) -> AsyncNetwork:
        return AsyncNetwork(await self._run(self.sync.define_network, xml, validate=validate), self._run)

    async def create_network(self, xml: str, *, validate: bool = False) -> AsyncNetwork:
        return AsyncNetwork(await self._run(self.sync.create_network, xml, validate=validate), self._run)

    # -- storage ------------------------------------------------------------------------------

    async def list_storage_pools(self, filters: ListFilter = ListFilter.NONE) -> list[AsyncStoragePool]:
        return [AsyncStoragePool(p, self._run) for p in await self._run(self.sync.list_storage_pools, filters)]

    async def lookup_pool_by_name(self, name: str) -> AsyncStoragePool:
        return AsyncStoragePool(await self._run(self.sync.lookup_pool_by_name, name), self._run)

    async def lookup_pool_by_uuid(self, uuid: str) -> AsyncStoragePool:
        return AsyncStoragePool(await self._run(self.sync.lookup_pool_by_uuid, uuid), self._run)

    async def define_pool(self, xml: str, *, validate: bool = False) -> AsyncStoragePool:
        return AsyncStoragePool(await self._run(self.sync.define_pool, xml, validate=validate), self._run)

    async def create_pool(self, xml: str, *, validate: bool = False) -> AsyncStoragePool:
        return AsyncStoragePool(await self._run(self.sync.create_pool, xml, validate=validate), self._run)

    async def lookup_volume_by_key(self, key: str) -> AsyncStorageVol:
        return AsyncStorageVol(await self._run(self.sync.lookup_volume_by_key, key), self._run)

    async def lookup_volume_by_path(self, path: str) -> AsyncStorageVol:
        return AsyncStorageVol(await self._run(self.sync.lookup_volume_by_path, path), self._run)
