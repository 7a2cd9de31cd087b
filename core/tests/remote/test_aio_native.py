"""pyvirt.aio's asyncio-native remote driver: no threads, the loop never waits, pipelined calls,
events as an async iterator and a lost link reported at once; against the scripted server and
against a real pyvirtd."""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fakeserver import FakeServer, Hangup, Peer, Silence

import pyvirt.aio
from pyvirt.aio.remote import AsyncRPCClient
from pyvirt.errors import ConnectError, ConnectionLostError, NoDomainError
from pyvirt.rpc import remote_protocol as rp
from pyvirt.rpc.message import Header
from pyvirt.types import DomainEventType, DomainState

T = TypeVar("T")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FakeServer]:
    fake = FakeServer(tmp_path / "sock")
    try:
        yield fake
    finally:
        fake.stop()


class HeldReply:
    """A reply the server holds until the client's loop has ticked.

    The server thread waits (up to 20 s) for ``ticked``, which only a coroutine on the client's
    loop sets.  A loop blocked on the call could not set it, so ``released_by_loop`` (was the
    reply let go by the loop's ticks, or by the wait running out?) says whether the loop kept
    running while the call was pending, whatever the load on the machine.
    """

    def __init__(self, value: Any) -> None:
        self.value = value
        self.ticked = threading.Event()
        self.released_by_loop: list[bool] = []

    def __call__(self, peer: Peer, header: Header, args: Any) -> Any:
        self.released_by_loop.append(self.ticked.wait(20))
        return self.value

    async def beside(self, work: Awaitable[T]) -> T:
        """Run ``work`` beside a probe that yields to the loop a few times, then sets ``ticked``."""

        async def probe() -> None:
            for _ in range(3):
                await asyncio.sleep(0.01)
            self.ticked.set()

        ticker = asyncio.create_task(probe())
        try:
            return await work
        finally:
            await ticker


def _os_threads() -> int:
    """Threads of this process as the kernel counts them (bare ``_thread`` ones included)."""
    return len(os.listdir("/proc/self/task"))


def test_remote_connections_run_on_the_loop_without_threads(server: FakeServer) -> None:
    async def scenario() -> tuple[int, int, str]:
        before = _os_threads()
        async with pyvirt.aio.open(server.uri) as conn:
            assert isinstance(conn.sync.driver.client, AsyncRPCClient)  # type: ignore[attr-defined]
            kind = await conn.get_type()
            assert server.accepted.wait(5)
            during = _os_threads()
        return before, during, kind

    before, during, kind = asyncio.run(scenario())
    assert kind == "FAKE"
    assert during == before + 1  # the scripted server's thread for this connection, nothing of ours


def test_the_loop_keeps_running_while_the_server_sits_on_the_open(server: FakeServer) -> None:
    held = server.replies[rp.REMOTE_PROC_CONNECT_OPEN] = HeldReply(None)

    async def scenario() -> None:
        conn = await held.beside(pyvirt.aio.open(server.uri))
        await conn.close()

    asyncio.run(scenario())
    assert held.released_by_loop == [True], "the loop stood still while the server sat on the open"


def test_the_loop_keeps_running_while_the_server_sits_on_a_call(server: FakeServer) -> None:
    held = server.replies[rp.REMOTE_PROC_CONNECT_GET_HOSTNAME] = HeldReply(
        rp.remote_connect_get_hostname_ret("slow-node")
    )

    async def scenario() -> str:
        async with pyvirt.aio.open(server.uri) as conn:
            return await held.beside(conn.get_hostname())

    assert asyncio.run(scenario()) == "slow-node"
    assert held.released_by_loop == [True], "the loop stood still while the server sat on the call"


def test_concurrent_calls_share_the_connection_and_keep_their_own_replies(server: FakeServer) -> None:
    server.replies[rp.REMOTE_PROC_CONNECT_GET_HOSTNAME] = lambda p, h, a: rp.remote_connect_get_hostname_ret("n1")

    async def scenario() -> list[Any]:
        async with pyvirt.aio.open(server.uri) as conn:
            calls = [conn.get_hostname(), conn.get_type(), conn.get_version()] * 20
            return list(await asyncio.gather(*calls))

    replies = asyncio.run(scenario())
    assert replies[:3] == ["n1", "FAKE", (1, 2, 3)]
    assert replies == replies[:3] * 20


def test_a_dropped_link_fails_the_pending_call_and_later_ones(server: FakeServer) -> None:
    def hang_up(peer: Peer, header: Header, args: Any) -> Any:
        raise Hangup

    server.replies[rp.REMOTE_PROC_CONNECT_GET_HOSTNAME] = hang_up

    async def scenario() -> None:
        conn = await pyvirt.aio.open(server.uri)
        with pytest.raises(ConnectionLostError, match="connection lost"):
            await asyncio.wait_for(conn.get_hostname(), 10)
        with pytest.raises(ConnectionLostError):
            await conn.get_type()
        assert not await conn.is_alive()
        await conn.close()

    asyncio.run(scenario())


def test_a_cancelled_call_leaves_the_connection_usable(server: FakeServer) -> None:
    def silent(peer: Peer, header: Header, args: Any) -> Any:
        raise Silence

    server.replies[rp.REMOTE_PROC_CONNECT_GET_HOSTNAME] = silent

    async def scenario() -> str:
        async with pyvirt.aio.open(server.uri) as conn:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(conn.get_hostname(), 0.2)
            return await conn.get_type()

    assert asyncio.run(scenario()) == "FAKE"


def test_nobody_listening_is_a_connect_error(tmp_path: Path) -> None:
    async def scenario() -> None:
        await pyvirt.aio.open(f"test+unix:///default?socket={tmp_path / 'none'}")

    with pytest.raises(ConnectError, match="Failed to connect socket"):
        asyncio.run(scenario())


def test_the_api_and_events_over_a_real_pyvirtd() -> None:
    pytest.importorskip("pyvirt_daemon", reason="pyvirtd (the daemon/ distribution) is not installed")
    from pyvirt_daemon.process import DaemonProcess

    async def scenario(uri: str) -> list[tuple[str, DomainEventType]]:
        async with pyvirt.aio.open(uri) as conn:
            assert isinstance(conn.sync.driver.client, AsyncRPCClient)  # type: ignore[attr-defined]
            assert await conn.get_type() == "TEST"
            dom = await conn.lookup_domain_by_name("test")
            with pytest.raises(NoDomainError):
                await conn.lookup_domain_by_name("nope")
            async with conn.lifecycle_events() as events:
                await dom.suspend()
                await dom.resume()
                seen = [await asyncio.wait_for(anext(events), 10) for _ in range(2)]
            assert (await dom.state())[0] == DomainState.RUNNING
            return [(e.domain.name, e.event) for e in seen]

    with tempfile.TemporaryDirectory(prefix="pyvirtd-aio-") as root, DaemonProcess(Path(root)) as daemon:
        seen = asyncio.run(scenario(daemon.uri()))
    assert seen == [("test", DomainEventType.SUSPENDED), ("test", DomainEventType.RESUMED)]
