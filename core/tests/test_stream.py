"""pyvirt.stream on its own: the public Stream's contract over any driver stream, FdStream
over a real pty and socket pair (an abort from another thread ends a blocked read), and the
one-client-per-console rule."""

from __future__ import annotations

import os
import pty
import socket
import threading

import pytest

from pyvirt.errors import OperationFailedError, OperationInvalidError
from pyvirt.stream import ConsoleTable, FdStream, Stream, open_pty


class Recorder:
    """A driver stream serving ``chunks`` and logging what it is told."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.log: list[str] = []

    def send(self, data: bytes) -> None:
        self.log.append(f"send {data!r}")

    def recv(self, size: int) -> bytes:
        return self.chunks.pop(0)[:size] if self.chunks else b""

    def finish(self) -> None:
        self.log.append("finish")

    def abort(self) -> None:
        self.log.append("abort")


def test_context_manager_finishes_on_success_and_aborts_on_error() -> None:
    inner = Recorder([])
    with Stream(inner) as stream:
        stream.send(b"a")
        stream.send(b"")  # nothing to send is not sent
    assert inner.log == ["send b'a'", "finish"]
    failing = Recorder([])
    with pytest.raises(RuntimeError), Stream(failing):
        raise RuntimeError
    assert failing.log == ["abort"]


def test_iteration_reads_to_end_of_file_and_closed_streams_refuse() -> None:
    stream = Stream(Recorder([b"ab", b"c"]))
    assert list(stream) == [b"ab", b"c"]
    stream.finish()
    assert stream.closed
    with pytest.raises(OperationInvalidError):
        stream.recv(1)
    with pytest.raises(OperationInvalidError):
        stream.finish()
    stream.abort()  # abort is always safe
    with pytest.raises(ValueError):
        Stream(Recorder([])).recv(0)


def test_fd_stream_over_a_socket_pair_both_ways_and_end_of_file() -> None:
    left, right = socket.socketpair()
    stream = FdStream(left.detach())
    stream.send(b"hello" * 10000)
    got = b""
    while len(got) < 50000:
        got += right.recv(65536)
    assert got == b"hello" * 10000
    right.sendall(b"back")
    assert stream.recv(100) == b"back"
    right.close()
    assert stream.recv(100) == b""
    stream.finish()
    assert stream.closed


def test_abort_from_another_thread_ends_a_blocked_read() -> None:
    master, slave = pty.openpty()
    path = os.ttyname(slave)
    os.close(slave)
    stream = open_pty(path)
    result: list[bytes] = []
    reader = threading.Thread(target=lambda: result.append(stream.recv(10)))
    reader.start()
    reader.join(0.2)
    assert reader.is_alive()  # nothing written: the read waits
    stream.abort()
    reader.join(10)
    assert not reader.is_alive() and result == [b""]
    with pytest.raises(OperationInvalidError):
        stream.send(b"x")
    os.close(master)


def test_pty_stream_is_raw() -> None:
    master, slave = pty.openpty()
    path = os.ttyname(slave)
    os.close(slave)
    stream = open_pty(path)
    try:
        os.write(master, b"a\r\x03b")  # no line editing, no CR translation, no signals
        got = b""
        while len(got) < 4:
            got += stream.recv(10)
        assert got == b"a\r\x03b"
    finally:
        stream.abort()
        os.close(master)


def test_console_table_one_client_unless_forced() -> None:
    table = ConsoleTable()
    pairs = [socket.socketpair() for _ in range(3)]
    first = table.claim(("dom", "serial0"), False, lambda: FdStream(pairs[0][0].detach()))
    with pytest.raises(OperationFailedError, match="Active console session exists"):
        table.claim(("dom", "serial0"), False, lambda: FdStream(pairs[1][0].detach()))
    other = table.claim(("dom", "serial1"), False, lambda: FdStream(pairs[2][0].detach()))
    forced = table.claim(("dom", "serial0"), True, lambda: FdStream(pairs[1][0].detach()))
    assert first.closed and not forced.closed
    forced.finish()
    again = table.claim(("dom", "serial0"), False, lambda: FdStream(socket.socketpair()[0].detach()))
    for stream in (other, again):
        stream.abort()
    for a, b in pairs:
        a.close()
        b.close()
