"""Escaping for the small XML documents pyvirsh writes itself (pool-define-as, vol-create-as).

virsh writes attributes in single quotes; these helpers do the same so ``--print-xml`` output
is identical.
"""

from __future__ import annotations


def text(value: str) -> str:
    """``value`` escaped for element content."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attr(value: str) -> str:
    """``value`` as a single-quoted attribute value, quotes included."""
    return "'" + text(value).replace("'", "&apos;") + "'"
