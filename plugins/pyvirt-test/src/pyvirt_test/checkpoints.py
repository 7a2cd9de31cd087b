"""Domain checkpoints, as libvirt 9.0's test driver keeps them (metadata only: no disk has a
real bitmap to track).

A running domain without snapshots can take checkpoints; each new one is a child of the
current one and becomes current.  A checkpoint keeps a copy of the domain's definition at that
moment and one entry per disk: a ``bitmap`` named after the checkpoint, or ``no`` for an empty
or read-only drive.  Deleting one hands its children to its parent (or, with CHILDREN, drops the
subtree).  Errors are libvirt's test driver's.
"""

from __future__ import annotations

import time

from pyvirt.errors import (
    ErrorCode,
    ErrorDomain,
    InvalidArgumentError,
    NoDomainCheckpointError,
    OperationFailedError,
    PyvirtError,
    XMLError,
)
from pyvirt_test.sidetables import side_table

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:  # the flag enums load on first use (pyvirt.types.checkpoint): only checkpoint calls need them
    from lxml import etree

    from pyvirt.types import CheckpointCreateFlags, CheckpointDeleteFlags, CheckpointListFlags, CheckpointXMLFlags
    from pyvirt.xml.domain import DomainDef
    from pyvirt_test.state import DomainObj, NodeState


class _Checkpoint:
    __slots__ = ("created", "description", "disks", "domain", "name", "parent")

    def __init__(
        self,
        name: str,
        description: str | None,
        parent: str | None,
        created: int,
        disks: list[tuple[str, str]],
        domain: DomainDef | None,
    ) -> None:
        self.name = name
        self.description = description
        self.parent = parent
        self.created = created
        self.disks = disks
        """(target, "bitmap" or "no") per disk of the domain, in its order."""
        self.domain = domain


class _DomainCheckpoints:
    def __init__(self, owner: DomainObj) -> None:
        self.owner = owner
        self.items: dict[str, _Checkpoint] = {}
        self.current: str | None = None


class CheckpointTable:
    """A node's checkpoints by domain UUID; an entry whose domain object was replaced (the
    domain was undefined and defined again) is stale and starts empty."""

    def __init__(self) -> None:
        self.by_domain: dict[str, _DomainCheckpoints] = {}

    def of(self, obj: DomainObj) -> _DomainCheckpoints:
        found = self.by_domain.get(obj.uuid)
        if found is None or found.owner is not obj:
            found = self.by_domain[obj.uuid] = _DomainCheckpoints(obj)
        return found


