"""Networking commands (virsh's 'network' group)."""

from __future__ import annotations

from pyvirt.cli.commands import NETWORK, command
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import CommandError, failing, read_file
from pyvirt.cli.listing import list_filter, names_or_uuids
from pyvirt.cli.parser import Args, data, flag

_NET = data("network", "network name or uuid", complete="network")
_FILE = data("file", "file containing an XML network description", complete="file")

_YES_NO = ("no", "yes")

_LIST_FLAGS = (
    flag("inactive", "list inactive networks"),
    flag("all", "list inactive & active networks"),
    flag("persistent", "list persistent networks"),
    flag("transient", "list transient networks"),
    flag("autostart", "list networks with autostart enabled"),
    flag("no-autostart", "list networks with autostart disabled"),
    flag("uuid", "list uuid's only"),
    flag("name", "list network names only"),
    flag("table", "list table (default)"),
)


@command("net-list", NETWORK, "list networks", "Returns list of networks.", *_LIST_FLAGS)
def net_list(ctl: Ctl, args: Args) -> None:
    if sum(args.flag(n) for n in ("table", "name", "uuid")) > 1:
        raise CommandError("Only one argument from --table, --name and --uuid may be specified.")
    with failing("Failed to list networks"):
        nets = sorted(
            ctl.conn.list_networks(list_filter(args)), key=lambda n: n.name.lower()
        )  # virsh sorts with strcasecmp
        if names_or_uuids(ctl, args, [(n.name, n.uuid) for n in nets]):
            return
        facts = [(n, n.is_active(), n.autostart, n.is_persistent()) for n in nets]
    docs = [{"name": n.name, "uuid": n.uuid, "active": a, "autostart": s, "persistent": p} for n, a, s, p in facts]
    rows = [(n.name, "active" if a else "inactive", _YES_NO[s], _YES_NO[p]) for n, a, s, p in facts]
    ctl.output.table(docs, ["Name", "State", "Autostart", "Persistent"], rows)


@command("net-info", NETWORK, "network information", "Returns basic information about the network", _NET)
def net_info(ctl: Ctl, args: Args) -> None:
    from pyvirt.errors import PyvirtError

    net = ctl.network(args.req("network"))
    with failing():
        active, persistent, autostart = net.is_active(), net.is_persistent(), net.autostart
    try:
        bridge: str | None = net.bridge_name()
    except PyvirtError:
        bridge = None
    doc = {
        "name": net.name,
        "uuid": net.uuid,
        "active": active,
        "persistent": persistent,
        "autostart": autostart,
        "bridge": bridge,
    }
    lines = [
        ("Name", net.name),
        ("UUID", net.uuid),
        ("Active", _YES_NO[active]),
        ("Persistent", _YES_NO[persistent]),
        ("Autostart", _YES_NO[autostart]),
    ]
    if bridge is not None:
        lines.append(("Bridge", bridge))
    ctl.output.fields(doc, lines)


@command(
    "net-dumpxml",
    NETWORK,
    "network information in XML",
    "Output the network information as an XML dump to stdout.",
    _NET,
    flag("inactive", "show inactive defined XML"),
)
def net_dumpxml(ctl: Ctl, args: Args) -> None:
    net = ctl.network(args.req("network"))
    with failing():
        xml = net.xml(inactive=args.flag("inactive"))
    ctl.output.print(xml.rstrip("\n"))


@command(
    "net-define",
    NETWORK,
    "define an inactive persistent virtual network or modify an existing persistent one from an XML file",
    "Define or modify a persistent virtual network.",
    _FILE,
    flag("validate", "validate the XML against the schema"),
)
def net_define(ctl: Ctl, args: Args) -> None:
    path = args.req("file")
    xml = read_file(path)
    with failing(f"Failed to define network from {path}"):
        net = ctl.conn.define_network(xml, validate=args.flag("validate"))
    ctl.output.extra(f"Network {net.name} defined from {path}")


@command(
    "net-create",
    NETWORK,
    "create a network from an XML file",
    "Create a network.",
    _FILE,
    flag("validate", "validate the XML against the schema"),
)
def net_create(ctl: Ctl, args: Args) -> None:
    path = args.req("file")
    xml = read_file(path)
    with failing(f"Failed to create network from {path}"):
        net = ctl.conn.create_network(xml, validate=args.flag("validate"))
    ctl.output.extra(f"Network {net.name} created from {path}")


@command(
    "net-start",
    NETWORK,
    "start a (previously defined) inactive network",
    "Start a network.",
    data("network", "network name or uuid", complete="network"),
)
def net_start(ctl: Ctl, args: Args) -> None:
    net = ctl.network(args.req("network"))
    with failing(f"Failed to start network {net.name}"):
        net.start()
    ctl.output.extra(f"Network {net.name} started")


@command("net-destroy", NETWORK, "destroy (stop) a network", "Forcefully stop a given network.", _NET)
def net_destroy(ctl: Ctl, args: Args) -> None:
    net = ctl.network(args.req("network"))
    with failing(f"Failed to destroy network {net.name}"):
        net.destroy()
    ctl.output.extra(f"Network {net.name} destroyed")


@command(
    "net-undefine",
    NETWORK,
    "undefine a persistent network",
    "Undefine the configuration for a persistent network.",
    _NET,
)
def net_undefine(ctl: Ctl, args: Args) -> None:
    net = ctl.network(args.req("network"))
    with failing(f"Failed to undefine network {net.name}"):
        net.undefine()
    ctl.output.extra(f"Network {net.name} has been undefined")


@command(
    "net-autostart",
    NETWORK,
    "autostart a network",
    "Configure a network to be automatically started at boot.",
    _NET,
    flag("disable", "disable autostarting"),
)
def net_autostart(ctl: Ctl, args: Args) -> None:
    net = ctl.network(args.req("network"))
    enable = not args.flag("disable")
    verb = "mark" if enable else "unmark"
    with failing(f"failed to {verb} network {net.name} as autostarted"):
        net.set_autostart(enable)
    ctl.output.extra(f"Network {net.name} {verb}ed as autostarted")


@command(
    "net-uuid",
    NETWORK,
    "convert a network name to network UUID",
    "",
    data("network", "network name", complete="network"),
)
def net_uuid(ctl: Ctl, args: Args) -> None:
    net = ctl.network(args.req("network"), by_uuid=False)
    ctl.output.data({"uuid": net.uuid}, f"{net.uuid}\n")


@command("net-name", NETWORK, "convert a network UUID to network name", "", data("network", "network uuid"))
def net_name(ctl: Ctl, args: Args) -> None:
    net = ctl.network(args.req("network"), by_name=False)
    ctl.output.data({"name": net.name}, f"{net.name}\n")
