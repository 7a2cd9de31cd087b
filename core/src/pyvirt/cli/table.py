"""virsh's table layout (its ``vshTable``), byte for byte.

Every cell is preceded by one space; every column but the last is padded to its widest cell
and followed by two spaces; the dashed rule under the header is as long as the padded header
plus three characters per column.  Quiet mode (``-q``) drops the header and the rule, and the
header then does not count for the column widths.
"""

from __future__ import annotations

from collections.abc import Sequence


def width(text: str) -> int:
    """Terminal columns ``text`` takes (East Asian wide characters count two)."""
    if text.isascii():
        return len(text)
    import unicodedata  # only non-ASCII text needs it, and it costs a start ~0.5 ms

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render(header: Sequence[str], rows: Sequence[Sequence[str]], *, quiet: bool = False) -> str:
    """The table as text, each line ending in a newline."""
    measured = list(rows) if quiet else [header, *rows]
    widths = [max((width(row[col]) for row in measured), default=0) for col in range(len(header))]
    lines = [] if quiet else [_line(header, widths), "-" * sum(w + 3 for w in widths)]
    lines.extend(_line(row, widths) for row in rows)
    return "".join(line + "\n" for line in lines)


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    parts = [f" {cell}{' ' * (w - width(cell))}  " for cell, w in zip(cells[:-1], widths, strict=False)]
    return "".join(parts) + " " + cells[-1]
