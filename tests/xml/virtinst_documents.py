"""Documents written by Debian's virt-install (virtinst 4.1), for the differential test.

virt-install is the commonest writer of libvirt domain documents, and what it writes leans on
libvirt's defaults in its own way (no ``<driver name>`` on the test driver, addresses left out,
``port='-1'`` graphics, ``<master startport>`` USB companions ...).  Each command line here is
drawn from a seed: a base (name, memory, install method, OS) plus a random subset of the
options of :data:`OPTIONS`, each with a random subset of its sub-options (written from
``virt-install --OPTION=?`` and libvirt's schema, not from virt-manager's tests;
``--launchSecurity`` is left out: virt-install wants a Q35 UEFI machine, which the test driver lacks).
``virtinst_worker.py`` runs virt-install's ``main`` on them with ``--print-xml`` against
``test:///default`` under the system interpreter; the command lines it refuses are counted and
dropped.  The documents are made when the test runs (virtinst comes from Debian's archive,
as ``.ci/run`` installs it), so only the seed is committed.

    .venv/bin/python tests/xml/virtinst_documents.py [COUNT] [SEED] [-v]
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fresh_documents import Fresh, Oracle, disagreement
from libvirt_data import Case, Runner

WORKER = Path(__file__).with_name("virtinst_worker.py")

Choices = tuple[str, ...]

NUM = ("0", "1", "2", "3", "7")
ONOFF = ("on", "off")
YESNO = ("yes", "no")
PATH = ("/tmp/vi.sock", "/var/lib/libvirt/qemu/ch.sock", "/tmp/log.txt")
CPUSET = ("0", "0-1", "1,3", "0-3,^2")
ADDR_PCI = (
    "address.type=pci,address.bus=0x00,address.slot=0x0{n}",
    "address.type=pci,address.domain=0x0000,address.bus=0x01,address.slot=0x0{n},address.function=0x0",
)


@dataclass(frozen=True)
class Option:
    """One virt-install option: the heads (one is always taken; it names the device's kind)
    and the sub-options drawn at random after it."""

    heads: Choices
    subs: dict[str, Choices]
    most: int = 4


CHAR_HEADS = (
    "pty",
    "tcp,host=127.0.0.1:4555,mode=bind,protocol.type=telnet",
    "tcp,host=example.org:4556,mode=connect",
    "udp,host=0.0.0.0:1234,bind_host=127.0.0.1:1235",
    "unix,path=/tmp/vi.sock,mode=bind",
    "unix,mode=connect,path=/tmp/vi2.sock",
    "file,path=/tmp/serial.log",
    "null",
    "vc",
    "stdio",
    "pipe,path=/tmp/pipe",
    "dev,path=/dev/ttyS0",
    "spicevmc",
    "spiceport,source.channel=org.qemu.console.serial.0",
    "nmdm,source.master=/dev/nmdm0A,source.slave=/dev/nmdm0B",
)
CHAR_SUBS: dict[str, Choices] = {
    "log.file": ("/tmp/char.log",),
    "log.append": ONOFF,
    "alias.name": ("ua-char0", "ua-x"),
    "source.seclabel0.model": ("dac", "selinux"),
    "source.seclabel0.relabel": YESNO,
    "source.tls": YESNO,
}

OPTIONS: dict[str, Option] = {
    "memorybacking": Option(
        ("hugepages=yes", "nosharepages=yes", "locked=yes", "source.type=memfd", "access.mode=shared", "discard=yes"),
        {
            "hugepages.page0.size": ("2048", "1"),
            "hugepages.page0.unit": ("KiB", "G", "M"),
            "hugepages.page0.nodeset": ("0", "0-1"),
            "source.type": ("file", "anonymous", "memfd"),
            "access.mode": ("shared", "private"),
            "allocation.mode": ("immediate", "ondemand"),
            "allocation.threads": ("4",),
            "locked": ("yes",),
            "discard": ("yes", "no"),
        },
    ),
    "vcpus": Option(
        ("2", "4", "vcpus=3", "maxvcpus=8,vcpus=2", "sockets=2,cores=2,threads=1", "vcpu=2"),
        {
            "cpuset": CPUSET,
            "vcpu.placement": ("static", "auto"),
            "vcpu.current": ("1", "2"),
            "dies": ("1",),
            "sockets": ("1", "2"),
            "cores": ("1", "2"),
            "threads": ("1", "2"),
            "vcpus.vcpu0.id": ("0",),
            "vcpus.vcpu0.enabled": YESNO,
            "vcpus.vcpu0.hotpluggable": YESNO,
            "vcpus.vcpu0.order": ("1",),
            "vcpus.vcpu1.id": ("1",),
            "vcpus.vcpu1.enabled": YESNO,
            "vcpus.vcpu1.hotpluggable": YESNO,
        },
    ),
    "cpu": Option(
        (
            "host-passthrough",
            "host-model",
            "host-copy",
            "maximum",
            "core2duo",
            "Haswell,+vmx,-avx",
            "mode=custom,model=qemu64",
            "model=Westmere,match=exact",
            "clearxml=yes",
        ),
        {
            "check": ("none", "partial", "full"),
            "match": ("minimum", "exact", "strict"),
            "migratable": ONOFF,
            "model.fallback": ("allow", "forbid"),
            "model.vendor_id": ("GenuineIntel",),
            "vendor": ("Intel", "AMD"),
            "require": ("vmx",),
            "disable": ("pdpe1gb",),
            "force": ("ssse3",),
            "forbid": ("svm",),
            "optional": ("lahf_lm",),
            "topology.sockets": ("1", "2"),
            "topology.dies": ("1",),
            "topology.cores": ("1", "2"),
            "topology.threads": ("1", "2"),
            "cache.mode": ("emulate", "passthrough", "disable"),
            "cache.level": ("3",),
            "numa.cell0.id": ("0",),
            "numa.cell0.cpus": ("0", "0-1"),
            "numa.cell0.memory": ("262144", "524288"),
            "numa.cell0.unit": ("KiB", "MiB"),
            "numa.cell0.memAccess": ("shared", "private"),
            "numa.cell0.discard": YESNO,
            "numa.cell0.distances.sibling0.id": ("0",),
            "numa.cell0.distances.sibling0.value": ("10",),
            "numa.cell1.id": ("1",),
            "numa.cell1.cpus": ("1", "2-3"),
            "numa.cell1.memory": ("262144",),
            "numa.cell0.cache0.level": ("1",),
            "numa.cell0.cache0.associativity": ("direct", "full"),
            "numa.cell0.cache0.policy": ("writeback",),
            "numa.cell0.cache0.size.value": ("10",),
            "numa.cell0.cache0.size.unit": ("KiB",),
            "numa.cell0.cache0.line.value": ("8",),
            "numa.cell0.cache0.line.unit": ("B",),
            "numa.interconnects.latency0.initiator": ("0",),
            "numa.interconnects.latency0.target": ("0",),
            "numa.interconnects.latency0.type": ("access", "read"),
            "numa.interconnects.latency0.value": ("5",),
            "numa.interconnects.bandwidth0.initiator": ("0",),
            "numa.interconnects.bandwidth0.target": ("0",),
            "numa.interconnects.bandwidth0.type": ("access",),
            "numa.interconnects.bandwidth0.value": ("204800",),
            "numa.interconnects.bandwidth0.unit": ("KiB",),
        },
        6,
    ),
    "cputune": Option(
        ("shares=1024", "period=100000,quota=-1", "vcpupin0.vcpu=0,vcpupin0.cpuset=0-1", "emulatorpin.cpuset=1"),
        {
            "period": ("100000", "1000"),
            "quota": ("50000", "-1", "17592186044415"),
            "global_period": ("100000",),
            "global_quota": ("-1", "20000"),
            "emulator_period": ("10000",),
            "emulator_quota": ("-1",),
            "iothread_period": ("10000",),
            "iothread_quota": ("-1",),
            "vcpupin1.vcpu": ("1",),
            "vcpupin1.cpuset": CPUSET,
            "emulatorpin.cpuset": CPUSET,
            "iothreadpin0.iothread": ("1",),
            "iothreadpin0.cpuset": CPUSET,
            "vcpusched0.vcpus": ("0", "0-1"),
            "vcpusched0.scheduler": ("fifo", "rr", "batch", "idle"),
            "vcpusched0.priority": ("1", "10"),
            "emulatorsched.scheduler": ("fifo", "idle"),
            "emulatorsched.priority": ("5",),
            "iothreadsched0.iothreads": ("1",),
            "iothreadsched0.scheduler": ("batch",),
            "cachetune0.vcpus": ("0", "0-1"),
            "cachetune0.cache0.id": ("0",),
            "cachetune0.cache0.level": ("3",),
            "cachetune0.cache0.type": ("both", "code", "data"),
            "cachetune0.cache0.size": ("3",),
            "cachetune0.cache0.unit": ("MiB",),
            "cachetune0.monitor0.level": ("3",),
            "cachetune0.monitor0.vcpus": ("0",),
            "memorytune0.vcpus": ("0",),
            "memorytune0.node0.id": ("0",),
            "memorytune0.node0.bandwidth": ("20",),
        },
    ),
    "numatune": Option(
        ("memory.nodeset=0", "memory.mode=strict,memory.nodeset=0-1", "memory.placement=auto", "0,mode=preferred"),
        {
            "memory.mode": ("strict", "interleave", "preferred", "restrictive"),
            "memnode0.cellid": ("0",),
            "memnode0.mode": ("strict", "preferred"),
            "memnode0.nodeset": ("0", "1"),
        },
    ),
    "memtune": Option(
        ("hard_limit=2097152", "soft_limit=1048576", "min_guarantee=65536", "swap_hard_limit=4194304"),
        {
            "hard_limit": ("2097152", "9007199254740991"),
            "soft_limit": ("1048576",),
            "swap_hard_limit": ("3145728",),
            "min_guarantee": ("1024",),
        },
    ),
    "blkiotune": Option(
        ("weight=500", "device0.path=/dev/sda,device0.weight=300", "weight=100,device0.path=/dev/vdb"),
        {
            "device0.path": ("/dev/sda",),
            "device0.read_bytes_sec": ("10000",),
            "device0.write_bytes_sec": ("10000",),
            "device0.read_iops_sec": ("200",),
            "device0.write_iops_sec": ("300",),
            "device1.path": ("/dev/sdb",),
            "device1.weight": ("600",),
        },
    ),
    "boot": Option(
        (
            "hd",
            "cdrom,hd,network",
            "network",
            "fd,hd",
            "menu=on",
            "bootmenu.enable=yes,bootmenu.timeout=3000",
            "kernel=/boot/vmlinuz,initrd=/boot/initrd.img,cmdline=console=ttyS0",
            "useserial=on",
            "smbios.mode=sysinfo",
            "loader=/usr/share/OVMF/OVMF_CODE.fd,loader.type=pflash,loader.readonly=yes",
            "boot0.dev=hd,boot1.dev=network",
            "bios.rebootTimeout=1000",
        ),
        {
            "bootmenu.enable": YESNO,
            "bootmenu.timeout": ("0", "5000"),
            "bios.useserial": YESNO,
            "bios.rebootTimeout": ("-1", "0", "1000"),
            "smbios.mode": ("sysinfo", "host", "emulate"),
            "kernel": ("/boot/vmlinuz",),
            "initrd": ("/boot/initrd",),
            "dtb": ("/boot/dtb",),
            "cmdline": ("root=/dev/vda",),
            "acpi.table": ("/tmp/slic.dat",),
            "acpi.table.type": ("slic",),
            "nvram": ("/var/lib/libvirt/nvram/a_VARS.fd",),
            "nvram.template": ("/usr/share/OVMF/OVMF_VARS.fd",),
            "loader.secure": YESNO,
            "firmware.feature0.name": ("secure-boot", "enrolled-keys"),
            "firmware.feature0.enabled": YESNO,
            "init": ("/sbin/init",),
        },
    ),
    "features": Option(
        ("acpi=on", "apic=on", "pae=on", "hap=on", "vmport.state=off", "smm.state=on", "clearxml=yes"),
        {
            "acpi": ONOFF,
            "apic": ONOFF,
            "apic.eoi": ONOFF,
            "pae": ONOFF,
            "hap": ONOFF,
            "privnet": ONOFF,
            "viridian": ONOFF,
            "hyperv.relaxed.state": ONOFF,
            "hyperv.vapic.state": ONOFF,
            "hyperv.spinlocks.state": ONOFF,
            "hyperv.spinlocks.retries": ("8191", "4095"),
            "hyperv.synic.state": ONOFF,
            "hyperv.reset.state": ONOFF,
            "kvm.hidden.state": ONOFF,
            "kvm.hint-dedicated.state": ONOFF,
            "kvm.poll-control.state": ONOFF,
            "pvspinlock.state": ONOFF,
            "vmcoreinfo.state": ONOFF,
            "vmport.state": ONOFF,
            "smm.state": ONOFF,
            "pmu.state": ONOFF,
            "gic.version": ("2", "3", "host"),
            "ioapic.driver": ("kvm", "qemu"),
        },
        6,
    ),
    "clock": Option(
        ("offset=utc", "offset=localtime", "offset=variable", "offset=timezone", "rtc_tickpolicy=catchup"),
        {
            "rtc_tickpolicy": ("catchup", "delay", "merge", "discard"),
            "rtc_present": YESNO,
            "pit_tickpolicy": ("delay", "catchup"),
            "pit_present": YESNO,
            "hpet_present": YESNO,
            "kvmclock_present": YESNO,
            "hypervclock_present": YESNO,
            "platform_present": YESNO,
            "tsc_present": YESNO,
            "timer3.name": ("tsc",),
            "timer3.frequency": ("1000000000",),
            "timer3.mode": ("native", "emulate", "paravirt", "smpsafe", "auto"),
            "timer4.name": ("rtc",),
            "timer4.track": ("guest", "wall", "boot"),
            "timer4.tickpolicy": ("catchup",),
            "timer4.catchup.threshold": ("123",),
            "timer4.catchup.slew": ("120",),
            "timer4.catchup.limit": ("10000",),
        },
    ),
    "pm": Option(
        ("suspend_to_mem.enabled=on", "suspend_to_disk.enabled=off", "suspend_to_mem=off,suspend_to_disk=on"),
        {"suspend_to_mem.enabled": ONOFF, "suspend_to_disk.enabled": ONOFF},
    ),
    "events": Option(
        ("on_poweroff=destroy", "on_reboot=restart", "on_crash=coredump-restart", "on_lockfailure=poweroff"),
        {
            "on_poweroff": ("destroy", "restart", "preserve", "rename-restart"),
            "on_reboot": ("destroy", "restart", "preserve"),
            "on_crash": ("destroy", "restart", "preserve", "coredump-destroy", "rename-restart"),
            "on_lockfailure": ("poweroff", "restart", "pause", "ignore"),
        },
    ),
    "resource": Option(("partition=/machine", "partition=/virtualmachines/production", "fibrechannel.appid=myapp"), {}),
    "sysinfo": Option(
        ("host", "emulate", "smbios,bios.vendor=Acme", "type=smbios,system.manufacturer=Acme,system.product=Box"),
        {
            "bios.vendor": ("Acme",),
            "bios.version": ("1.2",),
            "bios.date": ("01/01/2020", "2020-01-01"),
            "bios.release": ("10.22",),
            "system.manufacturer": ("Fedora",),
            "system.product": ("Virt",),
            "system.version": ("2.12",),
            "system.serial": ("0001",),
            "system.uuid": ("00000000-1111-2222-3333-444444444444",),
            "system.sku": ("1234",),
            "system.family": ("Server",),
            "baseBoard.manufacturer": ("Lenovo",),
            "baseBoard.product": ("20BE0061MC",),
            "baseBoard.version": ("0B98401",),
            "baseBoard.serial": ("W1KS427111E",),
            "baseBoard.asset": ("asset",),
            "baseBoard.location": ("loc",),
            "chassis.manufacturer": ("Dell",),
            "chassis.version": ("12",),
            "chassis.serial": ("65X0XF2",),
            "chassis.asset": ("40000101",),
            "chassis.sku": ("Type3Sku1",),
            "oemStrings.entry0": ("myappname:some arbitrary data",),
            "oemStrings.entry1": ("otherappname:more",),
        },
    ),
    "seclabel": Option(
        ("type=none", "type=dynamic", "type=static,label=system_u:system_r:svirt_t:s0:c1,c2", "model=dac,type=none"),
        {
            "model": ("selinux", "dac", "none"),
            "relabel": YESNO,
            "baselabel": ("system_u:system_r:svirt_custom_t:s0",),
        },
    ),
    "iothreads": Option(
        # virtinst 4.1 fails on <iothreadids> given with a count, so they come without one
        ("2", "iothreads=4", "iothreadids.iothread0.id=1", "iothreadids.iothread0.id=2,iothreadids.iothread1.id=5"),
        {"defaultiothread.thread_pool_min": ("1", "0"), "defaultiothread.thread_pool_max": ("4",)},
    ),
    "idmap": Option(
        ("uid.start=0,uid.target=1000,uid.count=10,gid.start=0,gid.target=1000,gid.count=10",),
        {},
    ),
    "metadata": Option(
        (
            "title=My guest",
            "description=A test guest",
            "genid_enable=yes",
            "genid=e9392370-2917-565e-692b-d057f46512d6",
        ),
        {"title": ("t1", "A & B"), "description": ("desc <x>",), "uuid": ("d1a2c3e4-0000-1111-2222-333344445555",)},
    ),
    "disk": Option(
        (
            "/default-pool/disk{n}.img,size=1",
            "path=/var/lib/libvirt/images/d{n}.qcow2,size=2,format=qcow2",
            "/dev/null",
            "device=cdrom",
            "device=cdrom,path=/dev/null",
            "device=floppy,path=/dev/null",
            "device=lun,type=block,source.dev=/dev/null",
            "type=network,source.protocol=nbd,source.host0.name=nbd.example,source.host0.port=10809,source.name=exp",
            "type=network,source.protocol=rbd,source.name=pool/image,source.host0.name=mon1.example,source.host0.port=6789",
            "type=network,source.protocol=iscsi,source.name=iqn.2013-07.com.example:iscsi-pool/1,source.host0.name=iscsi.example",
            "type=network,source.protocol=http,source.name=/images/x.iso,source.host0.name=web.example,device=cdrom",
            "type=network,source.protocol=gluster,source.name=vol/img,source.host0.name=gl.example,source.host0.transport=tcp",
            "type=network,source.protocol=nbd,source.host0.transport=unix,source.host0.socket=/var/run/nbd.sock",
            "type=dir,source.dir=/tmp,device=floppy",
        ),
        {
            "bus": ("virtio", "ide", "sata", "scsi", "usb", "fdc", "sd", "xen"),
            "target.dev": ("vdb", "sdc", "hdd", "xvdb"),
            "target.removable": ONOFF,
            "target.rotation_rate": ("1", "7200"),
            "cache": ("none", "writeback", "writethrough", "directsync", "unsafe", "default"),
            "io": ("native", "threads", "io_uring"),
            "discard": ("unmap", "ignore"),
            "detect_zeroes": ("on", "off", "unmap"),
            "driver.name": ("qemu", "file"),
            "driver.type": ("raw", "qcow2", "vmdk"),
            "driver.copy_on_read": ONOFF,
            "driver.error_policy": ("stop", "report", "ignore", "enospace"),
            "driver.iothread": ("1",),
            "driver.queues": ("2", "4"),
            "driver.iommu": ONOFF,
            "driver.ats": ONOFF,
            "driver.packed": ONOFF,
            "serial": ("WD-WMAP9A966149", "abc123"),
            "wwn": ("0x5000c50015ea71ad",),
            "boot.order": ("1", "2", "3"),
            "readonly": ("on",),
            "shareable": ("on",),
            "transient": ("on",),
            "sgio": ("filtered", "unfiltered"),
            "rawio": YESNO,
            "snapshot": ("internal", "external", "no"),
            "startup_policy": ("optional", "requisite", "mandatory"),
            "source.startupPolicy": ("optional",),
            "blockio.logical_block_size": ("512", "4096"),
            "blockio.physical_block_size": ("4096",),
            "geometry.cyls": ("16383",),
            "geometry.heads": ("16",),
            "geometry.secs": ("63",),
            "geometry.trans": ("lba", "none", "auto"),
            "iotune.total_bytes_sec": ("1000000",),
            "iotune.read_iops_sec": ("400",),
            "iotune.write_iops_sec": ("300",),
            "iotune.read_bytes_sec": ("1000",),
            "alias.name": ("ua-disk{n}",),
            "address.type": ("drive", "pci"),
            "address.controller": ("0", "1"),
            "address.bus": ("0", "1"),
            "address.target": ("0",),
            "address.unit": ("0", "1", "3"),
            "source.seclabel0.model": ("dac", "selinux"),
            "source.seclabel0.relabel": YESNO,
            "source.seclabel0.label": ("system_u:object_r:svirt_image_t:s0",),
            "backing_store": ("/default-pool/base.img",),
            "backing_format": ("qcow2",),
        },
        5,
    ),
    "network": Option(
        (
            "default",
            "network=default",
            "bridge=br0",
            "bridge=virbr1,model=virtio",
            "user",
            "type=direct,source=eth0,source.mode=vepa",
            "type=direct,source=eth1,source.mode=bridge",
            "type=direct,source=eth0,source.mode=passthrough",
            "type=ethernet,target.dev=tap0",
            "type=vhostuser,source.type=unix,source.path=/tmp/vhost.sock,source.mode=client",
            "none",
            "network=default,portgroup=engineering",
        ),
        {
            "model": ("virtio", "e1000", "e1000e", "rtl8139", "ne2k_pci", "pcnet", "virtio-net"),
            "mac": ("52:54:00:12:34:{n}{n}", "00:16:3e:aa:bb:0{n}"),
            "boot.order": ("1", "2", "5"),
            "link.state": ("up", "down"),
            "driver.name": ("vhost", "qemu"),
            "driver.queues": ("2", "4"),
            "driver.iommu": ONOFF,
            "driver.packed": ONOFF,
            "mtu.size": ("1500", "9000"),
            "target.dev": ("vnet7", "mytap0"),
            "filterref.filter": ("clean-traffic", "no-ip-spoofing"),
            "trustGuestRxFilters": YESNO,
            "rom.bar": ONOFF,
            "rom.file": ("/usr/share/ipxe/1af41000.rom",),
            "virtualport.type": ("openvswitch", "802.1Qbh", "802.1Qbg"),
            "virtualport.parameters.interfaceid": ("09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f",),
            "virtualport.parameters.profileid": ("myprofile",),
            "virtualport.parameters.managerid": ("11",),
            "virtualport.parameters.typeid": ("1193047",),
            "virtualport.parameters.typeidversion": ("2",),
            "virtualport.parameters.instanceid": ("09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f",),
            "alias.name": ("ua-net{n}",),
            "address.type": ("pci",),
            "address.slot": ("0x07", "0x0a"),
        },
        5,
    ),
    "graphics": Option(
        (
            "vnc",
            "spice",
            "none",
            "vnc,listen=0.0.0.0",
            "vnc,port=5910,password=secret",
            "spice,listen=127.0.0.1,port=5901,tlsport=5902",
            "spice,gl.enable=yes,listen=none",
            "spice,listens0.type=address,listens0.address=1.2.3.4",
            "vnc,listens0.type=network,listens0.network=default",
            "spice,listens0.type=socket,listens0.socket=/tmp/spice.sock",
            "vnc,websocket=5700",
            "type=sdl",
            "type=egl-headless,gl.rendernode=/dev/dri/foo",
        ),
        {
            "keymap": ("en-us", "de", "local"),
            "password": ("foo",),
            "passwordValidTo": ("2030-01-01T05:06:07",),
            "connected": ("keep", "disconnect", "fail"),
            "defaultMode": ("secure", "insecure", "any"),
            "image.compression": ("auto_glz", "off", "quic"),
            "streaming.mode": ("filter", "all", "off"),
            "clipboard.copypaste": YESNO,
            "mouse.mode": ("client", "server"),
            "filetransfer.enable": YESNO,
            "zlib.compression": ("auto", "never", "always"),
            "gl.enable": YESNO,
            "gl.rendernode": ("/dev/dri/renderD128",),
        },
    ),
    "video": Option(
        ("qxl", "vga", "cirrus", "virtio", "bochs", "ramfb", "none", "model.type=qxl,model.heads=2"),
        {
            "model.vram": ("65536", "16384"),
            "model.ram": ("65536",),
            "model.vgamem": ("16384",),
            "model.vram64": ("65536",),
            "model.heads": ("1", "2"),
            "model.acceleration.accel3d": YESNO,
            "driver.iommu": ONOFF,
            "alias.name": ("ua-video{n}",),
        },
    ),
    "sound": Option(
        ("ich6", "ich9", "ac97", "es1370", "sb16", "usb", "default", "none", "model=ich9,codec0.type=micro"),
        {"codec0.type": ("duplex", "micro", "output"), "audio.id": ("1",), "alias.name": ("ua-snd",)},
    ),
    "audio": Option(("type=spice", "type=none,id=1", "type=pulseaudio", "id=1,type=spice"), {}),
    "hostdev": Option(
        (
            "type=usb,address.type=usb,address.bus=1,address.device=3",
            "type=pci,address.type=pci,address.domain=0,address.bus=1,address.slot=2,address.function=0",
        ),
        {"boot.order": ("3",), "rom.bar": ONOFF, "driver.name": ("vfio", "kvm"), "alias.name": ("ua-hd",)},
    ),
    "controller": Option(
        (
            "usb",
            "usb2",
            "usb3",
            "type=usb,model=none",
            "type=usb,model=qemu-xhci",
            "type=scsi,model=virtio-scsi",
            "scsi,model=lsilogic",
            "type=virtio-serial,vectors=4",
            "type=sata",
            "type=ide",
            "type=pci,model=pcie-root-port",
            "type=pci,model=pci-bridge",
            "type=ccid",
            "type=fdc",
            "type=xenbus,maxGrantFrames=64",
            "type=usb,model=ich9-ehci1,index=0",
        ),
        {
            "index": ("0", "1", "2"),
            "driver.queues": ("2",),
            "driver.iothread": ("1",),
            "driver.iommu": ONOFF,
            "master.startport": ("0", "2"),
            "target.chassis": ("1", "3"),
            "target.port": ("0x10",),
            "target.busNr": ("1",),
            "target.hotplug": ONOFF,
            "alias.name": ("ua-ctl{n}",),
        },
    ),
    "input": Option(
        (
            "tablet",
            "mouse",
            "keyboard",
            "type=tablet,bus=usb",
            "type=mouse,bus=ps2",
            "keyboard,bus=virtio",
            "type=passthrough,source.evdev=/dev/input/event1,bus=virtio",
            "type=evdev,source.dev=/dev/input/event2,source.grab=all,source.repeat=on",
            "mouse,bus=xen",
        ),
        {"alias.name": ("ua-in{n}",), "model": ("virtio", "virtio-transitional"), "driver.iommu": ONOFF},
    ),
    "serial": Option(
        CHAR_HEADS,
        {
            **CHAR_SUBS,
            "target.type": ("isa-serial", "usb-serial", "pci-serial", "system-serial", "sclp-serial"),
            "target.port": ("0", "1", "2"),
            "target.model.name": ("isa-serial", "pci-serial", "usb-serial", "16550a"),
        },
    ),
    "parallel": Option(CHAR_HEADS, {**CHAR_SUBS, "target.port": ("0", "1")}),
    "console": Option(
        CHAR_HEADS,
        {**CHAR_SUBS, "target.type": ("serial", "virtio", "xen", "sclp", "sclplm"), "target.port": ("0", "1")},
    ),
    "channel": Option(
        (
            "unix,target.type=virtio,target.name=org.qemu.guest_agent.0",
            "unix,mode=bind,path=/tmp/ga.sock,target.type=virtio,name=org.qemu.guest_agent.0",
            "pty,target.type=virtio,name=org.linux-kvm.port.0",
            "spicevmc",
            "spicevmc,target.type=virtio,target.name=com.redhat.spice.0",
            "qemu-vdagent,source.clipboard.copypaste=on,source.mouse.mode=client",
            "spiceport,source.channel=org.spice.port,target.type=virtio,target.name=org.spice.port",
            "pty,target.type=guestfwd,target.address=10.0.2.1,target.port=4600",
            "tcp,host=127.0.0.1:2222,mode=connect,target.type=guestfwd,target.address=10.0.2.2,target.port=80",
            "pty,target.type=xen,target.name=foo",
        ),
        {**CHAR_SUBS, "address.type": ("virtio-serial",), "address.port": ("1", "3")},
        2,
    ),
    "rng": Option(
        (
            "/dev/urandom",
            "/dev/random",
            "builtin",
            "egd,backend.type=tcp,backend.source.mode=connect,backend.source.host=127.0.0.1,backend.source.service=1234",
            "egd,backend.type=udp,backend.source.host=127.0.0.1,backend.source.service=1234,backend.source.bind_host=127.0.0.1,backend.source.bind_service=1235",
            "type=egd,backend.type=unix,backend.source.path=/tmp/egd.sock,backend.source.mode=bind",
            "type=random,device=/dev/hwrng",
        ),
        {"model": ("virtio", "virtio-transitional"), "rate.bytes": ("1024",), "rate.period": ("1000",)},
    ),
    "tpm": Option(
        (
            "/dev/tpm0",
            "emulator",
            "type=emulator,model=tpm-crb,version=2.0",
            "type=emulator,model=tpm-tis,backend.version=1.2",
            "type=passthrough,model=tpm-tis,backend.device.path=/dev/tpm0",
            "model=tpm-spapr,type=emulator",
        ),
        {
            "backend.persistent_state": YESNO,
            "backend.encryption.secret": ("32ee7e76-2178-47a1-ab7b-269e6e348015",),
            "active_pcr_banks.sha256": ("on",),
            "active_pcr_banks.sha1": ("on",),
            "alias.name": ("ua-tpm",),
        },
    ),
    "watchdog": Option(
        ("i6300esb", "ib700", "diag288", "default", "i6300esb,action=poweroff", "model=itco,action=reset"),
        {"action": ("reset", "shutdown", "poweroff", "pause", "none", "dump", "inject-nmi"), "alias.name": ("ua-wd",)},
    ),
    "memballoon": Option(
        ("virtio", "none", "model=virtio-transitional", "xen", "virtio,autodeflate=on"),
        {"autodeflate": ONOFF, "freePageReporting": ONOFF, "stats.period": ("10", "0"), "driver.iommu": ONOFF},
    ),
    "smartcard": Option(
        (
            "passthrough,type=spicevmc",
            "host",
            "mode=passthrough,type=tcp,source.host=127.0.0.1,source.service=2001,source.mode=connect",
            "mode=host-certificates,certificate0=cert1,certificate1=cert2,certificate2=cert3,database=/etc/pki/nssdb",
        ),
        {"alias.name": ("ua-sc",)},
    ),
    "redirdev": Option(
        (
            "usb,type=spicevmc",
            "usb,type=tcp,server=localhost:4000",
            "bus=usb,type=tcp,source.host=1.2.3.4,source.service=5",
        ),
        {"boot.order": ("4",), "alias.name": ("ua-rd",)},
    ),
    "panic": Option(("default", "isa", "hyperv", "pseries", "s390", "model=isa,address.iobase=0x506"), {}),
    "memdev": Option(
        (
            "dimm,target.size=512,target.node=0",
            "nvdimm,source.path=/tmp/nvdimm,target.size=512,target.node=0,target.label_size=128",
            "virtio-pmem,source.path=/tmp/pmem,target.size=512",
            "virtio-mem,target.size=1024,target.node=0,target.block=2048,target.requested=512",
            "dimm,source.pagesize=2048,source.nodemask=0,target.size=256",
        ),
        {"access": ("shared", "private"), "discard": YESNO, "alias.name": ("ua-mem",)},
    ),
    "vsock": Option(("cid.auto=yes", "cid.address=5", "cid.auto=no,cid.address=7"), {"driver.iommu": ONOFF}),
    "iommu": Option(
        ("intel", "model=intel,driver.intremap=on,driver.caching_mode=on", "smmuv3", "virtio"),
        {
            "driver.eim": ONOFF,
            "driver.iotlb": ONOFF,
            "driver.aw_bits": ("48",),
            "driver.intremap": ONOFF,
        },
    ),
    "filesystem": Option(
        (
            "/tmp/share,share{n}",
            "source=/srv,target=/mnt/srv,type=mount,accessmode=mapped",
            "type=mount,source.dir=/srv/data,target.dir=data,driver.type=virtiofs",
            "type=ram,source.usage=1024,source.units=MiB,target=/mnt/ram",
            "type=file,source.file=/tmp/disk.img,target=/mnt/f,driver.type=loop,driver.format=raw",
            "type=template,source.name=mytemplate,target=/",
            "type=block,source.dev=/dev/sdb,target=/mnt/b",
        ),
        {
            "accessmode": ("passthrough", "mapped", "squash"),
            "readonly": ("on",),
            "multidevs": ("remap", "forbid", "warn"),
            "fmode": ("0644",),
            "dmode": ("0755",),
            "driver.type": ("path", "handle", "virtiofs"),
            "driver.wrpolicy": ("immediate",),
            "driver.queue": ("1024",),
            "binary.path": ("/usr/libexec/virtiofsd",),
            "binary.xattr": ONOFF,
            "binary.cache.mode": ("always", "none"),
            "binary.lock.posix": ONOFF,
            "binary.lock.flock": ONOFF,
            "space_hard_limit": ("1000000",),
            "space_soft_limit": ("100000",),
        },
    ),
    "shmem": Option(
        ("name=shmem0", "name=my_shmem,model.type=ivshmem-plain,size=8,size.unit=M"),
        {
            "model.type": ("ivshmem", "ivshmem-plain", "ivshmem-doorbell"),
            "size": ("4", "16"),
            "size.unit": ("M", "KiB"),
            "role": ("master", "peer"),
            "server.path": ("/tmp/ivshmem_socket",),
            "msi.vectors": ("32",),
            "msi.ioeventfd": ONOFF,
        },
    ),
}

BASE_INSTALL = (
    "--import",
    "--pxe",
    "--cdrom=/dev/null",
    "--boot=hd",
    "--boot=kernel=/boot/vmlinuz,initrd=/boot/initrd",
)
OSINFO = ("generic", "fedora36", "win10", "debian11", "rhel9.0", "centos7.0", "ubuntu22.04", "freebsd13.0", "winxp")
MEMORY = ("512", "1024", "memory=2048,currentMemory=1024", "memory=1024,maxMemory=4096,maxMemory.slots=8", "300")
VIRT = ((), ("--virt-type=test",), ("--arch=i686",), ("--hvm",), ("--paravirt",), ("--os-type=xen",))


def _sub(text: str, n: int) -> str:
    return text.replace("{n}", str(n))


def command_line(rng: random.Random, index: int) -> list[str]:
    """One virt-install command line (arguments after the program name)."""
    argv = ["--print-xml", "--noautoconsole", f"--name=vi{index}"]
    argv.append("--memory=" + rng.choice(MEMORY))
    argv.append(rng.choice(BASE_INSTALL))
    argv.append("--osinfo=" + rng.choice(OSINFO))
    argv.extend(rng.choice(VIRT))
    chosen = rng.sample(sorted(OPTIONS), rng.randint(1, 6))
    if "disk" not in chosen:
        argv.append("--disk=none")  # virt-install insists on storage, or on being told there is none
    for name in chosen:
        option = OPTIONS[name]
        for n in range(rng.choice((1, 1, 1, 2))):
            parts = [_sub(rng.choice(option.heads), n)]
            keys = sorted(option.subs)
            for key in rng.sample(keys, rng.randint(0, min(option.most, len(keys)))):
                parts.append(f"{key}={_sub(rng.choice(option.subs[key]), n)}")
            argv.append(f"--{name}={','.join(parts)}")
    return argv


class Writer:
    """``virtinst_worker.py`` under the system interpreter, one command line at a time."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            ["/usr/bin/python3", "-E", str(WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def write(self, argv: list[str]) -> dict[str, str]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(argv) + "\n")
        self._proc.stdin.flush()
        answer: dict[str, str] = json.loads(self._proc.stdout.readline())
        return answer

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait(timeout=30)


@dataclass(frozen=True)
class Written:
    argv: list[str]
    fresh: Fresh | None
    refusal: str = ""


def generate(count: int, seed: int, writer: Writer) -> Iterator[Written]:
    """``count`` command lines from ``seed`` and what virt-install made of each: a document to
    compare (``fresh``) or its refusal."""
    rng = random.Random(seed)
    for i in range(count):
        argv = command_line(rng, i)
        answer = writer.write(argv)
        if "xml" not in answer:
            yield Written(argv, None, answer["refused"])
            continue
        case = Case(name=f"virtinst-{seed}-{i}", kind="domain", source="virtinst", outcome="dump")
        yield Written(argv, Fresh(case, ("virt-install",), answer["xml"]))


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    argv = [a for a in argv if a != "-v"]
    count = int(argv[1]) if len(argv) > 1 else 200
    seed = int(argv[2]) if len(argv) > 2 else 1
    writer, runner, oracle = Writer(), Runner(), Oracle()
    tally: Counter[str] = Counter()
    try:
        for i, written in enumerate(generate(count, seed, writer)):
            if written.fresh is None:
                tally["refused by virt-install"] += 1
                if verbose:
                    print(f"#{i} virt-install refused: {written.refusal.splitlines()[-1]}")
                continue
            miss = disagreement(runner, oracle, written.fresh)
            tally["agree" if miss is None else "differ"] += 1
            if miss is not None:
                print(f"#{i} {' '.join(written.argv[3:])}\n    {miss}")
    finally:
        writer.close()
        runner.close()
        oracle.close()
    for key, value in sorted(tally.items()):
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
