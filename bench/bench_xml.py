"""Benchmark pyvirt.xml against real libvirt: domain documents defined and dumped, like with like.

Prints one table, microseconds per document.  The ratios compare the same work on both sides:
each document, renamed and without its UUID, is defined on an empty test node and dumped once
(pyvirt through its test driver, ``define_domain`` + ``xml``; libvirt through its C test driver,
``defineXML`` + ``XMLDesc``), then dumped again; installed ``pyvirt.hooks`` plugins are unregistered
for pyvirt's runs, since libvirt's side runs none.  pyvirt's model alone (parse, parse + format,
parse + schema validation) is shown beside them without a ratio, since libvirt has no call that
does only that.  libvirt's Python bindings live in the system interpreter only, so its side runs
in a ``/usr/bin/python3`` subprocess that stays up and times one batch per request: batches of
the two sides interleave, so both meet the same spells of a machine whose speed drifts; the
columns are skipped with a note when the bindings are not importable.  The table names both
interpreters: pyvirt's side runs on the one running this script, and compares like with like
when that is the same CPython build (``./dev`` makes ``.venv`` from it).  Times are the
process's CPU time (``time.process_time``) on both sides, not wall time: on a shared machine
wall time mostly measures the other load.  pyvirt's side uses the installed core when there is
one (``nox -s bench`` installs its wheel, whose ``pyvirt.xml`` hot path is compiled with mypyc), else
the checkout's sources; the table says which ran.  Then pyvirt's times on hostile and very large documents (figures
that used to be timing assertions in the tests).  Plain script, run by ``nox -s bench`` or:

    .venv-compiled/bin/python bench/bench_xml.py [--quick]   # the wheel's build (./dev test makes it)
    .venv/bin/python bench/bench_xml.py [--quick]            # the sources
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

REPO = Path(__file__).resolve().parents[1]
try:
    import pyvirt  # noqa: F401 -- the installed build: a wheel runs pyvirt.xml's hot path compiled
except ImportError:
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


class PyvirtSide:
    """pyvirt's test driver doing what the libvirt side does, one batch at a time."""

    def __init__(self, node: Path) -> None:
        import pyvirt

        self.conn = pyvirt.open(f"test://{node}")
        self.serial = 0

    def batch(self, xml: str, number: int) -> tuple[float, float]:
        """Define + dump ``number`` renamed copies, then dump them again, then undefine them:
        CPU µs per document for the first two steps."""
        texts = [renamed(xml, self.serial + i) for i in range(number)]
        self.serial += number
        doms = []
        t0 = time.process_time()
        for text in texts:
            dom = self.conn.define_domain(text)
            dom.xml(inactive=True)
            doms.append(dom)
        t1 = time.process_time()
        for dom in doms:
            dom.xml()
        t2 = time.process_time()
        for dom in doms:
            dom.undefine()
        return (t1 - t0) / number * 1e6, (t2 - t1) / number * 1e6

    def close(self) -> None:
        self.conn.close()


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


LIBVIRT_PYTHON = "/usr/bin/python3"
"""libvirt's Python bindings live in the system interpreter only."""

_LIBVIRT_SIDE = r"""
import json, sys, time, libvirt, re
libvirt.registerErrorHandler(lambda *a: None, None)
docs, node = json.loads(sys.stdin.readline())
conn = libvirt.open("test://" + node)
serial = 0
def renamed(xml, i):
    x = re.sub(r"<name>[^<]*</name>", "<name>b%d</name>" % i, xml, count=1)
    return re.sub(r"\s*<uuid>[^<]*</uuid>", "", x, count=1)
print(json.dumps(sys.version.split()[0]), flush=True)
for line in sys.stdin:
    index, number = json.loads(line)
    texts = [renamed(docs[index], serial + i) for i in range(number)]  # outside the timing, as pyvirt's
    serial += number
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
    print(json.dumps([(t1 - t0) / number * 1e6, (t2 - t1) / number * 1e6]), flush=True)
"""


