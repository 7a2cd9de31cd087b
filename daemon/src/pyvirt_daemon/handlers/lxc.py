"""Handlers of libvirt's LXC program (0x00068000), served beside the remote program on the
same connection and session: its one procedure hands the client descriptors on a container's
namespaces, which only a unix socket can carry (SCM_RIGHTS)."""

from __future__ import annotations

import pyvirt
import pyvirt.lxc
from pyvirt.errors import ErrorDomain, UnsupportedError
from pyvirt.remote import wire_values as wv
from pyvirt.rpc import lxc_protocol as lp
from pyvirt_daemon.handlers.table import Handler
from pyvirt_daemon.program import WithFds
from pyvirt_daemon.session import Session

LXC_HANDLERS: dict[int, Handler] = {}


def missing(session: Session, proc: int) -> UnsupportedError:
    session.conn  # noqa: B018 - "connection not open" comes first, as in libvirtd
    return _unsupported()


def _unsupported() -> UnsupportedError:
    return UnsupportedError(
        "this function is not supported by the connection driver: virDomainLxcOpenNamespace",
        domain=ErrorDomain.DOMAIN,
    )


def open_namespace(s: Session, args: lp.lxc_domain_open_namespace_args) -> WithFds:
    wv.check_flags(args.flags, 0, "virDomainLxcOpenNamespace")
    if not type(s.conn.driver).supports("domain_lxc_open_namespace"):
        raise _unsupported()
    dom = pyvirt.Domain(s.conn, wv.domain_from_wire(args.dom))
    return WithFds(None, pyvirt.lxc.open_namespace(dom))


LXC_HANDLERS[lp.LXC_PROC_DOMAIN_OPEN_NAMESPACE] = open_namespace
