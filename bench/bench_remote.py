"""pyvirt's remote driver next to libvirt's client library, against the same real libvirtd.

    .venv/bin/python bench/bench_remote.py [--seconds 2] [--rounds 5] [--json]

Starts a private libvirtd 9.0 (the suite's ``ReferenceLibvirtd`` helper from the checkout's
``conftest.py``: test driver only, own unix socket and loopback TCP port; root needed) and
measures, for each transport, one client doing one call at a time:

* open: ``pyvirt.open`` / ``libvirt.open`` plus close, in a process that has opened once already
  (imports excluded);
* round trip: ``get_version`` / ``getVersion`` and ``lookup_domain_by_name`` / ``lookupByName``,
  median and 99th percentile of single calls, and calls per second;
* client CPU per call: the process's CPU time over the whole loop divided by the calls (what
  the client itself spends, separate from waiting for the daemon).

Sides: ``pyvirt`` (the threaded remote driver), ``aio`` (``pyvirt.aio``'s asyncio-native
remote driver, each call awaited in turn), ``libvirt``; with ``--baseline DIR`` also
``before``: pyvirt from another checkout's ``core/src`` (e.g. a ``git worktree`` of an older
commit), so a change is measured against its predecessor under the same load.

Both sides run in their own process (pyvirt in this interpreter's environment, libvirt's
bindings in ``/usr/bin/python3``), alternating round by round so machine load hits both alike;
each figure is the median over rounds.  The issue's target: pyvirt at most 1x libvirt's
round trip and open time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

CHECKOUT = Path(__file__).resolve().parents[1]
SYSTEM_PYTHON = "/usr/bin/python3"

WORKER = r"""
import json, sys, time
uri, seconds, side = sys.argv[1], float(sys.argv[2]), sys.argv[3]
if side == "aio":
    import asyncio, pyvirt.aio
    async def main():
        await (await pyvirt.aio.open(uri)).close()
        opens = []
        end = time.perf_counter() + seconds / 3
        while time.perf_counter() < end:
            t = time.perf_counter(); await (await pyvirt.aio.open(uri)).close(); opens.append(time.perf_counter() - t)
        conn = await pyvirt.aio.open(uri)
        out = {"open": opens, "cpu": {}}
        lookup = lambda: conn.lookup_domain_by_name("test")
        for name, fn in (("getVersion", conn.get_version), ("lookupByName", lookup)):
            times = []
            end = time.perf_counter() + seconds / 3
            cpu = time.process_time()
            while time.perf_counter() < end:
                t = time.perf_counter(); await fn(); times.append(time.perf_counter() - t)
            out["cpu"][name] = (time.process_time() - cpu) / len(times)
            out[name] = times
        await conn.close()
        print(json.dumps(out))
    asyncio.run(main())
    raise SystemExit(0)
if side in ("pyvirt", "before"):
    import pyvirt
    def connect(): return pyvirt.open(uri)
    version = lambda c: c.get_version()
    lookup = lambda c: c.lookup_domain_by_name("test")
else:
    import libvirt
    def connect(): return libvirt.open(uri)
    version = lambda c: c.getVersion()
    lookup = lambda c: c.lookupByName("test")
connect().close()  # imports and first-open costs out of the way
opens = []
end = time.perf_counter() + seconds / 3
while time.perf_counter() < end:
    t = time.perf_counter(); connect().close(); opens.append(time.perf_counter() - t)
conn = connect()
out = {"open": opens, "cpu": {}}
for name, fn in (("getVersion", version), ("lookupByName", lookup)):
    times = []
    end = time.perf_counter() + seconds / 3
    cpu = time.process_time()
    while time.perf_counter() < end:
        t = time.perf_counter(); fn(conn); times.append(time.perf_counter() - t)
    out["cpu"][name] = (time.process_time() - cpu) / len(times)
    out[name] = times
conn.close()
print(json.dumps(out))
"""


def run_side(side: str, uri: str, seconds: float, baseline: Path | None) -> dict[str, Any]:
    python = SYSTEM_PYTHON if side == "libvirt" else sys.executable
    env = dict(os.environ)
    if side == "before" and baseline is not None:
        env["PYTHONPATH"] = str(baseline / "core" / "src")
    proc = subprocess.run(
        [python, "-c", WORKER, uri, str(seconds), side], capture_output=True, text=True, timeout=120, env=env
    )
    if proc.returncode != 0:
        raise SystemExit(f"the {side} side failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def summarise(run: dict[str, Any], metric: str) -> dict[str, float]:
    ordered = sorted(run[metric])
    return {
        "median_us": statistics.median(ordered) * 1e6,
        "p99_us": ordered[int(len(ordered) * 0.99) - 1] * 1e6,
        "calls_per_s": len(ordered) / sum(ordered),
        "cpu_us": run["cpu"].get(metric, float("nan")) * 1e6,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one round per side")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--baseline", type=Path, help="another checkout whose pyvirt runs as the 'before' side")
    options = parser.parse_args()
    sides = ["pyvirt", "aio", "libvirt"] + (["before"] if options.baseline else [])

    sys.path.insert(0, str(CHECKOUT))
    from conftest import ReferenceLibvirtd  # the same daemon helper the tests use

    results: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-remote-") as workdir:
        daemon = ReferenceLibvirtd(Path(workdir))
        daemon.start()
        try:
            for transport in ("unix", "tcp"):
                uri = daemon.uri(transport)
                rounds: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
                for _ in range(options.rounds):
                    for side in rounds:
                        rounds[side].append(run_side(side, uri, options.seconds, options.baseline))
                results[transport] = {
                    side: {
                        metric: median_of_rounds([summarise(r, metric) for r in per_round])
                        for metric in ("open", "getVersion", "lookupByName")
                    }
                    for side, per_round in rounds.items()
                }
        finally:
            daemon.stop()
    if options.json:
        print(json.dumps(results, indent=2))
    else:
        _print_table(results)
    return 0


def median_of_rounds(summaries: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(s[key] for s in summaries) for key in summaries[0]}


def _print_table(results: dict[str, Any]) -> None:
    print(f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)")
    print(f"{'transport':9} {'metric':13} {'side':8} {'median µs':>10} {'vs libvirt':>10}", end="")
    print(f" {'p99 µs':>9} {'calls/s':>8} {'cpu µs/call':>11}")
    for transport, sides in results.items():
        for metric in ("open", "getVersion", "lookupByName"):
            theirs = sides["libvirt"][metric]["median_us"]
            for side, figures in sides.items():
                mine = figures[metric]
                cpu = "" if metric == "open" else f"{mine['cpu_us']:11.1f}"
                print(
                    f"{transport:9} {metric:13} {side:8} {mine['median_us']:10.1f} {mine['median_us'] / theirs:9.2f}x "
                    f"{mine['p99_us']:9.1f} {mine['calls_per_s']:8.0f} {cpu}"
                )


if __name__ == "__main__":
    sys.exit(main())
