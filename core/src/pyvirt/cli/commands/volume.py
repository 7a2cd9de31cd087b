"""Storage volume commands (virsh's 'volume' group)."""

from __future__ import annotations

from pyvirt.cli.commands import VOLUME, command
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import CommandError, failing, read_file
from pyvirt.cli.parser import Args, data, flag, string
from pyvirt.cli.units import parse_scaled, pretty
from pyvirt.types import VolType

_VOL = data("vol", "vol name, key or path", complete="volume")
_POOL_OPT = string("pool", "pool name or uuid", complete="pool")
_TYPES = {
    VolType.FILE: "file",
    VolType.BLOCK: "block",
    VolType.DIR: "dir",
    VolType.NETWORK: "network",
    VolType.NETDIR: "netdir",
    VolType.PLOOP: "ploop",
}


@command(
    "vol-list",
    VOLUME,
    "list vols",
    "Returns list of vols by pool.",
    data("pool", "pool name or uuid", complete="pool"),
    flag("details", "display extended details for volumes"),
)
def vol_list(ctl: Ctl, args: Args) -> None:
    pool = ctl.pool(args.req("pool"))
    with failing("Failed to list volumes"):
        vols = sorted(pool.list_volumes(), key=lambda v: v.name.lower())  # virsh sorts with strcasecmp
        facts = [(v, v.path(), v.info()) for v in vols]
    docs = [
        {
            "name": v.name,
            "path": path,
            "key": v.key,
            "type": _TYPES.get(info.type, "unknown"),
            "capacity": info.capacity,
            "allocation": info.allocation,
        }
        for v, path, info in facts
    ]
    if args.flag("details"):
        rows = [
            [v.name, path, _TYPES.get(info.type, "unknown"), pretty(info.capacity), pretty(info.allocation)]
            for v, path, info in facts
        ]
        ctl.output.table(docs, ["Name", "Path", "Type", "Capacity", "Allocation"], rows)
    else:
        ctl.output.table(docs, ["Name", "Path"], [[v.name, path] for v, path, _ in facts])


@command(
    "vol-info",
    VOLUME,
    "storage vol information",
    "Returns basic information about the storage vol.",
    _VOL,
    _POOL_OPT,
    flag("bytes", "sizes are represented in bytes rather than pretty units"),
)
def vol_info(ctl: Ctl, args: Args) -> None:
    vol = ctl.volume(args.req("vol"), args.get("pool"))
    with failing():
        info = vol.info()
    kind = _TYPES.get(info.type, "unknown")
    doc = {
        "name": vol.name,
        "pool": vol.pool_name,
        "key": vol.key,
        "type": kind,
        "capacity": info.capacity,
        "allocation": info.allocation,
    }

    def show(size: int) -> str:
        return f"{size} bytes" if args.flag("bytes") else pretty(size)

    ctl.output.fields(
        doc,
        [("Name", vol.name), ("Type", kind), ("Capacity", show(info.capacity)), ("Allocation", show(info.allocation))],
    )


@command(
    "vol-dumpxml",
    VOLUME,
    "vol information in XML",
    "Output the vol information as an XML dump to stdout.",
    _VOL,
    _POOL_OPT,
)
def vol_dumpxml(ctl: Ctl, args: Args) -> None:
    vol = ctl.volume(args.req("vol"), args.get("pool"))
    with failing():
        xml = vol.xml()
    ctl.output.print(xml.rstrip("\n"))


@command(
    "vol-create",
    VOLUME,
    "create a vol from an XML file",
    "Create a vol.",
    data("pool", "pool name", complete="pool"),
    data("file", "file containing an XML vol description", complete="file"),
    flag("validate", "validate the XML against the schema"),
)
def vol_create(ctl: Ctl, args: Args) -> None:
    pool = ctl.pool(args.req("pool"))
    path = args.req("file")
    xml = read_file(path)
    with failing(f"Failed to create vol from {path}"):
        vol = pool.create_volume(xml, validate=args.flag("validate"))
    ctl.output.extra(f"Vol {vol.name} created from {path}")


