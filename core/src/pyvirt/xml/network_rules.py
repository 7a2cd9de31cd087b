"""What libvirt's network parser (network_conf.c ``virNetworkDefParseXML`` and the helpers it
calls: netdev_bandwidth_conf.c, networkcommon_conf.c) keeps of a ``<network>`` and what it
refuses.

libvirt reads a network into a C structure and prints the structure, so values come back in
its own spelling (numbers in decimal, zero rates and sizes left out) and settings that do not
fit the forward mode are refused.  pyvirt keeps the tree; :func:`apply` rewrites it to that
shape and raises libvirt's error where it would.  It runs before
:func:`pyvirt.xml.defaults.network_defaults` (which reads VLANs with ``netdev.vlan``), on the
document as written (some rules look at what the user wrote, e.g. whether ``stp`` was given).
"""

from __future__ import annotations

import ipaddress
import re

from lxml import etree

from pyvirt.errors import XMLError
from pyvirt.xml import netdev
from pyvirt.xml.defaults import new_uuid
from pyvirt.xml.parser import first_child, line_of
from pyvirt.xml.refusal import detail, internal, unsupported, xml_error

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_UINT = re.compile(r"[ \t\n\v\f\r]*\+?([0-9]+)")
"""What virStrToLong_ui/ul/ull take in base 10 (leading blanks, a plus sign, nothing after)."""


def _uint(value: str | None, limit: int = 2**32 - 1) -> int | None:
    """The number libvirt's unsigned readers make of ``value``, or None when they refuse it."""
    if value is None:
        return None
    found = _UINT.fullmatch(value)
    if found is None or int(found.group(1)) > limit:
        return None
    return int(found.group(1))


def _prop_uint(el: etree._Element, name: str, *, nonzero: bool = False) -> int | None:
    """virXMLPropUInt: None when absent, libvirt's error when not a number (or zero, ``nonzero``)."""
    raw = el.get(name)
    if raw is None:
        return None
    value = _uint(raw)
    if value is None:
        raise xml_error(
            f"Invalid value for attribute '{name}' in element '{el.tag}': '{raw}'. Expected non-negative integer value",
            el,
        )
    if nonzero and value == 0:
        raise xml_error(f"Invalid value for attribute '{name}' in element '{el.tag}': Zero is not permitted", el)
    el.set(name, str(value))
    return value


def _tristate(el: etree._Element, name: str) -> None:
    """virXMLPropTristateBool: ``yes`` or ``no`` when present."""
    raw = el.get(name)
    if raw is not None and raw not in ("yes", "no"):
        raise xml_error(
            f"Invalid value for attribute '{name}' in element '{el.tag}': '{raw}'. Expected one of 'yes', 'no'", el
        )


def _ip(value: str | None) -> _Address | None:
    """virSocketAddrParse of a numeric address, or None."""
    if value is None:
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


# -- shared with interfaces: bandwidth --------------------------------------------------


def bandwidth(bw: etree._Element, *, allow_floor: bool) -> None:
    """virNetDevBandwidthParse and virNetDevBandwidthFormat: at most one ``<inbound>`` and one
    ``<outbound>``, each with an average (or, inbound only and where allowed, a floor); rates
    as decimal numbers, zero ones left out, a direction with neither average nor floor not
    printed; the element itself removed when it has no direction at all."""
    found: dict[str, etree._Element] = {}
    for child in bw:
        if child.tag in ("inbound", "outbound"):
            if child.tag in found:
                raise detail(f"Only one child <{child.tag}> element allowed", child)
            found[str(child.tag)] = child
    if not found:
        parent = bw.getparent()
        if parent is not None:
            parent.remove(bw)
        return
    for tag, rate in found.items():
        values: dict[str, int] = {}
        given = {name: rate.get(name) for name in ("average", "peak", "burst", "floor")}
        if given["average"] is None and given["floor"] is None:
            raise detail("Missing mandatory average or floor attributes", rate)
        if (given["peak"] is not None or given["burst"] is not None) and given["average"] is None:
            raise unsupported("'peak' and 'burst' require 'average' attribute", rate)
        for name, raw in given.items():
            if raw is None:
                continue
            value = _uint(raw, 2**64 - 1)
            if value is None:
                raise unsupported(f"could not convert bandwidth {name} value '{raw}'", rate)
            values[name] = value
        if values.get("floor"):
            if tag == "outbound":
                raise unsupported("'floor' attribute allowed only in <inbound> element", rate)
            if not allow_floor:
                raise unsupported("floor attribute is not supported for this config", rate)
        rate.attrib.clear()
        if not values.get("average") and not values.get("floor"):
            bw.remove(rate)
            continue
        for name in ("average", "peak", "floor", "burst"):
            if values.get(name):
                rate.set(name, str(values[name]))


