"""The daemon's own behaviour over raw sockets: protocol errors as libvirtd words them,
misbehaving clients dropped alone, limits, keepalive, socket permissions, signals and logs."""

from __future__ import annotations

import json
import os
import select
import signal
import stat
import time
from pathlib import Path

import pytest
from pyvirtd_helpers import RawClient, dom_ref, is_error, oversized_call

from pyvirt.rpc import keepalive_protocol as kp
from pyvirt.rpc import remote_protocol as rp
from pyvirt.rpc.message import MESSAGE_MAX, Header, MessageType, Status, decode_error, keepalive_pong
from pyvirt_daemon.process import DaemonProcess

GET_VERSION = rp.REMOTE_PROC_CONNECT_GET_VERSION


def _alive(client: RawClient) -> bool:
    ret = client.call(GET_VERSION)
    return not is_error(ret) and ret.hv_ver > 0


def _closed(client: RawClient, within: float = 10.0) -> bool:
    """True when the daemon closes the connection (EOF) within ``within`` seconds."""
    client.sock.settimeout(within)
    try:
        while True:
            client.receive()
    except ConnectionError:
        return True
    except TimeoutError:
        return False


# -- protocol errors, worded as libvirtd's --------------------------------------------------------


def test_call_before_open_is_refused(shared_pyvirtd: DaemonProcess) -> None:
    c = RawClient(shared_pyvirtd.socket)
    err = c.call(GET_VERSION)
    assert (err.code, err.domain, err.message) == (1, 7, "internal error: hypervisor connection not open")
    c.close()


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ({"prog": 0x1234}, "Cannot find program 4660 version 1"),
        ({"vers": 2}, f"Cannot find program {rp.REMOTE_PROGRAM} version 2"),
        ({"status": Status.ERROR}, "Unexpected message status 1"),
    ],
)
def test_bad_headers_get_libvirts_errors(shared_pyvirtd: DaemonProcess, header: dict[str, int], message: str) -> None:
    c = RawClient(shared_pyvirtd.socket)
    c.open()
    err = c.call(GET_VERSION, **header)
    assert (err.code, err.domain, err.message) == (39, 7, message)
    assert _alive(c)
    c.close()


def test_unknown_procedure(shared_pyvirtd: DaemonProcess) -> None:
    c = RawClient(shared_pyvirtd.socket)
    err = c.call(9999)
    assert (err.code, err.domain, err.message) == (39, 7, "unknown procedure: 9999")
    c.close()


def test_procedure_pyvirt_lacks_is_no_support(shared_pyvirtd: DaemonProcess) -> None:
    c = RawClient(shared_pyvirtd.socket)
    err = c.call(rp.REMOTE_PROC_CONNECT_LIST_ALL_SECRETS, rp.remote_connect_list_all_secrets_args(1, 0))
    assert err.message == "internal error: hypervisor connection not open"
    c.open()
    err = c.call(rp.REMOTE_PROC_CONNECT_LIST_ALL_SECRETS, rp.remote_connect_list_all_secrets_args(1, 0))
    assert (err.code, err.message) == (
        3,
        "this function is not supported by the connection driver: virConnectListAllSecrets",
    )
    c.close()


def test_undecodable_arguments_get_an_error_and_the_client_stays(shared_pyvirtd: DaemonProcess) -> None:
    c = RawClient(shared_pyvirtd.socket)
    c.open()
    c.serial += 1
    truncated = c.packet(rp.REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME)  # no name at all
    c.send(truncated)
    reply, _payload = c.receive()
    assert reply.status == Status.ERROR
    assert _alive(c)
    c.close()


def test_feature_probe_answers_as_libvirtd(shared_pyvirtd: DaemonProcess) -> None:
    c = RawClient(shared_pyvirtd.socket)
    probe = rp.REMOTE_PROC_CONNECT_SUPPORTS_FEATURE
    assert c.call(probe, rp.remote_connect_supports_feature_args(10)).supported == 1  # keepalive, before open
    assert is_error(c.call(probe, rp.remote_connect_supports_feature_args(8)))
    c.open()
    answers = {f: c.call(probe, rp.remote_connect_supports_feature_args(f)).supported for f in range(1, 20)}
    assert {f for f, yes in answers.items() if yes} == {8, 9, 10, 14, 15, 16}
    c.close()


