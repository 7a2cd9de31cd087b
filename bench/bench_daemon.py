"""pyvirtd next to libvirtd: round trip and calls per second, same load generator, same run.

    .venv/bin/python bench/bench_daemon.py [--seconds 3] [--clients 1,8,64]

Starts a pyvirtd in a private root and a private libvirtd 9.0 (the helpers the tests use:
``DaemonProcess`` and the checkout conftest's ``ReferenceLibvirtd``, test driver only; libvirtd
is skipped, with a note, when it is not installed or this is not root) and measures, on each:

* round trip: one client, one getVersion (or lookupByName) call at a time, median and p99;
* calls/s with N clients, each a connection of its own doing one call at a time (as real
  clients do), spread over worker processes so the load generator is not the bottleneck.

``--stacks`` instead compares the whole stacks, client library included: pyvirt's remote driver
against pyvirtd next to python3-libvirt against libvirtd (open, getVersion and lookupByName
round trips, client CPU per call), both daemons up at once and the two sides alternating round
by round (``bench_remote``'s worker, ``--rounds`` rounds of ``--seconds`` each).

Both daemons serve ``test:///default`` and see the same raw-socket client (pyvirt's own codec),
so the figures compare the daemons, not the client libraries.  The run is bounded: every
phase lasts ``--seconds``.  Prints a table and the ratios pyvirtd/libvirtd.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pyvirt.rpc import remote_protocol as rp
from pyvirt.rpc.message import FrameReader, Header, MessageType, Status, pack_message
from pyvirt_daemon.process import DaemonProcess

CHECKOUT = Path(__file__).resolve().parents[1]
GET_VERSION = rp.REMOTE_PROC_CONNECT_GET_VERSION
LOOKUP = rp.REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME


class Conn:
    """A minimal blocking client: open test:///default, then one call at a time."""

    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.reader = FrameReader()
        self.serial = 0
        self.call(rp.REMOTE_PROC_CONNECT_OPEN, rp.remote_connect_open_args("test:///default", 0))

    def packet(self, proc: int, value: Any = None) -> bytes:
        self.serial += 1
        entry = rp.PROCEDURES[proc]
        codec = entry.args if value is not None else None
        return pack_message(Header(rp.REMOTE_PROGRAM, 1, proc, MessageType.CALL, self.serial, Status.OK), codec, value)

    def call(self, proc: int, value: Any = None) -> None:
        self.send_packet(self.packet(proc, value))

    def send_packet(self, packet: bytes) -> None:
        self.sock.sendall(packet)
        while True:
            frames = self.reader.feed(self.sock.recv(65536))
            if frames:
                header = frames[-1][0]
                if header.status != Status.OK:
                    raise RuntimeError(f"call {header.proc} failed")
                return

    def close(self) -> None:
        self.sock.close()


def round_trips(path: str, proc: int, seconds: float) -> list[float]:
    conn = Conn(path)
    arg = rp.remote_domain_lookup_by_name_args("test") if proc == LOOKUP else None
    times: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        packet = conn.packet(proc, arg)
        start = time.perf_counter()
        conn.send_packet(packet)
        times.append(time.perf_counter() - start)
    conn.close()
    return times


def opens(path: str, seconds: float) -> list[float]:
    """Connect, CONNECT_OPEN test:///default, CONNECT_CLOSE, disconnect: what opening costs."""
    times: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        conn = Conn(path)
        conn.call(rp.REMOTE_PROC_CONNECT_CLOSE)
        conn.close()
        times.append(time.perf_counter() - start)
    return times


def _worker(path: str, clients: int, seconds: float, start_at: float, out: Any) -> None:
    """``clients`` connections in one process, each with one call in flight, driven by select."""
    import selectors

    conns = [Conn(path) for _ in range(clients)]
    sel = selectors.DefaultSelector()
    for c in conns:
        sel.register(c.sock, selectors.EVENT_READ, c)
    while time.time() < start_at:
        time.sleep(0.001)
    end = time.perf_counter() + seconds
    calls = 0
    for c in conns:
        c.sock.sendall(c.packet(GET_VERSION))
    while time.perf_counter() < end:
        for key, _ in sel.select(0.5):
            c = key.data
            frames = c.reader.feed(c.sock.recv(65536))
            for _frame in frames:
                calls += 1
                c.sock.sendall(c.packet(GET_VERSION))
    out.put(calls)
    for c in conns:
        c.close()