@command(
    "vol-create-as",
    VOLUME,
    "create a volume from a set of args",
    "Create a vol.",
    data("pool", "pool name", complete="pool"),
    data("name", "name of the volume"),
    data("capacity", "size of the vol, as scaled integer (default bytes)"),
    string("allocation", "initial allocation size, as scaled integer (default bytes)"),
    string("format", "file format type raw,bochs,qcow,qcow2,qed,vmdk"),
    flag("print-xml", "print XML document, but don't define/create"),
)
def vol_create_as(ctl: Ctl, args: Args) -> None:
    from pyvirt.xml.build import volume_document

    name = args.req("name")
    capacity = _size(args.req("capacity"))
    allocation = None if args.get("allocation") is None else _size(args.req("allocation"))
    with failing():
        xml = volume_document(name, capacity, allocation=allocation, volume_format=args.get("format"))
    if args.flag("print-xml"):
        ctl.output.print(xml.rstrip("\n"))
        return
    pool = ctl.pool(args.req("pool"))
    with failing(f"Failed to create vol {name}"):
        pool.create_volume(xml)
    ctl.output.extra(f"Vol {name} created")


def _size(text: str) -> int:
    size = parse_scaled(text, 1)
    if size is None:
        raise CommandError(f"Malformed size {text}")
    return size


@command(
    "vol-clone",
    VOLUME,
    "clone a volume.",
    "Clone an existing volume within the parent pool.",
    _VOL,
    data("newname", "clone name"),
    _POOL_OPT,
    flag("print-xml", "print XML document rather than clone the volume"),
)
def vol_clone(ctl: Ctl, args: Args) -> None:
    from pyvirt.xml.build import renamed_volume

    source = ctl.volume(args.req("vol"), args.get("pool"))
    new_name = args.req("newname")
    with failing():
        xml = renamed_volume(source.xml(), new_name)
    if args.flag("print-xml"):
        ctl.output.print(xml, end="")  # virsh prints the document without a final newline
        return
    with failing(f"Failed to clone vol from {source.name}"):
        source.pool().clone_volume(xml, source)
    ctl.output.extra(f"Vol {new_name} cloned from {source.name}")


@command("vol-delete", VOLUME, "delete a vol", "Delete a given vol.", _VOL, _POOL_OPT)
def vol_delete(ctl: Ctl, args: Args) -> None:
    vol = ctl.volume(args.req("vol"), args.get("pool"))
    with failing(f"Failed to delete vol {vol.name}"):
        vol.delete()
    ctl.output.extra(f"Vol {vol.name} deleted")


@command(
    "vol-wipe",
    VOLUME,
    "wipe a vol",
    "Ensure data previously on a volume is not accessible to future reads",
    _VOL,
    _POOL_OPT,
)
def vol_wipe(ctl: Ctl, args: Args) -> None:
    vol = ctl.volume(args.req("vol"), args.get("pool"))
    with failing(f"Failed to wipe vol {vol.name}"):
        vol.wipe()
    ctl.output.extra(f"Vol {vol.name} wiped")


@command(
    "vol-resize",
    VOLUME,
    "resize a vol",
    "Resizes a storage volume. This is safe only for storage volumes not in use by an active guest.\n"
    "See blockresize for live resizing.",
    _VOL,
    data("capacity", "new capacity for the vol, as scaled integer (default bytes)"),
    _POOL_OPT,
    flag("delta", "use capacity as a delta to current size, rather than the new size"),
    flag("shrink", "allow the resize to shrink the volume"),
)
def vol_resize(ctl: Ctl, args: Args) -> None:
    text = args.req("capacity")
    delta, shrink = args.flag("delta"), args.flag("shrink")
    magnitude = text[1:] if text.startswith("-") else text
    if text.startswith("-"):
        if not delta:
            raise CommandError("negative size requires --delta")
        shrink = True
    capacity = parse_scaled(magnitude, 1)
    if capacity is None:
        raise CommandError(f"Malformed size {text}")
    vol = ctl.volume(args.req("vol"), args.get("pool"))
    with failing(f"Failed to change size of volume '{vol.name}' to {text}"):
        vol.resize(capacity, delta=delta, shrink=shrink)
    ctl.output.extra(f"Size of volume '{vol.name}' successfully {'changed by' if delta else 'changed to'} {text}")


@command(
    "vol-path",
    VOLUME,
    "returns the volume path for a given volume name or key",
    "",
    data("vol", "volume name or key", complete="volume"),
    _POOL_OPT,
)
def vol_path(ctl: Ctl, args: Args) -> None:
    vol = ctl.volume(args.req("vol"), args.get("pool"))
    with failing():
        path = vol.path()
    ctl.output.data({"path": path}, f"{path}\n")


@command(
    "vol-key",
    VOLUME,
    "returns the volume key for a given volume name or path",
    "",
    data("vol", "volume name or path", complete="volume"),
    _POOL_OPT,
)
def vol_key(ctl: Ctl, args: Args) -> None:
    vol = ctl.volume(args.req("vol"), args.get("pool"))
    ctl.output.data({"key": vol.key}, f"{vol.key}\n")
