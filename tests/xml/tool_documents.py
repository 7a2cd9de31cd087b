"""Sparse documents of the kind management tools write, for the differential test.

virt-install, Terraform's libvirt provider, OpenStack Nova, Vagrant-libvirt and Ansible's
community.libvirt (whose users paste short templates) all define guests with few elements and
lean on libvirt's defaults for the rest: exactly where a reimplementation's defaults show.
These builders are written from what those tools emit (element choice, attribute habits such
as ``unit='MiB'``, ``autoport``, ``listen`` addresses), not copied from their code; each
document picks a tool and a random subset of its optional parts, from a seed, so a failure
is reproducible.  Real libvirt (``libvirt_oracle.py``) says what each becomes.

    .venv/bin/python tests/xml/tool_documents.py [COUNT] [SEED]
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Iterator

from fresh_documents import Fresh, print_agreement
from libvirt_data import Case


def _name(rng: random.Random, prefix: str) -> str:
    return f"{prefix}{rng.randrange(1, 10000)}"


def _mac(rng: random.Random) -> str:
    return "52:54:00:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(3))


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _some(rng: random.Random, parts: list[str], p: float = 0.5) -> str:
    return "".join(part for part in parts if rng.random() < p)


PLACEMENT = " placement='static'"
BOOT_HD = "<boot dev='hd'/>"
NO_BOOTMENU = "<bootmenu enable='no'/>"
LIFECYCLE = "<on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>"
PASSTHROUGH = "<cpu mode='host-passthrough'/>"
HOST_MODEL_FALLBACK = "<cpu mode='host-model'><model fallback='allow'/></cpu>"
SMBIOS = "<smbios mode='sysinfo'/>"
TIMERS = [
    "<timer name='pit' tickpolicy='delay'/>",
    "<timer name='rtc' tickpolicy='catchup'/>",
    "<timer name='hpet' present='no'/>",
]


def _disk(rng: random.Random, dev: str, bus: str, fmt: str, extra: str = "") -> str:
    path = f"/var/lib/libvirt/images/{_name(rng, 'img')}.{fmt}"
    driver = rng.choice(
        (
            f"<driver name='qemu' type='{fmt}'/>",
            f"<driver name='qemu' type='{fmt}' cache='none'/>",
            f"<driver name='qemu' type='{fmt}' discard='unmap'/>",
            "",
        )
    )
    return (
        f"<disk type='file' device='disk'>{driver}<source file='{path}'/>"
        f"<target dev='{dev}' bus='{bus}'/>{extra}</disk>"
    )


def _cdrom(rng: random.Random, bus: str) -> str:
    dev = {"ide": "hdc", "sata": "sda", "scsi": "sdb"}[bus]
    source = rng.choice(("", "<source file='/var/lib/libvirt/images/cloudinit.iso'/>"))
    ro = rng.choice(("", "<readonly/>"))
    return (
        f"<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>{source}"
        f"<target dev='{dev}' bus='{bus}'/>{ro}</disk>"
    )


def _iface(rng: random.Random, kind: str) -> str:
    mac = rng.choice(("", f"<mac address='{_mac(rng)}'/>"))
    model = rng.choice(("<model type='virtio'/>", "<model type='e1000'/>", "<model type='rtl8139'/>", ""))
    source = {
        "network": f"<source network='{rng.choice(('default', 'vagrant-libvirt', 'k8s'))}'/>",
        "bridge": f"<source bridge='{rng.choice(('br0', 'virbr0', 'qbr1234abcd-12'))}'/>",
        "user": "",
        "direct": "<source dev='eth0' mode='bridge'/>",
    }[kind]
    target = rng.choice(("", "<target dev='tap1234abcd-12'/>")) if kind == "bridge" else ""
    mtu = rng.choice(("", "<mtu size='1500'/>")) if kind != "user" else ""
    return f"<interface type='{kind}'>{mac}{source}{target}{model}{mtu}</interface>"


def _graphics(rng: random.Random) -> str:
    kind = rng.choice(("vnc", "spice"))
    listen_addr = rng.choice(("127.0.0.1", "0.0.0.0"))
    attrs = rng.choice(
        (
            " autoport='yes'",
            " port='-1' autoport='yes'",
            f" port='-1' autoport='yes' listen='{listen_addr}'",
            f" autoport='yes' listen='{listen_addr}'",
            " port='5901' autoport='no'",
            "",
        )
    )
    if kind == "vnc" and rng.random() < 0.3:
        attrs += " keymap='en-us'"
    listen = rng.choice(
        ("", f"<listen type='address' address='{listen_addr}'/>", "<listen type='address'/>", "<listen type='none'/>")
    )
    if listen and "listen=" in attrs and f"'{listen_addr}'" not in listen:
        listen = ""
    return f"<graphics type='{kind}'{attrs}>{listen}</graphics>"


def _memory(rng: random.Random, tag: str, mib: int) -> str:
    unit = rng.choice(("KiB", "MiB", "GiB", "", "M", "k") if mib % 1024 == 0 else ("KiB", "MiB", "", "M", "k"))
    value = {"KiB": mib * 1024, "MiB": mib, "GiB": mib // 1024, "": mib * 1024, "M": mib, "k": mib * 1024}[unit]
    attr = f" unit='{unit}'" if unit else ""
    return f"<{tag}{attr}>{value}</{tag}>"


def virt_install(rng: random.Random) -> str:
    mib = rng.choice((1024, 2048, 4096))
    machine = rng.choice(("pc-q35-7.2", "q35", "pc", "pc-i440fx-7.2"))
    bus = "sata" if "q35" in machine else "ide"
    devices = "<emulator>/usr/bin/qemu-system-x86_64</emulator>" + _disk(rng, "vda", "virtio", "qcow2")
    devices += _some(
        rng,
        [
            _cdrom(rng, bus),
            "<controller type='usb' model='qemu-xhci' ports='15'/>",
            "<controller type='virtio-serial' index='0'/>",
            _iface(rng, "network"),
            "<console type='pty'/>",
            "<serial type='pty'><target port='0'/></serial>",
            "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>",
            "<channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>",
            "<input type='tablet' bus='usb'/>",
            _graphics(rng),
            "<sound model='ich9'/>",
            "<video><model type='virtio'/></video>",
            "<video><model type='qxl' ram='65536' vram='65536' vgamem='16384' heads='1' primary='yes'/></video>",
            "<controller type='usb' model='qemu-xhci'/><redirdev bus='usb' type='spicevmc'/>",
            "<memballoon model='virtio'/>",
            "<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>",
            "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>",
            "<watchdog model='i6300esb' action='reset'/>",
            "<controller type='scsi' model='virtio-scsi'/>" + _disk(rng, "sdc", "scsi", "raw"),
            "<hostdev mode='subsystem' type='pci' managed='yes'><source>"
            "<address domain='0x0000' bus='0x06' slot='0x00' function='0x0'/></source></hostdev>",
            "<hostdev mode='subsystem' type='usb' managed='yes'><source><vendor id='0x046d'/>"
            "<product id='0xc52b'/></source></hostdev>",
            "<filesystem type='mount' accessmode='passthrough'><driver type='virtiofs'/>"
            "<source dir='/srv/share'/><target dir='share'/></filesystem>",
            "<serial type='tcp'><source mode='bind' host='127.0.0.1' service='4555'/>"
            "<protocol type='telnet'/><target port='0'/></serial>",
        ],
    )
    features = _some(rng, ["<acpi/>", "<apic/>", "<vmport state='off'/>"], 0.7)
    clock = rng.choice(
        (
            "",
            "<clock offset='utc'/>",
            "<clock offset='utc'><timer name='rtc' tickpolicy='catchup'/><timer name='pit' tickpolicy='delay'/>"
            "<timer name='hpet' present='no'/></clock>",
        )
    )
    cpu = rng.choice(
        (
            "",
            "<cpu mode='host-passthrough' check='none' migratable='on'/>",
            "<cpu mode='host-model'/>",
            "<cpu mode='custom' match='exact'><model>Skylake-Client-IBRS</model>"
            "<feature policy='require' name='vmx'/></cpu>",
            "<cpu><topology sockets='1' cores='2' threads='1'/></cpu>",
        )
    )
    boot = rng.choice(
        (
            "",
            "<boot dev='hd'/>",
            "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>"
            "<nvram>/var/lib/libvirt/qemu/nvram/vm_VARS.fd</nvram><boot dev='hd'/>",
        )
    )
    firmware = rng.choice(("", " firmware='efi'")) if not boot.startswith("<loader") else ""
    backing = rng.choice(("", "<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>"))
    pm = rng.choice(("", "<pm><suspend-to-mem enabled='no'/><suspend-to-disk enabled='no'/></pm>"))
    metadata = rng.choice(
        (
            "",
            "<metadata><libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'>"
            "<libosinfo:os id='http://debian.org/debian/12'/></libosinfo:libosinfo></metadata>",
        )
    )
    return (
        f"<domain type='kvm'><name>{_name(rng, 'vm')}</name>{metadata}{_memory(rng, 'memory', mib)}"
        f"{rng.choice(('', _memory(rng, 'currentMemory', mib)))}"
        f"<vcpu{rng.choice(('', PLACEMENT))}>{rng.choice((1, 2, 4))}</vcpu>"
        f"{backing}<os{firmware}><type arch='x86_64' machine='{machine}'>hvm</type>{boot}</os>"
        f"{'<features>' + features + '</features>' if features else ''}{cpu}{clock}"
        f"{rng.choice(('', LIFECYCLE))}"
        f"{pm}<devices>{devices}</devices></domain>"
    )


def terraform(rng: random.Random) -> str:
    devices = _disk(rng, "vda", "virtio", "qcow2")
    devices += _some(
        rng,
        [
            _cdrom(rng, "ide"),
            _iface(rng, rng.choice(("network", "bridge"))),
            "<console type='pty'><target type='serial' port='0'/></console>",
            "<console type='pty'><target type='virtio' port='1'/></console>",
            "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>",
            _graphics(rng),
            "<video><model type='cirrus'/></video>",
            "<filesystem type='mount' accessmode='mapped'><source dir='/tmp'/><target dir='tmp'/>"
            "<readonly/></filesystem>",
        ],
    )
    arch = rng.choice(("", " arch='x86_64'"))
    return (
        f"<domain type='{rng.choice(('kvm', 'qemu'))}'><name>{_name(rng, 'tf-')}</name>"
        f"{_memory(rng, 'memory', rng.choice((512, 1024)))}<vcpu>{rng.choice((1, 2))}</vcpu>"
        f"<os><type{arch}>hvm</type></os>"
        f"{rng.choice(('', '<features><pae/><acpi/><apic/></features>'))}"
        f"{rng.choice(('', PASSTHROUGH))}"
        f"<devices>{devices}</devices></domain>"
    )


def nova(rng: random.Random) -> str:
    uuid = _uuid(rng)
    sysinfo = (
        "<sysinfo type='smbios'><system><entry name='manufacturer'>OpenStack Foundation</entry>"
        "<entry name='product'>OpenStack Nova</entry><entry name='version'>27.1.0</entry>"
        f"<entry name='serial'>{uuid}</entry><entry name='uuid'>{uuid}</entry>"
        "<entry name='family'>Virtual Machine</entry></system></sysinfo>"
    )
    metadata = (
        "<metadata><nova:instance xmlns:nova='http://openstack.org/xmlns/libvirt/nova/1.1'>"
        "<nova:name>server1</nova:name><nova:flavor name='m1.small'><nova:memory>2048</nova:memory>"
        "</nova:flavor></nova:instance></metadata>"
    )
    vcpus = rng.choice((1, 2, 4))
    cpu = f"<cpu mode='host-model' match='exact'><topology sockets='{vcpus}' cores='1' threads='1'/></cpu>"
    devices = _disk(rng, "vda", "virtio", "qcow2") + _some(
        rng,
        [
            _disk(rng, "vdb", "virtio", "raw"),
            f"<disk type='network' device='disk'><driver name='qemu' type='raw' cache='writeback'/>"
            f"<auth username='openstack'><secret type='ceph' uuid='{_uuid(rng)}'/></auth>"
            f"<source protocol='rbd' name='vms/{_uuid(rng)}_disk'><host name='10.0.0.5' port='6789'/></source>"
            "<target dev='vdc' bus='virtio'/></disk>",
            _iface(rng, rng.choice(("bridge", "network"))),
            "<serial type='pty'><log file='/var/lib/nova/instances/console.log' append='off'/></serial>",
            "<serial type='pty'/>",
            "<input type='tablet' bus='usb'/>",
            _graphics(rng),
            "<video><model type='virtio'/></video>",
            "<video><model type='cirrus'/></video>",
            "<memballoon model='virtio'><stats period='10'/></memballoon>",
            "<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>",
            "<controller type='usb' index='0'/>",
        ],
    )
    return (
        f"<domain type='kvm'><uuid>{uuid}</uuid><name>instance-{rng.randrange(1, 999):08x}</name>"
        f"{rng.choice(('', metadata))}{_memory(rng, 'memory', 2048)}<vcpu>{vcpus}</vcpu>"
        f"{rng.choice(('', '<cputune><shares>' + str(1024 * vcpus) + '</shares></cputune>'))}"
        f"{rng.choice(('', sysinfo))}"
        f"<os><type machine='{rng.choice(('pc', 'q35'))}'>hvm</type><boot dev='hd'/>"
        f"{rng.choice(('', SMBIOS))}</os>"
        f"<features><acpi/><apic/></features>{rng.choice(('', cpu))}"
        f"<clock offset='utc'>{_some(rng, TIMERS)}</clock>"
        f"<devices>{devices}</devices></domain>"
    )


def vagrant(rng: random.Random) -> str:
    devices = _disk(rng, "vda", "virtio", "qcow2") + _some(
        rng,
        [
            _iface(rng, "network"),
            "<serial type='pty'><target port='0'/></serial>",
            "<console type='pty'><target port='0'/></console>",
            "<input type='mouse' bus='ps2'/>",
            "<input type='keyboard' bus='ps2'/>",
            "<input type='tablet' bus='usb'/>",
            _graphics(rng),
            "<video><model type='cirrus' vram='16384' heads='1'/></video>",
            "<video><model type='qxl' vram='9216' heads='1'/></video>",
        ],
    )
    return (
        f"<domain type='kvm'><name>{_name(rng, 'vagrant_default_')}</name>"
        f"{rng.choice(('', '<title>vagrant box</title>', '<description>Source: /home/u/Vagrantfile</description>'))}"
        f"{_memory(rng, 'memory', 512)}<vcpu>1</vcpu>"
        f"{rng.choice(('', HOST_MODEL_FALLBACK))}"
        f"<os><type>hvm</type>{rng.choice(('', BOOT_HD))}{rng.choice(('', NO_BOOTMENU))}</os>"
        f"<features><acpi/><apic/><pae/></features><clock offset='utc'/>"
        f"<devices>{devices}</devices></domain>"
    )


def ansible(rng: random.Random) -> str:
    dev, bus = rng.choice((("vda", "virtio"), ("hda", "ide"), ("sda", "scsi")))
    devices = rng.choice(("", "<emulator>/usr/bin/qemu-system-x86_64</emulator>")) + _disk(rng, dev, bus, "qcow2")
    devices += _some(rng, [_iface(rng, rng.choice(("network", "bridge", "user"))), _graphics(rng)], 0.6)
    return (
        f"<domain type='kvm'><name>{_name(rng, 'ansible-')}</name>{_memory(rng, 'memory', 1024)}"
        f"<vcpu>{rng.choice((1, 2))}</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>"
        f"<devices>{devices}</devices></domain>"
    )


def network(rng: random.Random) -> str:
    third = rng.randrange(1, 250)
    ip = rng.choice(
        (
            f"<ip address='192.168.{third}.1' netmask='255.255.255.0'>"
            f"<dhcp><range start='192.168.{third}.2' end='192.168.{third}.254'/></dhcp></ip>",
            f"<ip address='10.17.{third}.1' family='ipv4' prefix='24'>"
            f"<dhcp><range start='10.17.{third}.2' end='10.17.{third}.254'/></dhcp></ip>",
            f"<ip address='192.168.{third}.1' netmask='255.255.255.0'/>",
        )
    )
    parts = _some(
        rng,
        [
            f"<bridge name='virbr{third}'{rng.choice(('', ' stp=' + chr(39) + 'on' + chr(39)))}/>",
            "<domain name='k8s.local' localOnly='yes'/>",
            f"<dns enable='yes'><host ip='192.168.{third}.10'><hostname>node1</hostname></host></dns>",
            f"<mac address='{_mac(rng)}'/>",
        ],
    )
    forward = rng.choice(("<forward mode='nat'/>", "<forward/>", "<forward mode='route'/>", ""))
    return f"<network><name>{_name(rng, 'net')}</name>{forward}{parts}{ip}</network>"


def pool(rng: random.Random) -> str:
    return (
        f"<pool type='dir'><name>{_name(rng, 'pool')}</name>"
        f"<target><path>/var/lib/libvirt/{_name(rng, 'images')}</path>"
        f"{rng.choice(('', '<permissions><mode>0755</mode></permissions>'))}</target></pool>"
    )


def volume(rng: random.Random) -> str:
    fmt = rng.choice(("qcow2", "raw", ""))
    target = f"<target><format type='{fmt}'/></target>" if fmt else rng.choice(("", "<target/>"))
    backing = rng.choice(
        ("", "<backingStore><path>/var/lib/libvirt/images/base.qcow2</path><format type='qcow2'/></backingStore>")
    )
    unit = rng.choice(("", " unit='bytes'", " unit='G'"))
    size = "10" if unit == " unit='G'" else "10737418240"
    alloc = rng.choice(("", "<allocation>0</allocation>"))
    return (
        f"<volume><name>{_name(rng, 'disk')}.qcow2</name><capacity{unit}>{size}</capacity>"
        f"{alloc}{target}{backing}</volume>"
    )


BUILDERS: dict[str, tuple[str, Callable[[random.Random], str]]] = {
    "virt-install": ("domain", virt_install),
    "terraform": ("domain", terraform),
    "nova": ("domain", nova),
    "vagrant": ("domain", vagrant),
    "ansible": ("domain", ansible),
    "network": ("network", network),
    "pool": ("pool", pool),
    "volume": ("volume", volume),
}


def generate(count: int, seed: int) -> Iterator[Fresh]:
    """``count`` tool-style documents, reproducible from ``seed``."""
    rng = random.Random(seed)
    names = sorted(BUILDERS)
    for i in range(count):
        label = rng.choice(names)
        kind, build = BUILDERS[label]
        case = Case(name=f"{label}-{seed}-{i}", kind=kind, source="tool", outcome="dump", pool="pool-dir")
        yield Fresh(case, (label,), build(rng))


def main(argv: list[str]) -> int:
    count = int(argv[1]) if len(argv) > 1 else 300
    seed = int(argv[2]) if len(argv) > 2 else 1
    print_agreement(generate(count, seed), verbose="-v" in argv)
    return 0


if __name__ == "__main__":
    sys.exit(main([a for a in sys.argv if a != "-v"] + (["-v"] if "-v" in sys.argv else [])))