class LibvirtSide:
    """libvirt's C test driver through its Python bindings, in a subprocess that stays up for
    the whole run and times one batch per request (so batches of both sides interleave)."""

    def __init__(self, docs: list[str], node: Path) -> None:
        self.proc = subprocess.Popen(
            [LIBVIRT_PYTHON, "-E", "-c", _LIBVIRT_SIDE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.version = self._ask([docs, str(node)])

    def _ask(self, request: object) -> object:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError("libvirt run failed: " + (err.strip().splitlines() or ["no output"])[-1])
        return json.loads(line)

    def batch(self, index: int, number: int) -> tuple[float, float]:
        define, dump = cast("list[float]", self._ask([index, number]))
        return define, dump

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


def libvirt_unavailable() -> str | None:
    """Why libvirt's side cannot run here, or None."""
    if not Path(LIBVIRT_PYTHON).exists():
        return f"no {LIBVIRT_PYTHON}"
    probe = subprocess.run([LIBVIRT_PYTHON, "-E", "-c", "import libvirt"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"python3-libvirt is not importable by {LIBVIRT_PYTHON}"
    return None


ROW_LINES = (
    "  define+dump ratio: both define the document (renamed, no UUID) on an empty test node and dump it once",
    "  dump again ratio: both dump the same defined domains once more (pyvirt: its cached text; libvirt: formats)",
)


@dataclass
class Paired:
    """One document's batches, both sides: CPU µs per document of each batch, in run order."""

    mine: list[tuple[float, float]] = field(default_factory=list)
    theirs: list[tuple[float, float]] = field(default_factory=list)

    @staticmethod
    def best(side: list[tuple[float, float]]) -> tuple[float, float]:
        """A side's best batch per step: (define+dump, dump again)."""
        return min(times[0] for times in side), min(times[1] for times in side)

    def ratios(self) -> list[float]:
        """Each round's define+dump ratio: the two batches of a round ran back to back."""
        return [a[0] / b[0] for a, b in zip(self.mine, self.theirs, strict=True)]


def interleaved(docs: list[str], batch: int, rounds: int, node: Path) -> tuple[list[Paired], str]:
    """Both sides' batches of each document, interleaved round by round (the side that goes
    first alternates), and libvirt's interpreter version or why libvirt's side did not run.

    This machine's speed drifts by up to 2x over seconds: a whole run of one side followed by a
    whole run of the other compares two different machines.  Batches of a few dozen documents,
    back to back, see the same machine; each side's best batch is its least disturbed time.
    """
    results = [Paired() for _ in docs]
    reason = libvirt_unavailable()
    theirs = None if reason else LibvirtSide(docs, node)
    mine = PyvirtSide(node)
    mine.batch(docs[0], 1)  # warm up; this loads the hook plugins
    UNHOOKED.update(without_hook_plugins())
    try:
        for index, xml in enumerate(docs):
            mine.batch(xml, batch)
            if theirs is not None:
                theirs.batch(index, batch)
            for round_ in range(rounds):
                if theirs is not None and round_ % 2:
                    results[index].theirs.append(theirs.batch(index, batch))
                results[index].mine.append(mine.batch(xml, batch))
                if theirs is not None and not round_ % 2:
                    results[index].theirs.append(theirs.batch(index, batch))
    finally:
        mine.close()
        if theirs is not None:
            theirs.close()
    return results, (f"Python {theirs.version}" if theirs is not None else cast(str, reason))


def table(docs: list[tuple[str, str]], number: int, node: Path, batch: int, rounds: int) -> None:
    paired, libvirt = interleaved([xml for _, xml in docs], batch, rounds, node)
    ran = not libvirt.startswith(("no ", "python3-libvirt"))
    head = (
        f"{'document':38s} {'parse':>7s} {'+format':>8s} {'+valid.':>8s} │ {'define+dump':>11s}"
        f" {'libvirt':>8s} {'ratio':>6s} │ {'dump again':>10s} {'libvirt':>8s} {'ratio':>6s}"
    )
    print(
        f"CPU µs per document; pyvirt model alone: best of 5 runs of {number} | test drivers: best of"
        f" {rounds} batches of {batch} per side, the two sides' batches interleaved"
    )
    print(head)
    print("-" * len(head))
    for index, (label, xml) in enumerate(docs):
        model = bench_model(xml, number)
        pair = paired[index]
        mine = Paired.best(pair.mine)
        line = (
            f"{label:38s} {model['parse']:7.1f} {model['parse+format']:8.1f} {model['parse+validate']:8.1f} │"
            f" {mine[0]:11.1f}"
        )
        if ran:
            theirs = Paired.best(pair.theirs)
            line += (
                f" {theirs[0]:8.1f} {mine[0] / theirs[0]:5.2f}x │"
                f" {mine[1]:10.2f} {theirs[1]:8.1f} {mine[1] / theirs[1]:5.2f}x"
            )
        else:
            line += f" {'n/a':>8s} {'':>6s} │ {mine[1]:10.2f} {'n/a':>8s} {'':>6s}"
        print(line)
        if ran:
            ratios = sorted(pair.ratios())
            print(
                f"  define+dump ratio of each round's two batches: median {statistics.median(ratios):.2f}x,"
                f" middle half {ratios[len(ratios) // 4]:.2f}x-{ratios[(3 * len(ratios)) // 4]:.2f}x,"
                f" all {ratios[0]:.2f}x-{ratios[-1]:.2f}x"
            )
    for explanation in ROW_LINES:
        print(explanation)
    if not ran:
        print(f"\nlibvirt columns skipped: {libvirt}")
    if UNHOOKED:
        names = ", ".join(sorted(UNHOOKED))
        print(f"\nhook plugins unregistered for pyvirt's driver runs (libvirt runs none): {names}")
    print("\nratio = pyvirt / libvirt for the same work (lower is better; target <= 1)")
    print("parse, +format, +valid.: pyvirt's model alone (DomainDef.from_xml, + to_xml, + RelaxNG), no ratio")
    print(
        f"interpreters: pyvirt {interpreter()}" + (f"; libvirt's bindings {LIBVIRT_PYTHON} ({libvirt})" if ran else "")
    )
    print(f"pyvirt.xml: {build_kind()}")


def build_kind() -> str:
    """Whether pyvirt's side ran mypyc-compiled modules (a wheel build, core/hatch_build.py) or
    only Python sources (an editable install, or PYVIRT_PURE_PYTHON=1): the figures differ."""
    import pyvirt.xml

    folder = Path(pyvirt.xml.__file__).parent
    compiled = sorted(path.name.split(".")[0] for path in folder.glob("*.so"))
    if not compiled:
        return f"pure Python ({folder})"
    return f"{len(compiled)} modules compiled with mypyc ({', '.join(compiled)}; {folder})"


def interpreter() -> str:
    """Which CPython pyvirt's side ran on: builds differ in speed (a pyenv build without
    PGO/LTO runs pyvirt about 20% slower than Debian's), so the table names it."""
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return f"{base.resolve() if base.exists() else sys.executable} (Python {sys.version.split()[0]})"


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
    batch, rounds = (25, 8) if quick else (40, 60)
    docs = documents()
    if not docs:
        print(f"corpus not found at {corpus_dir()} (set PYVIRT_CORPUS)")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            node = Path(tmp) / "empty.xml"
            node.write_text("<node/>\n")
            table(docs, number, node, batch, rounds)
    hostile(quick)


if __name__ == "__main__":
    main()
