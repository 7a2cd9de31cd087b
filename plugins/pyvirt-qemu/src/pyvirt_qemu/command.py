"""Domain XML -> ``qemu-system`` command line.

Input is a prepared definition (:mod:`.prepare`: defaults and addresses filled in, anything
unsupported already refused), so every branch here has an answer; the builder only formats.
The monitor socket is passed as an already-listening file descriptor, so the driver can
connect the moment QEMU is spawned, without polling for the socket to appear.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lxml import etree

from pyvirt.xml.domain import DomainDef
from pyvirt_qemu import cpu, devices
from pyvirt_qemu.addresses import bus_name, pci_address
from pyvirt_qemu.hostcpu import HostCPU
from pyvirt_qemu.probe import EmulatorCaps
from pyvirt_qemu.support import QEMU_NS, VIDEO_MODELS, WATCHDOG_ACTIONS, WATCHDOG_MODELS

VNC_PORT_MIN = 5900
VNC_PORT_MAX = 65535
_BOOT_LETTERS = {"fd": "a", "hd": "c", "cdrom": "d", "network": "n"}


@dataclass
class Command:
    argv: list[str]
    ptys: list[str] = field(default_factory=list)
    """Chardev ids of ``pty`` backends, whose paths QEMU chooses (read back with query-chardev)."""
    vnc: bool = False


def escape(value: str) -> str:
    """QEMU's option syntax doubles commas inside a value."""
    return value.replace(",", ",,")


def build(
    dfn: DomainDef,
    caps: EmulatorCaps,
    emulator: str,
    monitor_fd: int,
    disk_paths: Mapping[str, str],
    host_cpu: HostCPU | None = None,
) -> Command:
    """The command line for ``dfn``; ``disk_paths`` maps each disk's target to its host file
    (volumes resolved through their pool); ``host_cpu`` is what ``host-model`` means here."""
    root = dfn.root
    machine = root.find("os/type")
    assert machine is not None
    machine_name = machine.get("machine", "pc")
    q35 = "q35" in machine_name
    accel = "kvm" if dfn.virt_type == "kvm" else "tcg"
    features = root.find("features")
    machine_opts = [machine_name, "usb=off", "dump-guest-core=off"]
    if features is None or features.find("acpi") is None:
        machine_opts.append("acpi=off")
    argv = [
        emulator,
        "-name", f"guest={escape(dfn.name)},debug-threads=on",
        "-S",
        "-machine", ",".join(machine_opts),
        "-accel", accel,
        "-cpu", cpu.cpu_argument(root.find("cpu"), caps, accel, host_cpu),
        "-m", f"size={dfn.memory_kib}k",
        "-smp", cpu.topology(root.find("cpu"), dfn.vcpus, dfn.current_vcpus),
        "-uuid", dfn.uuid,
        "-no-user-config",
        "-nodefaults",
        "-chardev", f"socket,id=charmonitor,fd={monitor_fd},server=on,wait=off",
        "-mon", "chardev=charmonitor,id=monitor,mode=control",
    ]  # fmt: skip
    argv += _clock(root.find("clock"))
    if root.findtext("on_reboot") == "destroy":
        argv.append("-no-reboot")
    argv.append("-no-shutdown")
    argv += _boot(root)
    cmd = Command(argv)
    devs = root.find("devices")
    if devs is not None:
        _devices(cmd, devs, q35, disk_paths)
    if not cmd.vnc:
        argv += ["-display", "none"]
    argv += ["-msg", "timestamp=on"]
    argv += [arg.get("value", "") for arg in root.iterfind(f"{{{QEMU_NS}}}commandline/{{{QEMU_NS}}}arg")]
    return cmd


def _clock(clock: etree._Element | None) -> list[str]:
    rtc = f"base={clock.get('offset', 'utc') if clock is not None else 'utc'}"
    out: list[str] = []
    for timer in clock.iterchildren("timer") if clock is not None else ():
        name = timer.get("name")
        if name == "rtc" and timer.get("tickpolicy") == "catchup":
            rtc += ",driftfix=slew"
        elif name == "pit" and timer.get("tickpolicy") == "delay":
            out += ["-global", "kvm-pit.lost_tick_policy=delay"]
        elif name == "hpet" and timer.get("present") == "no":
            out.append("-no-hpet")
    return ["-rtc", rtc, *out]


