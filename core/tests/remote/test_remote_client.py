"""The RPC client against a server the test controls: replies, events, keepalive, lost links."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakeserver import FakeServer, Hangup, Peer, Silence

import pyvirt
from pyvirt.errors import ConnectionLostError, NoDomainError, UnsupportedError
from pyvirt.remote.client import RPCClient
from pyvirt.remote.transport import SocketTransport
from pyvirt.rpc import remote_protocol as rp
from pyvirt.rpc.message import Header, encode_error, encode_message, keepalive_ping
from pyvirt.rpc.virnet_protocol import virNetMessageError
from pyvirt.types import DomainEvent, DomainEventType, DomainRef, Version

UUID = "6695eb01-f6a4-8304-79aa-97f2502e193f"
WIRE_DOM = rp.remote_nonnull_domain("test", bytes.fromhex(UUID.replace("-", "")), 1)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FakeServer]:
    fake = FakeServer(tmp_path / "sock")
    try:
        yield fake
    finally:
        fake.stop()


def _client(server: FakeServer, **kwargs: Any) -> RPCClient:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(server.path))
    return RPCClient(SocketTransport(sock, secure=True), str(server.path), **kwargs)


def _in_thread(fn: Any) -> tuple[threading.Thread, list[BaseException | object]]:
    """Run ``fn`` in a thread; the list gets its result or exception (join with a timeout)."""
    outcome: list[BaseException | object] = []

    def run() -> None:
        try:
            outcome.append(fn())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_open_sends_the_name_without_client_parts_and_the_read_only_flag(server: FakeServer) -> None:
    with pyvirt.open_read_only(server.uri + "&no_verify=1&keep=me") as conn:
        assert conn.get_type() == "FAKE"
        assert conn.get_version() == Version(1, 2, 3)
    assert server.peers[0].opened == [rp.remote_connect_open_args("fake:///node?keep=me", 1)]


def test_server_errors_come_back_as_pyvirt_errors(server: FakeServer) -> None:
    with pyvirt.open(server.uri) as conn:
        with pytest.raises(UnsupportedError, match="unsupported procedure 23"):
            conn.lookup_domain_by_name("x")


def test_replies_reach_their_own_callers_in_any_order(server: FakeServer) -> None:
    waiting: list[tuple[Peer, Header, str]] = []
    lock = threading.Lock()

    def lookup(peer: Peer, header: Header, args: Any) -> Any:
        with lock:
            waiting.append((peer, header, args.name))
            if len(waiting) < 4:
                raise Silence
            for peer_, header_, name in reversed(waiting):  # answer the last caller first
                peer_.reply(header_, rp.remote_domain_lookup_by_name_ret(WIRE_DOM._replace(name=name)))
        raise Silence

    server.replies[rp.REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME] = lookup
    client = _client(server)
    try:
        runs = [
            _in_thread(
                lambda n=n: client.call(rp.REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME, rp.remote_domain_lookup_by_name_args(n))
            )
            for n in ("a", "b", "c", "d")
        ]
        for thread, _ in runs:
            thread.join(10)
        assert [outcome[0].dom.name for _, outcome in runs] == ["a", "b", "c", "d"]  # type: ignore[union-attr]
    finally:
        client.close()


def test_peer_closing_fails_the_pending_call_at_once_and_every_later_one(server: FakeServer) -> None:
    def hang_up(peer: Peer, header: Header, args: Any) -> Any:
        raise Hangup

    server.replies[rp.REMOTE_PROC_CONNECT_GET_HOSTNAME] = hang_up
    conn = pyvirt.open(server.uri)
    try:
        thread, outcome = _in_thread(conn.get_hostname)
        thread.join(10)
        assert not thread.is_alive(), "the pending call hung after the server closed the connection"
        assert isinstance(outcome[0], ConnectionLostError)
        assert "connection lost" in str(outcome[0]) and "end of file" in str(outcome[0])
        with pytest.raises(ConnectionLostError, match="connection lost"):
            conn.get_type()
        assert not conn.is_alive()
    finally:
        conn.close()


def test_a_silent_server_is_declared_dead_by_keepalive(server: FakeServer) -> None:
    server.answer_pings = False

    def never(peer: Peer, header: Header, args: Any) -> Any:
        raise Silence

    server.replies[rp.REMOTE_PROC_CONNECT_GET_HOSTNAME] = never
    client = _client(server)
    client.start_keepalive(0.05, 2)
    try:
        thread, outcome = _in_thread(lambda: client.call(rp.REMOTE_PROC_CONNECT_GET_HOSTNAME))
        thread.join(10)
        assert not thread.is_alive(), "keepalive did not end the call to a silent server"
        assert isinstance(outcome[0], ConnectionLostError) and "keepalive" in str(outcome[0])
    finally:
        client.close()


def test_keepalive_pings_are_answered_while_idle(server: FakeServer) -> None:
    client = _client(server)
    try:
        client.call(rp.REMOTE_PROC_CONNECT_GET_VERSION)
        peer = server.peers[0]
        peer.send(keepalive_ping())
        deadline = time.monotonic() + 10
        while peer.pongs == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert peer.pongs == 1 and client.alive
    finally:
        client.close()


def test_garbage_from_the_server_kills_the_connection(server: FakeServer) -> None:
    def garbage(peer: Peer, header: Header, args: Any) -> Any:
        peer.send(b"\x00\x00\x00\x03xyz")
        raise Silence

    server.replies[rp.REMOTE_PROC_CONNECT_GET_HOSTNAME] = garbage
    client = _client(server)
    try:
        with pytest.raises(ConnectionLostError, match="garbage"):
            client.call(rp.REMOTE_PROC_CONNECT_GET_HOSTNAME)
    finally:
        client.close()


def test_events_reach_subscribers_and_callbacks_may_call_back(server: FakeServer) -> None:
    conn = pyvirt.open(server.uri)
    seen: list[tuple[DomainEvent, str]] = []
    done = threading.Event()

    def on_event(event: DomainEvent) -> None:
        seen.append((event, conn.get_type()))  # a call from inside the callback must not deadlock
        done.set()

    try:
        conn.domain_event_register(on_event)
        msg = rp.remote_domain_event_lifecycle_msg(WIRE_DOM, int(DomainEventType.STOPPED), 1)
        # another callback's event first: events are handled in order, so once ours has been
        # delivered the other one has been handled too (and must not have reached us)
        other = rp.remote_domain_event_callback_lifecycle_msg(8, msg)
        server.peers[0].send_event(rp.REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE, other)
        server.peers[0].send_event(
            rp.REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE, rp.remote_domain_event_callback_lifecycle_msg(7, msg)
        )
        assert done.wait(10)
        assert seen == [(DomainEvent(DomainRef("test", UUID, 1), DomainEventType.STOPPED, 1), "FAKE")]
    finally:
        conn.close()


def test_a_missing_socket_says_which(tmp_path: Path) -> None:
    with pytest.raises(pyvirt.ConnectError, match=r"Failed to connect socket to '.*/nope': No such file"):
        pyvirt.open(f"test+unix:///default?socket={tmp_path / 'nope'}")


def test_domain_not_found_keeps_its_class(server: FakeServer) -> None:
    def missing(peer: Peer, header: Header, args: Any) -> Any:
        error = virNetMessageError(42, 12, "Domain not found", 2, None, "Domain not found", None, None, 0, 0, None)
        peer.send(encode_message(header.reply(1), encode_error(error)))
        raise Silence

    server.replies[rp.REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME] = missing
    with pyvirt.open(server.uri) as conn, pytest.raises(NoDomainError, match=r"^Domain not found$"):
        conn.lookup_domain_by_name("nope")


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_open_close_and_failed_opens_leave_no_thread_or_descriptor(server: FakeServer) -> None:
    def refuse(peer: Peer, header: Header, args: Any) -> Any:
        error = virNetMessageError(
            5, 13, f"no connection driver available for {args.name}", 2, None, None, None, None, 0, 0, None
        )
        peer.send(encode_message(header.reply(1), encode_error(error)))
        raise Silence

    pyvirt.open(server.uri).close()  # first open: imports, caches
    server.wait_idle()
    threads, fds = threading.active_count(), _fds()
    for _ in range(20):
        with pyvirt.open(server.uri) as conn:
            conn.get_type()
    server.replies[rp.REMOTE_PROC_CONNECT_OPEN] = refuse
    for _ in range(5):
        with pytest.raises(pyvirt.ConnectError, match="no connection driver available for fake:///node"):
            pyvirt.open(server.uri)
    # the scripted server (same process) closes its ends when it sees EOF: give it a moment
    server.wait_idle()
    deadline = time.monotonic() + 10
    while (threading.active_count(), _fds()) != (threads, fds) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (threading.active_count(), _fds()) == (threads, fds)


def test_calls_sent_together_come_back_in_order_and_errors_after_all_replies(server: FakeServer) -> None:
    client = _client(server)
    try:
        version, kind = client.call_many(
            [(rp.REMOTE_PROC_CONNECT_GET_VERSION, None), (rp.REMOTE_PROC_CONNECT_GET_TYPE, None)]
        )
        assert (version.hv_ver, kind.type) == (1002003, "FAKE")
        with pytest.raises(UnsupportedError, match="unsupported procedure 59"):
            client.call_many([(rp.REMOTE_PROC_CONNECT_GET_HOSTNAME, None), (rp.REMOTE_PROC_CONNECT_GET_TYPE, None)])
        assert client.call(rp.REMOTE_PROC_CONNECT_GET_TYPE).type == "FAKE"  # nothing left behind
    finally:
        client.close()


def test_ctrl_c_during_a_read_ends_the_connection_rather_than_desync_it(server: FakeServer) -> None:
    import _thread

    def slow(peer: Peer, header: Header, args: Any) -> Any:
        time.sleep(1)
        return rp.remote_connect_get_hostname_ret("late")

    server.replies[rp.REMOTE_PROC_CONNECT_GET_HOSTNAME] = slow
    client = _client(server)
    try:
        threading.Timer(0.2, _thread.interrupt_main).start()
        with pytest.raises(KeyboardInterrupt):
            client.call(rp.REMOTE_PROC_CONNECT_GET_HOSTNAME)
        with pytest.raises(ConnectionLostError, match="interrupted while reading"):
            client.call(rp.REMOTE_PROC_CONNECT_GET_TYPE)
    finally:
        client.close()
