"""Device ``<address>`` elements read and printed the way libvirt's device-info code does.

libvirt parses a device's ``<address>`` into a typed struct (``virDomainDeviceAddressParseXML``
and the per-type parsers of ``device_conf.c``) and prints the struct back
(``virDomainDeviceInfoFormat``).  Two facts follow, and one table below drives both:

* **numeric forms**: every field is read in one base (10 for drive, virtio-serial, ccid, usb
  bus, dimm slot; C's ``strtoul`` base 0 -- ``0x`` hex, leading-``0`` octal, else decimal -- for
  PCI, ccw, isa, dimm base; 16 for spapr-vio ``reg``) and printed in one form (``slot='5'`` ->
  ``slot='0x05'``, ``devno='0x7'`` -> ``devno='0x0007'``);
* **completion**: fields the struct always prints come back even when the document left them
  out (a drive address always shows ``controller``, ``bus``, ``target`` and ``unit``, missing
  ones as 0); fields printed only when set stay out; attributes a type does not know are
  dropped, as libvirt's parser never reads them.

A bad number is refused with the message of libvirt's ``virXMLPropUInt`` family.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import cast

from lxml import etree

from pyvirt.errors import XMLError
from pyvirt.xml.parser import line_of

_Show = Callable[[int], str]


def _hex(width: int) -> _Show:
    return lambda n: f"0x{n:0{width}x}"


def _dec(n: int) -> str:
    return str(n)


# field: (base, printed form, printed when: "always" | "set" (attribute present) | "nonzero")
_Field = tuple[int, _Show, str]
FORMS: dict[str, dict[str, _Field]] = {
    # PCI: all four printed unless domain, bus and slot are zero ("empty": the driver assigns one)
    "pci": {
        "domain": (0, _hex(4), "pci"),
        "bus": (0, _hex(2), "pci"),
        "slot": (0, _hex(2), "pci"),
        "function": (0, lambda n: f"0x{n}", "pci"),
    },
    "drive": {f: (10, _dec, "always") for f in ("controller", "bus", "target", "unit")},
    "virtio-serial": {f: (10, _dec, "always") for f in ("controller", "bus", "port")},
    "ccid": {f: (10, _dec, "always") for f in ("controller", "slot")},
    "usb": {"bus": (10, _dec, "always")},
    "spapr-vio": {"reg": (16, lambda n: f"0x{n:08x}", "set")},
    "ccw": {"cssid": (0, _hex(0), "always"), "ssid": (0, _hex(0), "always"), "devno": (0, _hex(4), "always")},
    "isa": {"iobase": (0, _hex(0), "nonzero"), "irq": (0, _hex(0), "nonzero")},
    "dimm": {"slot": (10, _dec, "always"), "base": (0, _hex(0), "nonzero")},
    "virtio-mmio": {},
    "unassigned": {},
}
"""Address type -> its fields as ``virDomainDeviceInfoFormat`` prints them (libvirt 9.0)."""

_CANONICAL_PCI = re.compile(r"pci\|0x[0-9a-f]{4}\|0x[0-9a-f]{2}\|0x[0-9a-f]{2}\|0x[0-7](\|(on|off))?")
_CANONICAL_DRIVE = re.compile(r"drive(\|(0|[1-9][0-9]{0,8})){4}")
"""Attribute values (in document order) of addresses already in libvirt's printed form."""


def c_number(raw: str, base: int) -> int | None:
    """``strtoul`` of libvirt's ``virStrToLong_uip`` in ``base``: leading blanks and a ``+``
    allowed, no ``-``, nothing after the digits."""
    text = raw.lstrip(" \t\n\r\f\v")
    if text[:1] == "+":
        text = text[1:]
    if not text or text[0] in "+-" or not text[-1].isalnum():
        return None
    try:
        if base == 0:
            if text[:2].lower() == "0x":
                return int(text[2:], 16)
            if len(text) > 1 and text[0] == "0":
                return int(text[1:], 8)
            return int(text, 10)
        if base == 16 and text[:2].lower() == "0x":
            text = text[2:]
        return int(text, base)
    except ValueError:
        return None


_Items = tuple[tuple[str | bytes, str | bytes], ...]
_SEEN: dict[str, tuple[list[str], _Items | None]] = {}
"""Memo for childless addresses: their attribute values joined -> their attribute names and the
items libvirt prints (None: unchanged).  Documents repeat the same few addresses, so each shape
is worked out once.  Keyed by the values alone, one string, because hashing the items (fresh
strings each time) costs more than reading the names again to confirm a hit."""
_SEEN_LIMIT = 10_000
_keys = cast("Callable[[etree._Element], list[str]]", etree._Element.keys)
_values = cast("Callable[[etree._Element], list[str]]", etree._Element.values)
"""lxml's ``keys``/``values`` typed for str trees."""


