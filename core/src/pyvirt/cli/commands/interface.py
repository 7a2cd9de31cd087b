"""Host interface commands (virsh's 'interface' group): list, show, define, start and stop the
host's network interfaces, and the change transactions (begin, commit, rollback)."""

from __future__ import annotations

from pyvirt.cli.commands import INTERFACE, command
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import CommandError, failing, read_file
from pyvirt.cli.parser import Args, data, flag

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from pyvirt.interface import Interface

_IFACE = data("interface", "interface name or MAC address", complete="interface")


def _iface(ctl: Ctl, text: str, *, by_name: bool = True, by_mac: bool = True) -> Interface:
    """virsh's lookup: by name first, then (for a text with ':' in it) by MAC."""
    from pyvirt.errors import PyvirtError

    conn = ctl.conn
    error: PyvirtError | None = None
    if by_name:
        try:
            return conn.lookup_interface_by_name(text)
        except PyvirtError as exc:
            error = exc
    if by_mac and (not by_name or ":" in text):
        try:
            return conn.lookup_interface_by_mac(text)
        except PyvirtError as exc:
            error = exc
    raise CommandError(f"failed to get interface '{text}'", cause=error)


@command(
    "iface-list",
    INTERFACE,
    "list physical host interfaces",
    "Returns list of physical host interfaces.",
    flag("inactive", "list inactive interfaces"),
    flag("all", "list inactive & active interfaces"),
)
def iface_list(ctl: Ctl, args: Args) -> None:
    from pyvirt.types import ListFilter

    if args.flag("all"):
        filters = ListFilter.ACTIVE | ListFilter.INACTIVE
    else:
        filters = ListFilter.INACTIVE if args.flag("inactive") else ListFilter.ACTIVE
    with failing("Failed to list interfaces"):
        found = sorted(ctl.conn.list_interfaces(filters), key=lambda i: i.name)  # virsh sorts with strcmp
        facts = [(i, i.is_active()) for i in found]
    docs = [{"name": i.name, "active": active, "mac": i.mac} for i, active in facts]
    rows = [(i.name, "active" if active else "inactive", i.mac) for i, active in facts]
    ctl.output.table(docs, ["Name", "State", "MAC Address"], rows)


@command(
    "iface-dumpxml",
    INTERFACE,
    "interface information in XML",
    "Output the physical host interface information as an XML dump to stdout.",
    _IFACE,
    flag("inactive", "show inactive defined XML"),
)
def iface_dumpxml(ctl: Ctl, args: Args) -> None:
    iface = _iface(ctl, args.req("interface"))
    with failing():
        xml = iface.xml(inactive=args.flag("inactive"))
    ctl.output.print(xml.rstrip("\n"))


@command(
    "iface-name",
    INTERFACE,
    "convert an interface MAC address to interface name",
    "",
    data("interface", "interface mac"),
)
def iface_name(ctl: Ctl, args: Args) -> None:
    iface = _iface(ctl, args.req("interface"), by_name=False)
    ctl.output.data({"name": iface.name}, f"{iface.name}\n")


@command(
    "iface-mac",
    INTERFACE,
    "convert an interface name to interface MAC address",
    "",
    data("interface", "interface name", complete="interface"),
)
def iface_mac(ctl: Ctl, args: Args) -> None:
    iface = _iface(ctl, args.req("interface"), by_mac=False)
    ctl.output.data({"mac": iface.mac}, f"{iface.mac}\n")


@command(
    "iface-define",
    INTERFACE,
    "define an inactive persistent physical host interface or modify an existing persistent one from an XML file",
    "Define or modify a persistent physical host interface.",
    data("file", "file containing an XML interface description", complete="file"),
    flag("validate", "validate the XML against the schema"),
)
def iface_define(ctl: Ctl, args: Args) -> None:
    path = args.req("file")
    xml = read_file(path)
    with failing(f"Failed to define interface from {path}"):
        iface = ctl.conn.define_interface(xml, validate=args.flag("validate"))
    ctl.output.extra(f"Interface {iface.name} defined from {path}")


@command(
    "iface-undefine",
    INTERFACE,
    "undefine a physical host interface (remove it from configuration)",
    "undefine an interface.",
    _IFACE,
)
def iface_undefine(ctl: Ctl, args: Args) -> None:
    name = args.req("interface")
    iface = _iface(ctl, name)
    with failing(f"Failed to undefine interface {name}"):
        iface.undefine()
    ctl.output.extra(f"Interface {name} undefined")


@command(
    "iface-start",
    INTERFACE,
    'start a physical host interface (enable it / "if-up")',
    "start a physical host interface.",
    _IFACE,
)
def iface_start(ctl: Ctl, args: Args) -> None:
    name = args.req("interface")
    iface = _iface(ctl, name)
    with failing(f"Failed to start interface {name}"):
        iface.start()
    ctl.output.extra(f"Interface {name} started")


@command(
    "iface-destroy",
    INTERFACE,
    'destroy a physical host interface (disable it / "if-down")',
    "forcefully stop a physical host interface.",
    _IFACE,
)
def iface_destroy(ctl: Ctl, args: Args) -> None:
    """virsh 9.0 reports this command as failed even when the interface went down (its
    cmdInterfaceDestroy returns false on success); pyvirsh keeps that exit status."""
    name = args.req("interface")
    iface = _iface(ctl, name)
    with failing(f"Failed to destroy interface {name}"):
        iface.destroy()
    ctl.output.extra(f"Interface {name} destroyed")
    raise CommandError()


@command(
    "iface-begin",
    INTERFACE,
    "create a snapshot of current interfaces settings, which can be later committed (iface-commit) or "
    "restored (iface-rollback)",
    "Create a restore point for interfaces settings",
)
def iface_begin(ctl: Ctl, args: Args) -> None:
    with failing("Failed to begin network config change transaction"):
        ctl.conn.interface_change_begin()
    ctl.output.extra("Network config change transaction started")


@command(
    "iface-commit",
    INTERFACE,
    "commit changes made since iface-begin and free restore point",
    "commit changes and free restore point",
)
def iface_commit(ctl: Ctl, args: Args) -> None:
    with failing("Failed to commit network config change transaction"):
        ctl.conn.interface_change_commit()
    ctl.output.extra("Network config change transaction committed")


@command(
    "iface-rollback",
    INTERFACE,
    "rollback to previous saved configuration created via iface-begin",
    "rollback to previous restore point",
)
def iface_rollback(ctl: Ctl, args: Args) -> None:
    with failing("Failed to rollback network config change transaction"):
        ctl.conn.interface_change_rollback()
    ctl.output.extra("Network config change transaction rolled back")
