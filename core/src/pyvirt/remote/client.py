"""One RPC connection to a daemon: serials, replies matched to callers, events, keepalive.

Who reads the socket: the calling thread.  A caller sends its call, then becomes the *reader*
if nobody is (libvirt's virNetClient passes this "buck" the same way) and reads until its own
reply arrives, handing other callers' replies to them on the way.  So a lone caller costs no
thread switch per call.  A background I/O thread takes the reader role only while no caller
holds it, to answer the server's keepalive PINGs, send our own, and pick up events between calls.
Events are handed to a second thread that runs the callbacks, so a callback may itself make
calls on the connection.  A call may also be sent without waiting (:meth:`RPCClient.send_call`):
whoever reads next stores its reply, and :meth:`RPCClient.collect` picks it up later.

When the stream breaks (EOF, an I/O error, garbage, a keepalive timeout) the connection is
*dead*: every pending call and every later one raises :class:`ConnectionLostError` at once.
"""

from __future__ import annotations

import _thread
import itertools
import os
import struct
import threading
import time
from _queue import SimpleQueue  # the C queue ``queue`` re-exports; ``queue`` costs a start ~1 ms
from collections.abc import Callable, Mapping

from pyvirt.errors import (
    ConnectionLostError,
    ErrorCode,
    ErrorDomain,
    InvalidArgumentError,
    OperationInvalidError,
    PyvirtError,
    UnsupportedError,
)
from pyvirt.log import get_logger
from pyvirt.remote.fdpass import FdFrameReader, UnixTransport
from pyvirt.remote.transport import Transport
from pyvirt.remote.wire_values import error_from_wire
from pyvirt.rpc import keepalive_protocol as kp
from pyvirt.rpc import remote_protocol as rp
from pyvirt.rpc.keepalive import Action, KeepAlive
from pyvirt.rpc.message import (
    FRAME_MIN,
    LEN_SIZE,
    MESSAGE_MAX,
    Header,
    MessageType,
    Status,
    decode_error,
    encode_message,
    keepalive_ping,
    keepalive_pong,
    split_fds,
)
from pyvirt.rpc.procedure import Procedure
from pyvirt.rpc.xdr import XDRError
from pyvirt.types import CloseReason

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from typing import Any

    from pyvirt.remote.streams import ClientStream

log = get_logger("pyvirt.remote.client")

EventHandler = Callable[[int, bytes], None]
"""Receives (procedure, payload) of each event message the server sends, in the event thread."""
CloseHandler = Callable[[CloseReason], None]
"""Told why the connection ended, once, after the events that arrived before the end."""

_RECV_SIZE = 1 << 16
_LEN_HEADER = struct.Struct(">IIIiiIi")  # length word, then virNetMessageHeader
_PACKET_MAX = MESSAGE_MAX + LEN_SIZE
_CALL = int(MessageType.CALL)
_REPLY = int(MessageType.REPLY)
_monotonic = time.monotonic
_NO_MORE_EVENTS = 1 << 62  # the event thread has ended: nothing left to wait for
_REPLY_TYPES = (MessageType.REPLY, MessageType.REPLY_WITH_FDS)
_IDLE_AFTER = 0.05
"""Seconds without calls after which the background thread watches the socket itself."""
_RESCHEDULE = 1.0
"""Longest wait on an idle socket: a keepalive schedule set meanwhile (by the open's handshake,
or ``set_keepalive``) applies within this, even if the server never says a word."""
_PAUSED_PING = 1.0
"""Seconds between PINGs while the socket waits for a slow stream reader (servers drop a silent
client after some seconds: libvirt's default is 5 s x 5)."""


def pack_call(proc: Procedure, program: int, version: int, serial: int, args: Any) -> bytearray:
    """The whole packet of one call (length word, header, arguments); shared with the asyncio
    client (:mod:`pyvirt.aio.remote`)."""
    packet = bytearray(FRAME_MIN)
    try:
        if proc.args is not None:
            proc.args.encode(packet, args)
    except XDRError as exc:
        raise InvalidArgumentError(f"cannot send {proc.name}: {exc}") from exc
    if len(packet) > _PACKET_MAX:
        raise InvalidArgumentError(f"cannot send {proc.name}: {len(packet)} bytes exceed the maximum {_PACKET_MAX}")
    _LEN_HEADER.pack_into(packet, 0, len(packet), program, version, proc.number, _CALL, serial, 0)
    return packet


