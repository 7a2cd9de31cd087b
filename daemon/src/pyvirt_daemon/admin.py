"""The admin program (libvirt's virt-admin protocol, program 0x06900690) on the admin socket.

It speaks libvirt's admin protocol, so libvirt's own ``virt-admin`` works against pyvirtd as
well as :mod:`pyvirt-admin <pyvirt_daemon.admin_cli>` does.  The daemon shows one server,
``pyvirtd``, as libvirtd shows ``libvirtd``: its clients (identity, transport, connected
since), disconnecting one, the worker pool and client limits (read and changed at run time),
and the log level (libvirt's logging outputs ``LEVEL:stderr`` / ``LEVEL:file:PATH``, of which
the level can change at run time).
"""

from __future__ import annotations

import grp
import pwd
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyvirt.connection import LIBRARY_VERSION
from pyvirt.errors import ErrorDomain, InternalError, InvalidArgumentError, PyvirtError, UnsupportedError
from pyvirt.remote.wire_values import TYPED_BOOLEAN, TYPED_INT, TYPED_STRING, TYPED_UINT
from pyvirt.rpc import admin_protocol as ap
from pyvirt_daemon import logsetup
from pyvirt_daemon.config import LOG_LEVELS
from pyvirt_daemon.program import Program

if TYPE_CHECKING:
    from pyvirt_daemon.client import Client
    from pyvirt_daemon.server import Daemon

SERVER = "pyvirtd"
"""The one server a pyvirtd runs (libvirtd calls its own ``libvirtd``)."""

# virClientTransport
TRANSPORTS = {"unix": 0, "unix-ro": 0, "admin": 0, "tcp": 1, "tls": 2}
LEVEL_NUMBERS = {name: number for number, name in enumerate(LOG_LEVELS, start=1)}


