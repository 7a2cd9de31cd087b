"""``pyvirt-admin``: manage a running pyvirtd through its admin socket, as ``virt-admin`` does
for libvirtd (and with the same protocol, so ``virt-admin`` works on pyvirtd too).

    pyvirt-admin [--socket PATH | --root DIR] clients           connected clients, who and since when
    pyvirt-admin ... disconnect ID                               close one client
    pyvirt-admin ... limits                                      client limits and worker pool
    pyvirt-admin ... set max_clients=N max_workers=N ...         change limits at run time
    pyvirt-admin ... log-level [debug|info|warning|error]        show or change the log level

``--json`` prints machine-readable output.  Exit status 1 on any error, with the reason.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import socket
import sys
from typing import Any

from pyvirt.errors import PyvirtError
from pyvirt.remote import wire_values as wv
from pyvirt.rpc import admin_protocol as ap
from pyvirt.rpc.message import FrameReader, Header, MessageType, Status, decode_error, pack_message
from pyvirt_daemon.admin import LEVEL_NUMBERS, SERVER
from pyvirt_daemon.config import LOG_LEVELS
from pyvirt_daemon.service import SOCK_ADMIN

TRANSPORT_NAMES = {0: "unix", 1: "tcp", 2: "tls"}
SETTABLE = {
    "max_clients": (ap.ADMIN_PROC_SERVER_SET_CLIENT_LIMITS, "nclients_max"),
    "max_anonymous_clients": (ap.ADMIN_PROC_SERVER_SET_CLIENT_LIMITS, "nclients_unauth_max"),
    "max_workers": (ap.ADMIN_PROC_SERVER_SET_THREADPOOL_PARAMETERS, "maxWorkers"),
    "min_workers": (ap.ADMIN_PROC_SERVER_SET_THREADPOOL_PARAMETERS, "minWorkers"),
    "prio_workers": (ap.ADMIN_PROC_SERVER_SET_THREADPOOL_PARAMETERS, "prioWorkers"),
}


class AdminClient:
    """A blocking client of the admin program: one call at a time."""

    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        try:
            self.sock.connect(path)
        except OSError as exc:
            self.sock.close()
            raise ConnectionError(f"cannot reach pyvirtd's admin socket {path}: {exc.strerror}") from None
        self.reader = FrameReader()
        self.serial = 0
        self.pending: list[tuple[Header, bytes]] = []
        self.call(ap.ADMIN_PROC_CONNECT_OPEN, ap.admin_connect_open_args(0))

    def call(self, proc: int, value: Any = None) -> Any:
        entry = ap.PROCEDURES[proc]
        self.serial += 1
        header = Header(ap.ADMIN_PROGRAM, ap.ADMIN_PROTOCOL_VERSION, proc, MessageType.CALL, self.serial, Status.OK)
        self.sock.sendall(pack_message(header, entry.args, value))
        while True:
            while not self.pending:
                data = self.sock.recv(65536)
                if not data:
                    raise ConnectionError("pyvirtd closed the admin connection")
                self.pending.extend(self.reader.feed(data))
            reply, payload = self.pending.pop(0)
            if reply.type == MessageType.REPLY and reply.serial == self.serial:
                break
        if reply.status == Status.ERROR:
            raise wv.error_from_wire(decode_error(payload))
        return entry.ret.decode(payload, 0)[0] if entry.ret is not None else None

    def close(self) -> None:
        try:
            self.call(ap.ADMIN_PROC_CONNECT_CLOSE)
        finally:
            self.sock.close()


SRV = ap.admin_nonnull_server(SERVER)


def clients(admin: AdminClient) -> list[dict[str, Any]]:
    listed = admin.call(ap.ADMIN_PROC_SERVER_LIST_CLIENTS, ap.admin_server_list_clients_args(SRV, 1, 0))
    rows = []
    for c in listed.clients:
        try:
            info = admin.call(ap.ADMIN_PROC_CLIENT_GET_INFO, ap.admin_client_get_info_args(c, 0))
        except PyvirtError:  # gone between the two calls
            continue
        params = {field: value for field, (_kind, value) in info.params}
        since = datetime.datetime.fromtimestamp(c.timestamp, datetime.UTC).isoformat(timespec="seconds")
        rows.append(
            {"id": c.id, "transport": TRANSPORT_NAMES.get(c.transport, str(c.transport)), "since": since} | params
        )
    return rows


def limits(admin: AdminClient) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for proc, args in (
        (ap.ADMIN_PROC_SERVER_GET_CLIENT_LIMITS, ap.admin_server_get_client_limits_args(SRV, 0)),
        (ap.ADMIN_PROC_SERVER_GET_THREADPOOL_PARAMETERS, ap.admin_server_get_threadpool_parameters_args(SRV, 0)),
    ):
        found.update({field: value for field, (_kind, value) in admin.call(proc, args).params})
    return found


def set_values(admin: AdminClient, assignments: list[str]) -> None:
    by_proc: dict[int, list[ap.admin_typed_param]] = {}
    for item in assignments:
        key, sep, text = item.partition("=")
        if not sep or key not in SETTABLE or not text.isdigit():
            raise ValueError(f"expected KEY=NUMBER with KEY one of {', '.join(SETTABLE)}, not {item!r}")
        proc, field = SETTABLE[key]
        by_proc.setdefault(proc, []).append(ap.admin_typed_param(field, (wv.TYPED_UINT, int(text))))
    for proc, params in by_proc.items():
        if proc == ap.ADMIN_PROC_SERVER_SET_CLIENT_LIMITS:
            admin.call(proc, ap.admin_server_set_client_limits_args(SRV, params, 0))
        else:
            admin.call(proc, ap.admin_server_set_threadpool_parameters_args(SRV, params, 0))


def log_level(admin: AdminClient, level: str | None) -> str:
    outputs = admin.call(ap.ADMIN_PROC_CONNECT_GET_LOGGING_OUTPUTS, ap.admin_connect_get_logging_outputs_args(0))
    number, _, where = outputs.outputs.partition(":")
    if level is None:
        return LOG_LEVELS[int(number) - 1]
    admin.call(
        ap.ADMIN_PROC_CONNECT_SET_LOGGING_OUTPUTS,
        ap.admin_connect_set_logging_outputs_args(f"{LEVEL_NUMBERS[level]}:{where}", 0),
    )
    return level


def _print_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    widths = {c: max([len(c), *(len(str(r.get(c, ""))) for r in rows)]) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns).rstrip())
    for r in rows:
        print("  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns).rstrip())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pyvirt-admin", description="Manage a running pyvirtd.")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--socket", help=f"admin socket (default /run/pyvirt/{SOCK_ADMIN})")
    where.add_argument("--root", help="the daemon's root directory (its admin socket is DIR/run/pyvirt/...)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("clients", help="list connected clients")
    disconnect = sub.add_parser("disconnect", help="close one client")
    disconnect.add_argument("id", type=int)
    sub.add_parser("limits", help="show client limits and the worker pool")
    change = sub.add_parser("set", help="change limits: max_clients=N max_workers=N ...")
    change.add_argument("assignments", nargs="+", metavar="KEY=N")
    level = sub.add_parser("log-level", help="show or change the log level")
    level.add_argument("level", nargs="?", choices=LOG_LEVELS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    path = args.socket or os.path.join(args.root or "/", "run/pyvirt", SOCK_ADMIN)
    try:
        admin = AdminClient(path)
        try:
            return _run(admin, args)
        finally:
            admin.close()
    except (PyvirtError, ConnectionError, ValueError, OSError) as exc:
        print(f"pyvirt-admin: error: {exc}", file=sys.stderr)
        return 1


def _run(admin: AdminClient, args: argparse.Namespace) -> int:
    result: Any
    if args.command == "clients":
        result = clients(admin)
        if not args.json:
            columns = ["id", "transport", "since", "readonly", "unix_user_name", "unix_process_id", "sock_addr"]
            _print_table(
                result, [c for c in columns if any(c in r for r in result) or c in ("id", "transport", "since")]
            )
            return 0
    elif args.command == "disconnect":
        admin.call(
            ap.ADMIN_PROC_CLIENT_CLOSE,
            ap.admin_client_close_args(ap.admin_nonnull_client(SRV, args.id, 0, 0), 0),
        )
        result = {"disconnected": args.id}
    elif args.command == "limits":
        result = limits(admin)
    elif args.command == "set":
        set_values(admin, args.assignments)
        result = limits(admin)
    else:
        result = {"log_level": log_level(admin, args.level)}
    if args.json:
        print(json.dumps(result))
    elif isinstance(result, dict):
        for key, value in result.items():
            print(f"{key:20} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
