"""Snapshot commands (virsh's 'snapshot' group): take, list, show, revert and delete snapshots."""

from __future__ import annotations

import time

from pyvirt.cli.commands import SNAPSHOT, command
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import CommandError, failing, read_file
from pyvirt.cli.parser import Args, data, flag, string

_DOM = data("domain", "domain name, id or uuid", complete="domain")
_NAME = data("snapshotname", "snapshot name")


def _created(ctl: Ctl, name: str) -> None:
    """virsh ends this line with the newline every command gets, and adds no blank line."""
    if not (ctl.output.quiet or ctl.output.json):
        ctl.output.out.write(f"Domain snapshot {name} created")


@command(
    "snapshot-create",
    SNAPSHOT,
    "Create a snapshot from XML",
    "Create a snapshot (disk and RAM) from XML",
    _DOM,
    data("xmlfile", "domain snapshot XML", required=False, complete="file"),
    flag("disk-only", "capture disk state but not vm state"),
)
def snapshot_create(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"))
    path = args.get("xmlfile")
    xml = read_file(path) if path else ""
    with failing():
        name = dom.create_snapshot(xml, disk_only=args.flag("disk-only"))
    _created(ctl, name)


@command(
    "snapshot-create-as",
    SNAPSHOT,
    "Create a snapshot from a set of args",
    "Create a snapshot (disk and RAM) from arguments",
    _DOM,
    data("name", "name of snapshot", required=False),
    string("description", "description of snapshot"),
    flag("disk-only", "capture disk state but not vm state"),
    flag("print-xml", "print XML document rather than create"),
)
def snapshot_create_as(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"))
    from pyvirt.xml.build import snapshot_document

    xml = snapshot_document(args.get("name"), args.get("description"))
    if args.flag("print-xml"):
        ctl.output.print(xml)  # virsh leaves a blank line after the document
        return
    with failing():
        name = dom.create_snapshot(xml, disk_only=args.flag("disk-only"))
    _created(ctl, name)


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
