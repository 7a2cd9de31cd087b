"""The project's external yardstick: shared/tools/xml_corpus.py scores pyvirsh on the corpus.

It defines every corpus document through the CLI on an empty test node, dumps it back and
compares with what real libvirt 9.0's test driver returned, and checks every invalid document
is refused without a traceback.  Anything short of a full score fails.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("PYVIRT_SHARED", Path(__file__).resolve().parents[2] / "shared"))
SCORER = SHARED / "tools" / "xml_corpus.py"


@pytest.mark.skipif(not SCORER.exists(), reason=f"{SCORER} not found (set PYVIRT_SHARED)")
def test_pyvirsh_scores_full_marks_on_the_corpus() -> None:
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    result = subprocess.run(
        [sys.executable, str(SCORER), "--cli", "pyvirsh", "--corpus", str(SHARED / "corpus")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary == "domain 158/158 network 42/42 pool 38/38 vol 19/19 invalid 29/29", summary
