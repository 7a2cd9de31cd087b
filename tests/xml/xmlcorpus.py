"""Shared helpers of pyvirt.xml's tests: where the libvirt corpus is, the match-rate report, and
what comparing with real libvirt's dumps needs (its generated values, its test driver's additions).

The corpus (libvirt 9.0.0's own documents, see its README) lives next to the repository in CI:
``<repo>/../shared/corpus``; ``PYVIRT_CORPUS`` overrides the location.  Without it the corpus
tests are skipped with that reason, the rest still run.
"""

from __future__ import annotations

import csv
import os
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyvirt.xml.domain import DomainDef

REPO = Path(__file__).resolve().parents[2]


def corpus_path() -> Path | None:
    env = os.environ.get("PYVIRT_CORPUS")
    path = Path(env) if env else REPO.parent / "shared" / "corpus"
    return path if (path / "MANIFEST.tsv").exists() else None


CORPUS = corpus_path()
needs_corpus = pytest.mark.skipif(
    CORPUS is None, reason="libvirt corpus not found (<repo>/../shared/corpus or $PYVIRT_CORPUS)"
)


def corpus_files(folder: str, pattern: str) -> list[Path]:
    """Files for parametrisation (empty when the corpus is absent, the tests then skip)."""
    if CORPUS is None:
        return []
    return sorted((CORPUS / folder).glob(pattern))


def volume_pools() -> dict[str, str]:
    """Volume input file name -> the pool (``storagepool/NAME``) libvirt parsed it against."""
    if CORPUS is None:
        return {}
    out: dict[str, str] = {}
    with open(CORPUS / "MANIFEST.tsv", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["set"] == "storagevol" and row["role"] == "input":
                note = row["note"]
                pool = note.split("storagepool/", 1)[1].split(".in.xml", 1)[0]
                out[Path(row["file"]).name] = pool
    return out


def copy_generated(got: str, expected: str) -> str:
    """``got`` with the values libvirt makes up (UUIDs, MACs, interface ids) taken from
    ``expected``, in document order: the rest must then match byte for byte."""
    for pattern in (r"<mac address='[^']*'/>", r"<uuid>[^<]*</uuid>", r"interfaceid='[^']*'"):
        for mine, theirs in zip(re.findall(pattern, got), re.findall(pattern, expected), strict=False):
            got = got.replace(mine, theirs, 1)
    return got


def name_interfaces(dom: DomainDef) -> None:
    """Give each interface without a target the first free ``testnetN``, as libvirt's test
    driver does (written out here so these tests do not depend on pyvirt's test driver)."""
    used = {i.target_dev for i in dom.interfaces if i.target_dev}
    counter = 0
    for iface in dom.interfaces:
        if not iface.target_dev:
            while f"testnet{counter}" in used:
                counter += 1
            iface.target_dev = f"testnet{counter}"
            used.add(iface.target_dev)


class MatchReport:
    """Collects per-document outcomes so the session ends with one match-rate table."""

    def __init__(self) -> None:
        self.results: dict[str, dict[str, str | None]] = defaultdict(dict)

    def record(self, point: str, name: str, miss: str | None) -> None:
        self.results[point][name] = miss

    def lines(self) -> Iterator[str]:
        for point in sorted(self.results):
            items = self.results[point]
            ok = sum(1 for v in items.values() if v is None)
            yield f"{point}: {ok}/{len(items)} ({100.0 * ok / max(len(items), 1):.1f}%)"
            for name, miss in sorted(items.items()):
                if miss is not None:
                    yield f"    miss {name}: {miss}"


REPORT = MatchReport()
