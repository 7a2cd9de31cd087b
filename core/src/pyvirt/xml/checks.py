"""libvirt's semantic checks: what the schema allows but libvirt still refuses.

Messages carry the key words of libvirt's own (users search for them) and the line of the
offending element.
"""

from __future__ import annotations

from lxml import etree


def check_domain(root: etree._Element) -> None:
    """Refuse a domain libvirt's generic parser refuses (duplicate targets, bad indexes...)."""


def check_network(root: etree._Element) -> None:
    """Refuse a network libvirt's generic parser refuses."""


def check_pool(root: etree._Element) -> None:
    """Refuse a storage pool libvirt's generic parser refuses."""


def check_vol(root: etree._Element) -> None:
    """Refuse a storage volume libvirt's generic parser refuses."""