class CheckpointCalls:
    """The checkpoint calls of :class:`~pyvirt_test.driver.TestConnection`."""

    _state: NodeState

    if TYPE_CHECKING:

        def _dom(self, uuid: str) -> DomainObj: ...  # from DomainCalls

    def _checkpoints(self, uuid: str) -> _DomainCheckpoints:
        return side_table(self._state, CheckpointTable, CheckpointTable).of(self._dom(uuid))

    def _checkpoint(self, uuid: str, name: str) -> tuple[_DomainCheckpoints, _Checkpoint]:
        checks = self._checkpoints(uuid)
        found = checks.items.get(name)
        if found is None:
            raise NoDomainCheckpointError(
                f"Domain checkpoint not found: no domain checkpoint with matching name '{name}'",
                domain=ErrorDomain.TEST,
            )
        return checks, found

    def domain_checkpoint_create(self, uuid: str, xml: str, flags: CheckpointCreateFlags) -> str:
        from pyvirt.types import CheckpointCreateFlags

        _check_flags(
            flags, CheckpointCreateFlags.REDEFINE | CheckpointCreateFlags.QUIESCE, "testDomainCheckpointCreateXML"
        )
        redefine = bool(flags & CheckpointCreateFlags.REDEFINE)
        with self._state.lock:
            obj = self._dom(uuid)
            checks = self._checkpoints(uuid)
            if obj.snapshots:
                raise _unsupported("cannot create checkpoint while snapshot exists")
            if not obj.active:
                raise _unsupported("cannot create checkpoint for inactive domain")
            root = _parse(xml)
            if redefine:
                return _redefine(checks, root)
            name = root.findtext("name") or str(int(time.time()))
            if name in checks.items:
                raise OperationFailedError(
                    f"operation failed: domain moment {name} already exists", domain=ErrorDomain.DOMAIN
                )
            live = obj.live
            assert live is not None, "an active domain has a live definition"
            domain = live.copy()
            disks = _align_disks(root, domain)
            chk = _Checkpoint(name, root.findtext("description"), checks.current, int(time.time()), disks, domain)
            checks.items[name] = chk
            checks.current = name
            return name

    def domain_checkpoint_list(self, uuid: str, flags: CheckpointListFlags) -> list[str]:
        from pyvirt.types import CheckpointListFlags

        _check_flags(flags, _list_flags(), "testDomainListAllCheckpoints")
        with self._state.lock:
            checks = self._checkpoints(uuid)
            found = list(checks.items.values())
            if flags & CheckpointListFlags.ROOTS:
                found = [c for c in found if c.parent is None]
            return _filter_leaves(checks, found, flags)

    def domain_checkpoint_children(self, uuid: str, name: str, flags: CheckpointListFlags) -> list[str]:
        from pyvirt.types import CheckpointListFlags

        _check_flags(flags, _list_flags(), "testDomainCheckpointListAllChildren")
        with self._state.lock:
            checks = self._checkpoint(uuid, name)[0]
            if flags & CheckpointListFlags.DESCENDANTS:
                found = [checks.items[n] for n in _descendants(checks, name)]
            else:
                found = [c for c in checks.items.values() if c.parent == name]
            return _filter_leaves(checks, found, flags)

    def domain_checkpoint_lookup(self, uuid: str, name: str) -> str:
        with self._state.lock:
            return self._checkpoint(uuid, name)[1].name

    def domain_checkpoint_get_parent(self, uuid: str, name: str) -> str | None:
        with self._state.lock:
            return self._checkpoint(uuid, name)[1].parent

    def domain_checkpoint_get_xml(self, uuid: str, name: str, flags: CheckpointXMLFlags) -> str:
        from pyvirt.types import CheckpointXMLFlags

        _check_flags(
            flags,
            CheckpointXMLFlags.SECURE | CheckpointXMLFlags.NO_DOMAIN | CheckpointXMLFlags.SIZE,
            "testDomainCheckpointGetXMLDesc",
        )
        with self._state.lock:
            obj = self._dom(uuid)
            chk = self._checkpoint(uuid, name)[1]
            if flags & CheckpointXMLFlags.SIZE and not obj.active:
                raise PyvirtError(
                    "Requested operation is not valid: domain is not running",
                    code=ErrorCode.OPERATION_INVALID,
                    domain=ErrorDomain.DOMAIN,
                )
            return _format(chk, flags)

    def domain_checkpoint_delete(self, uuid: str, name: str, flags: CheckpointDeleteFlags) -> None:
        from pyvirt.types import CheckpointDeleteFlags

        _check_flags(
            flags,
            CheckpointDeleteFlags.CHILDREN | CheckpointDeleteFlags.METADATA_ONLY | CheckpointDeleteFlags.CHILDREN_ONLY,
            "testDomainCheckpointDelete",
        )
        with self._state.lock:
            checks, chk = self._checkpoint(uuid, name)
            if flags & (CheckpointDeleteFlags.CHILDREN | CheckpointDeleteFlags.CHILDREN_ONLY):
                doomed = _descendants(checks, name)
                if checks.current in doomed:
                    checks.current = name
                for gone in doomed:
                    del checks.items[gone]
            else:
                for child in checks.items.values():
                    if child.parent == name:
                        child.parent = chk.parent
            if not flags & CheckpointDeleteFlags.CHILDREN_ONLY:
                del checks.items[name]
                if checks.current == name:
                    checks.current = chk.parent


def refuse_snapshot_with_checkpoints(state: NodeState, obj: DomainObj) -> None:
    """libvirt's test driver refuses a snapshot of a domain that has checkpoints (as it refuses
    a checkpoint of one with snapshots).  The connection calls this, under the node's lock,
    before handing a snapshot creation on whatever its arguments (libvirt checks the flags
    first: a call with bad flags on such a domain gets this refusal instead of the flag error)."""
    if side_table(state, CheckpointTable, CheckpointTable).of(obj).items:
        raise _unsupported("cannot create snapshot while checkpoint exists")


def _redefine(checks: _DomainCheckpoints, root: etree._Element) -> str:
    """Store a checkpoint's metadata as given (libvirt's REDEFINE): its name, parent, creation
    time and disks (a bitmap named after the checkpoint where none is given), its domain when
    the document has one.  It replaces a checkpoint of that name, keeping its children, and
    becomes current when there is none or its parent is the current one."""
    from pyvirt.xml.domain import DomainDef

    name = root.findtext("name")
    if not name:
        raise XMLError("XML error: a redefined checkpoint must have a name", domain=ErrorDomain.DOMAIN_CHECKPOINT)
    created = (root.findtext("creationTime") or "").strip()
    if not created.isdigit():
        raise PyvirtError(
            "internal error: missing creationTime from existing checkpoint", domain=ErrorDomain.DOMAIN_CHECKPOINT
        )
    from lxml import etree

    domain_el = root.find("domain")
    domain = DomainDef.from_xml(etree.tostring(domain_el, encoding="unicode")) if domain_el is not None else None
    if domain is not None:
        disks = _align_disks(root, domain)
    else:
        disks = [(d.get("name", ""), d.get("checkpoint", "bitmap")) for d in root.iterfind("disks/disk")]
    parent = root.findtext("parent/name")
    chk = _Checkpoint(name, root.findtext("description"), parent, int(created), disks, domain)
    checks.items[name] = chk
    if checks.current is None or (parent is not None and parent == checks.current):
        checks.current = name
    return name


