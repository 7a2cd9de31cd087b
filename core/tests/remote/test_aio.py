"""pyvirt.aio: the API awaited and events as an async iterator (the loop never waiting on a remote
server is test_aio_native's)."""

from __future__ import annotations

import asyncio

import pytest

import pyvirt.aio
from pyvirt.errors import NoDomainError, OperationDeniedError
from pyvirt.types import DomainEventType, DomainState


def test_the_api_awaited_on_a_local_driver() -> None:
    async def scenario() -> None:
        async with pyvirt.aio.open("test:///default") as conn:
            assert await conn.get_type() == "TEST"
            dom = await conn.lookup_domain_by_name("test")
            assert [d.name for d in await conn.list_domains()] == ["test"]
            await dom.destroy()
            assert (await dom.state())[0] == DomainState.SHUTOFF
            await dom.start()
            assert (await dom.info()).state == DomainState.RUNNING
            pool = await conn.lookup_pool_by_name("default-pool")
            assert (await pool.info()).capacity > 0
            with pytest.raises(NoDomainError):
                await conn.lookup_domain_by_name("nope")

    asyncio.run(scenario())


def test_read_only_refusals_are_the_sync_apis() -> None:
    async def scenario() -> None:
        conn = await pyvirt.aio.open_read_only("test:///default")
        try:
            dom = await conn.lookup_domain_by_name("test")
            with pytest.raises(OperationDeniedError, match="read only access prevents virDomainDestroy"):
                await dom.destroy()
        finally:
            await conn.close()

    asyncio.run(scenario())


def test_lifecycle_events_as_an_async_iterator() -> None:
    async def scenario() -> list[tuple[str, DomainEventType]]:
        async with pyvirt.aio.open("test:///default") as conn:
            dom = await conn.lookup_domain_by_name("test")
            async with conn.lifecycle_events() as events:
                await dom.suspend()
                await dom.resume()
                seen = [await anext(events), await anext(events)]
            assert [e async for e in events] == []  # closed: the iteration ends
            return [(e.domain.name, e.event) for e in seen]

    assert asyncio.run(scenario()) == [("test", DomainEventType.SUSPENDED), ("test", DomainEventType.RESUMED)]
