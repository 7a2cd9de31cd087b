"""The probe documents of ``probe_libvirt.py`` give real libvirt's dumps (``libvirt-probes/``).

They hold many optional children at once, in reverse order, so they test the element order and
the defaults on documents the corpus does not have.  The driver-side additions are applied as
the test driver applies them (``testnetN`` interface targets); generated values are copied.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from probe_libvirt import DOMAINS, NETWORKS, OUT

from pyvirt.xml.domain import DomainDef
from pyvirt.xml.network import NetworkDef


def _generated(got: str, expected: str) -> str:
    for pattern in (r"interfaceid='[^']*'", r"<uuid>[^<]*</uuid>", r"<mac address='[^']*'/>"):
        ours, theirs = re.findall(pattern, got), re.findall(pattern, expected)
        for mine, libvirts in zip(ours, theirs, strict=False):
            got = got.replace(mine, libvirts, 1)
    return got


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_domain_probe(name: str) -> None:
    expected_path = OUT / f"{name}.xml"
    if not expected_path.exists():
        pytest.skip("probe not recorded")
    dom = DomainDef.from_xml(DOMAINS[name], namespaces=())
    used = {i.target_dev for i in dom.interfaces if i.target_dev}
    counter = 0
    for iface in dom.interfaces:
        if not iface.target_dev:
            while f"testnet{counter}" in used:
                counter += 1
            iface.target_dev = f"testnet{counter}"
            used.add(iface.target_dev)
    assert _generated(dom.to_xml(inactive=True), expected_path.read_text()) == expected_path.read_text()


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_network_probe(name: str) -> None:
    expected = (OUT / f"{name}.xml").read_text()
    assert _generated(NetworkDef.from_xml(NETWORKS[name], namespaces=()).to_xml(), expected) == expected


def test_probes_recorded() -> None:
    assert sorted(p.stem for p in Path(OUT).glob("*.xml")) == sorted([*DOMAINS, *NETWORKS])
