"""``<network>`` documents: name, UUID, bridge and forward mode typed over the kept tree."""

from __future__ import annotations

from collections.abc import Collection

from pyvirt.xml import checks, defaults
from pyvirt.xml.canonical import serialize
from pyvirt.xml.model import XMLModel, expect_root
from pyvirt.xml.parser import parse_document


class NetworkDef(XMLModel):
    """A virtual network definition."""

    kind = "network"
    root_tag = "network"

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
        root = parse_document(text, kind="network")
        expect_root(root, "network", "network")
        if validate:
            from pyvirt.xml.schema import validate as schema_validate

            schema_validate(root, "network")
        checks.check_network(root)
        defaults.network_defaults(root, namespaces)
        return cls(root)

    @property
    def name(self) -> str:
        return self._text("name") or ""

    @name.setter
    def name(self, value: str) -> None:
        self._set_text("name", value)

    @property
    def uuid(self) -> str:
        return self._text("uuid") or ""

    @property
    def bridge_name(self) -> str | None:
        el = self._find("bridge")
        return None if el is None else el.get("name")

    @bridge_name.setter
    def bridge_name(self, value: str | None) -> None:
        el = self._find("bridge")
        if el is None:
            if value is None:
                return
            self._set_text("bridge", "")
            el = self._find("bridge")
            assert el is not None
            el.text = None
        if value is None:
            if "name" in el.attrib:
                del el.attrib["name"]
        else:
            el.set("name", value)
        self.invalidate()

    @property
    def forward_mode(self) -> str | None:
        el = self._find("forward")
        return None if el is None else el.get("mode")

    def to_xml(self, *, inactive: bool = False) -> str:
        """libvirt's network XMLDesc (``inactive`` is accepted for symmetry; nothing is live-only yet)."""
        cached = self._cache.get(inactive)
        if cached is None:
            cached = serialize(self._output_tree())
            self._cache[inactive] = cached
        return cached
