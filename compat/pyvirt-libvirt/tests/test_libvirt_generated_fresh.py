"""The generated tables (``tools/genapi.py``) match libvirt 9.0.0's source and libvirt-python 9.0.0.

Skips when the unpacked libvirt source or ``/usr/bin/python3`` with python3-libvirt is absent.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import genapi  # noqa: E402


@pytest.mark.skipif(genapi.sources_missing() is not None, reason=str(genapi.sources_missing()))
def test_generated_files_are_current() -> None:
    for path, text in genapi.generate().items():
        assert path.read_text() == text, f"{path.name} is stale: run compat/pyvirt-libvirt/tools/genapi.py"