# -- misbehaving clients are dropped alone -------------------------------------------------------


def test_garbage_drops_only_that_client(shared_pyvirtd: DaemonProcess) -> None:
    good, bad = RawClient(shared_pyvirtd.socket), RawClient(shared_pyvirtd.socket)
    good.open()
    bad.send(b"\xff" * 64)
    assert _closed(bad)
    assert _alive(good)
    good.close()


def test_oversized_packet_gets_an_error_then_the_client_is_dropped(shared_pyvirtd: DaemonProcess) -> None:
    good, big = RawClient(shared_pyvirtd.socket), RawClient(shared_pyvirtd.socket)
    good.open()
    big.send(oversized_call(7, MESSAGE_MAX + 100))
    reply, payload = big.receive()
    assert (reply.serial, reply.status) == (7, Status.ERROR)
    assert b"too large" in payload
    assert _closed(big)
    assert _alive(good)
    good.close()


def test_stray_replies_and_stream_packets_are_ignored(shared_pyvirtd: DaemonProcess) -> None:
    c = RawClient(shared_pyvirtd.socket)
    c.open()
    c.send(c.packet(GET_VERSION, mtype=MessageType.REPLY))
    c.send(c.packet(GET_VERSION, mtype=MessageType.STREAM))
    assert _alive(c)
    c.close()


# -- read-only socket ----------------------------------------------------------------------------


def test_read_only_socket_opens_read_only_connections(shared_pyvirtd: DaemonProcess) -> None:
    c = RawClient(shared_pyvirtd.socket_ro)
    c.open(flags=0)  # the client does not even ask for read-only
    err = c.call(rp.REMOTE_PROC_DOMAIN_SUSPEND, rp.remote_domain_suspend_args(dom_ref(c, "test")))
    assert (err.code, err.message) == (29, "operation forbidden: read only access prevents virDomainSuspend")
    c.close()


# -- sockets, limits, keepalive ------------------------------------------------------------------


def test_socket_permissions(tmp_path: Path) -> None:
    with DaemonProcess(tmp_path / "node", {"unix_sock_rw_perms": "0770"}) as d:
        modes = {p.name: stat.S_IMODE(os.stat(p).st_mode) for p in (d.socket, d.socket_ro, d.socket_admin)}
        assert stat.S_ISSOCK(os.stat(d.socket).st_mode)
    assert modes == {"pyvirt-sock": 0o770, "pyvirt-sock-ro": 0o777, "pyvirt-admin-sock": 0o700}


def test_max_clients(tmp_path: Path) -> None:
    with DaemonProcess(tmp_path / "node", {"max_clients": 1}) as d:
        first = _first_client(d)
        second = RawClient(d.socket)
        err = second.call(GET_VERSION)
        assert err.message == "Too many active clients (1), dropping connection"
        assert _closed(second)
        assert _alive(first)
        first.close()
        time.sleep(0.2)
        third = RawClient(d.socket)  # a slot is free again
        third.open()
        assert _alive(third)
        third.close()


def _first_client(d: DaemonProcess) -> RawClient:
    """Connect once the daemon has seen the start-up probe's connection go."""
    deadline = time.monotonic() + 10
    while True:
        c = RawClient(d.socket)
        if not is_error(c.call(rp.REMOTE_PROC_CONNECT_OPEN, rp.remote_connect_open_args("test:///default", 0))):
            return c
        c.close()
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _is_ping(header: Header) -> bool:
    return header.prog == kp.KEEPALIVE_PROGRAM and header.proc == kp.KEEPALIVE_PROC_PING


