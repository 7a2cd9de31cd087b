"""libvirt's scaled integers: ``<memory unit='MiB'>214</memory>`` and friends.

libvirt stores sizes in one unit (KiB for domain memory, bytes for storage) and always prints
that unit, so ``unit`` is converted once at parse time and then forgotten.
"""

from __future__ import annotations

from pyvirt.errors import XMLError

_POWERS = {"k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}

ULLONG_MAX = 2**64 - 1


def unit_factor(unit: str | None, default: int) -> int:
    """Bytes per ``unit`` (``None``/empty means ``default`` bytes).

    Accepted like libvirt's virScaleInteger, letters in any case: ``b``/``byte``/``bytes``;
    ``k`` or ``KiB`` (1024); ``KB`` (1000); and the same for M, G, T, P, E.
    """
    if not unit:
        return default
    if unit in ("b", "bytes", "B") or unit.lower() in ("b", "byte", "bytes"):
        return 1
    power = _POWERS.get(unit[0].lower())
    if power is None:
        raise ValueError(f"unknown suffix '{unit}'")
    rest = unit[1:].lower()
    if rest in ("", "ib"):
        return int(1024**power)
    if rest == "b":
        return int(1000**power)
    raise ValueError(f"unknown suffix '{unit}'")


def scaled_to(
    value: str,
    unit: str | None,
    *,
    out_unit: int,
    default_unit: int,
    what: str,
    line: int | None = None,
    limit: int = ULLONG_MAX,
) -> int:
    """``value`` in ``unit`` converted to multiples of ``out_unit`` bytes, rounding up."""
    text = value.strip()
    try:
        number = int(text, 10)
        if number < 0:
            raise ValueError
    except ValueError:
        raise XMLError(f"XML error: invalid value '{value}' for element '{what}'", line=line) from None
    try:
        factor = unit_factor(unit, default_unit)
    except ValueError as exc:
        raise XMLError(f"XML error: invalid unit for element '{what}': {exc}", line=line) from None
    total = number * factor
    if total > limit:
        raise XMLError(f"XML error: value too large for element '{what}': {value} {unit or ''}".rstrip(), line=line)
    return -(-total // out_unit)
