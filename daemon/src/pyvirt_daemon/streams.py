"""A client's open byte streams (libvirt's daemon/stream.c): console, volume upload/download.

A stream belongs to the call that opened it and its packets carry that call's serial.  The
handler returns the driver's stream; :meth:`Streams.open` attaches it before the (empty) reply
goes out, so data the client sends right after the reply already finds it.

Each stream has its own two threads, never the daemon's worker pool (a console's reader may
sleep for hours):

* the *reader* moves driver -> client: ``recv`` a chunk, hand the packet to the event loop and
  wait while the transport's write buffer is full, so a download runs at the client's pace;
  at end of file it sends an empty STREAM/CONTINUE, as libvirtd does;
* the *writer* moves client -> driver from a bounded queue; while the queue is full the
  client's socket is not read (its further packets wait in the kernel), so an upload never
  buffers more than a few chunks here.

Client STREAM/OK (finish) and STREAM/ERROR (abort) are acknowledged with a STREAM/OK packet
once the driver has finished or aborted; a failed finish answers with the error instead.  A
driver error mid-transfer goes to the client as a STREAM/ERROR packet and ends the stream.
Packets for serials with no stream are dropped, as libvirtd drops them.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from pyvirt.errors import InternalError, PyvirtError
from pyvirt.log import get_logger
from pyvirt.remote import wire_values as wv
from pyvirt.rpc.message import MESSAGE_INITIAL, Header, MessageType, Status, encode_error, encode_message
from pyvirt.stream import Stream

if TYPE_CHECKING:
    from pyvirt_daemon.client import Client

log = get_logger("pyvirtd.streams")

QUEUE_CHUNKS = 8
"""Client -> driver chunks held per stream before the client's socket stops being read."""

_FINISH = object()
_ABORT = object()


