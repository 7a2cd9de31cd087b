"""The TLS listener (libvirt's ``listen_tls``): x509 mutual authentication on ``tls_port``.

libvirt speaks TLS from the first byte on this port (no STARTTLS), requires a client
certificate signed by the CA in ``ca_file``, and may further restrict clients to the
Distinguished Names matching ``tls_allowed_dn_list``.  pyvirtd does the same with Python's
``ssl`` module, on the daemon's event loop: each accepted TCP connection is upgraded with
``loop.start_tls``, so a slow or hostile handshake never blocks anyone else, and a failed one
is logged (who, why) and closed without ever reaching the RPC layer.

Once the handshake passed, the client's certificate is checked against the allowed DNs and the
verdict sent as libvirt does: one byte, 1 for accepted, before any RPC packet.

The certificates are read into one :class:`ssl.SSLContext` per generation: SIGHUP builds a
new one (:meth:`Credentials.reload`) and only connections accepted afterwards use it, while
sessions already established keep theirs.  A reload that cannot read the files keeps the
running context.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Callable
from typing import Any, NamedTuple

from pyvirt.log import get_logger
from pyvirt.remote.tls import no_passphrase
from pyvirt_daemon import globs
from pyvirt_daemon.config import Config, ConfigError

log = get_logger("pyvirtd.tls")

DEFAULT_CA_FILE = "/etc/pki/CA/cacert.pem"
DEFAULT_CERT_FILE = "/etc/pki/libvirt/servercert.pem"
DEFAULT_KEY_FILE = "/etc/pki/libvirt/private/serverkey.pem"
HANDSHAKE_TIMEOUT = 30.0
"""Seconds a peer may take to complete the handshake before it is dropped."""
CONFIRMED = b"\x01"
REFUSED = b"\x00"
"""After the handshake libvirt's server sends one byte saying whether it accepts the client's
certificate (1) or not; libvirt's client reads it before anything else and reports "server
verification (of our certificate or IP address) failed" for any other byte."""

# OpenSSL's long attribute names -> the short ones GnuTLS prints in a DN (and libvirt matches).
_SHORT_NAMES = {
    "countryName": "C",
    "stateOrProvinceName": "ST",
    "localityName": "L",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "commonName": "CN",
    "emailAddress": "EMAIL",
    "domainComponent": "DC",
    "userId": "UID",
    "serialNumber": "serialNumber",
    "title": "title",
    "surname": "SN",
    "givenName": "GN",
    "streetAddress": "street",
}
_DN_SPECIAL = re.compile(r'([,+"\\<>;])')


class TLSFiles(NamedTuple):
    """The server's PEM files: libvirt's defaults (under ``root``) unless the config names others."""

    ca: str
    cert: str
    key: str
    crl: str


def files(config: Config) -> TLSFiles:
    return TLSFiles(
        ca=config.ca_file or str(config.path(DEFAULT_CA_FILE)),
        cert=config.cert_file or str(config.path(DEFAULT_CERT_FILE)),
        key=config.key_file or str(config.path(DEFAULT_KEY_FILE)),
        crl=config.crl_file,
    )


def server_context(config: Config) -> ssl.SSLContext:
    """An SSL context for the listener, or :class:`ConfigError` naming the file that is wrong."""
    paths = files(config)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.verify_mode = ssl.CERT_REQUIRED
    # No TLS 1.3 session tickets: libvirt's client reads the confirmation byte right after the
    # handshake and fails when what it finds is a ticket record instead (nor does it resume).
    ctx.num_tickets = 0
    if config.tls_priority:  # checked when the configuration was loaded
        from pyvirt.remote.tlspriority import apply

        apply(ctx, config.tls_priority)
    try:
        ctx.load_cert_chain(paths.cert, paths.key, password=no_passphrase)
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise ConfigError(
            f"cannot load the server certificate {paths.cert} with its key {paths.key} "
            f"(cert_file, key_file): {_reason(exc)}"
        ) from None
    _load_verify(ctx, paths.ca, "CA certificate", "ca_file")
    if paths.crl:
        _load_verify(ctx, paths.crl, "certificate revocation list", "crl_file")
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    return ctx


