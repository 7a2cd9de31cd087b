"""Start and destroy of a real QEMU guest: pyvirt's QEMU driver next to libvirt's and bare QEMU.

    .venv/bin/python bench/bench_qemu.py [--runs 15]

The guest is the same for all three: diskless, 128 MiB, one vCPU, machine ``pc``, KVM when it
works here (else TCG).  Timed:

* start -> running: from the start call until the domain reports running (pyvirt's and
  libvirt's ``create`` return once QEMU runs the guest);
* destroy -> shut off: from the destroy call until the domain reports shut off.

pyvirt runs in-process on a fresh ``qemu:///embed`` root; libvirt is the real libvirtd serving
``qemu:///system`` (``shared/tools/start-libvirtd.sh``), driven through python3-libvirt under
/usr/bin/python3; the floor is ``qemu-system-x86_64 -S`` spawned here, QMP ``cont`` and ``quit``
over its monitor.  Rounds alternate pyvirt, libvirt and the floor so all see the same load.
The first start on a fresh root (capability probing included, at define) is reported apart.
Exits 1 when a pyvirt median exceeds half of libvirt's (the target of issue 9).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyvirt
from pyvirt.types import DomainState

EMULATOR = "/usr/bin/qemu-system-x86_64"
TARGET = 0.5


def accel() -> str:
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
    except OSError:
        return "qemu"
    os.close(fd)
    return "kvm"


def guest_xml(name: str, virt_type: str) -> str:
    return (
        f"<domain type='{virt_type}'><name>{name}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>"
        "<os><type arch='x86_64' machine='pc'>hvm</type></os><features><acpi/></features>"
        "<devices><memballoon model='none'/></devices></domain>"
    )


LIBVIRT_SCRIPT = r"""
import json, sys, time, libvirt
xml, runs = sys.argv[1], int(sys.argv[2])
libvirt.registerErrorHandler(lambda ctx, err: None, None)  # no stderr noise for the expected miss
conn = libvirt.open("qemu:///system")
try:
    old = conn.lookupByName("pyvirt-bench")
    if old.isActive():
        old.destroy()
    old.undefine()
except libvirt.libvirtError:
    pass
dom = conn.defineXML(xml)
for _ in range(runs):
    if not sys.stdin.readline():  # the bench stopped early
        break
    t = time.perf_counter(); dom.create(); assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
    start = time.perf_counter() - t
    t = time.perf_counter(); dom.destroy(); assert dom.state()[0] == libvirt.VIR_DOMAIN_SHUTOFF
    print(json.dumps([start, time.perf_counter() - t]), flush=True)
dom.undefine()
"""


class Libvirt:
    """A python3-libvirt child that runs one start/destroy round per line it is sent."""

    def __init__(self, virt_type: str, runs: int) -> None:
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", "-c", LIBVIRT_SCRIPT, guest_xml("pyvirt-bench", virt_type), str(runs)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def round(self) -> tuple[float, float]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        start, stop = json.loads(self.proc.stdout.readline())
        return float(start), float(stop)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(30)


def floor_round(tmp: Path, kvm: bool) -> tuple[float, float]:
    """Bare QEMU: spawn with -S, QMP handshake, ``cont``; then ``quit`` until the process is reaped."""
    path = tmp / "floor.qmp"
    path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    listener.listen(1)
    os.set_inheritable(listener.fileno(), True)
    cpu = ["-cpu", "qemu64,-pni"] if kvm else []
    argv = [
        EMULATOR, "-S", "-nodefaults", "-no-user-config", "-display", "none", "-machine", "pc",
        "-accel", "kvm" if kvm else "tcg", *cpu, "-m", "128",
        "-chardev", f"socket,id=m,fd={listener.fileno()},server=on,wait=off", "-mon", "chardev=m,mode=control",
    ]  # fmt: skip
    t = time.perf_counter()
    proc = subprocess.Popen(argv, pass_fds=[listener.fileno()], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    listener.close()
    qmp = socket.socket(socket.AF_UNIX)
    qmp.connect(str(path))
    reader = qmp.makefile("rb")

    def command(text: bytes) -> None:
        qmp.sendall(text + b"\n")
        while b'"return"' not in reader.readline():
            pass

    reader.readline()
    command(b'{"execute":"qmp_capabilities"}')
    command(b'{"execute":"cont"}')
    start = time.perf_counter() - t
    t = time.perf_counter()
    qmp.sendall(b'{"execute":"quit"}\n')
    proc.wait()
    stop = time.perf_counter() - t
    reader.close()
    qmp.close()
    return start, stop


def pyvirt_round(dom: pyvirt.Domain) -> tuple[float, float]:
    t = time.perf_counter()
    dom.start()
    assert dom.state()[0] == DomainState.RUNNING
    start = time.perf_counter() - t
    t = time.perf_counter()
    dom.destroy()
    assert dom.state()[0] == DomainState.SHUTOFF
    return start, time.perf_counter() - t


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:7.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    virt_type = accel()
    with tempfile.TemporaryDirectory(prefix="pq-bench-", dir="/tmp") as tmp:
        root = Path(tmp) / "root"
        conn = pyvirt.open(f"qemu:///embed?root={root}")
        have_libvirt = Path("/run/libvirt/libvirt-sock").exists() and Path("/usr/bin/python3").exists()
        libvirt = Libvirt(virt_type, args.runs) if have_libvirt else None
        rows: dict[str, tuple[list[float], list[float]]] = {
            "pyvirt": ([], []),
            "libvirt": ([], []),
            "bare qemu": ([], []),
        }
        try:
            t = time.perf_counter()
            dom = conn.define_domain(guest_xml("pyvirt-bench", virt_type))
            dom.start()
            first_start = time.perf_counter() - t
            dom.destroy()
            for _ in range(args.runs):
                for name, run in (
                    ("pyvirt", lambda: pyvirt_round(dom)),
                    ("libvirt", libvirt.round if libvirt else None),
                    ("bare qemu", lambda: floor_round(Path(tmp), virt_type == "kvm")),
                ):
                    if run is None:
                        continue
                    start, stop = run()
                    rows[name][0].append(start)
                    rows[name][1].append(stop)
        finally:  # no guest outlives the bench, on either side
            if libvirt:
                libvirt.close()
            for guest in conn.list_domains():
                if guest.is_active():
                    guest.destroy()
                guest.undefine()
            conn.close()
    accel_name = "kvm" if virt_type == "kvm" else "tcg"
    print(f"guest: diskless, 128 MiB, 1 vCPU, machine pc, accel {accel_name}; {args.runs} runs")
    print(f"pyvirt first define+start on a fresh root (capability probe included): {first_start * 1000:.1f} ms")
    print(f"{'':10} {'start->running':>16} {'destroy->shut off':>18}")
    for name, (starts, stops) in rows.items():
        if starts:
            print(f"{name:10} {ms(starts):>16} {ms(stops):>18}")
    failed = False
    if rows["libvirt"][0]:
        for i, what in enumerate(("start->running", "destroy->shut off")):
            ratio = statistics.median(rows["pyvirt"][i]) / statistics.median(rows["libvirt"][i])
            floor = statistics.median(rows["pyvirt"][i]) - statistics.median(rows["bare qemu"][i])
            print(f"{what}: pyvirt/libvirt {ratio:.2f}x (target <= {TARGET}x), {floor * 1000:+.1f} ms over bare qemu")
            failed |= ratio > TARGET
    else:
        print("libvirt not measured: start it with shared/tools/start-libvirtd.sh", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
