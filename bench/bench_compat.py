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
import sysconfig
import tempfile
import timeit
from collections.abc import Callable
from pathlib import Path

REAL_PYTHON = "/usr/bin/python3"
ROUNDS = 7


def per_call_us(compat: Callable[[], object], native: Callable[[], object], number: int = 20000) -> tuple[float, float]:
    """Best of several rounds of each, the two taking turns (on a shared machine the minimum is
    the call's own cost, and turns keep a change of load from favouring one side)."""
    best = [float("inf"), float("inf")]
    for _ in range(ROUNDS):
        for i, func in enumerate((compat, native)):
            best[i] = min(best[i], timeit.timeit(func, number=number) / number * 1e6)
    return best[0], best[1]


def import_cpu_ms(pythons: list[str], module: str = "libvirt", runs: int = 31) -> list[tuple[float, float]]:
    """(min, median) CPU milliseconds of ``import module`` in fresh interpreters, per Python,
    the Pythons taking turns so a change in the machine's load hits all alike (CPU time, since
    wall time on a shared machine measures the other load)."""
    code = f"import time; t = time.process_time(); import {module}; print((time.process_time() - t) * 1000)"
    samples: list[list[float]] = [[] for _ in pythons]
    for _ in range(runs):
        for i, python in enumerate(pythons):
            done = subprocess.run([python, "-c", code], check=True, capture_output=True, text=True)
            samples[i].append(float(done.stdout))
    return [(min(s), statistics.median(s)) for s in samples]


def system_python_venv(where: Path) -> str:
    """A venv of /usr/bin/python3 that sees this checkout's packages first (pyvirt-libvirt's
    ``libvirt``), so both modules are timed by the same interpreter."""
    subprocess.run([REAL_PYTHON, "-m", "venv", "--without-pip", "--system-site-packages", str(where)], check=True)
    python = str(where / "bin" / "python")
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True
    ).stdout.strip()
    ours = sysconfig.get_paths()["purelib"]
    Path(purelib, "pyvirt_checkout.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    return python


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
        ours, beneath = per_call_us(compat, native)
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

    ours, beneath = per_call_us(failing, failing_native, 5000)
    print(f"{'lookupByName() failing':<28} {ours:>10.2f} {beneath:>10.2f} {ours - beneath:>9.2f}")
    conn.close()
    pconn.close()


def compile_sources(pythons: list[str]) -> None:
    """Write the checkout's bytecode first, as an install does: with PYTHONDONTWRITEBYTECODE set
    (as on this machine) an edited module would otherwise be compiled again at every import."""
    root = Path(__file__).resolve().parents[1]
    trees = [str(root / t) for t in ("core/src", "plugins/pyvirt-test/src", "compat/pyvirt-libvirt/src")]
    for python in pythons:
        subprocess.run([python, "-m", "compileall", "-q", *trees], check=True, capture_output=True)


def imports() -> None:
    print(f"\n{'import libvirt, CPU ms (fresh interpreters)':<52} {'min':>6} {'median':>7}")
    rows = [("pyvirt-libvirt, this venv's Python", sys.executable)]
    real_ok = subprocess.run([REAL_PYTHON, "-c", "import libvirt"], capture_output=True).returncode == 0
    with tempfile.TemporaryDirectory() as tmp:
        if real_ok:
            rows.append(("pyvirt-libvirt, /usr/bin/python3 (venv)", system_python_venv(Path(tmp))))
            rows.append(("libvirt-python 9.0.0, /usr/bin/python3", REAL_PYTHON))
        compile_sources([python for _label, python in rows])
        figures = import_cpu_ms([python for _label, python in rows])
        for (label, _python), (low, mid) in zip(rows, figures, strict=True):
            print(f"{label:<52} {low:>6.1f} {mid:>7.1f}")
    if not real_ok:
        print("libvirt-python (python3-libvirt) not available for", REAL_PYTHON)


if __name__ == "__main__":
    calls()
    imports()
