"""RPC programs the daemon serves (libvirt's virNetServerProgram): a program number and
version, the generated procedure table (codecs, priority) and the handlers for it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pyvirt.errors import PyvirtError
from pyvirt.rpc.procedure import Procedure

if TYPE_CHECKING:
    from pyvirt_daemon.client import Client


@dataclasses.dataclass(frozen=True)
class Program:
    number: int
    version: int
    procedures: Mapping[int, Procedure]
    handlers: Mapping[int, Callable[[Any, Any], Any]]
    unauthenticated: frozenset[int]
    """Procedures a client may call before it has authenticated (libvirt: the AUTH_* ones and
    the feature probe); everything else answers "authentication required"."""
    missing: Callable[[Any, int], PyvirtError]
    """The error for a procedure of the protocol that has no handler here (given the session,
    as libvirtd first checks the connection is open)."""
    new_session: Callable[[Client], Any]
    """The per-client state handlers receive as their first argument."""
    companions: Mapping[int, Program] = dataclasses.field(default_factory=dict)
    """Further programs served on the same connection, by number, sharing this program's
    session (libvirtd serves the LXC and QEMU programs beside the remote one)."""


@dataclasses.dataclass(frozen=True)
class WithFds:
    """A handler's reply that also passes file descriptors (a REPLY_WITH_FDS); the client
    sends them after the packet and closes them."""

    value: Any
    fds: list[int]


def remote() -> Program:
    from pyvirt.rpc import lxc_protocol as lp
    from pyvirt.rpc import remote_protocol as rp
    from pyvirt_daemon.auth import ClientAuth
    from pyvirt_daemon.handlers import HANDLERS
    from pyvirt_daemon.handlers.table import unsupported_error
    from pyvirt_daemon.session import Session

    def missing(session: Session, proc: int) -> PyvirtError:
        session.conn  # noqa: B018 - "connection not open" comes first, as in libvirtd
        return unsupported_error(proc)

    def new_session(client: Client) -> Session:
        return Session(client.service.readonly, client.send_event, client.start_keepalive, ClientAuth(client))

    return Program(
        rp.REMOTE_PROGRAM,
        rp.REMOTE_PROTOCOL_VERSION,
        rp.PROCEDURES,
        HANDLERS,
        frozenset(
            {
                rp.REMOTE_PROC_AUTH_LIST,
                rp.REMOTE_PROC_AUTH_SASL_INIT,
                rp.REMOTE_PROC_AUTH_SASL_START,
                rp.REMOTE_PROC_AUTH_SASL_STEP,
                rp.REMOTE_PROC_AUTH_POLKIT,
                rp.REMOTE_PROC_CONNECT_SUPPORTS_FEATURE,
            }
        ),
        missing,
        new_session,
        {lp.LXC_PROGRAM: lxc(new_session)},
    )


def lxc(new_session: Callable[[Client], Any]) -> Program:
    """libvirt's LXC program: only ever a companion of the remote one, whose session it uses."""
    from pyvirt.rpc import lxc_protocol as lp
    from pyvirt_daemon.handlers.lxc import LXC_HANDLERS, missing

    return Program(
        lp.LXC_PROGRAM, lp.LXC_PROTOCOL_VERSION, lp.PROCEDURES, LXC_HANDLERS, frozenset(), missing, new_session
    )
