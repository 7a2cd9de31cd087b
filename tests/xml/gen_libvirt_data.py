"""Regenerate ``tests/data/libvirt-xml``: every libvirt 9.0.0 test document with real libvirt's verdict.

libvirt's source tree holds a few thousand ``<domain>``, ``<network>``, ``<pool>`` and ``<volume>``
documents under ``tests/`` (its qemu, generic, lxc, bhyve, vmx, xl, schema and network/storage
test data, including the documents its tests expect to fail).  This script runs each one through
real libvirt 9.0's test driver -- the oracle pyvirt's test driver must agree with -- and records
what it did: the ``--inactive`` dump of the definition, or the refusal (error code and message).

The result is committed (with libvirt's licence), so the test suite needs neither the source nor
libvirt.  Byte-identical inputs are stored once.  It needs libvirt's Python bindings, so it runs
under the system interpreter, given the unpacked source (see ``shared/protocol/README.md``):

    /usr/bin/python3 tests/xml/gen_libvirt_data.py /tmp/libvirt-9.0.0
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "data" / "libvirt-xml"

KINDS = {"domain": "domain", "network": "network", "pool": "pool", "volume": "volume"}
"""Root tag -> kind; every other root (snapshots, status files, capabilities...) is not ours."""

_ROOT = re.compile(rb"^(?:\s|<\?.*?\?>|<!--.*?-->)*<([A-Za-z_][\w.-]*)", re.S)
_VOL_TEST = re.compile(r'DO_TEST(?:_FULL|_FAIL)?\("([^"]+)",\s*"([^"]+)"')


def root_tag(data: bytes) -> str | None:
    found = _ROOT.match(data)
    return found.group(1).decode() if found else None


def volume_pools(src: Path) -> dict[str, str]:
    """Volume test name -> the pool test document its test parses it against."""
    text = (src / "tests" / "storagevolxml2xmltest.c").read_text()
    return {vol: pool for pool, vol in _VOL_TEST.findall(text)}


def collect(src: Path) -> list[dict[str, Any]]:
    """Every document of a kind we handle, first occurrence of identical bytes only."""
    seen: set[str] = set()
    cases: list[dict[str, Any]] = []
    pools = volume_pools(src)
    tests = src / "tests"
    for path in sorted(tests.rglob("*.xml")):
        data = path.read_bytes()
        kind = KINDS.get(root_tag(data) or "")
        if kind is None:
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        rel = path.relative_to(tests)
        name = "--".join(rel.with_suffix("").parts)
        case: dict[str, Any] = {"name": name, "kind": kind, "source": f"tests/{rel}"}
        if kind == "volume":
            case["pool"] = pools.get(path.stem, "pool-dir")
        cases.append(case)
    return cases


class Oracle:
    """One libvirt test-driver connection on an empty node; every object is removed after use."""

    def __init__(self, node: Path, src: Path) -> None:
        import libvirt  # type: ignore[import-not-found]  # system interpreter only; a maintainer tool

        self.lv = libvirt
        libvirt.registerErrorHandler(lambda *_: None, None)
        self.conn = libvirt.open(f"test://{node}")
        self.pool_dir = src / "tests" / "storagepoolxml2xmlin"

    def run(self, kind: str, xml: str, pool: str | None) -> dict[str, Any]:
        lv = self.lv
        try:
            if kind == "domain":
                dom = self.conn.defineXML(xml)
                try:
                    return {"dump": dom.XMLDesc(lv.VIR_DOMAIN_XML_INACTIVE)}
                finally:
                    dom.undefine()
            if kind == "network":
                net = self.conn.networkDefineXML(xml)
                try:
                    return {"dump": net.XMLDesc(0)}
                finally:
                    net.undefine()
            if kind == "pool":
                p = self.conn.storagePoolDefineXML(xml)
                try:
                    return {"dump": p.XMLDesc(0)}
                finally:
                    p.undefine()
            assert pool is not None
            p = self.conn.storagePoolDefineXML((self.pool_dir / f"{pool}.xml").read_text())
            try:
                p.create()
                try:
                    vol = p.createXML(xml)
                    try:
                        return {"dump": vol.XMLDesc(0)}
                    finally:
                        vol.delete()
                finally:
                    p.destroy()
            finally:
                p.undefine()
        except lv.libvirtError as exc:
            return {"code": exc.get_error_code(), "message": exc.get_error_message()}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    src = Path(argv[1]).resolve()
    cases = collect(src)
    with tempfile.TemporaryDirectory() as tmp:
        node = Path(tmp) / "empty.xml"
        node.write_text("<node/>\n")
        oracle = Oracle(node, src)
        if OUT.exists():
            shutil.rmtree(OUT)
        for kind in KINDS.values():
            (OUT / kind).mkdir(parents=True)
        manifest = []
        for case in cases:
            data = (src / case["source"]).read_bytes()
            try:
                xml = data.decode()
            except UnicodeDecodeError:
                continue
            outcome = oracle.run(case["kind"], xml, case.get("pool"))
            base = OUT / case["kind"] / case["name"]
            base.with_name(base.name + ".xml").write_bytes(data)
            if "dump" in outcome:
                base.with_name(base.name + ".dump.xml").write_text(outcome["dump"])
                case["outcome"] = "dump"
            else:
                case.update(outcome="refused", code=outcome["code"], message=outcome["message"])
            manifest.append(case)
    with open(OUT / "manifest.jsonl", "w") as fh:
        for case in manifest:
            fh.write(json.dumps(case, sort_keys=True) + "\n")
    shutil.copy(src / "COPYING.LESSER", OUT / "COPYING.LESSER")
    counts: dict[str, list[int]] = {}
    for case in manifest:
        row = counts.setdefault(case["kind"], [0, 0])
        row[case["outcome"] == "refused"] += 1
    for kind, (dumps, refusals) in sorted(counts.items()):
        print(f"{kind}: {dumps} dumps, {refusals} refusals")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
