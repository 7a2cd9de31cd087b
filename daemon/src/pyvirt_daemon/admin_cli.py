"""``pyvirt-admin``: talk to a running pyvirtd over its admin socket."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("pyvirt-admin: not available yet", file=sys.stderr)
    return 1
