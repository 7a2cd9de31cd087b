"""Fresh documents for a differential test: libvirt's accepted test documents, mutated at random.

The issue's measure is documents nobody working on pyvirt has seen, so fitting rules to the
committed data proves little.  This module makes new documents from it -- a seeded generator,
so a failure is reproducible from its seed -- and asks real libvirt (``libvirt_oracle.py``) what
it does with each; pyvirt's test driver must do the same (same dump, or refuse too).

Mutations are chosen to exercise rules rather than cases: content libvirt's parser does not
read (unknown elements and attributes at any depth), element order (siblings of different names
shuffled, same-named ones kept in order), whitespace between elements and around numbers,
scaled-integer units rewritten to an equal size in another unit, and integers written with
leading zeros or ``+``.  None needs to keep the document valid: the oracle decides.

    .venv/bin/python tests/xml/fresh_documents.py [COUNT] [SEED] [--defaults]

``--defaults`` adds mutations that drop an attribute or an element at random, so libvirt has to
fill defaults in or refuse; pyvirt does not agree on all of those yet, so
``test_xml_fresh_defaults.py`` runs them alone and guards the measured agreement instead.
"""

from __future__ import annotations

import copy
import json
import random
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from libvirt_data import Case, Runner, cases, copy_generated, first_difference
from lxml import etree

ORACLE = Path(__file__).with_name("libvirt_oracle.py")
_PARSER = etree.XMLParser(remove_blank_text=True)

Mutation = Callable[[etree._Element, random.Random], bool]


def _elements(root: etree._Element) -> list[etree._Element]:
    """Elements a mutation may touch: not namespaced, not inside ``<metadata>`` (kept verbatim)."""
    out = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag.startswith("{"):
            continue
        if any(a.tag == "metadata" for a in el.iterancestors()) or el.tag == "metadata":
            continue
        out.append(el)
    return out


def unknown_attribute(root: etree._Element, rng: random.Random) -> bool:
    el = rng.choice(_elements(root))
    el.set(rng.choice(("extra", "pyvirtUnknown", "x_flag")), rng.choice(("1", "yes", "on", "weird value")))
    return True


def unknown_element(root: etree._Element, rng: random.Random) -> bool:
    hosts = [el for el in _elements(root) if len(el) or not (el.text or "").strip()]
    el = rng.choice(hosts)
    new = etree.Element(rng.choice(("extra", "pyvirtUnknown", "target_x")))
    if rng.random() < 0.5:
        new.set("name", "x")
    if rng.random() < 0.3:
        etree.SubElement(new, "inner").text = "text"
    el.insert(rng.randint(0, len(el)), new)
    return True


def reorder(root: etree._Element, rng: random.Random) -> bool:
    """Shuffle the children of one element, keeping the order among same-named siblings."""
    hosts = [el for el in _elements(root) if len({c.tag for c in el}) > 1]
    if not hosts:
        return False
    el = rng.choice(hosts)
    children = list(el)
    by_tag: dict[object, list[etree._Element]] = {}
    for child in children:
        by_tag.setdefault(child.tag, []).append(child)
    slots = [child.tag for child in children]
    rng.shuffle(slots)
    for child in children:
        el.remove(child)
    for tag in slots:
        el.append(by_tag[tag].pop(0))
    return True


_UNITS = {
    "b": 1,
    "bytes": 1,
    "KiB": 1024,
    "k": 1024,
    "MiB": 1024**2,
    "M": 1024**2,
    "GiB": 1024**3,
    "KB": 1000,
    "MB": 10**6,
}
_DEFAULT_UNIT = {"capacity": "b", "allocation": "b", "available": "b", "physical": "b"}


