"""pyvirt.aio: the API awaited, events as an async iterator, and an event loop that never waits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakeserver import FakeServer, Peer

import pyvirt.aio
from pyvirt.errors import NoDomainError, OperationDeniedError
from pyvirt.rpc import remote_protocol as rp
from pyvirt.rpc.message import Header
from pyvirt.types import DomainEventType, DomainState

SLOW_REPLY = 1.0
"""Seconds the scripted server sits on a call; a blocked loop would stall at least this long."""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FakeServer]:
    fake = FakeServer(tmp_path / "sock")
    try:
        yield fake
    finally:
        fake.stop()


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


def test_a_slow_remote_call_does_not_stall_the_loop(server: FakeServer) -> None:
    """A loop-lag probe ticks every 10 ms while the server sits on a call for a second."""

    def slow(peer: Peer, header: Header, args: Any) -> Any:
        time.sleep(SLOW_REPLY)
        return rp.remote_connect_get_hostname_ret("slow-node")

    server.replies[rp.REMOTE_PROC_CONNECT_GET_HOSTNAME] = slow

    async def scenario() -> tuple[str, float, int]:
        worst = 0.0
        ticks = 0
        stop = asyncio.Event()

        async def probe() -> None:
            nonlocal worst, ticks
            while not stop.is_set():
                before = time.monotonic()
                await asyncio.sleep(0.01)
                worst = max(worst, time.monotonic() - before - 0.01)
                ticks += 1

        async with pyvirt.aio.open(server.uri) as conn:
            ticker = asyncio.create_task(probe())
            hostname = await conn.get_hostname()
            stop.set()
            await ticker
        return hostname, worst, ticks

    hostname, worst, ticks = asyncio.run(scenario())
    assert hostname == "slow-node"
    assert worst < SLOW_REPLY / 2, f"the loop stalled {worst:.3f} s during the call"
    assert ticks > 10