def _load_verify(ctx: ssl.SSLContext, path: str, what: str, key: str) -> None:
    try:
        ctx.load_verify_locations(cafile=path)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load the {what} {path} ({key}): {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


class Credentials:
    """The listener's current SSL context; replaced as a whole on reload."""

    def __init__(self, config: Config) -> None:
        self.context = server_context(config)

    def reload(self, config: Config) -> bool:
        """Re-read the files for connections accepted from now on; on failure keep the old ones."""
        try:
            self.context = server_context(config)
        except ConfigError as exc:
            log.error("TLS certificates not reloaded; keeping the running ones", error=str(exc))
            return False
        log.info("TLS certificates reloaded", **files(config)._asdict())
        return True


def distinguished_name(peercert: Any) -> str:
    """The subject of ``ssl``'s decoded peer certificate as GnuTLS prints it for libvirt:
    attributes in certificate order, joined by ``,`` without spaces, specials escaped."""
    return ",".join(
        "+".join(f"{_SHORT_NAMES.get(name, name)}={_escape(value)}" for name, value in rdn)
        for rdn in peercert.get("subject", ())
    )


def _escape(value: str) -> str:
    return _DN_SPECIAL.sub(lambda m: "\\" + m.group(1), value)


def dn_allowed(dn: str, patterns: tuple[str, ...] | None) -> bool:
    """libvirt's ``tls_allowed_dn_list`` match (see :mod:`pyvirt_daemon.globs`)."""
    return globs.allowed(dn, patterns)


class _Held(asyncio.Protocol):
    """Keeps what the TLS transport delivers between the end of the handshake and the moment
    the real client protocol takes over (the first call may arrive with the handshake)."""

    def __init__(self) -> None:
        self.data: list[bytes] = []
        self.eof = False
        self.lost: tuple[Exception | None] | None = None

    def data_received(self, data: bytes) -> None:
        self.data.append(data)

    def eof_received(self) -> bool:
        self.eof = True
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = (exc,)

    def hand_over(self, protocol: asyncio.Protocol, transport: asyncio.Transport) -> None:
        for chunk in self.data:
            protocol.data_received(chunk)
        if self.eof and not protocol.eof_received():
            transport.close()
        if self.lost is not None:
            protocol.connection_lost(self.lost[0])


ClientFactory = Callable[[], Any]
"""Makes the daemon's per-connection protocol (a :class:`pyvirt_daemon.client.Client`)."""


class _Accepting(asyncio.Protocol):
    """An accepted TCP connection until its TLS handshake is done."""

    def __init__(
        self,
        credentials: Credentials,
        settings: Callable[[], Config],
        factory: ClientFactory,
        listener: Listener,
    ) -> None:
        self._credentials = credentials
        self._settings = settings
        self._factory = factory
        self._listener = listener

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        if self._listener.closed:
            # accepted by the kernel just before the listener closed: a handshake started now
            # would outlive the daemon's loop
            transport.abort()
            return
        transport.pause_reading()  # not a byte may be read before the TLS layer is in place
        task = asyncio.get_running_loop().create_task(self._upgrade(transport))
        self._listener.handshakes.add(task)
        task.add_done_callback(self._listener.handshakes.discard)

    def connection_lost(self, exc: Exception | None) -> None:
        """Seen by :meth:`_upgrade` as a failed handshake."""

    async def _upgrade(self, transport: asyncio.Transport) -> None:
        peer = transport.get_extra_info("peername")
        address = f"{peer[0]};{peer[1]}" if peer else "unknown"
        held = _Held()
        try:
            tls = await asyncio.get_running_loop().start_tls(
                transport,
                held,
                self._credentials.context,
                server_side=True,
                ssl_handshake_timeout=HANDSHAKE_TIMEOUT,
            )
        except (TimeoutError, OSError) as exc:
            log.warning("TLS client refused", transport="tls", address=address, why=_handshake_failure(exc))
            transport.abort()
            return
        if tls is None:  # closed during the handshake
            log.warning("TLS client refused", transport="tls", address=address, why="closed during the handshake")
            return
        dn = distinguished_name(tls.get_extra_info("peercert") or {})
        patterns = self._settings().tls_allowed_dn_list
        if not dn_allowed(dn, patterns):
            why = f"Client's x509 Distinguished Name '{dn}' is not on the list of allowed clients (tls_allowed_dn_list)"
            log.warning("TLS client refused", transport="tls", address=address, x509_dname=dn, why=why)
            tls.write(REFUSED)
            tls.close()
            return
        tls.write(CONFIRMED)
        client = self._factory()
        tls.set_protocol(client)
        client.connection_made(tls)
        client.identity = client.identity._replace(x509_dname=dn)
        cipher = tls.get_extra_info("cipher")
        log.info(
            "TLS session",
            client=client.id,
            address=address,
            x509_dname=dn,
            version=cipher[1] if cipher else None,
            cipher=cipher[0] if cipher else None,
        )
        held.hand_over(client, tls)


def _handshake_failure(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"client certificate rejected: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or str(exc)
        if reason == "PEER_DID_NOT_RETURN_A_CERTIFICATE":
            return "the client sent no certificate"
        return f"TLS handshake failed: {reason}"
    if isinstance(exc, TimeoutError):
        return f"no TLS handshake within {HANDSHAKE_TIMEOUT:g} s"
    if isinstance(exc, ConnectionError):
        return "the peer closed the connection during the handshake"
    return f"TLS handshake failed: {str(exc) or type(exc).__name__}"


class Listener(asyncio.AbstractServer):
    """The TLS listener: closing it also abandons the handshakes still in progress (a peer
    that never completes one must not outlive the daemon's event loop)."""

    def __init__(self) -> None:
        self.handshakes: set[asyncio.Task[None]] = set()
        self.server: asyncio.Server | None = None
        self.closed = False

    def close(self) -> None:
        self.closed = True
        if self.server is not None:
            self.server.close()
        for task in list(self.handshakes):
            task.cancel()

    def get_loop(self) -> asyncio.AbstractEventLoop:
        assert self.server is not None
        return self.server.get_loop()

    def is_serving(self) -> bool:
        return self.server is not None and self.server.is_serving()

    async def start_serving(self) -> None:
        assert self.server is not None
        await self.server.start_serving()

    async def serve_forever(self) -> None:
        assert self.server is not None
        await self.server.serve_forever()

    async def wait_closed(self) -> None:
        if self.server is not None:
            await self.server.wait_closed()
        if self.handshakes:
            await asyncio.wait(list(self.handshakes))


async def serve(
    config: Config, credentials: Credentials, settings: Callable[[], Config], factory: ClientFactory
) -> asyncio.AbstractServer:
    """Listen on ``listen_addr``:``tls_port``; every connection is a client once its handshake passes."""
    listener = Listener()
    listener.server = await asyncio.get_running_loop().create_server(
        lambda: _Accepting(credentials, settings, factory, listener),
        config.listen_addr,
        config.tls_port,
        backlog=max(config.max_queued_clients, 1),
        reuse_address=True,
    )
    return listener
