"""The remote driver on asyncio: the socket is an asyncio transport, read by the loop itself.

:class:`AsyncRPCClient` has the threaded :class:`~pyvirt.remote.client.RPCClient`'s methods, so
the remote driver (:class:`~pyvirt.remote.driver.RemoteConnection`) and the open handshake
(:func:`pyvirt.remote.opening.handshake`) are used unchanged: they run under
:func:`~pyvirt.aio._bridge.run_sync`, and each call here suspends them (``await_only``) until
the reply arrives.  The protocol (:class:`_Wire`) hands what the socket delivers to the client
in the loop's own callback, which resolves the callers' futures, answers the server's PINGs
and queues events (no reader task: one wake-up per reply, the caller's); a task runs the
event handler, another the keepalive.  No thread anywhere.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

from pyvirt.aio._bridge import await_only, run_sync
from pyvirt.connection import Connection
from pyvirt.errors import ConnectionLostError, ErrorCode, ErrorDomain, PyvirtError
from pyvirt.events import EventBus
from pyvirt.log import get_logger
from pyvirt.remote.client import CloseHandler, EventHandler, RPCClient, pack_call, server_error
from pyvirt.remote.driver import RemoteConnection
from pyvirt.remote.opening import handshake
from pyvirt.remote.target import Target, resolve
from pyvirt.remote.transport import Transport, connect_failed
from pyvirt.rpc import keepalive_protocol as kp
from pyvirt.rpc import remote_protocol as rp
from pyvirt.rpc.keepalive import Action, KeepAlive
from pyvirt.rpc.message import FrameReader, MessageType, Status, decode_payload, keepalive_ping, keepalive_pong
from pyvirt.rpc.procedure import Procedure
from pyvirt.rpc.xdr import XDRError
from pyvirt.types import CloseReason
from pyvirt.uri import URI

if TYPE_CHECKING:
    from pyvirt.auth import Authenticator

log = get_logger("pyvirt.aio.remote")
P = ParamSpec("P")
T = TypeVar("T")

NATIVE_TRANSPORTS = frozenset({"unix", "tcp", "tls"})
"""Transports opened as asyncio streams; the others (ssh, ext: a child process) use threads."""

_NO_MORE_EVENTS = 1 << 62
_REPLY_TYPES = (MessageType.REPLY, MessageType.REPLY_WITH_FDS)
_Reply = tuple[int, bytes, int]  # status, payload, events queued before it


class _StreamInfo:
    """What the driver asks of its transport besides I/O: ``is_encrypted`` / ``is_secure``."""

    def __init__(self, encrypted: bool, secure: bool) -> None:
        self.encrypted = encrypted
        self.secure = secure


class _Wire(asyncio.Protocol):
    """The socket's protocol: passes bytes on to its client (kept until one is attached: a TLS
    server's verdict byte and early PINGs can arrive first), and tells it when the link ends."""

    def __init__(self) -> None:
        self.client: AsyncRPCClient | None = None
        self.early = bytearray()
        self.arrived = asyncio.get_running_loop().create_future()  # resolved by the first bytes
        self.closed = asyncio.get_running_loop().create_future()
        self.lost: tuple[str, CloseReason] | None = None
        self._paused: asyncio.Future[None] | None = None

    def data_received(self, data: bytes) -> None:
        if self.client is not None:
            self.client.received(data)
            return
        self.early += data
        if not self.arrived.done():
            self.arrived.set_result(None)

    def eof_received(self) -> bool:
        self._end("end of file from the server", CloseReason.EOF)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is None:
            self._end("end of file from the server", CloseReason.EOF)
        else:  # a reset is the far side hanging up: end of file, as libvirt's client reports it
            hung_up = isinstance(exc, ConnectionResetError | BrokenPipeError)
            self._end(f"error reading from the server: {exc}", CloseReason.EOF if hung_up else CloseReason.ERROR)
        if not self.closed.done():
            self.closed.set_result(None)
        if self._paused is not None and not self._paused.done():
            self._paused.set_result(None)

    def _end(self, reason: str, cause: CloseReason) -> None:
        if self.lost is None:
            self.lost = (reason, cause)
        if not self.arrived.done():
            self.arrived.set_result(None)
        if self.client is not None:
            self.client.die(reason, cause)

    def pause_writing(self) -> None:
        self._paused = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._paused is not None and not self._paused.done():
            self._paused.set_result(None)
        self._paused = None

    @property
    def paused(self) -> bool:
        return self._paused is not None

    async def drain(self) -> None:
        """Wait while the socket's send buffer is over its high-water mark."""
        if self._paused is not None:
            await self._paused


