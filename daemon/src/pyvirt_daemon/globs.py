"""libvirt's access lists of names (``tls_allowed_dn_list``, ``sasl_allowed_username_list``):
GLib's simple patterns, where ``*`` matches any run of characters and ``?`` any one, nothing
else is special, and the whole name must match."""

from __future__ import annotations

import functools
import re


def allowed(name: str, patterns: tuple[str, ...] | None) -> bool:
    """True when ``name`` matches one of ``patterns``.  ``None`` (the key is absent) means no
    check; an empty list matches nobody, as in libvirtd, so ``[]`` locks every client out."""
    return patterns is None or any(_compile(p).fullmatch(name) for p in patterns)


@functools.lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)
