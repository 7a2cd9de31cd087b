"""The probe documents of ``probe_libvirt.py`` give real libvirt's dumps (``libvirt-probes/``).

They hold many optional children at once, in reverse order, so they test the element order and
the defaults on documents the corpus does not have.  The driver-side additions are applied as
the test driver applies them (``testnetN`` interface targets); generated values are copied.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from probe_libvirt import DOMAINS, NETWORKS, OUT
from xmlcorpus import copy_generated, name_interfaces

from pyvirt.xml.domain import DomainDef
from pyvirt.xml.network import NetworkDef


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_domain_probe(name: str) -> None:
    expected_path = OUT / f"{name}.xml"
    if not expected_path.exists():
        pytest.skip("probe not recorded")
    dom = DomainDef.from_xml(DOMAINS[name], namespaces=())
    name_interfaces(dom)
    assert copy_generated(dom.to_xml(inactive=True), expected_path.read_text()) == expected_path.read_text()


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_network_probe(name: str) -> None:
    expected = (OUT / f"{name}.xml").read_text()
    assert copy_generated(NetworkDef.from_xml(NETWORKS[name], namespaces=()).to_xml(), expected) == expected


def test_probes_recorded() -> None:
    assert sorted(p.stem for p in Path(OUT).glob("*.xml")) == sorted([*DOMAINS, *NETWORKS])
