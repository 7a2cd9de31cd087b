"""``<pool>`` documents: a storage pool's identity, type, target path and sizes."""

from __future__ import annotations

from collections.abc import Collection

from pyvirt.xml import checks, defaults, storage_rules
from pyvirt.xml.model import Int, XMLModel


class PoolDef(XMLModel):
    """A storage pool definition.  Sizes are bytes; drivers assign them as the pool fills."""

    kind = "storagepool"
    root_tag = "pool"
    label = "storage pool"

    @classmethod
    def from_xml(
        cls,
        text: str | bytes,
        *,
        validate: bool = False,
        namespaces: Collection[str] | None = None,
    ) -> PoolDef:
        """Parse, default, check and sort a pool document.

        ``namespaces`` as for :meth:`DomainDef.from_xml` (the test driver drops ``fs:`` and
        ``rbd:`` extensions: pass ``()``).
        """
        root, proxies, _found = cls._parse_root(text, validate=validate)
        checks.check_pool(root)
        defaults.pool_defaults(root, namespaces)
        storage_rules.pool_source(root)
        storage_rules.pool_target(root)
        storage_rules.pool_extras(root)
        return cls(root, proxies=proxies)

    @property
    def name(self) -> str:
        return self._text("name") or ""

    @property
    def uuid(self) -> str:
        return self._text("uuid") or ""

    @property
    def pool_type(self) -> str:
        return self._root.get("type", "")

    @property
    def target_path(self) -> str | None:
        return self._text("target/path")

    capacity = Int("capacity", unit="bytes")
    allocation = Int("allocation", unit="bytes")
    available = Int("available", unit="bytes")

    def to_xml(self, *, inactive: bool = False) -> str:
        """libvirt's pool XMLDesc (sizes included in both forms, as libvirt prints them)."""
        return self._cache.get(inactive) or self._format(inactive)