def _boot(root: etree._Element) -> list[str]:
    out: list[str] = []
    os_el = root.find("os")
    if os_el is None:
        return out
    for tag, flag in (("kernel", "-kernel"), ("initrd", "-initrd"), ("cmdline", "-append")):
        text = os_el.findtext(tag)
        if text:
            out += [flag, text]
    if root.find("devices//boot[@order]") is not None:
        return [*out, "-boot", "strict=on"]
    order = "".join(_BOOT_LETTERS.get(b.get("dev", ""), "") for b in os_el.iterchildren("boot"))
    menu = os_el.find("bootmenu")
    opts = [f"order={order}"] if order else []
    if menu is not None and menu.get("enable") == "yes":
        opts.append("menu=on")
    return [*out, "-boot", ",".join(opts)] if opts else out


def _bus_of(el: etree._Element, q35: bool) -> list[str]:
    where = pci_address(el)
    if where is None:
        return []
    bus, slot, function = where
    name = bus_name(bus, q35)
    addr = f"0x{slot:x}" + (f".0x{function:x}" if function else "")
    address = el.find("address")
    multi = ",multifunction=on" if address is not None and address.get("multifunction") == "on" else ""
    return [f"bus={name}", f"addr={addr}{multi}"]


def _device(kind: str, *opts: str) -> list[str]:
    return ["-device", ",".join((kind, *opts))]


def _devices(cmd: Command, devs: etree._Element, q35: bool, disk_paths: Mapping[str, str]) -> None:
    alias = devices.aliases(devs)
    argv = cmd.argv
    controllers = list(devs.iterchildren("controller"))
    for el in sorted(controllers, key=lambda c: c.get("type") != "pci"):  # buses before their users
        argv += _controller(el, alias[el], q35)
    for el in devs.iterchildren("disk"):
        target = el.find("target")
        argv += _disk(el, alias[el], q35, disk_paths.get(target.get("dev", "") if target is not None else ""))
    for el in devs.iterchildren("interface"):
        name = alias[el]
        target = el.find("target")
        if el.get("type") == "bridge" and target is not None:
            ifname = target.get("dev", "")
            argv += ["-netdev", f"tap,id=host{name},ifname={ifname},script=no,downscript=no"]
        else:
            argv += ["-netdev", f"user,id=host{name}"]
        mac = el.find("mac")
        mac_opt = [f"mac={mac.get('address')}"] if mac is not None else []
        boot = _bootindex(el)
        model = devices.qemu_device(el, q35) or "rtl8139"
        argv += _device(model, f"netdev=host{name}", f"id={name}", *mac_opt, *_bus_of(el, q35), *boot)
    for el in devs.iterchildren("serial"):
        name = alias[el]
        argv += ["-chardev", _chardev(el, f"char{name}", cmd)]
        target = el.find("target")
        port = target.get("port", "0") if target is not None else "0"
        argv += _device("isa-serial", f"chardev=char{name}", f"id={name}", f"index={port}")
    for el in devs.iterchildren("graphics"):
        argv += ["-vnc", _vnc(el)]
        cmd.vnc = True
    for el in devs.iterchildren("video"):
        video = el.find("model")
        kind = VIDEO_MODELS[video.get("type", "cirrus") if video is not None else "cirrus"]
        if kind:
            vram = int(video.get("vram", "16384")) if video is not None else 16384
            extra = [f"vgamem_mb={vram // 1024}"] if kind == "VGA" else []
            argv += _device(kind, f"id={alias[el]}", *extra, *_bus_of(el, q35))
    for el in devs.iterchildren("input"):
        if el.get("bus") == "usb":
            argv += _device("usb-tablet", f"id={alias[el]}", "bus=usb.0", "port=1")
    for el in devs.iterchildren("memballoon"):
        if el.get("model") == "virtio":
            argv += _device("virtio-balloon-pci", f"id={alias[el]}", *_bus_of(el, q35))
    for el in devs.iterchildren("watchdog"):
        argv += _device(WATCHDOG_MODELS[el.get("model", "")], f"id={alias[el]}", *_bus_of(el, q35))
        argv += ["-watchdog-action", WATCHDOG_ACTIONS[el.get("action", "reset")]]
    for _ in devs.iterchildren("panic"):
        argv += _device("pvpanic")
    for el in devs.iterchildren("rng"):
        name = alias[el]
        argv += ["-object", f"rng-random,id=obj{name},filename={escape(el.findtext('backend') or '/dev/urandom')}"]
        argv += _device("virtio-rng-pci", f"rng=obj{name}", f"id={name}", *_bus_of(el, q35))


