"""Who is on the other end of a connection: the facts the daemon logs, lists and, later,
checks against an access policy (libvirt's virIdentity)."""

from __future__ import annotations

import socket
import struct
from typing import NamedTuple

_UCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


class Identity(NamedTuple):
    """A peer as the kernel (unix sockets) or the network (TCP) reports it."""

    transport: str
    """``unix``, ``unix-ro``, ``admin`` or ``tcp`` (later ``tls``)."""
    pid: int | None = None
    uid: int | None = None
    gid: int | None = None
    address: str | None = None

    def describe(self) -> dict[str, object]:
        """The fields worth logging (never a secret)."""
        return {k: v for k, v in self._asdict().items() if v is not None}


def of_socket(sock: socket.socket, transport: str) -> Identity:
    """Read the peer's credentials: ``SO_PEERCRED`` on unix sockets, the address on TCP."""
    if sock.family == socket.AF_UNIX:
        pid, uid, gid = _UCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size))
        return Identity(transport, pid=pid, uid=uid, gid=gid)
    host, port = sock.getpeername()[:2]
    return Identity(transport, address=f"{host};{port}")
