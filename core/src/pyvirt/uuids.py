"""UUID strings in libvirt's printed form, parsed once where they enter pyvirt.

libvirt reads a UUID with dashes or spaces anywhere between its 32 hex digits, in any case, and
always prints it lower-case and dashed.  Documents (``<uuid>``) and lookups both go through
:func:`canonical`, so drivers index and compare one form only.  No :mod:`uuid` import: it costs
start-up time and does not accept libvirt's spaced form.
"""

from __future__ import annotations

import re

_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HEX32 = re.compile(r"[0-9a-fA-F]{32}")


def canonical(text: str) -> str | None:
    """``text`` in libvirt's printed form, or None when it is not a UUID."""
    if _CANONICAL.fullmatch(text):
        return text
    compact = text.strip().replace("-", "").replace(" ", "")
    if not _HEX32.fullmatch(compact):
        return None
    c = compact.lower()
    return f"{c[:8]}-{c[8:12]}-{c[12:16]}-{c[16:20]}-{c[20:]}"
