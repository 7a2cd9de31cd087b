"""Packet framing: byte layout as rpc.rst describes it, limits, and a reader that survives any split."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyvirt.rpc import remote_protocol as rp
from pyvirt.rpc.message import (
    FRAME_MIN,
    MESSAGE_MAX,
    FrameError,
    FrameReader,
    Header,
    MessageType,
    Status,
    decode_error,
    decode_header,
    decode_payload,
    encode_error,
    encode_message,
    keepalive_ping,
    keepalive_pong,
    pack_message,
    split_fds,
)
from pyvirt.rpc.virnet_protocol import virNetMessageError
from pyvirt.rpc.xdr import XDRError

u32 = st.integers(0, 2**32 - 1)
s32 = st.integers(-(2**31), 2**31 - 1)
headers = st.builds(Header, u32, u32, s32, s32, u32, s32)
frames = st.tuples(headers, st.binary(max_size=80))


def test_layout_matches_rpc_rst_example() -> None:
    """rpc.rst: program 8, version 1, procedure 3, 10 bytes of arguments -> a 38-byte packet."""
    packet = encode_message(Header(8, 1, 3, MessageType.CALL, 1, Status.OK), b"0123456789")
    assert packet == struct.pack(">7I", 38, 8, 1, 3, 0, 1, 0) + b"0123456789"
    assert decode_header(packet, 4) == Header(8, 1, 3, 0, 1, 0)


def test_pack_message_encodes_the_payload_in_place() -> None:
    proc = rp.PROCEDURES[rp.REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME]
    header = Header(rp.REMOTE_PROGRAM, 1, proc.number, MessageType.CALL, 7, Status.OK)
    args = rp.remote_domain_lookup_by_name_args("test")
    assert pack_message(header, proc.args, args) == encode_message(header, b"\0\0\0\4test")
    assert pack_message(header, None) == encode_message(header) == struct.pack(">7I", 28, *header)


def test_header_fields_out_of_range_are_xdr_errors() -> None:
    with pytest.raises(XDRError, match="cannot encode header"):
        encode_message(Header(2**32, 1, 1, 0, 1, 0))
    with pytest.raises(XDRError, match="cannot encode header"):
        pack_message(Header(1, 1, 2**31, 0, 1, 0), None)


def test_header_reply_and_negative_fields() -> None:
    call = Header(rp.REMOTE_PROGRAM, 1, -5, MessageType.CALL, 2**32 - 1, Status.OK)
    assert call.reply(Status.ERROR) == Header(rp.REMOTE_PROGRAM, 1, -5, MessageType.REPLY, 2**32 - 1, Status.ERROR)
    assert decode_header(encode_message(call), 4) == call


@settings(max_examples=200, deadline=None)
@given(st.lists(frames, max_size=8), st.lists(st.integers(1, 64), min_size=1))
def test_reader_reassembles_frames_split_anywhere(packets: list[tuple[Header, bytes]], sizes: list[int]) -> None:
    stream = b"".join(encode_message(h, p) for h, p in packets)
    reader = FrameReader()
    got: list[tuple[Header, bytes]] = []
    pos = 0
    index = 0
    while pos < len(stream):
        step = sizes[index % len(sizes)]
        got += reader.feed(memoryview(stream)[pos : pos + step])
        pos += step
        index += 1
    assert got == packets
    assert reader.pending == 0


def test_reader_keeps_an_incomplete_tail() -> None:
    packet = encode_message(Header(1, 1, 1, 0, 1, 0), b"abcd")
    reader = FrameReader()
    assert reader.feed(packet + packet[:5]) == [(Header(1, 1, 1, 0, 1, 0), b"abcd")]
    assert reader.pending == 5
    assert reader.feed(packet[5:]) == [(Header(1, 1, 1, 0, 1, 0), b"abcd")]


@pytest.mark.parametrize("length", [0, 4, 27, MESSAGE_MAX + 5, 2**32 - 1])
def test_reader_refuses_bad_lengths_for_good(length: int) -> None:
    reader = FrameReader()
    with pytest.raises(FrameError, match=f"packet length {length} outside"):
        reader.feed(struct.pack(">I", length) + bytes(24))
    with pytest.raises(FrameError):
        reader.feed(encode_message(Header(1, 1, 1, 0, 1, 0)))


def test_limits_are_libvirts() -> None:
    assert (FRAME_MIN, MESSAGE_MAX) == (28, 32 * 1024 * 1024)
    ((_, payload),) = FrameReader().feed(struct.pack(">I", MESSAGE_MAX + 4) + bytes(MESSAGE_MAX))
    assert len(payload) == MESSAGE_MAX - 24
    small = FrameReader(max_message=100)
    with pytest.raises(FrameError, match=r"outside 28\.\.104"):
        small.feed(struct.pack(">I", 105))


def test_biggest_message_passes_and_one_more_byte_does_not() -> None:
    header = Header(1, 1, 1, MessageType.STREAM, 1, Status.CONTINUE)
    payload = bytes(MESSAGE_MAX - 24)
    packet = encode_message(header, payload)
    assert FrameReader().feed(packet) == [(header, payload)]
    with pytest.raises(XDRError, match="exceeds the maximum"):
        encode_message(header, payload + b"x")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_reader_on_garbage_raises_only_frame_error(data: bytes) -> None:
    try:
        FrameReader().feed(data)
    except FrameError:
        pass


def test_payload_decoding_is_strict() -> None:
    codec = rp.PROCEDURES[rp.REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME].args
    assert decode_payload(codec, b"\0\0\0\4test") == ("test",)
    with pytest.raises(XDRError, match="4 unexpected trailing bytes"):
        decode_payload(codec, b"\0\0\0\4testjunk")
    with pytest.raises(XDRError, match="expected an empty payload"):
        decode_payload(None, b"x")
    assert decode_payload(None, b"") is None


def test_error_payload_round_trip() -> None:
    error = virNetMessageError(42, 12, "Domain not found", 2, None, "Domain not found", None, None, -1, -1, None)
    assert decode_error(encode_error(error)) == error
    with pytest.raises(XDRError):
        decode_error(encode_error(error)[:-1])


def test_keepalive_packets() -> None:
    ping, pong = keepalive_ping(), keepalive_pong()
    assert ping == struct.pack(">7I", 28, 0x6B656570, 1, 1, 2, 0, 0)
    assert pong == struct.pack(">7I", 28, 0x6B656570, 1, 2, 2, 0, 0)
    ((header, payload),) = FrameReader().feed(ping)
    assert header.prog == 0x6B656570 and payload == b""


def test_fds_count() -> None:
    assert split_fds(b"\0\0\0\2rest") == (2, b"rest")
    with pytest.raises(XDRError, match="33 file descriptors"):
        split_fds(b"\0\0\0\x21")
    with pytest.raises(XDRError):
        split_fds(b"\0\0")