def test_keepalive_drops_a_silent_client(tmp_path: Path) -> None:
    with DaemonProcess(tmp_path / "node", {"keepalive_interval": 1, "keepalive_count": 2}) as d:
        silent, talker = RawClient(d.socket), RawClient(d.socket)
        for c in (silent, talker):
            assert c.call(rp.REMOTE_PROC_CONNECT_SUPPORTS_FEATURE, rp.remote_connect_supports_feature_args(10))
            c.open()
        # a ping that came while a call waited for its reply (a slow open) counts as well
        pings = {c: sum(_is_ping(h) for h, _ in c.unclaimed) for c in (silent, talker)}
        if pings[talker]:
            talker.send(keepalive_pong())
        silent_gone = False
        deadline = time.monotonic() + 15
        # run until the silent client is gone, then 4 more intervals for the one that answers
        while time.monotonic() < deadline:
            watched = [talker.sock] if silent_gone else [silent.sock, talker.sock]
            ready, _, _ = select.select(watched, [], [], 0.2)
            for sock in ready:
                c = silent if sock is silent.sock else talker
                try:
                    headers = [c.receive()[0]]
                    headers += [c.receive()[0] for _ in range(len(c.pending))]  # read in the same recv
                except ConnectionError:
                    assert c is silent, "the client that answers pings must stay"
                    silent_gone = True
                    deadline = time.monotonic() + 4
                    continue
                for _ in filter(_is_ping, headers):
                    pings[c] += 1
                    if c is talker:
                        c.send(keepalive_pong())
        assert silent_gone and pings[silent] == 2
        assert pings[talker] >= 2  # it kept being checked, and kept answering
        assert _alive(talker)
        talker.close()


def test_ping_gets_pong(shared_pyvirtd: DaemonProcess) -> None:
    c = RawClient(shared_pyvirtd.socket)
    c.send(c.packet(kp.KEEPALIVE_PROC_PING, prog=kp.KEEPALIVE_PROGRAM, mtype=MessageType.MESSAGE))
    header, _ = c.receive()
    assert (header.prog, header.proc, header.type) == (
        kp.KEEPALIVE_PROGRAM,
        kp.KEEPALIVE_PROC_PONG,
        MessageType.MESSAGE,
    )
    c.close()


# -- signals and logs ----------------------------------------------------------------------------


def test_sigterm_closes_clients_and_removes_files(tmp_path: Path) -> None:
    d = DaemonProcess(tmp_path / "node").start()
    try:
        assert int(d.pid_file.read_text()) == d.proc.pid  # type: ignore[union-attr]
        c = RawClient(d.socket)
        c.open()
        d.signal(signal.SIGTERM)
        assert _closed(c)
        assert d.stop() == 0
    finally:
        d.kill()
    assert d.leftovers() == []


def test_sighup_reloads_without_dropping_clients(tmp_path: Path) -> None:
    d = DaemonProcess(tmp_path / "node", {"log_format": "json"}).start()
    try:
        c = RawClient(d.socket)
        c.open()
        d.settings.update(log_level="debug", unix_sock_ro_perms="0755")
        d.write_config()
        d.signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "configuration reloaded" not in d.stderr() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _alive(c)
        assert stat.S_IMODE(os.stat(d.socket_ro).st_mode) == 0o755
        # a broken file on reload keeps the running configuration
        d.config_file.write_text("max_clients = 'x'\n")
        d.signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "reload failed" not in d.stderr() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "reload failed" in d.stderr()
        assert _alive(c)
        c.close()
    finally:
        assert d.stop() == 0
    events = [json.loads(line) for line in d.stderr().splitlines() if line.startswith("{")]
    assert any(e["event"] == "configuration reloaded" for e in events)


def test_json_logs_one_event_per_connect_disconnect_and_refusal(tmp_path: Path) -> None:
    with DaemonProcess(tmp_path / "node", {"log_format": "json"}) as d:
        c = RawClient(d.socket_ro)
        c.open()
        c.call(rp.REMOTE_PROC_DOMAIN_DESTROY, rp.remote_domain_destroy_args(dom_ref(c, "test")))
        c.close()
        deadline = time.monotonic() + 10
        while '"client disconnected"' not in d.stderr().split('"request refused"')[-1] and time.monotonic() < deadline:
            time.sleep(0.05)
    events = [json.loads(line) for line in d.stderr().splitlines() if line.startswith("{")]
    ro_client = [e["client"] for e in events if e.get("transport") == "unix-ro"][-1]
    mine = [e for e in events if e.get("client") == ro_client]
    kinds = [e["event"] for e in mine]
    assert kinds == ["client connected", "request refused", "client disconnected"], kinds
    refused = mine[1]
    assert refused["procedure"] == "REMOTE_PROC_DOMAIN_DESTROY" and "read only" in refused["why"]
    assert refused["uid"] == os.getuid() and refused["transport"] == "unix-ro"


# -- calls that block: a restore from a FIFO nobody writes yet ------------------------------------


