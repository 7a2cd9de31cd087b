"""docs/lxc.md cannot rot: its shell blocks run, in order, in a scratch directory."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from pyvirt_lxc.testing import empty_root

DOC = Path(__file__).resolve().parents[3] / "docs" / "lxc.md"


def test_the_walkthrough_runs(tmp_path: Path) -> None:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert len(blocks) >= 5
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    try:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", "\n".join(blocks)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        empty_root(str(tmp_path / "lxc-root"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Domain 'web' started" in out
    assert "web\n/bin/sh\0-i\0\nfrom the host\n" in out
    assert re.search(r" /scratch tmpfs ", out) and re.search(r" /sys sysfs ro,", out)
    assert "hello from the console" in out
    assert "paused" in out and "Domain 'web' destroyed" in out
