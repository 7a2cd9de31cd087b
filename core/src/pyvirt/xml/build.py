"""Small documents built from values (``pool-define-as``, ``vol-create-as``, ``vol-clone``,
``snapshot-create-as``).

Callers hand over plain strings; the document is made as an lxml tree, so every name is
escaped by the serializer and no caller ever pastes markup.  Elements are created in the order
virsh writes them, and the text is laid out the way the matching virsh command prints it, so
``--print-xml`` outputs compare byte for byte with virsh's (except that virsh 9.0 pastes
``&``, ``<`` and quotes unescaped, which makes a malformed document; these are escaped here).

Importing this module imports lxml: the CLI imports it only inside the commands that need it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from lxml import etree

from pyvirt.errors import XMLError
from pyvirt.xml.canonical import serialize
from pyvirt.xml.parser import first_child, parse_document

__all__ = ["DiskSpec", "pool_document", "renamed_volume", "snapshot_document", "volume_document"]


def _child(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    """Append ``<tag attrs>text</tag>`` to ``parent``; a value XML cannot carry is an XMLError."""
    try:
        child = etree.SubElement(parent, tag, attrs)
        if text is not None:
            child.text = text
    except ValueError as exc:  # control characters, NUL: lxml refuses what XML cannot hold
        raise XMLError(f"(xml) value not allowed in XML for <{tag}>: {exc}") from None
    return child


def pool_document(
    name: str,
    pool_type: str,
    *,
    source_host: str | None = None,
    source_path: str | None = None,
    source_dev: str | None = None,
    source_format: str | None = None,
    source_name: str | None = None,
    target: str | None = None,
) -> str:
    """The pool document virsh's ``pool-define-as`` builds from its options, in its order."""
    root = etree.Element("pool")
    try:
        root.set("type", pool_type)
    except ValueError as exc:
        raise XMLError(f"(xml) value not allowed in XML for <pool type>: {exc}") from None
    _child(root, "name", name)
    if any(v is not None for v in (source_host, source_path, source_dev, source_format, source_name)):
        source = _child(root, "source")
        if source_host is not None:
            _child(source, "host", name=source_host)
        if source_path is not None:
            _child(source, "dir", path=source_path)
        if source_dev is not None:
            _child(source, "device", path=source_dev)
        if source_format is not None:
            _child(source, "format", type=source_format)
        if source_name is not None:
            _child(source, "name", source_name)
    if target is not None:
        _child(_child(root, "target"), "path", target)
    return serialize(root)


class DiskSpec(NamedTuple):
    """One ``--diskspec`` of ``snapshot-create-as``: a disk and where its snapshot goes."""

    name: str
    snapshot: str | None = None
    driver: str | None = None
    stype: str | None = None
    file: str | None = None


def snapshot_document(name: str | None, description: str | None, disks: Sequence[DiskSpec] = ()) -> str:
    """The ``<domainsnapshot>`` request virsh's ``snapshot-create-as`` builds from its options."""
    root = etree.Element("domainsnapshot")
    if name:
        _child(root, "name", name)
    if description:
        _child(root, "description", description)
    if disks:
        parent = _child(root, "disks")
        for spec in disks:
            disk = _child(parent, "disk", name=spec.name)
            if spec.snapshot is not None:
                disk.set("snapshot", spec.snapshot)
            if spec.stype is not None:
                disk.set("type", spec.stype)
            if spec.driver is not None:
                _child(disk, "driver", type=spec.driver)
            if spec.file is not None:
                _child(disk, "source", **{"dev" if spec.stype == "block" else "file": spec.file})
    if not len(root):
        root.text = "\n"  # virsh writes an empty request as an open and a close tag
    return serialize(root)


def volume_document(
    name: str, capacity: int, *, allocation: int | None = None, volume_format: str | None = None
) -> str:
    """The volume document virsh's ``vol-create-as`` builds (sizes in bytes, no unit)."""
    root = etree.Element("volume")
    _child(root, "name", name)
    _child(root, "capacity", str(capacity))
    if allocation is not None:
        _child(root, "allocation", str(allocation))
    if volume_format is not None:
        _child(_child(root, "target"), "format", type=volume_format)
    return serialize(root)


def renamed_volume(xml: str, name: str) -> str:
    """Volume document ``xml`` with its ``<name>`` set to ``name``, for ``vol-clone``.

    Laid out as virsh's ``vol-clone --print-xml`` prints it: libxml2's own output (double
    quotes, no XML declaration, no trailing newline).  Raises XMLError when ``xml`` is not a
    volume document with a name.
    """
    root = parse_document(xml, kind="volume")
    element = first_child(root, "name") if root.tag == "volume" else None
    if element is None:
        raise XMLError("(xml) volume XML has no <name> element")
    try:
        element.text = name
    except ValueError as exc:
        raise XMLError(f"(xml) value not allowed in XML for <name>: {exc}") from None
    return etree.tostring(root, encoding="unicode", pretty_print=True).rstrip("\n")
