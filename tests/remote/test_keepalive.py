"""Client keepalive, configurable as libvirt's virConnectSetKeepAlive and virsh's ``-k``/``-K``.

Against a real pyvirtd that is stopped with SIGSTOP (its socket stays open, so only keepalive
can tell it is gone): the values the application sets are the ones the client then applies,
``interval <= 0`` turns the pings off, ``count == 0`` gives up after one silent interval.
pyvirsh's options give virsh's output, status and errors, compared with real virsh.
"""

from __future__ import annotations

import importlib.util
import math
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import pyvirt
from pyvirt.errors import ConnectionLostError, InternalError, InvalidArgumentError

pytest.importorskip("pyvirt_daemon", reason="pyvirtd (the daemon/ distribution) is not installed")

from pyvirt_daemon.process import DaemonProcess

REPO = Path(__file__).resolve().parents[2]
PYVIRSH = [sys.executable, "-m", "pyvirt.cli"]
HANG_GUARD = 30.0
"""Seconds after which a wait is a failure (a hang), never a claim about speed."""


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    proc = DaemonProcess(tmp_path / "node").start()
    try:
        yield proc
    finally:
        proc.kill()  # SIGKILL ends a stopped daemon too, and reaps it


def _call_while_stopped(conn: pyvirt.Connection, daemon: DaemonProcess) -> BaseException | None:
    """Make a call to the stopped daemon; what it raised (None: it is still waiting)."""
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            conn.get_version()
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=call, daemon=True)
    daemon.signal(signal.SIGSTOP)
    try:
        worker.start()
        worker.join(HANG_GUARD)
    finally:
        daemon.signal(signal.SIGCONT)
    worker.join(HANG_GUARD)
    return outcome[0] if outcome else None


@pytest.mark.parametrize(("interval", "count"), [(0.4, 2), (0.3, 0)])
def test_the_values_set_are_the_ones_that_find_a_stopped_daemon_dead(
    daemon: DaemonProcess, interval: float, count: int
) -> None:
    """Opened with the defaults (5 s x 5), then set shorter: a call to the stopped daemon fails
    with the new values in its message, and the application's close callback hears KEEPALIVE."""
    conn = pyvirt.open(daemon.uri())
    reasons: list[pyvirt.CloseReason] = []
    told = threading.Event()

    def on_close(_conn: pyvirt.Connection, reason: pyvirt.CloseReason) -> None:
        reasons.append(reason)
        told.set()

    try:
        assert conn.set_keepalive(interval, count) is True
        conn.register_close_callback(on_close)
        raised = _call_while_stopped(conn, daemon)
        assert isinstance(raised, ConnectionLostError), raised
        assert f"no reply to {count} keepalive requests in {interval:g} s intervals" in str(raised)
        assert told.wait(HANG_GUARD)  # (it may run just after the waiting call woke up)
        assert reasons == [pyvirt.CloseReason.KEEPALIVE]
    finally:
        conn.close()


def test_interval_zero_stops_the_pings(daemon: DaemonProcess) -> None:
    """With pings off, a daemon stopped for many times the old window is not declared dead,
    and carries on once it runs again."""
    conn = pyvirt.open(daemon.uri())
    try:
        assert conn.set_keepalive(0.1, 1) is True
        assert conn.set_keepalive(0, 0) is True
        daemon.signal(signal.SIGSTOP)
        try:
            time.sleep(2.0)  # twenty times the window set first, which pings off must not apply
            assert conn.is_alive()
        finally:
            daemon.signal(signal.SIGCONT)
        assert conn.get_type() == "TEST"
    finally:
        conn.close()


def test_pings_turned_on_again_find_a_stopped_daemon_dead(daemon: DaemonProcess) -> None:
    """Off, idle for a while (the background reader then has no deadline), on again: the new
    schedule applies without waiting for the daemon to say anything first."""
    conn = pyvirt.open(daemon.uri())
    try:
        assert conn.set_keepalive(0, 0) is True
        time.sleep(0.5)
        assert conn.set_keepalive(0.3, 1) is True
        raised = _call_while_stopped(conn, daemon)
        assert isinstance(raised, ConnectionLostError), raised
        assert "no reply to 1 keepalive requests in 0.3 s intervals" in str(raised)
    finally:
        conn.close()


def test_bad_values_are_refused_and_the_connection_stays_usable(daemon: DaemonProcess) -> None:
    with pyvirt.open(daemon.uri()) as conn:
        with pytest.raises(InvalidArgumentError, match="count -1"):
            conn.set_keepalive(5, -1)
        for interval in (math.inf, math.nan, 3e6):
            with pytest.raises(InternalError, match="too large"):
                conn.set_keepalive(interval, 5)
        assert conn.get_type() == "TEST"


