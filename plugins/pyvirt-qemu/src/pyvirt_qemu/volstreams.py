"""Volume upload and download for the ``dir`` pool, over the volume's file, as libvirt's
storage driver streams a file-backed volume.

The bytes go to (or come from) the file itself, whatever its format: an upload into a qcow2
volume writes qcow2 bytes, as in libvirt.  As the driver interface promises, an upload changes
the volume on ``finish`` only: the chunks are spooled into a hidden file next to the volume (the
pool's refresh skips dot files) and copied into the volume from ``offset`` on when the upload
finishes; an aborted upload just drops the spool (libvirt's would leave a half-written volume).
``finish`` then reads the volume's size and format again.  A ``length`` bounds the transfer:
a download ends there, an upload that sends more is refused.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from pyvirt.errors import ErrorDomain, InvalidArgumentError, OperationFailedError, OperationInvalidError
from pyvirt.files import remove
from pyvirt.stream import DriverStream

if TYPE_CHECKING:
    from pyvirt_qemu.driver import QemuDriver
    from pyvirt_qemu.storage import Pools


class VolumeStreamCalls:
    """``vol_upload`` / ``vol_download`` of :class:`~pyvirt_qemu.connection.QemuConnection`."""

    drv: QemuDriver

    def vol_upload(self, key: str, offset: int, length: int) -> DriverStream:
        path = self._path(key, offset, length)
        target = _open(path, os.O_WRONLY, offset)
        try:
            spool, spool_path = tempfile.mkstemp(prefix=".upload-", dir=os.path.dirname(path))
        except OSError:
            os.close(target)
            raise
        return _Upload(self.drv.pools, key, target, spool, spool_path, length)

    def vol_download(self, key: str, offset: int, length: int) -> DriverStream:
        path = self._path(key, offset, length)
        return _Download(_open(path, os.O_RDONLY, offset), length)

    def _path(self, key: str, offset: int, length: int) -> str:
        if offset < 0 or length < 0:
            raise InvalidArgumentError("invalid argument: offset and length must not be negative")
        with self.drv.pools.lock:
            path = self.drv.pools.volume(key)[1].target_path
        assert path is not None
        return path


def _open(path: str, mode: int, offset: int) -> int:
    try:
        fd = os.open(path, mode | os.O_CLOEXEC)
    except OSError as exc:
        raise OperationFailedError(f"Unable to open '{path}': {exc.strerror}", domain=ErrorDomain.STORAGE) from exc
    os.lseek(fd, offset, os.SEEK_SET)
    return fd


class _FileStream:
    """One open file and whether the transfer is still going."""

    def __init__(self, fd: int, length: int) -> None:
        self._fd = fd
        self._left = length if length else None
        self._lock = threading.Lock()

    def _live(self) -> int:
        if self._fd < 0:
            raise OperationInvalidError("stream is not open")
        return self._fd

    def _close(self) -> None:
        with self._lock:
            fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)

    def abort(self) -> None:
        self._close()


class _Upload(_FileStream):
    """Writes go to the spool (``_fd``); ``finish`` copies it into the volume (``_target``)."""

    def __init__(self, pools: Pools, key: str, target: int, spool: int, spool_path: str, length: int) -> None:
        super().__init__(spool, length)
        self._pools = pools
        self._key = key
        self._target = target
        self._spool_path = spool_path

    def send(self, data: bytes) -> None:
        with self._lock:
            fd = self._live()
            if self._left is not None:
                if len(data) > self._left:
                    raise InvalidArgumentError(
                        "invalid argument: more data was sent than the length given for the upload"
                    )
                self._left -= len(data)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]

    def recv(self, size: int) -> bytes:
        raise OperationInvalidError("operation invalid: an upload stream cannot be read")

    def finish(self) -> None:
        with self._lock:
            spool = self._live()
            size = os.lseek(spool, 0, os.SEEK_CUR)
            os.lseek(spool, 0, os.SEEK_SET)
            while size > 0:
                size -= os.sendfile(self._target, spool, None, size) or size
            os.fsync(self._target)
        self.abort()
        with self._pools.lock:  # the file may have grown, or now hold another format
            obj, vol = self._pools.volume(self._key)
            assert vol.target_path is not None
            obj.volumes[vol.name] = self._pools.describe(obj, Path(vol.target_path))

    def abort(self) -> None:
        self._close()
        with self._lock:
            target, self._target = self._target, -1
        if target >= 0:
            os.close(target)
            remove(Path(self._spool_path))


class _Download(_FileStream):
    def recv(self, size: int) -> bytes:
        with self._lock:
            fd = self._live()
            if self._left is not None:
                size = min(size, self._left)
            chunk = os.read(fd, size) if size else b""
            if self._left is not None:
                self._left -= len(chunk)
            return chunk

    def send(self, data: bytes) -> None:
        raise OperationInvalidError("operation invalid: a download stream cannot be written")

    def finish(self) -> None:
        self._live()
        self._close()
