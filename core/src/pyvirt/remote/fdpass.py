"""Receiving file descriptors from the daemon (libvirt's REPLY_WITH_FDS), on unix sockets only.

The daemon sends such a reply's packet, then one dummy byte per descriptor, each carrying its
descriptor as SCM_RIGHTS ancillary data.  :class:`UnixTransport` reads with ``recvmsg`` so the
kernel hands over (rather than drops) the descriptors, and queues them; :class:`FdFrameReader`
keeps the dummy bytes out of the packet stream and releases a WITH_FDS packet only once its
last dummy byte, hence its last descriptor, has arrived.
"""

from __future__ import annotations

import _socket as socket  # as transport.py: no enum conversion of every constant
import array
import collections
import os

from pyvirt.remote.transport import SocketTransport
from pyvirt.rpc.message import LEN_SIZE, NUM_FDS_MAX, FrameReader, Header, MessageType, split_fds
from pyvirt.rpc.xdr import Buf

_ANCILLARY = socket.CMSG_SPACE(NUM_FDS_MAX * array.array("i").itemsize)
_WITH_FDS = (MessageType.CALL_WITH_FDS, MessageType.REPLY_WITH_FDS)


class FdFrameReader(FrameReader):
    """A :class:`FrameReader` that knows the dummy bytes following a WITH_FDS packet.

    It cuts the stream one packet at a time only while :attr:`careful` is non-zero (a call
    that may be answered with descriptors is in flight) or dummy bytes are still due; the rest
    of the time it is the plain reader.
    """

    def __init__(self) -> None:
        super().__init__()
        self.careful = 0
        self._skip = 0
        self._held: tuple[Header, bytes] | None = None

    def feed(self, data: Buf) -> list[tuple[Header, bytes]]:
        if not self.careful and not self._skip:
            return super().feed(data)
        frames: list[tuple[Header, bytes]] = []
        view = memoryview(data)
        buf = self._buf
        while True:
            if self._skip:
                dropped = min(self._skip, len(view))
                view, self._skip = view[dropped:], self._skip - dropped
                if self._skip:
                    break
                assert self._held is not None
                frames.append(self._held)
                self._held = None
            if not view:
                break
            # Take no byte beyond the end of the packet being read.
            if len(buf) < LEN_SIZE:
                take = LEN_SIZE - len(buf)
            else:
                take = max(int.from_bytes(buf[:LEN_SIZE], "big") - len(buf), 0)
            buf += view[:take]
            view = view[take:]
            for header, payload in super().feed(b""):
                count = split_fds(payload)[0] if header.type in _WITH_FDS else 0
                if count:
                    self._held, self._skip = (header, payload), count
                else:
                    frames.append((header, payload))
        return frames


class UnixTransport(SocketTransport):
    """A unix stream socket to the daemon that also receives descriptors (``passed_fds``)."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock, secure=True)
        self.passed_fds: collections.deque[int] = collections.deque()
        """Descriptors received and not yet claimed by a reply, oldest first."""

    def recv(self, size: int) -> bytes:
        data, ancillary, _flags, _addr = self._sock.recvmsg(size, _ANCILLARY, socket.MSG_CMSG_CLOEXEC)
        for level, kind, raw in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds = array.array("i")
                fds.frombytes(raw[: len(raw) - len(raw) % fds.itemsize])
                self.passed_fds.extend(fds)
        return data

    def take(self, count: int) -> list[int]:
        """The ``count`` oldest received descriptors (fewer if the daemon sent fewer)."""
        return [self.passed_fds.popleft() for _ in range(min(count, len(self.passed_fds)))]

    def close(self) -> None:
        while self.passed_fds:
            os.close(self.passed_fds.popleft())
        super().close()
