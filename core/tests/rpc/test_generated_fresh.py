"""The committed ``pyvirt/rpc/*_protocol.py`` modules are exactly what the generator makes today."""

from __future__ import annotations

import pytest
from rpc_genxdr import genxdr


@pytest.mark.parametrize(("source", "target", "prefix"), genxdr.MODULES, ids=[m[1] for m in genxdr.MODULES])
def test_generated_module_is_fresh(source: str, target: str, prefix: str | None) -> None:
    expected = genxdr.generate((genxdr.PROTOCOL_DIR / source).read_text(), source, prefix)
    actual = (genxdr.OUTPUT_DIR / target).read_text()
    assert actual == expected, f"{target} is stale: run python core/tools/genxdr.py"


def test_check_mode_reports_fresh_tree() -> None:
    assert genxdr.main(["--check"]) == 0