class _Pending:
    """A call sent and not yet claimed (what :meth:`AsyncRPCClient.send_call` returns)."""

    __slots__ = ("future", "proc")

    def __init__(self, proc: Procedure, future: asyncio.Future[_Reply]) -> None:
        self.proc = proc
        self.future = future


class AsyncRPCClient:
    """Calls of libvirt's remote program over one asyncio stream (used from one event loop)."""

    def __init__(
        self, transport: asyncio.Transport, wire: _Wire, address: str, on_event: EventHandler, on_close: CloseHandler
    ) -> None:
        self._transport = transport
        self._wire = wire
        self._address = address
        self._on_event = on_event
        self._on_close = on_close
        self._close_reason = CloseReason.ERROR
        self._loop = asyncio.get_running_loop()
        self._serials = itertools.count(1)
        self._pending: dict[int, asyncio.Future[_Reply]] = {}
        self._dead: str | None = None
        self._closing = False
        self._keepalive = KeepAlive(0, 0)  # off until the open's handshake starts it
        self._events: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()
        self._events_queued = 0
        self._events_handled = 0
        self._events_progress = asyncio.Condition()
        self._event_task: asyncio.Task[None] | None = None
        self._keepalive_task: asyncio.Task[None] | None = None
        self._frames = FrameReader()
        wire.client = self
        if wire.early:
            self.received(bytes(wire.early))
        if wire.lost is not None:
            self.die(*wire.lost)

    # -- the calls the remote driver makes (from code run by run_sync) ------------------------

    @property
    def alive(self) -> bool:
        return self._dead is None

    def call(self, procedure: int, args: Any = None) -> Any:
        call = self._send(procedure, args)
        if self._wire.paused:  # a big argument: let the socket take it first
            await_only(self._wire.drain())
        return self._result(call)

    def call_many(self, calls: list[tuple[int, Any]]) -> list[Any]:
        outcomes = self.gather(calls)
        for outcome in outcomes:
            if isinstance(outcome, PyvirtError):
                raise outcome
        return outcomes

    def gather(self, calls: list[tuple[int, Any]]) -> list[Any]:
        sent = [self._send(procedure, args) for procedure, args in calls]
        outcomes: list[Any] = []
        for call in sent:
            try:
                outcomes.append(self._result(call))
            except ConnectionLostError:
                raise
            except PyvirtError as exc:
                outcomes.append(exc)
        return outcomes

    def send_call(self, procedure: int, args: Any = None) -> _Pending:
        return self._send(procedure, args)

    def collect(self, call: _Pending) -> Any:
        return self._result(call)

    def start_keepalive(self, interval: float, count: int) -> None:
        """PING after ``interval`` s of silence; dead after ``count`` unanswered PINGs;
        ``interval <= 0`` stops.  New values replace the running schedule."""
        if self._keepalive_task is not None:
            self._keepalive_task.cancel()
            self._keepalive_task = None
        self._keepalive = KeepAlive(interval, count)
        if self._keepalive.start(self._loop.time()) and self._dead is None:
            self._keepalive_task = self._loop.create_task(self._keep_alive(self._keepalive))

    def close(self) -> None:
        """Stop the tasks and close the stream (the driver said goodbye already)."""
        self._closing = True
        self.die("the connection was closed")
        await_only(self._wind_down())

    # -- coroutines ---------------------------------------------------------------------------

    def _send(self, procedure: int, args: Any) -> _Pending:
        if self._dead is not None:
            raise self._lost()
        proc = rp.PROCEDURES[procedure]
        serial = next(self._serials)
        packet = pack_call(proc, rp.REMOTE_PROGRAM, rp.REMOTE_PROTOCOL_VERSION, serial, args)
        future: asyncio.Future[_Reply] = self._loop.create_future()
        self._pending[serial] = future
        self._transport.write(packet)
        return _Pending(proc, future)

    def _result(self, call: _Pending) -> Any:
        """Wait for the reply (the future itself is awaited: no coroutine per call) and decode it."""
        status, payload, events_before = await_only(call.future)
        if events_before > self._events_handled and asyncio.current_task() is not self._event_task:
            # the events the server sent before this reply are handled first, as the threaded client does
            await_only(self._events_caught_up(events_before))
        if status != Status.OK:
            raise server_error(payload)
        try:
            return decode_payload(call.proc.ret, payload)
        except XDRError as exc:
            self.die(f"malformed reply to {call.proc.name}: {exc}")
            raise self._lost() from exc

    async def _events_caught_up(self, count: int) -> None:
        async with self._events_progress:
            await self._events_progress.wait_for(lambda: self._events_handled >= count)

    def received(self, chunk: bytes) -> None:
        """Bytes from the socket (called by the loop): replies, PINGs and events are dispatched."""
        if self._dead is not None:
            return
        self._keepalive.received(self._loop.time())
        try:
            frames = self._frames.feed(chunk)
        except XDRError as exc:
            self.die(f"the server sent garbage: {exc}")
            return
        for header, payload in frames:
            prog, vers, proc, mtype, serial, status = header
            if prog == kp.KEEPALIVE_PROGRAM:
                if proc == kp.KEEPALIVE_PROC_PING and mtype == MessageType.MESSAGE:
                    self._transport.write(keepalive_pong())
            elif prog != rp.REMOTE_PROGRAM or vers != rp.REMOTE_PROTOCOL_VERSION:
                log.warning("message of an unknown program ignored", program=prog, procedure=proc)
            elif mtype in _REPLY_TYPES:
                future = self._pending.pop(serial, None)
                if future is None:
                    log.warning("reply to no pending call ignored", serial=serial, procedure=proc)
                elif not future.done():  # (its caller may have been cancelled)
                    future.set_result((status, payload, self._events_queued))
            elif mtype == MessageType.MESSAGE:
                self._queue_event(proc, payload)
            else:
                log.warning("message of an unexpected type ignored", type=mtype, procedure=proc)

    def _queue_event(self, proc: int, payload: bytes) -> None:
        if self._event_task is None:
            self._event_task = self._loop.create_task(self._event_loop(), name=f"pyvirt-aio-events {self._address}")
        self._events_queued += 1
        self._events.put_nowait((proc, payload))

    async def _event_loop(self) -> None:
        """Runs the driver's event handler (which may itself make calls) for each event, in order."""
        try:
            while (item := await self._events.get()) is not None:
                try:
                    await run_sync(self._on_event, *item)
                except Exception as exc:  # a bad event must not stop the ones after it
                    log.warning("event handling failed", procedure=item[0], error=repr(exc))
                async with self._events_progress:
                    self._events_handled += 1
                    self._events_progress.notify_all()
        finally:
            self._events_handled = _NO_MORE_EVENTS
            if self._dead is not None:  # (not when the task is cancelled with the loop)
                self._on_close(self._close_reason)

    async def _keep_alive(self, keepalive: KeepAlive) -> None:
        """PING the server on ``keepalive``'s schedule; declare it dead when that says so."""
        while self._dead is None:
            now = self._loop.time()
            due = keepalive.due(now)
            if due is None:
                return
            if due > 0:
                await asyncio.sleep(due)
                continue
            action = keepalive.tick(now)
            if action is Action.DEAD:
                self.die(
                    f"no reply to {keepalive.count} keepalive requests in {keepalive.interval:g} s intervals",
                    CloseReason.KEEPALIVE,
                )
                return
            if action is Action.PING:
                self._transport.write(keepalive_ping())

    # -- death and closing ------------------------------------------------------------------

    def die(self, reason: str, cause: CloseReason = CloseReason.ERROR) -> None:
        """Mark the connection dead (the first reason wins); every waiting call fails at once,
        and the driver hears why (after the events before the end, when an event task runs)."""
        if self._dead is not None:
            return
        self._dead = "the connection was closed" if self._closing else reason
        self._close_reason = CloseReason.CLIENT if self._closing else cause
        if not self._closing:
            log.warning("connection lost", address=self._address, reason=reason)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(self._lost())
                future.exception()  # a caller still gets it; a send_call nobody claims is not logged
        self._pending.clear()
        if self._event_task is None:
            self._on_close(self._close_reason)
        self._events.put_nowait(None)
        if self._keepalive_task is not None and self._keepalive_task is not asyncio.current_task():
            self._keepalive_task.cancel()
        self._transport.close()

    async def _wind_down(self) -> None:
        tasks = [t for t in (self._keepalive_task, self._event_task) if t is not None]
        current = asyncio.current_task()
        await asyncio.gather(*(t for t in tasks if t is not current), return_exceptions=True)
        await self._wire.closed

    def _lost(self) -> ConnectionLostError:
        return ConnectionLostError(
            f"connection lost to {self._address}: {self._dead}", code=ErrorCode.SYSTEM_ERROR, domain=ErrorDomain.RPC
        )


