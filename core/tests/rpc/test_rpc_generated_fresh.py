"""The committed ``pyvirt/rpc`` protocol modules are exactly what the generator makes today."""

from __future__ import annotations

from pathlib import Path

import pytest
from rpc_genxdr import genxdr

EXPECTED = genxdr.expected_files()


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=lambda p: str(Path(p).relative_to(genxdr.OUTPUT_DIR)))
def test_generated_file_is_fresh(path: Path) -> None:
    assert path.exists(), f"{path} is missing: run python core/tools/genxdr.py"
    assert path.read_text() == EXPECTED[path], f"{path} is stale: run python core/tools/genxdr.py"


def test_no_leftover_shards() -> None:
    assert genxdr.stale_files() == []
    assert genxdr.main(["--check"]) == 0
