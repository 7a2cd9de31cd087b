"""Checkpoint commands (virsh's 'checkpoint' group): create, list, show and delete checkpoints."""

from __future__ import annotations

from pyvirt.cli.commands import CHECKPOINT, command
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import CommandError, failing, read_file
from pyvirt.cli.parser import Args, argv, data, flag, string

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from pyvirt.checkpoint import Checkpoint
    from pyvirt.domain import Domain
    from pyvirt.types import CheckpointCreateFlags

_DOM = data("domain", "domain name, id or uuid", complete="domain")
_NAME = data("checkpointname", "checkpoint name", required=False)


def _checkpoint(ctl: Ctl, args: Args, option: str = "checkpointname") -> Checkpoint:
    """The checkpoint an option names (virsh's virshLookupCheckpoint; libvirt 9.0 has no
    "current checkpoint", so the name is required)."""
    name = args.get(option)
    dom = ctl.domain(args.req("domain"))
    if name is None:
        raise CommandError(f"--{option} is required")
    with failing():
        return dom.lookup_checkpoint(name)


def _created(ctl: Ctl, dom: Domain, xml: str, flags: CheckpointCreateFlags, source: str | None) -> None:
    with failing():
        name = dom.create_checkpoint(xml, flags).name
    text = f"Domain checkpoint {name} created" + (f" from '{source}'" if source else "")
    if ctl.output.json:
        ctl.output.data({"name": name}, "")
    elif not ctl.output.quiet:
        ctl.output.out.write(text)  # no newline of its own, as virsh prints it


@command(
    "checkpoint-create",
    CHECKPOINT,
    "Create a checkpoint from XML",
    "Create a checkpoint from XML for use in future incremental backups",
    _DOM,
    data("xmlfile", "domain checkpoint XML", required=False, complete="file"),
    flag("redefine", "redefine metadata for existing checkpoint"),
    flag("redefine-validate", "validate the redefined checkpoint"),
    flag("quiesce", "quiesce guest's file systems"),
)
def checkpoint_create(ctl: Ctl, args: Args) -> None:
    from pyvirt.types import CheckpointCreateFlags

    if args.flag("redefine-validate") and not args.flag("redefine"):
        raise CommandError("Option --redefine is required by option --redefine-validate")
    flags = CheckpointCreateFlags.NONE
    for option in ("redefine", "redefine-validate", "quiesce"):
        if args.flag(option):
            flags |= CheckpointCreateFlags[option.upper().replace("-", "_")]
    dom = ctl.domain(args.req("domain"))
    path = args.get("xmlfile")
    xml = read_file(path) if path is not None else "<domaincheckpoint/>"
    _created(ctl, dom, xml, flags, path)


@command(
    "checkpoint-create-as",
    CHECKPOINT,
    "Create a checkpoint from a set of args",
    "Create a checkpoint from arguments for use in future incremental backups",
    _DOM,
    data("name", "name of checkpoint", required=False),
    data("description", "description of checkpoint", required=False),
    flag("print-xml", "print XML document rather than create"),
    flag("quiesce", "quiesce guest's file systems"),
    argv("diskspec", "disk attributes: disk[,checkpoint=type][,bitmap=name]", required=False),
)
def checkpoint_create_as(ctl: Ctl, args: Args) -> None:
    from pyvirt.types import CheckpointCreateFlags
    from pyvirt.xml.checkpoint import CheckpointDisk, checkpoint_document

    dom = ctl.domain(args.req("domain"))
    disks = []
    for spec in args.words("diskspec"):
        disk, *rest = spec.split(",")
        attrs: dict[str, str | None] = {"checkpoint": None, "bitmap": None}
        for item in rest:
            key, eq, value = item.partition("=")
            if not eq or key not in attrs or attrs[key] is not None:
                raise CommandError(f"unable to parse diskspec: {spec}")
            attrs[key] = value
        disks.append(CheckpointDisk(disk, attrs["checkpoint"], attrs["bitmap"]))
    with failing():
        xml = checkpoint_document(args.get("name"), args.get("description"), disks)
    if args.flag("print-xml"):
        ctl.output.print(xml)
        return
    flags = CheckpointCreateFlags.QUIESCE if args.flag("quiesce") else CheckpointCreateFlags.NONE
    _created(ctl, dom, xml, flags, None)


