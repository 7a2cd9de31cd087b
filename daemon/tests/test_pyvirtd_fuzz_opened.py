"""Fuzzing past the open: random arguments to every real procedure, and stream packets on
serials no stream has, from a client that opened ``test:///default`` first.

The framing fuzz in ``test_pyvirtd_robustness.py`` talks to clients that never opened, so the
daemon answers most calls with "connection not open" before it decodes anything; here each
example opens first, so the argument decoders and the handlers behind them meet the garbage.
The daemon must answer or drop that client, never crash, keep no descriptor of it, and serve
the witness client throughout.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyvirtd_helpers import RawClient, is_error

from pyvirt.rpc import remote_protocol as rp
from pyvirt.rpc.message import MessageType, Status
from pyvirt_daemon.process import DaemonProcess

# Calls that would end the fuzzing client's own session or the node's test domain are still fair
# game: the daemon must survive them too.  Only the open itself is left out (it is done first).
PROCS = st.sampled_from(sorted(p for p in rp.PROCEDURES if p != rp.REMOTE_PROC_CONNECT_OPEN))


@st.composite
def frames(draw: st.DrawFn) -> tuple[int, int, int, bytes]:
    """(procedure, message type, status, payload): mostly CALLs, sometimes stream packets."""
    kind = draw(st.sampled_from([MessageType.CALL, MessageType.CALL, MessageType.STREAM]))
    status = draw(st.sampled_from([Status.OK, Status.OK, Status.ERROR, 2])) if kind == MessageType.STREAM else 0
    return draw(PROCS), int(kind), int(status), draw(st.binary(max_size=120))


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _fuzz_session(path: Path, packets: list[tuple[int, int, int, bytes]]) -> None:
    """Open, send the packets with their own serials, then read until the daemon pauses or drops us."""
    client = RawClient(path, timeout=0.3)
    try:
        client.sock.settimeout(10)
        client.open()
        client.sock.settimeout(0.3)
        data = b""
        for proc, mtype, status, payload in packets:
            header = client.packet(proc, None, mtype=mtype, status=status)
            # swap the empty body for the fuzzed one and fix the length word to match
            body = header[4:] + payload
            data += (4 + len(body)).to_bytes(4, "big") + body
        client.send(data)
        while client.sock.recv(65536):
            pass
    except (TimeoutError, ConnectionError):
        pass
    finally:
        client.close()


def test_fuzzed_calls_after_open(pyvirtd: DaemonProcess) -> None:
    assert pyvirtd.proc is not None
    pid = pyvirtd.proc.pid
    witness = RawClient(pyvirtd.socket)
    witness.open()
    baseline = _fds(pid)

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(frames(), min_size=1, max_size=5))
    def one(packets: list[tuple[int, int, int, bytes]]) -> None:
        _fuzz_session(pyvirtd.socket, packets)

    one()
    assert pyvirtd.proc.poll() is None, pyvirtd.stderr()
    assert not is_error(witness.call(rp.REMOTE_PROC_CONNECT_GET_VERSION))
    deadline = time.monotonic() + 10
    while _fds(pid) > baseline and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _fds(pid) <= baseline
    assert "Traceback" not in pyvirtd.stderr()
    witness.close()
