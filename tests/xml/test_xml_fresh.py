"""Differential test on fresh documents: pyvirt's test driver against real libvirt's, on documents
nobody has seen before.

``fresh_documents.py`` makes them from libvirt's accepted test documents with seeded random
mutations (unknown elements and attributes at any depth, sibling order, layout, units, number
forms); real libvirt 9.0's test driver (``libvirt_oracle.py`` under the system interpreter)
says what each becomes.  pyvirt must produce the same dump, or refuse as well.  A document whose
unmutated original pyvirt already gets wrong is left out (``test_libvirt_data.py`` counts
those), so a failure here is a rule that does not generalise.  CI runs fixed seeds (a
failure must be reproducible); more seeds, for new documents, with
``python tests/xml/fresh_documents.py COUNT SEED``.
"""

from __future__ import annotations

import pytest
from fresh_documents import Oracle, disagreement, generate
from libvirt_data import Case, Runner, cases
from xmlcorpus import MatchReport

pytestmark = pytest.mark.needs_libvirt("bindings")

COUNT = 1000
"""Documents per seed: about 5 s with the oracle."""


@pytest.fixture(scope="module")
def sound(runner: Runner) -> list[Case]:
    """Accepted documents pyvirt already gets right unmutated."""
    return [c for c in cases() if c.outcome == "dump" and runner.miss(c) is None]


@pytest.mark.parametrize("seed", [1, 2])
def test_fresh_documents_match_libvirt(
    seed: int, sound: list[Case], runner: Runner, oracle: Oracle, report: MatchReport
) -> None:
    misses = []
    for i, fresh in enumerate(generate(COUNT, seed, sound)):
        miss = disagreement(runner, oracle, fresh)
        report.record(f"fresh documents vs real libvirt (seed {seed})", f"#{i} {fresh.case.name}", miss)
        if miss is not None:
            misses.append(f"#{i} {fresh.case.name} {'+'.join(fresh.labels)}: {miss}")
    assert not misses, f"seed {seed}: {len(misses)}/{COUNT} differ from libvirt:\n" + "\n".join(misses[:20])
