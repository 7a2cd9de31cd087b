"""Device refusals of libvirt 9.0's validation, each with the message real libvirt gave on the
same fragment (``define`` on ``test:///default``), and the near misses it accepts.

The rules come from the virt-install differential (``virtinst_documents.py``): spicevmc target
types, input buses, the virtio-only driver options, unique user aliases.
"""

from __future__ import annotations

import re

import pytest

from pyvirt.errors import ErrorCode, XMLError
from pyvirt.xml.domain import DomainDef

HEAD = "<domain type='test'><name>t</name><memory>65536</memory><os><type>{os}</type></os><devices>"
FILE_DISK = "<disk type='file' device='disk'{model}><source file='/tmp/a'/><target dev='{dev}'/>{driver}</disk>"
PTY = "<serial type='pty'><alias name='ua-s'/></serial><console type='pty'><alias name='ua-c'/></console>"


def _define(devices: str, os: str = "hvm") -> DomainDef:
    return DomainDef.from_xml(HEAD.format(os=os) + devices + "</devices></domain>")


def _disk(dev: str, driver: str = "", model: str = "") -> str:
    return FILE_DISK.format(dev=dev, driver=f"<driver name='qemu' {driver}/>" if driver else "", model=model)


REFUSED = [
    # virDomainChrDefParseXML
    ("<serial type='spicevmc'/>", "unsupported configuration: spicevmc device type only supports virtio"),
    ("<parallel type='spicevmc'/>", "unsupported configuration: spicevmc device type only supports virtio"),
    ("<serial type='pty'/><console type='spicevmc'/>", "unsupported configuration: spicevmc device type only"),
    (
        "<channel type='spicevmc'><target type='guestfwd' address='1.2.3.4' port='44'/></channel>",
        "unsupported configuration: spicevmc device type only supports virtio",
    ),
    ("<channel type='spicevmc'/>", "XML error: target type must be specified for channel device"),
    # virDomainInputDefValidate
    ("<input type='mouse' bus='xen'/>", "internal error: unsupported input bus xen"),
    ("<input type='tablet' bus='ps2'/>", "internal error: ps2 bus does not support tablet input device"),
    ("<input type='mouse' model='virtio'/>", "only bus 'virtio' is supported for input model 'virtio'"),
    (
        "<input type='tablet' bus='usb' model='virtio-transitional'/>",
        "unsupported configuration: only bus 'virtio' is supported for input model 'virtio-transitional'",
    ),
    (
        "<input type='passthrough' bus='usb'><source evdev='/dev/input/event1'/></input>",
        "unsupported configuration: only bus 'virtio' is supported for 'passthrough' input devices",
    ),
    (
        "<input type='evdev' bus='usb'><source dev='/dev/input/event1'/></input>",
        "unsupported configuration: input evdev doesn't support bus element",
    ),
    # virDomainCheckVirtioOptionsAreAbsent, virDomainDiskDefValidate
    (
        "<video><model type='qxl'/><driver iommu='on'/></video>",
        "unsupported configuration: iommu driver option is only supported for virtio devices",
    ),
    (
        "<video><driver page_per_vq='on'/></video>",
        "unsupported configuration: page_per_vq option is only supported for virtio devices",
    ),
    (_disk("hda", "ats='on'"), "unsupported configuration: ats driver option is only supported for virtio devices"),
    (_disk("hda", "queues='2'"), "queues attribute in disk driver element is only supported by virtio-blk"),
    (_disk("sda", "event_idx='off'"), "unsupported configuration: disk event_idx mode supported only for virtio bus"),
    (_disk("sda", "ioeventfd='on'"), "unsupported configuration: disk ioeventfd mode supported only for virtio bus"),
    (
        _disk("sda", model=" model='virtio'"),
        "unsupported configuration: disk model 'virtio' not supported for bus 'scsi'",
    ),
    # virDomainDefValidateAliases
    (
        "<memballoon model='virtio'><alias name='ua-x'/></memballoon>"
        "<watchdog model='ib700'><alias name='ua-x'/></watchdog>",
        "unsupported configuration: non unique alias detected: ua-x",
    ),
    (PTY + "<input type='mouse' bus='ps2'><alias name='ua-c'/></input>", "non unique alias detected: ua-c"),
]


