"""The ``tls`` transport: libvirt's x509 client side (``docs/tlscerts.rst``, ``docs/uri.rst``).

The client presents its certificate (``clientcert.pem`` / ``clientkey.pem``) and checks the
server's against the CA (``cacert.pem``) and the host named in the URI, unless the URI says
``no_verify=1``.  The files come from ``pkipath=DIR`` when the URI gives one (all three must
be there), else from ``~/.pki/libvirt`` for a non-root user who has them, else from libvirt's
system locations.

The RPC client reads the stream in one thread while others write, and an OpenSSL session must
never be used by two threads at once; so the session runs on memory buffers
(:class:`ssl.SSLObject`) under a lock held only while bytes are encrypted or decrypted, and
the socket itself is read and written outside it.  A blocked reader therefore never stops a
writer.
"""

from __future__ import annotations

import os
import select
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

from pyvirt.errors import ConnectError, ErrorCode, ErrorDomain
from pyvirt.records import NamedTuple
from pyvirt.remote.target import Target
from pyvirt.remote.transport import connect_failed

CA_FILE = "/etc/pki/CA/cacert.pem"
CERT_FILE = "/etc/pki/libvirt/clientcert.pem"
KEY_FILE = "/etc/pki/libvirt/private/clientkey.pem"
USER_PKI_DIR = ".pki/libvirt"
HANDSHAKE_TIMEOUT = 30.0
_RAW_READ = 1 << 17
CONFIRMED = b"\x01"
_HOSTNAME_MISMATCH = 62
_IP_ADDRESS_MISMATCH = 64
"""OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH."""

# OpenSSL's reasons for an alert the server sent about our certificate, in plain words.
_REFUSALS = {
    "TLSV13_ALERT_CERTIFICATE_REQUIRED": "the server requires a client certificate",
    "SSLV3_ALERT_BAD_CERTIFICATE": "the server rejected the client certificate",
    "TLSV1_ALERT_UNKNOWN_CA": "the server does not trust the CA that signed the client certificate",
    "SSLV3_ALERT_CERTIFICATE_EXPIRED": "the server says the client certificate has expired",
    "SSLV3_ALERT_CERTIFICATE_REVOKED": "the server says the client certificate is revoked",
    "SSLV3_ALERT_HANDSHAKE_FAILURE": "the server refused the TLS handshake",
    "TLSV1_ALERT_PROTOCOL_VERSION": "the server and the client share no TLS version (1.2 or later)",
}


class ClientFiles(NamedTuple):
    ca: str
    cert: str
    key: str


def client_files(pkipath: str | None, *, uid: int | None = None, home: str | None = None) -> ClientFiles:
    """Where the CA certificate and the client's certificate and key are, by libvirt's rules."""
    if pkipath:
        base = Path(pkipath)
        return ClientFiles(str(base / "cacert.pem"), str(base / "clientcert.pem"), str(base / "clientkey.pem"))
    if (os.getuid() if uid is None else uid) == 0:
        return ClientFiles(CA_FILE, CERT_FILE, KEY_FILE)
    user = Path(home if home is not None else os.path.expanduser("~")) / USER_PKI_DIR
    ca = user / "cacert.pem"
    cert, key = user / "clientcert.pem", user / "clientkey.pem"
    mine = cert.exists() and key.exists()
    return ClientFiles(
        str(ca) if ca.exists() else CA_FILE,
        str(cert) if mine else CERT_FILE,
        str(key) if mine else KEY_FILE,
    )


