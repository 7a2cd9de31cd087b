"""``<network>`` documents: name, UUID, bridge and forward mode typed over the kept tree."""

from __future__ import annotations

from collections.abc import Collection

from pyvirt.xml import checks, defaults, network_rules
from pyvirt.xml.model import Attr, Text, XMLModel


class NetworkDef(XMLModel):
    """A virtual network definition."""

    kind = "network"
    root_tag = "network"
    label = "network"

    @classmethod
    def from_xml(
        cls,
        text: str | bytes,
        *,
        validate: bool = False,
        namespaces: Collection[str] | None = None,
    ) -> NetworkDef:
        """Parse, default, check and sort a network document.

        ``namespaces`` as for :meth:`DomainDef.from_xml` (libvirt's test driver drops the
        ``dnsmasq:`` extension; the network driver keeps it).
        """
        root, proxies, _found = cls._parse_root(text, validate=validate)
        checks.check_network(root)
        network_rules.apply(root)
        defaults.network_defaults(root, namespaces)
        return cls(root, proxies=proxies)

    name = Text("name")

    @property
    def uuid(self) -> str:
        return self._text("uuid") or ""

    bridge_name = Attr("bridge", "name", create=True)

    @property
    def forward_mode(self) -> str | None:
        return self._attr("forward", "mode")

    def to_xml(self, *, inactive: bool = False) -> str:
        """libvirt's network XMLDesc (``inactive`` is accepted for symmetry; nothing is live-only yet)."""
        return self._cache.get(inactive) or self._format(inactive)
