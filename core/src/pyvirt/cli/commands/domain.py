"""Domain management commands (virsh's 'domain' group): lifecycle, definition, resources."""

from __future__ import annotations

from collections.abc import Callable

from pyvirt.cli.commands import DOMAIN, command
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import CommandError, failing, read_file
from pyvirt.cli.parser import Args, data, flag, number
from pyvirt.domain import Domain
from pyvirt.types import ModifyScope

_DOM = data("domain", "domain name, id or uuid", complete="domain")
_FILE = data("file", "file containing an XML domain description", complete="file")


@command(
    "define",
    DOMAIN,
    "define (but don't start) a domain from an XML file",
    "Define a domain.",
    _FILE,
    flag("validate", "validate the XML against the schema"),
)
def define(ctl: Ctl, args: Args) -> None:
    path = args.req("file")
    xml = read_file(path)
    with failing(f"Failed to define domain from {path}"):
        dom = ctl.conn.define_domain(xml, validate=args.flag("validate"))
    ctl.output.extra(f"Domain '{dom.name}' defined from {path}")


@command(
    "create",
    DOMAIN,
    "create a domain from an XML file",
    "Create a domain.",
    _FILE,
    flag("paused", "leave the guest paused after creation"),
    flag("validate", "validate the XML against the schema"),
)
def create(ctl: Ctl, args: Args) -> None:
    path = args.req("file")
    xml = read_file(path)
    with failing(f"Failed to create domain from {path}"):
        dom = ctl.conn.create_domain(xml, validate=args.flag("validate"), paused=args.flag("paused"))
    ctl.output.extra(f"Domain '{dom.name}' created from {path}")


@command(
    "undefine",
    DOMAIN,
    "undefine a domain",
    "Undefine an inactive domain, or convert persistent to transient.",
    _DOM,
    flag("managed-save", "remove domain managed state file"),
)
def undefine(ctl: Ctl, args: Args) -> None:
    from pyvirt.errors import PyvirtError

    dom = ctl.domain(args.req("domain"))
    managed_save = args.flag("managed-save")
    if not managed_save:
        try:
            saved = dom.has_managed_save()
        except PyvirtError:
            saved = False
        if saved:  # virsh refuses by itself, before asking the library
            raise CommandError("Refusing to undefine while domain managed save image exists")
    with failing(f"Failed to undefine domain '{dom.name}'"):
        ctl.conn.check_writable("virDomainUndefineFlags")  # what virsh calls, flags or not
        dom.undefine(managed_save=managed_save)
    ctl.output.extra(f"Domain '{dom.name}' has been undefined")


