"""Documents both libvirt and pyvirt accept but once dumped differently: each is a part of a
document virt-install or virt-xml writes, with the values libvirt's formatter drops or its
post-parse fills in, compared with real libvirt 9.0 (``libvirt_oracle.py``)."""

from __future__ import annotations

import pytest
from fresh_documents import Fresh, Oracle, disagreement
from libvirt_data import Case, Runner

pytestmark = pytest.mark.needs_libvirt("bindings")

_HEAD = "<domain type='test'><name>d</name><memory>4194304</memory>"
_OS = "<os><type arch='x86_64'>hvm</type></os>"
_SLOTS = "<maxMemory slots='8'>8388608</maxMemory>"

DOCUMENTS = {
    # virDomainGraphicsDefParseXML*: each display type reads its own children only
    "vnc-spice-children": _OS + "<devices><graphics type='vnc' port='-1'><mouse mode='client'/>"
    "<streaming mode='all'/><zlib compression='never'/><gl enable='no'/><clipboard copypaste='yes'/>"
    "<image compression='off'/><audio id='1'/></graphics><audio id='1' type='none'/></devices>",
    "sdl-egl-children": _OS + "<devices><graphics type='sdl'><gl enable='no'/><listen type='address'/>"
    "</graphics><graphics type='egl-headless'><gl rendernode='/dev/dri/x'/><mouse mode='client'/>"
    "</graphics></devices>",
    "spice-children-kept": _OS + "<devices><graphics type='spice' port='-1'><mouse mode='client'/>"
    "<streaming mode='all'/><zlib compression='never'/><gl enable='no'/></graphics></devices>",
    # virDomainDefBlkiotuneFormat: zero values and devices without any are not printed
    "blkiotune-zeros": "<blkiotune><weight>0</weight><device><path>/dev/vdb</path><weight>0</weight>"
    "<read_bytes_sec>10000</read_bytes_sec></device><device><path>/dev/sdb</path><weight>0</weight>"
    "</device></blkiotune>" + _OS,
    "blkiotune-path-only": "<blkiotune><device><path>/dev/sdb</path></device></blkiotune>" + _OS,
    # virDomainFSDefFormat: format and write policy only beside a driver type
    "filesystem-driver-untyped": _SLOTS + _OS + "<devices><filesystem type='template' accessmode='squash'>"
    "<driver wrpolicy='immediate' format='raw'/><source name='t'/><target dir='/'/></filesystem>"
    "<filesystem type='ram'><source usage='1024' units='MiB'/><target dir='/mnt/ram'/>"
    "<driver wrpolicy='immediate'/></filesystem></devices>",
    # virDomainMemoryDefPostParse: virtio-pmem is shared unless told
    "virtio-pmem-access": _SLOTS + _OS + "<devices><memory model='virtio-pmem'><source><path>/tmp/p</path>"
    "</source><target><size unit='KiB'>524288</size></target></memory></devices>",
    "vnc-default-mode": _OS + "<devices><graphics type='vnc' port='-1' defaultMode='secure'/></devices>",
    # virSecLabelDefFormat: relabel is printed for every type but 'none', where it never is
    "seclabel-relabel": "<seclabel type='static' model='dac'><label>0:0</label></seclabel>"
    "<seclabel type='none' model='selinux' relabel='no'/>" + _OS,
    # the formatters' own attribute and element order (gen_order.py's overrides)
    "formatter-order": "<resource><fibrechannel appid='a'/><partition>/machine</partition></resource>"
    "<os><type arch='x86_64'>hvm</type><acpi><table type='slic'/></acpi></os><devices>"
    "<disk type='file' device='disk'><driver name='qemu' iommu='on' queues='2' io='threads' cache='none'/>"
    "<source file='/tmp/a.img'/><target dev='vda' bus='virtio'/></disk>"
    "<video><model type='qxl' ram='65536' vram='65536' vgamem='16384' vram64='65536' heads='2'/></video>"
    "<iommu model='intel'><driver intremap='on' aw_bits='48' caching_mode='on' iotlb='off'/></iommu></devices>",
    # virDomainShmemDefParseXML: a role for the ivshmem-* models only, the model type defaulted
    "shmem-role-size": _OS + "<devices><shmem name='a' role='master'/><shmem name='b' role='peer'>"
    "<model type='ivshmem'/><size unit='M'/></shmem><shmem name='c' role='peer'><model type='ivshmem-plain'/>"
    "</shmem><shmem name='d' role='master'><model/></shmem></devices>",
    "video-none-cleared": _OS + "<devices><video><model type='none' heads='1' vram='1024'>"
    "<acceleration accel3d='no'/></model><alias name='ua-v'/></video></devices>",
    "hyperv-values-off": "<features><hyperv><spinlocks state='off' retries='8191'/>"
    "<vendor_id state='off' value='abc'/></hyperv></features>" + _OS,
    "controller-driver-order": _OS + "<devices><controller type='scsi' model='virtio-scsi'>"
    "<driver iommu='on' iothread='1' queues='2' cmd_per_lun='4'/></controller></devices>",
    "capabilities-policy": "<os><type>exe</type><init>/sbin/init</init></os><features><capabilities/></features>",
    "capabilities-policy-default": "<os><type>exe</type><init>/sbin/init</init></os><features>"
    "<capabilities policy='default'/></features>",
    "capabilities-policy-shown": "<os><type>exe</type><init>/sbin/init</init></os><features>"
    "<capabilities><mknod state='on'/></capabilities></features>",
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_dump_matches_libvirt(name: str, runner: Runner, oracle: Oracle) -> None:
    case = Case(name=name, kind="domain", source="", outcome="")
    xml = _HEAD + DOCUMENTS[name] + "</domain>"
    assert disagreement(runner, oracle, Fresh(case, (name,), xml)) is None
