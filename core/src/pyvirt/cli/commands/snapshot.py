"""Snapshot commands (virsh's 'snapshot' group): take, list, show, revert and delete snapshots."""

from __future__ import annotations

import time

from pyvirt.cli.commands import SNAPSHOT, command
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import CommandError, failing, read_file
from pyvirt.cli.parser import Args, Kind, Opt, argv, data, flag, string
from pyvirt.types import SnapshotCreateFlags

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from pyvirt.domain import Domain
    from pyvirt.xml.build import DiskSpec

_DOM = data("domain", "domain name, id or uuid", complete="domain")
_NAME = data("snapshotname", "snapshot name")


_CREATE_FLAGS = (
    flag("no-metadata", "take snapshot but create no metadata"),
    flag("halt", "halt domain after snapshot is created"),
    flag("disk-only", "capture disk state but not vm state"),
    flag("reuse-external", "reuse any existing external files"),
    flag("quiesce", "quiesce guest's file systems"),
    flag("atomic", "require atomic operation"),
    flag("live", "take a live snapshot"),
    flag("validate", "validate the XML against the schema"),
)


def _flags(args: Args) -> SnapshotCreateFlags:
    """virsh's option names are libvirt's flag names in lower case with dashes."""
    flags = SnapshotCreateFlags.NONE
    for name in ("redefine", "current", "no-metadata", "halt", "disk-only", "quiesce", "atomic", "live", "validate"):
        if args.flag(name):
            flags |= SnapshotCreateFlags[name.upper().replace("-", "_")]
    if args.flag("reuse-external"):
        flags |= SnapshotCreateFlags.REUSE_EXT
    return flags


def _create(ctl: Ctl, dom: Domain, xml: str, flags: SnapshotCreateFlags, source: str | None) -> None:
    """Create the snapshot and say so as virsh does; like virsh, a HALT the call refuses as an
    invalid argument is emulated: the snapshot without it, then a destroy."""
    from pyvirt.errors import InvalidArgumentError

    halt = False
    with failing():
        try:
            name = dom.create_snapshot(xml, flags)
        except InvalidArgumentError:
            if not flags & SnapshotCreateFlags.HALT:
                raise
            if not dom.is_persistent():
                raise CommandError("cannot halt after snapshot of transient domain") from None
            halt = dom.is_active()
            name = dom.create_snapshot(xml, flags & ~SnapshotCreateFlags.HALT)
        if halt:
            dom.destroy()
    # virsh ends this line with the newline every command gets, and adds no blank line.
    if not (ctl.output.quiet or ctl.output.json):
        ctl.output.out.write(
            f"Domain snapshot {name} created from '{source}'" if source else f"Domain snapshot {name} created"
        )


