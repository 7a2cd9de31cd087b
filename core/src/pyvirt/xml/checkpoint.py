"""``<domaincheckpoint>`` documents for the CLI: built from values (``checkpoint-create-as``)
and the facts a listing shows read back (creation time, parent).

Built as an lxml tree, so names are escaped by the serializer; laid out as virsh 9.0 writes
``checkpoint-create-as --print-xml`` (an empty document is an open/close pair, not ``<x/>``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from lxml import etree

from pyvirt.errors import XMLError
from pyvirt.xml.canonical import serialize
from pyvirt.xml.parser import parse_document

__all__ = ["CheckpointDisk", "checkpoint_document", "checkpoint_facts"]


class CheckpointDisk(NamedTuple):
    """One ``--diskspec`` of ``checkpoint-create-as``: a disk, its checkpoint type and bitmap."""

    name: str
    checkpoint: str | None = None
    bitmap: str | None = None


def _child(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    try:
        child = etree.SubElement(parent, tag, attrs)
        if text is not None:
            child.text = text
    except ValueError as exc:  # control characters: lxml refuses what XML cannot hold
        raise XMLError(f"(xml) value not allowed in XML for <{tag}>: {exc}") from None
    return child


def checkpoint_document(name: str | None, description: str | None, disks: Sequence[CheckpointDisk]) -> str:
    root = etree.Element("domaincheckpoint")
    if name is not None:
        _child(root, "name", name)
    if description is not None:
        _child(root, "description", description)
    if disks:
        holder = _child(root, "disks")
        for disk in disks:
            attrs = {"name": disk.name}
            if disk.checkpoint is not None:
                attrs["checkpoint"] = disk.checkpoint
            if disk.bitmap is not None:
                attrs["bitmap"] = disk.bitmap
            _child(holder, "disk", **attrs)
    if len(root) == 0:
        return "<domaincheckpoint>\n</domaincheckpoint>\n"
    return serialize(root)


def checkpoint_facts(xml: str) -> tuple[int, str | None]:
    """(creation time in seconds, parent's name or None) of a checkpoint's document."""
    root = parse_document(xml, kind="domaincheckpoint")
    created = (root.findtext("creationTime") or "0").strip()
    return int(created) if created.isdigit() else 0, root.findtext("parent/name")
