"""Opening a remote connection: connect, authenticate, open the far side's driver, start
keepalive and subscribe to lifecycle events (libvirt's ``doRemoteOpen`` steps).

:mod:`pyvirt.plugins` calls the three entry points here: :func:`open_remote` for URIs with a
transport or host, :func:`open_local_daemon` for a local URI no installed driver serves, and
:func:`open_target` for a target already resolved.
"""

from __future__ import annotations

from pyvirt.driver import EventSink
from pyvirt.errors import ConnectError, ErrorCode, ErrorDomain, PyvirtError
from pyvirt.remote import transport as transports
from pyvirt.remote import wire_values as wv
from pyvirt.remote.driver import RemoteConnection
from pyvirt.remote.target import Target, local_daemon, resolve
from pyvirt.rpc import remote_protocol as rp
from pyvirt.uri import URI

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from pyvirt.auth import Authenticator

FEATURE_PROGRAM_KEEPALIVE = 10
"""libvirt's ``VIR_DRV_FEATURE_PROGRAM_KEEPALIVE``: asking for it also starts the server's PINGs."""
KEEPALIVE_INTERVAL = 5.0
KEEPALIVE_COUNT = 5
"""pyvirt's client pings from the start, so a dead daemon is found after ``5 * (5 + 1)`` s of
silence even for programs that never ask; libvirt's client pings only once asked
(virConnectSetKeepAlive, as virsh does with its ``-k 5 -K 6`` defaults)."""

_AUTH_NAMES = {rp.REMOTE_AUTH_NONE: "none", rp.REMOTE_AUTH_SASL: "sasl", rp.REMOTE_AUTH_POLKIT: "polkit"}


def open_remote(uri: URI, read_only: bool, events: EventSink, auth: Authenticator | None = None) -> RemoteConnection:
    """Open a URI with a transport or a host."""
    return open_target(resolve(uri, read_only), events, auth)


def open_local_daemon(
    uri: URI, read_only: bool, events: EventSink, declined: str, auth: Authenticator | None = None
) -> RemoteConnection:
    """Hand a local URI no installed driver serves to the local pyvirtd, or say none is running."""
    target = local_daemon(uri, read_only)
    try:
        return open_target(target, events, auth)
    except ConnectError as exc:
        if exc.code != ErrorCode.SYSTEM_ERROR:  # the daemon answered, and refused
            raise
        raise ConnectError(
            f"no connection driver available for URI '{uri}': {declined}, and no pyvirtd is running to serve it "
            f"({exc.message}); start the daemon with `pyvirtd`, or name another socket with "
            f"'{uri.driver}+unix://{uri.path}?socket=PATH'",
            code=ErrorCode.NO_CONNECT,
        ) from exc


def open_target(target: Target, events: EventSink, auth: Authenticator | None = None) -> RemoteConnection:
    """Connect to ``target`` and open its far side; closes everything again on failure."""
    transport = transports.connect(target)
    conn = RemoteConnection(target, transport, events)
    try:
        handshake(conn, target, auth)
    except BaseException:
        conn.client.close()
        raise
    return conn


def handshake(conn: RemoteConnection, target: Target, auth: Authenticator | None = None) -> None:
    """Authenticate, open the far side's driver, subscribe to lifecycle events, start keepalive.

    Two round trips when no authentication is needed, as libvirt's client: AUTH_LIST goes with
    the keepalive question (libvirtd answers it before CONNECT_OPEN), then CONNECT_OPEN; the
    event registration is sent without waiting.  Where the server wants authentication first,
    the keepalive question is refused and asked again beside CONNECT_OPEN.
    """
    keepalive_question = (
        rp.REMOTE_PROC_CONNECT_SUPPORTS_FEATURE,
        rp.remote_connect_supports_feature_args(FEATURE_PROGRAM_KEEPALIVE),
    )
    auth_list, supported = conn.client.gather([(rp.REMOTE_PROC_AUTH_LIST, None), keepalive_question])
    if isinstance(auth_list, PyvirtError):
        raise auth_list
    _authenticate(conn, target, auth_list.types, auth)
    flags = wv.CONNECT_RO if target.read_only else 0
    open_call = (rp.REMOTE_PROC_CONNECT_OPEN, rp.remote_connect_open_args(target.open_name, flags))
    if isinstance(supported, PyvirtError):
        opened, supported = conn.client.gather([open_call, keepalive_question])
        if isinstance(opened, PyvirtError):
            raise opened
    else:
        conn.client.call(*open_call)
    conn.subscribe_lifecycle_events()
    if not isinstance(supported, PyvirtError) and supported.supported:
        conn.client.start_keepalive(KEEPALIVE_INTERVAL, KEEPALIVE_COUNT)


def _authenticate(conn: RemoteConnection, target: Target, offered: list[int], auth: Authenticator | None) -> None:
    """libvirt's first step: the server lists the methods it accepts; pyvirt speaks ``none`` and
    SASL with SCRAM-SHA-256 (:mod:`pyvirt.remote.sasl`, which asks ``auth`` for what auth.conf
    and the URI do not give); polkit would slot in here too."""
    if not offered or rp.REMOTE_AUTH_NONE in offered:
        return
    if rp.REMOTE_AUTH_SASL in offered:
        from pyvirt.remote import sasl  # imported on first use: scramp is not free

        sasl.authenticate(conn.client.call, target, conn.is_secure(), auth)
        return
    names = ", ".join(_AUTH_NAMES.get(t, str(t)) for t in offered)
    raise PyvirtError(
        f"authentication failed: the server at {target.address} requires authentication ({names}), "
        "which pyvirt's remote driver does not support yet",
        code=ErrorCode.AUTH_FAILED,
        domain=ErrorDomain.REMOTE,
    )
