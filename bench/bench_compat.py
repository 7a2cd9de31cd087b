"""pyvirt-libvirt's cost: a call through the ``libvirt`` compat layer against the pyvirt call
beneath it (issue 14's budget: at most +2 µs), and ``import libvirt`` against the real
libvirt-python's import (``/usr/bin/python3`` with python3-libvirt; budget: no more).

Run with the checkout's venv, where pyvirt-libvirt is installed: ``.venv/bin/python
bench/bench_compat.py``.  Prints medians; timing never sits in an asserting test.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import timeit
from collections.abc import Callable

REAL_PYTHON = "/usr/bin/python3"
ROUNDS = 7


def per_call_us(func: Callable[[], object], number: int = 20000) -> float:
    return statistics.median(timeit.repeat(func, number=number, repeat=ROUNDS)) / number * 1e6


def import_ms(python: str, code: str, runs: int = 15) -> float:
    """Median wall time of a fresh interpreter running ``code``, minus one running ``pass``."""

    def wall(src: str) -> float:
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([python, "-c", src], check=True, capture_output=True)
            samples.append((time.perf_counter() - start) * 1000)
        return statistics.median(samples)

    return wall(code) - wall("pass")


def calls() -> None:
    import libvirt

    import pyvirt

    quiet: Callable[[object, object], None] = lambda ctx, err: None  # noqa: E731
    libvirt.registerErrorHandler(quiet, None)
    conn = libvirt.open("test:///default")
    pconn = pyvirt.open("test:///default")
    dom, pdom = conn.lookupByName("test"), pconn.lookup_domain_by_name("test")
    net, pnet = conn.networkLookupByName("default"), pconn.lookup_network_by_name("default")
    cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
        ("virDomain.state()", dom.state, pdom.state),
        ("virDomain.isActive()", dom.isActive, pdom.is_active),
        ("virDomain.info()", dom.info, pdom.info),
        ("virConnect.lookupByName()", lambda: conn.lookupByName("test"), lambda: pconn.lookup_domain_by_name("test")),
        ("virConnect.getType()", conn.getType, pconn.get_type),
        ("virNetwork.isActive()", net.isActive, pnet.is_active),
    ]
    print(f"{'call (test:///default)':<28} {'compat µs':>10} {'pyvirt µs':>10} {'added µs':>9}")
    for label, compat, native in cases:
        ours, beneath = per_call_us(compat), per_call_us(native)
        print(f"{label:<28} {ours:>10.2f} {beneath:>10.2f} {ours - beneath:>9.2f}")

    def failing() -> None:
        try:
            conn.lookupByName("nope")
        except libvirt.libvirtError:
            pass

    def failing_native() -> None:
        try:
            pconn.lookup_domain_by_name("nope")
        except pyvirt.PyvirtError:
            pass

    ours, beneath = per_call_us(failing, 5000), per_call_us(failing_native, 5000)
    print(f"{'lookupByName() failing':<28} {ours:>10.2f} {beneath:>10.2f} {ours - beneath:>9.2f}")
    conn.close()
    pconn.close()


def imports() -> None:
    print(f"\n{'import (fresh interpreter, minus bare start)':<48} {'ms':>7}")
    print(f"{'pyvirt-libvirt: import libvirt':<48} {import_ms(sys.executable, 'import libvirt'):>7.1f}")
    code = "import libvirt; libvirt.open('test:///default').close()"
    print(f"{'pyvirt-libvirt: import libvirt + open test':<48} {import_ms(sys.executable, code):>7.1f}")
    try:
        subprocess.run([REAL_PYTHON, "-c", "import libvirt"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        print("libvirt-python (python3-libvirt) not available for", REAL_PYTHON)
        return
    print(f"{'libvirt-python: import libvirt':<48} {import_ms(REAL_PYTHON, 'import libvirt'):>7.1f}")
    print(f"{'libvirt-python: import libvirt + open test':<48} {import_ms(REAL_PYTHON, code):>7.1f}")


if __name__ == "__main__":
    calls()
    imports()
