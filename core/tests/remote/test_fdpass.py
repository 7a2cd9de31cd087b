"""Receiving descriptors the way pyvirtd (and libvirtd) pass them: a WITH_FDS packet, then one
dummy byte per descriptor carrying it as SCM_RIGHTS, over a real unix socket pair."""

from __future__ import annotations

import array
import os
import socket
import struct
from collections.abc import Iterator

import pytest

from pyvirt.remote.fdpass import FdFrameReader, UnixTransport
from pyvirt.rpc.message import Header, MessageType, Status, encode_message

_REPLY = Header(0x68000, 1, 1, MessageType.REPLY, 7, Status.OK)
_WITH_FDS = Header(0x68000, 1, 1, MessageType.REPLY_WITH_FDS, 8, Status.OK)
_EVENT = Header(0x20008086, 1, 2, MessageType.MESSAGE, 1, Status.OK)


def _stream(fd_count: int) -> tuple[bytes, bytes, bytes]:
    """A plain reply, a WITH_FDS reply announcing ``fd_count`` descriptors, an event."""
    return (
        encode_message(_REPLY, b"abcd"),
        encode_message(_WITH_FDS, struct.pack(">I", fd_count) + b"wxyz"),
        encode_message(_EVENT, b"\x00\x00\x00\x05"),
    )


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, UnixTransport]]:
    server, client = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    transport = UnixTransport(client)
    try:
        yield server, transport
    finally:
        server.close()
        transport.close()


@pytest.mark.parametrize("chunk", [1, 3, 1 << 16])
def test_dummy_bytes_stay_out_of_the_packet_stream(chunk: int) -> None:
    plain, with_fds, event = _stream(2)
    data = plain + with_fds + b"\0\0" + event
    reader = FdFrameReader()
    reader.careful = 1
    frames = []
    for start in range(0, len(data), chunk):
        frames += reader.feed(data[start : start + chunk])
    assert [header for header, _ in frames] == [_REPLY, _WITH_FDS, _EVENT]
    assert frames[1][1] == struct.pack(">I", 2) + b"wxyz" and frames[2][1] == b"\x00\x00\x00\x05"
    assert reader.pending == 0


def test_a_with_fds_packet_waits_for_its_last_dummy_byte() -> None:
    _plain, with_fds, event = _stream(2)
    reader = FdFrameReader()
    reader.careful = 1
    assert reader.feed(with_fds + b"\0") == []
    reader.careful = 0  # the call ended meanwhile: the owed byte is still skipped
    assert [h for h, _ in reader.feed(b"\0" + event)] == [_WITH_FDS, _EVENT]


def test_descriptors_arrive_with_their_packet(pair: tuple[socket.socket, UnixTransport]) -> None:
    server, transport = pair
    plain, with_fds, event = _stream(2)
    files = [os.open(os.devnull, os.O_RDONLY), os.open("/", os.O_RDONLY)]
    server.sendall(plain + with_fds)
    for fd in files:
        server.sendmsg([b"\0"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
        os.close(fd)
    server.sendall(event)
    reader = FdFrameReader()
    reader.careful = 1
    frames: list[tuple[Header, bytes]] = []
    while len(frames) < 3:
        frames += reader.feed(transport.recv(1 << 16))
    assert [h for h, _ in frames] == [_REPLY, _WITH_FDS, _EVENT]
    received = transport.take(2)
    assert [os.readlink(f"/proc/self/fd/{fd}") for fd in received] == [os.devnull, "/"]
    assert all(os.get_inheritable(fd) is False for fd in received)  # MSG_CMSG_CLOEXEC
    for fd in received:
        os.close(fd)
    assert transport.take(1) == []