def client_context(files: ClientFiles, verify: bool, priority: str | None = None) -> ssl.SSLContext:
    """The client's SSL context; :class:`ConnectError` names a file that cannot be used, or a
    ``tls_priority`` (URI parameter) pyvirt cannot honour (:mod:`pyvirt.remote.tlspriority`)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if priority:
        from pyvirt.remote.tlspriority import PriorityError, apply

        try:
            apply(ctx, priority)
        except PriorityError as exc:
            raise _error(
                f"Failed to set TLS session priority to {priority} (URI parameter tls_priority): {exc}"
            ) from None
    for path, what in ((files.ca, "CA certificate"), (files.cert, "certificate"), (files.key, "private key")):
        if not os.access(path, os.R_OK):
            reason = os.strerror(2 if not os.path.exists(path) else 13)
            raise _error(f"Cannot read {what} '{path}': {reason}", ErrorCode.SYSTEM_ERROR)
    try:
        ctx.load_verify_locations(cafile=files.ca)
    except ssl.SSLError as exc:
        raise _error(f"Unable to load CA certificate '{files.ca}': {exc.reason or exc}") from None
    try:
        ctx.load_cert_chain(files.cert, files.key, password=no_passphrase)
    except (ssl.SSLError, ValueError) as exc:
        raise _error(
            f"Unable to load the client certificate '{files.cert}' with key '{files.key}': {_why(exc)}"
        ) from None
    if not verify:  # libvirt's no_verify: the client still authenticates itself
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def no_passphrase() -> str:
    """Encrypted keys are not supported (as in libvirt); without this OpenSSL would prompt on
    the terminal and hang the process instead of failing.  pyvirtd loads its key with it too."""
    raise ValueError("the private key is encrypted with a passphrase, which is not supported")


def _why(exc: Exception) -> str:
    return (exc.reason if isinstance(exc, ssl.SSLError) else None) or str(exc)


def _error(message: str, code: ErrorCode = ErrorCode.RPC) -> ConnectError:
    return ConnectError(message, code=code, domain=ErrorDomain.RPC)


def refusal(exc: ssl.SSLError) -> str:
    """What an SSL error during the session means for the user."""
    reason = exc.reason or ""
    return _REFUSALS.get(reason, f"TLS error: {reason or exc}")


class TLSTransport:
    """A TLS session over a connected socket (see the module's note on threads)."""

    encrypted = True
    secure = True

    def __init__(self, sock: socket.socket, context: ssl.SSLContext, server_hostname: str | None) -> None:
        self._sock = sock
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self._ssl = context.wrap_bio(self._in, self._out, server_side=False, server_hostname=server_hostname)
        self._ssl_lock = threading.Lock()
        """Guards the SSL object and both memory buffers."""
        self._send_lock = threading.Lock()
        """Keeps TLS records in order on the socket (taken before ``_ssl_lock``)."""

    def handshake(self, timeout: float) -> None:
        """Run the handshake and read the server's verdict on our certificate (libvirt's server
        sends one byte, 1 for accepted, before anything else); before any other thread uses
        the transport.  With TLS 1.3 a server rejecting our certificate says so only after the
        handshake, so the refusal surfaces here too, as an OSError."""
        self._sock.settimeout(timeout)
        try:
            while True:
                try:
                    self._ssl.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    self._flush()
                    data = self._sock.recv(_RAW_READ)
                    if not data:
                        raise ConnectionResetError(
                            "the server closed the connection during the TLS handshake"
                        ) from None
                    self._in.write(data)
            self._flush()
            confirmation = self.recv(1)
        finally:
            self._sock.settimeout(None)
        refused = verdict_refusal(confirmation)
        if refused is not None:
            raise PermissionError(refused)

    @property
    def version(self) -> str | None:
        return self._ssl.version()

    def sendall(self, data: bytes | bytearray | memoryview) -> None:
        """Send ``data`` (whole RPC packets), each packet in TLS records of its own.

        libvirtd answers only the first of two packets that share a TLS record, until more
        bytes arrive on the socket (the rest stays in GnuTLS's buffer, which its event loop
        does not look at): pipelined calls would stall until the next keepalive.
        """
        with self._send_lock:
            with self._ssl_lock:
                for packet in _packets(memoryview(data)):
                    while packet:
                        packet = packet[self._ssl.write(packet) :]
                out = self._out.read()
            self._sock.sendall(out)

    def recv(self, size: int) -> bytes:
        while True:
            with self._ssl_lock:
                try:
                    data: bytes | None = self._ssl.read(size)
                except ssl.SSLWantReadError:
                    data = None
                except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                    data = b""
                except ssl.SSLError as exc:
                    raise OSError(f"{refusal(exc)} ({exc.reason or exc})") from exc
                reply_due = self._out.pending > 0
            if reply_due:  # the session itself answered something (e.g. a key update)
                self._flush()
            if data is not None:
                return data
            raw = self._sock.recv(_RAW_READ)
            with self._ssl_lock:
                if raw:
                    self._in.write(raw)
                else:
                    self._in.write_eof()

    def _flush(self) -> None:
        with self._send_lock:
            with self._ssl_lock:
                out = self._out.read()
            if out:
                self._sock.sendall(out)

    def wait_readable(self, timeout: float | None) -> bool:
        with self._ssl_lock:
            if self._ssl.pending() or self._in.pending:
                return True
        try:
            readable, _, _ = select.select([self._sock], [], [], timeout)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def shutdown(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def close(self) -> None:
        self._sock.close()


def _packets(view: memoryview) -> Iterator[memoryview]:
    """Cut a run of RPC packets at their length words (a tail that is no whole packet goes as is)."""
    while len(view) >= 4:
        length = int.from_bytes(view[:4], "big")
        if not 4 <= length <= len(view):
            break
        yield view[:length]
        view = view[length:]
    if view:
        yield view


def verdict_refusal(confirmation: bytes) -> str | None:
    """Why the server's one-byte verdict on our certificate refuses the session; None when it
    accepts it."""
    if not confirmation:
        return (
            "the server closed the connection after the TLS handshake: the server did not accept our "
            "certificate (is it signed by a CA the server trusts?)"
        )
    if confirmation != CONFIRMED:
        return "server verification (of our certificate or IP address) failed"
    return None


def session_failed(target: Target, exc: OSError) -> ConnectError:
    """The error for a TLS handshake (or verdict: a :class:`PermissionError`) that failed after
    the socket connected; shared with :mod:`pyvirt.aio.remote`."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        if exc.verify_code in (_HOSTNAME_MISMATCH, _IP_ADDRESS_MISMATCH):
            return _error(f"Certificate's owner does not match the hostname {target.host}", ErrorCode.AUTH_FAILED)
        return _error(
            f"The server certificate of {target.address} is not trusted: {exc.verify_message}", ErrorCode.AUTH_FAILED
        )
    if isinstance(exc, ssl.SSLError):
        return _error(f"TLS handshake with {target.address} failed: {refusal(exc)}", ErrorCode.AUTH_FAILED)
    if isinstance(exc, PermissionError):
        return _error(f"TLS session with {target.address} refused: {exc}", ErrorCode.AUTH_FAILED)
    return _error(f"TLS handshake with {target.address} failed: {exc.strerror or exc}")


def connect_tls(target: Target) -> TLSTransport:
    """Connect, present our certificate, check the server's (unless ``no_verify``)."""
    verify = not target.flag("no_verify")
    context = client_context(client_files(target.uri.param("pkipath")), verify, target.uri.param("tls_priority"))
    host = str(target.host)
    try:
        sock = socket.create_connection((host, int(target.port or 0)), timeout=HANDSHAKE_TIMEOUT)
    except OSError as exc:
        raise connect_failed(target, exc) from exc
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    transport = TLSTransport(sock, context, host if verify else None)
    try:
        transport.handshake(HANDSHAKE_TIMEOUT)
    except OSError as exc:
        sock.close()
        raise session_failed(target, exc) from exc
    return transport
