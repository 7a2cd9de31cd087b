"""The generator ``core/tools/genxdr.py`` as a module for the RPC tests (it is a tool, not package code)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

TOOLS = Path(__file__).resolve().parents[2] / "tools"


def load_genxdr() -> ModuleType:
    if "genxdr" in sys.modules:
        return sys.modules["genxdr"]
    spec = importlib.util.spec_from_file_location("genxdr", TOOLS / "genxdr.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["genxdr"] = module
    spec.loader.exec_module(module)
    return module


genxdr = load_genxdr()
