"""Byte streams to a daemon: the only part of the remote driver that knows about sockets.

The RPC client (:mod:`pyvirt.remote.client`) speaks through the small :class:`Transport`
interface, so every transport carries the same protocol: unix and tcp sockets here; TLS, ssh
and ``ext`` plug in by adding a connector to :data:`CONNECTORS` that returns a
:class:`Transport` (a TLS socket, or a pipe to a child process).
"""

from __future__ import annotations

import _socket  # the C module behind ``socket``: see connect_unix
import os
import select
from collections.abc import Callable

from pyvirt.errors import ConnectError, ErrorCode, ErrorDomain
from pyvirt.remote.target import Target

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Protocol
else:
    Protocol = object  # the interface is for type checkers; at run time a plain class


class Transport(Protocol):
    """A connected, ordered, reliable byte stream (what libvirt's virNetSocket is to its client).

    ``encrypted`` and ``secure`` answer ``virConnectIsEncrypted`` / ``virConnectIsSecure``.
    """

    encrypted: bool
    secure: bool

    def sendall(self, data: bytes | bytearray | memoryview) -> None:
        """Send every byte or raise OSError."""

    def recv(self, size: int) -> bytes:
        """Block until some bytes arrive (at most ``size``); ``b""`` means the peer closed the
        stream.  OSError on failure."""

    def wait_readable(self, timeout: float | None) -> bool:
        """True when :meth:`recv` would not block (data, EOF or error pending)."""

    def shutdown(self) -> None:
        """Wake up a thread blocked in :meth:`recv` (it then sees EOF); never raises."""

    def close(self) -> None:
        """Release the stream; never raises."""


class SocketTransport:
    """A plain stream socket: unix (secure: local, kernel-checked peers) or tcp (neither)."""

    sendall: Callable[[bytes | bytearray | memoryview], None]
    """The socket's own ``sendall``: every call sends through here, so no wrapper frame."""

    def __init__(self, sock: _socket.socket, *, secure: bool) -> None:
        self._sock = sock
        self.sendall = sock.sendall
        self.encrypted = False
        self.secure = secure

    def recv(self, size: int) -> bytes:
        return self._sock.recv(size)

    def wait_readable(self, timeout: float | None) -> bool:
        try:
            readable, _, _ = select.select([self._sock], [], [], timeout)
        except (OSError, ValueError):  # closed under us: let recv report it
            return True
        return bool(readable)

    def shutdown(self) -> None:
        try:
            self._sock.shutdown(_socket.SHUT_RDWR)
        except OSError:
            pass

    def close(self) -> None:
        self._sock.close()


def connect_failed(target: Target, exc: OSError) -> ConnectError:
    """libvirt's message for a daemon that could not be reached (the threaded connectors, TLS's
    included, and :mod:`pyvirt.aio.remote`'s share it)."""
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    where = (
        f"Failed to connect socket to '{target.socket_path}'"
        if target.transport == "unix"
        else f"unable to connect to server at '{target.address}'"
    )
    return ConnectError(f"{where}: {reason}", code=ErrorCode.SYSTEM_ERROR, domain=ErrorDomain.RPC)


def connect_unix(target: Target) -> Transport:
    """The daemon's unix socket.  Plain unix and tcp connections use ``_socket``, whose socket
    type and functions ``socket`` only wraps: importing ``socket`` turns every constant into
    enum members (with ``selectors`` and ``array``), a good part of a remote pyvirsh's start,
    and these two connectors need none of what it adds."""
    path = str(target.socket_path)
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError as exc:
        sock.close()
        raise connect_failed(target, exc) from exc
    from pyvirt.remote.fdpass import UnixTransport  # it builds on SocketTransport

    return UnixTransport(sock)


def connect_tcp(target: Target) -> Transport:
    """Each address the host name resolves to in turn, as ``socket.create_connection`` does."""
    error: OSError = OSError(f"no address for {target.host}")
    try:
        addresses = _socket.getaddrinfo(str(target.host), int(target.port or 0), 0, _socket.SOCK_STREAM)
    except OSError as exc:
        raise connect_failed(target, exc) from exc
    for family, kind, proto, _, address in addresses:
        sock = _socket.socket(family, kind, proto)
        try:
            sock.connect(address)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        return SocketTransport(sock, secure=False)
    raise connect_failed(target, error) from error


def connect_tls(target: Target) -> Transport:
    """x509 TLS (:mod:`pyvirt.remote.tls`, imported on first use: ``ssl`` is not free)."""
    from pyvirt.remote.tls import connect_tls as connect

    return connect(target)


def connect_ssh(target: Target) -> Transport:
    """The user's ssh binary running a bridge on the far side (:mod:`pyvirt.remote.ssh`)."""
    from pyvirt.remote.ssh import connect_ssh as connect

    return connect(target)


def connect_ext(target: Target) -> Transport:
    """A local command carrying the stream (:mod:`pyvirt.remote.ext`)."""
    from pyvirt.remote.ext import connect_ext as connect

    return connect(target)


CONNECTORS: dict[str, Callable[[Target], Transport]] = {
    "unix": connect_unix,
    "tcp": connect_tcp,
    "tls": connect_tls,
    "ssh": connect_ssh,
    "ext": connect_ext,
}
"""Transport name -> connector.  TLS, ssh, libssh, libssh2 and ext register here when added."""


def connect(target: Target) -> Transport:
    """Open the byte stream ``target`` names, or raise :class:`ConnectError` saying why not."""
    connector = CONNECTORS.get(target.transport)
    if connector is None:
        raise ConnectError(
            f"the '{target.transport}' transport is not available in this version of pyvirt's remote driver "
            f"(available: {', '.join(sorted(CONNECTORS))})",
            code=ErrorCode.NO_SUPPORT,
            domain=ErrorDomain.REMOTE,
        )
    return connector(target)
