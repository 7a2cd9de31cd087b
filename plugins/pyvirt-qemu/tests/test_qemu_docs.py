"""docs/qemu.md runs: each shell block in order, in one directory, its output compared with the
text block after it; then the Python example.  Values QEMU picks (pty numbers, the VNC port)
and blank lines are normalised."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from qemu_helpers import kill_and_reap, qemu_pids

DOC = Path(__file__).resolve().parents[3] / "docs" / "qemu.md"
PAIRS = re.findall(r"```sh\n(.*?)```\s*```text\n(.*?)```", DOC.read_text(), flags=re.S)
PYTHON = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


def _normalise(text: str) -> list[str]:
    text = re.sub(r"/dev/pts/\d+", "/dev/pts/N", text)
    text = re.sub(r"port='59\d\d'", "port='59NN'", text)
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def test_the_walkthrough_runs_as_written(root: Path) -> None:
    assert len(PAIRS) >= 3 and PYTHON
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    exports = ""
    for commands, expected in PAIRS:
        script = exports + commands
        exports += "".join(line + "\n" for line in commands.splitlines() if line.startswith("export "))
        done = subprocess.run(["bash", "-ec", script], cwd=root, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert _normalise(done.stdout)[-len(_normalise(expected)) :] == _normalise(expected)
    example = PYTHON[0].replace("/tmp/vms-python", str(root / "py"))
    done = subprocess.run([sys.executable, "-c", example], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "demo STARTED" in done.stdout and "demo STOPPED" in done.stdout
    left = qemu_pids(str(root))
    kill_and_reap(left)
    if left:
        pytest.fail(f"the walk-through left QEMU running: {left}")