def test_aio_sets_the_same_keepalive(daemon: DaemonProcess) -> None:
    import asyncio

    import pyvirt.aio

    async def scenario() -> None:
        conn = await pyvirt.aio.open(daemon.uri())
        try:
            assert await conn.set_keepalive(0.3, 1) is True
            daemon.signal(signal.SIGSTOP)
            try:
                with pytest.raises(ConnectionLostError, match=r"no reply to 1 keepalive requests in 0\.3 s"):
                    await asyncio.wait_for(conn.get_version(), HANG_GUARD)
            finally:
                daemon.signal(signal.SIGCONT)
        finally:
            await conn.close()

    asyncio.run(scenario())


def _fakeserver() -> ModuleType:
    """core's scripted protocol server (its SUPPORTS_FEATURE says no to everything)."""
    if "fakeserver" in sys.modules:
        return sys.modules["fakeserver"]
    spec = importlib.util.spec_from_file_location("fakeserver", REPO / "core" / "tests" / "remote" / "fakeserver.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fakeserver"] = module
    spec.loader.exec_module(module)
    return module


def test_a_server_without_keepalive_gives_false_as_libvirt_gives_1(tmp_path: Path) -> None:
    server = _fakeserver().FakeServer(tmp_path / "fake.sock")
    try:
        with pyvirt.open(server.uri) as conn:
            assert conn.set_keepalive(5, 6) is False
            assert conn.get_type() == "FAKE"
    finally:
        server.stop()


# -- pyvirsh's -k / -K, compared with virsh ------------------------------------------------------

OPTION_CASES = [
    ["-k", "5", "-c", "test:///default", "list"],
    ["-K", "3", "-c", "test:///default", "list"],
    ["-k", "0", "-c", "test:///default", "list"],
    ["-k", "0", "-K", "9", "-c", "test:///default", "hostname"],
    ["-k5", "-c", "test:///default", "hostname"],
    ["-k", "0x10", "-c", "test:///default", "hostname"],
    ["-k", " 7", "-c", "test:///default", "hostname"],
    ["-k", "08", "list"],
    ["-k", "abc", "list"],
    ["--keepalive-interval=abc", "list"],
    ["--keepalive-interval", "-1", "list"],
    ["-k", "-1", "list"],
    ["--keepalive-count=-2", "list"],
    ["-K", "99999999999", "list"],
    ["-k"],
    ["--keepalive-count"],
    ["-rk", "0", "-c", "test:///default", "hostname"],
]


def _run(argv: list[str]) -> tuple[int, str, str]:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=_env())
    return done.returncode, done.stdout, done.stderr


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env.pop("LIBVIRT_DEFAULT_URI", None)
    env.pop("PYVIRT_DEFAULT_URI", None)
    return env


@pytest.mark.needs_libvirt("virsh")
@pytest.mark.parametrize("args", OPTION_CASES, ids=" ".join)
def test_keepalive_options_behave_as_virshs(args: list[str]) -> None:
    assert _run([*PYVIRSH, *args]) == _run(["virsh", *args])


@pytest.mark.needs_libvirt("virsh")
@pytest.mark.parametrize("args", [["-k", "1", "-K", "1"], ["-k", "0"], ["-K", "2"], []], ids=" ".join)
def test_virsh_and_pyvirsh_keep_a_pyvirtd_connection_alive_alike(daemon: DaemonProcess, args: list[str]) -> None:
    command = [*args, "-c", daemon.uri(), "list", "--all"]
    pyvirsh = _run([*PYVIRSH, *command])
    assert pyvirsh == _run(["virsh", *command])
    assert pyvirsh[0] == 0 and " test " in pyvirsh[1]


def test_pyvirsh_with_keepalive_finds_a_stopped_daemon_dead(daemon: DaemonProcess) -> None:
    """``-k 1 -K 1``: a command waiting on the stopped daemon ends with an error instead of
    hanging (virsh would wait for the same reason, keepalive)."""
    with pyvirt.open(daemon.uri()) as conn:
        hostname = conn.get_hostname()
    proc = subprocess.Popen(
        [*PYVIRSH, "-k", "1", "-K", "1", "-c", daemon.uri()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("hostname\n")
        proc.stdin.flush()
        while proc.stdout.readline().strip() != hostname:  # connected, keepalive set
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        daemon.signal(signal.SIGSTOP)
        proc.stdin.write("list\nquit\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=HANG_GUARD * 2)
    finally:
        daemon.signal(signal.SIGCONT)
        proc.kill()
        proc.wait()
    assert "no reply to 1 keepalive requests in 1 s intervals" in err, (out, err)
