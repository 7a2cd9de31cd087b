"""Hook plugins installed as distributions (group pyvirt.hooks) observe and veto lifecycles.

The fixture distribution's audit plugin is pip-installed in the test environment; nothing in
these tests registers it by hand.
"""

from pathlib import Path

import pytest

import pyvirt

DOMAIN = "<domain type='test'><name>{}</name><memory>65536</memory><os><type>hvm</type></os></domain>"


def test_installed_hook_plugin_vetoes_define() -> None:
    with pyvirt.open("test:///default") as conn:
        with pytest.raises(pyvirt.OperationDeniedError, match="'forbidden-' are not allowed"):
            conn.define_domain(DOMAIN.format("forbidden-vm"))
        with pytest.raises(pyvirt.NoDomainError):
            conn.lookup_domain_by_name("forbidden-vm")


def test_installed_hook_plugin_observes_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    audit = tmp_path / "audit.log"
    monkeypatch.setenv("PYVIRT_FIXTURE_AUDIT", str(audit))
    with pyvirt.open("test:///default") as conn:
        dom = conn.define_domain(DOMAIN.format("audited-vm"))
        dom.start()
        dom.destroy()
        dom.undefine()
    lines = audit.read_text().splitlines()
    assert [line.split()[1:3] for line in lines] == [
        ["audited-vm", "DEFINED"],
        ["audited-vm", "STARTED"],
        ["audited-vm", "STOPPED"],
        ["audited-vm", "UNDEFINED"],
    ]
    assert all(line.startswith("test:///default ") for line in lines)
