"""Network, storage pool and storage volume documents as virt-manager and virtinst write them.

virt-manager's "create network", "add storage pool" and "new volume" dialogs, virt-install's
``--disk size=`` and virt-clone all build these documents with virtinst's own classes
(``virtinst.Network``, ``StoragePool``, ``StorageVolume``) and ``get_xml()``; this module does
the same with Debian's virtinst, choosing each property from a seed (the choices are written
here from what those dialogs and options offer, not taken from virt-manager's tests), so the
documents carry virtinst's habits: double-quoted attributes, netmask on IPv4 and prefix on
IPv6, sizes in bytes with no unit, ``validate()``'s defaults (a pool's default target path and
source format, a file volume's ``raw`` format, ``lazy_refcounts`` on qcow2).  A share of the
documents is then edited the way users do in virt-manager's XML tab (units on sizes, octal
modes written several ways, DNS records, bandwidth, MTU, port groups, forward interface
lists, unknown formats), so libvirt's refusals are covered too.

Two halves, two interpreters: virtinst needs libvirt's bindings, so the documents are made by
this file run under ``/usr/bin/python3 virtinst_hostobjs.py --emit COUNT SEED`` (JSON lines);
:func:`generate` runs that and yields :class:`fresh_documents.Fresh` cases for the venv side,
where pyvirt's test driver is compared with real libvirt's (``libvirt_oracle.py``).

    .venv/bin/python tests/xml/virtinst_hostobjs.py [COUNT] [SEED] [-v]
"""

from __future__ import annotations

import ipaddress
import json
import random
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fresh_documents import Fresh

VIRTINST = "/usr/share/virt-manager"

# -- the generating half (system interpreter, virtinst) -----------------------------------------


def _name(rng: random.Random, prefix: str) -> str:
    return f"{prefix}{rng.randrange(1, 100000)}"


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _mac(rng: random.Random) -> str:
    return "52:54:00:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(3))


def _child(parent: ET.Element, tag: str) -> ET.Element:
    """``parent``'s first ``tag`` child, made when missing."""
    found = parent.find(tag)
    return found if found is not None else ET.SubElement(parent, tag)


def _maybe(rng: random.Random, p: float = 0.5) -> bool:
    return rng.random() < p


def _ipv4_net(rng: random.Random) -> ipaddress.IPv4Network:
    prefix = rng.choice((24, 24, 24, 16, 25, 28))
    base = rng.choice((f"192.168.{rng.randrange(256)}.0", f"10.{rng.randrange(256)}.{rng.randrange(256)}.0"))
    return ipaddress.IPv4Network(f"{base}/{prefix}", strict=False)


def _ipv6_net(rng: random.Random) -> ipaddress.IPv6Network:
    return ipaddress.IPv6Network(f"fd00:{rng.randrange(1, 0xFFFF):x}:{rng.randrange(0xFFFF):x}::/64")


