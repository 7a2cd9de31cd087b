"""pyvirt never imports libvirt: only the pyvirt-libvirt distribution (which *is* a ``libvirt``)
may, and nothing else may import pyvirt-libvirt's modules either."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPAT = ROOT / "compat" / "pyvirt-libvirt"
_IMPORT = re.compile(
    r"^\s*(?:import|from)\s+(libvirt|libvirtaio|libvirtmod|libvirt_qemu|libvirt_lxc|pyvirt_libvirt)\b", re.M
)


def _product_sources() -> list[Path]:
    trees = [ROOT / "core" / "src", ROOT / "daemon" / "src", *ROOT.glob("plugins/*/src"), *ROOT.glob("compat/*/src")]
    return [path for tree in trees for path in tree.rglob("*.py")]


def test_only_pyvirt_libvirt_imports_libvirt() -> None:
    sources = _product_sources()
    assert any(p.is_relative_to(COMPAT) for p in sources), "the compat distribution is not where expected"
    offenders = [
        str(p.relative_to(ROOT)) for p in sources if not p.is_relative_to(COMPAT) and _IMPORT.search(p.read_text())
    ]
    assert offenders == []


def test_the_check_would_see_an_import() -> None:
    assert _IMPORT.search("x = 1\nimport libvirt\n")
    assert _IMPORT.search("    from libvirt import open\n")
    assert not _IMPORT.search("import libvirtish\n# libvirt's numbers\n")