# -- the network ---------------------------------------------------------------------------------

_FORWARD_MODES = ("nat", "route", "open", "bridge", "private", "vepa", "passthrough", "hostdev")
_L3 = frozenset(("nat", "route", "open"))
_DEVICE_MODES = frozenset(("private", "vepa", "passthrough", "hostdev"))


def apply(root: etree._Element) -> None:
    """Check and rewrite a ``<network>`` as virNetworkDefParseXML reads it."""
    name = root.findtext("name") or ""
    forward = first_child(root, "forward")
    mode = None
    if forward is not None:
        mode = forward.get("mode") or "nat"
        if mode not in _FORWARD_MODES:
            raise unsupported(f"unknown forwarding type '{mode}'", forward)
    _tristate(root, "trustGuestRxFilters")
    ipv6 = root.get("ipv6")
    if ipv6 is not None and ipv6 not in ("yes", "no"):
        raise xml_error(f"Invalid ipv6 setting '{ipv6}' in network '{name}'", root)
    mac = first_child(root, "mac")
    if mac is not None and mac.get("address"):
        _bridge_mac(mac, name)
    vport = first_child(root, "virtualport")
    if vport is not None:
        _virtualport(vport, netdev.REQUIRE_TYPE)  # virXPathNode: the first one only
    for port in list(root.iterchildren("port")):
        _tristate(port, "isolated")
        if port.get("isolated") is None:
            root.remove(port)  # virNetworkPortOptionsFormat prints only a set isolation
    domain = first_child(root, "domain")
    if domain is not None:
        _tristate(domain, "localOnly")
    if domain is not None and not domain.get("name"):
        root.remove(domain)  # virNetworkDefFormatBuf prints <domain> only with a name
    bw = first_child(root, "bandwidth")
    if bw is not None:
        bandwidth(bw, allow_floor=False)
    bridge = first_child(root, "bridge")
    stp_given = bridge is not None and bridge.get("stp") is not None
    delay = 0
    if bridge is not None:
        raw = bridge.get("delay")
        if raw is not None:
            value = _uint(raw, 2**64 - 1)
            if value is None:
                raise xml_error(f"Invalid delay value in network '{name}'", bridge)
            delay = value
            bridge.set("delay", str(value))
        if stp_given:
            bridge.set("stp", "off" if bridge.get("stp") == "off" else "on")
        mac_table = bridge.get("macTableManager")
        if mac_table is not None and mac_table not in ("kernel", "libvirt"):
            raise xml_error(f"Invalid macTableManager setting '{mac_table}' in network '{name}'", bridge)
    mtu = first_child(root, "mtu")
    mtu_size = 0
    if mtu is not None and mtu.get("size") is not None:
        value = _uint(mtu.get("size"))
        if value is None:
            raise xml_error(f"Invalid mtu size '{mtu.get('size')}' in network '{name}'", mtu)
        mtu_size = value
        mtu.set("size", str(value))
    if mtu is not None and not mtu_size:
        root.remove(mtu)
    dns = first_child(root, "dns")
    if dns is not None:
        _dns(dns, name)
    for group in root.iterchildren("portgroup"):
        _portgroup(group)
    ips = list(root.iterchildren("ip"))
    subnets = [_ip_def(ip, name) for ip in ips]
    for route in root.iterchildren("route"):
        _route(route, name, [s for s in subnets if s is not None])
    if forward is not None and mode is not None:
        _forward(forward, mode, name)
    _mode_rules(root, mode, name, stp_given=stp_given, delay=delay, mtu=mtu_size)


