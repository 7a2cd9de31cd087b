"""The machine list of the host capabilities, as libvirt 9.0 prints it for the same binary.

Tools take the first machine a guest arch lists as the one to use (virt-install does), so the
order matters: the default machine first with its alias after it, then QEMU's own order, and
QEMU's ``none`` placeholder left out.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile

import pytest
from lxml import etree

import pyvirt

REAL = """
import sys, libvirt
libvirt.virEventRegisterDefaultImpl()
print(libvirt.open("qemu:///embed?root=" + sys.argv[1]).getCapabilities())
"""


def _machines(caps_xml: str) -> list[tuple[str, dict[str, str]]]:
    caps = etree.fromstring(caps_xml.encode())
    return [
        (m.text or "", {str(k): str(v) for k, v in m.attrib.items()})
        for m in caps.iterfind("guest/arch[@name='x86_64']/machine")
    ]


@pytest.mark.needs_libvirt("bindings")
def test_machines_are_listed_as_libvirt_lists_them(conn: pyvirt.Connection) -> None:
    # a short root of its own: libvirt puts its probe's QMP socket deep below the root, and under
    # pytest's tmp_path (whose number grows with every run on a machine) that path can pass the
    # 108 bytes a unix socket address holds, and libvirt then lists no guest at all
    root = tempfile.mkdtemp(prefix="lvcaps-")
    try:
        real = subprocess.run(
            ["/usr/bin/python3", "-c", REAL, root],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    ours = _machines(conn.get_capabilities())
    assert ours == _machines(real.stdout)
    assert ours[0][1].get("maxCpus") and ours[1][1].get("canonical") == ours[0][0]
