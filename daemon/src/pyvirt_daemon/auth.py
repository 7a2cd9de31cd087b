"""A client's authentication (libvirt's per-client auth state in ``daemon/remote.c``).

The listener decides the scheme (``auth_unix_rw``, ``auth_unix_ro``, ``auth_tls``): with
``none`` the client is authenticated on arrival (over TLS its certificate already was); with
``sasl`` it must first pass a SASL exchange (AUTH_SASL_INIT, START, STEP...), and until then
the dispatcher answers every other procedure "authentication required".  A success records
the SASL user in the client's identity, where logs, the admin listing and access control see
it; a failure is logged with who and why, and the client may try again on the same
connection, as with libvirtd.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyvirt.errors import ErrorCode, ErrorDomain, PyvirtError
from pyvirt.log import get_logger
from pyvirt.rpc import remote_protocol as rp
from pyvirt_daemon import globs, sasl

if TYPE_CHECKING:
    from pyvirt_daemon.client import Client

log = get_logger("pyvirtd.auth")

_SCHEMES = {"none": rp.REMOTE_AUTH_NONE, "sasl": rp.REMOTE_AUTH_SASL, "polkit": rp.REMOTE_AUTH_POLKIT}


def auth_failed(detail: str) -> PyvirtError:
    """libvirt's VIR_ERR_AUTH_FAILED, worded as virsh prints it."""
    return PyvirtError(f"authentication failed: {detail}", code=ErrorCode.AUTH_FAILED, domain=ErrorDomain.RPC)


class ClientAuth:
    """What one client has proven so far."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self.scheme = client.service.auth
        self._sasl: sasl.ServerSession | None = None

    def methods(self) -> list[int]:
        """AUTH_LIST: the one scheme this listener requires."""
        return [_SCHEMES.get(self.scheme, rp.REMOTE_AUTH_NONE)]

    def sasl_init(self) -> str:
        """AUTH_SASL_INIT: a new exchange; returns the mechanisms offered."""
        if self.scheme != "sasl" or self._client.authenticated:
            raise self._refuse("SASL is not this listener's authentication, or the client already passed it")
        self._sasl = sasl.ServerSession(self._db_path())
        return sasl.MECHANISM

    def sasl_start(self, mechanism: str, data: bytes | None) -> tuple[bool, bytes | None]:
        session = self._session("AUTH_SASL_START")
        try:
            return self._finish_if(session, *session.start(mechanism, data))
        except sasl.Refused as exc:
            raise self._refuse(exc.why, exc.user, mechanism) from None

    def sasl_step(self, data: bytes | None) -> tuple[bool, bytes | None]:
        session = self._session("AUTH_SASL_STEP")
        try:
            return self._finish_if(session, *session.step(data))
        except sasl.Refused as exc:
            raise self._refuse(exc.why, exc.user) from None

    def _session(self, procedure: str) -> sasl.ServerSession:
        if self._sasl is None:
            raise self._refuse(f"{procedure} without AUTH_SASL_INIT")
        return self._sasl

    def _finish_if(self, session: sasl.ServerSession, complete: bool, data: bytes | None) -> tuple[bool, bytes | None]:
        if not complete:
            return complete, data
        user = session.user or ""
        self._sasl = None
        config = self._client.daemon.config
        if not globs.allowed(user, config.sasl_allowed_username_list):
            raise self._refuse("user not in sasl_allowed_username_list", user, deny=True)
        client = self._client
        client.identity = client.identity._replace(sasl_username=user)
        client.authenticated = True
        log.info("client authenticated", client=client.id, mechanism=sasl.MECHANISM, **client.identity.describe())
        return complete, data

    def _refuse(
        self, why: str, user: str | None = None, mechanism: str = sasl.MECHANISM, *, deny: bool = False
    ) -> PyvirtError:
        """Log a refused login (never a secret) and make the error the client gets."""
        self._sasl = None
        client = self._client
        log.warning(
            "authentication refused",
            client=client.id,
            mechanism=mechanism,
            user=user,
            why=why,
            **client.identity.describe(),
        )
        if deny:
            return auth_failed(f"SASL user '{user}' is not allowed to connect (sasl_allowed_username_list)")
        return auth_failed("SASL login failed (wrong user name or password?)")

    def _db_path(self) -> str:
        config = self._client.daemon.config
        return config.sasl_db or str(config.path(sasl.DEFAULT_DB))
