"""Where a remote URI leads: transport, address, and the name the far side is asked to open.

These are libvirt's remote-driver rules (``docs/uri.rst``, ``docs/remote.rst``), kept pure so
they are tested without a socket:

* the transport comes from the scheme (``test+tcp``); without one, a URI naming a host uses
  ``tls`` and a URI without a host uses ``unix``;
* the far side opens the URI with the transport, user, host, port and the parameters only the
  client reads (``socket``, ``no_verify``...) removed, unless ``name=`` says what to open;
* unix sockets default to pyvirtd's (``/run/pyvirt/pyvirt-sock``, ``-ro`` for read-only
  opens); ``socket=`` names another one, such as libvirtd's ``/run/libvirt/libvirt-sock``;
* ``mode=`` (``auto``, ``legacy``, ``direct``) chooses between libvirt's one daemon and its
  per-driver daemons.  pyvirt has one daemon, pyvirtd, which ``auto`` and ``legacy`` reach;
  ``direct`` is refused where it would pick a socket (as libvirt refuses it for ssh, whose far
  side it cannot probe), and changes nothing once ``socket=`` names the socket, as in libvirt.
"""

from __future__ import annotations

import os

from pyvirt.errors import ErrorCode, ErrorDomain, InvalidArgumentError, UnsupportedError, URIError
from pyvirt.records import NamedTuple
from pyvirt.uri import URI

DEFAULT_SOCKET_DIR = "/run/pyvirt"
RW_SOCKET_NAME = "pyvirt-sock"
RO_SOCKET_NAME = "pyvirt-sock-ro"
TCP_PORT = 16509
TLS_PORT = 16514

TRANSPORTS = ("tls", "unix", "ssh", "ext", "tcp", "libssh2", "libssh")
SOCKET_TRANSPORTS = ("unix", "ssh", "libssh2", "libssh")
"""Transports that reach a unix socket (here or on the far side), which ``mode=`` chooses."""
MODES = ("auto", "legacy", "direct")

CLIENT_PARAMS = frozenset(
    {
        "name",
        "command",
        "socket",
        "auth",
        "authfile",
        "netcat",
        "keyfile",
        "no_verify",
        "no_tty",
        "pkipath",
        "known_hosts",
        "known_hosts_verify",
        "sshauth",
        "tls_priority",
        "mode",
        "proxy",
    }
)
"""Parameters the remote driver consumes; every other one travels on to the far side's driver."""


class Target(NamedTuple):
    """What the client connects to and what it asks the far side to open."""

    transport: str
    host: str | None
    port: int | None
    user: str | None
    socket_path: str | None
    open_name: str
    read_only: bool
    uri: URI

    @property
    def address(self) -> str:
        """Where the connection goes, for error messages (a socket path or ``host:port``)."""
        if self.transport == "unix":
            return str(self.socket_path)
        if self.port is not None:
            return f"{self.host}:{self.port}"
        return str(self.host)

    def socket_present(self) -> bool:
        """True when the unix socket exists (something may be listening on it)."""
        return self.socket_path is not None and os.path.exists(self.socket_path)

    def flag(self, name: str) -> bool:
        """A yes/no URI parameter as libvirt reads it: a non-zero number means yes."""
        value = self.uri.param(name)
        return value is not None and value.strip() not in ("", "0")


def resolve(uri: URI, read_only: bool) -> Target:
    """The :class:`Target` for ``uri``; raises :class:`URIError` for an unknown transport."""
    transport = uri.transport or ("tls" if uri.host else "unix")
    if transport not in TRANSPORTS:
        raise URIError(
            f"remote_open: transport in URL not recognised (should be {'|'.join(TRANSPORTS)})",
            domain=ErrorDomain.REMOTE,
        )
    check_mode(uri, transport)
    host = uri.host
    port = uri.port
    if transport in ("tcp", "tls"):
        host = host or "localhost"
        if port is None:
            port = TCP_PORT if transport == "tcp" else TLS_PORT
    socket_path = None
    if transport == "unix":
        socket_path = uri.param("socket") or default_socket(read_only)
    return Target(
        transport=transport,
        host=host,
        port=port,
        user=uri.user,
        socket_path=socket_path,
        open_name=open_name(uri),
        read_only=read_only,
        uri=uri,
    )


def check_mode(uri: URI, transport: str) -> None:
    """Refuse a ``mode=`` libvirt would refuse, or one pyvirt has no daemon for (see above)."""
    mode = uri.param("mode")
    if mode is None:
        return
    if mode not in MODES:
        raise InvalidArgumentError(f"invalid argument: Unknown remote mode '{mode}'", domain=ErrorDomain.REMOTE)
    if mode != "direct" or transport not in SOCKET_TRANSPORTS or uri.param("socket"):
        return
    message = f"Operation not supported: Cannot use direct socket mode for {transport} transport"
    if transport == "unix":  # libvirt would pick a per-driver daemon's socket here
        message += ": pyvirt has no per-driver daemons (pyvirtd serves every driver); use mode=legacy or socket="
    raise UnsupportedError(message, code=ErrorCode.OPERATION_UNSUPPORTED, domain=ErrorDomain.REMOTE)


def local_daemon(uri: URI, read_only: bool) -> Target:
    """The local daemon's unix socket for a host-less URI no installed driver serves itself."""
    return resolve(uri._replace(transport="unix"), read_only)._replace(open_name=open_name(uri))


def default_socket(read_only: bool) -> str:
    return f"{DEFAULT_SOCKET_DIR}/{RO_SOCKET_NAME if read_only else RW_SOCKET_NAME}"


def open_name(uri: URI) -> str:
    """The URI the far side opens: ``name=`` if given, else ``uri`` without the client's parts."""
    explicit = uri.param("name")
    if explicit is not None:
        return explicit
    kept = tuple((key, value) for key, value in uri.params if key not in CLIENT_PARAMS)
    return str(URI(driver=uri.driver, path=uri.path, params=kept))
