"""The unknown-content walk's notes (:class:`pyvirt.xml.known.Found`) against the walks they replace.

The checks and the defaults read a domain's children by tag, its device parts and its sized
elements from what the walk noted instead of walking the tree again, so the notes must be
what a walk of the tree as the walk left it finds: checked here on every domain document of
libvirt's test data (those libvirt accepts and those it refuses), and on documents built to
hit each case where the walk hands nothing on.
"""

from __future__ import annotations

import pytest
from libvirt_data import cases
from lxml import etree

from pyvirt.errors import XMLError
from pyvirt.xml import defaults, scaled
from pyvirt.xml.known import DEVICE_PARTS, Found, drop_unknown
from pyvirt.xml.parser import parse_document, select

DOMAINS = [c for c in cases() if c.kind == "domain"]


def walked(text: str) -> tuple[etree._Element, Found | None]:
    root = parse_document(text, kind="domain")
    return root, drop_unknown(root)


def test_notes_match_a_walk_of_the_tree_on_libvirts_domains() -> None:
    handed_on = 0
    for case in DOMAINS:
        try:
            root, found = walked(case.input.read_text())
        except XMLError:
            continue  # refused during the walk: nothing is handed on
        if found is None:
            continue
        handed_on += 1
        top, device_groups = defaults.index(root)
        assert found.groups == (top, device_groups), case.name
        devices = top["devices"][0] if "devices" in top else None
        want: dict[str, list[etree._Element]] = {}
        for el in devices.iter() if devices is not None else ():
            if el.tag in DEVICE_PARTS and el is not devices:
                want.setdefault(str(el.tag), []).append(el)
        got_parts = {tag: els for tag, els in found.tags.items() if tag in DEVICE_PARTS}
        assert got_parts == want, case.name
        sized = select(scaled._QUERY, root)
        assert {str(el.tag) for el in sized} == found.tags.keys() - DEVICE_PARTS, case.name
    assert handed_on > 0.9 * len(DOMAINS)


@pytest.mark.parametrize(
    "inside",
    [
        "<devices><disk type='file'><x:ext xmlns:x='urn:x'><address/></x:ext></disk></devices>",  # kept extension
        "<devices><disk type='file' device='disk'><target dev='vda'/></disk></devices><devices/>",  # a copy merged
        "<memory unit='KiB'>2048</memory>",  # a copy dropped unread
    ],
)
def test_nothing_is_handed_on_when_the_walk_left_something_unseen(inside: str) -> None:
    text = (
        f"<domain type='test'><name>a</name><memory unit='KiB'>1024</memory>{inside}<os><type>hvm</type></os></domain>"
    )
    assert walked(text)[1] is None
    assert walked(text.replace(inside, ""))[1] is not None
