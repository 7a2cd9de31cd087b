"""``virStream``: made empty by ``virConnect.newStream``, bound to pyvirt's stream by the call
that uses it (``screenshot``, ``openConsole``, volume ``upload``/``download``), as in libvirt."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyvirt_libvirt._stubs import virStreamStubs
from pyvirt_libvirt.errors import api, failure

if TYPE_CHECKING:
    from pyvirt.stream import DriverStream, Stream
    from pyvirt_libvirt.connect import virConnect

VIR_ERR_OPERATION_INVALID = 55
VIR_FROM_STREAMS = 38
_CHUNK = 65536


class virStream(virStreamStubs):
    def __init__(self, conn: virConnect, _obj: Stream | None = None) -> None:
        self._conn = conn
        self._o = _obj

    def connect(self) -> virConnect:
        return self._conn

    def _bind(self, inner: Stream | DriverStream) -> None:
        from pyvirt.stream import Stream

        self._o = inner if isinstance(inner, Stream) else Stream(inner)

    def _stream(self) -> Stream:
        if self._o is None:
            raise failure(VIR_ERR_OPERATION_INVALID, VIR_FROM_STREAMS, "stream is not open")
        return self._o

    @api
    def send(self, data: bytes) -> int:
        self._stream().send(data)
        return len(data)

    @api
    def recv(self, nbytes: int) -> bytes:
        return self._stream().recv(nbytes)

    @api
    def finish(self) -> int:
        self._stream().finish()
        return 0

    @api
    def abort(self) -> int:
        self._stream().abort()
        return 0

    def recvAll(self, handler: Callable[[virStream, bytes, Any], Any], opaque: Any) -> None:
        """Read to end of file, handing each chunk to ``handler(stream, data, opaque)``."""
        while True:
            data = self.recv(_CHUNK)
            if not data:
                return
            try:
                handler(self, data, opaque)
            except BaseException:
                self.abort()
                raise

    def sendAll(self, handler: Callable[[virStream, int, Any], Any], opaque: Any) -> None:
        """Send what ``handler(stream, nbytes, opaque)`` returns until it returns nothing."""
        while True:
            try:
                data = handler(self, _CHUNK, opaque)
            except BaseException:
                self.abort()
                raise
            if not data:
                return
            self.send(data)
