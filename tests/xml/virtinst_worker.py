"""Debian's virt-install as a document writer: one JSON command line per line in, its
``--print-xml`` document (or its refusal) out.

Runs under the system interpreter (``/usr/bin/python3``, which has libvirt's bindings and
virtinst at ``/usr/share/virt-manager``) and calls virt-install's ``main`` in this process for
each command line, on one open ``test:///default`` connection: a separate ``virt-install``
process costs about 0.4 s of start-up per document.  A request is a JSON list of arguments
(without the program name and ``--connect``); the answer is ``{"xml": ...}`` or
``{"refused": <virt-install's error output>}``.  Started by ``virtinst_documents.py``.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path
from typing import Any

VIRTINST = Path("/usr/share/virt-manager")


def run(virtinstall: Any, conn: Any, argv: list[str]) -> dict[str, str]:
    out, err = io.StringIO(), io.StringIO()
    sys.argv = ["virt-install", "--connect", "test:///default", *argv]
    status: object = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = virtinstall.main(conn=conn)
        except SystemExit as exc:
            status = exc.code
        except Exception as exc:  # virt-install's own runcli turns these into its error exit
            status = 1
            err.write(f"{type(exc).__name__}: {exc}")
    if status or "<domain" not in out.getvalue():
        return {"refused": (err.getvalue() or out.getvalue()).strip()[-400:]}
    return {"xml": out.getvalue()}


def main() -> int:
    sys.path.insert(0, str(VIRTINST))
    import logging

    from virtinst import VirtinstConnection, virtinstall  # type: ignore[import-not-found]

    conn = VirtinstConnection("test:///default")
    conn.open(None, None)
    for line in sys.stdin:
        answer = run(virtinstall, conn, json.loads(line))
        # virt-install's setupLogging adds handlers on every call; drop them again
        for handler in list(logging.getLogger().handlers):
            logging.getLogger().removeHandler(handler)
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
