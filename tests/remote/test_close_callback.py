"""The close callback (libvirt's virConnectRegisterCloseCallback) against a real pyvirtd.

The far side is killed (SIGKILL: end of file), or stopped (SIGSTOP: the socket stays open, only
keepalive can tell), or the application closes the connection itself; the callback is told
once, with libvirt's reason, and python3-libvirt, run against the same daemon in the same way,
is told the same reason.  The rules of registration are libvirt's; in-process drivers never
lose their connection, so their callback never runs.
"""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import pyvirt
from pyvirt import CloseReason
from pyvirt.errors import ConnectionLostError, ErrorCode, OperationInvalidError, PyvirtError, UnsupportedError
from pyvirt.types import DomainEvent

pytest.importorskip("pyvirt_daemon", reason="pyvirtd (the daemon/ distribution) is not installed")

from pyvirt_daemon.process import DaemonProcess

SYSTEM_PYTHON = "/usr/bin/python3"
HANG_GUARD = 30.0
"""Seconds after which a wait is a failure (a hang), never a claim about speed."""

LIBVIRT_CLIENT = """
import sys, threading, libvirt
libvirt.virEventRegisterDefaultImpl()
threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)], daemon=True).start()
conn = libvirt.open(sys.argv[1])
told = threading.Event()
def closed(conn, reason, opaque):
    print("reason", reason, flush=True)
    told.set()
conn.registerCloseCallback(closed, None)
if len(sys.argv) > 2:
    conn.setKeepAlive(int(sys.argv[2]), int(sys.argv[3]))
print("ready", flush=True)
told.wait(60)
"""


class Recorder:
    """A close callback that remembers each call and the thread it ran in."""

    def __init__(self) -> None:
        self.calls: list[tuple[pyvirt.Connection, CloseReason]] = []
        self.told = threading.Event()

    def __call__(self, conn: pyvirt.Connection, reason: CloseReason) -> None:
        self.calls.append((conn, reason))
        self.told.set()

    def wait(self) -> CloseReason:
        assert self.told.wait(HANG_GUARD), "the close callback was never called"
        return self.calls[0][1]


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    proc = DaemonProcess(tmp_path / "node").start()
    try:
        yield proc
    finally:
        proc.kill()  # SIGKILL ends a stopped daemon too, and reaps it


def _hang(daemon: DaemonProcess, how: str) -> None:
    if how == "kill":
        daemon.kill()
    else:
        daemon.signal(signal.SIGSTOP)


# -- the reasons, as libvirt's client reports them ----------------------------------------------


@pytest.mark.parametrize(("how", "reason"), [("kill", CloseReason.EOF), ("stop", CloseReason.KEEPALIVE)])
def test_an_idle_connection_is_told_why_its_daemon_went_away(
    daemon: DaemonProcess, how: str, reason: CloseReason
) -> None:
    conn = pyvirt.open(daemon.uri())
    try:
        recorder = Recorder()
        conn.register_close_callback(recorder)
        if how == "stop":  # (only then: a slow daemon must not be taken for a hung one)
            assert conn.set_keepalive(0.3, 2) is True
        _hang(daemon, how)
        assert recorder.wait() is reason
        assert recorder.calls[0][0] is conn
        assert not conn.is_alive()
        with pytest.raises(ConnectionLostError):
            conn.get_version()
        assert len(recorder.calls) == 1
    finally:
        conn.close()
    assert len(recorder.calls) == 1, "closing after the loss must not tell the callback again"


@pytest.mark.needs_libvirt("bindings")
@pytest.mark.parametrize(("how", "keepalive"), [("kill", ()), ("stop", ("1", "1"))])
def test_python3_libvirt_is_told_the_same_reason_by_the_same_daemon(
    daemon: DaemonProcess, how: str, keepalive: tuple[str, ...]
) -> None:
    """The reference for the reasons above: libvirt's own client, same daemon, same event."""
    client = subprocess.Popen(
        [SYSTEM_PYTHON, "-c", LIBVIRT_CLIENT, daemon.uri(), *keepalive], stdout=subprocess.PIPE, text=True
    )
    try:
        assert client.stdout is not None
        assert client.stdout.readline().strip() == "ready"
        _hang(daemon, how)
        out, _ = client.communicate(timeout=HANG_GUARD * 2)
    finally:
        client.kill()
        client.wait()
    expected = CloseReason.EOF if how == "kill" else CloseReason.KEEPALIVE
    assert out.split() == ["reason", str(int(expected))]


def test_closing_tells_the_callback_client_before_close_returns(daemon: DaemonProcess) -> None:
    conn = pyvirt.open(daemon.uri())
    recorder = Recorder()
    conn.register_close_callback(recorder)
    conn.close()
    assert [reason for _, reason in recorder.calls] == [CloseReason.CLIENT]
    conn.close()
    assert len(recorder.calls) == 1


