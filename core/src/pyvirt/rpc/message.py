"""libvirt RPC packet framing: the length word, the 24-byte header, and whole packets.

Sans-I/O (as h11 does it): nothing here touches a socket. A reader feeds received bytes to a
:class:`FrameReader` and gets ``(Header, payload)`` pairs back; a writer turns a header and a
payload into the bytes to send with :func:`encode_message` or :func:`pack_message`. The daemon
and the remote client share this module, so both enforce the same limits.

Wire format (libvirt ``docs/kbase/internals/rpc.rst`` and ``virnetprotocol.x``): each packet is
a big-endian u32 length that counts itself, then the header ``prog u32, vers u32, proc s32,
type s32, serial u32, status s32``, then the payload. The length minus its own 4 bytes may not
exceed ``VIR_NET_MESSAGE_MAX`` (32 MiB), and a packet too short to hold a header is malformed;
either way the peer is broken and the connection should be dropped (:class:`FrameError`).
"""

from __future__ import annotations

import struct

from pyvirt.records import NamedTuple
from pyvirt.rpc import keepalive_protocol, virnet_protocol
from pyvirt.rpc.procedure import Codec
from pyvirt.rpc.virnet_protocol import virNetMessageError
from pyvirt.rpc.xdr import Buf, XDRError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "FRAME_MIN",
    "HEADER_SIZE",
    "LEN_SIZE",
    "MESSAGE_INITIAL",
    "MESSAGE_MAX",
    "NUM_FDS_MAX",
    "FrameError",
    "FrameReader",
    "Header",
    "MessageType",
    "Status",
    "decode_error",
    "decode_header",
    "decode_payload",
    "encode_error",
    "encode_message",
    "keepalive_ping",
    "keepalive_pong",
    "pack_message",
    "split_fds",
]

LEN_SIZE = virnet_protocol.VIR_NET_MESSAGE_LEN_MAX
"""Size of the length word (4); it counts itself but not against ``MESSAGE_MAX``."""
HEADER_SIZE = virnet_protocol.VIR_NET_MESSAGE_HEADER_MAX
"""Size of the encoded header (24)."""
FRAME_MIN = LEN_SIZE + HEADER_SIZE
"""Smallest valid packet: length word and header, empty payload (28)."""
MESSAGE_MAX = virnet_protocol.VIR_NET_MESSAGE_MAX
"""Largest header + payload libvirt accepts (32 MiB); the whole packet may be 4 bytes more."""
MESSAGE_INITIAL = virnet_protocol.VIR_NET_MESSAGE_INITIAL
"""libvirt's initial buffer size (64 KiB); also its largest stream data packet payload."""
NUM_FDS_MAX = virnet_protocol.VIR_NET_MESSAGE_NUM_FDS_MAX


class MessageType:
    """``virNetMessageType``: plain int constants (headers carry them as received; an enum class
    would cost every client start its creation for no behaviour)."""

    CALL = 0
    REPLY = 1
    MESSAGE = 2
    STREAM = 3
    CALL_WITH_FDS = 4
    REPLY_WITH_FDS = 5
    STREAM_HOLE = 6


class Status:
    """``virNetMessageStatus``, as plain int constants."""

    OK = 0
    ERROR = 1
    CONTINUE = 2


class Header(NamedTuple):
    """A packet header. Fields are plain ints as received (compare with ``MessageType``/``Status``):
    unknown types or statuses must reach the protocol layer, which answers them with an error."""

    prog: int
    vers: int
    proc: int
    type: int
    serial: int
    status: int

    def reply(self, status: int = Status.OK) -> Header:
        """The header of the reply to this call (same program, procedure and serial)."""
        return Header(self.prog, self.vers, self.proc, MessageType.REPLY, self.serial, status)


class FrameError(XDRError):
    """The byte stream is not a sequence of valid packets: drop the connection."""


_LEN = struct.Struct(">I")
_HEADER = struct.Struct(">IIiiIi")
_LEN_HEADER = struct.Struct(">IIIiiIi")
_HEADER_ONLY_LEN = _LEN.pack(FRAME_MIN)


def decode_header(buf: Buf, pos: int = 0) -> Header:
    """The header at ``pos`` of ``buf`` (``pos=4`` for a whole packet, 0 after the length word)."""
    try:
        return Header._make(_HEADER.unpack_from(buf, pos))
    except struct.error:
        raise FrameError("packet too short for its header") from None


def encode_message(header: Header, payload: Buf = b"") -> bytes:
    """A whole packet: length word, header, ``payload`` (already encoded, or raw stream data)."""
    length = FRAME_MIN + len(payload)
    if length - LEN_SIZE > MESSAGE_MAX:
        raise XDRError(f"message of {length} bytes exceeds the maximum {MESSAGE_MAX + LEN_SIZE}")
    try:
        return _LEN_HEADER.pack(length, *header) + payload
    except struct.error as e:
        raise XDRError(f"cannot encode header {header}: {e}") from e


