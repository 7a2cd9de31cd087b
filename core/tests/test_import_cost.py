"""`import pyvirt` stays light: no driver, no lxml, no pluggy, no importlib.metadata."""

import json
import subprocess
import sys

HEAVY = ("lxml", "pluggy", "structlog", "importlib.metadata", "importlib_metadata", "pyvirt_test", "pyvirt.xml")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_import_pyvirt_loads_nothing_heavy() -> None:
    loaded = _modules_after("import pyvirt")
    assert not [m for m in loaded if m.startswith(HEAVY)]


def test_opening_a_scheme_imports_only_that_driver() -> None:
    loaded = _modules_after("import pyvirt\npyvirt.open('test:///default').close()")
    assert "pyvirt_test" in loaded
    assert not [m for m in loaded if m.startswith(("pyvirt_qemu", "pyvirt_lxc", "pyvirt_fixture"))]
    assert "importlib.metadata" not in loaded
