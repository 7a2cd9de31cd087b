"""One client's state in the remote program: its pyvirt connection and its event callbacks.

The daemon is a client of pyvirt's public API like any application: each remote client gets
its own :class:`pyvirt.Connection`, opened read-only when the client came through the
read-only socket, so the core's read-only checks guard the node and the daemon never repeats
them.  Handlers reach the connection through :attr:`Session.conn`, which refuses with libvirt's
error when CONNECT_OPEN has not happened yet.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pyvirt
from pyvirt.errors import ErrorDomain, InternalError
from pyvirt.rpc.procedure import Codec

if TYPE_CHECKING:
    from pyvirt_daemon.auth import ClientAuth

EventSender = Callable[[int, Codec, Any], None]
"""Sends one MESSAGE packet (procedure, its codec, the value) to this session's client;
callable from any thread."""


class Session:
    """Per-client state of the remote program."""

    def __init__(
        self,
        readonly: bool,
        send_event: EventSender,
        start_keepalive: Callable[[], None],
        auth: ClientAuth | None = None,
    ) -> None:
        self.readonly = readonly
        self.auth = auth
        """The client's authentication state (AUTH_* procedures); None outside a daemon."""
        self.send_event = send_event
        self.start_keepalive = start_keepalive
        self._conn: pyvirt.Connection | None = None
        self.lock = threading.Lock()
        self.callback_ids = itertools.count(1)
        self.event_handles: dict[int, int] = {}
        """callbackID (or legacy event ID key) -> handle on the pyvirt connection's event bus."""

    @property
    def conn(self) -> pyvirt.Connection:
        conn = self._conn
        if conn is None:
            raise InternalError("internal error: hypervisor connection not open", domain=ErrorDomain.RPC)
        return conn

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    def open(self, conn: pyvirt.Connection) -> None:
        self._conn = conn

    def close(self) -> None:
        """Drop event callbacks and close the connection; safe to call twice."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        for handle in self.event_handles.values():
            if not handle:  # a registration for an event pyvirt never sends holds no handle
                continue
            try:
                conn.domain_event_deregister(handle)
            except pyvirt.PyvirtError:
                pass
        self.event_handles.clear()
        conn.close()
