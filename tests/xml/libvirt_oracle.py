"""Real libvirt 9.0's test driver as an oracle process: one JSON request per line in, one answer out.

Runs under the system interpreter (``/usr/bin/python3``, which has libvirt's bindings), on one
test-driver connection to an empty node, and does what ``gen_libvirt_data.py`` did for the
committed data: define (or, for a volume, create in its pool) and dump, then remove the object.
A request is ``{"kind": ..., "xml": ..., "pool": <pool document or null>}``; the answer is
``{"dump": ...}`` or ``{"code": N, "message": ...}``.  Start it with :func:`start` from pytest
(see ``fresh_documents.py``); pyvirt itself never uses libvirt.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any


def answer(conn: Any, lv: Any, kind: str, xml: str, pool_xml: str | None) -> dict[str, Any]:
    try:
        if kind == "domain":
            dom = conn.defineXML(xml)
            try:
                return {"dump": dom.XMLDesc(lv.VIR_DOMAIN_XML_INACTIVE)}
            finally:
                dom.undefine()
        if kind == "network":
            net = conn.networkDefineXML(xml)
            try:
                return {"dump": net.XMLDesc(0)}
            finally:
                net.undefine()
        if kind == "pool":
            p = conn.storagePoolDefineXML(xml)
            try:
                return {"dump": p.XMLDesc(0)}
            finally:
                p.undefine()
        p = conn.storagePoolDefineXML(pool_xml)
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


def main() -> int:
    import libvirt  # type: ignore[import-not-found]  # system interpreter only

    libvirt.registerErrorHandler(lambda *_: None, None)
    with tempfile.TemporaryDirectory() as tmp:
        node = Path(tmp) / "empty.xml"
        node.write_text("<node/>\n")
        conn = libvirt.open(f"test://{node}")
        for line in sys.stdin:
            req = json.loads(line)
            out = answer(conn, libvirt, req["kind"], req["xml"], req.get("pool"))
            sys.stdout.write(json.dumps(out) + "\n")
            sys.stdout.flush()
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
