"""The client side of libvirt's SASL authentication with SCRAM-SHA-256 (``docs/auth.rst``).

The exchange is libvirt's: AUTH_SASL_INIT returns the server's mechanisms, AUTH_SASL_START
carries the client's first message, AUTH_SASL_STEP the rest, until the server says complete;
the client then checks the server's signature (SCRAM authenticates the server too).
SCRAM adds no encryption, so as libvirt's client does, pyvirt uses it only on a channel that
is already protected: a unix socket or TLS.

Credentials come first from the URI's user (``test+tls://fred@host/``) and libvirt's
``auth.conf`` for the host (``authname``, else ``username``, and ``password``).  What they leave
missing is asked from the application's :class:`~pyvirt.auth.Authenticator` in one call, with
the prompts virsh shows (Cyrus SASL's): the authorization name if the application offers
USERNAME, the authentication name if it offers AUTHNAME (else the local login name, as Cyrus
SASL takes), and the password, which it must offer (otherwise libvirt finds no usable mechanism).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scramp import ScramClient, ScramException

from pyvirt.auth import Authenticator, Credential, CredentialsRefused, CredentialType
from pyvirt.errors import ErrorCode, ErrorDomain, PyvirtError
from pyvirt.remote import authconf
from pyvirt.remote.target import Target
from pyvirt.rpc import remote_protocol as rp

MECHANISM = "SCRAM-SHA-256"
_PROMPTS = (
    "Please enter your authorization name",
    "Please enter your authentication name",
    "Please enter your password",
)
"""Cyrus SASL's prompts, which virsh shows when it asks (USERNAME, AUTHNAME, PASSPHRASE)."""
_SEARCHED = "$LIBVIRT_AUTH_FILE, authfile=, ~/.config/libvirt/auth.conf, /etc/libvirt/auth.conf"

Call = Callable[..., Any]
"""The RPC client's ``call(procedure, args)``."""


def _failed(message: str) -> PyvirtError:
    return PyvirtError(f"authentication failed: {message}", code=ErrorCode.AUTH_FAILED, domain=ErrorDomain.REMOTE)


def credentials(target: Target, auth: Authenticator | None = None) -> tuple[str, str]:
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
    if auth is not None:
        return _ask(auth, user, password, found.username if found else None)
    if not user or password is None:
        where = str(path) if path is not None else f"no auth.conf found ({_SEARCHED})"
        raise _failed(
            f"the server requires SASL login and there are no credentials for host '{host}' "
            f"([auth-libvirt-{host}] or [auth-libvirt-default] with authname and password): {where}"
        )
    return user, password


def _ask(auth: Authenticator, user: str | None, password: str | None, authzid: str | None) -> tuple[str, str]:
    """Ask ``auth`` for what is still missing, all in one call, as libvirt's remoteAuthInteract."""
    if not auth.supports(CredentialType.PASSPHRASE):
        # libvirt registers SASL callbacks only for the offered kinds; SCRAM needs a password
        raise PyvirtError(
            "authentication failed: Failed to start SASL negotiation: -4 "
            "(SASL(-4): no mechanism available: No worthy mechs found)",
            code=ErrorCode.AUTH_FAILED,
            domain=ErrorDomain.RPC,
        )
    if not auth.supports(CredentialType.AUTHNAME) and not user:
        import getpass  # the local login name stands in, as Cyrus SASL's default callback gives

        user = getpass.getuser()
    wanted: list[Credential] = []
    if auth.supports(CredentialType.USERNAME) and authzid is None:
        wanted.append(Credential(CredentialType.USERNAME, _PROMPTS[0], "Authorization Name"))
    if not user:
        wanted.append(Credential(CredentialType.AUTHNAME, _PROMPTS[1], "Authentication Name"))
    if password is None:
        wanted.append(Credential(CredentialType.PASSPHRASE, _PROMPTS[2], "Password"))
    if wanted:
        try:
            auth.collect(wanted)
        except CredentialsRefused as exc:
            raise PyvirtError(
                "authentication failed: Failed to collect auth credentials",
                code=ErrorCode.AUTH_FAILED,
                domain=ErrorDomain.REMOTE,
            ) from exc
        for cred in wanted:
            if cred.result is None:
                raise _failed(f"the credential callback gave no answer to '{cred.prompt}'")
        answers = {cred.type: cred.result for cred in wanted}
        user = answers.get(CredentialType.AUTHNAME, user)
        password = answers.get(CredentialType.PASSPHRASE, password)
        authzid = answers.get(CredentialType.USERNAME, authzid)
    assert user is not None and password is not None  # asked above when missing
    if authzid and authzid != user:
        raise _failed(
            f"pyvirt logs in only as the user it acts as: authorization name '{authzid}' differs from "
            f"authentication name '{user}'"
        )
    return user, password


def authenticate(call: Call, target: Target, secure: bool, auth: Authenticator | None = None) -> str:
    """Log in with SCRAM-SHA-256; returns the user name.  Raises AUTH_FAILED errors."""
    if not secure:
        raise _failed(f"{MECHANISM} does not encrypt the session: use the tls or unix transport")
    user, password = credentials(target, auth)
    offered = call(rp.REMOTE_PROC_AUTH_SASL_INIT).mechlist
    if MECHANISM not in offered.split(","):
        raise _failed(f"the server offers SASL mechanisms '{offered}'; pyvirt speaks only {MECHANISM}")
    if not user:  # Cyrus SASL refuses an empty name before sending anything (a blank one it sends)
        raise PyvirtError(
            "authentication failed: Failed to start SASL negotiation: -1 "
            "(SASL(-1): generic failure: All-whitespace username.)",
            code=ErrorCode.AUTH_FAILED,
            domain=ErrorDomain.RPC,
        )
    try:
        scram = ScramClient([MECHANISM], user, password)
    except ScramException as exc:
        raise _failed(f"the user name or password cannot be used with {MECHANISM}: {exc}") from None
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
