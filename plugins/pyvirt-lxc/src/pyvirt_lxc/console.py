"""``domain_open_console``: a stream joined to a running container's ``/dev/console``.

The container's monitor serves the console on a unix socket (output written while nobody was
attached is replayed, up to 64 KiB); the stream is that socket.  A container has one console,
``console0``.  One client at a time, ``force`` takes it over (:class:`pyvirt.stream.ConsoleTable`
per node, so every connection of the process sees the same holder).
"""

from __future__ import annotations

import socket
import weakref
from typing import TYPE_CHECKING

from pyvirt.errors import ErrorDomain, InternalError, OperationFailedError
from pyvirt.stream import ConsoleTable, DriverStream, FdStream
from pyvirt_lxc.node import Node

DEVICE = "console0"
_TABLES: weakref.WeakKeyDictionary[Node, ConsoleTable] = weakref.WeakKeyDictionary()


class ConsoleCalls:
    """The console call of :class:`~pyvirt_lxc.driver.LxcConnection`."""

    _node: Node

    if TYPE_CHECKING:

        def lxc_console_path(self, uuid: str) -> str: ...  # from LxcConnection

    def domain_open_console(self, uuid: str, dev_name: str | None, force: bool) -> DriverStream:
        if dev_name not in (None, DEVICE):
            raise InternalError(f"internal error: cannot find console device '{dev_name}'", domain=ErrorDomain.LXC)
        path = self.lxc_console_path(uuid)
        with self._node.lock:
            table = _TABLES.setdefault(self._node, ConsoleTable())
        return table.claim((uuid, DEVICE), force, lambda: _connect(path))


def _connect(path: str) -> FdStream:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError as exc:
        sock.close()
        raise OperationFailedError(
            f"operation failed: cannot reach the container's console: {exc.strerror or exc}", domain=ErrorDomain.LXC
        ) from exc
    return FdStream(sock.detach())