def normalise(address: etree._Element) -> bool:
    """Rewrite one device ``<address>`` in libvirt's printed form; False when it is to be dropped
    (``virtio-s390`` prints nothing).  Unknown types are left for the checks to refuse."""
    if len(address) == 0:
        key = "\0".join(_values(address))
        seen = _SEEN.get(key)
        if seen is not None:
            names = _keys(address)
            if seen[0] == names:
                shown = seen[1]
                if shown is not None:
                    address.attrib.clear()
                    for attr, text in shown:
                        address.set(attr, text)
                return True
        else:
            names = _keys(address)
        before = tuple(address.items())
        kept = _normalise(address)
        if kept and address.get("type") in FORMS:
            after = tuple(address.items())
            if len(_SEEN) > _SEEN_LIMIT:
                _SEEN.clear()
            _SEEN[key] = (names, None if after == before else after)
        return kept
    return _normalise(address)


def _normalise(address: etree._Element) -> bool:
    kind = address.get("type")
    if kind == "pci" and len(address) == 0:
        joined = "|".join(map(str, address.values()))
        if _CANONICAL_PCI.fullmatch(joined) and not joined.startswith("pci|0x0000|0x00|0x00|"):
            return True  # already libvirt's form (and not the empty address): one regex
    if kind == "drive" and _CANONICAL_DRIVE.fullmatch("|".join(map(str, address.values()))):
        return True
    if kind == "virtio-s390" or kind is None:
        return kind is None
    fields = FORMS.get(kind)
    if fields is None:
        return True
    values: dict[str, int] = {}
    for name, (base, _show, _when) in fields.items():
        raw = address.get(name)
        if raw is None:
            continue
        value = c_number(raw, base)
        if value is None or (value > 0xFFFFFFFF and name != "reg" and name != "base"):
            raise XMLError(
                f"XML error: Invalid value for attribute '{name}' in element 'address': '{raw}'. "
                "Expected non-negative integer value",
                line=line_of(address),
            )
        values[name] = value
    shown: dict[str, str] = {"type": kind}
    # virPCIDeviceAddressIsEmpty looks at domain, bus and slot only: a function alone is empty
    pci_set = any(values.get(f, 0) for f in ("domain", "bus", "slot"))
    for name, (_base, show, when) in fields.items():
        value = values.get(name)
        if (
            when == "always"
            or (when == "set" and value is not None)
            or (when == "nonzero" and value)
            or (when == "pci" and pci_set)
        ):
            shown[name] = show(value or 0)
    if kind == "pci" and address.get("multifunction") is not None:
        shown["multifunction"] = address.get("multifunction", "")
    if kind == "usb":
        port = address.get("port")
        if port is not None and _usb_port_set(port):
            shown["port"] = ".".join(str(c_number(p, 10)) for p in port.split("."))
    if {str(k): str(v) for k, v in address.attrib.items()} != shown:
        address.attrib.clear()
        for attr, text in shown.items():
            address.set(attr, text)
    if kind == "pci":
        for zpci in address.iterchildren("zpci"):
            _zpci(zpci)
    return True


def _usb_port_set(port: str) -> bool:
    """Each dot-separated part is read like any unsigned number (``+1`` and `` 1`` included)."""
    parts = [c_number(p, 10) for p in port.split(".")]
    if None in parts or len(parts) > 4:
        raise XMLError("internal error: Cannot parse <address> 'port' attribute")
    return parts[0] != 0


def _zpci(zpci: etree._Element) -> None:
    uid, fid = zpci.get("uid"), zpci.get("fid")
    values = []
    for name, raw in (("uid", uid), ("fid", fid)):
        value = 0 if raw is None else c_number(raw, 0)
        if value is None:
            raise XMLError(
                f"XML error: Invalid value for attribute '{name}' in element 'zpci': '{raw}'. "
                "Expected non-negative integer value",
                line=line_of(zpci),
            )
        values.append(value)
    if uid is None and fid is None:
        zpci.getparent().remove(zpci)  # type: ignore[union-attr]
        return
    zpci.attrib.clear()
    zpci.set("uid", f"0x{values[0]:04x}")
    zpci.set("fid", f"0x{values[1]:08x}")