def pack_message(header: Header, codec: Codec | None, value: Any = None) -> bytes:
    """A whole packet whose payload is ``value`` encoded with ``codec`` (None: empty payload).

    Encodes straight after the header in one buffer, so the payload is not copied again.
    """
    out = bytearray(FRAME_MIN)
    if codec is not None:
        codec.encode(out, value)
    if len(out) - LEN_SIZE > MESSAGE_MAX:
        raise XDRError(f"message of {len(out)} bytes exceeds the maximum {MESSAGE_MAX + LEN_SIZE}")
    try:
        _LEN_HEADER.pack_into(out, 0, len(out), *header)
    except struct.error as e:
        raise XDRError(f"cannot encode header {header}: {e}") from e
    return bytes(out)


def decode_payload(codec: Codec | None, payload: Buf) -> Any:
    """Decode a whole payload with ``codec``; trailing bytes are an error (None: must be empty)."""
    if codec is None:
        if len(payload):
            raise XDRError(f"expected an empty payload, got {len(payload)} bytes")
        return None
    value, end = codec.decode(payload, 0)
    if end != len(payload):
        raise XDRError(f"{codec.name}: {len(payload) - end} unexpected trailing bytes")
    return value


_ERROR = Codec(
    "virNetMessageError",
    virNetMessageError,
    virnet_protocol.encode_virNetMessageError,
    virnet_protocol.decode_virNetMessageError,
)


def encode_error(error: virNetMessageError) -> bytes:
    """The payload of an ERROR reply or stream abort."""
    out = bytearray()
    virnet_protocol.encode_virNetMessageError(out, error)
    return bytes(out)


def decode_error(payload: Buf) -> virNetMessageError:
    """The ``virNetMessageError`` of an ERROR reply (or a server's stream abort)."""
    value: virNetMessageError = decode_payload(_ERROR, payload)
    return value


def split_fds(payload: Buf) -> tuple[int, Buf]:
    """For ``CALL_WITH_FDS``/``REPLY_WITH_FDS``: the announced descriptor count and the real payload."""
    if len(payload) < 4:
        raise XDRError("payload too short for its file descriptor count")
    (count,) = _LEN.unpack_from(payload, 0)
    if count > NUM_FDS_MAX:
        raise XDRError(f"{count} file descriptors exceed the maximum {NUM_FDS_MAX}")
    return count, payload[4:]


_PING = encode_message(
    Header(
        keepalive_protocol.KEEPALIVE_PROGRAM,
        keepalive_protocol.KEEPALIVE_PROTOCOL_VERSION,
        keepalive_protocol.KEEPALIVE_PROC_PING,
        MessageType.MESSAGE,
        0,
        Status.OK,
    )
)
_PONG = encode_message(
    Header(
        keepalive_protocol.KEEPALIVE_PROGRAM,
        keepalive_protocol.KEEPALIVE_PROTOCOL_VERSION,
        keepalive_protocol.KEEPALIVE_PROC_PONG,
        MessageType.MESSAGE,
        0,
        Status.OK,
    )
)


def keepalive_ping() -> bytes:
    """The keepalive PING packet (program 0x6b656570, a MESSAGE with serial 0, no payload)."""
    return _PING


def keepalive_pong() -> bytes:
    """The PONG that answers a PING."""
    return _PONG


class FrameReader:
    """Cuts a received byte stream into packets.

    ``feed(data)`` returns every packet completed by ``data`` as ``(Header, payload)``, payload a
    ``bytes`` object of its own (safe to keep). A bad length word raises :class:`FrameError`,
    and so does every later ``feed``: the stream cannot be resynchronised.
    """

    def __init__(self, max_message: int = MESSAGE_MAX) -> None:
        self._buf = bytearray()
        self._max = max_message
        self._error: FrameError | None = None

    @property
    def pending(self) -> int:
        """Bytes received that do not yet make a whole packet."""
        return len(self._buf)

    def feed(self, data: Buf) -> list[tuple[Header, bytes]]:
        if self._error is not None:
            raise self._error
        buf = self._buf
        buf += data
        frames: list[tuple[Header, bytes]] = []
        pos = 0
        end = len(buf)
        while end - pos >= LEN_SIZE:
            (length,) = _LEN.unpack_from(buf, pos)
            if length < FRAME_MIN or length - LEN_SIZE > self._max:
                self._error = FrameError(
                    f"packet length {length} outside {FRAME_MIN}..{self._max + LEN_SIZE}: dropping the connection"
                )
                raise self._error
            if end - pos < length:
                break
            prog, vers, proc, mtype, serial, status = _HEADER.unpack_from(buf, pos + LEN_SIZE)
            frames.append((Header(prog, vers, proc, mtype, serial, status), bytes(buf[pos + FRAME_MIN : pos + length])))
            pos += length
        if pos:
            del buf[:pos]
        return frames
