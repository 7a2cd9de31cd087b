"""A libvirt-python program on ``qemu:///embed``: real libvirt 9.0 and QEMU against pyvirt-libvirt
on pyvirt-qemu.  Both boot the same guest (define, start, suspend, resume, destroy, start paused, resume,
save, restore, reset, managed save, start from it paused, destroy, undefine, with lifecycle
events through the default event loop); values, states and errors must match.

libvirt runs its embedded QEMU driver with ``stdio_handler = "file"`` (no virtlogd here).
Events must be the same sequence, details included: libvirt reports a RESUMED as QEMU leaves
its initial pause before STARTED, and a SHUTDOWN (host) before STOPPED on destroy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "compat" / "pyvirt-libvirt" / "src"


@pytest.fixture
def roots() -> Iterator[tuple[Path, Path]]:
    real = Path(tempfile.mkdtemp(prefix="pe-", dir="/tmp"))
    ours = Path(tempfile.mkdtemp(prefix="pe-", dir="/tmp"))
    real.chmod(0o755)  # libvirt's QEMU runs as its own user and must reach its files
    (real / "etc").mkdir()
    (real / "etc" / "qemu.conf").write_text('stdio_handler = "file"\n')
    yield real, ours
    for root in (real, ours):
        left = subprocess.run(["pgrep", "-f", str(root)], capture_output=True, text=True, check=False).stdout.split()
        for pid in left:
            os.kill(int(pid), 9)
        shutil.rmtree(root, ignore_errors=True)
        assert not left, f"QEMU left running under {root}"


def _run(python: str, root: Path, path: str | None) -> list[dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if path:
        env["PYTHONPATH"] = path
    done = subprocess.run(
        [python, str(HERE / "embed_calls.py"), str(root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.mark.needs_libvirt("bindings")
@pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None, reason="QEMU is not installed")
@pytest.mark.skipif(
    subprocess.run(["getent", "passwd", "libvirt-qemu"], capture_output=True, check=False).returncode != 0,
    reason="needs libvirt: its QEMU driver starts only where the user libvirt-qemu exists"
    " (Debian's libvirt-daemon-system or .ci/run creates it)",
)
def test_embedded_qemu_lifecycle_matches_libvirt(roots: tuple[Path, Path]) -> None:
    real = _run("/usr/bin/python3", roots[0], None)
    ours = _run(sys.executable, roots[1], str(SRC))
    assert [r["call"] for r in ours] == [r["call"] for r in real]
    for mine, theirs in zip(ours, real, strict=True):
        assert mine == theirs, (mine, theirs)
