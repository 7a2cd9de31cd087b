"""Node device commands (virsh's 'nodedev' group): list the host's devices and show one."""

from __future__ import annotations

from pyvirt.cli.commands import NODEDEV, command
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import CommandError, failing, read_file
from pyvirt.cli.parser import Args, data, flag, string

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from pyvirt.nodedevice import NodeDevice


@command(
    "nodedev-list",
    NODEDEV,
    "enumerate devices on this host",
    "",
    flag("tree", "list devices in a tree"),
    string("cap", "capability names, separated by comma"),
    flag("inactive", "list inactive devices"),
    flag("all", "list inactive & active devices"),
)
def nodedev_list(ctl: Ctl, args: Args) -> None:
    from pyvirt.types import NodeDeviceCap

    caps = NodeDeviceCap.NONE
    cap_text = args.get("cap")
    if args.flag("inactive") and args.flag("all"):
        raise CommandError("Option --all is incompatible with --inactive")
    if args.flag("tree") and (cap_text is not None or args.flag("inactive")):
        raise CommandError("Option --tree is incompatible with --cap and --inactive")
    for name in (cap_text or "").split(","):
        if name:
            try:
                caps |= NodeDeviceCap.from_name(name)
            except KeyError:
                raise CommandError("Invalid capability type") from None
    if args.flag("all"):
        caps |= NodeDeviceCap.ACTIVE | NodeDeviceCap.INACTIVE
    else:
        caps |= NodeDeviceCap.INACTIVE if args.flag("inactive") else NodeDeviceCap.ACTIVE
    with failing("Failed to list node devices"):
        devices = sorted(ctl.conn.list_node_devices(caps), key=lambda d: d.name.lower())  # virsh: strcasecmp
        names = [d.name for d in devices]
        parents = {d.name: d.parent() for d in devices} if args.flag("tree") else {}
    if not args.flag("tree"):
        ctl.output.data(names, "".join(f"{name}\n" for name in names))
        return
    from pyvirt.cli.tree import render_tree

    ctl.output.data(parents, render_tree(names, parents))


@command(
    "nodedev-dumpxml",
    NODEDEV,
    "node device details in XML",
    "Output the node device details as an XML dump to stdout.",
    data("device", "device name or wwn pair in 'wwnn,wwpn' format", complete="nodedev"),
)
def nodedev_dumpxml(ctl: Ctl, args: Args) -> None:
    name = args.req("device")
    device = _lookup(ctl, name)
    with failing():
        xml = device.xml()
    ctl.output.print(xml.rstrip("\n"))


@command(
    "nodedev-create",
    NODEDEV,
    "create a device defined by an XML file on the node",
    "Create a device on the node.  Note that this command creates devices on the physical host that can "
    "then be assigned to a virtual machine.",
    data("file", "file containing an XML description of the device", complete="file"),
    flag("validate", "validate the XML against the schema"),
)
def nodedev_create(ctl: Ctl, args: Args) -> None:
    path = args.req("file")
    xml = read_file(path)
    with failing(f"Failed to create node device from {path}"):
        device = ctl.conn.create_node_device(xml, validate=args.flag("validate"))
    ctl.output.extra(f"Node device {device.name} created from {path}")


@command(
    "nodedev-destroy",
    NODEDEV,
    "destroy (stop) a device on the node",
    "Destroy a device on the node.  Note that this command destroys devices on the physical host",
    data("device", "device name or wwn pair in 'wwnn,wwpn' format", complete="nodedev"),
)
def nodedev_destroy(ctl: Ctl, args: Args) -> None:
    name = args.req("device")
    device = _lookup(ctl, name)
    with failing(f"Failed to destroy node device '{name}'"):
        device.destroy()
    ctl.output.extra(f"Destroyed node device '{name}'")


def _lookup(ctl: Ctl, name: str) -> NodeDevice:
    """The device ``name`` names, failing with virsh's words when there is none."""
    with failing(f"Could not find matching device '{name}'"):
        return ctl.conn.lookup_node_device_by_name(name)