_MAC = re.compile(r"[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}")
_VPORT_TYPES = frozenset(("none", "802.1Qbg", "802.1Qbh", "openvswitch", "midonet"))


def _bridge_mac(mac: etree._Element, name: str) -> None:
    """virNetworkDefParseXML's bridge MAC: parsed by virMacAddrParse, unicast."""
    raw = mac.get("address", "")
    if not _MAC.fullmatch(raw):
        raise xml_error(f"Invalid bridge mac address '{raw}' in network '{name}'", mac)
    if int(raw.split(":")[0], 16) & 1:
        raise xml_error(f"Invalid multicast bridge mac address '{raw}' in network '{name}'", mac)


def _virtualport(vport: etree._Element, flags: int) -> None:
    """virNetDevVPortProfileParse with ``flags``: a known ``type`` (required at network level),
    the parameters ``netdev.profile`` checks; only the first ``<virtualport>`` of its parent is
    read, and one without a type or parameters is not printed (virNetDevVPortProfileFormat)."""
    parent = vport.getparent()
    if parent is not None:
        for extra in list(parent.iterchildren("virtualport"))[1:]:
            parent.remove(extra)
    kind = vport.get("type")
    if kind is not None and kind not in _VPORT_TYPES:
        raise unsupported(f"unknown virtualport type {kind}", vport)
    netdev.profile(vport, flags, new_uuid)
    params = first_child(vport, "parameters")
    if params is not None and not params.attrib:
        vport.remove(params)  # virNetDevVPortProfileFormat: no parameters set, none printed
        params = None
    if kind is None and (params is None or not params.attrib) and parent is not None:
        parent.remove(vport)


def _mode_rules(root: etree._Element, mode: str | None, name: str, *, stp_given: bool, delay: int, mtu: int) -> None:
    """The settings virNetworkDefParseXML allows only with some forward modes."""
    if mode is None or mode in _L3:
        return
    bridge = first_child(root, "bridge")
    bridge_name = bridge.get("name") if bridge is not None else None
    zone = bridge.get("zone") if bridge is not None else None
    forward = first_child(root, "forward")
    if mode in _DEVICE_MODES:
        if bridge_name:
            raise xml_error(f"bridge name not allowed in {mode} mode (network '{name}')", bridge)
        if zone:
            raise xml_error(f"bridge zone not allowed in {mode} mode (network '{name}')", bridge)
        if bridge is not None and bridge.get("macTableManager"):
            raise xml_error(f"bridge macTableManager setting not allowed in {mode} mode (network '{name}')", bridge)
    if delay or stp_given or zone:
        raise xml_error(
            "bridge delay/stp/zone options only allowed in route, nat, and isolated mode, "
            f"not in {mode} (network '{name}')",
            bridge,
        )
    if (
        bridge_name
        and forward is not None
        and (
            forward.get("dev")
            or first_child(forward, "interface") is not None
            or first_child(forward, "pf") is not None
        )
    ):
        raise xml_error(
            f"A network with forward mode='{mode}' can specify a bridge name or a forward dev, "
            f"but not both (network '{name}')",
            forward,
        )
    if mtu:
        raise xml_error(
            f"mtu size only allowed in open, route, nat, and isolated mode, not in {mode} (network '{name}')",
            first_child(root, "mtu"),
        )
    if bridge is not None:
        # virNetworkDefFormatBuf: no STP settings here, and no <bridge> without a name or
        # a MAC table manager
        for attr in ("stp", "delay"):
            if attr in bridge.attrib:
                del bridge.attrib[attr]
        if not bridge_name and not bridge.get("macTableManager"):
            root.remove(bridge)


