"""Per-node tables for the object kinds :class:`~pyvirt_test.state.NodeState` does not hold:
host interfaces, node devices, checkpoints.

Each kind keeps its own table in the node's ``side_tables`` (so a table dies with its node)
and builds it the first time a call needs it: opening ``test:///default`` and ``pyvirsh list``
never pay for them.  A table is read and changed under the node's lock, like the node itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import TypeVar

    from lxml import etree

    from pyvirt_test.state import NodeState

    T = TypeVar("T")


def side_table(state: NodeState, kind: type[T], build: Callable[[], T]) -> T:
    """The node's table of ``kind``, built by ``build()`` on first use (hold ``state.lock``)."""
    tables = state.side_tables
    found = tables.get(kind)
    if found is None:
        found = tables[kind] = build()
    assert isinstance(found, kind)
    return found


def node_file_elements(path: str, tag: str) -> list[etree._Element]:
    """The top-level ``<tag>`` elements of a node file, a ``file=`` reference replaced by the
    root of the file it names (relative to the node file), as libvirt's test driver reads them."""
    from pyvirt.xml.parser import parse_document

    with open(path, "rb") as f:
        root = parse_document(f.read(), kind="node")
    found = []
    for element in root.iterchildren(tag):
        ref = element.get("file")
        if ref is not None:
            with open(os.path.join(os.path.dirname(path), ref), "rb") as f:
                element = parse_document(f.read(), kind=tag)
        found.append(element)
    return found