@pytest.mark.parametrize(("devices", "message"), REFUSED)
def test_refused_like_libvirt(devices: str, message: str) -> None:
    with pytest.raises(XMLError) as info:
        _define(devices)
    assert message in str(info.value)
    prefix = message.split(":")[0]
    code = {"XML error": ErrorCode.XML_ERROR, "internal error": ErrorCode.INTERNAL_ERROR}
    assert info.value.code == code.get(prefix, ErrorCode.CONFIG_UNSUPPORTED)


ACCEPTED = [
    # the spicevmc check compares target type numbers: usb-serial and xen equal channel virtio's
    "<serial type='spicevmc'><target type='usb-serial'/></serial>",
    "<console type='spicevmc'><target type='xen'/></console>",
    "<channel type='spicevmc'><target type='virtio'/></channel>",
    "<input type='keyboard' bus='ps2'/>",
    "<input type='keyboard' bus='virtio' model='virtio'/>",
    # a passthrough input's bus defaults to virtio, an evdev one's to none
    "<input type='passthrough'><source evdev='/dev/input/event1'/></input>",
    "<input type='evdev'><source dev='/dev/input/event1'/></input>",
    "<video><model type='virtio'/><driver iommu='on'/></video>",
    _disk("sda", "queues='0'"),
    _disk("vda", "queues='2' iommu='on'", " model='virtio'"),
    # the console stub stands for the first serial port, whose alias the check skips
    "<serial type='pty'><alias name='ua-s'/></serial><console type='pty'><alias name='ua-s'/></console>",
    PTY + "<input type='mouse' bus='ps2'><alias name='ua-s'/></input>",
    # a model='none' controller has no device info; aliases not starting ua- are dropped
    "<controller type='usb' model='none'><alias name='ua-u'/></controller>"
    "<input type='mouse' bus='ps2'><alias name='ua-u'/></input>",
    "<watchdog model='ib700'><alias name='w0'/></watchdog><memballoon model='virtio'><alias name='w0'/></memballoon>",
]


@pytest.mark.parametrize("devices", ACCEPTED)
def test_accepted_like_libvirt(devices: str) -> None:
    _define(devices)


def test_xen_guest_inputs() -> None:
    """A xen guest's inputs sit on the xen bus, and only mice and keyboards do."""
    _define("<input type='mouse'/>", os="xen")
    with pytest.raises(XMLError, match="unsupported input bus usb"):
        _define("<input type='mouse' bus='usb'/>", os="xen")
    with pytest.raises(XMLError, match="xen bus does not support tablet input device"):
        _define("<input type='tablet'/>", os="xen")


DOMAIN = "<domain type='test'><name>t</name><memory>65536</memory>{top}<os><type>hvm</type></os>{rest}</domain>"
HYPERV = "<features><hyperv mode='custom'>{}</hyperv></features>"
BLKIO = "<blkiotune><device><path>/dev/sda</path></device><device><path>{}</path></device></blkiotune>"
IOTHREADS = "<iothreads>2</iothreads><iothreadids><iothread id='1'/><iothread id='{}'/></iothreadids>"
VNC = "<devices><graphics type='vnc' {}/></devices>"
KEYWRAP = "<keywrap><cipher name='{}' state='on'/><cipher name='aes' state='off'/></keywrap>"
POLICY = (
    "<devices><disk type='{}' device='{}'><source {} startupPolicy='{}'><host name='h'/></source>"
    "<target dev='hdc'/></disk></devices>"
)
DIMM = "<devices><memory model='dimm'><target><size unit='KiB'>{}</size></target></memory></devices>"

