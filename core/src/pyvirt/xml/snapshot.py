"""libvirt's ``<domainsnapshot>`` document: what a caller asks for and what a driver stores.

A caller's document names at most the snapshot, its description, where memory goes and, per
disk, ``internal``/``external``/``no`` with an optional new file.  The driver fills in the rest
(state, creation time, parent, the domain's XML at that moment) and keeps the full document as
its metadata; :meth:`SnapshotDef.to_xml` writes it in libvirt's element order so that
``snapshot-dumpxml`` looks like libvirt's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from lxml import etree

from pyvirt.errors import ErrorCode, XMLError
from pyvirt.xml.canonical import serialize
from pyvirt.xml.parser import parse_document

DISK_MODES = ("internal", "external", "no")


@dataclass(frozen=True)
class SnapshotDisk:
    """One ``<disk>`` of a snapshot: the disk's target, how it is snapshotted and, for an
    external snapshot, the new overlay file (empty: the driver picks one)."""

    name: str
    snapshot: str
    file: str = ""
    driver_type: str = ""


@dataclass(frozen=True)
class SnapshotDef:
    """A snapshot's metadata; ``domain_xml`` is the domain as it was when it was taken."""

    name: str
    description: str | None = None
    state: str = ""
    creation_time: int = 0
    parent: str | None = None
    memory: str = ""
    """``internal``, ``external`` or ``no``; empty until the driver decides."""
    disks: tuple[SnapshotDisk, ...] = field(default_factory=tuple)
    domain_xml: str = ""

    @classmethod
    def from_request(cls, xml: str) -> SnapshotDef:
        """Parse a caller's document; an empty one (virsh's ``snapshot-create`` without a
        file) asks for defaults.  The name defaults to the creation time, as in libvirt."""
        now = int(time.time())
        if not xml.strip():
            return cls(name=str(now), creation_time=now)
        return cls._from_root(parse_document(xml, kind="domainsnapshot"), now)

    @classmethod
    def _from_root(cls, root: etree._Element, now: int) -> SnapshotDef:
        """What a caller's parsed document asks for (also the start of reading stored metadata)."""
        if root.tag != "domainsnapshot":
            raise XMLError(
                f"XML error: expected root element 'domainsnapshot', got '{root.tag}'", code=ErrorCode.XML_ERROR
            )
        memory = root.find("memory")
        disks = []
        for el in root.iterfind("disks/disk"):
            name = el.get("name", "")
            mode = el.get("snapshot", "")
            if not name:
                raise XMLError("XML error: missing name from disk snapshot element", code=ErrorCode.XML_ERROR)
            source = el.find("source")
            driver = el.find("driver")
            file = source.get("file", "") if source is not None else ""
            if not mode:
                mode = "external" if file else ""
            if mode and mode not in DISK_MODES:
                raise XMLError(f"XML error: unknown disk snapshot setting '{mode}'", code=ErrorCode.XML_ERROR)
            disks.append(SnapshotDisk(name, mode, file, driver.get("type", "") if driver is not None else ""))
        return cls(
            name=(root.findtext("name") or "").strip() or str(now),
            description=root.findtext("description"),
            creation_time=now,
            memory=memory.get("snapshot", "") if memory is not None else "",
            disks=tuple(disks),
        )

    @classmethod
    def from_xml(cls, xml: str) -> SnapshotDef:
        """Read back a document this module wrote (a driver's stored metadata)."""
        root = parse_document(xml, kind="domainsnapshot")
        request = cls._from_root(root, int(time.time()))
        domain = root.find("domain")
        return replace(
            request,
            state=root.findtext("state") or "",
            creation_time=int(root.findtext("creationTime") or "0"),
            parent=root.findtext("parent/name"),
            domain_xml=etree.tostring(domain, encoding="unicode") if domain is not None else "",
        )

    def with_parent(self, parent: str | None) -> SnapshotDef:
        return replace(self, parent=parent)

    def with_disks(self, disks: tuple[SnapshotDisk, ...]) -> SnapshotDef:
        return replace(self, disks=disks)

    @property
    def external(self) -> bool:
        """True when any disk (or the memory) went to a new file: libvirt's external snapshot."""
        return self.memory == "external" or any(d.snapshot == "external" for d in self.disks)

    def to_xml(self) -> str:
        root = etree.Element("domainsnapshot")
        etree.SubElement(root, "name").text = self.name
        if self.description is not None:
            etree.SubElement(root, "description").text = self.description
        etree.SubElement(root, "state").text = self.state
        if self.parent is not None:
            parent = etree.SubElement(root, "parent")
            etree.SubElement(parent, "name").text = self.parent
        etree.SubElement(root, "creationTime").text = str(self.creation_time)
        etree.SubElement(root, "memory", snapshot=self.memory or "no")
        if self.disks:
            disks = etree.SubElement(root, "disks")
            for disk in self.disks:
                el = etree.SubElement(disks, "disk", name=disk.name, snapshot=disk.snapshot)
                if disk.snapshot == "external":
                    el.set("type", "file")
                    if disk.driver_type:
                        etree.SubElement(el, "driver", type=disk.driver_type)
                    etree.SubElement(el, "source", file=disk.file)
        if self.domain_xml:
            root.append(parse_document(self.domain_xml, kind="domain"))
        return serialize(root)