def _controller(el: etree._Element, name: str, q35: bool) -> list[str]:
    kind = devices.qemu_device(el, q35)
    if el.get("model") == "pcie-root-port":
        target = el.find("target")
        port = target.get("port", "0x10") if target is not None else "0x10"
        chassis = target.get("chassis", el.get("index", "1")) if target is not None else el.get("index", "1")
        return _device("pcie-root-port", f"port={port}", f"chassis={chassis}", f"id={name}", *_bus_of(el, q35))
    if el.get("model") == "pcie-to-pci-bridge":
        return _device("pcie-pci-bridge", f"id={name}", *_bus_of(el, q35))
    if kind is None:
        return []
    return _device(kind, f"id={name}", *_bus_of(el, q35))


def _bootindex(el: etree._Element) -> list[str]:
    boot = el.find("boot")
    return [f"bootindex={boot.get('order')}"] if boot is not None and boot.get("order") else []


def _disk(el: etree._Element, name: str, q35: bool, path: str | None) -> list[str]:
    driver = el.find("driver")
    fmt = driver.get("type", "raw") if driver is not None else "raw"
    cdrom = el.get("device") == "cdrom"
    drive = [f"if=none,id=drive-{name}"]
    if path:
        drive.insert(0, f"file={escape(path)},format={fmt}")
    if cdrom or el.find("readonly") is not None:
        drive.append("readonly=on")
    if driver is not None and driver.get("cache"):
        drive.append(f"cache={driver.get('cache')}")
    out = ["-drive", ",".join(drive)]
    target = el.find("target")
    bus = target.get("bus", "") if target is not None else ""
    addr = el.find("address")
    unit = addr.get("unit", "0") if addr is not None else "0"
    common = [f"drive=drive-{name}", f"id={name}", *_bootindex(el)]
    if bus == "virtio":
        return out + _device("virtio-blk-pci", *_bus_of(el, q35), *common)
    if bus == "ide":
        ide_bus = addr.get("bus", "0") if addr is not None else "0"
        return out + _device("ide-cd" if cdrom else "ide-hd", f"bus=ide.{ide_bus}", f"unit={unit}", *common)
    if bus == "sata":
        controller = addr.get("controller", "0") if addr is not None else "0"
        sata_bus = f"ide.{unit}" if q35 and controller == "0" else f"sata{controller}.{unit}"
        return out + _device("ide-cd" if cdrom else "ide-hd", f"bus={sata_bus}", *common)
    controller = addr.get("controller", "0") if addr is not None else "0"
    scsi_id = addr.get("target", "0") if addr is not None else "0"
    return out + _device(
        "scsi-cd" if cdrom else "scsi-hd",
        f"bus=scsi{controller}.0",
        "channel=0",
        f"scsi-id={scsi_id}",
        f"lun={unit}",
        *common,
    )


def _chardev(el: etree._Element, chardev_id: str, cmd: Command) -> str:
    kind = el.get("type", "pty")
    source = el.find("source")
    path = source.get("path", "") if source is not None else ""
    if kind == "pty":
        cmd.ptys.append(chardev_id)
        return f"pty,id={chardev_id}"
    if kind == "file":
        append = ",append=on" if source is not None and source.get("append") == "on" else ""
        return f"file,id={chardev_id},path={escape(path)}{append}"
    if kind == "unix":
        server = ",server=on,wait=off" if source is None or source.get("mode", "bind") == "bind" else ""
        return f"socket,id={chardev_id},path={escape(path)}{server}"
    return f"null,id={chardev_id}"


def _vnc(el: etree._Element) -> str:
    listen = el.get("listen") or "127.0.0.1"
    port = int(el.get("port", "-1"))
    if el.get("autoport", "yes") == "yes" or port < VNC_PORT_MIN:
        text = f"{listen}:0,to={VNC_PORT_MAX - VNC_PORT_MIN}"
    else:
        text = f"{listen}:{port - VNC_PORT_MIN}"
    if el.get("passwd") is not None:
        text += ",password=on"
    return text