def units(root: etree._Element, rng: random.Random) -> bool:
    """One sized element rewritten to an equal size in another unit (exact only)."""
    sized = [
        el
        for el in _elements(root)
        if (el.text or "").strip().isdigit()
        and (el.get("unit") in _UNITS or (el.get("unit") is None and el.tag in _DEFAULT_UNIT))
    ]
    if not sized:
        return False
    el = rng.choice(sized)
    size = int((el.text or "").strip()) * _UNITS[el.get("unit") or _DEFAULT_UNIT.get(el.tag, "KiB")]
    exact = [u for u, f in _UNITS.items() if size % f == 0]
    unit = rng.choice(exact)
    el.set("unit", unit)
    el.text = str(size // _UNITS[unit])
    return True


_INT = re.compile(r"^[1-9][0-9]*$")


def number_form(root: etree._Element, rng: random.Random) -> bool:
    """A decimal attribute or text written with a leading zero or a plus sign."""
    spots: list[tuple[etree._Element, str | None]] = [
        (el, str(name)) for el in _elements(root) for name, value in el.attrib.items() if _INT.match(str(value))
    ]
    spots += [(el, None) for el in _elements(root) if not len(el) and _INT.match((el.text or "").strip())]
    if not spots:
        return False
    el, name = rng.choice(spots)
    value = el.get(name) if name else (el.text or "").strip()
    assert value is not None
    new = rng.choice(("0", "+", " ")) + value if name is None else rng.choice(("0", "+")) + value
    if name is None:
        el.text = new
    else:
        el.set(name, new)
    return True


def drop_attribute(root: etree._Element, rng: random.Random) -> bool:
    """One attribute removed: libvirt fills its default in, or refuses the document."""
    spots = [(el, str(name)) for el in _elements(root) if el is not root for name in el.attrib]
    if not spots:
        return False
    el, name = rng.choice(spots)
    del el.attrib[name]
    return True


def drop_element(root: etree._Element, rng: random.Random) -> bool:
    """One element (and its subtree) removed, never the root's name."""
    spots = [el for el in _elements(root) if el.getparent() is not None and el.tag != "name"]
    if not spots:
        return False
    el = rng.choice(spots)
    parent = el.getparent()
    assert parent is not None
    parent.remove(el)
    return True


def _changed(value: str) -> str:
    """Another value of the same form, so that which copy libvirt read shows in its dump."""
    if value.isdigit():
        return str(int(value) + 1)
    swap = {"yes": "no", "no": "yes", "on": "off", "off": "on"}
    return swap.get(value, value + "x" if value.isalnum() else value)


def twin_of(el: etree._Element, change: bool = True) -> etree._Element:
    """A copy of ``el``, its attribute values and texts changed (:func:`_changed`) when ``change``."""
    twin = copy.deepcopy(el)
    twin.tail = None
    if change:
        for node in twin.iter():
            if not isinstance(node.tag, str):
                continue
            for name, value in node.attrib.items():
                node.set(name, _changed(str(value)))
            if node.text and node.text.strip() and not len(node):
                node.text = _changed(node.text.strip())
    return twin


def duplicate_element(root: etree._Element, rng: random.Random) -> bool:
    """One element copied next to itself (or to the end of its parent), the copy's values
    changed: does libvirt read the first copy, the last, both, or refuse?"""
    spots = [el for el in _elements(root) if el.getparent() is not None]
    if not spots:
        return False
    el = rng.choice(spots)
    parent = el.getparent()
    assert parent is not None
    twin = twin_of(el, rng.random() < 0.8)
    if rng.random() < 0.7:
        el.addnext(twin)
    else:
        parent.append(twin)
    return True


def path_key(el: etree._Element) -> str:
    """``el``'s path as :mod:`pyvirt.xml.canonical` keys it (a child named like its parent
    shares its key)."""
    key = ""
    for node in [*reversed(list(el.iterancestors())), el]:
        tag = str(node.tag)
        key = tag if not key else key if key.rsplit("/", 1)[-1] == tag else f"{key}/{tag}"
    return key


def duplicate_each_path(
    selected: list[Case], once: Callable[[str, str, str], bool], per_path: int, seed: int, *, bare: bool = False
) -> Iterator[Twice]:
    """For every element path of the accepted ``selected`` documents whose element ``once``
    (kind, parent path, tag) says the schema allows once, up to ``per_path`` documents (drawn
    in an order reproducible from ``seed``) with that element followed by a changed copy of
    itself; an element the document already repeats is left alone.  ``bare``: the copy, without
    its children, comes first instead (does libvirt read the later copy's children too?)."""
    rng = random.Random(seed)
    pool = [c for c in selected if c.outcome == "dump"]
    rng.shuffle(pool)
    made: Counter[tuple[str, str]] = Counter()
    for case in pool:
        root = etree.fromstring(case.input.read_bytes(), _PARSER)
        for el in _elements(root):
            parent = el.getparent()
            if parent is None or not once(case.kind, path_key(parent), str(el.tag)):
                continue
            key = (case.kind, path_key(el))
            if made[key] >= per_path or len(parent.findall(str(el.tag))) > 1:
                continue
            made[key] += 1
            where = list(root.iter()).index(el)
            copied = etree.fromstring(etree.tostring(root), _PARSER)
            original = list(copied.iter())[where]
            twin = twin_of(original)
            if bare:
                twin[:] = []
                original.addprevious(twin)
            else:
                original.addnext(twin)
            yield Twice(case, ("duplicate-element",), etree.tostring(copied, encoding="unicode"), key[1])


MUTATIONS: dict[str, Mutation] = {
    "unknown-attribute": unknown_attribute,
    "unknown-element": unknown_element,
    "reorder": reorder,
    "units": units,
    "number-form": number_form,
}

DEFAULTS_MUTATIONS: dict[str, Mutation] = {"drop-attribute": drop_attribute, "drop-element": drop_element}
"""Mutations that make libvirt fill defaults in (or refuse): ``--defaults`` adds them."""

DUPLICATE_MUTATIONS: dict[str, Mutation] = {"duplicate-element": duplicate_element}
"""An element twice where the model may hold it once: ``--duplicates`` runs it alone."""


def layout(root: etree._Element, rng: random.Random) -> str:
    """The document as text, in one of several layouts libvirt must not care about."""
    style = rng.randrange(3)
    if style == 0:
        return etree.tostring(root, encoding="unicode")
    if style == 1:
        return etree.tostring(root, encoding="unicode", pretty_print=True)
    text = etree.tostring(root, encoding="unicode", pretty_print=True)
    return "<?xml version='1.0' encoding='UTF-8'?>\n" + text.replace("  ", "\t").replace("><", ">\n \n<")


@dataclass(frozen=True)
class Fresh:
    case: Case
    labels: tuple[str, ...]
    xml: str


@dataclass(frozen=True)
class Twice(Fresh):
    """A document with one element written twice: ``path`` is the element's path key."""

    path: str


def generate(
    count: int, seed: int, selected: list[Case] | None = None, mutations: dict[str, Mutation] | None = None
) -> Iterator[Fresh]:
    """``count`` mutated documents from the accepted cases, reproducible from ``seed``;
    ``mutations``: the ones to draw from (default :data:`MUTATIONS`)."""
    rng = random.Random(seed)
    pool = [c for c in (selected if selected is not None else cases()) if c.outcome == "dump"]
    chosen = MUTATIONS if mutations is None else mutations
    names = sorted(chosen)
    made = 0
    while made < count:
        case = rng.choice(pool)
        root = etree.fromstring(case.input.read_bytes(), _PARSER)
        labels = []
        for _ in range(rng.randint(1, 3)):
            label = rng.choice(names)
            if chosen[label](root, rng):
                labels.append(label)
        if not labels:
            continue
        made += 1
        yield Fresh(case, tuple(labels), layout(root, rng))


class Oracle:
    """``libvirt_oracle.py`` under the system interpreter, one request at a time; ``-E``: a
    caller's ``PYTHONPATH`` that puts a checkout's sources first also holds pyvirt-libvirt's own
    ``libvirt`` module, which must not replace the real bindings."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            ["/usr/bin/python3", "-E", str(ORACLE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, case: Case, xml: str) -> dict[str, Any]:
        """libvirt's answer, or ``{"crash": ...}`` when libvirt itself died on the document (it
        does, on some: a heap corruption abort), after which a fresh oracle is started."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        pool = case.pool_document if case.kind == "volume" else None
        try:
            self._proc.stdin.write(json.dumps({"kind": case.kind, "xml": xml, "pool": pool}) + "\n")
            self._proc.stdin.flush()
            line = self._proc.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            self._proc.wait(timeout=30)
            self.__init__()  # type: ignore[misc]
            return {"crash": "libvirt's process died on this document"}
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait(timeout=30)