def _blocking_restore(c: RawClient, fifo: Path) -> int:
    """Start a DOMAIN_RESTORE that blocks in a worker until ``fifo`` gets a writer; its serial."""
    c.send(c.packet(rp.REMOTE_PROC_DOMAIN_RESTORE, rp.remote_domain_restore_args(str(fifo))))
    return c.serial


def _feed(fifo: Path) -> None:
    with open(fifo, "wb") as w:
        w.write(b"not a save image")


def test_max_client_requests_holds_further_calls(tmp_path: Path) -> None:
    fifo = tmp_path / "image.fifo"
    os.mkfifo(fifo)
    with DaemonProcess(tmp_path / "node", {"max_client_requests": 1}) as d:
        c, other = RawClient(d.socket), RawClient(d.socket)
        c.open()
        other.open()
        restore = _blocking_restore(c, fifo)
        c.send(c.packet(GET_VERSION))
        version = c.serial
        c.sock.settimeout(1)
        with pytest.raises(TimeoutError):  # held: the client already has its one call running
            c.receive()
        assert _alive(other)  # other clients are served meanwhile
        _feed(fifo)
        c.sock.settimeout(10)
        first, second = c.receive(), c.receive()
        assert [first[0].serial, second[0].serial] == [restore, version]
        assert first[0].status == Status.ERROR and second[0].status == Status.OK
        c.close()
        other.close()


def test_sigterm_lets_calls_in_flight_finish(tmp_path: Path) -> None:
    fifo = tmp_path / "image.fifo"
    os.mkfifo(fifo)
    d = DaemonProcess(tmp_path / "node").start()
    try:
        c = RawClient(d.socket)
        c.open()
        restore = _blocking_restore(c, fifo)
        time.sleep(0.3)
        d.signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        while d.socket.exists() and time.monotonic() < deadline:  # no new clients from now on
            time.sleep(0.05)
        assert not d.socket.exists()
        assert d.proc is not None and d.proc.poll() is None  # still answering the call in flight
        _feed(fifo)
        c.sock.settimeout(10)
        reply, payload = c.receive()
        assert reply.serial == restore and reply.status == Status.ERROR
        assert str(fifo) in decode_error(payload).message  # the driver's own refusal of the image
        assert _closed(c)
        assert d.stop() == 0
    finally:
        d.kill()
    assert d.leftovers() == []


# -- events for old clients ------------------------------------------------------------------------


def _next_message(c: RawClient) -> tuple[int, bytes]:
    while True:
        header, payload = c.unclaimed.pop(0) if c.unclaimed else c.receive()
        if header.type == MessageType.MESSAGE and header.prog == rp.REMOTE_PROGRAM:
            return header.proc, payload


def test_legacy_event_registrations(pyvirtd: DaemonProcess) -> None:
    c = RawClient(pyvirtd.socket)
    c.open()
    assert c.call(rp.REMOTE_PROC_CONNECT_DOMAIN_EVENT_REGISTER).cb_registered == 1
    dom = dom_ref(c, "test")
    assert not is_error(c.call(rp.REMOTE_PROC_DOMAIN_SUSPEND, rp.remote_domain_suspend_args(dom)))
    proc, payload = _next_message(c)
    assert proc == rp.REMOTE_PROC_DOMAIN_EVENT_LIFECYCLE
    msg = rp.decode_remote_domain_event_lifecycle_msg(payload, 0)[0]
    assert (msg.dom.name, msg.event, msg.detail) == ("test", 3, 0)
    assert c.call(rp.REMOTE_PROC_CONNECT_DOMAIN_EVENT_DEREGISTER).cb_registered == 0
    # a second registration of the same kind is refused; deregistering twice too
    any_args = rp.remote_connect_domain_event_register_any_args(0)
    assert c.call(rp.REMOTE_PROC_CONNECT_DOMAIN_EVENT_REGISTER_ANY, any_args) is None
    assert is_error(c.call(rp.REMOTE_PROC_CONNECT_DOMAIN_EVENT_REGISTER_ANY, any_args))
    assert not is_error(c.call(rp.REMOTE_PROC_DOMAIN_RESUME, rp.remote_domain_resume_args(dom)))
    proc, payload = _next_message(c)
    msg = rp.decode_remote_domain_event_lifecycle_msg(payload, 0)[0]
    assert (proc, msg.event, msg.detail) == (rp.REMOTE_PROC_DOMAIN_EVENT_LIFECYCLE, 4, 0)
    deregister = rp.remote_connect_domain_event_deregister_any_args(0)
    assert c.call(rp.REMOTE_PROC_CONNECT_DOMAIN_EVENT_DEREGISTER_ANY, deregister) is None
    assert is_error(c.call(rp.REMOTE_PROC_CONNECT_DOMAIN_EVENT_DEREGISTER_ANY, deregister))
    c.close()