def _forward(forward: etree._Element, mode: str, name: str) -> None:
    """virNetworkForwardDefParseXML's rules beyond ``checks.check_network``'s: ``managed`` as
    printed for host device pools, the driver name, which device list is read; a ``<nat>``'s
    IPv4 address range in order (virSocketAddrGetRange), printed only when it holds an address
    range, a port range or an ``ipv6`` setting."""
    if mode == "hostdev":
        forward.set("managed", "yes" if (forward.get("managed") or "").lower() == "yes" else "no")
    elif "managed" in forward.attrib:
        del forward.attrib["managed"]
    drivers = list(forward.iterchildren("driver"))
    for extra in drivers[1:]:
        forward.remove(extra)
    if drivers:
        driver = drivers[0].get("name")
        if driver in (None, ""):
            forward.remove(drivers[0])
        elif driver not in ("kvm", "vfio"):
            raise unsupported(f"Unknown forward <driver name='{driver}'/> in network {name}", drivers[0])
        else:
            drivers[0].attrib.clear()
            drivers[0].set("name", driver)
    dev = forward.get("dev")
    ifaces = list(forward.iterchildren("interface"))
    addresses = list(forward.iterchildren("address"))
    pfs = list(forward.iterchildren("pf"))
    # one device list is read: interfaces (or dev), else PCI addresses, else the one <pf>
    dropped = addresses + pfs if (ifaces or dev) else pfs if addresses else []
    for el in dropped:
        forward.remove(el)
    if not ifaces and not addresses:
        if len(pfs) > 1:
            raise xml_error(f"Only one <pf> element is allowed in <forward> of network {name}", forward)
        if pfs and pfs[0].get("dev") is None:
            raise xml_error(f"Missing required dev attribute in <pf> element of network '{name}'", pfs[0])
    if not (ifaces or dev):
        for addr in addresses:
            kind = addr.get("type")
            if kind is None:
                raise xml_error(f"missing address type in network {name}", addr)
            if kind not in ("pci", "netdev"):
                raise unsupported(f"unknown address type '{kind}' in network {name}", addr)
            if kind != "pci":
                raise xml_error(f"unsupported address type '{kind}' in network {name}", addr)
    for nat in list(forward.iterchildren("nat")):
        _tristate(nat, "ipv6")
        addresses = list(nat.iterchildren("address"))
        for addr in addresses:
            start, end = addr.get("start", ""), addr.get("end", "")
            first_ip, last_ip = _ip(start), _ip(end)
            if not isinstance(first_ip, ipaddress.IPv4Address):
                raise xml_error(f"Bad ipv4 start address '{start}' in <nat> in <forward> in network '{name}'", addr)
            if not isinstance(last_ip, ipaddress.IPv4Address):
                raise xml_error(f"Bad ipv4 end address '{end}' in <nat> in <forward> in network '{name}'", addr)
            address_range(addr, first_ip, last_ip, None)
        ports = list(nat.iterchildren("port"))
        for port in ports:
            for end_name in ("start", "end"):
                value = _uint(port.get(end_name))
                if value is not None:
                    port.set(end_name, str(value))  # printed in decimal
        if not addresses and not ports and nat.get("ipv6") is None:
            forward.remove(nat)


_Subnet = ipaddress.IPv4Network | ipaddress.IPv6Network


