"""Scaled integers of a domain beyond memory: one table of where they are and how libvirt prints them.

libvirt reads every size with ``virParseScaledValue``/``virDomainParseMemory`` (a number and an
optional ``unit``, a default unit per element) into bytes or KiB, and prints it in one fixed
unit (``virDomainDefFormatInternal`` and the device formatters).  Each row below is one such
pair, taken from libvirt 9.0's ``domain_conf.c``: the element (an XPath from ``<domain>``), the
attribute holding the number (``None``: the text), the default unit in bytes, and the printed
unit -- a name with its size in bytes, or ``pretty`` for ``virFormatIntPretty`` (the largest of
B, KiB, MiB, GiB, TiB, PiB, EiB that divides the value).  Values are rounded up to the printed
unit, except where libvirt truncates when printing (``floor``).

The top-level memory elements, memtune, NUMA cells and memory devices keep their own rules in
:mod:`.defaults`.
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from pyvirt.xml.parser import line_of, select
from pyvirt.xml.units import scaled_to

KIB = 1024
MIB = 1024 * 1024

# (xpath, number attribute or None for text, default unit bytes, printed unit, printed unit bytes, floor)
_Row = tuple[str, str | None, int, str, int, bool]
ROWS: tuple[_Row, ...] = (
    ("devices/controller/pcihole64", None, KIB, "KiB", KIB, False),
    ("memoryBacking/hugepages/page", "size", KIB, "KiB", KIB, False),
    ("features/hpt/maxpagesize", None, KIB, "KiB", KIB, False),
    ("features/smm/tseg", None, MIB, "pretty", 1, False),
    ("devices/shmem/size", None, 1, "M", MIB, True),
    ("devices/filesystem/space_hard_limit", None, 1, "bytes", 1, False),
    ("devices/filesystem/space_soft_limit", None, 1, "bytes", 1, False),
    ("devices/disk/driver/metadata_cache/max_size", None, 1, "bytes", 1, False),
    ("devices/disk//format/metadata_cache/max_size", None, 1, "bytes", 1, False),
)

TAGS = tuple({row[0].rsplit("/", 1)[-1]: None for row in ROWS})
"""The table's element names: the query runs only when one of them is in the document (found
by a C-level walk, much cheaper than the query; most documents have none)."""
_QUERY = etree.XPath(" | ".join(row[0] for row in ROWS))
_BY_TAG = {row[0].rsplit("/", 1)[-1]: row for row in ROWS}
"""The query selects only the table's elements, so the last step names the row."""
_PRETTY = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def _anchors(devices: bool) -> dict[str, tuple[str, ...]]:
    """The table's element names by the child of ``<devices>`` (or, not ``devices``, of
    ``<domain>``) their paths start from."""
    found: dict[str, tuple[str, ...]] = {}
    for path, *_rest in ROWS:
        steps = path.split("/")
        if (steps[0] == "devices") == devices:
            start = steps[1] if devices else steps[0]
            if steps[-1] not in found.get(start, ()):
                found[start] = (*found.get(start, ()), steps[-1])
    return found


_TOP_ANCHORS = _anchors(devices=False)
_DEVICE_ANCHORS = _anchors(devices=True)


def tags_to_find(top: Mapping[str, object], devices: Mapping[str, object]) -> tuple[str, ...]:
    """The element names of :data:`TAGS` a walk needs to look for: those of rows whose path starts
    from a child of ``<domain>`` (``top``) or of ``<devices>`` (``devices``) that the document has
    (children by tag).  lxml's tag matcher costs about as much per name as looking at a dozen
    elements, and most documents have no ``<memoryBacking>``, ``<shmem>``, ``<filesystem>``..."""
    if len(top.get("devices") or ()) > 1:  # type: ignore[arg-type]
        return TAGS  # the table's paths read every <devices>, the groups only the first
    found: tuple[str, ...] = ()
    for start, tags in _TOP_ANCHORS.items():
        if start in top:
            found += tags
    for start, tags in _DEVICE_ANCHORS.items():
        if start in devices:
            found += tags
    return found


def normalise(root: etree._Element, *, present: bool) -> None:
    """Rewrite every size of the table in libvirt's printed unit.  ``present``: whether an
    element named in :data:`TAGS` is in the document (the caller's walk tells)."""
    if not present:
        return
    for el in select(_QUERY, root):
        _rewrite(el, _BY_TAG[str(el.tag)])


def _rewrite(el: etree._Element, row: _Row) -> None:
    _path, attr, default, unit, unit_bytes, floor = row
    raw = el.get(attr) if attr else el.text
    if raw is None:
        return
    what, given, line = str(el.tag), el.get("unit"), line_of(el)
    if unit == "pretty":
        unit, shown = _pretty(scaled_to(raw, given, out_unit=1, default_unit=default, what=what, line=line))
    elif floor:
        shown = scaled_to(raw, given, out_unit=1, default_unit=default, what=what, line=line) // unit_bytes
    else:
        shown = scaled_to(raw, given, out_unit=unit_bytes, default_unit=default, what=what, line=line)
    if attr:
        el.set(attr, str(shown))
    else:
        el.text = str(shown)
    el.set("unit", unit)


def _pretty(value: int) -> tuple[str, int]:
    """``virFormatIntPretty``: the largest unit that divides ``value`` (bytes for 0)."""
    step = 0
    while value and value % 1024 == 0 and step < len(_PRETTY) - 1:
        value //= 1024
        step += 1
    return _PRETTY[step], value
