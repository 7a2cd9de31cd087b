"""Deleting an external snapshot, as libvirt 9.0 does: its overlays are merged down.

An external snapshot left each disk on a new overlay whose backing file holds the disk as it
was.  Deleting the snapshot keeps today's data and drops the point in time: every overlay the
snapshot made is committed into the image below it and removed.  When the overlay is the
disk's active image the disk goes back to the image below (an active commit with a pivot while
the guest runs, ``qemu-img commit`` while it is off); when a later snapshot put another overlay
on top, that one is re-pointed at the image below.  libvirt's refusals are kept: a disk whose
nearest earlier snapshot is internal, and an overlay that is not in the disk's chain.
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, NamedTuple

from lxml import etree

from pyvirt.errors import ErrorCode, ErrorDomain, OperationFailedError, UnsupportedError
from pyvirt.files import remove
from pyvirt.xml.domain import DomainDef
from pyvirt.xml.parser import parse_document
from pyvirt.xml.snapshot import SnapshotDef
from pyvirt_qemu import lifecycle, qemuimg
from pyvirt_qemu.domain import DomainObj, write_status

if TYPE_CHECKING:
    from pyvirt_qemu.driver import QemuDriver
    from pyvirt_qemu.snapshots import Store

JOB_TIMEOUT = 600.0


class Base(NamedTuple):
    """The image an overlay goes back to."""

    path: str
    format: str


class _Merge(NamedTuple):
    target: str
    overlay: str
    base: Base
    above: str | None
    """The image whose backing file is the overlay (a later snapshot's), None when the overlay
    is the disk's active image."""
    alias: str


def discard(drv: QemuDriver, obj: DomainObj, store: Store, snap: SnapshotDef) -> dict[str, Base]:
    """Merge every overlay of ``snap`` into the image below; returns overlay path -> that image."""
    merges = [_plan(drv, obj, store, snap, disk.name, disk.file) for disk in snap.disks if disk.snapshot == "external"]
    for merge in merges:
        if obj.active:
            _commit_live(obj, merge)
        else:
            qemuimg.commit(merge.overlay)
            if merge.above is not None:
                qemuimg.rebase_unsafe(merge.above, merge.base.path, merge.base.format)
        if merge.above is None:
            point_disk(drv, obj, merge.target, merge.base.path, merge.base.format)
        remove(merge.overlay)
    return {m.overlay: m.base for m in merges}


def repoint(child: SnapshotDef, merged: dict[str, Base]) -> SnapshotDef:
    """A later snapshot's domain XML names the overlays that are gone: name their bases instead."""
    if not child.domain_xml:
        return child
    root = parse_document(child.domain_xml, kind="domain")
    for disk in root.iterfind("devices/disk"):
        source = disk.find("source")
        base = merged.get(source.get("file", "")) if source is not None else None
        if source is None or base is None:
            continue
        source.set("file", base.path)
        driver = disk.find("driver")
        if driver is not None:
            driver.set("type", base.format)
    return dataclasses.replace(child, domain_xml=etree.tostring(root, encoding="unicode"))


def point_disk(drv: QemuDriver, obj: DomainObj, target: str, path: str, fmt: str) -> None:
    """The disk ``target`` now reads and writes ``path`` in ``fmt``: live XML and config alike."""

    def change(dfn: DomainDef) -> None:
        for el in dfn.root.iterfind("devices/disk"):
            tgt = el.find("target")
            if tgt is None or tgt.get("dev") != target:
                continue
            el.set("type", "file")
            driver = el.find("driver")
            if driver is None:
                driver = etree.SubElement(el, "driver", name="qemu")
            driver.set("type", fmt)
            source = el.find("source")
            if source is None:
                source = etree.Element("source")
                el.insert(0, source)
            source.attrib.clear()
            source.set("file", path)
        dfn.invalidate()

    with drv.lock:
        if obj.active and obj.live is not None:
            change(obj.live)
            write_status(drv.layout.status_file(obj.name), obj)
        if obj.persistent is not None:
            drv.change_config(obj, change)


def _plan(drv: QemuDriver, obj: DomainObj, store: Store, snap: SnapshotDef, target: str, overlay: str) -> _Merge:
    parent = _parent_for_disk(store, snap, target)
    if parent is not None and not parent.external:
        raise UnsupportedError(
            "Operation not supported: deleting external snapshot that has internal snapshot as parent not supported",
            code=ErrorCode.OPERATION_UNSUPPORTED,
            domain=ErrorDomain.QEMU,
        )
    base = _base_of(snap, target)
    disk = next((d for d in obj.definition.disks if d.target_dev == target), None)
    if disk is None:
        raise OperationFailedError(f"operation failed: disk '{target}' not found", domain=ErrorDomain.QEMU)
    alias = disk.element.find("alias")
    active = lifecycle.disk_paths(drv, obj).get(target, "")
    above: str | None = None
    image = active
    while image and image != overlay:
        above, image = image, _backing(image)
    if not image:
        raise OperationFailedError(
            "operation failed: VM disk source and snapshot disk source are not the same", domain=ErrorDomain.QEMU
        )
    return _Merge(target, overlay, base, above, alias.get("name", "") if alias is not None else "")


def _parent_for_disk(store: Store, snap: SnapshotDef, target: str) -> SnapshotDef | None:
    """The nearest earlier snapshot that captured disk ``target`` (libvirt's walk up the tree)."""
    name = snap.parent
    while name is not None:
        parent = store.read(name)
        if any(d.name == target and d.snapshot != "no" for d in parent.disks):
            return parent
        name = parent.parent
    return None


def _base_of(snap: SnapshotDef, target: str) -> Base:
    """The disk's image when the snapshot was taken: the snapshot's own copy of the domain."""
    if snap.domain_xml:
        dfn = DomainDef.from_xml(snap.domain_xml)
        for disk in dfn.disks:
            if disk.target_dev == target and disk.source:
                driver = disk.element.find("driver")
                return Base(disk.source, driver.get("type", "raw") if driver is not None else "raw")
    raise OperationFailedError(
        f"operation failed: failed to find disk '{target}' in snapshot VM XML", domain=ErrorDomain.QEMU
    )


def _backing(path: str) -> str:
    backing = qemuimg.info(path).backing
    return backing or ""


def _commit_live(obj: DomainObj, merge: _Merge) -> None:
    """``block-commit`` in the running QEMU; an active commit is completed (the pivot) when
    ready.  The job is kept after it ends (no auto-dismiss) so its error can be read."""
    monitor = lifecycle.monitor_of(obj)
    job = f"commit-{merge.alias}"
    args: dict[str, object] = {
        "job-id": job,
        "device": f"drive-{merge.alias}",
        "top": merge.overlay,
        "base": merge.base.path,
        "auto-dismiss": False,
    }
    monitor.execute("block-commit", args)
    deadline = time.monotonic() + JOB_TIMEOUT
    while True:
        found = [j for j in monitor.execute("query-block-jobs") if j.get("device") == job]
        status = found[0].get("status") if found else "concluded"
        if status == "ready":
            monitor.execute("block-job-complete", {"device": job})
        elif status == "concluded":
            error = found[0].get("error") if found else None
            if found:
                monitor.execute("job-dismiss", {"id": job})
            if error:
                raise OperationFailedError(
                    f"internal error: block commit failed while deleting disk '{merge.target}' snapshot: '{error}'",
                    domain=ErrorDomain.QEMU,
                )
            return
        if time.monotonic() > deadline:
            monitor.execute("block-job-cancel", {"device": job, "force": True})
            raise OperationFailedError(
                f"operation failed: block commit of disk '{merge.target}' did not finish", domain=ErrorDomain.QEMU
            )
        time.sleep(0.02)