def _load_worker(path: str, clients: int, calls_each: int, out: Any) -> None:
    """``clients`` connections, each making ``calls_each`` lookups one after the other."""
    import selectors

    conns = [Conn(path) for _ in range(clients)]
    sel = selectors.DefaultSelector()
    left = {}
    arg = rp.remote_domain_lookup_by_name_args("test")
    for c in conns:
        sel.register(c.sock, selectors.EVENT_READ, c)
        left[c] = calls_each
        c.sock.sendall(c.packet(LOOKUP, arg))
    calls = errors = 0
    while left:
        for key, _ in sel.select(10):
            c = key.data
            for header, _payload in c.reader.feed(c.sock.recv(65536)):
                calls += 1
                errors += header.status != Status.OK
                left[c] -= 1
                if left[c]:
                    c.sock.sendall(c.packet(LOOKUP, arg))
                else:
                    del left[c]
                    sel.unregister(c.sock)
                    c.close()
    out.put((calls, errors))


def load(path: str, daemon_pid: int, clients: int, total: int, processes: int) -> dict[str, float]:
    """The issue's load run: ``clients`` concurrent clients making ``total`` calls in all."""
    before_fds, before_rss = _fds(daemon_pid), _rss_kib(daemon_pid)
    queue: Any = multiprocessing.Queue()
    per_process = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    calls_each = total // clients
    start = time.perf_counter()
    workers = [multiprocessing.Process(target=_load_worker, args=(path, n, calls_each, queue)) for n in per_process]
    for w in workers:
        w.start()
    results = [queue.get(timeout=600) for _ in workers]
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    time.sleep(1)  # let the daemon see every disconnect
    return {
        "clients": clients,
        "calls": sum(r[0] for r in results),
        "errors": sum(r[1] for r in results),
        "seconds": elapsed,
        "calls/s": sum(r[0] for r in results) / elapsed,
        "fds before": before_fds,
        "fds after": _fds(daemon_pid),
        "rss KiB before": before_rss,
        "rss KiB after": _rss_kib(daemon_pid),
    }


def defines(path: str, daemon_pid: int, count: int) -> dict[str, float]:
    """Define ``count`` domains one after the other, then undefine them: time per define and the
    daemon's RSS before, with them, and after (libvirtd: ~262 us and ~3.1 KiB per domain)."""
    conn = Conn(path)
    rss = [_rss_kib(daemon_pid)]
    refs = []
    start = time.perf_counter()
    for i in range(count):
        xml = f"<domain type='test'><name>bench-{i}</name><memory>65536</memory><os><type>hvm</type></os></domain>"
        conn.send_packet(conn.packet(rp.REMOTE_PROC_DOMAIN_DEFINE_XML, rp.remote_domain_define_xml_args(xml)))
        refs.append(f"bench-{i}")
    per_define = (time.perf_counter() - start) / count
    rss.append(_rss_kib(daemon_pid))
    for name in refs:
        lookup = conn.packet(LOOKUP, rp.remote_domain_lookup_by_name_args(name))
        conn.sock.sendall(lookup)
        frames: list[tuple[Header, bytes]] = []
        while not frames:
            frames = conn.reader.feed(conn.sock.recv(65536))
        dom = rp.PROCEDURES[LOOKUP].ret.decode(frames[-1][1], 0)[0].dom  # type: ignore[union-attr]
        conn.send_packet(conn.packet(rp.REMOTE_PROC_DOMAIN_UNDEFINE, rp.remote_domain_undefine_args(dom)))
    rss.append(_rss_kib(daemon_pid))
    conn.close()
    return {
        "domains": count,
        "define us": per_define * 1e6,
        "rss KiB before": rss[0],
        "rss KiB defined": rss[1],
        "KiB per domain": (rss[1] - rss[0]) / count,
        "rss KiB undefined": rss[2],
    }


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def throughput(path: str, clients: int, seconds: float, processes: int) -> float:
    processes = max(1, min(processes, clients))
    share = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    queue: Any = multiprocessing.Queue()
    start_at = time.time() + 0.5 + 0.02 * clients
    workers = [multiprocessing.Process(target=_worker, args=(path, n, seconds, start_at, queue)) for n in share if n]
    for w in workers:
        w.start()
    total: int = sum(queue.get(timeout=seconds + 60) for _ in workers)
    for w in workers:
        w.join()
    return total / seconds


