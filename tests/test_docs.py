"""Documentation that can't rot: every hook is documented and exercised, generated pages are current."""

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from pyvirt import hookspecs

REPO = Path(__file__).resolve().parents[1]
HOOKS = {name: f for name, f in vars(hookspecs).items() if callable(f) and hasattr(f, "pyvirt_spec")}


def test_hooks_exist() -> None:
    assert {"connect_open", "domain_define", "domain_start", "domain_stop", "domain_undefine", "domain_event"} <= set(
        HOOKS
    )


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_is_documented(name: str) -> None:
    doc = inspect.getdoc(HOOKS[name]) or ""
    assert "Called by" in doc, f"{name}: say where it is called"
    for param in inspect.signature(HOOKS[name]).parameters:
        assert f":param {param}:" in doc, f"{name}: parameter {param} undocumented"


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_is_exercised_by_a_test_or_plugin(name: str) -> None:
    sources = [
        *REPO.glob("tests/**/*.py"),
        *REPO.glob("core/src/pyvirt/testing/**/*.py"),
        *REPO.glob("plugins/*/src/**/*.py"),
    ]
    implemented = [p for p in sources if f"def {name}(" in p.read_text() and p.name != "hookspecs.py"]
    assert implemented, f"no test or plugin implements hook {name}"


def test_generated_pages_are_current() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "docs" / "generate.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