def server_error(payload: bytes) -> PyvirtError:
    """The error a failed call's reply carries, as the matching :class:`PyvirtError`."""
    try:
        err = decode_error(payload)
    except XDRError as exc:
        return PyvirtError(f"malformed error reply from the server: {exc}", code=ErrorCode.RPC, domain=ErrorDomain.RPC)
    return error_from_wire(err)


class _Call:
    """A call waiting for its reply."""

    __slots__ = ("awaited", "done", "events_before", "fds", "payload", "proc", "serial", "status")

    def __init__(self, serial: int, proc: Procedure, awaited: bool = True) -> None:
        self.serial = serial
        self.proc = proc
        self.awaited = awaited  # a caller blocks on it now (not a send_call still unclaimed)
        self.done = False
        self.events_before = 0
        self.status: int = Status.OK
        self.payload = b""
        self.fds: list[int] = []  # passed with a REPLY_WITH_FDS


class RPCClient:
    """Calls of one program over one :class:`Transport` (thread-safe)."""

    def __init__(
        self,
        transport: Transport,
        address: str,
        *,
        program: int = rp.REMOTE_PROGRAM,
        version: int = rp.REMOTE_PROTOCOL_VERSION,
        procedures: Mapping[int, Procedure] = rp.PROCEDURES,
        on_event: EventHandler | None = None,
        on_close: CloseHandler | None = None,
    ) -> None:
        self._transport = transport
        self._recv = transport.recv
        self._address = address
        self._program = program
        self._version = version
        self._procedures = procedures
        self._on_event = on_event
        self._on_close = on_close
        self._close_reason = CloseReason.ERROR
        self._serials = itertools.count(1)
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._send_lock = threading.Lock()
        self._pending: dict[int, _Call] = {}
        self._streams: dict[int, ClientStream] = {}
        self._stream_waiters: dict[int, _Call] = {}  # a recv waiting for data, by serial
        self._callers = 0  # awaited calls in flight: while any, callers do the reading
        self._waiting = 0  # callers asleep on _cond: without any, nobody needs waking
        self._reader_busy = False
        self._frames = FdFrameReader()
        self._programs = {program: version}  # whose replies this client accepts
        self._dead: str | None = None
        self._closing = False
        self._last_call = time.monotonic()
        self._stopped = threading.Event()
        self._keepalive = KeepAlive(0, 0)  # off until the open's handshake starts it
        self._paused_ping = 0.0
        self._events: SimpleQueue[tuple[int, bytes] | None] = SimpleQueue()
        self._event_thread: threading.Thread | None = None
        self._events_queued = 0  # only the reader counts up
        self._events_handled = 0
        self._events_cond = threading.Condition()
        # A bare thread: threading.Thread.start() waits for the new thread to run, which costs
        # the opener a thread switch; this lock, held until the loop ends, is what close() joins.
        self._io_running = threading.Lock()
        self._io_running.acquire()
        self._io_ident = _thread.start_new_thread(self._io_main, ())

    # -- calls ------------------------------------------------------------------------------

    def call(self, procedure: int, args: Any = None) -> Any:
        """Make a call and return its decoded reply (None for procedures without one).

        Raises the server's error as the matching :class:`PyvirtError`, and
        :class:`ConnectionLostError` when the connection is or becomes dead.
        """
        proc = self._procedures[procedure]  # (_prepare and _launch inlined: this is the hot path)
        serial = next(self._serials)
        packet = pack_call(proc, self._program, self._version, serial, args)
        call = _Call(serial, proc, True)
        with self._lock:
            if self._dead is not None:
                raise self._lost()
            self._pending[serial] = call
            self._callers += 1
            # Take the reader role now if it is free: the reply is then read without a second
            # trip through the lock (the usual case of one caller at a time).
            reading = not self._reader_busy
            self._reader_busy = True
        if not reading:
            try:
                self._send(packet)
            except BaseException:
                self._forget(call)
                raise
            return self._finish(call)
        self._read_until(call, packet)
        if call.events_before > self._events_handled:
            self._await_events_before(call)
        return self._result(call)

    def call_many(self, calls: list[tuple[int, Any]]) -> list[Any]:
        """Send independent calls together and return their replies in order: one round trip
        instead of one each.  Only for calls the server may run in any order (it may run them
        at once); the first error is raised once every reply is in."""
        outcomes = self.gather(calls)
        for outcome in outcomes:
            if isinstance(outcome, PyvirtError):
                raise outcome
        return outcomes

    def gather(self, calls: list[tuple[int, Any]]) -> list[Any]:
        """Like :meth:`call_many`, but each server error is returned in its reply's place (a
        lost connection still raises)."""
        prepared = [self._prepare(procedure, args, True) for procedure, args in calls]
        self._launch([call for call, _ in prepared], b"".join(packet for _, packet in prepared))
        outcomes: list[Any] = []
        for call, _ in prepared:
            try:
                outcomes.append(self._finish(call))
            except ConnectionLostError:
                raise
            except PyvirtError as exc:
                outcomes.append(exc)
        return outcomes

    def send_call(self, procedure: int, args: Any = None) -> _Call:
        """Send a call without waiting for its reply; :meth:`collect` returns (or raises) it
        later.  For bookkeeping a connection can finish in the background: the reply is stored
        by whoever reads next, and the background reader keeps working meanwhile."""
        call, packet = self._prepare(procedure, args, False)
        self._launch((call,), packet)
        return call

    def collect(self, call: _Call) -> Any:
        """The reply of a call made with :meth:`send_call`, waiting for it if need be."""
        with self._lock:
            call.awaited = True
            self._callers += 1
        return self._finish(call)

    def _prepare(self, procedure: int, args: Any, awaited: bool) -> tuple[_Call, bytearray]:
        proc = self._procedures[procedure]
        serial = next(self._serials)
        packet = pack_call(proc, self._program, self._version, serial, args)
        return _Call(serial, proc, awaited), packet

    def _launch(self, calls: tuple[_Call, ...] | list[_Call], packets: bytes | bytearray) -> None:
        with self._lock:
            if self._dead is not None:
                raise self._lost()
            for call in calls:
                self._pending[call.serial] = call
                self._callers += call.awaited
        try:
            self._send(packets)
        except BaseException:
            for call in calls:
                self._forget(call)
            raise

    def _forget(self, call: _Call) -> None:
        with self._lock:
            self._forget_locked(call)

    def _forget_locked(self, call: _Call) -> None:
        if self._pending.pop(call.serial, None) is not None and call.awaited:
            self._callers -= 1

    def _finish(self, call: _Call) -> Any:
        try:
            self._wait(call)  # forgets the call itself, in a lock it takes anyway
        except BaseException:
            self._forget(call)
            raise
        if call.events_before > self._events_handled:
            self._await_events_before(call)
        return self._result(call)

    def _result(self, call: _Call) -> Any:
        """The decoded reply of a finished call, or its server error raised."""
        payload = call.payload
        if call.status != Status.OK:
            raise server_error(payload)
        ret = call.proc.ret
        try:
            if ret is None:
                if payload:
                    raise XDRError(f"expected an empty payload, got {len(payload)} bytes")
                return None
            value, end = ret.decode(payload, 0)
            if end != len(payload):
                raise XDRError(f"{ret.name}: {len(payload) - end} unexpected trailing bytes")
        except XDRError as exc:
            self._die(f"malformed reply to {call.proc.name}: {exc}")
            raise self._lost() from exc
        return value

    def _wait(self, call: _Call) -> None:
        """Wait for the reply (reading it if nobody else reads); the call is no longer pending after."""
        with self._lock:
            while not call.done:
                if self._dead is not None:
                    raise self._lost()
                if not self._reader_busy:
                    self._reader_busy = True
                    break
                self._waiting += 1
                self._cond.wait()
                self._waiting -= 1
            else:
                self._forget_locked(call)
                return
        self._read_until(call)

    def _read_until(self, call: _Call, packet: bytearray | None = None) -> None:
        """Read, holding the reader role, until ``call`` is answered or the connection dies;
        then hand the role back and forget the call.  ``packet``: the call, not sent yet."""
        try:
            if packet is not None:
                self._send(packet)
            recv = self._recv
            frames = self._frames
            while not call.done and self._dead is None:
                chunk = recv(_RECV_SIZE)
                if not chunk:
                    self._die("end of file from the server", CloseReason.EOF)
                    break
                self._keepalive.received(_monotonic())
                if not frames.careful and not frames.pending and len(chunk) >= FRAME_MIN:
                    # Most often the chunk is exactly the reply: no frame reader, no dispatch.
                    length, prog, _, _, mtype, serial, status = _LEN_HEADER.unpack_from(chunk)
                    if length == len(chunk) and serial == call.serial and mtype == _REPLY and prog in self._programs:
                        call.status = status
                        call.payload = chunk[FRAME_MIN:]
                        call.events_before = self._events_queued
                        call.done = True
                        break
                self._dispatch_all(chunk, call)
        except OSError as exc:
            self._die(f"error reading from the server: {exc.strerror or exc}", _cause(exc))
        except BaseException:  # KeyboardInterrupt mid-read may have dropped bytes: the stream is lost
            self._die("interrupted while reading from the server")
            raise
        finally:
            self._last_call = _monotonic()
            with self._lock:
                self._reader_busy = False
                if self._pending.pop(call.serial, None) is not None and call.awaited:
                    self._callers -= 1
                if self._waiting:
                    self._cond.notify_all()
        if not call.done:
            raise self._lost()

    def _send(self, data: bytes | bytearray) -> None:
        try:
            with self._send_lock:
                self._transport.sendall(data)
        except OSError as exc:
            self._die(f"error writing to the server: {exc.strerror or exc}", _cause(exc))
            raise self._lost() from exc

    # -- reading ------------------------------------------------------------------------------

    def _read_once(self) -> None:
        """One read from the stream for the background reader, then every complete frame in
        the buffer is dispatched."""
        chunk = self._recv(_RECV_SIZE)
        if not chunk:
            self._die("end of file from the server", CloseReason.EOF)
            return
        self._keepalive.received(_monotonic())
        self._dispatch_all(chunk)

    def _dispatch_all(self, chunk: bytes, own: _Call | None = None) -> None:
        """Feed a received chunk to the frame reader and dispatch every packet it completes;
        ``own`` is the reader's own call, if it reads for one."""
        try:
            for header, payload in self._frames.feed(chunk):
                self._dispatch(header, payload, own)
        except XDRError as exc:
            self._die(f"the server sent garbage: {exc}")

    def _dispatch(self, header: Header, payload: bytes, own: _Call | None = None) -> None:
        prog, vers, proc, mtype, serial, status = header
        fds: list[int] = []
        if mtype == MessageType.REPLY_WITH_FDS:
            payload, fds = self._passed(payload)
        if own is not None and serial == own.serial and prog in self._programs and mtype in _REPLY_TYPES:
            # The reader's own reply: nobody else waits on this call, so no lock and no wake-up.
            own.fds = fds
            own.status = status
            own.payload = payload
            own.events_before = self._events_queued
            own.done = True
            return
        if prog == kp.KEEPALIVE_PROGRAM:
            if proc == kp.KEEPALIVE_PROC_PING and mtype == MessageType.MESSAGE:
                self._send_raw(keepalive_pong())
            return
        if self._programs.get(prog) != vers:
            _close_all(fds)
            log.warning("message of an unknown program ignored", program=prog, version=vers, procedure=proc)
            return
        if mtype == MessageType.STREAM:
            self._stream_packet(serial, status, payload)
            return
        if mtype in _REPLY_TYPES:
            with self._lock:
                call = self._pending.get(serial)
                if call is None:
                    _close_all(fds)
                    log.warning("reply to no pending call ignored", serial=serial, procedure=proc)
                    return
                call.fds = fds
                call.status = status
                call.payload = payload
                call.events_before = self._events_queued
                call.done = True
                if self._waiting:
                    self._cond.notify_all()
        elif mtype == MessageType.MESSAGE:
            self._queue_event(proc, payload)
        else:
            log.warning("message of an unexpected type ignored", type=mtype, procedure=proc, serial=serial)

    # -- descriptors (pyvirt.remote.fdpass) ---------------------------------------------------

    def call_with_fds(self, program: int, version: int, proc: Procedure, args: Any) -> tuple[Any, list[int]]:
        """A call of another program on this connection (libvirt's LXC program) whose reply
        passes descriptors: the decoded reply and the descriptors, which the caller closes.
        Only a unix socket carries them."""
        transport = self._transport
        if not isinstance(transport, UnixTransport):
            raise UnsupportedError(
                f"this function is not supported by the connection driver: {proc.name} passes file "
                "descriptors, which only a unix socket to the daemon carries",
                code=ErrorCode.NO_SUPPORT,
            )
        serial = next(self._serials)
        packet = pack_call(proc, program, version, serial, args)
        call = _Call(serial, proc, True)
        with self._lock:
            self._programs[program] = version
            self._frames.careful += 1
        try:
            self._launch((call,), packet)
            value = self._finish(call)
        except BaseException:
            _close_all(call.fds)
            raise
        finally:
            with self._lock:
                self._frames.careful -= 1
        return value, call.fds

    def _passed(self, payload: bytes) -> tuple[bytes, list[int]]:
        """A WITH_FDS packet's payload without its descriptor count, and its descriptors
        (already received: :class:`FdFrameReader` releases the packet after them)."""
        count, rest = split_fds(payload)
        transport = self._transport
        fds = transport.take(count) if isinstance(transport, UnixTransport) else []
        return bytes(rest), fds

    # -- streams (pyvirt.remote.streams) ------------------------------------------------------

    def open_stream(self, procedure: int, args: Any = None) -> ClientStream:
        """Make a call that opens a stream (console, upload, download) and return the stream.
        It is routed before the call goes out, so data sent right after the reply finds it."""
        call, packet = self._prepare(procedure, args, True)
        from pyvirt.remote.streams import ClientStream  # only stream calls need it

        stream = ClientStream(self, procedure, call.serial)
        with self._lock:
            self._streams[call.serial] = stream
        try:
            self._launch([call], packet)
            stream.reply = self._finish(call)
        except BaseException:
            self.stream_forget(stream)
            raise
        return stream

    def _stream_header(self, stream: ClientStream, status: int) -> Header:
        return Header(self._program, self._version, stream.procedure, MessageType.STREAM, stream.serial, status)

    def stream_send(self, stream: ClientStream, chunk: bytes) -> None:
        """One data packet; blocks while the socket is full (the daemon reads at its driver's pace)."""
        self._send(encode_message(self._stream_header(stream, Status.CONTINUE), chunk))

    def stream_recv(self, stream: ClientStream, size: int) -> bytes:
        while True:
            with self._lock:
                if stream.ready:
                    return stream.take(size)
                if self._dead is not None:
                    raise self._lost()
                waiter = _Call(stream.serial, self._procedures[stream.procedure])
                self._stream_waiters[stream.serial] = waiter
            try:
                self._wait(waiter)
            finally:
                with self._lock:
                    self._stream_waiters.pop(stream.serial, None)

    def stream_end(self, stream: ClientStream, status: int) -> None:
        """Finish (``Status.OK``) or abort (``Status.ERROR``) and wait for the daemon's answer;
        a failed finish raises the daemon's error."""
        if not stream.open:
            if status == Status.OK:
                raise OperationInvalidError("stream is not open")
            return
        self.stream_forget(stream)
        # the answer is an empty STREAM packet, not the opening call's reply
        call = _Call(stream.serial, self._procedures[stream.procedure]._replace(ret=None))
        try:
            self._launch([call], encode_message(self._stream_header(stream, status)))
            self._finish(call)
        except PyvirtError:
            if status == Status.OK:
                raise  # an abort cannot fail: the stream is gone either way

    def stream_forget(self, stream: ClientStream) -> None:
        """Stop routing the serial; a ``recv`` waiting on it (another thread) returns."""
        with self._lock:
            stream.open = False
            if self._streams.get(stream.serial) is stream:
                del self._streams[stream.serial]
            waiter = self._stream_waiters.get(stream.serial)
            if waiter is not None:
                waiter.done = True
                self._cond.notify_all()

    def _stream_packet(self, serial: int, status: int, payload: bytes) -> None:
        """A STREAM packet: the answer to a finish/abort waiting on the serial, or data (or the
        far end's error) for the stream; for neither, dropped."""
        from pyvirt.remote.streams import stream_error  # loaded once a stream exists

        error = stream_error(payload) if status == Status.ERROR else None
        with self._lock:
            call = self._pending.get(serial) if status != Status.CONTINUE else None
            if call is not None:
                call.status = status
                call.payload = payload
                call.events_before = self._events_queued
                call.done = True
            else:
                stream = self._streams.get(serial)
                if stream is None:
                    return
                stream.deliver(status, payload, error)
                waiter = self._stream_waiters.get(serial)
                if waiter is not None:
                    waiter.done = True
            if self._waiting:
                self._cond.notify_all()

    # -- events -----------------------------------------------------------------------------

    def _queue_event(self, proc: int, payload: bytes) -> None:
        if self._on_event is None:
            return
        if self._event_thread is None:
            self._event_thread = threading.Thread(
                target=self._event_loop, name=f"pyvirt-remote-events {self._address}", daemon=True
            )
            self._event_thread.start()
        self._events_queued += 1
        self._events.put((proc, payload))

    def _event_loop(self) -> None:
        handler = self._on_event
        assert handler is not None
        try:
            while (item := self._events.get()) is not None:
                try:
                    handler(*item)
                except Exception as exc:  # a bad event must not stop the ones after it
                    log.warning("event handling failed", procedure=item[0], error=repr(exc))
                with self._events_cond:
                    self._events_handled += 1
                    self._events_cond.notify_all()
        finally:
            with self._events_cond:
                self._events_handled = _NO_MORE_EVENTS
                self._events_cond.notify_all()
            self._report_close()

    def _await_events_before(self, call: _Call) -> None:
        """Return only once the events the server sent before this reply have been handled, so
        a caller sees the effects of its call (as with a local driver) when the server reports
        them in order.  Not from inside an event callback: that thread cannot wait for itself."""
        if threading.current_thread() is self._event_thread:
            return
        with self._events_cond:
            self._events_cond.wait_for(lambda: self._events_handled >= call.events_before)

    # -- keepalive and the background reader ----------------------------------------------

    def start_keepalive(self, interval: float, count: int) -> None:
        """PING the server after ``interval`` seconds of silence; after ``count`` unanswered PINGs
        (``interval * (count + 1)`` seconds without a byte) the connection is declared dead;
        ``interval <= 0``: no PINGs.  New values replace the running schedule."""
        keepalive = KeepAlive(interval, count)
        keepalive.start(time.monotonic())
        self._keepalive = keepalive

    def _send_raw(self, packet: bytes) -> None:
        """Send from the reader or the I/O thread: a failure kills the connection, never raises."""
        try:
            with self._send_lock:
                self._transport.sendall(packet)
        except OSError as exc:
            self._die(f"error writing to the server: {exc.strerror or exc}", _cause(exc))

    def _keepalive_due(self) -> float | None:
        """Seconds until the next keepalive step, or None while keepalive is off."""
        return self._keepalive.due(time.monotonic())

    def _keepalive_step(self) -> None:
        keepalive = self._keepalive
        action = keepalive.tick(time.monotonic())
        if action is Action.DEAD:
            self._die(
                f"no reply to {keepalive.count} keepalive requests in {keepalive.interval:g} s intervals",
                CloseReason.KEEPALIVE,
            )
        elif action is Action.PING:
            self._send_raw(keepalive_ping())

    def _io_main(self) -> None:
        try:
            self._io_loop()
        except BaseException as exc:  # a bare thread must report, never vanish
            self._die(f"internal error in the I/O thread: {exc!r}")
        finally:
            self._io_running.release()

    def _io_loop(self) -> None:
        """Read while the connection is idle; keep the keepalive schedule all the time.

        While calls are in flight (and for ``_IDLE_AFTER`` seconds after the last one) the
        callers read everything that arrives, so this thread stays off the socket: were it
        waiting on it too, every reply would wake it and cost the caller a GIL hand-over.
        """
        while self._dead is None:
            due = self._keepalive_due()
            quiet = time.monotonic() - self._last_call
            if self._callers or self._reader_busy or quiet < _IDLE_AFTER:
                nap = _IDLE_AFTER if self._callers else _IDLE_AFTER - quiet
                if self._stopped.wait(nap if due is None else min(nap, due)):
                    return
                self._keepalive_step()
                continue
            if self._stream_backlog():
                self._while_paused(due)
                continue
            if not self._transport.wait_readable(_RESCHEDULE if due is None else min(due, _RESCHEDULE)):
                self._keepalive_step()
                continue
            with self._lock:
                if self._dead is not None or self._reader_busy:
                    continue
                self._reader_busy = True
            try:
                if self._transport.wait_readable(0):
                    self._read_once()
            except OSError as exc:
                self._die(f"error reading from the server: {exc.strerror or exc}", _cause(exc))
            finally:
                with self._lock:
                    self._reader_busy = False
                    if self._waiting:
                        self._cond.notify_all()

    # -- a stream the application reads slowly (pyvirt.remote.streams.BUFFER_MAX) ----------

    def _stream_backlog(self) -> bool:
        return any(stream.full for stream in tuple(self._streams.values()))

    def _while_paused(self, due: float | None) -> None:
        """A nap of the background reader while a stream is full.  The server's bytes then
        wait in the socket, and neither side's keepalive may take that for silence: waiting
        bytes show the server alive to us, and a PING now and then (the server counts any
        packet) shows us alive to it; only an empty socket leaves keepalive to its schedule."""
        if self._stopped.wait(_IDLE_AFTER if due is None else min(_IDLE_AFTER, due)):
            return
        now = time.monotonic()
        if not self._transport.wait_readable(0):
            self._keepalive_step()
            return
        self._keepalive.received(now)
        if now - self._paused_ping >= _PAUSED_PING:
            self._paused_ping = now
            self._send_raw(keepalive_ping())

    # -- death and closing ----------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self._dead is None

    def _die(self, reason: str, cause: CloseReason = CloseReason.ERROR) -> None:
        """Mark the connection dead (the first reason wins) and wake everyone waiting."""
        with self._lock:
            if self._dead is not None:
                return
            self._dead = "the connection was closed" if self._closing else reason
            self._close_reason = CloseReason.CLIENT if self._closing else cause
            self._cond.notify_all()
        if not self._closing:
            log.warning("connection lost", address=self._address, reason=reason)
        self._stopped.set()
        self._transport.shutdown()
        if self._event_thread is None:
            self._report_close()
        self._events.put(None)  # the event thread reports the end once the events before it are handled

    def _report_close(self) -> None:
        if self._on_close is not None:
            self._on_close(self._close_reason)

    def _lost(self) -> ConnectionLostError:
        return ConnectionLostError(
            f"connection lost to {self._address}: {self._dead}", code=ErrorCode.SYSTEM_ERROR, domain=ErrorDomain.RPC
        )

    def close(self) -> None:
        """Stop the threads and release the stream (no call is made; see the driver's close)."""
        self._closing = True
        self._die("the connection was closed")
        if self._io_ident != threading.get_ident():
            with self._io_running:  # joins the I/O thread
                pass
        if self._event_thread is not None and self._event_thread is not threading.current_thread():
            self._event_thread.join()
        self._transport.close()


def _cause(exc: OSError) -> CloseReason:
    """A reset or broken pipe is the far side hanging up: libvirt's client reports that as end
    of file (its poll sees the hang-up), other failures as errors."""
    return CloseReason.EOF if isinstance(exc, ConnectionResetError | BrokenPipeError) else CloseReason.ERROR


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)
