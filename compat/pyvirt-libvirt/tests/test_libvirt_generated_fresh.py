"""The generated tables (``tools/genapi.py``) match libvirt 9.0.0's source and libvirt-python 9.0.0.

Skips when the unpacked libvirt source or ``/usr/bin/python3`` with python3-libvirt is absent.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import genapi  # noqa: E402


def _reference_python_has_libvirt() -> bool:
    try:
        done = subprocess.run([genapi.REFERENCE_PYTHON, "-c", "import libvirt"], capture_output=True, check=False)
    except OSError:
        return False
    return done.returncode == 0


@pytest.mark.skipif(not (genapi.LIBVIRT_SOURCE / "include").is_dir(), reason="libvirt 9.0.0 source not unpacked")
@pytest.mark.skipif(not _reference_python_has_libvirt(), reason="no python3-libvirt for /usr/bin/python3")
def test_generated_files_are_current() -> None:
    for path, text in genapi.generate().items():
        assert path.read_text() == text, f"{path.name} is stale: run compat/pyvirt-libvirt/tools/genapi.py"