def _ip_def(ip: etree._Element, name: str) -> _Subnet | None:
    """virNetworkIPDefParseXML's checks beyond checks.py's: prefix as a number, not with a
    netmask, in range for the family; ``localPtr``; DHCP ranges inside the subnet, in order,
    and their leases.  Returns the subnet (for the route gateways) when it can be worked out."""
    address = _ip(ip.get("address"))
    family = ip.get("family")
    if ip.get("address") and address is None:
        raise xml_error(f"Invalid address '{ip.get('address')}' in network '{name}'", ip)
    if family == "ipv6" and address is not None and address.version != 6:
        raise unsupported(f"Family 'ipv6' specified for non-IPv6 address '{ip.get('address')}' in network '{name}'", ip)
    if family not in (None, "ipv4", "ipv6"):
        raise xml_error(f"Unrecognized family '{family}' in network '{name}'", ip)
    if first_child(ip, "tftp") is not None and (address is None or address.version != 4):
        raise unsupported(f"Unsupported <tftp> element in an IPv6 element in network '{name}'", ip)
    tftps = list(ip.iterchildren("tftp"))
    for tftp in tftps[1:] if tftps and tftps[0].get("root") else tftps:
        ip.remove(tftp)  # ./tftp[1]/@root only; none: nothing printed
    netmask = ip.get("netmask")
    prefix = _prop_uint(ip, "prefix")
    _tristate(ip, "localPtr")
    if family in (None, "ipv4"):
        if netmask is not None:
            mask = _ip(netmask)
            if not isinstance(mask, ipaddress.IPv4Address):
                raise unsupported(
                    f"Invalid netmask '{netmask}' for address '{ip.get('address')}' in network '{name}' "
                    "(both must be IPv4)",
                    ip,
                )
            if prefix:
                raise unsupported(f"Network '{name}' IP address cannot have both a prefix and a netmask", ip)
        elif prefix is not None and prefix > 32:
            raise unsupported(f"Invalid IPv4 prefix '{prefix}' in network '{name}'", ip)
    elif family == "ipv6":
        if netmask is not None:
            raise unsupported(f"netmask not allowed for IPv6 address '{ip.get('address')}' in network '{name}'", ip)
        if prefix is not None and prefix > 128:
            raise unsupported(f"Invalid IPv6 prefix '{prefix}' in network '{name}'", ip)
    if address is None:
        return None
    bits = _prefix_of(address, netmask, prefix)
    subnet = ipaddress.ip_network(f"{address}/{bits}", strict=False) if bits is not None else None
    dhcps = list(ip.iterchildren("dhcp"))
    for extra in dhcps[1:]:
        ip.remove(extra)  # ./dhcp[1] only
    for dhcp in dhcps[:1]:
        for rng in dhcp.iterchildren("range"):
            _dhcp_range(rng, subnet)
        for host in dhcp.iterchildren("host"):
            _dhcp_host(host, address, name)
            for lease in host.iterchildren("lease"):
                _lease(lease)
        # virNetworkDHCPDefParseXML: BOOTP on IPv4 only, the last one naming a file wins
        bootps = [b for b in dhcp.iterchildren("bootp") if address.version == 4 and b.get("file") is not None]
        for bootp in list(dhcp.iterchildren("bootp")):
            if bootp is not (bootps[-1] if bootps else None):
                dhcp.remove(bootp)
        if first_child(dhcp, "range") is None and first_child(dhcp, "host") is None:
            ip.remove(dhcp)  # virNetworkIPDefFormat: no ranges or hosts, no <dhcp> (nor its BOOTP)
    return subnet


_ID_CHARS = frozenset("0123456789abcdefABCDEF:")


