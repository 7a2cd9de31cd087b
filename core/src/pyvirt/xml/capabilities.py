"""The test driver's capabilities document (``virsh capabilities`` on a ``test:///`` node).

libvirt's test driver describes a fixed, imaginary i686 host with ``hvm`` and ``xen`` guests of
domain type ``test``; only its NUMA cells and security model vary, and the driver owns those
facts (two cells for ``test:///default``, none for a node file).  The text is built here, in
the XML package, because XML is only written by ``pyvirt.xml``; it is formatted as libvirt
formats it so the output can be compared with real virsh byte for byte.  Importing this module
does not import lxml: the document is plain text, and :func:`cell_ids` (which reads any
driver's document) imports the parser on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Cell(Protocol):
    """One NUMA cell as the document shows it: memory in KiB, its page size and its CPUs."""

    @property
    def id(self) -> int: ...
    @property
    def memory_kib(self) -> int: ...
    @property
    def page_size_kib(self) -> int: ...
    @property
    def pages(self) -> int: ...
    @property
    def cpus(self) -> range: ...
    @property
    def socket(self) -> int: ...


_HUGE_PAGES_KIB = (2048, 1048576)


def capabilities_xml(cells: Sequence[Cell], security_model: str, security_doi: str = "") -> str:
    """The capabilities document of a test node with ``cells`` (empty for a node file)."""
    out = [
        "<capabilities>\n",
        "\n",
        "  <host>\n",
        "    <cpu>\n",
        "      <arch>i686</arch>\n",
        "      <features>\n",
        "        <pae/>\n",
        "        <nonpae/>\n",
        "      </features>\n",
    ]
    out += [f"      <pages unit='KiB' size='{size}'/>\n" for size in (4, 8, *_HUGE_PAGES_KIB)]
    out += [
        "    </cpu>\n",
        "    <power_management/>\n",
        "    <iommu support='no'/>\n",
        "    <topology>\n",
        f"      <cells num='{len(cells)}'>\n",
    ]
    for cell in cells:
        out.append(f"        <cell id='{cell.id}'>\n")
        out.append(f"          <memory unit='KiB'>{cell.memory_kib}</memory>\n")
        out.append(f"          <pages unit='KiB' size='{cell.page_size_kib}'>{cell.pages}</pages>\n")
        out += [f"          <pages unit='KiB' size='{size}'>0</pages>\n" for size in _HUGE_PAGES_KIB]
        out.append(f"          <cpus num='{len(cell.cpus)}'>\n")
        for core, cpu in enumerate(cell.cpus):
            ids = f"id='{cpu}' socket_id='{cell.socket}' die_id='0' core_id='{core}' siblings='{cpu}'"
            out.append(f"            <cpu {ids}/>\n")
        out.append("          </cpus>\n")
        out.append("        </cell>\n")
    out += [
        "      </cells>\n",
        "    </topology>\n",
        "    <secmodel>\n",
        f"      <model>{security_model}</model>\n",
        f"      <doi>{security_doi}</doi>\n",
        "    </secmodel>\n",
        "  </host>\n",
        "\n",
    ]
    for os_type in ("hvm", "xen"):
        out += [
            "  <guest>\n",
            f"    <os_type>{os_type}</os_type>\n",
            "    <arch name='i686'>\n",
            "      <wordsize>32</wordsize>\n",
            "      <emulator>/usr/bin/test-hv</emulator>\n",
            "      <domain type='test'/>\n",
            "    </arch>\n",
            "    <features>\n",
            "      <pae/>\n",
            "      <nonpae/>\n",
            "    </features>\n",
            "  </guest>\n",
            "\n",
        ]
    out.append("</capabilities>\n")
    return "".join(out)


def cell_ids(xml: str) -> list[int]:
    """The ``id`` of every NUMA cell a capabilities document lists, in document order.

    Reads any driver's document (``virsh freecell --all`` asks for exactly these cells, not
    ``0..nodes-1``).  Parsing imports lxml, so it is imported here, on first use, and the rest
    of this module stays lxml-free.
    """
    from pyvirt.xml.parser import parse_document

    root = parse_document(xml, kind="capabilities")
    return [int(cell.get("id", "0")) for cell in root.iterfind("host/topology/cells/cell")]
