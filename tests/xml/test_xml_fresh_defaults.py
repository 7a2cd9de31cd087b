"""Differential test of libvirt's defaults: accepted documents with one to three attributes or
elements removed at random (``fresh_documents.py --defaults``), pyvirt's test driver against
real libvirt 9.0's.

Documents other tools write are sparse and rely on what libvirt fills in or refuses when a
value is missing; this is the measure of that.  pyvirt does not agree on every document yet,
so the test asserts no regression below the agreement measured when it was last raised (seed 1,
1000 documents: drop-attribute 966/967, drop-element 1000/1002; 919/967 and 960/1002 before the
rules of ``pyvirt.xml.netdev`` and the parser rules beside it, about 76% and 85% before those of
``pyvirt.xml.implicit``).  A document whose unmutated original pyvirt already gets wrong is
skipped.  Rules known to differ still (``fresh_documents.py 1000 SEED --defaults``, seeds 1-3):

- refusals pyvirt lacks: an LXC domain whose shared network namespace lost its source (libvirt
  fails without a cause), an mdev host device without its source address, a bhyve nmdm serial
  missing one of its paths, an LXC RAM filesystem without ``usage``;
- defaults not filled or elements kept: a PCI controller's ``<target>``/``<model>`` on pSeries
  PHBs and root ports once an attribute is gone, a console's target port counted past the ones
  given (bhyve), an s390 console target's children, an SMBIOS ``<entry>`` without its name, a
  CPU or PCI address element moved once a sibling is dropped (aarch64 virt).
"""

from __future__ import annotations

from collections import Counter

import pytest
import tool_documents
from fresh_documents import DEFAULTS_MUTATIONS, Oracle, disagreement, generate
from libvirt_data import Runner

pytestmark = pytest.mark.needs_libvirt("bindings")

COUNT = 1000
SEED = 1
FLOORS = {"drop-attribute": 0.998, "drop-element": 0.998}
"""Agreement measured per mutation when the floors were last raised (0.9990 and 0.9980), rounded
down to the third decimal (one document of slack for drop-attribute)."""


def test_dropped_values_match_libvirt(runner: Runner, oracle: Oracle) -> None:
    sound: dict[str, bool] = {}
    total: Counter[str] = Counter()
    agree: Counter[str] = Counter()
    misses = []
    for i, fresh in enumerate(generate(COUNT, SEED, None, DEFAULTS_MUTATIONS)):
        name = fresh.case.name
        if name not in sound:
            sound[name] = runner.miss(fresh.case) is None
        if not sound[name]:
            continue
        miss = disagreement(runner, oracle, fresh)
        for label in fresh.labels:
            total[label] += 1
            agree[label] += miss is None
        if miss is not None:
            misses.append(f"#{i} {name} {'+'.join(fresh.labels)}: {miss}")
    rates = {label: agree[label] / total[label] for label in total}
    low = {label: f"{agree[label]}/{total[label]}" for label, rate in rates.items() if rate < FLOORS[label]}
    assert not low, f"agreement fell below {FLOORS}: {low}\n" + "\n".join(misses[:30])


def test_tool_documents_match_libvirt(runner: Runner, oracle: Oracle) -> None:
    """Sparse documents as virt-install, Terraform, Nova, Vagrant and Ansible users write them
    (``tool_documents.py``): all 400 of seed 1 agree with libvirt (as did seeds 2 and 3, 1200
    documents, when this was written), so any difference is a regression."""
    misses = []
    for i, fresh in enumerate(tool_documents.generate(400, 1)):
        miss = disagreement(runner, oracle, fresh)
        if miss is not None:
            misses.append(f"#{i} {fresh.labels[0]}: {miss}\n{fresh.xml}")
    assert not misses, f"{len(misses)}/400 differ from libvirt:\n" + "\n".join(misses[:5])
