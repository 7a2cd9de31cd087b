"""``pyvirt.aio`` and the end of a connection's link, against a real pyvirtd.

Both ways ``pyvirt.aio`` reaches a daemon are tested: the asyncio-native remote driver (unix
socket on the loop) and the threaded one behind a worker pool (the ``ext`` transport, here
``nc -U`` to the same socket).  A lifecycle-event iteration in progress ends with
``ConnectionLostError`` when the daemon is killed or stops answering keepalive, after the
events that arrived before; it ends quietly when the application closes the connection; the
awaitable connection's close callback runs on the event loop.
"""

from __future__ import annotations

import asyncio
import shlex
import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

import pyvirt
import pyvirt.aio
from pyvirt import CloseReason
from pyvirt.errors import ConnectionLostError
from pyvirt.types import DomainEventType

pytest.importorskip("pyvirt_daemon", reason="pyvirtd (the daemon/ distribution) is not installed")

from pyvirt_daemon.process import DaemonProcess

HANG_GUARD = 30.0
"""Seconds after which a wait is a failure (a hang), never a claim about speed."""


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    proc = DaemonProcess(tmp_path / "node").start()
    try:
        yield proc
    finally:
        proc.kill()  # SIGKILL ends a stopped daemon too, and reaps it


@pytest.fixture(params=["native", "threaded"])
def uri(request: pytest.FixtureRequest, daemon: DaemonProcess) -> str:
    """The daemon's URI for the asyncio-native driver, or through ``nc -U`` (ext: threads)."""
    if request.param == "native":
        return daemon.uri()
    if shutil.which("nc") is None:
        pytest.skip("needs nc (netcat-openbsd) for the ext transport")
    return f"test+ext:///default?command={quote(shlex.join(['nc', '-U', str(daemon.socket)]))}"


def _hang(daemon: DaemonProcess, how: str) -> None:
    if how == "kill":
        daemon.kill()
    else:
        daemon.signal(signal.SIGSTOP)


@pytest.mark.parametrize(("how", "why"), [("kill", "end of file"), ("stop", "keepalive timeout")])
def test_an_iteration_in_progress_ends_with_connection_lost(
    daemon: DaemonProcess, uri: str, how: str, why: str
) -> None:
    async def scenario() -> None:
        conn = await pyvirt.aio.open(uri)
        try:
            if how == "stop":  # (only then: a slow daemon must not be taken for a hung one)
                assert await conn.set_keepalive(0.3, 2) is True
            async with conn.lifecycle_events() as events:
                waiting = asyncio.ensure_future(events.__anext__())
                await asyncio.sleep(0)
                _hang(daemon, how)
                with pytest.raises(ConnectionLostError, match=why):
                    await asyncio.wait_for(waiting, HANG_GUARD)
                with pytest.raises(ConnectionLostError, match=why):
                    await asyncio.wait_for(events.__anext__(), HANG_GUARD)
        finally:
            await conn.close()

    asyncio.run(scenario())


def test_events_that_arrived_before_the_loss_come_first(daemon: DaemonProcess, uri: str) -> None:
    async def scenario() -> None:
        conn = await pyvirt.aio.open(uri)
        try:
            async with conn.lifecycle_events() as events:
                with pyvirt.open(daemon.uri()) as other:
                    other.lookup_domain_by_name("test").suspend()
                    other.lookup_domain_by_name("test").resume()
                await conn.get_version()  # its reply follows the events: they are queued by now
                daemon.kill()
                got = [await asyncio.wait_for(events.__anext__(), HANG_GUARD) for _ in range(2)]
                assert [(e.domain.name, e.event) for e in got] == [
                    ("test", DomainEventType.SUSPENDED),
                    ("test", DomainEventType.RESUMED),
                ]
                with pytest.raises(ConnectionLostError):
                    await asyncio.wait_for(events.__anext__(), HANG_GUARD)
        finally:
            await conn.close()

    asyncio.run(scenario())


def test_closing_the_connection_ends_the_iteration_quietly(uri: str) -> None:
    async def scenario() -> None:
        conn = await pyvirt.aio.open(uri)
        async with conn.lifecycle_events() as events:
            waiting = asyncio.ensure_future(events.__anext__())
            await asyncio.sleep(0)
            await conn.close()
            with pytest.raises(StopAsyncIteration):
                await asyncio.wait_for(waiting, HANG_GUARD)

    asyncio.run(scenario())


def test_an_iterator_made_after_the_loss_ends_at_once(daemon: DaemonProcess) -> None:
    async def scenario() -> None:
        conn = await pyvirt.aio.open(daemon.uri())
        try:
            daemon.kill()
            with pytest.raises(ConnectionLostError):
                await conn.get_version()
            async with conn.lifecycle_events() as events:
                with pytest.raises(ConnectionLostError, match="end of file"):
                    await asyncio.wait_for(events.__anext__(), HANG_GUARD)
        finally:
            await conn.close()

    asyncio.run(scenario())


@pytest.mark.parametrize("how", ["kill", "stop"])
def test_the_close_callback_runs_on_the_event_loop(daemon: DaemonProcess, uri: str, how: str) -> None:
    async def scenario() -> None:
        conn = await pyvirt.aio.open(uri)
        told: asyncio.Future[tuple[object, CloseReason, threading.Thread]] = asyncio.get_running_loop().create_future()

        def on_close(aconn: pyvirt.aio.AsyncConnection, reason: CloseReason) -> None:
            told.set_result((aconn, reason, threading.current_thread()))

        try:
            if how == "stop":
                await conn.set_keepalive(0.3, 2)
            conn.register_close_callback(on_close)
            with pytest.raises(pyvirt.OperationInvalidError, match="already registered"):
                conn.register_close_callback(on_close)
            _hang(daemon, how)
            aconn, reason, thread = await asyncio.wait_for(told, HANG_GUARD)
            assert aconn is conn
            assert reason is (CloseReason.EOF if how == "kill" else CloseReason.KEEPALIVE)
            assert thread is threading.current_thread()
            conn.unregister_close_callback(on_close)
        finally:
            await conn.close()

    asyncio.run(scenario())


def test_closing_an_in_process_connection_ends_the_iteration_too() -> None:
    """test:/// never loses its link and never calls the application's close callback, as
    libvirt's test driver; an iteration in progress still ends when the connection is closed."""

    async def scenario() -> None:
        conn = await pyvirt.aio.open("test:///default")
        told: list[CloseReason] = []
        conn.register_close_callback(lambda _conn, reason: told.append(reason))
        async with conn.lifecycle_events() as events:
            waiting = asyncio.ensure_future(events.__anext__())
            await asyncio.sleep(0)
            await conn.close()
            with pytest.raises(StopAsyncIteration):
                await asyncio.wait_for(waiting, HANG_GUARD)
        async with conn.lifecycle_events() as late:
            with pytest.raises(StopAsyncIteration):
                await asyncio.wait_for(late.__anext__(), HANG_GUARD)
        await asyncio.sleep(0)
        assert told == []

    asyncio.run(scenario())
