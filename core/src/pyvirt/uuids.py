"""UUID strings in libvirt's printed form, parsed once where they enter pyvirt.

libvirt reads a UUID with dashes or spaces anywhere between its 32 hex digits, in any case, and
always prints it lower-case and dashed.  Documents (``<uuid>``) and lookups both go through
:func:`canonical`, so drivers index and compare one form only.  No :mod:`uuid` import: it costs
start-up time and does not accept libvirt's spaced form; no regular expression either, whose
compiling costs more start-up time than the checks take.
"""

from __future__ import annotations

_LOWER_HEX = frozenset("0123456789abcdef")
_HEX = frozenset("0123456789abcdefABCDEF")


def canonical(text: str) -> str | None:
    """``text`` in libvirt's printed form, or None when it is not a UUID."""
    if len(text) == 36 and text[8] == text[13] == text[18] == text[23] == "-":
        digits = text.replace("-", "")
        if len(digits) == 32 and _LOWER_HEX.issuperset(digits):
            return text
    compact = text.strip().replace("-", "").replace(" ", "")
    if len(compact) != 32 or not _HEX.issuperset(compact):
        return None
    c = compact.lower()
    return f"{c[:8]}-{c[8:12]}-{c[12:16]}-{c[16:20]}-{c[20:]}"
