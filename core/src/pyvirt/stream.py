"""Byte streams: a domain's console, a volume's upload or download (libvirt's ``virStream``).

A driver returns a :class:`DriverStream` (any object with the four methods) from the stream
operations of :class:`~pyvirt.driver.DriverConnection`; the public API wraps it in a
:class:`Stream`.  The same four methods work whichever way the bytes go, so the daemon and the
remote driver move bytes without knowing what is at the other end:

* ``recv(n)`` blocks until some bytes are there and returns at most ``n``; ``b""`` means end
  of file (a download is complete, the console's guest went away);
* ``send(data)`` hands bytes over, blocking while the other end is not ready for more (flow
  control, so nothing buffers a whole volume);
* ``finish()`` says "all is sent / I read up to EOF" and raises the error the other end had
  (an upload shorter than announced, a failed write), so a caller knows the transfer worked;
* ``abort()`` gives up at once; further calls fail.  Abort is always safe, finish is not.

:class:`FdStream` is the common driver-side implementation over a file descriptor (a pty, a
socket, a pipe), used by the console of the QEMU and LXC drivers, with :func:`open_pty` and
:class:`ConsoleTable` (one client per console, as libvirt allows).
"""

from __future__ import annotations

import _thread
import os
from collections.abc import Callable, Iterator
from types import TracebackType

from pyvirt.errors import OperationFailedError, OperationInvalidError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see pyvirt.records)
if TYPE_CHECKING:
    from typing import Protocol
else:
    Protocol = object  # DriverStream matters to type checkers only; at run time a plain base will do

CHUNK = 65536
"""Bytes per read when iterating: libvirt's stream packet size."""


class DriverStream(Protocol):
    """What a driver's stream operation returns."""

    def send(self, data: bytes) -> None: ...

    def recv(self, size: int) -> bytes: ...

    def finish(self) -> None: ...

    def abort(self) -> None: ...


class Stream:
    """A public byte stream.  As a context manager it finishes on a normal exit and aborts
    when the block raises; iterating yields chunks until end of file."""

    __slots__ = ("_closed", "_inner")

    def __init__(self, inner: DriverStream) -> None:
        self._inner = inner
        self._closed = False

    def __repr__(self) -> str:
        return f"<pyvirt.Stream {'closed' if self._closed else 'open'}>"

    def _check(self) -> None:
        if self._closed:
            raise OperationInvalidError("stream is not open")

    def send(self, data: bytes) -> None:
        self._check()
        if data:
            self._inner.send(bytes(data))

    def recv(self, size: int = CHUNK) -> bytes:
        """At most ``size`` bytes, blocking until some arrive; ``b""`` at end of file."""
        self._check()
        if size <= 0:
            raise ValueError("size must be positive")
        return self._inner.recv(size)

    def finish(self) -> None:
        self._check()
        self._closed = True
        self._inner.finish()

    def abort(self) -> None:
        """Give up the transfer; safe to call on a stream that is already closed."""
        if self._closed:
            return
        self._closed = True
        self._inner.abort()

    @property
    def closed(self) -> bool:
        return self._closed

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.recv(CHUNK):
            yield chunk

    def __enter__(self) -> Stream:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._closed:
            return
        if exc_type is None:
            self.finish()
        else:
            self.abort()


class FdStream:
    """A :class:`DriverStream` over a file descriptor it owns (closed by finish/abort).

    Reads wait with ``poll`` so that :meth:`abort` from another thread ends a blocked ``recv``
    (a console reader sleeps there for as long as the guest is silent).  A pty whose other side
    went away reads as end of file, not as an error.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._wake_r, self._wake_w = os.pipe()
        self._lock = _thread.allocate_lock()
        self._closed = False
        self._users = 0  # readers and writers inside poll/read/write right now

    def _wait(self, *, write: bool = False) -> bool:
        """True when the fd is ready (to write, or to read), False when the stream was closed
        meanwhile."""
        import select  # here, not at the top: only fd streams poll, and start-up pays for it

        poller = select.poll()
        poller.register(self._fd, select.POLLOUT if write else select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        while True:
            ready = dict(poller.poll())
            if self._wake_r in ready or self._closed:
                return False
            if self._fd in ready:
                return True

    def _enter(self) -> bool:
        with self._lock:
            if self._closed:
                return False
            self._users += 1
            return True

    def _leave(self) -> None:
        with self._lock:
            self._users -= 1
            release = self._closed and self._users == 0  # (no one enters once closed: true once)
        if release:
            self._release()

    def recv(self, size: int) -> bytes:
        if not self._enter():
            return b""
        try:
            if not self._wait():
                return b""
            try:
                return os.read(self._fd, size)
            except OSError:  # EIO: the pty's other side is gone, which is end of file
                return b""
        finally:
            self._leave()

    def send(self, data: bytes) -> None:
        if not self._enter():
            raise OperationInvalidError("stream is closed")
        try:
            view = memoryview(data)
            while view:
                if not self._wait(write=True):
                    raise OperationInvalidError("stream is closed")
                view = view[os.write(self._fd, view) :]
        finally:
            self._leave()

    @property
    def closed(self) -> bool:
        return self._closed

    def finish(self) -> None:
        self._close()

    def abort(self) -> None:
        self._close()

    def _close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            os.write(self._wake_w, b"x")
            release = self._users == 0
        # A reader or writer inside poll sees the wake-up byte; the last one out closes the
        # fds.  Closing them under its feet would let their numbers be reused (a forced console
        # takeover opens the new console at once) and leave it polling someone else's fds.
        if release:
            self._release()

    def _release(self) -> None:
        for fd in (self._fd, self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass


def open_pty(path: str) -> FdStream:
    """A stream over a pty's slave side (a guest's serial port), in raw mode so that every byte
    passes unchanged both ways, as libvirt's console does."""
    import tty  # with termios: only drivers with a pty console need it, not ``import pyvirt``

    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        tty.setraw(fd)
    except BaseException:
        os.close(fd)
        raise
    return FdStream(fd)


class ConsoleTable:
    """Which consoles of a driver are held, by (domain UUID, device): a second client is
    refused unless it forces, which ends the first client's stream (libvirt's rule)."""

    def __init__(self) -> None:
        self._lock = _thread.allocate_lock()
        self._held: dict[tuple[str, str], FdStream] = {}

    def claim(self, key: tuple[str, str], force: bool, opener: Callable[[], FdStream]) -> FdStream:
        with self._lock:
            old = self._held.get(key)
            if old is not None and not old.closed:
                if not force:
                    raise OperationFailedError("operation failed: Active console session exists for this domain")
                old.abort()
            stream = opener()
            self._held[key] = stream
            return stream
