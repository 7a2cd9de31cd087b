"""The parts of a domain ``<interface>`` whose rules depend on the interface's type.

libvirt's interface parser (``virDomainNetDefParseXML``) reads a ``<virtualport>`` only for the
types that can carry one, with flags per type that make it require a type, require every
parameter of that type and generate missing ids (``virNetDevVPortProfileParse``,
``virNetDevVPortProfileCheckComplete``/``CheckNoExtras`` in ``netdev_vport_profile_conf.c`` and
``virnetdevvportprofile.c``); ``virDomainNetDefValidate`` then refuses an unmanaged tap device
and a teaming element that does not fit its type.  :func:`pyvirt.xml.defaults._interface_defaults`
visits every child of every interface once and hands these to the functions here.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from pyvirt import uuids
from pyvirt.errors import ErrorCode, XMLError
from pyvirt.xml.parser import first_child, line_of
from pyvirt.xml.refusal import unsupported, xml_error

_GENERATE, _REQUIRE_ALL, _REQUIRE_TYPE = 1, 2, 4
REQUIRE_TYPE = _REQUIRE_TYPE
"""VIR_VPORT_XML_REQUIRE_TYPE, for :func:`profile`'s callers."""
_VPORT_FLAGS = {
    "network": _GENERATE,
    "bridge": _GENERATE | _REQUIRE_ALL | _REQUIRE_TYPE,
    "direct": _GENERATE | _REQUIRE_ALL | _REQUIRE_TYPE,
    "hostdev": _GENERATE | _REQUIRE_ALL | _REQUIRE_TYPE,
}
"""virDomainNetDefParseXML's ``virtualport_flags`` per interface type; the other types refuse
a ``<virtualport>``."""

_NUMBERS = (
    ("managerid", 0xFF, "value of managerid out of range"),
    ("typeid", 0xFFFFFF, "value for typeid out of range"),
    ("typeidversion", 0xFF, "value of typeidversion out of range"),
)
"""The 802.1Qbg numbers (read by virStrToLong_ui in base 0) and their ranges."""

_REQUIRED = {
    "802.1Qbg": ("managerid", "typeid", "typeidversion", "instanceid"),
    "802.1Qbh": ("profileid",),
    "openvswitch": ("interfaceid",),
    "midonet": ("interfaceid",),
}
"""virNetDevVPortProfileCheckComplete: the parameters each type needs, in the order it asks."""

_EXTRAS = {
    "802.1Qbg": ("profileid", "interfaceid"),
    "802.1Qbh": ("managerid", "typeid", "typeidversion", "instanceid", "interfaceid"),
    "openvswitch": ("managerid", "typeid", "typeidversion", "instanceid"),
}
"""virNetDevVPortProfileCheckNoExtras: the parameters each type refuses, in the order it asks."""

_NONE: dict[str, str] = {}
"""The attributes of a missing ``<parameters>``."""

_PROFILE_MAX = 40
"""LIBVIRT_IFLA_VF_PORT_PROFILE_MAX: a profile id fills at most 39 characters and its NUL."""


def virtualport(vport: etree._Element, itype: str, new_uuid: Callable[[], str]) -> None:
    """Refuse ``vport`` (an interface's first ``<virtualport>``) where libvirt does, and add the
    instance and interface ids it generates (``new_uuid()``); ``itype``: the interface's type."""
    flags = _VPORT_FLAGS.get(itype)
    if flags is None:
        line = line_of(vport)
        raise XMLError(
            f"unsupported configuration: <virtualport> element unsupported for <interface type='{itype}'>",
            line=line,
            code=ErrorCode.CONFIG_UNSUPPORTED,
        )
    profile(vport, flags, new_uuid)


def profile(vport: etree._Element, flags: int, new_uuid: Callable[[], str]) -> None:
    """virNetDevVPortProfileParse with ``flags`` (``REQUIRE_TYPE``, ... as the callers pass them:
    interfaces by type, networks ``REQUIRE_TYPE``, port groups none)."""
    vtype = vport.get("type")
    if vtype is None and flags & _REQUIRE_TYPE:
        raise xml_error("missing required virtualport type", vport)
    params = first_child(vport, "parameters") if len(vport) else None
    given = params.get if params is not None else _NONE.get
    for name, limit, message in _NUMBERS:
        raw = given(name)
        if raw is not None:
            value = _c_uint(raw)
            if value is None:
                raise xml_error(f"cannot parse value of {name} parameter", vport)
            if value > limit:
                raise xml_error(message, vport)
            if params is not None and str(value) != raw:
                params.set(name, str(value))  # virNetDevVPortProfileFormat prints decimal
    for name in ("instanceid", "interfaceid"):
        raw = given(name)
        if raw is not None:
            canonical = uuids.canonical(raw)
            if canonical is None:
                raise xml_error(f"cannot parse {name} parameter as a uuid", vport)
            if params is not None and canonical != raw:
                params.set(name, canonical)
    if len(given("profileid", "")) >= _PROFILE_MAX:
        raise xml_error("profileid parameter too long", vport)
    wanted = []
    if flags & _GENERATE:
        if given("instanceid") is None and vtype in (None, "802.1Qbg"):
            wanted.append("instanceid")
        if given("interfaceid") is None and vtype in (None, "openvswitch"):
            wanted.append("interfaceid")
    if wanted:
        if params is None:
            params = etree.SubElement(vport, "parameters")
        for name in wanted:
            params.set(name, new_uuid())
        given = params.get
    if vtype is None:
        return
    if flags & _REQUIRE_ALL:
        for name in _REQUIRED.get(vtype, ()):
            if not given(name):
                raise xml_error(f"missing {name} in <virtualport type='{vtype}'>", vport)
    for name in _EXTRAS.get(vtype, ()):
        if given(name):
            raise xml_error(f"extra {name} unsupported in <virtualport type='{vtype}'>", vport)