def cpu_per_call(path: str, pid: int, calls: int = 20000) -> float:
    """The daemon's own CPU time (all threads) per getVersion, in us: unlike wall-clock
    figures it barely moves when other processes load the machine."""
    conn = Conn(path)
    packets = [conn.packet(GET_VERSION) for _ in range(calls)]
    before = _cpu_seconds(pid)
    for packet in packets:
        conn.send_packet(packet)
    used = _cpu_seconds(pid) - before
    conn.close()
    return used / calls * 1e6


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(name: str, path: str, pid: int, args: argparse.Namespace) -> dict[str, float]:
    result: dict[str, float] = {"daemon cpu us/call": cpu_per_call(path, pid)}
    for label, proc in (("getVersion", GET_VERSION), ("lookup", LOOKUP)):
        times = round_trips(path, proc, args.seconds)
        times.sort()
        result[f"rtt {label} median us"] = statistics.median(times) * 1e6
        result[f"rtt {label} p99 us"] = times[int(len(times) * 0.99)] * 1e6
    result["open+close median us"] = statistics.median(opens(path, args.seconds)) * 1e6
    for n in args.clients:
        result[f"calls/s {n} clients"] = throughput(path, n, args.seconds, args.processes)
    print(f"  measured {name}", file=sys.stderr)
    return result


@contextlib.contextmanager
def reference_libvirtd() -> Iterator[tuple[str, int] | None]:
    """A private libvirtd's read-write socket and pid, as the tests start it; None (said on
    stderr) where it cannot run."""
    sys.path.insert(0, str(CHECKOUT))
    from conftest import LIBVIRTD, ReferenceLibvirtd

    if not os.access(LIBVIRTD, os.X_OK) or os.geteuid() != 0:
        print(f"libvirtd not measured: it needs {LIBVIRTD} and root", file=sys.stderr)
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="bench-libvirtd-") as tmp:
        daemon = ReferenceLibvirtd(Path(tmp))
        daemon.start()
        try:
            yield os.fspath(daemon.socket), int((daemon.workdir / "libvirtd.pid").read_text())
        finally:
            daemon.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--clients", default="1,8,64")
    parser.add_argument("--processes", type=int, default=2, help="load generator processes")
    parser.add_argument("--defines", type=int, metavar="N", help="instead: define and undefine N domains")
    parser.add_argument(
        "--load", metavar="CLIENTSxCALLS", help="instead: the load run, e.g. 200x100000 (clients, calls in all)"
    )
    parser.add_argument("--stacks", action="store_true", help="instead: pyvirt+pyvirtd next to libvirt+libvirtd")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds of --stacks")
    args = parser.parse_args()
    args.clients = [int(n) for n in args.clients.split(",")]

    if args.load:
        return load_run(args)
    if args.stacks:
        return stacks_run(args)
    if args.defines:
        return defines_run(args)
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-pyvirtd-") as tmp:
        settings = {"log_level": "warning", "max_clients": 1000, "max_anonymous_clients": 1000}
        with DaemonProcess(Path(tmp), settings) as daemon:
            assert daemon.proc is not None
            rows["pyvirtd"] = measure("pyvirtd", os.fspath(daemon.socket), daemon.proc.pid, args)
    with reference_libvirtd() as libvirtd:
        if libvirtd is not None:
            rows["libvirtd"] = measure("libvirtd", *libvirtd, args)
    keys = [k for k in rows["pyvirtd"] if all(k in r for r in rows.values())]
    names = list(rows)
    print(f"{'':28}" + "".join(f"{n:>12}" for n in names) + ("       ratio" if len(names) == 2 else ""))
    for key in keys:
        values = [rows[n][key] for n in names]
        line = f"{key:28}" + "".join(f"{v:12.1f}" for v in values)
        if len(values) == 2 and values[1]:
            line += f"{values[0] / values[1]:12.2f}"
        print(line)
    return 0


