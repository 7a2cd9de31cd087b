"""What the driver can honour, checked at define: anything else is refused, never ignored.

libvirt's QEMU driver validates a definition against the emulator's capabilities when it is
defined; this module is that step for the subset pyvirt-qemu turns into a command line.  Each
refusal names the element and says it is unsupported, with libvirt's error code
(``CONFIG_UNSUPPORTED``) so scripts can tell "the driver can't" from "the XML is wrong".
"""

from __future__ import annotations

from lxml import etree

from pyvirt.errors import ErrorCode, ErrorDomain, PyvirtError
from pyvirt_qemu import tap
from pyvirt_qemu.probe import EmulatorCaps

QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
"""libvirt's namespace for QEMU pass-through (``<qemu:commandline>``)."""
TOP_LEVEL = frozenset(
    {
        "name", "uuid", "title", "description", "metadata", "memory", "currentMemory", "vcpu",
        "os", "features", "cpu", "clock", "on_poweroff", "on_reboot", "on_crash", "pm", "devices",
        "seclabel",
    }
)  # fmt: skip
FEATURES = frozenset({"acpi", "apic", "pae"})
DEVICES = frozenset(
    {
        "emulator", "disk", "controller", "interface", "serial", "console", "graphics", "video",
        "input", "memballoon", "watchdog", "rng", "panic",
    }
)  # fmt: skip
DISK_BUSES = frozenset({"virtio", "ide", "sata", "scsi"})
DISK_FORMATS = frozenset({"raw", "qcow2"})
NIC_MODELS = {"virtio": "virtio-net-pci", "e1000": "e1000", "e1000e": "e1000e", "rtl8139": "rtl8139"}
CHARDEV_TYPES = frozenset({"pty", "file", "unix", "null"})
VIDEO_MODELS = {"cirrus": "cirrus-vga", "vga": "VGA", "virtio": "virtio-vga", "none": ""}
USB_MODELS = {"piix3-uhci": "piix3-usb-uhci", "qemu-xhci": "qemu-xhci", "nec-xhci": "nec-usb-xhci", "none": ""}
WATCHDOG_MODELS = {"i6300esb": "i6300esb", "ib700": "ib700"}
WATCHDOG_ACTIONS = {"reset": "reset", "shutdown": "shutdown", "poweroff": "poweroff", "pause": "pause", "none": "none"}
TIMERS = frozenset({"rtc", "pit", "hpet"})


class UnsupportedConfigError(PyvirtError):
    default_code = ErrorCode.CONFIG_UNSUPPORTED

    def __init__(self, message: str) -> None:
        super().__init__(f"unsupported configuration: {message}", domain=ErrorDomain.QEMU)


def check(root: etree._Element, caps: EmulatorCaps, machine: str) -> None:
    """Refuse what the command-line builder cannot express for ``machine`` on ``caps``."""
    q35 = "q35" in machine
    for child in root:
        if not isinstance(child.tag, str):
            continue
        if child.tag == f"{{{QEMU_NS}}}commandline":
            for item in child:
                if isinstance(item.tag, str) and item.tag != f"{{{QEMU_NS}}}arg":
                    raise UnsupportedConfigError(
                        f"<qemu:{etree.QName(item).localname}> is not supported by the QEMU driver yet (<qemu:arg> is)"
                    )
            continue
        if "}" in child.tag:
            raise UnsupportedConfigError(f"extension element <{etree.QName(child).localname}> is not supported")
        if child.tag not in TOP_LEVEL:
            raise UnsupportedConfigError(f"element <{child.tag}> is not supported by the QEMU driver yet")
    seclabel = root.find("seclabel")
    if seclabel is not None and seclabel.get("type", "none") != "none":
        raise UnsupportedConfigError("no security driver is active: only <seclabel type='none'> is accepted")
    os_el = root.find("os")
    for name in ("loader", "nvram", "dtb"):
        if os_el is not None and os_el.find(name) is not None:
            raise UnsupportedConfigError(f"<os><{name}> (firmware selection) is not supported by the QEMU driver yet")
    features = root.find("features")
    for feat in features if features is not None else ():
        if isinstance(feat.tag, str) and feat.tag not in FEATURES:
            raise UnsupportedConfigError(f"domain feature '{feat.tag}' is not supported by the QEMU driver yet")
    _check_cpu(root.find("cpu"), caps)
    _check_clock(root.find("clock"))
    for event, allowed in (
        ("on_poweroff", {"destroy"}),
        ("on_reboot", {"restart", "destroy"}),
        ("on_crash", {"destroy"}),
    ):
        value = root.findtext(event)
        if value is not None and value not in allowed:
            raise UnsupportedConfigError(f"<{event}>{value}</{event}> is not supported by the QEMU driver yet")
    devices = root.find("devices")
    for dev in devices if devices is not None else ():
        if not isinstance(dev.tag, str):
            continue
        if dev.tag not in DEVICES:
            raise UnsupportedConfigError(f"device <{dev.tag}> is not supported by the QEMU driver yet")
        _check_device(dev, q35)