@command(
    "snapshot-create",
    SNAPSHOT,
    "Create a snapshot from XML",
    "Create a snapshot (disk and RAM) from XML",
    _DOM,
    data("xmlfile", "domain snapshot XML", required=False, complete="file"),
    flag("redefine", "redefine metadata for existing snapshot"),
    flag("current", "with redefine, set current snapshot"),
    *_CREATE_FLAGS,
)
def snapshot_create(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"))
    path = args.get("xmlfile")
    xml = read_file(path) if path else "<domainsnapshot/>"
    _create(ctl, dom, xml, _flags(args), path)


@command(
    "snapshot-create-as",
    SNAPSHOT,
    "Create a snapshot from a set of args",
    "Create a snapshot (disk and RAM) from arguments",
    _DOM,
    data("name", "name of snapshot", required=False),
    Opt("description", Kind.STRING, "description of snapshot", positional=True),
    flag("print-xml", "print XML document rather than create"),
    *_CREATE_FLAGS,
    string("memspec", "memory attributes: [file=]name[,snapshot=type]"),
    argv("diskspec", "disk attributes: disk[,snapshot=type][,driver=type][,stype=type][,file=name]", required=False),
)
def snapshot_create_as(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"))
    from pyvirt.xml.build import snapshot_document

    if args.get("memspec") is not None:
        raise CommandError("--memspec is not supported by pyvirsh: pyvirt takes no external memory snapshots")
    disks = [_diskspec(word) for word in args.words("diskspec")]
    xml = snapshot_document(args.get("name"), args.get("description"), disks)
    if args.flag("print-xml"):
        ctl.output.print(xml)  # virsh leaves a blank line after the document
        return
    _create(ctl, dom, xml, _flags(args), None)


def _diskspec(text: str) -> DiskSpec:
    """``disk[,snapshot=type][,driver=type][,stype=type][,file=name]`` (``,,`` is a comma)."""
    from pyvirt.xml.build import DiskSpec

    name, *rest = [part.replace("\0", ",") for part in text.replace(",,", "\0").split(",")]
    found: dict[str, str] = {}
    for part in rest:
        key, eq, value = part.partition("=")
        if not eq or key not in ("snapshot", "driver", "stype", "file") or key in found:
            raise CommandError(f"unable to parse diskspec: {text}")
        found[key] = value
    stype = found.get("stype")
    if stype not in (None, "file", "block"):
        raise CommandError(f"Unknown storage type: '{stype}'", f"unable to parse diskspec: {text}")
    return DiskSpec(name, found.get("snapshot"), found.get("driver"), stype, found.get("file"))


@command(
    "snapshot-list",
    SNAPSHOT,
    "List snapshots for a domain",
    "Snapshot List",
    _DOM,
    flag("parent", "add a column showing parent snapshot"),
    flag("name", "list snapshot names only"),
)
def snapshot_list(ctl: Ctl, args: Args) -> None:
    from pyvirt.xml.snapshot import SnapshotDef

    dom = ctl.domain(args.req("domain"))
    with failing():
        snaps = [SnapshotDef.from_xml(dom.snapshot_xml(name)) for name in dom.snapshot_names()]
    snaps.sort(key=lambda s: s.name.lower())  # virsh sorts by name, ignoring case
    if args.flag("name"):
        ctl.output.data([s.name for s in snaps], "".join(f"{s.name}\n" for s in snaps))
        return
    doc = [{"name": s.name, "creation_time": s.creation_time, "state": s.state, "parent": s.parent} for s in snaps]
    header = ["Name", "Creation Time", "State"]
    rows = [[s.name, _time(s.creation_time), s.state] for s in snaps]
    if args.flag("parent"):
        header.append("Parent")
        for row, s in zip(rows, snaps, strict=True):
            row.append(s.parent or "")
    ctl.output.table(doc, header, rows)


def _time(epoch: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(epoch))


@command(
    "snapshot-current",
    SNAPSHOT,
    "Get the current snapshot",
    "Get the current snapshot",
    _DOM,
    flag("name", "list the name, rather than the full xml"),
)
def snapshot_current(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"))
    with failing():
        name = dom.current_snapshot()
    if name is None:
        raise CommandError(f"domain '{dom.name}' has no current snapshot")
    if args.flag("name"):
        ctl.output.data(name, name)  # no blank line after it, as in virsh
        return
    with failing():
        xml = dom.snapshot_xml(name)
    ctl.output.data(xml, xml)


@command(
    "snapshot-dumpxml",
    SNAPSHOT,
    "Dump XML for a domain snapshot",
    "Snapshot Dump XML",
    _DOM,
    _NAME,
)
def snapshot_dumpxml(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"))
    with failing():
        xml = dom.snapshot_xml(args.req("snapshotname"))
    ctl.output.data(xml, xml)


@command(
    "snapshot-revert",
    SNAPSHOT,
    "Revert a domain to a snapshot",
    "Revert domain to snapshot",
    _DOM,
    _NAME,
)
def snapshot_revert(ctl: Ctl, args: Args) -> None:
    dom, name = ctl.domain(args.req("domain")), args.req("snapshotname")
    with failing():
        dom.revert_to_snapshot(name)
    ctl.output.extra(f"Domain snapshot {name} reverted")


@command(
    "snapshot-delete",
    SNAPSHOT,
    "Delete a domain snapshot",
    "Snapshot Delete",
    _DOM,
    _NAME,
)
def snapshot_delete(ctl: Ctl, args: Args) -> None:
    dom, name = ctl.domain(args.req("domain")), args.req("snapshotname")
    with failing(f"Failed to delete snapshot {name}"):
        dom.delete_snapshot(name)
    ctl.output.extra(f"Domain snapshot {name} deleted")
