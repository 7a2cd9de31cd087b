"""The client side of a byte stream (libvirt's virNetClientStream): the far end's data for
one call's serial, and the calls that send data, finish and abort.

The :class:`~pyvirt.remote.client.RPCClient` routes each STREAM/CONTINUE packet of the serial
here (:meth:`ClientStream.deliver`, under the client's lock); :meth:`recv` takes from what has
arrived and, when nothing has, waits the way a call waits for its reply (it may become the
connection's reader meanwhile), so calls and streams share one connection freely.

An empty STREAM/CONTINUE from the server is end of file; a STREAM/ERROR is the far end's
error, raised by the next ``recv``/``send``/``finish``.

What has arrived and not been read is bounded: once a stream holds more than
:data:`BUFFER_MAX` bytes, the client's background reader leaves the socket alone (the daemon
then waits, its writes blocked), until the application reads the stream down or a call needs
the socket.  libvirt's own client (``virNetClientStreamQueuePacket``) queues every packet with
no limit; pyvirt stops short of that, without ever holding up a call: a caller waiting for its
reply reads on through the stream data ahead of it, so each call made meanwhile may add what
the kernel and the daemon had in flight (hundreds of KiB) beyond the bound.
"""

from __future__ import annotations

import collections

from pyvirt.errors import ErrorCode, ErrorDomain, OperationInvalidError, PyvirtError
from pyvirt.remote.wire_values import error_from_wire
from pyvirt.rpc.message import MESSAGE_INITIAL, Status, decode_error
from pyvirt.rpc.xdr import XDRError

BUFFER_MAX = 4 << 20
"""Unread bytes a stream may hold before the background reader stops reading the socket."""

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from pyvirt.remote.client import RPCClient


def stream_error(payload: bytes) -> PyvirtError:
    """The far end's error from a STREAM/ERROR packet (libvirt clients send it empty)."""
    try:
        return error_from_wire(decode_error(payload))
    except XDRError:
        return PyvirtError("stream aborted by the other end", code=ErrorCode.RPC, domain=ErrorDomain.RPC)


class ClientStream:
    """A :class:`~pyvirt.stream.DriverStream` over one serial of an :class:`RPCClient`."""

    def __init__(self, client: RPCClient, procedure: int, serial: int) -> None:
        self.client = client
        self.procedure = procedure
        self.serial = serial
        self.open = True
        self.eof = False
        self.error: PyvirtError | None = None
        self.chunks: collections.deque[bytes] = collections.deque()
        self.buffered = 0  # bytes in chunks

    @property
    def full(self) -> bool:
        """More unread data than :data:`BUFFER_MAX`: the socket should wait for the application."""
        return self.buffered > BUFFER_MAX
        self.reply: object = None
        """The opening call's reply (a screenshot's MIME type; None for most streams)."""

    # -- from the reader, under the client's lock -------------------------------------------

    def deliver(self, status: int, payload: bytes, error: PyvirtError | None) -> None:
        if status == Status.CONTINUE:
            if payload:
                self.chunks.append(payload)
                self.buffered += len(payload)
            else:
                self.eof = True
        elif error is not None:
            self.error = error

    @property
    def ready(self) -> bool:
        """Something for ``recv`` to return or raise."""
        return bool(self.chunks) or self.eof or self.error is not None or not self.open

    def take(self, size: int) -> bytes:
        """Up to ``size`` bytes of what has arrived (caller holds the lock; ``ready`` is true)."""
        if self.chunks:
            head = self.chunks.popleft()
            if len(head) > size:
                self.chunks.appendleft(head[size:])
                head = head[:size]
            self.buffered -= len(head)
            return head
        if self.error is not None:
            raise self.error
        if not self.open:
            raise OperationInvalidError("stream is not open")
        return b""

    # -- DriverStream ---------------------------------------------------------------------

    def recv(self, size: int) -> bytes:
        return self.client.stream_recv(self, size)

    def send(self, data: bytes) -> None:
        if self.error is not None:
            raise self.error
        if not self.open:
            raise OperationInvalidError("stream is not open")
        for start in range(0, len(data), MESSAGE_INITIAL):
            self.client.stream_send(self, data[start : start + MESSAGE_INITIAL])

    def finish(self) -> None:
        if self.error is not None:
            self.client.stream_forget(self)
            raise self.error
        self.client.stream_end(self, Status.OK)

    def abort(self) -> None:
        self.client.stream_end(self, Status.ERROR)