class Streams:
    """The open streams of one client, by serial; used from the event loop thread only."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._open: dict[int, ServerStream] = {}

    def open(self, call: Header, inner: Stream, *, outgoing: bool) -> None:
        """Attach a stream for ``call``; ``outgoing``: the driver produces data (readstream)."""
        old = self._open.pop(call.serial, None)
        if old is not None:  # a serial reused while its stream is open: the old one is gone
            old.close(abort=True)
        stream = ServerStream(self, call, inner)
        self._open[call.serial] = stream
        stream.start(outgoing)

    def incoming(self, header: Header, payload: bytes) -> None:
        stream = self._open.get(header.serial)
        if stream is None or header.proc != stream.call.proc:
            log.debug("stream packet for no stream dropped", client=self.client.id, serial=header.serial)
            return
        stream.incoming(header, payload)

    def forget(self, stream: ServerStream) -> None:
        if self._open.get(stream.call.serial) is stream:
            del self._open[stream.call.serial]

    def close_all(self) -> None:
        """The client is gone: abort every stream it had open."""
        streams, self._open = list(self._open.values()), {}
        for stream in streams:
            stream.close(abort=True)


class ServerStream:
    """One open stream of one client."""

    def __init__(self, owner: Streams, call: Header, inner: Stream) -> None:
        self.owner = owner
        self.call = call
        self.inner = inner
        self._data_header = Header(call.prog, call.vers, call.proc, MessageType.STREAM, call.serial, Status.CONTINUE)
        self._loop = owner.client.daemon.loop
        self._queue: queue.Queue[bytes | object] = queue.Queue()
        self._queued = 0  # loop thread's count of chunks not yet written to the driver
        self._holding = False
        self._closed = threading.Event()
        self._lock = threading.Lock()

    # -- life ------------------------------------------------------------------------------

    def start(self, outgoing: bool) -> None:
        name = f"pyvirtd-stream {self.owner.client.id}/{self.call.serial}"
        threading.Thread(target=self._write_loop, name=name + " in", daemon=True).start()
        if outgoing:
            threading.Thread(target=self._read_loop, name=name + " out", daemon=True).start()

    def close(self, *, abort: bool) -> None:
        """End the stream here (idempotent): abort the driver's side unless it finished."""
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
        self.owner.forget(self)
        self._queue.put(_ABORT)  # wakes the writer so its thread ends
        self._hold(False)
        if abort:
            try:
                self.inner.abort()
            except PyvirtError as exc:
                log.debug("aborting a stream failed", error=exc.message)

    # -- packets from the client (loop thread) -----------------------------------------------

    def incoming(self, header: Header, payload: bytes) -> None:
        mtype, status = header.type, header.status
        if mtype != MessageType.STREAM:  # holes and the like: pyvirt streams are not sparse
            self._fail_to_client(InternalError("internal error: sparse streams are not supported"))
            return
        if status == Status.CONTINUE:
            if payload:
                self._enqueue(payload)
            return
        if status == Status.OK:
            self._enqueue(_FINISH)
            return
        # Status.ERROR: the client aborts; its payload (if any) is not needed
        self.close(abort=True)
        self._send(encode_message(self._data_header._replace(status=Status.OK)))

    def _enqueue(self, item: bytes | object) -> None:
        self._queued += 1
        self._queue.put(item)
        if self._queued >= QUEUE_CHUNKS:
            self._hold(True)

    def _dequeued(self) -> None:
        self._queued -= 1
        if self._queued < QUEUE_CHUNKS // 2:
            self._hold(False)

    def _hold(self, on: bool) -> None:
        if on != self._holding:
            self._holding = on
            self.owner.client.hold_reading(self, on)

    # -- the writer thread: client -> driver ------------------------------------------------

    def _write_loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is _ABORT or self._closed.is_set():
                return
            self._call_soon(self._dequeued)
            if item is _FINISH:
                self._finish()
                return
            assert isinstance(item, bytes)
            try:
                self.inner.send(item)
            except PyvirtError as exc:
                self._call_soon(self._fail_to_client, exc)
                return

    def _finish(self) -> None:
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
        self._call_soon(self.owner.forget, self)
        try:
            self.inner.finish()
        except PyvirtError as exc:
            self._call_soon(self._reply_error, exc)
            return
        self._call_soon(self._send, encode_message(self._data_header._replace(status=Status.OK)))

    # -- the reader thread: driver -> client ------------------------------------------------

    def _read_loop(self) -> None:
        while not self._closed.is_set():
            try:
                chunk = self.inner.recv(MESSAGE_INITIAL)
            except PyvirtError as exc:
                if not self._closed.is_set():
                    self._call_soon(self._fail_to_client, exc)
                return
            if self._closed.is_set():
                return
            sent = asyncio.run_coroutine_threadsafe(
                self._send_paced(encode_message(self._data_header, chunk)), self._loop
            )
            try:
                sent.result()
            except (RuntimeError, asyncio.CancelledError):  # the loop stopped: the daemon is going away
                return
            if not chunk:  # end of file told; the client now finishes or aborts
                return

    async def _send_paced(self, packet: bytes) -> None:
        if self._closed.is_set():
            return
        self._send(packet)
        await self.owner.client.writable()

    # -- sending (loop thread) -------------------------------------------------------------

    def _call_soon(self, func: Callable[..., object], *args: object) -> None:
        try:
            self._loop.call_soon_threadsafe(func, *args)
        except RuntimeError:  # the loop is closed: nobody to tell
            pass

    def _send(self, packet: bytes) -> None:
        self.owner.client.write_packet(packet)

    def _fail_to_client(self, exc: PyvirtError) -> None:
        """A driver error mid-transfer: STREAM/ERROR to the client, the stream ends."""
        if self._closed.is_set():
            return
        self.close(abort=True)
        self._send(encode_message(self._data_header._replace(status=Status.ERROR), encode_error(wv.error_to_wire(exc))))

    def _reply_error(self, exc: PyvirtError) -> None:
        reply = self._data_header._replace(type=MessageType.REPLY, status=Status.ERROR)
        self._send(encode_message(reply, encode_error(wv.error_to_wire(exc))))