@command(
    "start",
    DOMAIN,
    "start a (previously defined) inactive domain",
    "Start a domain, either from the last managedsave\n    state, or via a fresh boot if no managedsave state\n"
    "    is present.",
    data("domain", "name of the inactive domain", complete="domain"),
    flag("paused", "leave the guest paused after creation"),
)
def start(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"))
    if dom.id != -1:
        raise CommandError("Domain is already active")
    with failing(f"Failed to start domain '{dom.name}'"):
        dom.start(paused=args.flag("paused"))
    ctl.output.extra(f"Domain '{dom.name}' started")


def _action(name: str, summary: str, description: str, done: str, call: Callable[[Domain], None]) -> None:
    """Register a command that applies one argument-less call to a domain (virsh words it alike)."""

    def handler(ctl: Ctl, args: Args) -> None:
        dom = ctl.domain(args.req("domain"))
        with failing(f"Failed to {name} domain '{dom.name}'"):
            call(dom)
        ctl.output.extra(f"Domain '{dom.name}' {done}")

    command(name, DOMAIN, summary, description, _DOM)(handler)


@command(
    "shutdown",
    DOMAIN,
    "gracefully shutdown a domain",
    "Run shutdown in the target domain.",
    _DOM,
    number("timeout", "wait up to this many seconds for the domain to shut off (pyvirt extension)"),
)
def shutdown(ctl: Ctl, args: Args) -> None:
    """As virsh's; ``--timeout`` waits for the guest to answer and fails if it has not."""
    dom = ctl.domain(args.req("domain"))
    timeout = args.integer("timeout", minimum=0)
    with failing(f"Failed to shutdown domain '{dom.name}'"):
        dom.shutdown(timeout=timeout)
    ctl.output.extra(f"Domain '{dom.name}' {'is being shutdown' if timeout is None else 'is shut off'}")


_action(
    "destroy",
    "destroy (stop) a domain",
    "Forcefully stop a given domain, but leave its resources intact.",
    "destroyed",
    Domain.destroy,
)
_action("reboot", "reboot a domain", "Run a reboot command in the target domain.", "is being rebooted", Domain.reboot)
_action("reset", "reset a domain", "Reset the target domain as if by power button", "was reset", Domain.reset)
_action("suspend", "suspend a domain", "Suspend a running domain.", "suspended", Domain.suspend)
_action("resume", "resume a domain", "Resume a previously suspended domain.", "resumed", Domain.resume)


@command(
    "save",
    DOMAIN,
    "save a domain state to a file",
    "Save the RAM state of a running domain.",
    _DOM,
    data("file", "where to save the data", complete="file"),
)
def save(ctl: Ctl, args: Args) -> None:
    dom, path = ctl.domain(args.req("domain")), args.req("file")
    with failing(f"Failed to save domain '{dom.name}' to {path}"):
        dom.save(path)
    ctl.output.extra(f"\nDomain '{dom.name}' saved to {path}")


@command(
    "restore",
    DOMAIN,
    "restore a domain from a saved state in a file",
    "Restore a domain.",
    data("file", "the state to restore", complete="file"),
)
def restore(ctl: Ctl, args: Args) -> None:
    path = args.req("file")
    with failing(f"Failed to restore domain from {path}"):
        ctl.conn.restore_domain(path)
    ctl.output.extra(f"Domain restored from {path}")


@command(
    "autostart",
    DOMAIN,
    "autostart a domain",
    "Configure a domain to be automatically started at boot.",
    _DOM,
    flag("disable", "disable autostarting"),
)
def autostart(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"))
    enable = not args.flag("disable")
    verb = "mark" if enable else "unmark"
    with failing(f"Failed to {verb} domain '{dom.name}' as autostarted"):
        dom.set_autostart(enable)
    ctl.output.extra(f"Domain '{dom.name}' {verb}ed as autostarted")


SCOPE_FLAGS = (
    flag("config", "affect next boot"),
    flag("live", "affect running domain"),
    flag("current", "affect current domain"),
)


def modify_scope(args: Args, default: ModifyScope) -> ModifyScope:
    """--config/--live/--current as virsh combines them; ``default`` when none is given."""
    args.exclusive("current", "live")
    args.exclusive("current", "config")
    scope = ModifyScope.CURRENT
    if args.flag("config"):
        scope |= ModifyScope.CONFIG
    if args.flag("live"):
        scope |= ModifyScope.LIVE
    if not (args.flag("config") or args.flag("live") or args.flag("current")):
        return default
    return scope


@command(
    "setmem",
    DOMAIN,
    "change memory allocation",
    "Change the current memory allocation in the guest domain.",
    _DOM,
    number("size", "new memory size, as scaled integer (default KiB)", required=True, positional=True),
    *SCOPE_FLAGS,
)
def setmem(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"))
    scope = modify_scope(args, ModifyScope.LIVE)  # virsh calls virDomainSetMemory: the live domain
    size = args.scaled("size", 1024)
    assert size is not None
    with failing():
        dom.set_memory(size // 1024, scope)


@command(
    "setmaxmem",
    DOMAIN,
    "change maximum memory limit",
    "Change the maximum memory allocation limit in the guest domain.",
    _DOM,
    number("size", "new maximum memory size, as scaled integer (default KiB)", required=True, positional=True),
    *SCOPE_FLAGS,
)
def setmaxmem(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"))
    scope = modify_scope(args, ModifyScope.CURRENT)
    size = args.scaled("size", 1024)
    assert size is not None
    with failing("Unable to change MaxMemorySize"):
        dom.set_max_memory(size // 1024, scope)


@command(
    "setvcpus",
    DOMAIN,
    "change number of virtual CPUs",
    "Change the number of virtual CPUs in the guest domain.",
    _DOM,
    number("count", "number of virtual CPUs", required=True, positional=True),
    flag("maximum", "set maximum limit on next boot"),
    *SCOPE_FLAGS,
)
def setvcpus(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"))
    scope = modify_scope(args, ModifyScope.LIVE)  # virsh calls virDomainSetVcpus: the live domain
    count = args.integer("count", minimum=0)
    assert count is not None
    if args.flag("maximum"):
        if not args.flag("config"):
            raise CommandError("Option --config is required by option --maximum")
        scope |= ModifyScope.MAXIMUM
    with failing():
        dom.set_vcpus(count, scope)


@command(
    "vcpucount",
    DOMAIN,
    "domain vcpu counts",
    "Returns the number of virtual CPUs used by the domain.",
    _DOM,
    flag("maximum", "get maximum count of vcpus"),
    flag("active", "get number of currently active vcpus"),
    flag("live", "get value from running domain"),
    flag("config", "get value to be used on next boot"),
    flag("current", "get value according to current domain state"),
)
def vcpucount(ctl: Ctl, args: Args) -> None:
    from pyvirt.errors import PyvirtError

    maximum, active, live, config = (args.flag(n) for n in ("maximum", "active", "live", "config"))
    current = args.flag("current") and (maximum or active)  # virsh: alone, --current means --active
    for first, second, both in (
        ("live", "config", live and config),
        ("current", "live", current and live),
        ("current", "config", current and config),
        ("active", "maximum", active and maximum),
    ):
        if both:
            raise CommandError(f"Options --{first} and --{second} are mutually exclusive")
    dom = ctl.domain(args.req("domain"))
    if not any(args.flag(n) for n in ("maximum", "active", "live", "config", "current")):
        counts: dict[str, dict[str, int]] = {"maximum": {}, "current": {}}
        lines = []
        for which, extra in (("maximum", ModifyScope.MAXIMUM), ("current", ModifyScope.CURRENT)):
            for where, scope in (("config", ModifyScope.CONFIG), ("live", ModifyScope.LIVE)):
                try:
                    value = dom.vcpus_count(scope | extra)
                except PyvirtError:
                    continue  # virsh shows the rows it can get: no live rows for a shut-off domain
                counts[which][where] = value
                lines.append(f"{which:<12} {where:<12} {value:3d}\n")
        ctl.output.data(counts, "".join(lines))
        return
    scope = ModifyScope.MAXIMUM if maximum else ModifyScope.CURRENT
    if live:
        scope |= ModifyScope.LIVE
    if config:
        scope |= ModifyScope.CONFIG
    with failing():
        value = dom.vcpus_count(scope)
    ctl.output.data({"count": value}, f"{value}\n")


@command(
    "dumpxml",
    DOMAIN,
    "domain information in XML",
    "Output the domain information as an XML dump to stdout.",
    _DOM,
    flag("inactive", "show inactive defined XML"),
    flag("security-info", "include security sensitive information in XML dump"),
)
def dumpxml(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"))
    with failing():
        xml = dom.xml(inactive=args.flag("inactive"), secure=args.flag("security-info"))
    ctl.output.print(xml.rstrip("\n"))


@command(
    "domid",
    DOMAIN,
    "convert a domain name or UUID to domain id",
    "",
    data("domain", "domain name or uuid", complete="domain"),
)
def domid(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"), by_id=False)
    ctl.output.data({"id": None if dom.id == -1 else dom.id}, "-\n" if dom.id == -1 else f"{dom.id}\n")


@command(
    "domname",
    DOMAIN,
    "convert a domain id or UUID to domain name",
    "",
    data("domain", "domain id or uuid", complete="domain"),
)
def domname(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"), by_name=False)
    ctl.output.data({"name": dom.name}, f"{dom.name}\n")


@command(
    "domuuid",
    DOMAIN,
    "convert a domain name or id to domain UUID",
    "",
    data("domain", "domain id or name", complete="domain"),
)
def domuuid(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"), by_uuid=False)
    ctl.output.data({"uuid": dom.uuid}, f"{dom.uuid}\n")