def test_callback_events_filtered_by_domain(pyvirtd: DaemonProcess) -> None:
    c = RawClient(pyvirtd.socket)
    c.open()
    dom = dom_ref(c, "test")
    register = rp.REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY
    only_other = rp.remote_nonnull_domain("other", b"\x01" * 16, -1)
    ignored = c.call(register, rp.remote_connect_domain_event_callback_register_any_args(0, only_other)).callbackID
    wanted = c.call(register, rp.remote_connect_domain_event_callback_register_any_args(0, dom)).callbackID
    assert ignored != wanted
    assert not is_error(c.call(rp.REMOTE_PROC_DOMAIN_DESTROY, rp.remote_domain_destroy_args(dom)))
    proc, payload = _next_message(c)
    msg = rp.decode_remote_domain_event_callback_lifecycle_msg(payload, 0)[0]
    assert (proc, msg.callbackID, msg.msg.event, msg.msg.detail) == (
        rp.REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE,
        wanted,
        5,
        1,
    )
    deregister = rp.REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY
    assert c.call(deregister, rp.remote_connect_domain_event_callback_deregister_any_args(wanted)) is None
    err = c.call(deregister, rp.remote_connect_domain_event_callback_deregister_any_args(wanted))
    assert is_error(err) and f"callback {wanted} not registered" in err.message
    c.close()


def test_client_that_never_reads_is_dropped(shared_pyvirtd: DaemonProcess) -> None:
    reader, hog = RawClient(shared_pyvirtd.socket), RawClient(shared_pyvirtd.socket)
    reader.open()
    hog.open()
    calls = b"".join(hog.packet(rp.REMOTE_PROC_CONNECT_GET_CAPABILITIES) for _ in range(16000))  # ~45 MiB of replies
    hog.sock.settimeout(120)
    try:
        hog.send(calls)
    except (BrokenPipeError, ConnectionResetError):
        pass
    deadline = time.monotonic() + 120
    while "left unread" not in shared_pyvirtd.stderr() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "left unread" in shared_pyvirtd.stderr()
    assert _alive(reader)
    reader.close()
    hog.close()


def test_socket_group(tmp_path: Path) -> None:
    import grp

    try:
        gid = grp.getgrnam("nogroup").gr_gid
    except KeyError:
        pytest.skip("no group 'nogroup' on this host")
    with DaemonProcess(tmp_path / "node", {"unix_sock_group": "nogroup"}) as d:
        assert {os.stat(p).st_gid for p in (d.socket, d.socket_ro, d.socket_admin)} == {gid}


def test_unknown_socket_group_refuses_to_start(tmp_path: Path) -> None:
    d = DaemonProcess(tmp_path / "node", {"unix_sock_group": "no-such-group-here"})
    with pytest.raises(RuntimeError, match="unix_sock_group 'no-such-group-here' is no group on this host"):
        d.start()
    assert d.proc is not None and d.proc.returncode == 1
    assert d.leftovers() == []


def test_repeated_sigterm_still_stops_cleanly(tmp_path: Path) -> None:
    for attempt in range(3):
        d = DaemonProcess(tmp_path / f"node{attempt}").start()
        assert d.proc is not None
        deadline = time.monotonic() + 30
        while d.proc.poll() is None and time.monotonic() < deadline:
            d.proc.send_signal(signal.SIGTERM)  # impatient: again and again until it is gone
            time.sleep(0.001)
        assert d.proc.wait() == 0
        assert d.leftovers() == []


def test_a_test_daemon_cannot_be_started_twice(tmp_path: Path) -> None:
    """Starting a running DaemonProcess again would orphan the first daemon (stop() knows only
    the last), which is how documentation tests once left daemons running after the suite."""
    with DaemonProcess(tmp_path / "node") as daemon:
        assert daemon.proc is not None
        first = daemon.proc.pid
        with pytest.raises(RuntimeError, match="already running"):
            daemon.start()
        assert daemon.proc.pid == first
    assert daemon.proc.poll() is not None