def _dhcp_host(host: etree._Element, address: _Address, name: str) -> None:
    """virNetworkDHCPHostDefParseXML: a MAC only on IPv4, parsed and unicast; an id of hex
    digits and colons; a name starting with a letter or digit; an IP that parses."""
    mac = host.get("mac")
    if mac is not None:
        if address.version == 6:
            raise xml_error(
                f"Invalid to specify MAC address '{mac}' in network '{name}' IPv6 static host definition", host
            )
        if not _MAC.fullmatch(mac):
            raise xml_error(f"Cannot parse MAC address '{mac}' in network '{name}'", host)
        if int(mac.split(":")[0], 16) & 1:
            raise xml_error(f"expected unicast mac address, found multicast '{mac}' in network '{name}'", host)
    ident = host.get("id")
    if ident is not None:
        bad = next((c for c in ident if c not in _ID_CHARS), None)
        if bad is not None:
            raise xml_error(f"Invalid character '{bad}' in id '{ident}' of network '{name}'", host)
    host_name = host.get("name")
    if host_name is not None and not (host_name[:1].isascii() and host_name[:1].isalnum()):
        raise xml_error(f"Cannot use host name '{host_name}' in network '{name}'", host)
    ip = host.get("ip")
    if ip is not None and _ip(ip) is None:
        raise xml_error(f"Invalid IP address in static host definition for network '{name}'", host)


def _prefix_of(address: _Address, netmask: str | None, prefix: int | None) -> int | None:
    """virNetworkIPDefPrefix: the prefix, else the netmask's, else the IPv4 class default."""
    if prefix:
        return prefix
    if netmask is not None:
        mask = _ip(netmask)
        if isinstance(mask, ipaddress.IPv4Address):
            bits = bin(int(mask)).count("1")
            return bits if int(mask) == (2**32 - 1) ^ (2 ** (32 - bits) - 1) else None
        return None
    if isinstance(address, ipaddress.IPv4Address):
        first = int(address) >> 24
        if first < 128:
            return 8
        if first < 192:
            return 16
        if first < 224:
            return 24
        return None
    return 64


def address_range(el: etree._Element, first: _Address, last: _Address, subnet: _Subnet | None) -> None:
    """virSocketAddrGetRange: one family; inside ``subnet`` when given, an IPv4 range neither
    starting at its network address nor ending at its broadcast address; at most the last two
    bytes (IPv4) or the last 16-bit group (IPv6) differ, and they do not go down."""
    shown = f"{el.get('start')} - {el.get('end')}"
    if first.version != last.version:
        raise internal(f"mismatch of address family in range {shown}", el)
    if subnet is not None:
        net = f"{subnet.network_address}/{subnet.prefixlen}"
        if first.version != subnet.version:
            raise internal(f"mismatch of address family in range {shown} for network {net}", el)
        if first not in subnet or last not in subnet:
            raise internal(f"range {shown} is not entirely within network {net}", el)
        if first.version == 4 and first == subnet.network_address:
            raise internal(f"start of range {shown} in network {net} is the network address", el)
        if first.version == 4 and last == subnet.broadcast_address:
            raise internal(f"end of range {shown} in network {net} is the broadcast address", el)
    low, high = int(first), int(last)
    if low >> 16 != high >> 16:
        raise internal(f"range {shown} is too large (> 65535)", el)
    if high < low:
        raise internal(
            f"range {shown} is reversed " if first.version == 4 else f"range {shown} start larger than end", el
        )


def _dhcp_range(rng: etree._Element, subnet: _Subnet | None) -> None:
    """A DHCP range: two addresses, a valid range in the ``<ip>``'s subnet; its lease."""
    start, end = rng.get("start", ""), rng.get("end", "")
    first, last = _ip(start), _ip(end)
    if first is None or last is None:
        raise XMLError(f"XML error: Cannot parse address '{start if first is None else end}'", line=line_of(rng))
    address_range(rng, first, last, subnet)
    for lease in rng.iterchildren("lease"):
        _lease(lease)


_LEASE_UNITS = ("seconds", "minutes", "hours")


