"""Volume upload/download throughput through pyvirtd: pyvirt's remote driver next to
libvirt's own client (python3-libvirt) on the same daemon.

    .venv/bin/python bench/bench_streams.py [--mib 64] [--rounds 3] [--json]

Starts a private pyvirtd (``pyvirt_daemon.process.DaemonProcess``, test driver), and for each
round and side uploads ``--mib`` MiB of random bytes into a test-driver volume and downloads it
again, each side in its own process (libvirt's bindings run under ``/usr/bin/python3``), sides
alternating round by round.  Figures are MiB/s, the median over rounds; each transfer is
checked byte for byte after the timing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"

PYVIRT_SIDE = """
import hashlib, os, sys, time
import pyvirt
uri, size = sys.argv[1], int(sys.argv[2])
data = os.urandom(size)
with pyvirt.open(uri) as conn:
    vol = conn.lookup_pool_by_name("default-pool").create_volume(
        "<volume><name>bench.img</name><capacity>1</capacity></volume>")
    t = time.perf_counter()
    with vol.upload() as st:
        for i in range(0, size, 1 << 20):
            st.send(data[i:i + (1 << 20)])
    up = time.perf_counter() - t
    t = time.perf_counter()
    got = bytearray()
    with vol.download() as st:
        for chunk in st:
            got += chunk
    down = time.perf_counter() - t
    assert got == data
    vol.delete()
print(up, down)
"""

LIBVIRT_SIDE = """
import os, sys, time
import libvirt
uri, size = sys.argv[1], int(sys.argv[2])
data = os.urandom(size)
conn = libvirt.open(uri)
vol = conn.storagePoolLookupByName("default-pool").createXML(
    "<volume><name>bench.img</name><capacity>1</capacity></volume>", 0)
t = time.perf_counter()
st = conn.newStream(0)
vol.upload(st, 0, 0, 0)
for i in range(0, size, 1 << 20):
    view = data[i:i + (1 << 20)]
    while view:
        view = view[st.send(view):]
st.finish()
up = time.perf_counter() - t
t = time.perf_counter()
st = conn.newStream(0)
vol.download(st, 0, 0, 0)
got = bytearray()
while True:
    chunk = st.recv(1 << 18)
    if not chunk:
        break
    got += chunk
st.finish()
down = time.perf_counter() - t
assert got == data
vol.delete(0)
conn.close()
print(up, down)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    opts = parser.parse_args()
    from pyvirt_daemon.process import DaemonProcess

    size = opts.mib << 20
    sides = {"pyvirt": [sys.executable, "-c", PYVIRT_SIDE], "libvirt": [SYSTEM_PYTHON, "-c", LIBVIRT_SIDE]}
    times: dict[str, dict[str, list[float]]] = {side: {"upload": [], "download": []} for side in sides}
    with tempfile.TemporaryDirectory() as tmp:
        daemon = DaemonProcess(Path(tmp) / "node").start()
        try:
            for _ in range(opts.rounds):
                for side, argv in sides.items():
                    out = subprocess.run([*argv, daemon.uri(), str(size)], capture_output=True, text=True, check=True)
                    up, down = map(float, out.stdout.split())
                    times[side]["upload"].append(up)
                    times[side]["download"].append(down)
        finally:
            daemon.stop()
    result = {
        side: {what: round(opts.mib / statistics.median(values), 1) for what, values in legs.items()}
        for side, legs in times.items()
    }
    if opts.json:
        print(json.dumps({"mib": opts.mib, "mib_per_s": result}))
        return
    print(f"{opts.mib} MiB through pyvirtd (test driver), MiB/s, median of {opts.rounds} rounds")
    for side, legs in result.items():
        print(f"  {side:8} upload {legs['upload']:8.1f}   download {legs['download']:8.1f}")


if __name__ == "__main__":
    main()
