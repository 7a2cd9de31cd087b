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
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_dump_matches_libvirt(name: str, runner: Runner, oracle: Oracle) -> None:
    case = Case(name=name, kind="domain", source="", outcome="")
    xml = _HEAD + DOCUMENTS[name] + "</domain>"
    assert disagreement(runner, oracle, Fresh(case, (name,), xml)) is None
