"""The client side of libvirt's SASL authentication with SCRAM-SHA-256 (``docs/auth.rst``).

The exchange is libvirt's: AUTH_SASL_INIT returns the server's mechanisms, AUTH_SASL_START
carries the client's first message, AUTH_SASL_STEP the rest, until the server says complete;
the client then checks the server's signature (SCRAM authenticates the server too).
SCRAM adds no encryption, so as libvirt's client does, pyvirt uses it only on a channel that
is already protected: a unix socket or TLS.

Credentials: the user is the URI's (``test+tls://fred@host/``) or ``authname`` (else
``username``) from libvirt's ``auth.conf`` for the host; the password comes from that file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scramp import ScramClient, ScramException

from pyvirt.errors import ErrorCode, ErrorDomain, PyvirtError
from pyvirt.remote import authconf
from pyvirt.remote.target import Target
from pyvirt.rpc import remote_protocol as rp

MECHANISM = "SCRAM-SHA-256"
_SEARCHED = "$LIBVIRT_AUTH_FILE, authfile=, ~/.config/libvirt/auth.conf, /etc/libvirt/auth.conf"

Call = Callable[..., Any]
"""The RPC client's ``call(procedure, args)``."""


def _failed(message: str) -> PyvirtError:
    return PyvirtError(f"authentication failed: {message}", code=ErrorCode.AUTH_FAILED, domain=ErrorDomain.REMOTE)


def credentials(target: Target) -> tuple[str, str]:
    """The user name and password for ``target``, or a clear error saying what is missing."""
    host = target.host if target.transport != "unix" and target.host else "localhost"
    path = authconf.find_file(target.uri.param("authfile"))
    found: authconf.Credentials | None = None
    if path is not None:
        try:
            found = authconf.lookup(path, host)
        except (OSError, ValueError) as exc:
            raise _failed(f"cannot use the credentials file {path}: {exc}") from None
    user = target.user or (found.authname or found.username if found else None)
    password = found.password if found else None
    if not user or password is None:
        where = str(path) if path is not None else f"no auth.conf found ({_SEARCHED})"
        raise _failed(
            f"the server requires SASL login and there are no credentials for host '{host}' "
            f"([auth-libvirt-{host}] or [auth-libvirt-default] with authname and password): {where}"
        )
    return user, password


def authenticate(call: Call, target: Target, secure: bool) -> str:
    """Log in with SCRAM-SHA-256; returns the user name.  Raises AUTH_FAILED errors."""
    if not secure:
        raise _failed(f"{MECHANISM} does not encrypt the session: use the tls or unix transport")
    user, password = credentials(target)
    offered = call(rp.REMOTE_PROC_AUTH_SASL_INIT).mechlist
    if MECHANISM not in offered.split(","):
        raise _failed(f"the server offers SASL mechanisms '{offered}'; pyvirt speaks only {MECHANISM}")
    scram = ScramClient([MECHANISM], user, password)
    ret = call(
        rp.REMOTE_PROC_AUTH_SASL_START,
        rp.remote_auth_sasl_start_args(MECHANISM, 0, scram.get_client_first().encode()),
    )
    try:
        if ret.complete:
            raise _failed("the server ended the SCRAM exchange early")
        if not ret.nil and ret.data == b"":  # an empty challenge asks for our first message again
            raise _failed("the server did not answer the SCRAM first message")
        scram.set_server_first(_text(ret.data))
        ret = call(rp.REMOTE_PROC_AUTH_SASL_STEP, rp.remote_auth_sasl_step_args(0, scram.get_client_final().encode()))
        if not ret.complete or ret.nil:
            raise _failed("the server did not complete the SCRAM exchange")
        scram.set_server_final(_text(ret.data))
    except ScramException as exc:
        raise _failed(f"the server's SCRAM answer is wrong: {exc}") from None
    return user


def _text(data: bytes) -> str:
    return data.rstrip(b"\0").decode("utf-8", errors="replace")