@command(
    "checkpoint-list",
    CHECKPOINT,
    "List checkpoints for a domain",
    "Checkpoint List",
    _DOM,
    flag("parent", "add a column showing parent checkpoint"),
    flag("roots", "list only checkpoints without parents"),
    flag("leaves", "list only checkpoints without children"),
    flag("no-leaves", "list only checkpoints that are not leaves (with children)"),
    flag("tree", "list checkpoints in a tree"),
    string("from", "limit list to children of given checkpoint"),
    flag("descendants", "with --from, list all descendants"),
    flag("name", "list checkpoint names only"),
    flag("topological", "sort list topologically rather than by name"),
)
def checkpoint_list(ctl: Ctl, args: Args) -> None:
    from pyvirt.types import CheckpointListFlags

    tree, parent, roots = args.flag("tree"), args.flag("parent"), args.flag("roots")
    for one, other in (("tree", "name"), ("parent", "roots"), ("parent", "tree"), ("roots", "tree"), ("roots", "from")):
        if args.values.get(one) is not None and args.values.get(other) is not None:
            raise CommandError(f"Options --{one} and --{other} are mutually exclusive")
    flags = CheckpointListFlags.NONE
    for option, bit in (("leaves", CheckpointListFlags.LEAVES), ("no-leaves", CheckpointListFlags.NO_LEAVES)):
        if args.flag(option):
            if tree:
                raise CommandError(f"--{option} and --tree are mutually exclusive")
            flags |= bit
    if args.flag("topological"):
        flags |= CheckpointListFlags.TOPOLOGICAL
    if roots:
        flags |= CheckpointListFlags.ROOTS
    if args.flag("descendants"):
        if args.get("from") is None:
            raise CommandError("--descendants requires --from")
        flags |= CheckpointListFlags.DESCENDANTS
    dom = ctl.domain(args.req("domain"))
    start = _checkpoint(ctl, args, "from") if args.get("from") is not None else None
    with failing("unexpected problem querying checkpoints"):
        found = start.children(flags) if start is not None else dom.list_checkpoints(flags)
        facts = {c.name: _facts(c) for c in found}
    names = list(facts)
    if tree:
        parents = {name: facts[name][1] for name in names}
        if start is not None:
            names.append(start.name)
            parents[start.name] = None
        if not flags & CheckpointListFlags.TOPOLOGICAL:
            names.sort(key=str.lower)
        from pyvirt.cli.tree import render_tree

        ctl.output.data(parents, render_tree(names, parents))
        return
    if not flags & CheckpointListFlags.TOPOLOGICAL:
        names.sort(key=str.lower)  # virsh sorts by name, ignoring case
    if args.flag("name"):
        ctl.output.data(names, "".join(f"{name}\n" for name in names))
        return
    doc = [{"name": n, "creation_time": facts[n][0], "parent": facts[n][1]} for n in names]
    header = ["Name", "Creation Time"]
    rows = [[n, _time(facts[n][0])] for n in names]
    if parent:
        header.append("Parent")
        for row, n in zip(rows, names, strict=True):
            row.append(facts[n][1] or "")
    ctl.output.table(doc, header, rows)


def _facts(chk: Checkpoint) -> tuple[int, str | None]:
    """(creation time, parent name) read from the checkpoint's document."""
    from pyvirt.types import CheckpointXMLFlags
    from pyvirt.xml.checkpoint import checkpoint_facts

    return checkpoint_facts(chk.xml(CheckpointXMLFlags.NO_DOMAIN))


def _time(epoch: int) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(epoch))


@command(
    "checkpoint-dumpxml",
    CHECKPOINT,
    "Dump XML for a domain checkpoint",
    "Checkpoint Dump XML",
    _DOM,
    _NAME,
    flag("security-info", "include security sensitive information in XML dump"),
    flag("no-domain", "exclude <domain> from XML"),
    flag("size", "include backup size estimate in XML dump"),
)
def checkpoint_dumpxml(ctl: Ctl, args: Args) -> None:
    from pyvirt.types import CheckpointXMLFlags

    flags = CheckpointXMLFlags.NONE
    for option, bit in (
        ("security-info", CheckpointXMLFlags.SECURE),
        ("no-domain", CheckpointXMLFlags.NO_DOMAIN),
        ("size", CheckpointXMLFlags.SIZE),
    ):
        if args.flag(option):
            flags |= bit
    chk = _checkpoint(ctl, args)
    with failing():
        xml = chk.xml(flags)
    ctl.output.print(xml.rstrip("\n"))


@command(
    "checkpoint-parent",
    CHECKPOINT,
    "Get the name of the parent of a checkpoint",
    "Extract the checkpoint's parent, if any",
    _DOM,
    data("checkpointname", "find parent of checkpoint name", required=False),
)
def checkpoint_parent(ctl: Ctl, args: Args) -> None:
    chk = _checkpoint(ctl, args)
    with failing():
        parent = chk.parent()
    if parent is None:
        raise CommandError(f"checkpoint '{chk.name}' has no parent")
    ctl.output.data(parent.name, parent.name)  # no newline of its own, as virsh prints it


@command(
    "checkpoint-delete",
    CHECKPOINT,
    "Delete a domain checkpoint",
    "Checkpoint Delete",
    _DOM,
    _NAME,
    flag("children", "delete checkpoint and all children"),
    flag("children-only", "delete children but not checkpoint"),
    flag("metadata", "delete only libvirt metadata, leaving checkpoint contents behind"),
)
def checkpoint_delete(ctl: Ctl, args: Args) -> None:
    from pyvirt.types import CheckpointDeleteFlags

    flags = CheckpointDeleteFlags.NONE
    for option, bit in (
        ("children", CheckpointDeleteFlags.CHILDREN),
        ("children-only", CheckpointDeleteFlags.CHILDREN_ONLY),
        ("metadata", CheckpointDeleteFlags.METADATA_ONLY),
    ):
        if args.flag(option):
            flags |= bit
    chk = _checkpoint(ctl, args)
    with failing(f"Failed to delete checkpoint {chk.name}"):
        chk.delete(flags)
    what = "children deleted" if flags & CheckpointDeleteFlags.CHILDREN_ONLY else "deleted"
    ctl.output.extra(f"Domain checkpoint {chk.name} {what}")


@command(
    "checkpoint-info",
    CHECKPOINT,
    "checkpoint information",
    "Returns basic information about a checkpoint.",
    _DOM,
    _NAME,
)
def checkpoint_info(ctl: Ctl, args: Args) -> None:
    from pyvirt.types import CheckpointListFlags

    chk = _checkpoint(ctl, args)
    with failing():
        parent = chk.parent()
        children = len(chk.children())
        descendants = len(chk.children(CheckpointListFlags.DESCENDANTS))
    doc = {
        "name": chk.name,
        "domain": chk.domain.name,
        "parent": parent.name if parent else None,
        "children": children,
        "descendants": descendants,
    }
    pairs = [
        ("Name", chk.name),
        ("Domain", chk.domain.name),
        ("Parent", parent.name if parent else "-"),
        ("Children", str(children)),
        ("Descendants", str(descendants)),
    ]
    ctl.output.fields(doc, pairs)
