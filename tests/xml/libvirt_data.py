"""libvirt 9.0.0's whole test data (``tests/data/libvirt-xml``) run through pyvirt's test driver.

Each case is one document from libvirt's source tree with real libvirt's verdict on it (see
``gen_libvirt_data.py``): its test driver's ``--inactive`` dump, or its refusal.  :func:`run_case`
does what a user would with pyvirt -- define on the test driver, dump the inactive definition,
undefine -- in this process, on one shared connection, and says how the outcome differs.

Values libvirt makes up (a UUID, MACs, interface ids) cannot match and are copied from libvirt's
dump before comparing; everything else must be byte-identical.

    python tests/xml/libvirt_data.py            # counts per kind and the misses, grouped
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyvirt
from pyvirt.connection import Connection
from pyvirt.errors import PyvirtError

DATA = Path(__file__).resolve().parents[1] / "data" / "libvirt-xml"
POOLS = "storagepoolxml2xmlin"


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    source: str
    outcome: str
    pool: str | None = None
    code: int | None = None
    message: str | None = None
    pool_xml: str | None = None
    """A volume's pool document itself, for generated volumes whose pool is not in the data."""

    @property
    def pool_document(self) -> str:
        """The document of the pool a volume case is created in."""
        if self.pool_xml is not None:
            return self.pool_xml
        return (DATA / "pool" / f"{POOLS}--{self.pool}.xml").read_text()

    @property
    def input(self) -> Path:
        return DATA / self.kind / f"{self.name}.xml"

    @property
    def dump(self) -> Path:
        return DATA / self.kind / f"{self.name}.dump.xml"


def cases() -> list[Case]:
    with open(DATA / "manifest.jsonl") as fh:
        return [Case(**json.loads(line)) for line in fh]


_GENERATED = (
    r"<mac address='[^']*'",  # also with type/check after it
    r"<uuid>[^<]*</uuid>",
    r"interfaceid='[^']*'",
    r"instanceid='[^']*'",
    r"<genid>[^<]*</genid>",
)


def copy_generated(got: str, expected: str, given: str) -> str:
    """``got`` with the values libvirt made up taken from ``expected``, where the input had none."""
    for pattern in _GENERATED:
        for mine, theirs in zip(re.findall(pattern, got), re.findall(pattern, expected), strict=False):
            if mine not in given and mine != theirs:
                got = got.replace(mine, theirs, 1)
    return got


class Runner:
    """One pyvirt test-driver connection on an empty node; each object is removed after use."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        node = Path(self._tmp.name) / "empty.xml"
        node.write_text("<node/>\n")
        self.conn: Connection = pyvirt.open(f"test://{node}")

    def close(self) -> None:
        self.conn.close()
        self._tmp.cleanup()

    def outcome(self, case: Case) -> str:
        """pyvirt's dump, or ``refused <code>: <message>``."""
        return self.outcome_of(case, case.input.read_text())

    def outcome_of(self, case: Case, xml: str) -> str:
        """As :meth:`outcome` for another document of the case's kind (and pool)."""
        try:
            return self._dump(case, xml)
        except PyvirtError as exc:
            return f"refused {int(exc.code)}: {exc}"

    def _dump(self, case: Case, xml: str) -> str:
        if case.kind == "domain":
            dom = self.conn.define_domain(xml)
            try:
                return dom.xml(inactive=True)
            finally:
                dom.undefine()
        if case.kind == "network":
            net = self.conn.define_network(xml)
            try:
                return net.xml()
            finally:
                net.undefine()
        if case.kind == "pool":
            pool = self.conn.define_pool(xml)
            try:
                return pool.xml()
            finally:
                pool.undefine()
        pool = self.conn.define_pool(case.pool_document)
        try:
            pool.start()
            try:
                vol = pool.create_volume(xml)
                try:
                    return vol.xml()
                finally:
                    vol.delete()
            finally:
                pool.destroy()
        finally:
            pool.undefine()

    def miss(self, case: Case) -> str | None:
        """Why pyvirt's outcome differs from libvirt's, or None when it agrees."""
        got = self.outcome(case)
        if case.outcome == "refused":
            return (
                None if got.startswith("refused ") else "accepted what libvirt refuses: " + (case.message or "")[:100]
            )
        if got.startswith("refused "):
            return got[:160]
        want = case.dump.read_text()
        got = copy_generated(got, want, case.input.read_text())
        if got == want:
            return None
        return "differs: " + first_difference(got, want)


def first_difference(got: str, want: str) -> str:
    a, b = got.splitlines(), want.splitlines()
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"line {i + 1}: got {x.strip()!r} want {y.strip()!r}"
    if len(a) > len(b):
        return f"extra line {len(b) + 1}: {a[len(b)].strip()!r}"
    return f"missing line {len(a) + 1}: {b[len(a)].strip()!r}"


def measure(selected: list[Case] | None = None) -> Iterator[tuple[Case, str | None]]:
    runner = Runner()
    try:
        for case in selected if selected is not None else cases():
            yield case, runner.miss(case)
    finally:
        runner.close()


def main(argv: list[str]) -> int:
    want = set(argv[1:])
    selected = [c for c in cases() if not want or c.name in want or c.kind in want]
    totals: Counter[tuple[str, bool]] = Counter()
    ok: Counter[tuple[str, bool]] = Counter()
    misses = []
    for case, miss in measure(selected):
        key = (case.kind, case.outcome == "refused")
        totals[key] += 1
        if miss is None:
            ok[key] += 1
        else:
            misses.append((case.name, miss))
    for name, miss in misses:
        print(f"miss {name}: {miss}")
    for (kind, refusal), total in sorted(totals.items()):
        label = f"{kind} refusals" if refusal else kind
        print(f"{label}: {ok[(kind, refusal)]}/{total}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
