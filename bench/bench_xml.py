"""Benchmark pyvirt.xml against real libvirt: parse + format of domain documents.

Prints one table: microseconds per document for pyvirt (parse alone, parse + format, a cached
dump) and, side by side, libvirt's ``defineXML`` + ``XMLDesc`` on its test driver for the same
documents.  libvirt's Python bindings live in the system interpreter only, so that column is
measured by running ``/usr/bin/python3`` in a subprocess; it is skipped with a note when the
bindings are not importable.  Plain script, run by ``nox -s bench`` or directly:

    .venv/bin/python bench/bench_xml.py [--quick]
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "core" / "src"))

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
    return min(timeit.repeat(stmt, number=number, repeat=repeat)) / number * 1e6  # type: ignore[arg-type]


def bench_pyvirt(xml: str, number: int) -> dict[str, float]:
    model = DomainDef.from_xml(xml)
    model.to_xml(domain_id=1)
    return {
        "parse": best(lambda: DomainDef.from_xml(xml), number),
        "parse+format": best(lambda: DomainDef.from_xml(xml).to_xml(inactive=True), number),
        "parse+validate": best(lambda: DomainDef.from_xml(xml, validate=True), max(number // 10, 5)),
        "cached dump": best(lambda: model.to_xml(domain_id=1), number * 10),
    }


_LIBVIRT_SCRIPT = r"""
import json, sys, time, libvirt, re
libvirt.registerErrorHandler(lambda *a: None, None)
docs, number, node = json.loads(sys.stdin.read())
conn = libvirt.open("test://" + node)
out = []
for xml in docs:
    def once(i):
        x = re.sub(r"<name>[^<]*</name>", "<name>b%d</name>" % i, xml, count=1)
        x = re.sub(r"\s*<uuid>[^<]*</uuid>", "", x, count=1)
        d = conn.defineXML(x)
        d.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
        return d
    best_define = best_dump = None
    for r in range(5):
        doms = []
        t0 = time.perf_counter()
        for i in range(number):
            doms.append(once(r * number + i))
        t1 = time.perf_counter()
        for d in doms:
            d.XMLDesc(0)
        t2 = time.perf_counter()
        for d in doms:
            d.undefine()
        per_define = (t1 - t0) / number * 1e6
        per_dump = (t2 - t1) / number * 1e6
        best_define = per_define if best_define is None else min(best_define, per_define)
        best_dump = per_dump if best_dump is None else min(best_dump, per_dump)
    out.append({"define+dumpxml": best_define, "dumpxml": best_dump})
print(json.dumps(out))
"""


def bench_libvirt(docs: list[str], number: int) -> list[dict[str, float]] | str:
    """libvirt's numbers per document, or the reason they are unavailable."""
    python = "/usr/bin/python3"
    if not Path(python).exists():
        return "no /usr/bin/python3"
    probe = subprocess.run([python, "-c", "import libvirt"], capture_output=True, text=True)
    if probe.returncode != 0:
        return "python3-libvirt is not importable by /usr/bin/python3"
    with tempfile.TemporaryDirectory() as tmp:
        node = Path(tmp) / "empty.xml"
        node.write_text("<node/>\n")
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


def main() -> None:
    quick = "--quick" in sys.argv
    number = 50 if quick else 300
    docs = documents()
    if not docs:
        print(f"corpus not found at {corpus_dir()} (set PYVIRT_CORPUS)")
        return
    libvirt = bench_libvirt([xml for _, xml in docs], number)
    head = (
        f"{'document':40s} {'pyvirt parse':>13s} {'parse+format':>13s} {'+validate':>10s} {'cached dump':>12s}"
        f" {'libvirt define+dump':>20s} {'libvirt dump':>13s} {'ratio':>6s}"
    )
    print("µs per document (best of 5 runs)")
    print(head)
    print("-" * len(head))
    for index, (label, xml) in enumerate(docs):
        mine = bench_pyvirt(xml, number)
        if isinstance(libvirt, list):
            theirs = libvirt[index]
            ratio = mine["parse+format"] / theirs["define+dumpxml"]
            tail = f" {theirs['define+dumpxml']:20.1f} {theirs['dumpxml']:13.1f} {ratio:6.2f}"
        else:
            tail = f" {'n/a':>20s} {'n/a':>13s} {'':>6s}"
        print(
            f"{label:40s} {mine['parse']:13.1f} {mine['parse+format']:13.1f} {mine['parse+validate']:10.1f}"
            f" {mine['cached dump']:12.2f}" + tail
        )
    if not isinstance(libvirt, list):
        print(f"\nlibvirt column skipped: {libvirt}")
    print("\nratio = pyvirt parse+format / libvirt define+dumpxml (lower is better; target <= 1)")


if __name__ == "__main__":
    main()