def _lease(lease: etree._Element) -> None:
    """virNetworkDHCPLeaseTimeDefParseXML: an expiry (0: infinite, printed without a unit) in a
    unit defaulting to minutes, at least two minutes long; no expiry, no lease."""
    raw = lease.get("expiry")
    parent = lease.getparent()
    if raw is None:
        if parent is not None:
            parent.remove(lease)
        return
    expiry = _uint(raw, 2**64 - 1)
    if expiry is None:
        raise xml_error(
            f"Invalid value for attribute 'expiry' in element 'lease': '{raw}'. Expected non-negative integer value",
            lease,
        )
    unit = lease.get("unit") or "minutes"
    if unit not in _LEASE_UNITS:
        raise xml_error(f"Invalid value for attribute 'unit' in element 'lease': '{unit}'.", lease)
    if expiry and ((unit == "seconds" and expiry < 120) or (unit == "minutes" and expiry < 2)):
        raise unsupported("The minimum lease time should be greater than 2 minutes", lease)
    lease.attrib.clear()
    lease.set("expiry", str(expiry))
    if expiry:
        lease.set("unit", unit)


def _route(route: etree._Element, name: str, subnets: list[_Subnet]) -> None:
    """virNetDevIPRouteParseXML (a metric is not 0, no prefix with a netmask) and the gateway
    rule of virNetworkDefParseXML: some ``<ip>`` of the gateway's family reaches it."""
    _prop_uint(route, "prefix")
    _prop_uint(route, "metric", nonzero=True)
    for what, shown in (("address", "network address"), ("gateway", "gateway address")):
        raw = route.get(what)
        if raw is None:
            raise xml_error(f"{name}: Missing required {what} attribute in route definition", route)
        if _ip(raw) is None:
            raise xml_error(f"{name}: Bad {shown} '{raw}' in route definition", route)
    family = route.get("family")
    for what in ("address", "gateway"):
        raw = route.get(what)
        value = _ip(raw)
        if raw is None or value is None:
            continue
        if family in (None, "ipv4") and value.version != 4:
            shown = "No" if family is None else "IPv4"
            noun = "address" if what == "address" else "gateway"
            raise xml_error(f"{name}: {shown} family specified for non-IPv4 {noun} '{raw}' in route definition", route)
        if family == "ipv6" and value.version != 6:
            noun = "address" if what == "address" else "gateway address"
            raise xml_error(f"{name}: ipv6 specified for non-IPv6 {noun} '{raw}' in route definition", route)
    if family not in (None, "ipv4", "ipv6"):
        raise xml_error(f"{name}: Unrecognized family '{family}' in route definition", route)
    address = _ip(route.get("address"))
    prefix = _uint(route.get("prefix")) or 0
    bits = 32 if address is None or address.version == 4 else 128
    if prefix > bits:
        raise xml_error(f"{name}: Invalid prefix {prefix} specified in route definition, must be 0 - {bits}", route)
    mask = _ip(route.get("netmask"))
    if address is not None and (route.get("netmask") is None or mask is not None):
        # the address must be the network's own (virSocketAddrMask/MaskByPrefix); no prefix is /0
        keep = int(mask) if mask is not None else ((1 << bits) - 1) ^ ((1 << (bits - prefix)) - 1)
        if int(address) & keep != int(address):
            raise xml_error(
                f"{name}: Address '{route.get('address')}' in route definition is not a network address", route
            )
    if route.get("netmask") is not None and route.get("prefix") is not None:
        raise xml_error(f"{name}: Route definition cannot have both a prefix and a netmask", route)
    gateway = _ip(route.get("gateway"))
    if gateway is None:
        return
    for subnet in subnets:
        if subnet.version == gateway.version and gateway in subnet:
            return
    raise unsupported(
        f"unreachable static route gateway '{route.get('gateway')}' specified for network '{name}'", route
    )