def disagreement(runner: Runner, oracle: Oracle, fresh: Fresh) -> str | None:
    """How pyvirt's outcome on ``fresh`` differs from libvirt's, or None."""
    want = oracle.ask(fresh.case, fresh.xml)
    if "crash" in want:
        return None  # no verdict to compare with
    got = runner.outcome_of(fresh.case, fresh.xml)
    if "dump" not in want:
        return None if got.startswith("refused ") else f"accepted what libvirt refuses: {str(want['message'])[:120]}"
    if got.startswith("refused "):
        return got[:160]
    dump = str(want["dump"])
    got = copy_generated(got, dump, fresh.xml)
    return None if got == dump else "differs: " + first_difference(got, dump)


def main(argv: list[str]) -> int:
    chosen = MUTATIONS
    if "--defaults" in argv:
        argv = [a for a in argv if a != "--defaults"]
        MUTATIONS.update(DEFAULTS_MUTATIONS)
    if "--duplicates" in argv:
        argv = [a for a in argv if a != "--duplicates"]
        chosen = DUPLICATE_MUTATIONS
    count = int(argv[1]) if len(argv) > 1 else 500
    seed = int(argv[2]) if len(argv) > 2 else 1
    print_agreement(generate(count, seed, mutations=chosen))
    return 0


def print_agreement(documents: Iterable[Fresh], *, verbose: bool = False) -> None:
    """The generators' command-line report: each document pyvirt and libvirt disagree on (with
    its text when ``verbose``), then how many of each label agree."""
    runner, oracle = Runner(), Oracle()
    tally: Counter[str] = Counter()
    bad: Counter[str] = Counter()
    try:
        for i, fresh in enumerate(documents):
            miss = disagreement(runner, oracle, fresh)
            for label in fresh.labels:
                tally[label] += 1
                bad[label] += miss is not None
            if miss is not None:
                print(f"#{i} {fresh.case.kind} {fresh.case.name} {'+'.join(fresh.labels)}: {miss}")
                if verbose:
                    print(fresh.xml)
    finally:
        runner.close()
        oracle.close()
    for label in sorted(tally):
        print(f"{label}: {tally[label] - bad[label]}/{tally[label]} agree")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