TOP_REFUSED = [
    # virDomainFeaturesHyperVDefParse
    ("", HYPERV.format("<spinlocks state='on'/>"), "Missing required attribute 'retries' in element 'spinlocks'"),
    ("", HYPERV.format("<spinlocks state='on' retries='100'/>"), "HyperV spinlock retry count must be at least 4095"),
    ("", HYPERV.format("<vendor_id state='on'/>"), "missing 'value' attribute for HyperV feature 'vendor_id'"),
    ("", HYPERV.format("<vendor_id state='on' value='abcdefghijklm'/>"), "must not be more than 12 characters."),
    ("", HYPERV.format("<vendor_id state='on' value='ab,c'/>"), "HyperV vendor_id value is invalid"),
    # virDomainDefParseIOThreads, virDomainDefTunablesValidate
    (IOTHREADS.format(1), "", "XML error: duplicate iothread id '1' found"),
    (BLKIO.format("/dev/sda"), "", "unsupported configuration: duplicate blkio device path '/dev/sda'"),
    # virDomainGraphicsAuthDefParseXML
    ("", VNC.format("passwd='x' connected='fail'"), "unsupported configuration: VNC supports connected='keep' only"),
    (
        "",
        VNC.format("passwd='x' passwdValidTo='2020-01-01 00:00:00'"),
        "internal error: cannot parse password validity time '2020-01-01 00:00:00', expect YYYY-MM-DDTHH:MM:SS",
    ),
    # virDomainSchedulerParseCommonAttrs
    ("<cputune><emulatorsched scheduler='fifo'/></cputune>", "", "'priority' in element 'emulatorsched'"),
    ("<cputune><vcpusched vcpus='0' scheduler='rr'/></cputune>", "", "'priority' in element 'vcpusched'"),
    # virDomainKeyWrapCipherDefParseXML
    (KEYWRAP.format("xyz"), "", "Invalid value for attribute 'name' in element 'cipher': 'xyz'."),
    (
        KEYWRAP.format("aes") + "",
        "",
        "internal error: A domain definition can have no more than one cipher node with name aes",
    ),
    # virDomainDiskDefValidateStartupPolicy
    (
        "",
        POLICY.format("file", "disk", "file='/tmp/a'", "requisite"),
        "'requisite' is allowed only for cdrom or floppy",
    ),
    (
        "",
        POLICY.format("network", "cdrom", "protocol='http' name='x.iso'", "optional"),
        "XML error: disk startupPolicy 'optional' is not allowed for disk of 'network' type",
    ),
    # virDomainDefPostParseMemory: 65536 KiB of memory hold no 131072 KiB DIMM
    ("", DIMM.format(131072), "XML error: Total size of memory devices exceeds the total memory size"),
    ("", DIMM.format(65536), "Memory size must be specified via <memory> or in the <numa> configuration"),
]


@pytest.mark.parametrize(("top", "rest", "message"), TOP_REFUSED)
def test_domain_refused_like_libvirt(top: str, rest: str, message: str) -> None:
    with pytest.raises(XMLError, match=re.escape(message)):
        DomainDef.from_xml(DOMAIN.format(top=top, rest=rest))


TOP_ACCEPTED = [
    ("", HYPERV.format("<spinlocks state='off'/><vendor_id state='off'/>")),
    ("", HYPERV.format("<vendor_id state='on' value='abcdefghijkl'/><spinlocks state='on' retries='4095'/>")),
    (IOTHREADS.format(2), ""),
    (BLKIO.format("/dev/sdb"), ""),
    # the connected policy is read only beside a password
    ("", VNC.format("connected='fail'")),
    ("", VNC.format("passwd='x' connected='keep'")),
    ("", VNC.format("passwd='x' passwdValidTo='2020-1-1T0:0:0'")),
    ("", VNC.format("passwdValidTo='junk'")),
    ("", DIMM.format(32768)),
    ("<cputune><emulatorsched scheduler='batch'/></cputune>", ""),
    (KEYWRAP.format("dea"), ""),
    ("", POLICY.format("file", "cdrom", "file='/tmp/a'", "requisite")),
    ("", POLICY.format("volume", "disk", "pool='default' volume='v'", "optional")),
]


@pytest.mark.parametrize(("top", "rest"), TOP_ACCEPTED)
def test_domain_accepted_like_libvirt(top: str, rest: str) -> None:
    DomainDef.from_xml(DOMAIN.format(top=top, rest=rest))