def defines_run(args: argparse.Namespace) -> int:
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-pyvirtd-") as tmp:
        with DaemonProcess(Path(tmp), {"log_level": "warning"}) as daemon:
            assert daemon.proc is not None
            rows["pyvirtd"] = defines(os.fspath(daemon.socket), daemon.proc.pid, args.defines)
    with reference_libvirtd() as libvirtd:
        if libvirtd is not None:
            rows["libvirtd"] = defines(*libvirtd, args.defines)
    names = list(rows)
    print(f"{'':20}" + "".join(f"{n:>12}" for n in names))
    for key in rows["pyvirtd"]:
        print(f"{key:20}" + "".join(f"{rows[n][key]:12.1f}" for n in names))
    return 0


def stacks_run(args: argparse.Namespace) -> int:
    """pyvirt's client with pyvirtd next to libvirt's client with libvirtd, alternating."""
    sys.path.insert(0, str(CHECKOUT))
    from bench.bench_remote import median_of_rounds, run_side, summarise

    metrics = ("open", "getVersion", "lookupByName")
    sides = {"pyvirt+pyvirtd": "pyvirt", "libvirt+libvirtd": "libvirt"}
    rounds: dict[str, list[dict[str, Any]]] = {label: [] for label in sides}
    with tempfile.TemporaryDirectory(prefix="bench-pyvirtd-") as tmp, reference_libvirtd() as libvirtd:
        if libvirtd is None:
            return 1
        with DaemonProcess(Path(tmp), {"log_level": "warning"}) as daemon:
            uris = {"pyvirt+pyvirtd": daemon.uri(), "libvirt+libvirtd": f"test+unix:///default?socket={libvirtd[0]}"}
            for _ in range(args.rounds):
                for label, side in sides.items():
                    rounds[label].append(run_side(side, uris[label], args.seconds, None))
    figures = {
        label: {metric: median_of_rounds([summarise(run, metric) for run in runs]) for metric in metrics}
        for label, runs in rounds.items()
    }
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load: {load} (1/5/15 min); {args.rounds} rounds of {args.seconds:g} s")
    print(f"{'metric':13} {'stack':18} {'median µs':>10} {'ratio':>7} {'p99 µs':>9} {'cpu µs/call':>11}")
    for metric in metrics:
        theirs = figures["libvirt+libvirtd"][metric]["median_us"]
        for label, per_metric in figures.items():
            mine = per_metric[metric]
            cpu = "" if metric == "open" else f"{mine['cpu_us']:11.1f}"
            print(
                f"{metric:13} {label:18} {mine['median_us']:10.1f} {mine['median_us'] / theirs:6.2f}x"
                f" {mine['p99_us']:9.1f} {cpu}"
            )
    return 0


def load_run(args: argparse.Namespace) -> int:
    clients, total = (int(x) for x in args.load.split("x"))
    with tempfile.TemporaryDirectory(prefix="bench-pyvirtd-") as tmp:
        settings = {"log_level": "warning", "max_clients": clients + 10, "max_anonymous_clients": clients + 10}
        with DaemonProcess(Path(tmp), settings) as daemon:
            assert daemon.proc is not None
            result = load(os.fspath(daemon.socket), daemon.proc.pid, clients, total, args.processes)
    for key, value in result.items():
        print(f"{key:16} {value:12.1f}")
    return 1 if result["errors"] or result["fds after"] > result["fds before"] else 0


if __name__ == "__main__":
    sys.exit(main())
