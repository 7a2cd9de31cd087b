"""The test driver's node file: a whole imaginary host described in one XML document.

libvirt's test driver opens ``test:///ABSOLUTE/PATH.xml`` by reading a ``<node>`` document
(see libvirt's ``examples/xml/test/testnode.xml``).  It holds the host's CPU and memory and
the objects that exist when the node is opened, each either inline or as
``<domain file="relative/path.xml"/>`` (relative to the node file's folder).  Pools may hold
``<volume>`` children, inline or by ``file=``; a pool given by ``file=`` takes its volumes from
that file, as libvirt does.  Domains may carry elements of the test
namespace (``http://libvirt.org/schemas/domain/test/1.0``): ``runstate`` (a
``virDomainState`` number; default running), ``transient`` and ``hasmanagedsave``.

This module only *reads* the file into plain values: each object is handed back as the XML
text of its own document, so the driver parses it with the same models as any defined
object.  What libvirt's test driver itself refuses (a wrong root element, a bad runstate or
host number, an unreadable file) is worded as libvirt words it, with the line kept in
``XMLError.line``; a malformed document or an invalid object in it names the file and line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from pyvirt.errors import ErrorDomain, XMLError
from pyvirt.types import NodeInfo
from pyvirt.xml.parser import parse_document

TEST_NAMESPACE = "http://libvirt.org/schemas/domain/test/1.0"

_RUNNING = 1
_SHUTOFF = 5
_LAST_STATE = 7
"""The highest ``virDomainState`` (pmsuspended)."""


@dataclass(frozen=True, slots=True)
class NodeDocument:
    """One object's XML document, where it came from (for error messages) and its first line."""

    xml: str
    origin: str
    first_line: int = 1

    def locate(self, exc: XMLError) -> XMLError:
        """Re-word a model's error so it names the file and the line within that file."""
        line = self.first_line + exc.line - 1 if exc.line is not None else self.first_line
        return XMLError(f"{self.origin}:{line}: {_strip_line(exc.message, exc.line)}", line=line, code=exc.code)


@dataclass(frozen=True, slots=True)
class NodeDomain:
    """A domain of the node file and its test-namespace extras."""

    document: NodeDocument
    runstate: int = _RUNNING
    transient: bool = False
    has_managed_save: bool = False


@dataclass(frozen=True, slots=True)
class NodePool:
    """A storage pool of the node file and the volumes listed inside it."""

    document: NodeDocument
    volumes: tuple[NodeDocument, ...] = ()


@dataclass(frozen=True, slots=True)
class NodeFile:
    """Everything a node file describes, in document order."""

    path: str
    node_info: NodeInfo
    domains: tuple[NodeDomain, ...] = ()
    networks: tuple[NodeDocument, ...] = ()
    pools: tuple[NodePool, ...] = field(default=())


def load_node_file(path: str, defaults: NodeInfo) -> NodeFile:
    """Read the node file at ``path`` (and the files it references).

    ``defaults`` is the host the driver reports where the file's ``<cpu>``/``<memory>`` say
    nothing.  Raises :class:`XMLError` naming the file (and the line when the XML is broken).
    """
    root = _parse_file(path)
    if root.tag != "node":
        raise _refused(
            f"XML error: expecting root element of 'node', not '{root.tag}'", root.sourceline, ErrorDomain.XML
        )
    base = os.path.dirname(path)
    domains: list[NodeDomain] = []
    networks: list[NodeDocument] = []
    pools: list[NodePool] = []
    for child in root:
        if not isinstance(child.tag, str):
            continue  # comments, processing instructions
        if child.tag == "domain":
            domains.append(_domain(child, path, base))
        elif child.tag == "network":
            networks.append(_document(child, path, base))
        elif child.tag == "pool":
            # libvirt takes a <pool file=...>'s volumes from that file and ignores the node
            # file's children of it; volume file= paths are relative to the node file's folder.
            document, source = _document_and_root(child, path, base, ("volume",))
            volumes = tuple(_document(vol, document.origin, base) for vol in source.iterchildren("volume"))
            pools.append(NodePool(document, volumes))
        # <interface>, <device> and unknown elements describe objects pyvirt has no API for.
    return NodeFile(path, _node_info(root, path, defaults), tuple(domains), tuple(networks), tuple(pools))