def check_startable(root: etree._Element) -> None:
    """What libvirt accepts at define but can only fail at start: interfaces that need a host
    network (pyvirt has no network driver yet) or a bridge that does not exist."""
    for iface in root.iterfind("devices/interface"):
        kind = iface.get("type")
        source = iface.find("source")
        if kind == "network":
            name = source.get("network", "") if source is not None else ""
            raise PyvirtError(
                f"Network not found: no network with matching name '{name}'",
                code=ErrorCode.NO_NETWORK,
                domain=ErrorDomain.NETWORK,
            )
        bridge = source.get("bridge", "") if source is not None else ""
        if kind == "bridge" and not tap.bridge_exists(bridge):
            raise PyvirtError(f"Cannot get interface MTU on '{bridge}': No such device", code=ErrorCode.SYSTEM_ERROR)


def _check_cpu(cpu: etree._Element | None, caps: EmulatorCaps) -> None:
    if cpu is None:
        return
    if cpu.find("numa") is not None:
        raise UnsupportedConfigError("guest NUMA topology is not supported by the QEMU driver yet")
    mode = cpu.get("mode", "custom")
    if mode not in ("custom", "host-model", "host-passthrough", "maximum"):
        raise UnsupportedConfigError(f"CPU mode '{mode}'")
    model = cpu.findtext("model")
    if mode == "custom" and model and model not in caps.cpu_unavailable:
        raise UnsupportedConfigError(f"CPU model '{model}' is not supported by hypervisor")
    for feat in cpu.iterchildren("feature"):
        if feat.get("policy", "require") not in ("require", "disable", "force", "forbid", "optional"):
            raise UnsupportedConfigError(f"CPU feature policy '{feat.get('policy')}'")


def _check_clock(clock: etree._Element | None) -> None:
    if clock is None:
        return
    if clock.get("offset", "utc") not in ("utc", "localtime"):
        raise UnsupportedConfigError(f"clock offset '{clock.get('offset')}' is not supported by the QEMU driver yet")
    for timer in clock.iterchildren("timer"):
        if timer.get("name") not in TIMERS:
            raise UnsupportedConfigError(f"timer '{timer.get('name')}' is not supported by the QEMU driver yet")


