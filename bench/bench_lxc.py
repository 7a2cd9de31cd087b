"""Start and destroy of a busybox container: pyvirt's LXC driver next to libvirt's.

    .venv/bin/python bench/bench_lxc.py [--runs 15]

Both run the same container: the same busybox-static root filesystem, 64 MiB, ``/bin/sh -c
'exec sleep 100000'`` as init, no network.  Timed:

* start -> running: from the start call until it returns (both return once the init runs);
* destroy -> shut off: from the destroy call until it returns with the container gone.

pyvirt runs in-process on a fresh ``lxc:///embed`` root; libvirt is the real libvirtd serving
``lxc:///system`` (``shared/tools/start-libvirtd.sh`` runs it in a mount namespace without
``/sys/fs/cgroup/unified``, which libvirt 9.0 cannot handle), driven through python3-libvirt by a
helper under /usr/bin/python3 that times its own calls.  Rounds alternate pyvirt and libvirt so
both see the same load.  Exits 1 when pyvirt's start median exceeds libvirt's, or its destroy
median exceeds half of libvirt's (the targets of issue 10).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import pyvirt
from pyvirt_lxc.testing import build_rootfs, container_xml

START_TARGET = 1.0
DESTROY_TARGET = 0.5

LIBVIRT_HELPER = r"""
import json, sys, time, libvirt
conn = libvirt.open("lxc:///system")
dom = conn.defineXML(sys.argv[1])
try:
    for line in sys.stdin:
        t = time.perf_counter()
        dom.create() if line.strip() == "start" else dom.destroy()
        print(json.dumps(time.perf_counter() - t), flush=True)
finally:
    if dom.isActive():
        dom.destroy()
    dom.undefine()
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    top = tempfile.mkdtemp(prefix="bench-lxc-")
    os.chmod(top, 0o755)
    rootfs = build_rootfs(os.path.join(top, "rootfs"))
    name = f"bench-lxc-{os.getpid()}"
    xml = container_xml(name, rootfs, args=["-c", "exec sleep 100000"])
    times: dict[str, dict[str, list[float]]] = {k: {"start": [], "destroy": []} for k in ("pyvirt", "libvirt")}
    helper = subprocess.Popen(
        ["/usr/bin/python3", "-c", LIBVIRT_HELPER, xml.replace(name, name + "-lv")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert helper.stdin is not None and helper.stdout is not None

    def libvirt(step: str) -> float:
        assert helper.stdin is not None and helper.stdout is not None
        helper.stdin.write(step + "\n")
        helper.stdin.flush()
        line = helper.stdout.readline()
        if not line:
            raise SystemExit("libvirt's helper died: is libvirtd up (shared/tools/start-libvirtd.sh)?")
        return float(json.loads(line))

    try:
        with pyvirt.open(f"lxc:///embed?root={os.path.join(top, 'root')}") as conn:
            dom = conn.define_domain(xml)
            try:
                for _ in range(args.runs):
                    t = time.perf_counter()
                    dom.start()
                    times["pyvirt"]["start"].append(time.perf_counter() - t)
                    t = time.perf_counter()
                    dom.destroy()
                    times["pyvirt"]["destroy"].append(time.perf_counter() - t)
                    times["libvirt"]["start"].append(libvirt("start"))
                    times["libvirt"]["destroy"].append(libvirt("destroy"))
            finally:
                if dom.is_active():
                    dom.destroy()
                dom.undefine()
    finally:
        helper.stdin.close()
        helper.wait(timeout=30)
        shutil.rmtree(top)
    medians = {who: {step: statistics.median(v) for step, v in steps.items()} for who, steps in times.items()}
    ok = True
    print(f"{'':10}{'pyvirt':>12}{'libvirt':>12}{'ratio':>9}{'target':>9}   ({args.runs} runs, medians)")
    for step, target in (("start", START_TARGET), ("destroy", DESTROY_TARGET)):
        mine, theirs = medians["pyvirt"][step], medians["libvirt"][step]
        ratio = mine / theirs
        ok &= ratio <= target
        print(f"{step:10}{mine * 1000:10.1f}ms{theirs * 1000:10.1f}ms{ratio:8.2f}x{target:8.2f}x")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