class AdminSession:
    """Per-client state of the admin program: just whether the client opened it."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.opened = False

    def close(self) -> None:
        self.opened = False

    def check_open(self) -> Daemon:
        if not self.opened:
            raise InternalError("internal error: admin connection not open", domain=ErrorDomain.NONE)
        return self.daemon


Handler = Callable[[AdminSession, Any], Any]
HANDLERS: dict[int, Handler] = {}


def _handles(proc: int) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[proc] = handler
        return handler

    return register


def _server(s: AdminSession, srv: ap.admin_nonnull_server) -> Daemon:
    daemon = s.check_open()
    if srv.name != SERVER:
        raise InvalidArgumentError(f"no server with matching name '{srv.name}'", domain=ErrorDomain.NONE)
    return daemon


def _client(s: AdminSession, clnt: ap.admin_nonnull_client) -> Client:
    daemon = _server(s, clnt.srv)
    found = daemon.clients.get(clnt.id)
    if found is None:
        raise InvalidArgumentError(f"no client with matching id '{clnt.id}'", domain=ErrorDomain.NONE)
    return found


def _params(params: list[ap.admin_typed_param], allowed: dict[str, int]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for field, (kind, value) in params:
        if field not in allowed:
            raise InvalidArgumentError(f"argument unsupported: parameter '{field}' not supported")
        if kind != allowed[field]:
            raise InvalidArgumentError(f"invalid argument: invalid type for parameter {field}")
        found[field] = value
    return found


def _wire_client(client: Client) -> ap.admin_nonnull_client:
    return ap.admin_nonnull_client(
        ap.admin_nonnull_server(SERVER), client.id, int(client.since), TRANSPORTS.get(client.service.transport, 0)
    )


@_handles(ap.ADMIN_PROC_CONNECT_OPEN)
def connect_open(s: AdminSession, args: ap.admin_connect_open_args) -> None:
    if args.flags:
        raise InvalidArgumentError(f"unsupported flags (0x{args.flags:x}) in function adminDispatchConnectOpen")
    s.opened = True


@_handles(ap.ADMIN_PROC_CONNECT_CLOSE)
def connect_close(s: AdminSession, args: None) -> None:
    s.opened = False


@_handles(ap.ADMIN_PROC_CONNECT_GET_LIB_VERSION)
def lib_version(s: AdminSession, args: None) -> ap.admin_connect_get_lib_version_ret:
    s.check_open()
    return ap.admin_connect_get_lib_version_ret(LIBRARY_VERSION.number)


@_handles(ap.ADMIN_PROC_CONNECT_LIST_SERVERS)
def list_servers(s: AdminSession, args: ap.admin_connect_list_servers_args) -> ap.admin_connect_list_servers_ret:
    s.check_open()
    servers = [ap.admin_nonnull_server(SERVER)]
    return ap.admin_connect_list_servers_ret(servers if args.need_results else [], len(servers))


@_handles(ap.ADMIN_PROC_CONNECT_LOOKUP_SERVER)
def lookup_server(s: AdminSession, args: ap.admin_connect_lookup_server_args) -> ap.admin_connect_lookup_server_ret:
    _server(s, ap.admin_nonnull_server(args.name))
    return ap.admin_connect_lookup_server_ret(ap.admin_nonnull_server(args.name))


@_handles(ap.ADMIN_PROC_SERVER_GET_THREADPOOL_PARAMETERS)
def get_threadpool(
    s: AdminSession, args: ap.admin_server_get_threadpool_parameters_args
) -> ap.admin_server_get_threadpool_parameters_ret:
    daemon = _server(s, args.srv)
    c = daemon.config
    busy = sum(client.in_flight for client in daemon.clients.values())
    values = [
        ("minWorkers", c.min_workers),
        ("maxWorkers", c.max_workers),
        ("prioWorkers", c.prio_workers),
        ("freeWorkers", max(c.max_workers - busy, 0)),
        ("nWorkers", c.max_workers),
        ("jobQueueDepth", 0),
    ]
    return ap.admin_server_get_threadpool_parameters_ret([ap.admin_typed_param(k, (TYPED_UINT, v)) for k, v in values])


@_handles(ap.ADMIN_PROC_SERVER_SET_THREADPOOL_PARAMETERS)
def set_threadpool(s: AdminSession, args: ap.admin_server_set_threadpool_parameters_args) -> None:
    daemon = _server(s, args.srv)
    wanted = _params(args.params, {"minWorkers": TYPED_UINT, "maxWorkers": TYPED_UINT, "prioWorkers": TYPED_UINT})
    changes = {
        key: wanted[name]
        for name, key in (("minWorkers", "min_workers"), ("maxWorkers", "max_workers"), ("prioWorkers", "prio_workers"))
        if name in wanted
    }
    if changes.get("max_workers", 1) < 1:
        raise InvalidArgumentError("maxWorkers must be at least 1")
    daemon.change_config(**changes)


@_handles(ap.ADMIN_PROC_SERVER_LIST_CLIENTS)
def list_clients(s: AdminSession, args: ap.admin_server_list_clients_args) -> ap.admin_server_list_clients_ret:
    daemon = _server(s, args.srv)
    clients = [_wire_client(c) for c in daemon.clients.values() if not c.service.admin]
    return ap.admin_server_list_clients_ret(clients if args.need_results else [], len(clients))


@_handles(ap.ADMIN_PROC_SERVER_LOOKUP_CLIENT)
def lookup_client(s: AdminSession, args: ap.admin_server_lookup_client_args) -> ap.admin_server_lookup_client_ret:
    daemon = _server(s, args.srv)
    found = daemon.clients.get(args.id)
    if found is None or found.service.admin:
        raise InvalidArgumentError(f"no client with matching id '{args.id}'", domain=ErrorDomain.NONE)
    return ap.admin_server_lookup_client_ret(_wire_client(found))


@_handles(ap.ADMIN_PROC_CLIENT_GET_INFO)
def client_info(s: AdminSession, args: ap.admin_client_get_info_args) -> ap.admin_client_get_info_ret:
    client = _client(s, args.clnt)
    who = client.identity
    params: list[ap.admin_typed_param] = [
        ap.admin_typed_param("readonly", (TYPED_BOOLEAN, int(client.service.readonly)))
    ]
    if who.address is not None:
        params.append(ap.admin_typed_param("sock_addr", (TYPED_STRING, who.address)))
    if who.uid is not None:
        params.append(ap.admin_typed_param("unix_user_id", (TYPED_INT, who.uid)))
        params.append(ap.admin_typed_param("unix_user_name", (TYPED_STRING, _user(who.uid))))
    if who.gid is not None:
        params.append(ap.admin_typed_param("unix_group_id", (TYPED_INT, who.gid)))
        params.append(ap.admin_typed_param("unix_group_name", (TYPED_STRING, _group(who.gid))))
    if who.pid is not None:
        params.append(ap.admin_typed_param("unix_process_id", (TYPED_INT, who.pid)))
    if who.x509_dname is not None:
        params.append(ap.admin_typed_param("tls_x509_dname", (TYPED_STRING, who.x509_dname)))
    if who.sasl_username is not None:
        params.append(ap.admin_typed_param("sasl_user_name", (TYPED_STRING, who.sasl_username)))
    return ap.admin_client_get_info_ret(params)


@_handles(ap.ADMIN_PROC_CLIENT_CLOSE)
def client_close(s: AdminSession, args: ap.admin_client_close_args) -> None:
    client = _client(s, args.clnt)
    client.drop("closed by an admin client")


@_handles(ap.ADMIN_PROC_SERVER_GET_CLIENT_LIMITS)
def get_limits(s: AdminSession, args: ap.admin_server_get_client_limits_args) -> ap.admin_server_get_client_limits_ret:
    daemon = _server(s, args.srv)
    remote = [c for c in daemon.clients.values() if not c.service.admin]
    values = [
        ("nclients_max", daemon.config.max_clients),
        ("nclients", len(remote)),
        ("nclients_unauth_max", daemon.config.max_anonymous_clients),
        ("nclients_unauth", sum(1 for c in remote if not c.authenticated)),
    ]
    return ap.admin_server_get_client_limits_ret([ap.admin_typed_param(k, (TYPED_UINT, v)) for k, v in values])


@_handles(ap.ADMIN_PROC_SERVER_SET_CLIENT_LIMITS)
def set_limits(s: AdminSession, args: ap.admin_server_set_client_limits_args) -> None:
    daemon = _server(s, args.srv)
    wanted = _params(args.params, {"nclients_max": TYPED_UINT, "nclients_unauth_max": TYPED_UINT})
    changes = {
        key: wanted[name]
        for name, key in (("nclients_max", "max_clients"), ("nclients_unauth_max", "max_anonymous_clients"))
        if name in wanted
    }
    if changes.get("max_clients", 1) < 1:
        raise InvalidArgumentError("nclients_max must be at least 1")
    daemon.change_config(**changes)


@_handles(ap.ADMIN_PROC_CONNECT_GET_LOGGING_OUTPUTS)
def get_outputs(
    s: AdminSession, args: ap.admin_connect_get_logging_outputs_args
) -> ap.admin_connect_get_logging_outputs_ret:
    level = LEVEL_NUMBERS[logsetup.level()]
    return ap.admin_connect_get_logging_outputs_ret(f"{level}:{_output(s.check_open())}", 1)


@_handles(ap.ADMIN_PROC_CONNECT_SET_LOGGING_OUTPUTS)
def set_outputs(s: AdminSession, args: ap.admin_connect_set_logging_outputs_args) -> None:
    daemon = s.check_open()
    current = _output(daemon)
    text = (args.outputs or "").strip()
    number, _, where = text.partition(":")
    if not number.isdigit() or int(number) not in range(1, len(LOG_LEVELS) + 1):
        raise InvalidArgumentError(f"invalid log output '{text}': expected LEVEL:{current} with LEVEL 1-4")
    if where != current:
        raise UnsupportedError(f"pyvirtd logs to {current}; only the level of an output can change at run time")
    level = LOG_LEVELS[int(number) - 1]
    logsetup.set_level(level)
    daemon.change_config(log_level=level)


@_handles(ap.ADMIN_PROC_CONNECT_GET_LOGGING_FILTERS)
def get_filters(
    s: AdminSession, args: ap.admin_connect_get_logging_filters_args
) -> ap.admin_connect_get_logging_filters_ret:
    s.check_open()
    return ap.admin_connect_get_logging_filters_ret(None, 0)


def _output(daemon: Daemon) -> str:
    """The daemon's one log output as libvirt names outputs (without the level)."""
    return f"file:{daemon.config.log_file}" if daemon.config.log_file else "stderr"


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def program(daemon: Daemon) -> Program:
    """The admin program; each of its clients gets an :class:`AdminSession`."""

    def missing(session: Any, proc: int) -> PyvirtError:
        return UnsupportedError(
            f"this function is not supported by the connection driver: {ap.PROCEDURES[proc].name}",
            domain=ErrorDomain.NONE,
        )

    return Program(
        ap.ADMIN_PROGRAM,
        ap.ADMIN_PROTOCOL_VERSION,
        ap.PROCEDURES,
        HANDLERS,
        frozenset(),
        missing,
        lambda client: AdminSession(daemon),
    )