_DIGITS = {8: frozenset("01234567"), 10: frozenset("0123456789"), 16: frozenset("0123456789abcdefABCDEF")}


def _c_uint(raw: str) -> int | None:
    """virStrToLong_ui in base 0: blanks, a sign, then hex (``0x``), octal (a leading ``0``) or
    decimal digits and nothing after; a small negative number wraps, as strtoul's does."""
    text = raw.lstrip(" \t\n\r\f\v")
    sign = text[:1]
    if sign in ("+", "-"):
        text = text[1:]
    if text[:2] in ("0x", "0X"):
        digits, base = text[2:], 16
    else:
        digits, base = text, 8 if text[:1] == "0" else 10
    if not digits or not _DIGITS[base].issuperset(digits):
        return None
    value = int(digits, base)
    if sign == "-":
        return None if value > 2**31 else (-value) % 2**32
    return value if value < 2**32 else None


def unmanaged_target(target: etree._Element, itype: str) -> None:
    """virDomainNetDefValidate: only an ethernet interface may use a tap device libvirt does not
    manage (``<target managed='no'>``)."""
    if target.get("managed") == "no" and itype != "ethernet":
        line = line_of(target)
        raise XMLError(
            f"unsupported configuration: unmanaged target dev is not supported on interfaces of type '{itype}'",
            line=line,
            code=ErrorCode.CONFIG_UNSUPPORTED,
        )


def ip_address(ip: etree._Element) -> None:
    """virDomainNetIPParseXML: an interface's ``<ip>`` names its address."""
    if ip.get("address") is None:
        raise xml_error("Missing required address in <ip>", ip)


def teaming(el: etree._Element, *, hostdev: bool) -> bool:
    """virDomainNetTeamingInfoParseXML and the validators of interfaces and host devices: a
    known type; a transient member names its persistent partner, a persistent one names none;
    a host device may only be a transient member.  ``hostdev``: ``el`` belongs to a ``<hostdev>``.
    Returns whether ``el`` says anything: without either attribute libvirt reads no teaming."""
    kind, persistent = el.get("type"), el.get("persistent")
    if kind is None and persistent is None:
        return False
    if kind not in ("persistent", "transient"):
        raise unsupported(f"unknown teaming type '{kind if kind is not None else '(null)'}'", el)
    if hostdev:
        if kind != "transient":
            raise unsupported("teaming hostdev devices must have type='transient'", el)
        if persistent is None:
            raise unsupported("missing required persistent attribute in hostdev teaming element", el)
        return True
    if kind == "transient" and persistent is None:
        raise unsupported("teaming persistent attribute must be set if teaming type is 'transient'", el)
    if kind != "transient" and persistent is not None:
        raise unsupported(f"teaming persistent attribute not allowed if teaming type is '{kind}'", el)
    return True


_VLAN_TAG_MAX = 4095


def vlan(el: etree._Element) -> None:
    """virNetDevVlanParse: tags of at most 4095, one native tag at most; two or more tags make a
    trunk (``trunk='yes'``, spelled in any case); ``trunk='no'`` is allowed (and forgotten) for a
    single tag without a native mode only."""
    tags = [child for child in el if child.tag == "tag"]
    if not tags:
        raise xml_error("missing tag id - each <vlan> must have at least one <tag id='n'/> subelement", el)
    native = False
    for tag in tags:
        raw = tag.get("id")
        if raw is None:
            raise xml_error("Missing required attribute 'id' in element 'tag'", tag)
        number = _c_uint(raw) if raw.strip().isdigit() else None
        if number is not None and number > _VLAN_TAG_MAX:
            raise xml_error(f"vlan tag id {number} too large (maximum 4095)", tag)
        if tag.get("nativeMode") is not None:
            if native:
                raise xml_error("duplicate native vlan setting", tag)
            native = True
    trunk = el.get("trunk")
    if trunk is None:
        if len(tags) > 1:
            el.set("trunk", "yes")
        return
    if trunk.lower() == "yes":
        if trunk != "yes":
            el.set("trunk", "yes")
        return
    if len(tags) > 1:
        raise xml_error(
            f"invalid \"trunk='{trunk}'\" in <vlan> - trunk='yes' is required for more than one vlan tag", el
        )
    if native:
        raise xml_error("invalid configuration in <vlan> - \"trunk='no'\" is not allowed with a native vlan id", el)
    if trunk.lower() != "no":
        raise xml_error(f"invalid \"trunk='{trunk}'\" in <vlan> - must be yes or no", el)
    del el.attrib["trunk"]
