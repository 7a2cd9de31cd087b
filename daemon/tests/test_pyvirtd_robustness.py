"""The daemon under abuse and load: fuzzed packets never crash it or leak descriptors, other
clients are unaffected, and many concurrent clients get every answer."""

from __future__ import annotations

import os
import socket
import struct
import threading
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyvirtd_helpers import RawClient, is_error

from pyvirt.rpc import keepalive_protocol as kp
from pyvirt.rpc import remote_protocol as rp
from pyvirt_daemon.process import DaemonProcess

PROGRAMS = st.sampled_from([rp.REMOTE_PROGRAM, kp.KEEPALIVE_PROGRAM, 0x06900690, 0, 0xFFFFFFFF])
PROCS = st.one_of(st.sampled_from(sorted(rp.PROCEDURES)), st.integers(-(2**31), 2**31 - 1))


@st.composite
def packets(draw: st.DrawFn) -> bytes:
    """Mostly well-framed packets with any header and payload; sometimes a lying length word."""
    header = struct.pack(
        ">IIiiIi",
        draw(PROGRAMS),
        draw(st.sampled_from([1, 1, 1, 0, 2])),
        draw(PROCS),
        draw(st.integers(-1, 8)),
        draw(st.integers(0, 2**32 - 1)),
        draw(st.integers(-1, 3)),
    )
    payload = draw(st.binary(max_size=200))
    length = 4 + len(header) + len(payload)
    length = draw(st.one_of(st.just(length), st.integers(0, 2**32 - 1)))
    return struct.pack(">I", length) + header + payload


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _exchange(path: Path, data: bytes) -> None:
    """Send ``data`` and read whatever comes back until the daemon pauses or closes."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(0.3)
        s.connect(os.fspath(path))
        try:
            s.sendall(data)
            while s.recv(65536):
                pass
        except (TimeoutError, ConnectionError):
            pass


def test_fuzzed_packets(shared_pyvirtd: DaemonProcess) -> None:
    assert shared_pyvirtd.proc is not None
    pid = shared_pyvirtd.proc.pid
    witness = RawClient(shared_pyvirtd.socket)
    witness.open()
    baseline = _fds(pid)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(packets(), min_size=1, max_size=4), st.sampled_from(["rw", "ro"]))
    def one(frames: list[bytes], which: str) -> None:
        path = shared_pyvirtd.socket if which == "rw" else shared_pyvirtd.socket_ro
        _exchange(path, b"".join(frames))

    one()
    assert shared_pyvirtd.proc.poll() is None, shared_pyvirtd.stderr()
    assert not is_error(witness.call(rp.REMOTE_PROC_CONNECT_GET_VERSION))
    # connections the daemon dropped or that closed are all released
    for _ in range(50):
        if _fds(pid) <= baseline:
            break
        threading.Event().wait(0.1)
    assert _fds(pid) <= baseline
    assert "Traceback" not in shared_pyvirtd.stderr()
    witness.close()


def test_many_concurrent_clients(shared_pyvirtd: DaemonProcess) -> None:
    assert shared_pyvirtd.proc is not None
    pid = shared_pyvirtd.proc.pid
    baseline = _fds(pid)
    failures: list[str] = []
    counts: list[int] = []

    def client() -> None:
        try:
            c = RawClient(shared_pyvirtd.socket, timeout=60)
            c.open()
            done = 0
            for _ in range(100):
                ret = c.call(rp.REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME, rp.remote_domain_lookup_by_name_args("test"))
                if is_error(ret) or ret.dom.name != "test":
                    failures.append(repr(ret))
                done += 1
            c.close()
            counts.append(done)
        except Exception as exc:
            failures.append(repr(exc))

    threads = [threading.Thread(target=client) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert failures == []
    assert sum(counts) == 4000
    for _ in range(50):
        if _fds(pid) <= baseline:
            break
        threading.Event().wait(0.1)
    assert _fds(pid) <= baseline
