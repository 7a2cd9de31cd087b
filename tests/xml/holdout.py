"""How much of pyvirt's score on libvirt's test data is fitted to that data: a held-out measure.

libvirt's test documents are split by a hash of their name into a training part (80%) and a
held-out part (20%).  The one table learned from the data itself -- element and attribute order
(``gen_order.py``) -- is rebuilt from the training part's dumps only and swapped in; then both
parts are measured.  A held-out score below the training score is what a second sample would
lose to order learned from documents it does not contain.  The hand-written rules cannot be
re-derived this way; ``fresh_documents.py`` measures them on documents nobody has seen.

    .venv/bin/python tests/xml/holdout.py [PERCENT]
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections import Counter
from pathlib import Path

from gen_order import REPO, tables
from libvirt_data import Case, cases, measure


def held_out(case: Case, percent: int) -> bool:
    """Stable split: the first byte of the name's SHA-256, below ``percent`` of 256."""
    return hashlib.sha256(case.name.encode()).digest()[0] < 256 * percent // 100


def use_order_tables(child: dict[str, tuple[str, ...]], attrs: dict[str, tuple[str, ...]]) -> None:
    """Swap the order tables :mod:`pyvirt.xml.canonical` sorts by (and forget its memos)."""
    from pyvirt.xml import canonical

    canonical.use_tables(child, attrs)


def main(argv: list[str]) -> int:
    percent = int(argv[1]) if len(argv) > 1 else 20
    everything = cases()
    hidden = frozenset(c.name for c in everything if held_out(c, percent))
    corpus = Path(os.environ.get("PYVIRT_CORPUS", REPO.parent / "shared" / "corpus"))
    use_order_tables(*tables(corpus, leave_out=hidden))
    totals: Counter[tuple[str, str, bool]] = Counter()
    ok: Counter[tuple[str, str, bool]] = Counter()
    for case, miss in measure(everything):
        key = (case.kind, case.outcome, case.name in hidden)
        totals[key] += 1
        ok[key] += miss is None
        if miss is not None:
            print(f"miss {'held-out' if case.name in hidden else 'training'} {case.name}: {miss}")
    for kind, outcome, hide in sorted(totals):
        key = (kind, outcome, hide)
        part = "held-out" if hide else "training"
        print(f"{kind} {outcome} {part}: {ok[key]}/{totals[key]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
