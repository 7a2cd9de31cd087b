"""A child process as a byte stream: what the ``ssh`` and ``ext`` transports talk through.

The child's stdin and stdout carry the protocol (libvirt's virNetSocketNewConnectCommand).  Its
stderr goes to an unlinked temporary file rather than a pipe, so a chatty child can never block
on a full pipe nobody drains; when the stream ends, what the child said there becomes the
error, because "end of file" alone never tells a user that ssh refused a host key.
"""

from __future__ import annotations

import errno
import os
import select
import subprocess
import tempfile
from collections.abc import Sequence

from pyvirt.errors import ConnectError, ErrorCode, ErrorDomain

_EXIT_GRACE = 5.0
"""Seconds a child gets to exit after its stdin closed before it is killed."""
_STDERR_MAX = 4096


class ChildTransport:
    """The pipes of one child process; stopping the transport stops (and reaps) the child."""

    def __init__(self, argv: Sequence[str], *, encrypted: bool, secure: bool, what: str) -> None:
        self.encrypted = encrypted
        self.secure = secure
        self._what = what
        self._stderr = tempfile.TemporaryFile()
        try:
            self._proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                start_new_session=True,  # a terminal's ^C is for the application, not its ssh
            )
        except OSError as exc:
            self._stderr.close()
            raise ConnectError(
                f"cannot run {what} '{argv[0]}': {os.strerror(exc.errno or errno.EIO)}",
                code=ErrorCode.SYSTEM_ERROR,
                domain=ErrorDomain.RPC,
            ) from exc
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._in = self._proc.stdin.fileno()
        self._out = self._proc.stdout.fileno()

    def sendall(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._in, view)
            view = view[written:]

    def recv(self, size: int) -> bytes:
        chunk = os.read(self._out, size)
        if not chunk:
            complaint = self._complaint()
            if complaint:
                raise OSError(errno.EIO, complaint)
        return chunk

    def wait_readable(self, timeout: float | None) -> bool:
        try:
            readable, _, _ = select.select([self._out], [], [], timeout)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def shutdown(self) -> None:
        """End the child: its stdout then closes, which wakes a reader blocked in :meth:`recv`."""
        if self._proc.poll() is None:
            try:
                self._proc.terminate()
            except OSError:
                pass

    def close(self) -> None:
        """Close the child's stdin (a clean end of stream), give it a moment, then kill and reap it."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        try:
            self._proc.wait(_EXIT_GRACE)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc.stdout.close()
        self._stderr.close()

    def _complaint(self) -> str:
        """The last thing the child wrote to stderr, with its exit status once it has exited."""
        try:
            status = self._proc.wait(_EXIT_GRACE)
        except subprocess.TimeoutExpired:
            status = None
        try:
            self._stderr.seek(0, os.SEEK_END)
            size = self._stderr.tell()
            self._stderr.seek(max(0, size - _STDERR_MAX))
            text = self._stderr.read().decode(errors="replace").strip()
        except (OSError, ValueError):
            text = ""
        if not text and not status:
            return ""
        lines = [line for line in text.splitlines() if line.strip()]
        said = lines[-1] if lines else "no message"
        return f"{self._what} ended (exit status {status}): {said}"