def _portgroup(group: etree._Element) -> None:
    """virNetworkPortGroupParseXML: a name; ``default`` true only for ``yes`` (any case) and
    printed only then; its bandwidth without a floor (its VLAN: ``netdev.vlan``, from
    ``network_defaults``)."""
    if not group.get("name"):
        raise xml_error("Missing required name attribute in portgroup", group)
    default = group.get("default")
    if default is not None:
        if default.lower() == "yes":
            group.set("default", "yes")
        else:
            del group.attrib["default"]
    _tristate(group, "trustGuestRxFilters")
    vport = first_child(group, "virtualport")
    if vport is not None:
        _virtualport(vport, 0)
    bw = first_child(group, "bandwidth")
    if bw is not None:
        bandwidth(bw, allow_floor=False)


_SERVICE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+/*")
_PROTOCOL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-+/")


def _dns(dns: etree._Element, name: str) -> None:
    """virNetworkDNSDefParseXML and its record parsers."""
    _tristate(dns, "enable")
    _tristate(dns, "forwardPlainNames")
    for fwd in dns.iterchildren("forwarder"):
        addr = fwd.get("addr")
        if addr is not None and _ip(addr) is None:
            raise xml_error(f"Invalid forwarder IP address '{addr}' in network '{name}'", fwd)
        if addr is None and fwd.get("domain") is None:
            raise xml_error("Invalid forwarder element, must contain at least one of addr or domain", fwd)
        if addr is not None:
            fwd.set("addr", str(_ip(addr)))  # virSocketAddrFormat's spelling
    for host in dns.iterchildren("host"):
        ip = host.get("ip")
        if ip is not None and _ip(ip) is None:
            raise detail(f"Invalid IP address in network '{name}' DNS HOST record", host)
        if ip is not None:
            host.set("ip", str(_ip(ip)))
        names = [h for h in host.iterchildren("hostname") if len(h) or h.text]
        for hostname in host.iterchildren("hostname"):
            if hostname not in names:
                host.remove(hostname)
        if not names:
            raise detail(f"Missing hostname in network '{name}' DNS HOST record", host)
    for srv in dns.iterchildren("srv"):
        service, protocol = srv.get("service"), srv.get("protocol")
        if service is None:
            raise detail(f"missing required service attribute in DNS SRV record of network '{name}'", srv)
        if len(service) > 15:
            raise detail(f"service attribute '{service}' in network '{name}' is too long, limit is 15 bytes", srv)
        if not set(service) <= _SERVICE_CHARS:
            raise detail(
                f"invalid character in service attribute '{service}' in DNS SRV record of network '{name}'", srv
            )
        if protocol is None:
            raise detail(f"missing required protocol attribute in DNS SRV record '{service}' of network '{name}'", srv)
        if not set(protocol) <= _PROTOCOL_CHARS:
            raise detail(
                f"invalid character in protocol attribute '{protocol}' in DNS SRV record of network '{name}'", srv
            )
        target = srv.get("target")
        for attr, low, what in (("port", 1, "invalid"), ("priority", 0, "Invalid"), ("weight", 0, "invalid")):
            raw = srv.get(attr)
            if raw is None:
                continue
            value = _uint(raw)
            if value is not None and target is None:
                raise detail(
                    f"DNS SRV {attr} attribute not permitted without target for service '{service}' "
                    f"in network '{name}'",
                    srv,
                )
            if value is None or not low <= value <= 65535:
                raise detail(f"{what} DNS SRV {attr} attribute for service '{service}' in network '{name}'", srv)
            if value:
                srv.set(attr, str(value))
            else:
                del srv.attrib[attr]  # printed only when not 0
    for txt in dns.iterchildren("txt"):
        txt_name = txt.get("name")
        if txt_name is None:
            raise detail(f"missing required name attribute in DNS TXT record of network {name}", txt)
        if " " in txt_name or "," in txt_name:
            raise detail(f"prohibited character in DNS TXT record name '{txt_name}' of network {name}", txt)
        if txt.get("value") is None:
            raise detail(
                f"missing required value attribute in DNS TXT record named '{txt_name}' of network {name}", txt
            )