_Link = tuple[asyncio.Transport, _Wire, _StreamInfo]


async def _connect(target: Target) -> _Link:
    """The asyncio transport ``target`` names, failing with the threaded connectors' errors."""
    loop = asyncio.get_running_loop()
    wire = _Wire()
    try:
        if target.transport == "unix":
            transport, _ = await loop.create_unix_connection(lambda: wire, str(target.socket_path))
            return transport, wire, _StreamInfo(encrypted=False, secure=True)
        # TLS's connect is bounded like its handshake (as the threaded connector's); tcp's is not
        limit = None
        if target.transport == "tls":
            from pyvirt.remote import tls  # imported on first use: ``ssl`` is not free

            limit = tls.HANDSHAKE_TIMEOUT
        async with asyncio.timeout(limit):
            transport, _ = await loop.create_connection(lambda: wire, str(target.host), int(target.port or 0))
    except OSError as exc:
        if isinstance(exc, TimeoutError) and not str(exc):  # asyncio's own: worded as a socket's timeout
            exc = TimeoutError("timed out")
        raise connect_failed(target, exc) from exc
    transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if target.transport == "tcp":
        return transport, wire, _StreamInfo(encrypted=False, secure=False)
    try:
        return await _start_tls(target, transport, wire)
    except BaseException:
        transport.close()
        raise