def _node_info(root: Any, path: str, info: NodeInfo) -> NodeInfo:
    cpu = root.find("cpu")
    if cpu is not None:
        numbers = {
            "mhz": "mhz",
            "active": "cpus",
            "nodes": "nodes",
            "sockets": "sockets",
            "cores": "cores",
            "threads": "threads",
        }
        changes: dict[str, Any] = {}
        for tag, attr in numbers.items():
            element = cpu.find(tag)
            if element is not None:
                changes[attr] = _number(element, path)
        model = cpu.find("model")
        if model is not None and model.text:
            changes["model"] = model.text.strip()
        info = info._replace(**changes)
    memory = root.find("memory")
    if memory is not None:
        info = info._replace(memory=_number(memory, path))
    return info


def _number(element: Any, path: str) -> int:
    text = (element.text or "").strip()
    if not text.isdigit():
        where = "cpu " if element.getparent().tag == "cpu" else ""
        raise _refused(f"XML error: invalid node {where}{element.tag} value", element.sourceline)
    return int(text)


def _domain(element: Any, path: str, base: str) -> NodeDomain:
    # The test namespace may be used in the node file or in the referenced domain file.
    document, source = _document_and_root(element, path, base, ())
    runstate, transient, managed = _RUNNING, False, False
    for extra in source.iter(f"{{{TEST_NAMESPACE}}}*"):
        name = etree.QName(extra).localname
        if name == "runstate":
            text = (extra.text or "").strip()
            if not text.isdigit():
                raise _refused("XML error: invalid runstate", extra.sourceline)
            if int(text) > _LAST_STATE:
                raise _refused(f"XML error: runstate '{text}' out of range'", extra.sourceline)  # sic, libvirt's
            runstate = int(text)
        elif name == "transient":
            transient = True
        elif name == "hasmanagedsave":
            managed = True
    if transient and runstate == _SHUTOFF:
        raise _refused("XML error: transient domain cannot have runstate 'shutoff'", document.first_line)
    return NodeDomain(document, runstate, transient, managed)


def _document(element: Any, path: str, base: str, drop: tuple[str, ...] = ()) -> NodeDocument:
    """The object's own document: the referenced file, or the inline element serialized."""
    return _document_and_root(element, path, base, drop)[0]


def _document_and_root(element: Any, path: str, base: str, drop: tuple[str, ...]) -> tuple[NodeDocument, Any]:
    reference = element.get("file")
    if reference is not None:
        target = reference if os.path.isabs(reference) else os.path.join(base, reference)
        root = _parse_file(target)
        return NodeDocument(_serialize(root, drop), target, root.sourceline or 1), root
    return NodeDocument(_serialize(element, drop), path, element.sourceline or 1), element


def _serialize(element: Any, drop: tuple[str, ...]) -> str:
    copy = _clean_copy(element, drop)
    text: str = etree.tostring(copy, encoding="unicode", with_tail=False)
    return text


def _clean_copy(element: Any, drop: tuple[str, ...]) -> Any:
    """A copy without test-namespace elements and the ``drop`` children (pool volumes).

    The copy keeps its line numbers' meaning: removed elements are replaced by nothing, so the
    first line of the copy is the element's own line in the node file.
    """
    import copy as copy_module

    clone = copy_module.deepcopy(element)
    for extra in list(clone.iter(f"{{{TEST_NAMESPACE}}}*")):
        _remove(extra)
    for tag in drop:
        for child in clone.findall(tag):
            _remove(child)
    etree.cleanup_namespaces(clone)
    return clone


def _remove(element: Any) -> None:
    parent = element.getparent()
    if parent is None:
        return
    # Keep the newlines of the removed element's tail so line numbers stay meaningful.
    tail = element.tail or ""
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)


def _refused(message: str, line: int | None, domain: ErrorDomain = ErrorDomain.TEST) -> XMLError:
    """A node file libvirt's test driver refuses, in its words; the line is kept in ``line`` only."""
    error = XMLError(message, domain=domain)
    error.line = line
    return error


def _parse_file(path: str) -> Any:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:  # worded as libvirt's test driver words it (the cause is chained)
        raise XMLError(f"XML error: failed to parse xml document '{path}'", domain=ErrorDomain.TEST) from exc
    try:
        return parse_document(data, kind="node")
    except XMLError as exc:
        raise XMLError(f"{path}:{exc.line}: {_strip_line(exc.message, exc.line)}", line=exc.line) from None


_LINE_COLUMN = re.compile(r",? line \d+, column \d+$")


def _strip_line(message: str, line: int | None) -> str:
    """Drop a trailing ``(line N)``/``line N, column M`` the inner error already carries."""
    message = _LINE_COLUMN.sub("", message)
    if line is None:
        return message
    for suffix in (f" (line {line})", f", line {line}", f" line {line}"):
        if message.endswith(suffix):
            return message[: -len(suffix)]
    return message
