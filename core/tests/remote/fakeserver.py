"""A tiny libvirt-protocol server the tests control: real sockets, scripted behaviour.

It answers the calls a remote open makes (AUTH_LIST, CONNECT_OPEN, SUPPORTS_FEATURE, event
registration) and whatever else a test puts in ``replies``; a test can make it close the
connection, stay silent, send garbage or events, to see how the client copes.  One thread per
accepted connection; :meth:`stop` closes everything and joins the threads.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyvirt.rpc import keepalive_protocol as kp
from pyvirt.rpc import remote_protocol as rp
from pyvirt.rpc.message import (
    FrameReader,
    Header,
    MessageType,
    Status,
    decode_payload,
    encode_error,
    encode_message,
    keepalive_pong,
    pack_message,
)
from pyvirt.rpc.virnet_protocol import virNetMessageError

Handler = Callable[["Peer", Header, Any], Any]
"""Called with the decoded arguments; returns the reply value, or raises Silence/Hangup."""


class Silence(Exception):
    """Raised by a handler: send no reply at all."""


class Hangup(Exception):
    """Raised by a handler: close the connection instead of replying."""


def _defaults() -> dict[int, Handler]:
    return {
        rp.REMOTE_PROC_AUTH_LIST: lambda peer, h, a: rp.remote_auth_list_ret([rp.REMOTE_AUTH_NONE]),
        rp.REMOTE_PROC_CONNECT_OPEN: lambda peer, h, a: peer.opened.append(a) or None,
        rp.REMOTE_PROC_CONNECT_SUPPORTS_FEATURE: lambda peer, h, a: rp.remote_connect_supports_feature_ret(0),
        rp.REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY: (
            lambda peer, h, a: rp.remote_connect_domain_event_callback_register_any_ret(7)
        ),
        rp.REMOTE_PROC_CONNECT_GET_TYPE: lambda peer, h, a: rp.remote_connect_get_type_ret("FAKE"),
        rp.REMOTE_PROC_CONNECT_GET_VERSION: lambda peer, h, a: rp.remote_connect_get_version_ret(1002003),
        rp.REMOTE_PROC_CONNECT_CLOSE: lambda peer, h, a: None,
    }


class Peer:
    """The server's side of one accepted connection."""

    def __init__(self, sock: socket.socket, server: FakeServer) -> None:
        self.sock = sock
        self.server = server
        self.opened: list[Any] = []
        self.pongs = 0
        self._send_lock = threading.Lock()

    def send(self, data: bytes) -> None:
        with self._send_lock:
            self.sock.sendall(data)

    def send_event(self, procedure: int, value: Any) -> None:
        header = Header(rp.REMOTE_PROGRAM, rp.REMOTE_PROTOCOL_VERSION, procedure, MessageType.MESSAGE, 0, Status.OK)
        self.send(pack_message(header, rp.PROCEDURES[procedure].args, value))

    def reply(self, header: Header, value: Any) -> None:
        self.send(pack_message(header.reply(), rp.PROCEDURES[header.proc].ret, value))

    def serve(self) -> None:
        frames = FrameReader()
        try:
            while chunk := self.sock.recv(65536):
                for header, payload in frames.feed(chunk):
                    if not self._handle(header, payload):
                        return
        except OSError:
            pass
        finally:
            self.sock.close()

    def _handle(self, header: Header, payload: bytes) -> bool:
        if header.prog == kp.KEEPALIVE_PROGRAM:
            if header.proc == kp.KEEPALIVE_PROC_PING and self.server.answer_pings:
                self.send(keepalive_pong())
            elif header.proc == kp.KEEPALIVE_PROC_PONG:
                self.pongs += 1
            return True
        handler = self.server.replies.get(header.proc)
        if handler is None:
            error = virNetMessageError(
                3, 13, f"unsupported procedure {header.proc}", 2, None, None, None, None, 0, 0, None
            )
            self.send(encode_message(header.reply(Status.ERROR), encode_error(error)))
            return True
        args = decode_payload(rp.PROCEDURES[header.proc].args, payload)
        try:
            value = handler(self, header, args)
        except Silence:
            return True
        except Hangup:
            return False
        self.reply(header, value)
        return True


class FakeServer:
    """Listens on a unix socket at ``path``; ``replies`` maps procedure numbers to handlers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.replies: dict[int, Handler] = _defaults()
        self.answer_pings = True
        self.peers: list[Peer] = []
        self.accepted = threading.Event()
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(path))
        self._listener.listen(8)
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    @property
    def uri(self) -> str:
        return f"fake+unix:///node?socket={self.path}"

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            peer = Peer(sock, self)
            self.peers.append(peer)
            thread = threading.Thread(target=peer.serve, daemon=True)
            self._threads.append(thread)
            thread.start()
            self.accepted.set()

    def wait_idle(self, timeout: float = 10) -> None:
        """Wait until every peer served so far has hung up and its thread ended, so that thread
        and descriptor counts taken next do not race the server's own clean-up."""
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))

    def stop(self) -> None:
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        self._acceptor.join()
        for peer in self.peers:
            try:
                peer.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self._threads:
            thread.join()
        self.path.unlink(missing_ok=True)
