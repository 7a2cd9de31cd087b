"""Record real libvirt's element order for documents the corpus never shows side by side.

The corpus rarely has two optional children of one element together, so the order between them
cannot be read off it.  This script defines documents that hold many children at once, in
*reverse* order, on real libvirt's test driver and stores libvirt's dumps in
``tests/xml/libvirt-probes/``; ``gen_order.py`` then reads the order from them like from the
corpus.  It needs libvirt's Python bindings, so it runs under the system interpreter:

    /usr/bin/python3 tests/xml/probe_libvirt.py
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent / "libvirt-probes"

NUMA = "<cpu><numa><cell id='0' cpus='0' memory='1048576'/></numa></cpu>"
HEAD = "<name>{name}</name><memory>1048576</memory><os><type arch='x86_64' machine='pc'>hvm</type></os>"

DOMAINS = {
    "domain-top": (
        "<domain type='kvm'><devices/><pm><suspend-to-disk enabled='no'/><suspend-to-mem enabled='no'/></pm>"
        "<perf><event name='cmt' enabled='yes'/></perf><on_crash>destroy</on_crash><on_reboot>restart</on_reboot>"
        "<on_poweroff>destroy</on_poweroff><clock offset='utc'/><cpu mode='host-passthrough'/>"
        "<features><acpi/></features><os><type arch='x86_64'>hvm</type></os>"
        "<sysinfo type='smbios'><system><entry name='manufacturer'>x</entry></system></sysinfo>"
        "<resource><partition>/machine</partition></resource><numatune><memory mode='strict' nodeset='0'/></numatune>"
        "<cputune><shares>10</shares></cputune><iothreads>1</iothreads><vcpu>1</vcpu>"
        "<memoryBacking><nosharepages/></memoryBacking><memtune><hard_limit>10000000</hard_limit></memtune>"
        "<blkiotune><weight>100</weight></blkiotune><currentMemory>1048576</currentMemory><memory>1048576</memory>"
        "<maxMemory slots='2'>4194304</maxMemory><metadata><x:a xmlns:x='http://x/'/></metadata>"
        "<description>d</description><title>t</title><genid>11111111-2222-3333-4444-555555555555</genid>"
        "<uuid>11111111-2222-3333-4444-555555555555</uuid><name>t0</name></domain>"
    ),
    "features": (
        "<domain type='kvm'>" + HEAD.format(name="t1") + "<features><tcg><tb-cache unit='MiB'>128</tb-cache></tcg>"
        "<msrs unknown='ignore'/><htm state='on'/><vmcoreinfo state='on'/><ioapic driver='qemu'/><smm state='on'/>"
        "<vmport state='off'/><pmu state='off'/><pvspinlock state='on'/><kvm><hidden state='on'/></kvm>"
        "<hyperv mode='custom'><relaxed state='on'/></hyperv><viridian/><hap/><pae/><apic/><acpi/></features></domain>"
    ),
    "tuning": (
        "<domain type='kvm'><name>t2</name><memory>1048576</memory><vcpu>2</vcpu><iothreads>1</iothreads>"
        "<memoryBacking><discard/><allocation mode='immediate'/><access mode='shared'/><source type='anonymous'/>"
        "<locked/><nosharepages/><hugepages><page size='2048' unit='KiB'/></hugepages></memoryBacking>"
        "<memtune><min_guarantee>1</min_guarantee><swap_hard_limit>5</swap_hard_limit><soft_limit>3</soft_limit>"
        "<hard_limit>4</hard_limit></memtune><blkiotune><device><path>/dev/sda</path><write_bytes_sec>1</write_bytes_sec>"
        "<read_bytes_sec>1</read_bytes_sec><write_iops_sec>1</write_iops_sec><read_iops_sec>1</read_iops_sec>"
        "<weight>100</weight></device><weight>500</weight></blkiotune>"
        "<cputune><iothreadsched iothreads='1' scheduler='batch'/><vcpusched vcpus='0' scheduler='fifo' priority='1'/>"
        "<emulatorsched scheduler='idle'/><iothreadpin iothread='1' cpuset='1'/><emulatorpin cpuset='1'/>"
        "<vcpupin vcpu='0' cpuset='0'/><iothread_quota>1000</iothread_quota><iothread_period>1000</iothread_period>"
        "<emulator_quota>1000</emulator_quota><emulator_period>1000</emulator_period><global_quota>1000</global_quota>"
        "<global_period>1000</global_period><quota>1000</quota><period>1000</period><shares>100</shares></cputune>"
        "<os><type arch='x86_64'>hvm</type></os></domain>"
    ),
    "os": (
        "<domain type='kvm'><name>t3</name><memory>1048576</memory><os><acpi><table type='slic'>/a</table></acpi>"
        "<bios useserial='yes'/><smbios mode='host'/><bootmenu enable='yes'/><boot dev='hd'/><dtb>/d</dtb>"
        "<cmdline>c</cmdline><initrd>/i</initrd><kernel>/k</kernel><nvram>/n</nvram><loader type='rom'>/l</loader>"
        "<type arch='x86_64'>hvm</type></os></domain>"
    ),
    "cpu": (
        "<domain type='kvm'><name>t4</name><memory>1048576</memory><vcpu>4</vcpu>"
        "<os><type arch='x86_64'>hvm</type></os>"
        "<cpu mode='custom' match='exact'><numa><cell id='0' cpus='0-3' memory='1048576'/></numa>"
        "<cache level='3' mode='emulate'/><feature policy='require' name='vmx'/>"
        "<topology sockets='1' dies='1' cores='2' threads='2'/><vendor>Intel</vendor>"
        "<model fallback='allow'>Haswell</model></cpu><clock offset='utc'><timer name='kvmclock' present='yes'/>"
        "<timer name='tsc' frequency='1000' mode='native'/></clock></domain>"
    ),
    "devices": (
        "<domain type='kvm'>" + HEAD.format(name="t5") + NUMA + "<devices>"
        "<vsock model='virtio'><cid auto='yes'/></vsock><iommu model='intel'/>"
        "<memory model='dimm'><target><size unit='KiB'>524288</size><node>0</node></target></memory>"
        "<shmem name='s'/><panic model='isa'/><rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>"
        "<memballoon model='virtio'/><watchdog model='i6300esb'/><hub type='usb'/><redirfilter><usbdev allow='yes'/>"
        "</redirfilter><redirdev bus='usb' type='spicevmc'/><hostdev mode='subsystem' type='usb'><source>"
        "<vendor id='0x1'/><product id='0x2'/></source></hostdev><video><model type='vga'/></video>"
        "<audio id='1' type='none'/><sound model='ich6'/><graphics type='vnc'/><tpm model='tpm-tis'>"
        "<backend type='emulator'/></tpm><input type='tablet' bus='usb'/><channel type='pty'>"
        "<target type='virtio' name='x'/></channel><console type='pty'/><parallel type='pty'/><serial type='pty'/>"
        "<smartcard mode='host'/><interface type='user'/><filesystem type='mount'><source dir='/a'/>"
        "<target dir='b'/></filesystem><lease><lockspace>s</lockspace><key>k</key><target path='/p'/></lease>"
        "<controller type='usb' model='piix3-uhci'/><disk type='file' device='disk'><source file='/a'/>"
        "<target dev='vda'/></disk><emulator>/usr/bin/qemu</emulator></devices></domain>"
    ),
    "disk-interface": (
        "<domain type='kvm'>" + HEAD.format(name="t6") + "<devices>"
        "<disk type='file' device='disk'><boot order='1'/><alias name='ua-x'/>"
        "<address type='pci' domain='0' bus='0' slot='5' function='0'/><wwn>5000c50015ea71ac</wwn><serial>abc</serial>"
        "<shareable/><readonly/><iotune><total_bytes_sec>1</total_bytes_sec></iotune>"
        "<blockio logical_block_size='512'/>"
        "<geometry cyls='1' heads='2' secs='3'/><target dev='vda' bus='virtio'/><source file='/a'/>"
        "<driver name='qemu' type='raw'/></disk>"
        "<interface type='network'><boot order='2'/><address type='pci' domain='0' bus='0' slot='6' function='0'/>"
        "<alias name='ua-n'/><rom bar='off'/><mtu size='1500'/><link state='up'/><bandwidth><inbound average='1'/>"
        "</bandwidth><filterref filter='clean-traffic'/><driver name='vhost' queues='2'/><model type='virtio'/>"
        "<target dev='tap7'/><virtualport type='openvswitch'/><source network='default'/>"
        "<mac address='52:54:00:11:22:33'/></interface>"
        "<interface type='ethernet'><coalesce><rx><frames max='7'/></rx></coalesce><tune><sndbuf>1</sndbuf></tune>"
        "<route family='ipv4' address='1.2.3.0' prefix='24' gateway='1.2.3.1'/><ip address='1.2.3.4' prefix='24'/>"
        "<script path='/s'/><backend tap='/dev/net/tun'/><vlan><tag id='4'/></vlan>"
        "<mac address='52:54:00:11:22:34'/></interface></devices></domain>"
    ),
    "graphics": (
        "<domain type='kvm'>" + HEAD.format(name="t7") + "<devices>"
        "<graphics type='spice' autoport='yes'><gl enable='no'/><filetransfer enable='no'/><mouse mode='client'/>"
        "<clipboard copypaste='no'/><streaming mode='filter'/><playback compression='on'/><zlib compression='auto'/>"
        "<jpeg compression='auto'/><image compression='auto_glz'/><channel name='main' mode='secure'/>"
        "<listen type='address' address='0.0.0.0'/></graphics><video><model type='qxl' ram='65536' vram='65536' "
        "vgamem='16384' heads='1'><acceleration accel3d='no'/></model><driver name='qemu'/></video>"
        "<controller type='scsi' index='0' model='virtio-scsi'><driver queues='2'/>"
        "<address type='pci' domain='0' bus='0' slot='7' function='0'/></controller>"
        "<hostdev mode='subsystem' type='pci' managed='yes'><rom bar='off'/><boot order='2'/><driver name='vfio'/>"
        "<source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev>"
        "<filesystem type='mount' accessmode='passthrough'><readonly/><target dir='t'/><source dir='/s'/>"
        "<driver type='path' wrpolicy='immediate'/></filesystem></devices></domain>"
    ),
    "chardev": (
        "<domain type='kvm'>" + HEAD.format(name="t8") + "<devices>"
        "<serial type='tcp'><target type='isa-serial' port='0'><model name='isa-serial'/></target>"
        "<protocol type='raw'/><log file='/l' append='on'/><source mode='bind' host='h' service='1'/></serial>"
        "<sound model='ich9'><audio id='1'/><codec type='duplex'/></sound><audio id='1' type='none'/>"
        "<rng model='virtio'><backend model='random'>/dev/urandom</backend><rate bytes='1' period='2'/></rng>"
        "<memballoon model='virtio' autodeflate='on'><stats period='10'/></memballoon>"
        "<tpm model='tpm-crb'><backend type='emulator' version='2.0'>"
        "<encryption secret='11111111-2222-3333-4444-555555555555'/></backend></tpm></devices></domain>"
    ),
    "device-tails": (
        "<domain type='kvm'>" + HEAD.format(name="t9") + "<devices>"
        "<hostdev mode='subsystem' type='pci' managed='yes'>"
        "<address type='pci' domain='0' bus='0' slot='9' function='0'/>"
        "<rom bar='off'/><alias name='ua-h'/><boot order='1'/>"
        "<source><address domain='0' bus='1' slot='0' function='0'/>"
        "</source><driver name='vfio'/></hostdev>"
        "<memballoon model='virtio'><address type='pci' domain='0' bus='0' slot='10' function='0'/><alias name='ua-b'/>"
        "<driver iommu='on'/><stats period='5'/></memballoon>"
        "<sound model='ich9'><address type='pci' domain='0' bus='0' slot='11' function='0'/><alias name='ua-s'/>"
        "<audio id='1'/><codec type='micro'/></sound><audio id='1' type='none'/>"
        "<rng model='virtio'><address type='pci' domain='0' bus='0' slot='12' function='0'/><alias name='ua-r'/>"
        "<driver iommu='on'/><backend model='random'>/dev/urandom</backend><rate bytes='1' period='2'/></rng>"
        "<video><address type='pci' domain='0' bus='0' slot='2' function='0'/><alias name='ua-v'/>"
        "<model type='virtio' heads='1'/><driver iommu='on'/></video>"
        "<controller type='scsi' index='0' model='virtio-scsi'><address type='pci' domain='0' bus='0' slot='13' "
        "function='0'/><alias name='ua-c'/><driver queues='2'/></controller>"
        "<watchdog model='i6300esb' action='poweroff'><address type='pci' domain='0' bus='0' slot='14' function='0'/>"
        "<alias name='ua-w'/></watchdog>"
        "<input type='mouse' bus='virtio'><address type='pci' domain='0' bus='0' slot='15' function='0'/>"
        "<alias name='ua-i'/><driver iommu='on'/></input>"
        "<filesystem type='mount'><address type='pci' domain='0' bus='0' slot='16' function='0'/><alias name='ua-f'/>"
        "<readonly/><target dir='t'/><source dir='/s'/><driver type='path'/></filesystem>"
        "</devices></domain>"
    ),
    "controllers": (
        "<domain type='kvm'><name>t10</name><memory>1048576</memory>"
        "<os><type arch='x86_64' machine='q35'>hvm</type></os><devices>"
        "<controller type='pci' index='1' model='pcie-root-port'><address type='pci' domain='0' bus='0' slot='2' "
        "function='0'/><alias name='ua-p'/><target chassis='1' port='0x10'/><driver iommu='on'/>"
        "<model name='pcie-root-port'/></controller><controller type='pci' index='0' model='pcie-root'/>"
        "<controller type='usb' index='0' model='ich9-uhci1'><address type='pci' domain='0' bus='0' slot='29' "
        "function='0' multifunction='on'/><alias name='ua-u'/><master startport='0'/></controller>"
        "<controller type='usb' index='0' model='ich9-ehci1'><address type='pci' domain='0' bus='0' slot='29' "
        "function='7'/></controller>"
        "</devices></domain>"
    ),
}

NETWORKS = {
    "network": (
        "<network><dns><host ip='1.2.3.4'><hostname>h</hostname></host></dns><ip address='10.0.0.1' prefix='24'>"
        "<dhcp><host mac='52:54:00:00:00:01' ip='10.0.0.5'/><range start='10.0.0.2' end='10.0.0.3'/></dhcp>"
        "<tftp root='/t'/></ip><route address='10.1.0.0' prefix='16' gateway='10.0.0.2'/><domain name='x'/>"
        "<mtu size='9000'/><mac address='52:54:00:00:00:02'/><bridge name='virbr9'/><bandwidth><inbound average='1'/>"
        "</bandwidth><forward mode='nat'><nat><port start='1024' end='65535'/></nat></forward>"
        "<uuid>11111111-2222-3333-4444-555555555555</uuid><name>n1</name></network>"
    ),
}


def _stable(dump: str, given: str) -> str:
    """Replace the values libvirt generated (UUIDs, MACs) by fixed ones, so reruns do not churn."""
    if "<uuid>" not in given:
        dump = re.sub(r"<uuid>[^<]*</uuid>", "<uuid>00000000-0000-4000-8000-000000000000</uuid>", dump)
    dump = re.sub(r"interfaceid='[^']*'", "interfaceid='00000000-0000-4000-8000-000000000001'", dump)
    for n, mac in enumerate(m for m in re.findall(r"<mac address='([^']*)'/>", dump) if m not in given):
        dump = dump.replace(f"<mac address='{mac}'/>", f"<mac address='52:54:00:00:ff:{n:02x}'/>", 1)
    return dump


def main() -> None:
    import libvirt  # only in the system interpreter; this is a maintainer tool, not pyvirt code

    libvirt.registerErrorHandler(lambda *_: None, None)
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        node = Path(tmp) / "empty.xml"
        node.write_text("<node/>\n")
        conn = libvirt.open(f"test://{node}")
        failed = 0
        for name, xml in DOMAINS.items():
            try:
                dump = conn.defineXML(xml).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
            except libvirt.libvirtError as exc:
                print(f"{name}: {exc}", file=sys.stderr)
                failed += 1
                continue
            (OUT / f"{name}.xml").write_text(_stable(dump, xml))
        for name, xml in NETWORKS.items():
            try:
                dump = conn.networkDefineXML(xml).XMLDesc(0)
            except libvirt.libvirtError as exc:
                print(f"{name}: {exc}", file=sys.stderr)
                failed += 1
                continue
            (OUT / f"{name}.xml").write_text(_stable(dump, xml))
    print(f"wrote {len(DOMAINS) + len(NETWORKS) - failed} probes to {OUT}")


if __name__ == "__main__":
    main()
