"""One connected peer (libvirt's virNetServerClient): framing, dispatch, replies, keepalive.

The transport only moves bytes: packets are cut by :class:`pyvirt.rpc.message.FrameReader`,
CALLs go to the handler of their program's procedure, and every reply carries the call's
serial.  Calls whose procedure libvirt marks high-priority (they never wait on a hypervisor)
run at once on the event loop; the others run in the daemon's worker pool, at most
``max_client_requests`` at a time per client (further packets wait unread, as in libvirt).

A client that sends bytes which are not packets is dropped; a bad call gets an error reply
and the client stays.  Nothing one client does can stop the others: every failure here ends
in an error reply or in closing this one transport.
"""

from __future__ import annotations

import array
import asyncio
import collections
import itertools
import os
import socket
import struct
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pyvirt.errors import ErrorCode, ErrorDomain, InternalError, PyvirtError
from pyvirt.log import get_logger
from pyvirt.remote import wire_values as wv
from pyvirt.rpc import keepalive_protocol as kp
from pyvirt.rpc.keepalive import Action, KeepAlive
from pyvirt.rpc.message import (
    FRAME_MIN,
    LEN_SIZE,
    MESSAGE_MAX,
    FrameError,
    FrameReader,
    Header,
    MessageType,
    Status,
    decode_header,
    encode_error,
    encode_message,
    keepalive_ping,
    keepalive_pong,
    pack_message,
)
from pyvirt.rpc.procedure import Codec, Procedure
from pyvirt.rpc.xdr import XDRError
from pyvirt_daemon import acl, identity
from pyvirt_daemon.program import WithFds
from pyvirt_daemon.streams import Streams

if TYPE_CHECKING:
    from pyvirt_daemon.program import Program
    from pyvirt_daemon.server import Daemon
    from pyvirt_daemon.service import Service

log = get_logger("pyvirtd.client")

_ids = itertools.count(1)
_CALL = MessageType.CALL
_OK = Status.OK
_KEEPALIVE = kp.KEEPALIVE_PROGRAM
_STREAM_TYPES = (MessageType.STREAM, MessageType.STREAM_HOLE)
_UINT = struct.Struct(">I")  # an XDR unsigned int: a length word, a descriptor count
_FD_RETRY = 0.005
"""Seconds between attempts to pass descriptors while the socket is full (rare: a reply
with descriptors is small and the client waits for it)."""
UNREAD_MAX = MESSAGE_MAX
"""A client that leaves more than one largest message unread is not reading at all: it is
dropped rather than letting the daemon buffer for it without bound."""


def rpc_error(message: str, code: ErrorCode = ErrorCode.RPC) -> PyvirtError:
    """An error of libvirt's RPC layer (code and domain RPC, the text as libvirtd words it)."""
    return PyvirtError(message, code=code, domain=ErrorDomain.RPC)


