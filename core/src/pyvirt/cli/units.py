"""Sizes as virsh reads and prints them (``10M`` in, ``10.00 MiB`` out)."""

from __future__ import annotations

_POWERS = "kmgtpe"
_PRETTY = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def parse_scaled(text: str, default_unit: int) -> int | None:
    """Bytes for ``text`` (``512``, ``10M``, ``1GiB``, ``5KB``), or None when malformed.

    As virsh: a bare number is in ``default_unit`` bytes, ``K``/``KiB`` are powers of 1024,
    ``KB`` powers of 1000, ``b``/``bytes`` plain bytes.
    """
    digits = len(text) - len(text.lstrip("0123456789"))
    if digits == 0:
        return None
    number, suffix = int(text[:digits]), text[digits:].lower()
    if not suffix:
        return number * default_unit
    if suffix in ("b", "byte", "bytes"):
        return number
    power = _POWERS.find(suffix[0])
    if power < 0:
        return None
    rest = suffix[1:]
    if rest in ("", "ib"):
        return int(number * 1024 ** (power + 1))
    if rest == "b":
        return int(number * 1000 ** (power + 1))
    return None


def pretty(size: int) -> str:
    """``10485760`` → ``10.00 MiB``: virsh's human-readable capacity."""
    value = float(size)
    for unit in _PRETTY:
        if value < 1024 or unit == _PRETTY[-1]:
            return f"{value:.2f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