async def _start_tls(target: Target, plain: asyncio.Transport, wire: _Wire) -> _Link:
    """x509 TLS over the connected socket with libvirt's rules (:mod:`pyvirt.remote.tls` builds
    the context and words the failures), then the server's one-byte verdict on our certificate
    (taken off the front of the stream)."""
    from pyvirt.remote import tls

    verify = not target.flag("no_verify")
    files = tls.client_files(target.uri.param("pkipath"))
    context = tls.client_context(files, verify, target.uri.param("tls_priority"))
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(tls.HANDSHAKE_TIMEOUT):
            transport = await loop.start_tls(plain, wire, context, server_hostname=str(target.host) if verify else "")
            if transport is None:  # (only for a protocol that cannot take TLS: not ours)
                raise ConnectionResetError("the TLS session could not start")
            await asyncio.shield(wire.arrived)
    except TimeoutError as exc:
        raise tls.session_failed(target, TimeoutError("timed out")) from exc
    except OSError as exc:
        raise tls.session_failed(target, exc) from exc
    verdict = bytes(wire.early[:1])
    del wire.early[:1]
    refused = tls.verdict_refusal(verdict)
    if refused is not None:
        transport.close()
        raise tls.session_failed(target, PermissionError(refused))
    return transport, wire, _StreamInfo(encrypted=True, secure=True)


async def open_remote(uri: URI, target: Target, read_only: bool, auth: Authenticator | None = None) -> Connection:
    """Open ``target`` (see :func:`native_target`) over an asyncio transport; the
    :class:`Connection` it returns must be used through :func:`~pyvirt.aio._bridge.run_sync`
    (``pyvirt.aio`` does).  ``auth`` answers what SASL asks, as for the threaded client."""
    from pyvirt.plugins import host

    transport, wire, info = await _connect(target)
    bus = EventBus()

    def make_client(on_event: EventHandler, on_close: CloseHandler) -> RPCClient:
        # duck-typed: the driver uses only the methods both clients have
        return cast(RPCClient, AsyncRPCClient(transport, wire, target.address, on_event, on_close))

    driver = RemoteConnection(target, cast(Transport, info), bus.publish, make_client)
    try:
        await run_sync(handshake, driver, target, auth)
    except BaseException:
        await run_sync(driver.client.close)
        raise
    return Connection(driver, str(uri), read_only, bus, host())


def native_target(uri: URI, read_only: bool) -> Target | None:
    """Where ``uri`` leads when it is remote over a transport asyncio carries, else None."""
    if not uri.is_remote:
        return None
    target = resolve(uri, read_only)
    return target if target.transport in NATIVE_TRANSPORTS else None


class LoopRunner:
    """Runs a connection's calls on the loop (:func:`~pyvirt.aio._bridge.run_sync`): for
    connections whose driver waits only through ``await_only``."""

    async def __call__(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await run_sync(fn, *args, **kwargs)

    async def aclose(self) -> None:
        """Nothing to release: no threads."""