def _check_flags(flags: int, allowed: int, function: str) -> None:
    refused = int(flags) & ~int(allowed)
    if refused:
        raise InvalidArgumentError(f"unsupported flags (0x{refused:x}) in function {function}", domain=ErrorDomain.TEST)


def _unsupported(message: str) -> PyvirtError:
    return PyvirtError(
        f"Operation not supported: {message}", code=ErrorCode.OPERATION_UNSUPPORTED, domain=ErrorDomain.TEST
    )


def _parse(xml: str) -> etree._Element:
    from pyvirt.xml.parser import parse_document

    root = parse_document(xml, kind="domain_checkpoint")
    if root.tag != "domaincheckpoint":
        raise XMLError(
            f"XML error: expecting root element of 'domaincheckpoint', not '{root.tag}'", domain=ErrorDomain.XML
        )
    return root


def _align_disks(root: etree._Element, domain: DomainDef) -> list[tuple[str, str]]:
    """One entry per disk of the domain: what the document asks (by target), else a bitmap,
    or ``no`` for an empty or read-only drive (virDomainCheckpointAlignDisks)."""
    from lxml import etree

    asked = {d.get("name", ""): d.get("checkpoint", "bitmap") for d in root.iterfind("disks/disk")}
    disks = etree.fromstring(domain.to_xml().encode()).iterfind("devices/disk")
    found: list[tuple[str, str]] = []
    targets = set()
    for disk in disks:
        target = disk.find("target")
        dev = target.get("dev", "") if target is not None else ""
        targets.add(dev)
        empty = disk.find("source") is None or disk.find("readonly") is not None
        kind = asked.get(dev, "no" if empty else "bitmap")
        if empty and kind != "no":
            raise PyvirtError(
                f"unsupported configuration: disk '{dev}' is empty or readonly", code=ErrorCode.CONFIG_UNSUPPORTED
            )
        found.append((dev, kind))
    for dev in asked:
        if dev not in targets:
            raise PyvirtError(f"unsupported configuration: no disk named '{dev}'", code=ErrorCode.CONFIG_UNSUPPORTED)
    if not found:
        raise PyvirtError(
            "unsupported configuration: domain must have at least one disk to perform checkpoints",
            code=ErrorCode.CONFIG_UNSUPPORTED,
        )
    return found


def _descendants(checks: _DomainCheckpoints, name: str) -> list[str]:
    found: list[str] = []
    todo = [name]
    while todo:
        parent = todo.pop()
        for child in checks.items.values():
            if child.parent == parent:
                found.append(child.name)
                todo.append(child.name)
    return found


def _list_flags() -> int:
    """The listing flags libvirt's test driver takes."""
    from pyvirt.types import CheckpointListFlags

    return (
        CheckpointListFlags.ROOTS
        | CheckpointListFlags.TOPOLOGICAL
        | CheckpointListFlags.LEAVES
        | CheckpointListFlags.NO_LEAVES
    )


def _filter_leaves(checks: _DomainCheckpoints, found: list[_Checkpoint], flags: int) -> list[str]:
    from pyvirt.types import CheckpointListFlags

    leaves, no_leaves = bool(flags & CheckpointListFlags.LEAVES), bool(flags & CheckpointListFlags.NO_LEAVES)
    if leaves == no_leaves:
        return [c.name for c in found]
    parents = {c.parent for c in checks.items.values()}
    return [c.name for c in found if (c.name not in parents) == leaves]


def _format(chk: _Checkpoint, flags: int) -> str:
    from pyvirt.types import CheckpointXMLFlags
    from pyvirt.xml.canonical import escape_attr

    def text(value: str) -> str:
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    lines = ["<domaincheckpoint>", f"  <name>{text(chk.name)}</name>"]
    if chk.description is not None:
        lines.append(f"  <description>{text(chk.description)}</description>")
    if chk.parent is not None:
        lines += ["  <parent>", f"    <name>{text(chk.parent)}</name>", "  </parent>"]
    lines.append(f"  <creationTime>{chk.created}</creationTime>")
    lines.append("  <disks>")
    for dev, kind in chk.disks:
        if kind == "bitmap":
            # SIZE asks for bitmap sizes; libvirt 9.0's test driver prints none (observed).
            lines.append(f"    <disk name='{escape_attr(dev)}' checkpoint='bitmap' bitmap='{escape_attr(chk.name)}'/>")
        else:
            lines.append(f"    <disk name='{escape_attr(dev)}' checkpoint='no'/>")
    lines.append("  </disks>")
    if chk.domain is not None and not flags & CheckpointXMLFlags.NO_DOMAIN:
        domain = chk.domain.to_xml(secure=bool(flags & CheckpointXMLFlags.SECURE))
        lines += ["  " + line for line in domain.rstrip("\n").split("\n")]
    lines.append("</domaincheckpoint>")
    return "\n".join(lines) + "\n"
