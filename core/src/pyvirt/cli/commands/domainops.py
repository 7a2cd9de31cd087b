"""Device hot-plug, I/O statistics, managed save and domain capabilities: virsh's commands for
the domain calls of issue 9, each worded as virsh words it."""

from __future__ import annotations

from pyvirt.cli.commands import DOMAIN, HOST, MONITOR, command
from pyvirt.cli.commands.domain import SCOPE_FLAGS, modify_scope
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import failing, read_file
from pyvirt.cli.parser import Args, data, flag, string
from pyvirt.domain import Domain
from pyvirt.types import ModifyScope

_DOM = data("domain", "domain name, id or uuid", complete="domain")
_SCOPE_FLAGS = (flag("persistent", "make live change persistent"), *SCOPE_FLAGS)


def _device_scope(ctl: Ctl, args: Args) -> tuple[Domain, ModifyScope]:
    """The domain and scope as virsh's attach/detach-device settle them: --persistent is the
    config, plus the live domain only when it is running (checked after the flag rules)."""
    args.exclusive("persistent", "current")
    scope = modify_scope(args, ModifyScope.CURRENT)
    dom = ctl.domain(args.req("domain"))
    if args.flag("persistent"):
        scope |= ModifyScope.CONFIG
        if dom.is_active():
            scope |= ModifyScope.LIVE
    return dom, scope


@command(
    "attach-device",
    DOMAIN,
    "attach device from an XML file",
    "Attach device from an XML <file>.",
    _DOM,
    data("file", "XML file", complete="file"),
    *_SCOPE_FLAGS,
)
def attach_device(ctl: Ctl, args: Args) -> None:
    dom, scope = _device_scope(ctl, args)
    path = args.req("file")
    xml = read_file(path)
    with failing(f"Failed to attach device from {path}"):
        dom.attach_device(xml, scope)
    ctl.output.extra("Device attached successfully")


@command(
    "detach-device",
    DOMAIN,
    "detach device from an XML file",
    "Detach device from an XML <file>",
    _DOM,
    data("file", "XML file", complete="file"),
    *_SCOPE_FLAGS,
)
def detach_device(ctl: Ctl, args: Args) -> None:
    dom, scope = _device_scope(ctl, args)
    path = args.req("file")
    xml = read_file(path)
    with failing(f"Failed to detach device from {path}"):
        dom.detach_device(xml, scope)
    ctl.output.extra("Device detached successfully")


@command(
    "domblkstat",
    MONITOR,
    "get device block stats for a domain",
    "Get device block stats for a running domain.",
    _DOM,
    data("device", "block device"),
)
def domblkstat(ctl: Ctl, args: Args) -> None:
    dom, device = ctl.domain(args.req("domain")), args.req("device")
    with failing(f"Failed to get block stats {dom.name} {device}"):
        stats = dom.block_stats(device)
    values = stats._asdict()
    ctl.output.data(values, "".join(f"{device} {k} {v}\n" for k, v in values.items() if v >= 0))


@command(
    "domifstat",
    MONITOR,
    "get network interface stats for a domain",
    "Get network interface stats for a running domain.",
    _DOM,
    data("interface", "interface device specified by name or MAC Address"),
)
def domifstat(ctl: Ctl, args: Args) -> None:
    dom, device = ctl.domain(args.req("domain")), args.req("interface")
    with failing(f"Failed to get interface stats {dom.name} {device}"):
        stats = dom.interface_stats(device)
    values = stats._asdict()
    ctl.output.data(values, "".join(f"{device} {k} {v}\n" for k, v in values.items() if v >= 0))


@command(
    "domstats",
    MONITOR,
    "get statistics about one or multiple domains",
    "Gets statistics about one or more (or all) domains",
    data("domain", "list of domains to get stats for", required=False, complete="domain"),
)
def domstats(ctl: Ctl, args: Args) -> None:
    name = args.get("domain")
    doms = [ctl.domain(name)] if name else ctl.conn.list_domains()
    records = []
    with failing():
        for dom in doms:
            records.append((dom.name, dom.stats()))
    text = "".join(
        f"Domain: '{n}'\n" + "".join(f"  {k}={v}\n" for k, v in stats.items()) + "\n" for n, stats in records
    )
    ctl.output.data({n: s for n, s in records}, text.removesuffix("\n"))


@command(
    "managedsave",
    DOMAIN,
    "managed save of a domain state",
    "Save and destroy a running domain, so it can be restarted from\n    the same state at a later time.",
    _DOM,
)
def managedsave(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"))
    with failing(f"Failed to save domain '{dom.name}' state"):
        dom.managed_save()
    ctl.output.extra(f"\nDomain '{dom.name}' state saved by libvirt")


@command(
    "managedsave-remove",
    DOMAIN,
    "Remove managed save of a domain",
    "Remove an existing managed save state file from a domain",
    _DOM,
)
def managedsave_remove(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"))
    with failing(f"Failed to remove managed save image for domain '{dom.name}'"):
        if not dom.has_managed_save():
            if not (ctl.output.quiet or ctl.output.json):  # virsh adds no blank line after this one
                ctl.output.out.write(f"Domain '{dom.name}' has no manage save image; removal skipped")
            return
        dom.managed_save_remove()
    ctl.output.extra(f"Removed managedsave image for domain '{dom.name}'")


@command(
    "domcapabilities",
    HOST,
    "domain capabilities",
    "Returns capabilities of emulator with respect to host and libvirt.",
    data("virttype", "virtualization type (/domain/@type)", required=False),
    string("emulatorbin", "path to emulator binary (/domain/devices/emulator)"),
    string("arch", "domain architecture (/domain/os/type/@arch)"),
    string("machine", "machine type (/domain/os/type/@machine)"),
)
def domcapabilities(ctl: Ctl, args: Args) -> None:
    with failing("failed to get emulator capabilities"):
        xml = ctl.conn.get_domain_capabilities(
            args.get("emulatorbin"), args.get("arch"), args.get("machine"), args.get("virttype")
        )
    ctl.output.data(xml, xml)