def _check_device(dev: etree._Element, q35: bool) -> None:
    tag = dev.tag
    kind = dev.get("type", "")
    if tag == "disk":
        if kind not in ("file", "block", "volume"):
            raise UnsupportedConfigError(
                f"disk type '{kind}' is not supported by the QEMU driver yet (file, block and volume are)"
            )
        if dev.get("device", "disk") not in ("disk", "cdrom"):
            raise UnsupportedConfigError(f"disk device '{dev.get('device')}' is not supported by the QEMU driver yet")
        disk_target = dev.find("target")
        bus = disk_target.get("bus", "") if disk_target is not None else ""
        if bus not in DISK_BUSES:
            raise UnsupportedConfigError(f"disk bus '{bus}' is not supported by the QEMU driver yet")
        if bus in ("ide", "sata") and dev.find("readonly") is not None and dev.get("device", "disk") == "disk":
            raise UnsupportedConfigError("readonly ide disks are not supported")
        if bus == "ide" and q35:
            raise UnsupportedConfigError("IDE controllers are unsupported for this QEMU binary or machine type")
        driver = dev.find("driver")
        fmt = driver.get("type", "raw") if driver is not None else "raw"
        if fmt not in DISK_FORMATS:
            raise UnsupportedConfigError(
                f"disk format '{fmt}' is not supported by the QEMU driver yet (raw and qcow2 are)"
            )
    elif tag == "controller":
        model = dev.get("model")
        if kind == "usb" and model is not None and model not in USB_MODELS:
            raise UnsupportedConfigError(f"USB controller model '{model}' is not supported by the QEMU driver yet")
        if kind == "scsi" and model not in (None, "virtio-scsi"):
            raise UnsupportedConfigError(f"SCSI controller model '{model}' is not supported by the QEMU driver yet")
        if kind == "pci" and model not in (None, "pci-root", "pcie-root", "pcie-root-port", "pcie-to-pci-bridge"):
            raise UnsupportedConfigError(f"PCI controller model '{model}' is not supported by the QEMU driver yet")
        if kind not in ("usb", "scsi", "pci", "ide", "sata", "virtio-serial"):
            raise UnsupportedConfigError(f"controller type '{kind}' is not supported by the QEMU driver yet")
    elif tag == "interface":
        if kind not in ("user", "network", "bridge"):
            raise UnsupportedConfigError(f"interface type '{kind}' is not supported by the QEMU driver yet (user is)")
        nic = dev.find("model")
        if nic is not None and nic.get("type") not in NIC_MODELS:
            raise UnsupportedConfigError(f"interface model '{nic.get('type')}' is not supported by the QEMU driver yet")
    elif tag in ("serial", "console"):
        if kind not in CHARDEV_TYPES:
            raise UnsupportedConfigError(f"character device type '{kind}' is not supported by the QEMU driver yet")
        target = dev.find("target")
        ttype = target.get("type") if target is not None else None
        if ttype not in (None, "serial", "isa-serial"):
            raise UnsupportedConfigError(f"{tag} target type '{ttype}' is not supported by the QEMU driver yet")
    elif tag == "graphics":
        if kind != "vnc":
            raise UnsupportedConfigError(f"graphics type '{kind}' is not supported by the QEMU driver yet (vnc is)")
    elif tag == "video":
        video = dev.find("model")
        mtype = video.get("type", "cirrus") if video is not None else "cirrus"
        if mtype not in VIDEO_MODELS:
            raise UnsupportedConfigError(f"video model '{mtype}' is not supported by the QEMU driver yet")
    elif tag == "input":
        if (kind, dev.get("bus", "ps2")) not in (("mouse", "ps2"), ("keyboard", "ps2"), ("tablet", "usb")):
            raise UnsupportedConfigError(
                f"input '{kind}' on bus '{dev.get('bus')}' is not supported by the QEMU driver yet"
            )
    elif tag == "memballoon":
        if dev.get("model") not in ("virtio", "none"):
            raise UnsupportedConfigError(
                f"memballoon model '{dev.get('model')}' is not supported by the QEMU driver yet"
            )
    elif tag == "watchdog":
        if dev.get("model") not in WATCHDOG_MODELS:
            raise UnsupportedConfigError(f"watchdog model '{dev.get('model')}' is not supported by the QEMU driver yet")
        if dev.get("action", "reset") not in WATCHDOG_ACTIONS:
            raise UnsupportedConfigError(
                f"watchdog action '{dev.get('action')}' is not supported by the QEMU driver yet"
            )
    elif tag == "panic":
        if dev.get("model", "isa") != "isa":
            raise UnsupportedConfigError(f"panic model '{dev.get('model')}' is not supported by the QEMU driver yet")
    elif tag == "rng":
        backend = dev.find("backend")
        if dev.get("model") != "virtio" or backend is None or backend.get("model") != "random":
            raise UnsupportedConfigError(
                "only <rng model='virtio'> with a 'random' backend is supported by the QEMU driver yet"
            )
