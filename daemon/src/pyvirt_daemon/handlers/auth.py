"""The authentication procedures (AUTH_LIST, AUTH_SASL_INIT/START/STEP), the only ones a client
may call before it has authenticated (with CONNECT_SUPPORTS_FEATURE); the work is done by the
client's :class:`~pyvirt_daemon.auth.ClientAuth`."""

from __future__ import annotations

from pyvirt.errors import InternalError
from pyvirt.rpc import remote_protocol as rp
from pyvirt_daemon.auth import ClientAuth, auth_failed
from pyvirt_daemon.handlers.table import handles
from pyvirt_daemon.session import Session


def _auth(s: Session) -> ClientAuth:
    if s.auth is None:
        raise InternalError("internal error: no authentication state for this client")
    return s.auth


@handles(rp.REMOTE_PROC_AUTH_LIST)
def auth_list(s: Session, args: None) -> rp.remote_auth_list_ret:
    return rp.remote_auth_list_ret(_auth(s).methods())


@handles(rp.REMOTE_PROC_AUTH_SASL_INIT)
def sasl_init(s: Session, args: None) -> rp.remote_auth_sasl_init_ret:
    return rp.remote_auth_sasl_init_ret(_auth(s).sasl_init())


@handles(rp.REMOTE_PROC_AUTH_SASL_START)
def sasl_start(s: Session, args: rp.remote_auth_sasl_start_args) -> rp.remote_auth_sasl_start_ret:
    complete, data = _auth(s).sasl_start(args.mech, None if args.nil else args.data)
    return rp.remote_auth_sasl_start_ret(int(complete), int(data is None), data or b"")


@handles(rp.REMOTE_PROC_AUTH_SASL_STEP)
def sasl_step(s: Session, args: rp.remote_auth_sasl_step_args) -> rp.remote_auth_sasl_step_ret:
    complete, data = _auth(s).sasl_step(None if args.nil else args.data)
    return rp.remote_auth_sasl_step_ret(int(complete), int(data is None), data or b"")


@handles(rp.REMOTE_PROC_AUTH_POLKIT)
def polkit(s: Session, args: None) -> None:
    raise auth_failed("polkit is not available in pyvirtd")
