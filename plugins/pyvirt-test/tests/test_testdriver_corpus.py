"""Corpus point 3: what pyvirt's test driver gives back equals what libvirt's test driver gave.

Each ``NAME.in.xml`` of the shared corpus is defined on a node opened from an empty node file
(``<node/>``) and dumped (domains ``inactive``); the dump must equal ``NAME.testdriver.xml``,
real libvirt 9.0's dump of the same input, compared semantically (c14n without blank text,
as the corpus README says).  Defining the dump again must give the same dump.  Volumes are
created in the pool ``MANIFEST.tsv`` names, defined and started first.

Targets: every network, pool and volume; at least 95% of domains.  Each kind is one test that
reports every miss with its reason, so one model gap does not hide the others.  Run this file
as a script to print the match table.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lxml import etree

import pyvirt


def corpus_dir() -> Path | None:
    """``$PYVIRT_CORPUS``, else ``<repo>/../shared/corpus``; None when absent."""
    env = os.environ.get("PYVIRT_CORPUS")
    path = Path(env) if env else Path(__file__).resolve().parents[3].parent / "shared" / "corpus"
    return path if (path / "MANIFEST.tsv").is_file() else None


CORPUS = corpus_dir()
pytestmark = pytest.mark.skipif(CORPUS is None, reason="corpus not found (set PYVIRT_CORPUS)")

# The issue asks 95% for domains; all 158 match, so any new miss fails.
TARGETS = {"network": 1.0, "storagepool": 1.0, "storagevol": 1.0, "domain": 1.0}


def canonical(text: str) -> bytes:
    """c14n of the document without comments and whitespace-only text (the README's rule)."""
    parser = etree.XMLParser(remove_blank_text=True, remove_comments=True)
    root = etree.fromstring(text.encode(), parser)
    for el in root.iter():
        if el.text is not None and not el.text.strip():
            el.text = None
        if el.tail is not None and not el.tail.strip():
            el.tail = None
    out: bytes = etree.tostring(root, method="c14n")
    return out


@dataclass
class KindResult:
    kind: str
    total: int = 0
    matched: int = 0
    misses: list[tuple[str, str]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.matched / self.total if self.total else 1.0


def volume_pools() -> dict[str, str]:
    """Volume input name → pool input file, from MANIFEST.tsv's notes."""
    assert CORPUS is not None
    pools: dict[str, str] = {}
    for line in (CORPUS / "MANIFEST.tsv").read_text().splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 5 and parts[0] == "storagevol" and parts[2] == "input" and "against pool" in parts[4]:
            pool_file = parts[4].split("against pool", 1)[1].strip().split()[0]
            pools[Path(parts[1]).name.removesuffix(".in.xml")] = pool_file
    return pools


def cases(kind: str) -> Iterator[tuple[str, Path, Path]]:
    assert CORPUS is not None
    for expected in sorted((CORPUS / kind).glob("*.testdriver.xml")):
        name = expected.name.removesuffix(".testdriver.xml")
        yield name, CORPUS / kind / f"{name}.in.xml", expected


@pytest.fixture
def node(tmp_path: Path) -> Iterator[pyvirt.Connection]:
    empty = tmp_path / "empty.xml"
    empty.write_text("<node/>\n")
    with pyvirt.open(f"test://{empty}") as conn:
        yield conn


def _dump_domain(conn: pyvirt.Connection, xml: str) -> str:
    dom = conn.define_domain(xml)
    try:
        return dom.xml(inactive=True)
    finally:
        dom.undefine()


def _dump_network(conn: pyvirt.Connection, xml: str) -> str:
    net = conn.define_network(xml)
    try:
        return net.xml()
    finally:
        net.undefine()


def _dump_pool(conn: pyvirt.Connection, xml: str) -> str:
    pool = conn.define_pool(xml)
    try:
        return pool.xml()
    finally:
        pool.undefine()


def _dump_volume(conn: pyvirt.Connection, pool_xml: str, xml: str) -> str:
    pool = conn.define_pool(pool_xml)
    try:
        pool.start()
        vol = pool.create_volume(xml)
        try:
            return vol.xml()
        finally:
            vol.delete()
    finally:
        if pool.is_active():
            pool.destroy()
        pool.undefine()


def run_kind(conn: pyvirt.Connection, kind: str) -> KindResult:
    """Define/dump every case of ``kind``; a miss records why (difference or error)."""
    assert CORPUS is not None
    result = KindResult(kind)
    pools = volume_pools() if kind == "storagevol" else {}
    for name, source, expected_path in cases(kind):
        result.total += 1
        expected = expected_path.read_text()
        try:
            if kind == "domain":
                dump = _dump_domain(conn, source.read_text())
                again = _dump_domain(conn, dump)
            elif kind == "network":
                dump = _dump_network(conn, source.read_text())
                again = _dump_network(conn, dump)
            elif kind == "storagepool":
                dump = _dump_pool(conn, source.read_text())
                again = _dump_pool(conn, dump)
            else:
                pool_xml = (CORPUS / pools[name]).read_text()
                dump = _dump_volume(conn, pool_xml, source.read_text())
                again = _dump_volume(conn, pool_xml, dump)
        except pyvirt.PyvirtError as exc:
            result.misses.append((name, f"{type(exc).__name__}: {exc}"))
            continue
        if canonical(dump) != canonical(expected):
            result.misses.append((name, "dump differs: " + first_difference(dump, expected)))
        elif canonical(again) != canonical(dump):
            result.misses.append((name, "redefining the dump changes it: " + first_difference(again, dump)))
        else:
            result.matched += 1
    return result


def first_difference(got: str, want: str) -> str:
    """The first differing line of the two canonical forms, for a one-line miss reason."""
    got_lines = etree.tostring(etree.fromstring(canonical(got)), pretty_print=True).decode().splitlines()
    want_lines = etree.tostring(etree.fromstring(canonical(want)), pretty_print=True).decode().splitlines()
    for index, (a, b) in enumerate(zip(got_lines, want_lines, strict=False)):
        if a != b:
            return f"line {index + 1}: got {a.strip()!r}, libvirt {b.strip()!r}"
    if len(got_lines) != len(want_lines):
        shorter = min(len(got_lines), len(want_lines))
        extra = (got_lines if len(got_lines) > shorter else want_lines)[shorter].strip()
        side = "got extra" if len(got_lines) > shorter else "missing"
        return f"line {shorter + 1}: {side} {extra!r}"
    return "canonical forms differ"


@pytest.mark.parametrize("kind", ["network", "storagepool", "storagevol", "domain"])
def test_testdriver_dumps_match_libvirt(node: pyvirt.Connection, kind: str) -> None:
    result = run_kind(node, kind)
    report = "\n".join(f"  {name}: {why}" for name, why in result.misses)
    assert result.rate >= TARGETS[kind], (
        f"{kind}: {result.matched}/{result.total} match libvirt's test driver "
        f"({result.rate:.1%}, target {TARGETS[kind]:.0%}); misses:\n{report}"
    )


def main() -> int:
    """Print the per-kind table and every miss (used for reports)."""
    if CORPUS is None:
        print("corpus not found (set PYVIRT_CORPUS)")
        return 1
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.xml"
        empty.write_text("<node/>\n")
        with pyvirt.open(f"test://{empty}") as conn:
            results = [run_kind(conn, kind) for kind in TARGETS]
    for result in results:
        print(f"{result.kind:12} {result.matched:4}/{result.total:<4} {result.rate:7.1%}")
    for result in results:
        for name, why in result.misses:
            print(f"MISS {result.kind} {name}: {why}")
    return 0


def test_invalid_documents_are_refused_and_leave_nothing(node: pyvirt.Connection) -> None:
    """Corpus point 4 through the driver: every ``invalid/`` file is refused, nothing is left."""
    assert CORPUS is not None
    pool = node.define_pool((CORPUS / "storagepool" / "pool-dir.in.xml").read_text())
    pool.start()
    accepted = []
    for path in sorted((CORPUS / "invalid").glob("*.xml")):
        kind, text = path.name.split("-", 1)[0], path.read_text()
        define = {
            "domain": node.define_domain,
            "network": node.define_network,
            "storagepool": node.define_pool,
            "storagevol": pool.create_volume,
        }[kind]
        try:
            define(text)
        except pyvirt.PyvirtError:
            continue
        accepted.append(path.name)
    assert accepted == []
    assert node.list_domains() == [] and node.list_networks() == []
    assert [p.name for p in node.list_storage_pools()] == [pool.name] and pool.list_volumes() == []


if __name__ == "__main__":
    sys.exit(main())