class Client(asyncio.Protocol):
    """A peer of one service; created by the event loop for every accepted connection."""

    def __init__(self, daemon: Daemon, service: Service, program: Program) -> None:
        self.daemon = daemon
        self.service = service
        self.program = program
        self.id = next(_ids)
        self.since = time.time()
        self.identity = identity.Identity(service.transport)
        self.authenticated = service.auth == "none"
        self.session = program.new_session(self)
        self.keepalive = KeepAlive(daemon.config.keepalive_interval, daemon.config.keepalive_count)
        self.refusal: str | None = None
        self.transport: asyncio.Transport | None = None
        self._reader = FrameReader()
        self._jobs: set[asyncio.Future[Any]] = set()
        self._waiting: collections.deque[tuple[Header, bytes]] = collections.deque()
        self._paused = False
        self._closing = False
        self._ka_timer: asyncio.TimerHandle | None = None
        self._loop = daemon.loop
        self.streams = Streams(self)
        self._stream_holds: set[object] = set()
        self._writable = asyncio.Event()
        self._writable.set()
        self._fds_pending: collections.deque[int] = collections.deque()
        self._held: list[bytes] = []
        self._fd_sock: socket.socket | None = None

    # -- transport events ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                self.identity = identity.of_socket(sock, self.service.transport)
            except OSError:
                pass
        self.refusal = self.daemon.attach(self)
        if self.refusal is not None:
            log.warning("client refused", client=self.id, why=self.refusal, **self.identity.describe())
        else:
            log.info("client connected", client=self.id, readonly=self.service.readonly, **self.identity.describe())

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return
        try:
            frames = self._reader.feed(data)
        except FrameError as exc:
            self._refuse_oversize(data)
            self.drop(f"malformed packet stream: {exc}")
            return
        now = time.monotonic()
        self.keepalive.received(now)
        for header, payload in frames:
            if self._closing:
                return
            if self._paused:
                self._waiting.append((header, payload))
            else:
                self._handle(header, payload)

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        if self._ka_timer is not None:
            self._ka_timer.cancel()
        self.daemon.detach(self)
        self._writable.set()
        self._drop_fds()
        self.streams.close_all()
        try:
            self.session.close()
        except Exception as error:  # a driver's close must not take the daemon down
            log.warning("closing the client's connection failed", client=self.id, error=repr(error))
        log.info("client disconnected", client=self.id, **self.identity.describe())

    # -- closing -------------------------------------------------------------------------------

    def drop(self, why: str, *, abort: bool = False) -> None:
        """Close this client at once (it misbehaved, or the admin asked); what is queued for it
        is still sent, unless ``abort`` (it does not read)."""
        if self._closing:
            return
        log.warning("dropping client", client=self.id, why=why, **self.identity.describe())
        self._closing = True
        if self.transport is not None:
            if abort:
                self.transport.abort()
            else:
                self.transport.close()

    async def finish(self) -> None:
        """Clean close for shutdown: let in-flight calls reply, then close after the last write."""
        self._closing = True
        if self.transport is not None:
            self.transport.pause_reading()
        if self._jobs:
            await asyncio.wait(list(self._jobs))
        if self.transport is not None:
            self.transport.close()

    @property
    def in_flight(self) -> int:
        return len(self._jobs)

    # -- packets ---------------------------------------------------------------------------------

    def _handle(self, header: Header, payload: bytes) -> None:
        prog = header.prog
        if prog == _KEEPALIVE:
            if header.proc == kp.KEEPALIVE_PROC_PING and header.type == MessageType.MESSAGE:
                self._write(keepalive_pong())
            return
        if header.type in _STREAM_TYPES and prog == self.program.number:
            self.streams.incoming(header, payload)
            return
        if header.type != _CALL:
            # Replies to nothing, stream packets for no stream: libvirt drops them silently.
            return
        program = self.program
        if prog != program.number:
            program = program.companions.get(prog, program)
        if prog != program.number or header.vers != program.version:
            self._error(header, rpc_error(f"Cannot find program {prog} version {header.vers}"))
            return
        if header.status != _OK:
            self._error(header, rpc_error(f"Unexpected message status {header.status}"))
            return
        if self.refusal is not None:
            self._error(header, rpc_error(self.refusal, ErrorCode.RPC))
            self.drop(self.refusal)
            return
        proc = header.proc
        entry = program.procedures.get(proc)
        if entry is None:
            self._error(header, rpc_error(f"unknown procedure: {proc}"))
            return
        if not self.authenticated and proc not in program.unauthenticated:
            self._refused(header, entry, "authentication required")
            self._error(header, rpc_error("authentication required"))
            return
        try:
            # Trailing bytes are ignored, as libvirt's XDR decoding does.
            args = entry.args.decode(payload, 0)[0] if entry.args is not None else None
        except XDRError:
            self._error(header, rpc_error("Unable to decode message payload"))
            return
        handler = acl.guard(program.handlers.get(proc), entry, self.identity, self.daemon.config)
        if entry.priority_high or handler is None:
            try:
                if handler is None:
                    raise program.missing(self.session, proc)
                ret = handler(self.session, args)
            except PyvirtError as exc:
                self._failed(header, entry, exc)
                return
            except Exception as exc:
                self._failed(header, entry, _internal(exc, entry))
                return
            self._reply(header, entry.ret, ret)
            return
        job = self._loop.run_in_executor(self.daemon.executor, handler, self.session, args)
        self._jobs.add(job)
        job.add_done_callback(lambda fut: self._job_done(fut, header, entry))
        if len(self._jobs) >= self.daemon.config.max_client_requests and not self._paused:
            self._paused = True
            if self.transport is not None:
                self.transport.pause_reading()

    def _job_done(self, fut: asyncio.Future[Any], header: Header, entry: Procedure) -> None:
        self._jobs.discard(fut)
        exc = fut.exception()
        if exc is None and (entry.readstream is not None or entry.writestream is not None):
            # A stream procedure's handler returns the stream, or (stream, reply) when the
            # procedure also has a reply (virDomainScreenshot's MIME type).
            result = fut.result()
            inner, reply = result if isinstance(result, tuple) else (result, None)
            self.streams.open(header, inner, outgoing=entry.readstream is not None)
            self._reply(header, entry.ret, reply)
        elif exc is None:
            self._reply(header, entry.ret, fut.result())
        elif isinstance(exc, PyvirtError):
            self._failed(header, entry, exc)
        else:
            self._failed(header, entry, _internal(exc, entry))
        if self._paused and len(self._jobs) < self.daemon.config.max_client_requests:
            self._paused = False
            while self._waiting and not self._paused and not self._closing:
                self._handle(*self._waiting.popleft())
            if not self._paused and not self._stream_holds and self.transport is not None and not self._closing:
                self.transport.resume_reading()

    # -- streams (pyvirt_daemon.streams) -------------------------------------------------------

    def hold_reading(self, holder: object, on: bool) -> None:
        """Stop reading the socket while some stream's queue towards its driver is full."""
        if on:
            self._stream_holds.add(holder)
        else:
            self._stream_holds.discard(holder)
        if self.transport is None or self._closing:
            return
        if self._stream_holds:
            self.transport.pause_reading()
        elif not self._paused:
            self.transport.resume_reading()

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    async def writable(self) -> None:
        """Return once the transport's write buffer is below its high-water mark again."""
        await self._writable.wait()

    def write_packet(self, packet: bytes) -> None:
        self._write(packet)

    # -- sending ---------------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        if self._fds_pending:  # a reply's descriptors go first
            self._held.append(data)
            return
        transport = self.transport
        if transport is not None and not transport.is_closing():
            transport.write(data)
            if transport.get_write_buffer_size() > UNREAD_MAX:
                self.drop(f"more than {UNREAD_MAX} bytes of replies and events left unread", abort=True)

    def _reply(self, header: Header, codec: Codec | None, value: Any) -> None:
        fds: list[int] = []
        mtype = MessageType.REPLY
        if isinstance(value, WithFds):
            value, fds, mtype = value.value, value.fds, MessageType.REPLY_WITH_FDS
        try:
            reply = Header(header.prog, header.vers, header.proc, mtype, header.serial, _OK)
            packet = pack_message(reply, codec, value)
            if mtype == MessageType.REPLY_WITH_FDS:
                packet = encode_message(reply, _UINT.pack(len(fds)) + packet[FRAME_MIN:])
        except XDRError as exc:
            _close_all(fds)
            self._error(header, InternalError(f"internal error: cannot encode the reply: {exc}"))
            return
        if mtype != MessageType.REPLY_WITH_FDS:
            self._write(packet)
            return
        sock = self.transport.get_extra_info("socket") if self.transport is not None else None
        if sock is None or sock.family != socket.AF_UNIX:
            _close_all(fds)
            self._error(header, rpc_error("Cannot pass file descriptors on this transport"))
            return
        if self._fd_sock is None:
            self._fd_sock = socket.socket(fileno=os.dup(sock.fileno()))
            self._fd_sock.setblocking(False)
        self._write(packet)
        self._fds_pending.extend(fds)
        self._send_fds()

    def _send_fds(self) -> None:
        """Send the pending descriptors, one per dummy byte as libvirt does, once the packet
        before them has left asyncio's buffer; what was written meanwhile follows them."""
        transport, sock = self.transport, self._fd_sock
        if transport is None or transport.is_closing() or sock is None:
            self._drop_fds()
            return
        if transport.get_write_buffer_size():
            self._loop.call_later(_FD_RETRY, self._send_fds)
            return
        while self._fds_pending:
            fd = self._fds_pending[0]
            try:
                sock.sendmsg([b"\0"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
            except BlockingIOError:
                self._loop.call_later(_FD_RETRY, self._send_fds)
                return
            except OSError as exc:
                self._drop_fds()
                self.drop(f"cannot pass a file descriptor: {exc}", abort=True)
                return
            os.close(self._fds_pending.popleft())
        held, self._held = self._held, []
        for data in held:
            self._write(data)

    def _drop_fds(self) -> None:
        """Close descriptors that will never be sent (the client left)."""
        _close_all(self._fds_pending)
        self._fds_pending.clear()
        self._held.clear()
        if self._fd_sock is not None:
            self._fd_sock.close()
            self._fd_sock = None

    def _failed(self, header: Header, entry: Procedure, exc: PyvirtError) -> None:
        if exc.code in (ErrorCode.OPERATION_DENIED, ErrorCode.ACCESS_DENIED, ErrorCode.AUTH_FAILED):
            self._refused(header, entry, exc.message)
        else:
            log.debug("call failed", client=self.id, procedure=entry.name, code=int(exc.code), error=exc.message)
        self._error(header, exc)

    def _refused(self, header: Header, entry: Procedure, why: str) -> None:
        log.info("request refused", client=self.id, procedure=entry.name, why=why, **self.identity.describe())

    def _error(self, header: Header, exc: PyvirtError) -> None:
        reply = Header(header.prog, header.vers, header.proc, MessageType.REPLY, header.serial, Status.ERROR)
        self._write(encode_message(reply, encode_error(wv.error_to_wire(exc))))

    def send_event(self, proc: int, codec: Codec, value: Any) -> None:
        """Send an event MESSAGE; drivers report events from whichever thread changed state."""
        program = self.program
        packet = pack_message(Header(program.number, program.version, proc, MessageType.MESSAGE, 1, _OK), codec, value)
        if threading.get_ident() == self.daemon.loop_thread:
            self._write(packet)
        else:
            self._loop.call_soon_threadsafe(self._write, packet)

    def _refuse_oversize(self, data: bytes) -> None:
        """A packet longer than libvirt allows: tell the caller why before dropping it."""
        if self._reader.pending != len(data) or len(data) < FRAME_MIN:
            return
        (length,) = _UINT.unpack_from(data, 0)
        header = decode_header(data, LEN_SIZE)
        if length - LEN_SIZE > MESSAGE_MAX and header.type == _CALL:
            self._error(header, rpc_error(f"packet {length} bytes received from client too large, want {MESSAGE_MAX}"))

    # -- keepalive ---------------------------------------------------------------------------------

    def start_keepalive(self) -> None:
        """Called from the feature probe (loop thread for high-priority calls)."""
        if self.keepalive.start(time.monotonic()):
            self._loop.call_soon_threadsafe(self._schedule_keepalive)

    def _schedule_keepalive(self) -> None:
        if not self._closing:
            self._ka_timer = self._loop.call_later(self.keepalive.interval, self._keepalive_tick)

    def _keepalive_tick(self) -> None:
        action = self.keepalive.tick(time.monotonic())
        if action is Action.DEAD:
            self.drop(f"no answer to {self.keepalive.count} keepalive pings")
            return
        if action is Action.PING:
            self._write(keepalive_ping())
        self._schedule_keepalive()


def _close_all(fds: Iterable[int]) -> None:
    for fd in fds:
        os.close(fd)


def _internal(exc: BaseException, entry: Procedure) -> PyvirtError:
    log.error("handler failed", procedure=entry.name, error=repr(exc))
    return InternalError(f"internal error: {exc}")
