"""Benchmark pyvirt.xml against real libvirt: domain documents defined and dumped, like with like.

Prints one table, microseconds per document.  The ratios compare the same work on both sides:
each document, renamed and without its UUID, is defined on an empty test node and dumped once
(pyvirt through its test driver, ``define_domain`` + ``xml``; libvirt through its C test driver,
``defineXML`` + ``XMLDesc``), then dumped again; installed ``pyvirt.hooks`` plugins are unregistered
for pyvirt's runs, since libvirt's side runs none.  pyvirt's model alone (parse, parse + format,
parse + schema validation) is shown beside them without a ratio, since libvirt has no call that
does only that.  libvirt's Python bindings live in the system interpreter only, so its columns are
measured by running ``/usr/bin/python3`` in a subprocess; they are skipped with a note when the
bindings are not importable.  Times are the process's CPU time (``time.process_time``) on both
sides, not wall time: the two sides run at different moments, and on a shared machine wall
time mostly measures the other load.  Then pyvirt's times on hostile and very large documents (figures
that used to be timing assertions in the tests).  Plain script, run by ``nox -s bench`` or:

    .venv/bin/python bench/bench_xml.py [--quick]
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "core" / "src"))

from pyvirt.errors import XMLError  # noqa: E402
from pyvirt.xml.domain import DomainDef  # noqa: E402


def corpus_dir() -> Path:
    return Path(os.environ.get("PYVIRT_CORPUS", REPO.parent / "shared" / "corpus"))


def documents() -> list[tuple[str, str]]:
    """(label, xml) pairs: a small test-driver domain and realistic QEMU domains."""
    corpus = corpus_dir()
    picks = [
        ("small: testdriver domain-test", corpus / "testdriver" / "default-state" / "domain-test.inactive.xml"),
        ("medium: qemu-q35-virt-manager-basic", corpus / "domain" / "qemu-q35-virt-manager-basic.in.xml"),
        ("large: qemu-pci-bridge (49 devices)", corpus / "domain" / "qemu-pci-bridge.in.xml"),
    ]
    out = []
    for label, path in picks:
        if path.exists():
            out.append((label, path.read_text()))
    return out


def renamed(xml: str, i: int) -> str:
    """A distinct name and no UUID, so libvirt defines a new domain each time (as a user would)."""
    xml = re.sub(r"<name>[^<]*</name>", f"<name>bench{i}</name>", xml, count=1)
    return re.sub(r"\s*<uuid>[^<]*</uuid>", "", xml, count=1)


def best(stmt: object, number: int, repeat: int = 5) -> float:
    """Best-of-``repeat`` time per call in microseconds (the least disturbed by other load)."""
    return min(timeit.repeat(stmt, number=number, repeat=repeat, timer=time.process_time)) / number * 1e6  # type: ignore[arg-type]


def bench_model(xml: str, number: int) -> dict[str, float]:
    """pyvirt's XML model alone: no driver, no node."""
    return {
        "parse": best(lambda: DomainDef.from_xml(xml), number),
        "parse+format": best(lambda: DomainDef.from_xml(xml).to_xml(inactive=True), number),
        "parse+validate": best(lambda: DomainDef.from_xml(xml, validate=True), max(number // 10, 5)),
    }


def bench_driver(xml: str, number: int, node: Path) -> dict[str, float]:
    """pyvirt's test driver doing what the libvirt script does: define + dump, then dump again."""
    import pyvirt

    best_define = best_dump = float("inf")
    with pyvirt.open(f"test://{node}") as conn:
        conn.define_domain(renamed(xml, -1)).undefine()  # warm up; this loads the hook plugins
        unhooked = without_hook_plugins()
        counter = 0
        for _ in range(5):
            texts = [renamed(xml, counter + i) for i in range(number)]
            counter += number
            doms = []
            t0 = time.process_time()
            for text in texts:
                dom = conn.define_domain(text)
                dom.xml(inactive=True)
                doms.append(dom)
            t1 = time.process_time()
            for dom in doms:
                dom.xml()
            t2 = time.process_time()
            for dom in doms:
                dom.undefine()
            best_define = min(best_define, (t1 - t0) / number * 1e6)
            best_dump = min(best_dump, (t2 - t1) / number * 1e6)
    if unhooked:
        UNHOOKED.update(unhooked)
    return {"define+dumpxml": best_define, "dumpxml": best_dump}


UNHOOKED: set[str] = set()
"""Hook plugins left out of the timed runs (named under the table)."""


def without_hook_plugins() -> list[str]:
    """Unregister the installed ``pyvirt.hooks`` plugins for the timed runs, and name them.

    libvirt's side runs no hook; a hook plugin is the installer's code, not pyvirt's (the dev
    environment's fixture plugin parses every defined document a second time), so timing it
    would not compare like with like.
    """
    from pyvirt import plugins, registry

    loaded = registry.load_hook_plugins()
    for plugin in loaded:
        plugins.host().unregister(plugin)
    return [getattr(plugin, "__name__", repr(plugin)) for plugin in loaded]


_LIBVIRT_SCRIPT = r"""
import json, sys, time, libvirt, re
libvirt.registerErrorHandler(lambda *a: None, None)
docs, number, node = json.loads(sys.stdin.read())
conn = libvirt.open("test://" + node)
out = []
for xml in docs:
    def renamed(i):
        x = re.sub(r"<name>[^<]*</name>", "<name>b%d</name>" % i, xml, count=1)
        return re.sub(r"\s*<uuid>[^<]*</uuid>", "", x, count=1)
    best_define = best_dump = None
    for r in range(5):
        texts = [renamed(r * number + i) for i in range(number)]  # outside the timing, as pyvirt's
        doms = []
        t0 = time.process_time()
        for x in texts:
            d = conn.defineXML(x)
            d.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
            doms.append(d)
        t1 = time.process_time()
        for d in doms:
            d.XMLDesc(0)
        t2 = time.process_time()
        for d in doms:
            d.undefine()
        per_define = (t1 - t0) / number * 1e6
        per_dump = (t2 - t1) / number * 1e6
        best_define = per_define if best_define is None else min(best_define, per_define)
        best_dump = per_dump if best_dump is None else min(best_dump, per_dump)
    out.append({"define+dumpxml": best_define, "dumpxml": best_dump})
print(json.dumps(out))
"""


def bench_libvirt(docs: list[str], number: int, node: Path) -> list[dict[str, float]] | str:
    """libvirt's numbers per document, or the reason they are unavailable."""
    python = "/usr/bin/python3"
    if not Path(python).exists():
        return "no /usr/bin/python3"
    probe = subprocess.run([python, "-c", "import libvirt"], capture_output=True, text=True)
    if probe.returncode != 0:
        return "python3-libvirt is not importable by /usr/bin/python3"
    proc = subprocess.run(
        [python, "-c", _LIBVIRT_SCRIPT],
        input=json.dumps([docs, number, str(node)]),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        return "libvirt run failed: " + proc.stderr.strip().splitlines()[-1] if proc.stderr else "libvirt run failed"
    result: list[dict[str, float]] = json.loads(proc.stdout)
    return result


ROW_LINES = (
    "  define+dump ratio: both define the document (renamed, no UUID) on an empty test node and dump it once",
    "  dump again ratio: both dump the same defined domains once more (pyvirt: its cached text; libvirt: formats)",
)


ROUNDS = 3
"""Alternating rounds of libvirt's side and pyvirt's; each side keeps its best.  This machine's
speed drifts by up to 2x over seconds, so one libvirt run followed by one pyvirt run compares
two different machines; alternating gives both sides the same spells of fast and slow."""


def alternating(
    docs: list[tuple[str, str]], number: int, node: Path, rounds: int
) -> tuple[list[dict[str, float]], list[dict[str, float]] | str, list[list[float]]]:
    """pyvirt's and libvirt's driver figures per document, best over ``rounds`` alternating
    rounds, and each round's define+dump ratio per document (to show the spread)."""
    mine: list[dict[str, float]] | None = None
    theirs: list[dict[str, float]] | str | None = None
    spread: list[list[float]] = [[] for _ in docs]
    for _ in range(rounds):
        libvirt = bench_libvirt([xml for _, xml in docs], number, node)
        ours = [bench_driver(xml, number, node) for _, xml in docs]
        mine = ours if mine is None else [_best_of(a, b) for a, b in zip(mine, ours, strict=True)]
        if isinstance(libvirt, str):
            theirs = libvirt
            continue
        for index, (one, other) in enumerate(zip(ours, libvirt, strict=True)):
            spread[index].append(one["define+dumpxml"] / other["define+dumpxml"])
        if not isinstance(theirs, str):
            theirs = libvirt if theirs is None else [_best_of(a, b) for a, b in zip(theirs, libvirt, strict=True)]
    assert mine is not None and theirs is not None  # rounds >= 1
    return mine, theirs, spread


def _best_of(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    return {key: min(a[key], b[key]) for key in a}


def table(docs: list[tuple[str, str]], number: int, node: Path, rounds: int) -> None:
    drivers, libvirt, spread = alternating(docs, number, node, rounds)
    head = (
        f"{'document':38s} {'parse':>7s} {'+format':>8s} {'+valid.':>8s} │ {'define+dump':>11s}"
        f" {'libvirt':>8s} {'ratio':>6s} │ {'dump again':>10s} {'libvirt':>8s} {'ratio':>6s}"
    )
    print(
        f"CPU µs per document (best of 5 runs; drivers: best of {rounds} alternating rounds of 5);"
        " pyvirt model alone | pyvirt test driver vs libvirt test driver"
    )
    print(head)
    print("-" * len(head))
    for index, (label, xml) in enumerate(docs):
        model = bench_model(xml, number)
        mine = drivers[index]
        line = (
            f"{label:38s} {model['parse']:7.1f} {model['parse+format']:8.1f} {model['parse+validate']:8.1f} │"
            f" {mine['define+dumpxml']:11.1f}"
        )
        if isinstance(libvirt, list):
            theirs = libvirt[index]
            line += (
                f" {theirs['define+dumpxml']:8.1f} {mine['define+dumpxml'] / theirs['define+dumpxml']:5.2f}x │"
                f" {mine['dumpxml']:10.2f} {theirs['dumpxml']:8.1f} {mine['dumpxml'] / theirs['dumpxml']:5.2f}x"
            )
        else:
            line += f" {'n/a':>8s} {'':>6s} │ {mine['dumpxml']:10.2f} {'n/a':>8s} {'':>6s}"
        print(line)
        if spread[index]:
            print("  define+dump ratio per round: " + ", ".join(f"{ratio:.2f}x" for ratio in spread[index]))
        for explanation in ROW_LINES:
            print(explanation)
    if not isinstance(libvirt, list):
        print(f"\nlibvirt columns skipped: {libvirt}")
    if UNHOOKED:
        names = ", ".join(sorted(UNHOOKED))
        print(f"\nhook plugins unregistered for pyvirt's driver runs (libvirt runs none): {names}")
    print("\nratio = pyvirt / libvirt for the same work (lower is better; target <= 1)")
    print("parse, +format, +valid.: pyvirt's model alone (DomainDef.from_xml, + to_xml, + RelaxNG), no ratio")


def _disk_name(i: int) -> str:
    """sda, sdb, ... sdz, sdaa: the i-th disk name."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(97 + r) + out
    return out


def reversed_disks(n: int) -> str:
    """``n`` disks in reverse name order, a controller each: the worst case for ordering and defaults."""
    disks = "".join(
        f"<disk type='file'><source file='/d{i}'/><target dev='sd{_disk_name(n - 1 - i)}'/>"
        f"<address type='drive' controller='{i}' bus='0' target='0' unit='0'/></disk>"
        for i in range(n)
    )
    head = "<domain type='test'><name>big</name><memory>1024</memory><os><type>hvm</type></os>"
    return f"{head}<devices>{disks}</devices></domain>"


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">\n' for i in range(1, 10))
    + "]>\n<domain type='test'><name>&lol9;</name><memory>1024</memory></domain>\n"
)


def refusal_us(text: str, number: int) -> float:
    """Best time to refuse ``text`` (it must be refused)."""

    def once() -> None:
        try:
            DomainDef.from_xml(text)
        except XMLError:
            return
        raise AssertionError("the document was accepted")

    return best(once, number)


def hostile(quick: bool) -> None:
    """pyvirt alone: how fast bad documents are refused, and that large ones grow linearly."""
    print("\npyvirt on hostile and very large documents (best of 5; pyvirt only, libvirt not run)")
    huge_cpus = "<domain type='test'><name>n</name><memory>1024</memory><vcpu cpuset='0-4294967295'>2</vcpu></domain>"
    print(f"  billion-laughs entity bomb refused (DOCTYPE):  {refusal_us(BILLION_LAUGHS, 200):10.1f} µs")
    print(f"  cpuset 0-4294967295 refused:                   {refusal_us(huge_cpus, 200):10.1f} µs")
    sizes = (2_000, 4_000) if quick else (10_000, 20_000)
    took = []
    for n in sizes:
        text = reversed_disks(n)

        def parse_format(text: str = text) -> None:
            DomainDef.from_xml(text).to_xml(inactive=True)

        took.append(min(timeit.repeat(parse_format, number=1, repeat=3)))
        print(f"  {n:,} reversed disks, parse + format:         {took[-1]:10.2f} s")
    print(f"  growth for twice the disks: {took[1] / took[0]:.2f}x (2x = linear)")


def main() -> None:
    quick = "--quick" in sys.argv
    number = 50 if quick else 300
    docs = documents()
    if not docs:
        print(f"corpus not found at {corpus_dir()} (set PYVIRT_CORPUS)")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            node = Path(tmp) / "empty.xml"
            node.write_text("<node/>\n")
            table(docs, number, node, 2 if quick else ROUNDS)
    hostile(quick)


if __name__ == "__main__":
    main()
