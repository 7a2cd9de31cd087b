"""Volume upload and download on the in-memory node (pyvirt's own: libvirt 9.0's test driver
has neither, its storage driver does them over files).

A volume keeps the bytes uploaded into it (:attr:`VolObj.content`); the rest of its capacity
reads as zeros, as a fresh sparse file does.  An upload is collected while it streams and
lands on ``finish`` (an aborted upload changes nothing); writing past the capacity grows the
volume, as the directory backend's refresh would see a grown file.  A download serves the
content as it was when the stream opened, one chunk at a time.
"""

from __future__ import annotations

import _thread  # threading's locks without importing threading (pyvirsh start-up)

from pyvirt.errors import ErrorDomain, InvalidArgumentError, OperationInvalidError
from pyvirt.stream import DriverStream
from pyvirt_test.state import NodeState, VolObj

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time


class VolumeStreamCalls:
    """``vol_upload`` / ``vol_download`` of :class:`~pyvirt_test.driver.TestConnection`."""

    _state: NodeState

    if TYPE_CHECKING:

        def _vol(self, key: str) -> VolObj: ...  # from StorageCalls

    def vol_upload(self, key: str, offset: int, length: int) -> DriverStream:
        with self._state.lock:
            vol = self._vol(key)
            _check_range(vol, offset, length)
        return _Upload(self._state, vol, offset, length)

    def vol_download(self, key: str, offset: int, length: int) -> DriverStream:
        with self._state.lock:
            vol = self._vol(key)
            _check_range(vol, offset, length)
            end = vol.defn.capacity if length == 0 else min(vol.defn.capacity, offset + length)
            return _Download(vol.content, offset, end)


def _check_range(vol: VolObj, offset: int, length: int) -> None:
    if offset < 0 or length < 0:
        raise InvalidArgumentError("invalid argument: offset and length must not be negative")
    if offset > vol.defn.capacity:
        raise InvalidArgumentError(
            f"invalid argument: offset {offset} is past the end of volume '{vol.ref.name}' ({vol.defn.capacity} bytes)",
            domain=ErrorDomain.STORAGE,
        )


class _Closable:
    def __init__(self) -> None:
        self._lock = _thread.allocate_lock()
        self._open = True

    def _close(self) -> None:
        with self._lock:
            if not self._open:
                raise OperationInvalidError("stream is not open")
            self._open = False


class _Upload(_Closable):
    def __init__(self, state: NodeState, vol: VolObj, offset: int, length: int) -> None:
        super().__init__()
        self._state = state
        self._vol = vol
        self._offset = offset
        self._limit = length
        self._data = bytearray()

    def send(self, data: bytes) -> None:
        with self._lock:
            if not self._open:
                raise OperationInvalidError("stream is not open")
            if self._limit and len(self._data) + len(data) > self._limit:
                raise InvalidArgumentError(
                    f"invalid argument: more than the {self._limit} bytes announced were sent to the volume"
                )
            self._data += data

    def recv(self, size: int) -> bytes:
        raise OperationInvalidError("operation invalid: an upload stream cannot be read")

    def finish(self) -> None:
        self._close()
        with self._state.lock:
            vol = self._vol
            if vol.key not in self._state.volumes_by_key:
                raise OperationInvalidError(f"operation invalid: volume '{vol.ref.name}' was deleted during upload")
            old = vol.content
            start, end = self._offset, self._offset + len(self._data)
            head = old[:start].ljust(start, b"\0")
            vol.content = head + bytes(self._data) + old[end:]
            if end > vol.defn.capacity:
                vol.defn.capacity = end

    def abort(self) -> None:
        self._open = False


class _Download(_Closable):
    def __init__(self, content: bytes, offset: int, end: int) -> None:
        super().__init__()
        self._content = content
        self._pos = offset
        self._end = end

    def recv(self, size: int) -> bytes:
        with self._lock:
            if not self._open:
                raise OperationInvalidError("stream is not open")
            stop = min(self._end, self._pos + size)
            chunk = self._content[self._pos : stop].ljust(stop - self._pos, b"\0")
            self._pos = stop
            return chunk

    def send(self, data: bytes) -> None:
        raise OperationInvalidError("operation invalid: a download stream cannot be written")

    def finish(self) -> None:
        self._close()

    def abort(self) -> None:
        self._open = False