def _add_ipv4(rng: random.Random, net: Any) -> None:
    """virt-manager's IPv4 page: the network's first address, netmask form, one DHCP range."""
    subnet = _ipv4_net(rng)
    ip = net.ips.add_new()
    ip.address = str(subnet.network_address + 1)
    if _maybe(rng, 0.75):
        ip.netmask = str(subnet.netmask)
    else:
        ip.prefix = subnet.prefixlen
    if _maybe(rng, 0.2):
        ip.family = "ipv4"
    hosts = list(subnet.hosts())
    if _maybe(rng, 0.8):
        for _ in range(rng.choice((1, 1, 1, 2))):
            lo = rng.randrange(1, len(hosts) // 2)
            r = ip.ranges.add_new()
            r.start = str(hosts[lo])
            r.end = str(hosts[rng.randrange(lo, len(hosts))])
        for _ in range(rng.choice((0, 0, 1, 2))):
            h = ip.hosts.add_new()
            if _maybe(rng, 0.8):
                h.macaddr = _mac(rng)
            if _maybe(rng, 0.5):
                h.name = _name(rng, "host")
            h.ip = str(hosts[rng.randrange(len(hosts))])
        if _maybe(rng, 0.15):
            ip.bootp_file = "pxelinux.0"
            if _maybe(rng):
                ip.bootp_server = str(hosts[0])
    if _maybe(rng, 0.1):
        ip.tftp = "/var/lib/tftpboot"


def _add_ipv6(rng: random.Random, net: Any) -> None:
    """virt-manager's IPv6 page: family, address, prefix and a DHCPv6 range."""
    subnet = _ipv6_net(rng)
    ip = net.ips.add_new()
    ip.family = "ipv6"
    ip.address = str(subnet.network_address + 1)
    ip.prefix = 64
    if _maybe(rng, 0.6):
        r = ip.ranges.add_new()
        r.start = str(subnet.network_address + 0x100)
        r.end = str(subnet.network_address + 0x1FF)
        if _maybe(rng, 0.3):
            h = ip.hosts.add_new()
            h.name = _name(rng, "v6host")
            h.ip = str(subnet.network_address + 0x20)


def network(vi: Any, conn: Any, rng: random.Random) -> str:
    """What virt-manager's create-network wizard (and scripts using virtinst.Network) write."""
    net = vi.Network(conn)
    net.name = _name(rng, "net")
    if _maybe(rng, 0.2):
        net.uuid = _uuid(rng)
    mode = rng.choice(("nat", "nat", "route", "open", "isolated", "bridge", "hostdev", "passthrough", "private"))
    if mode == "hostdev":
        net.forward.mode = "hostdev"
        net.forward.managed = "yes"
        net.forward.pf.add_new().dev = rng.choice(("eth0", "enp3s0f0"))
    elif mode in ("passthrough", "private"):
        net.forward.mode = mode
        net.forward.dev = rng.choice(("eth0", "enp1s0"))
    elif mode == "bridge":
        net.forward.mode = "bridge"
        net.bridge = rng.choice(("br0", "virbr9", "ovsbr0"))
        if _maybe(rng, 0.3):
            net.virtualport_type = "openvswitch"
    elif mode != "isolated":
        net.forward.mode = mode
        if mode != "open" and _maybe(rng, 0.4):
            net.forward.dev = rng.choice(("eth0", "wlan0", "enp0s31f6"))
    if mode in ("nat", "route", "open", "isolated"):
        if _maybe(rng, 0.4):
            net.bridge = f"virbr{rng.randrange(1, 30)}"
        if _maybe(rng, 0.3):
            net.stp = rng.choice((True, False))
        if _maybe(rng, 0.3):
            net.delay = rng.choice((0, 0, 2, 5))
        if _maybe(rng, 0.3):
            net.macaddr = _mac(rng)
        if _maybe(rng, 0.4):
            net.domain_name = rng.choice(("example.com", "lab", "k8s.local"))
        if _maybe(rng, 0.9) or mode != "isolated":
            _add_ipv4(rng, net)
        if _maybe(rng, 0.35):
            _add_ipv6(rng, net)
            if _maybe(rng, 0.5):
                net.ipv6 = True
        elif _maybe(rng, 0.15):
            net.ipv6 = True
        if mode == "route" and _maybe(rng, 0.3):
            route = net.routes.add_new()
            route.address = str(_ipv4_net(rng).network_address)
            if _maybe(rng):
                route.prefix = 24
            else:
                route.netmask = "255.255.255.0"
            route.gateway = net.ips[0].address if net.ips else "192.168.122.2"
    if mode in ("bridge", "passthrough", "private", "hostdev") and _maybe(rng, 0.3):
        for i in range(rng.choice((1, 2))):
            group = net.portgroups.add_new()
            group.name = f"group{i}"
            if i == 0 and _maybe(rng):
                group.default = True
    return str(net.get_xml())


def network_edited(vi: Any, conn: Any, rng: random.Random) -> str:
    """A wizard-made network edited in virt-manager's XML tab: the parts the wizard lacks."""
    root = ET.fromstring(network(vi, conn, rng))
    forward = root.find("forward")
    mode = forward.get("mode") if forward is not None else None
    edits: list[Callable[[], None]] = []

    def mtu() -> None:
        ET.SubElement(root, "mtu", size=rng.choice(("9000", "1500", "1400", "0", "x", "65536")))

    def dns() -> None:
        d = ET.SubElement(root, "dns")
        if _maybe(rng, 0.2):
            d.set("enable", rng.choice(("yes", "no")))
        if _maybe(rng, 0.2):
            d.set("forwardPlainNames", rng.choice(("yes", "no")))
        for _ in range(rng.choice((0, 1, 2))):
            fwd = ET.SubElement(d, "forwarder")
            pick = rng.randrange(4)
            if pick == 0:
                fwd.set("addr", "8.8.8.8")
            elif pick == 1:
                fwd.set("domain", "example.com")
                fwd.set("addr", "192.168.1.1")
            elif pick == 2:
                fwd.set("domain", "local.lan")
            else:
                fwd.set("addr", "2001:db8::53")
                if _maybe(rng):
                    fwd.set("port", "5353")
        if _maybe(rng):
            txt = ET.SubElement(d, "txt", name=rng.choice(("example", "a b", "v=spf1")))
            if _maybe(rng, 0.85):
                txt.set("value", "some text")
        if _maybe(rng):
            srv = ET.SubElement(d, "srv")
            for attr, value in (
                ("service", "ldap"),
                ("protocol", rng.choice(("tcp", "udp", "sctp"))),
                ("domain", "test-domain-name"),
                ("target", "."),
                ("port", "389"),
                ("priority", "10"),
                ("weight", "10"),
            ):
                if _maybe(rng, 0.8):
                    srv.set(attr, value)
        for _ in range(rng.choice((0, 1, 2))):
            host = ET.SubElement(d, "host", ip=rng.choice(("192.168.122.2", "::1", "10.0.0.9")))
            for _ in range(rng.choice((0, 1, 2))):
                ET.SubElement(host, "hostname").text = _name(rng, "dnsname")

    def bandwidth() -> None:
        bw = ET.SubElement(root, "bandwidth")
        for tag in ("inbound", "outbound"):
            if _maybe(rng, 0.7):
                el = ET.SubElement(bw, tag)
                for attr in ("average", "peak", "burst", "floor"):
                    if _maybe(rng, 0.5 if attr != "average" else 0.85):
                        el.set(attr, str(rng.choice((0, 1000, 5000, 10240))))

    def portgroup() -> None:
        pg = ET.SubElement(root, "portgroup", name=rng.choice(("engineering", "sales", "")))
        if _maybe(rng):
            pg.set("default", rng.choice(("yes", "no")))
        if _maybe(rng):
            vlan = ET.SubElement(pg, "vlan")
            for _ in range(rng.choice((0, 1, 2))):
                ET.SubElement(vlan, "tag", id=str(rng.randrange(1, 4096)))
        if _maybe(rng):
            ET.SubElement(ET.SubElement(pg, "bandwidth"), "inbound", average="1000")
        if _maybe(rng, 0.3):
            ET.SubElement(pg, "virtualport", type="openvswitch")

    def bridge_attrs() -> None:
        br = _child(root, "bridge")
        br.set(
            rng.choice(("stp", "delay", "macTableManager", "zone")),
            rng.choice(("on", "off", "2", "kernel", "libvirt", "trusted", "x")),
        )

    def forward_ifaces() -> None:
        fwd = root.find("forward")
        if fwd is None:
            fwd = ET.SubElement(root, "forward", mode=rng.choice(("bridge", "passthrough", "vepa", "private")))
        for dev in rng.sample(("eth1", "eth2", "eth3", "eth1"), rng.choice((1, 2, 3))):
            ET.SubElement(fwd, "interface", dev=dev)
        if _maybe(rng, 0.3):
            fwd.set("dev", rng.choice(("eth1", "eth9")))

    def nat_ranges() -> None:
        fwd = root.find("forward")
        if fwd is None:
            return
        nat = ET.SubElement(fwd, "nat")
        if _maybe(rng):
            ET.SubElement(nat, "address", start="10.20.30.40", end=rng.choice(("10.20.30.44", "10.20.30.4")))
        if _maybe(rng):
            ET.SubElement(nat, "port", start=rng.choice(("1024", "500")), end="65535")
        if _maybe(rng, 0.3):
            nat.set("ipv6", rng.choice(("yes", "no")))

    def domain_attrs() -> None:
        dom = root.find("domain")
        if dom is None:
            dom = ET.SubElement(root, "domain", name="example.org")
        dom.set(rng.choice(("localOnly", "register")), rng.choice(("yes", "no")))

    def ip_extras() -> None:
        for ip in root.findall("ip"):
            if _maybe(rng):
                ip.set("localPtr", rng.choice(("yes", "no")))
            dhcp = ip.find("dhcp")
            if dhcp is not None and _maybe(rng):
                for r in dhcp.findall("range"):
                    ET.SubElement(
                        r,
                        "lease",
                        expiry=rng.choice(("1", "24", "0")),
                        unit=rng.choice(("hours", "minutes", "seconds")),
                    )
            if _maybe(rng, 0.3) and ip.get("netmask") is not None:
                ip.set("prefix", "24")  # both forms at once

    def vlan() -> None:
        v = ET.SubElement(root, "vlan")
        if _maybe(rng, 0.3):
            v.set("trunk", "yes")
        for _ in range(rng.choice((1, 2))):
            ET.SubElement(v, "tag", id=str(rng.randrange(1, 4096)))

    def static_route() -> None:
        route = ET.SubElement(root, "route", address="192.168.222.0", gateway=rng.choice(("192.168.122.2", "10.0.0.1")))
        route.set(*rng.choice((("prefix", "24"), ("netmask", "255.255.255.0"))))
        if _maybe(rng, 0.3):
            route.set("metric", rng.choice(("1", "0")))

    def hostdev_pool() -> None:
        fwd = root.find("forward")
        if fwd is None or fwd.get("mode") != "hostdev":
            for el in list(root):
                if el.tag in ("forward", "bridge", "ip", "mac", "domain", "dns", "route", "mtu"):
                    root.remove(el)
            fwd = ET.SubElement(root, "forward", mode="hostdev", managed=rng.choice(("yes", "no", "YES")))
        if _maybe(rng):
            ET.SubElement(fwd, "driver", name=rng.choice(("vfio", "kvm", "xen", "bogus")))
        for slot in rng.sample((1, 2, 3, 2), rng.choice((1, 2))):
            ET.SubElement(fwd, "address", type="pci", domain="0x0000", bus="0x03", slot=f"0x{slot:02x}", function="0x1")

    def ip6_extras() -> None:
        for ip in root.findall("ip"):
            if ip.get("family") != "ipv6":
                continue
            dhcp = _child(ip, "dhcp")
            pick = rng.randrange(4)
            if pick == 0:
                ET.SubElement(
                    dhcp,
                    "host",
                    id="0:4:7e:7d:f0:7d:a8:bc:c5:d2:13:32:11:ed:16:ea:84:63",
                    ip=str(_ipv6_net(rng).network_address + 5),
                )
            elif pick == 1:
                ET.SubElement(dhcp, "host", mac=_mac(rng), ip="fd00::5")
            elif pick == 2:
                ET.SubElement(ip, "tftp", root="/srv/tftp")
            else:
                ET.SubElement(dhcp, "bootp", file="pxelinux.0")

    def odd_values() -> None:
        target = rng.choice(root.findall(".//*[@address]") + root.findall(".//range") or [root])
        if target.tag == "ip":
            target.set("address", rng.choice(("192.168.1.0", "FD00::1", "10.0.0.1 ", "300.1.1.1")))
        elif target.tag == "range":
            target.set("start", rng.choice(("192.168.0.0", "10.9.9.9", target.get("end") or "")))
        elif target.tag == "mac":
            target.set("address", rng.choice(("01:00:5e:00:00:01", "52:54:00:AB:CD:EF", "zz")))
        root.set(rng.choice(("ipv6", "trustGuestRxFilters")), rng.choice(("yes", "no", "maybe")))
        if _maybe(rng, 0.3):
            ET.SubElement(root, "port", isolated=rng.choice(("yes", "no")))
        if _maybe(rng, 0.3):
            ET.SubElement(root, "virtualport", type=rng.choice(("openvswitch", "802.1Qbh", "bogus")))
        if _maybe(rng, 0.3):
            ET.SubElement(ET.SubElement(root, "metadata"), "{http://example.org/x}info").text = "x"

    def uuid_forms() -> None:
        uuid = _child(root, "uuid")
        uuid.text = rng.choice((_uuid(rng).upper(), _uuid(rng).replace("-", ""), "not-a-uuid", " " + _uuid(rng)))

    def dhcp_more() -> None:
        ip = root.find("ip")
        if ip is None:
            return
        dhcp = _child(ip, "dhcp")
        host = ET.SubElement(dhcp, "host", ip=str(ip.get("address", "10.0.0.1")).rsplit(".", 1)[0] + ".77")
        host.set(
            *rng.choice(
                (("mac", _mac(rng)), ("name", "db"), ("id", "01:02"), ("name", "-bad"), ("mac", "03:00:00:00:00:01"))
            )
        )
        if _maybe(rng):
            ET.SubElement(
                host, "lease", expiry=rng.choice(("0", "3", "1h")), unit=rng.choice(("hours", "minutes", "days"))
            )
        if _maybe(rng, 0.3):
            ET.SubElement(root, "ip", address="172.16.0.1", netmask="255.255.0.0")

    def dns_more() -> None:
        d = _child(root, "dns")
        pick = rng.randrange(5)
        if pick == 0:
            ET.SubElement(
                d,
                "srv",
                service="www",
                protocol="tcp",
                target="web.local",
                port=rng.choice(("80", "0", "70000")),
                priority=rng.choice(("0", "10")),
                weight="0",
            )
        elif pick == 1:
            ET.SubElement(d, "txt", name="k")
        elif pick == 2:
            ET.SubElement(d, "forwarder", addr=rng.choice(("8.8.4.4", "2001:DB8:0:0::1", "not-ip")))
        elif pick == 3:
            d.set("enable", "no")
        else:
            ET.SubElement(ET.SubElement(d, "host", ip="192.168.122.9"), "hostname")

    edits = [
        dhcp_more,
        dns_more,
        hostdev_pool,
        ip6_extras,
        odd_values,
        uuid_forms,
        mtu,
        dns,
        bandwidth,
        portgroup,
        bridge_attrs,
        forward_ifaces,
        nat_ranges,
        domain_attrs,
        ip_extras,
        vlan,
        static_route,
    ]
    if mode == "hostdev":
        edits.remove(forward_ifaces)
    for edit in rng.sample(edits, rng.choice((1, 1, 2, 3))):
        edit()
    return ET.tostring(root, encoding="unicode")


_POOL_TYPES: tuple[str, ...] = ("dir", "dir", "fs", "netfs", "logical", "disk", "iscsi", "iscsi-direct", "scsi")
_POOL_TYPES += ("mpath", "gluster", "rbd", "sheepdog", "zfs", "vstorage")
_FS_FORMATS = (
    "auto",
    "ext2",
    "ext3",
    "ext4",
    "ufs",
    "iso9660",
    "udf",
    "gfs",
    "gfs2",
    "vfat",
    "hfs+",
    "xfs",
    "ocfs2",
    "vmfs",
)
_NETFS_FORMATS = ("auto", "nfs", "glusterfs", "cifs")
_DISK_FORMATS = ("auto", "bsd", "dos", "dvh", "gpt", "mac", "pc98", "sun", "lvm2")


def pool(vi: Any, conn: Any, rng: random.Random, pool_type: str | None = None) -> str:
    """What virt-manager's add-storage-pool page writes for each pool type it offers (plus the
    two it does not, iscsi-direct and vstorage, as virtinst users set them)."""
    p = vi.StoragePool(conn)
    p.type = pool_type or rng.choice(_POOL_TYPES)
    p.name = _name(rng, "pool")
    if _maybe(rng, 0.2):
        p.uuid = _uuid(rng)
    t = p.type
    if t in ("dir", "fs", "netfs", "vstorage") and _maybe(rng, 0.6):
        p.target_path = rng.choice(("/var/lib/libvirt/images/", "/mnt/", "/srv/vm")) + p.name
    if t == "fs":
        p.source_path = rng.choice(("/dev/sdb1", "/dev/vg0/lv0", "/dev/disk/by-uuid/1234"))
        if _maybe(rng, 0.7):
            p.format = rng.choice(_FS_FORMATS)
    elif t == "netfs":
        p.hosts.add_new().name = rng.choice(("nfs.example.com", "192.168.1.10"))
        p.source_path = rng.choice(("/exports/vms", "/srv/nfs/", "//share"))
        if _maybe(rng, 0.7):
            p.format = rng.choice(_NETFS_FORMATS)
    elif t == "logical":
        if _maybe(rng, 0.7):
            p.source_name = rng.choice(("vg0", "vg_data", p.name))
        if _maybe(rng, 0.4):
            p.source_path = rng.choice(("/dev/sdc", "/dev/md0"))
        if _maybe(rng, 0.2):
            p.target_path = "/dev/" + (p.source_name or p.name)
    elif t == "disk":
        p.source_path = rng.choice(("/dev/sdd", "/dev/nvme1n1", "/dev/vdb"))
        if _maybe(rng, 0.7):
            p.format = rng.choice(_DISK_FORMATS)
        if _maybe(rng, 0.3):
            p.target_path = "/dev"
    elif t in ("iscsi", "iscsi-direct"):
        host = p.hosts.add_new()
        host.name = rng.choice(("iscsi.example.com", "10.0.0.5"))
        if _maybe(rng, 0.3):
            host.port = 3260
        p.source_path = f"iqn.2013-06.com.example:{_name(rng, 'target')}"
        if t == "iscsi-direct" or _maybe(rng, 0.4):
            p.iqn = "iqn.2013-06.com.example:initiator"
        if t == "iscsi" and _maybe(rng, 0.2):
            p.target_path = "/dev/disk/by-id"
        if _maybe(rng, 0.2):
            p.auth_type = "chap"
            p.auth_username = "admin"
            p.auth_secret_uuid = _uuid(rng)
    elif t == "scsi":
        p.source_path = rng.choice(("host0", "host2", "scsi_host3"))
    elif t in ("gluster", "rbd", "sheepdog"):
        host = p.hosts.add_new()
        host.name = rng.choice(("storage.example.com", "10.0.0.7"))
        if _maybe(rng, 0.3):
            host.port = {"gluster": 24007, "rbd": 6789, "sheepdog": 7000}[t]
        if t == "gluster" and _maybe(rng, 0.6):
            p.source_path = rng.choice(("/", "/vms", "/vms/"))
        if _maybe(rng, 0.6):
            p.source_name = rng.choice(("gv0", "rbd", "libvirt-pool"))
        if t == "rbd" and _maybe(rng, 0.3):
            p.auth_type = "ceph"
            p.auth_username = "libvirt"
            p.auth_secret_uuid = _uuid(rng)
    elif t == "zfs":
        if _maybe(rng, 0.7):
            p.source_name = rng.choice(("tank", "tank/vms"))
        if _maybe(rng, 0.3):
            p.source_path = "/dev/sde"
    elif t == "vstorage":
        p.source_name = rng.choice(("cluster1", "vz"))
    if t in ("dir", "fs", "netfs", "logical", "disk", "iscsi", "scsi", "mpath", "zfs", "vstorage") and _maybe(
        rng, 0.25
    ):
        p.permissions.mode = rng.choice(("0711", "0755", "755", "0700"))
        if _maybe(rng):
            p.permissions.owner = rng.choice(("0", "107", "1000"))
        if _maybe(rng):
            p.permissions.group = rng.choice(("0", "107", "36"))
        if _maybe(rng, 0.3):
            p.permissions.label = "system_u:object_r:virt_image_t:s0"
    if t not in ("iscsi-direct", "vstorage"):
        p.validate()  # virt-manager's finish step: default target path, source name and format
    return str(p.get_xml())


def pool_edited(vi: Any, conn: Any, rng: random.Random) -> str:
    """A pool document edited by hand: the parts virtinst lacks and the spellings users use."""
    root = ET.fromstring(pool(vi, conn, rng))
    t = root.get("type")
    edits: list[Callable[[], None]] = []

    def sizes() -> None:
        for tag in rng.sample(("capacity", "allocation", "available"), rng.choice((1, 2))):
            el = ET.SubElement(root, tag)
            el.text = rng.choice(("0", "10", "107374182400"))
            if _maybe(rng):
                el.set("unit", rng.choice(("G", "GiB", "bytes", "KB", "T")))

    def target_forms() -> None:
        target = _child(root, "target")
        path = target.find("path")
        if path is None:
            path = ET.SubElement(target, "path")
            path.text = "/var/lib/libvirt/images/x"
        path.text = rng.choice(((path.text or "") + "/", "//" + (path.text or "").lstrip("/"), " " + (path.text or "")))
        perms = _child(target, "permissions")
        mode = _child(perms, "mode")
        mode.text = rng.choice(("755", "0755", "00755", "0777", "1777", "0999", "rwx", " 0700 ", "0"))
        if _maybe(rng, 0.4):
            owner = _child(perms, "owner")
            owner.text = rng.choice(("-1", "0", "abc", "4294967295", "0107"))

    def source_format() -> None:
        source = _child(root, "source")
        fmt = _child(source, "format")
        fmt.set("type", rng.choice(("auto", "bogus", "ext4", "nfs", "gpt", "lvm2", "none", "")))

    def adapter() -> None:
        root.set("type", "scsi")
        source = _child(root, "source")
        for child in list(source):
            source.remove(child)
        pick = rng.randrange(4)
        if pick == 0:
            ET.SubElement(source, "adapter", type="scsi_host", name=rng.choice(("host0", "scsi_host2")))
        elif pick == 1:
            a = ET.SubElement(source, "adapter", type="scsi_host")
            ET.SubElement(a, "parentaddr", unique_id=rng.choice(("1", "2")))
            if _maybe(rng, 0.7):
                ET.SubElement(a[0], "address", domain="0x0000", bus="0x00", slot="0x1f", function="0x2")
        elif pick == 2:
            a = ET.SubElement(source, "adapter", type="fc_host", wwnn="20000000c9831b4b", wwpn="10000000c9831b4b")
            if _maybe(rng):
                a.set("parent", "scsi_host5")
            if _maybe(rng, 0.3):
                a.set("managed", rng.choice(("yes", "no")))
        else:
            ET.SubElement(source, "adapter", name="host1")
        if root.find("target") is None:
            ET.SubElement(ET.SubElement(root, "target"), "path").text = "/dev/disk/by-path"

    def hosts() -> None:
        source = _child(root, "source")
        host = ET.SubElement(source, "host", name=rng.choice(("extra.example.com", "10.1.1.1")))
        if _maybe(rng):
            host.set("port", rng.choice(("0", "6789", "-1", "x")))

    def protocol() -> None:
        if t == "netfs":
            ET.SubElement(_child(root, "source"), "protocol", ver=rng.choice(("3", "4", "x")))

    def initiator() -> None:
        source = root.find("source")
        if source is not None and t in ("iscsi", "iscsi-direct"):
            ini = source.find("initiator")
            if ini is not None:
                source.remove(ini)
            if _maybe(rng, 0.8):
                ET.SubElement(ET.SubElement(source, "initiator"), "iqn", name="iqn.1994-05.com.redhat:x")
        if source is not None and t in ("iscsi", "rbd") and source.find("auth") is None:
            auth = ET.SubElement(source, "auth", type=rng.choice(("chap", "ceph", "none")), username="u")
            secret = ET.SubElement(auth, "secret")
            secret.set(*rng.choice((("usage", "mysecret"), ("uuid", _uuid(rng)))))

    def extras() -> None:
        source = _child(root, "source")
        pick = rng.randrange(5)
        if pick == 0:
            dev = source.find("device")
            if dev is not None:
                dev.set("part_separator", rng.choice(("yes", "no", "on")))
            ET.SubElement(source, "device", path="/dev/sdz")
        elif pick == 1:
            ET.SubElement(source, "vendor", name="Acme")
            ET.SubElement(source, "product", name="Widget")
        elif pick == 2:
            ET.SubElement(ET.SubElement(root, "refresh"), "volume", allocation=rng.choice(("capacity", "default", "x")))
        elif pick == 3:
            ET.SubElement(ET.SubElement(root, "features"), "cow", state=rng.choice(("yes", "no", "x")))
        else:
            ET.SubElement(source, "name").text = rng.choice(("srcname", "a/b"))
        if _maybe(rng, 0.3):
            uuid = _child(root, "uuid")
            uuid.text = rng.choice((_uuid(rng).upper(), "bad-uuid"))

    def auth_forms() -> None:
        source = _child(root, "source")
        auth = ET.SubElement(source, "auth", type=rng.choice(("chap", "ceph", "CHAP")))
        if _maybe(rng, 0.8):
            auth.set("username", rng.choice(("admin", "")))
        if _maybe(rng, 0.9):
            secret = ET.SubElement(auth, "secret")
            secret.set(*rng.choice((("usage", "libvirtiscsi"), ("uuid", _uuid(rng)), ("uuid", "nope"))))

    def dir_forms() -> None:
        source = _child(root, "source")
        d = _child(source, "dir")
        d.set("path", rng.choice(("/exports//vms/", "exports", "/", "")))

    edits = [sizes, target_forms, source_format, adapter, hosts, protocol, initiator, extras, auth_forms, dir_forms]
    for edit in rng.sample(edits, rng.choice((1, 1, 2))):
        edit()
    return ET.tostring(root, encoding="unicode")


_FILE_FORMATS = (
    "raw",
    "raw",
    "qcow2",
    "qcow2",
    "qcow2",
    "qed",
    "vmdk",
    "vdi",
    "vpc",
    "vhdx",
    "cow",
    "iso",
    "dmg",
    "ploop",
    "bochs",
    "cloop",
    "fat",
)
_DISK_VOL_FORMATS = ("none", "linux", "fat16", "fat32", "linux-swap", "linux-lvm", "linux-raid", "extended")
_VOLUME_POOLS = (
    "dir",
    "dir",
    "dir",
    "fs",
    "netfs",
    "logical",
    "disk",
    "iscsi",
    "rbd",
    "gluster",
    "zfs",
    "vstorage",
    "sheepdog",
    "scsi",
    "mpath",
)


def _pool_for_volume(vi: Any, conn: Any, rng: random.Random) -> tuple[str, Any]:
    """A pool made as virt-manager makes one, defined and started on virtinst's test connection
    (``StorageVolume.pool`` reads the live pool, as in virt-manager)."""
    while True:
        xml = pool(vi, conn, rng, rng.choice(_VOLUME_POOLS))
        try:
            obj = conn.storagePoolDefineXML(xml, 0)
        except Exception:  # libvirt.libvirtError
            continue  # a pool document libvirt refuses holds no volumes
        obj.create(0)
        return xml, obj


def _size(rng: random.Random) -> int:
    """virt-install's ``size=`` (GiB, may be fractional) or virt-manager's MiB spin box, in bytes."""
    if _maybe(rng, 0.6):
        return int(rng.choice((0.5, 1, 2, 8, 10, 20, 1.25, 40, 0.001)) * 1024**3)
    return rng.choice((1, 100, 512, 4096, 10240)) * 1024**2


def volume(vi: Any, conn: Any, rng: random.Random) -> tuple[str, str]:
    """What virt-manager's new-volume dialog and virt-install's ``--disk size=,format=,sparse=,
    backing_store=`` write: (volume document, its pool's document)."""
    pool_xml, pool_obj = _pool_for_volume(vi, conn, rng)
    try:
        v = vi.StorageVolume(conn)
        v.pool = pool_obj
        ptype = ET.fromstring(pool_xml).get("type")
        fmt = None
        if ptype in ("dir", "fs", "netfs", "gluster", "vstorage") and _maybe(rng, 0.85):
            fmt = rng.choice(_FILE_FORMATS)
        elif ptype == "disk" and _maybe(rng, 0.5):
            fmt = rng.choice(_DISK_VOL_FORMATS)
        v.name = _name(rng, "vol") + vi.StorageVolume.get_file_extension_for_format(fmt)
        v.capacity = _size(rng)
        v.allocation = rng.choice((0, v.capacity, v.capacity, min(v.capacity, 1024**3)))
        if fmt:
            v.format = fmt
        if fmt in ("qcow2", "qed", "vmdk", None) and _maybe(rng, 0.25):
            v.backing_store = rng.choice(("/var/lib/libvirt/images/base.qcow2", "/dev/vg0/base", "/srv/base.img"))
            if _maybe(rng, 0.7):
                v.backing_format = rng.choice(("qcow2", "raw", "qed"))
        if _maybe(rng, 0.2):
            v.permissions.mode = rng.choice(("0600", "0644", "644", "0660"))
            if _maybe(rng):
                v.permissions.owner = rng.choice(("107", "0"))
                v.permissions.group = rng.choice(("107", "36"))
            if _maybe(rng, 0.2):
                v.permissions.label = "system_u:object_r:svirt_image_t:s0"
        if _maybe(rng, 0.9):
            v.validate()  # sets raw on file volumes, lazy_refcounts on qcow2, logical's allocation
        elif fmt == "qcow2" and _maybe(rng):
            v.lazy_refcounts = rng.choice((True, False))
        return str(v.get_xml()), pool_xml
    finally:
        pool_obj.destroy()
        pool_obj.undefine()


def clone_volume(vi: Any, conn: Any, rng: random.Random) -> tuple[str, str]:
    """virt-clone's new volume: the original's format, capacity and allocation copied
    (``StorageVolume.set_input_vol``), allocation raised to capacity unless sparse."""
    vol_xml, pool_xml = volume(vi, conn, rng)
    orig = vi.StorageVolume(conn, parsexml=vol_xml)
    v = vi.StorageVolume(conn)
    v.name = _name(rng, "clone")
    v.format = orig.format
    v.capacity = orig.capacity
    v.allocation = orig.capacity if _maybe(rng) else orig.allocation
    return str(v.get_xml()), pool_xml


def volume_edited(vi: Any, conn: Any, rng: random.Random) -> tuple[str, str]:
    """A volume document edited by hand: units, no allocation, odd modes and formats, encryption."""
    vol_xml, pool_xml = volume(vi, conn, rng)
    root = ET.fromstring(vol_xml)
    edits: list[Callable[[], None]] = []

    def units() -> None:
        cap = _child(root, "capacity")
        size = int(cap.text) if cap.text and cap.text.isdigit() else 1
        unit, factor = rng.choice(
            (
                ("G", 1024**3),
                ("GiB", 1024**3),
                ("GB", 10**9),
                ("bytes", 1),
                ("M", 1024**2),
                ("KiB", 1024),
                ("b", 1),
                ("T", 1024**4),
                ("Mb", 10**6),
                ("PiB", 1024**5),
                ("xx", 1),
            )
        )
        cap.set("unit", unit)
        cap.text = str(max(1, size // factor))
        alloc = root.find("allocation")
        if alloc is not None and (alloc.text or "").isdigit() and _maybe(rng):
            alloc.set("unit", rng.choice(("M", "MiB", "k", "bytes")))
            alloc.text = str(
                int(alloc.text or "0") // 1024**2
                if alloc.get("unit") in ("M", "MiB")
                else int(alloc.text or "0") // (1 if alloc.get("unit") == "bytes" else 1024)
            )

    def no_allocation() -> None:
        alloc = root.find("allocation")
        if alloc is not None:
            root.remove(alloc)

    def modes() -> None:
        target = _child(root, "target")
        perms = _child(target, "permissions")
        for child in list(perms):
            perms.remove(child)
        ET.SubElement(perms, "mode").text = rng.choice(
            ("644", "0644", "00644", "0o644", "1644", "rw-r--r--", "0888", "+0644", "")
        )
        if _maybe(rng):
            ET.SubElement(perms, "owner").text = rng.choice(("107", "-1", "qemu", "0"))
        if _maybe(rng):
            ET.SubElement(perms, "group").text = rng.choice(("107", "-1", "kvm"))

    def unknown_format() -> None:
        target = _child(root, "target")
        fmt = _child(target, "format")
        fmt.set(
            "type", rng.choice(("qcow3", "img", "QCOW2", "", "auto", "luks", "iso", "dir", "none", "lvm2", "linux"))
        )

    def encryption() -> None:
        target = _child(root, "target")
        enc = ET.SubElement(target, "encryption", format=rng.choice(("luks", "qcow", "default", "luks2", "bogus")))
        if _maybe(rng, 0.8):
            ET.SubElement(enc, "secret", type=rng.choice(("passphrase", "volume")), uuid=_uuid(rng))
        if _maybe(rng, 0.3):
            ET.SubElement(enc, "cipher", name="aes", size="256", mode="cbc", hash="sha256")
            ET.SubElement(enc, "ivgen", name="plain64", hash="sha256")

    def compat() -> None:
        target = _child(root, "target")
        ET.SubElement(target, "compat").text = rng.choice(("0.10", "1.1", "1.2", "x"))
        if _maybe(rng):
            feats = _child(target, "features")
            ET.SubElement(feats, rng.choice(("lazy_refcounts", "extended_l2", "bogus")))
        if _maybe(rng, 0.3):
            ET.SubElement(target, "clusterSize", unit=rng.choice(("KiB", "k", "B"))).text = "64"

    def backing() -> None:
        bs = root.find("backingStore")
        if bs is None:
            bs = ET.SubElement(root, "backingStore")
            if _maybe(rng, 0.9):
                ET.SubElement(bs, "path").text = "/var/lib/libvirt/images/base.img"
        fmt = ET.SubElement(bs, "format")
        if _maybe(rng, 0.8):
            fmt.set("type", rng.choice(("raw", "qcow2", "bogus", "vmdk")))
        if _maybe(rng, 0.3):
            ET.SubElement(ET.SubElement(bs, "permissions"), "mode").text = "0644"

    def key_and_path() -> None:
        ET.SubElement(root, "key").text = "/some/key"
        target = _child(root, "target")
        ET.SubElement(target, "path").text = "/some/other/path"
        if _maybe(rng):
            root.set("type", rng.choice(("file", "block", "dir", "network", "netdir", "ploop", "bogus")))

    def number_forms() -> None:
        el = _child(root, rng.choice(("capacity", "allocation")))
        value = el.text or "0"
        el.text = rng.choice(
            (" " + value, "+" + value, value + " ", "-" + value, "0x10", "", "1.5", value + "0000000000")
        )

    def extras() -> None:
        target = _child(root, "target")
        pick = rng.randrange(4)
        if pick == 0:
            ET.SubElement(target, "nocow")
        elif pick == 1:
            ET.SubElement(ET.SubElement(target, "timestamps"), "atime").text = "1341933637.273190990"
        elif pick == 2:
            ET.SubElement(root, "physical", unit="bytes").text = "1024"
            ET.SubElement(ET.SubElement(root, "source"), "device", path="/dev/sda")
        else:
            root.set("type", "")
        if _maybe(rng, 0.3):
            _child(root, "capacity").text = "0"

    edits = [
        units,
        no_allocation,
        modes,
        unknown_format,
        encryption,
        compat,
        backing,
        key_and_path,
        number_forms,
        extras,
    ]
    for edit in rng.sample(edits, rng.choice((1, 1, 2))):
        edit()
    return ET.tostring(root, encoding="unicode"), pool_xml


_BUILDERS: dict[str, tuple[str, Callable[[Any, Any, random.Random], Any]]] = {
    "virtinst-network": ("network", network),
    "edited-network": ("network", network_edited),
    "virtinst-pool": ("pool", pool),
    "edited-pool": ("pool", pool_edited),
    "virtinst-volume": ("volume", volume),
    "virt-clone-volume": ("volume", clone_volume),
    "edited-volume": ("volume", volume_edited),
}


def emit(count: int, seed: int) -> None:
    """Print ``count`` documents as JSON lines (system interpreter only)."""
    sys.path.insert(0, VIRTINST)
    import virtinst  # type: ignore[import-not-found]

    virtinst.logger.log.disabled = True
    conn = virtinst.VirtinstConnection("test:///default")
    conn.open(None, None)
    rng = random.Random(seed)
    labels = sorted(_BUILDERS)
    for _ in range(count):
        label = rng.choice(labels)
        kind, build = _BUILDERS[label]
        made = build(virtinst, conn, rng)
        xml, pool_xml = made if isinstance(made, tuple) else (made, None)
        sys.stdout.write(json.dumps({"label": label, "kind": kind, "xml": xml, "pool": pool_xml}) + "\n")


# -- the comparing half (pyvirt's venv) ---------------------------------------------------------


def generate(count: int, seed: int) -> Iterator[Fresh]:
    """``count`` virtinst documents from ``seed`` as cases for ``fresh_documents.disagreement``."""
    from fresh_documents import Fresh
    from libvirt_data import Case

    out = subprocess.run(
        ["/usr/bin/python3", "-I", str(Path(__file__).resolve()), "--emit", str(count), str(seed)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for i, line in enumerate(out.splitlines()):
        doc = json.loads(line)
        case = Case(
            name=f"{doc['label']}-{seed}-{i}", kind=doc["kind"], source="virtinst", outcome="dump", pool_xml=doc["pool"]
        )
        yield Fresh(case, (doc["label"],), doc["xml"])


def main(argv: list[str]) -> int:
    if argv[1:2] == ["--emit"]:
        emit(int(argv[2]), int(argv[3]))
        return 0
    from fresh_documents import print_agreement

    verbose = "-v" in argv
    argv = [a for a in argv if a != "-v"]
    count = int(argv[1]) if len(argv) > 1 else 300
    seed = int(argv[2]) if len(argv) > 2 else 1
    print_agreement(generate(count, seed), verbose=verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
