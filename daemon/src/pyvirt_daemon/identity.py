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
    """``unix``, ``unix-ro``, ``admin``, ``tcp`` or ``tls``."""
    pid: int | None = None
    uid: int | None = None
    gid: int | None = None
    address: str | None = None
    x509_dname: str | None = None
    """The Distinguished Name of a TLS client's certificate, as libvirt prints it."""
    sasl_username: str | None = None
    """The user a SASL client authenticated as."""

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
