"""``docs/libvirt-python-api.md`` is what ``tools/apitable.py`` generates from the code now."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import apitable


def test_api_table_is_current() -> None:
    assert apitable.PAGE.read_text() == apitable.page(), "run compat/pyvirt-libvirt/tools/apitable.py"


def test_table_marks_overridden_methods_only() -> None:
    assert apitable.supported("virDomain.create")
    assert not apitable.supported("virDomain.blockPull")
    assert apitable.supported("libvirt.open")
    assert not apitable.supported("libvirt_qemu.qemuMonitorCommand")