def test_events_that_arrived_before_the_end_are_delivered_before_the_callback(daemon: DaemonProcess) -> None:
    """The event callback is held up while the daemon dies: the close callback still comes
    after it, never beside or before it."""
    conn = pyvirt.open(daemon.uri())
    order: list[str] = []
    first_event = threading.Event()
    release = threading.Event()

    def on_event(event: DomainEvent) -> None:
        first_event.set()
        assert release.wait(HANG_GUARD)
        order.append(f"event {event.domain.name}")

    def on_close(_conn: pyvirt.Connection, reason: CloseReason) -> None:
        order.append(f"closed {reason.name}")

    try:
        conn.domain_event_register(on_event)
        conn.register_close_callback(on_close)
        with pyvirt.open(daemon.uri()) as other:
            other.lookup_domain_by_name("test").suspend()
        assert first_event.wait(HANG_GUARD)
        daemon.kill()
        with pytest.raises(ConnectionLostError):
            conn.get_version()
        assert order == [], "the close callback ran while an earlier event was still being handled"
        release.set()
        for _ in range(int(HANG_GUARD * 10)):
            if len(order) == 2:
                break
            threading.Event().wait(0.1)
        assert order == ["event test", "closed EOF"]
    finally:
        release.set()
        conn.close()


def test_a_failing_callback_is_logged_and_the_connection_still_fails_cleanly(daemon: DaemonProcess) -> None:
    conn = pyvirt.open(daemon.uri())

    def broken(_conn: pyvirt.Connection, _reason: CloseReason) -> None:
        raise RuntimeError("application bug")

    try:
        conn.register_close_callback(broken)
        daemon.kill()
        with pytest.raises(ConnectionLostError):
            conn.get_version()
        with pytest.raises(ConnectionLostError):
            conn.list_domains()
    finally:
        conn.close()


# -- libvirt's registration rules -------------------------------------------------------------


def test_one_callback_per_connection_and_only_it_can_be_unregistered(daemon: DaemonProcess) -> None:
    conn = pyvirt.open(daemon.uri())
    first, second = Recorder(), Recorder()
    try:
        conn.register_close_callback(first)
        with pytest.raises(OperationInvalidError, match="A close callback is already registered"):
            conn.register_close_callback(second)
        with pytest.raises(OperationInvalidError, match="A different callback was requested"):
            conn.unregister_close_callback(second)
        conn.unregister_close_callback(first)
        conn.register_close_callback(second)  # free again
        conn.unregister_close_callback(second)
        daemon.kill()
        with pytest.raises(ConnectionLostError):
            conn.get_version()
        assert first.calls == [] and second.calls == [], "an unregistered callback was called"
    finally:
        conn.close()


def test_after_the_loss_the_spent_callback_unregisters_and_a_new_one_is_refused(daemon: DaemonProcess) -> None:
    conn = pyvirt.open(daemon.uri())
    spent, late = Recorder(), Recorder()
    try:
        conn.register_close_callback(spent)
        daemon.kill()
        assert spent.wait() is CloseReason.EOF
        conn.unregister_close_callback(spent)  # as libvirt: the callback stays registered, spent
        with pytest.raises(ConnectionLostError, match="link ended"):
            conn.register_close_callback(late)
        assert late.calls == []
    finally:
        conn.close()
    with pytest.raises(PyvirtError, match="invalid connection") as raised:
        conn.register_close_callback(late)
    assert raised.value.code == ErrorCode.INVALID_CONN


def test_in_process_drivers_accept_the_callback_and_never_call_it() -> None:
    """As libvirt's test driver: registration works, nothing is ever lost, closing is silent;
    keepalive is refused with libvirt's words (virsh prints them for ``-k`` on test:///)."""
    conn = pyvirt.open("test:///default")
    recorder = Recorder()
    conn.register_close_callback(recorder)
    with pytest.raises(UnsupportedError) as refused:
        conn.set_keepalive(5, 6)
    assert str(refused.value) == "this function is not supported by the connection driver: virConnectSetKeepAlive"
    assert refused.value.code == ErrorCode.NO_SUPPORT
    conn.close()
    assert recorder.calls == []


def test_the_docs_example_runs(daemon: DaemonProcess, capsys: pytest.CaptureFixture[str]) -> None:
    """docs/remote.md's close-callback example, run against pyvirtd, prints what it says."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "remote.md").read_text()
    section = doc.split("## When the connection ends: the close callback", 1)[1]
    example = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace = {"pyvirt": pyvirt, "uri": daemon.uri()}
    exec(example, namespace)
    conn = namespace["conn"]
    assert isinstance(conn, pyvirt.Connection)
    try:
        daemon.kill()
        with pytest.raises(ConnectionLostError):
            conn.get_version()
        printed = ""
        for _ in range(int(HANG_GUARD * 10)):
            printed += capsys.readouterr().out
            if printed:
                break
            threading.Event().wait(0.1)
        assert printed == f"lost {conn.uri}: EOF\n"
    finally:
        conn.close()
