"""``test:///default``'s interface and node devices are served from facts kept beside their
documents (so listing them loads no XML parser); the facts must say what the documents say."""

from __future__ import annotations

from pyvirt.types import NodeDeviceCap
from pyvirt.xml.parser import parse_document
from pyvirt_test import defaults
from pyvirt_test.interfaces import format_interface
from pyvirt_test.nodedevs import _device, _nested_bits


def test_interface_identity_and_layout_match_the_document() -> None:
    name, mac, xml = format_interface(parse_document(defaults.INTERFACE_XML, kind="interface"))
    assert (name, mac) == defaults.INTERFACE_IDENTITY
    assert xml == defaults.INTERFACE_XML  # already in libvirt's layout


def test_node_device_facts_match_the_documents() -> None:
    assert len(defaults.NODE_DEVICE_FACTS) == len(defaults.NODE_DEVICE_XMLS)
    for (name, parent, caps, nested), xml in zip(defaults.NODE_DEVICE_FACTS, defaults.NODE_DEVICE_XMLS, strict=True):
        parsed = _device(parse_document(xml, kind="device"))
        bits = NodeDeviceCap.NONE
        for cap in caps:
            bits |= NodeDeviceCap.from_name(cap)
        for cap in nested:
            bits |= _nested_bits()[cap]
        assert (parsed.name, parsed.parent, parsed.caps, parsed.bits, parsed.xml) == (
            name,
            parent,
            list(caps),
            bits,
            xml,
        )
