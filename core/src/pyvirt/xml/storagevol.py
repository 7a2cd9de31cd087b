"""``<volume>`` documents, always read in the context of their pool (as libvirt does)."""

from __future__ import annotations

from pyvirt.xml import checks, defaults, storage_rules
from pyvirt.xml.model import Int, OptionalText, XMLModel
from pyvirt.xml.storagepool import PoolDef


class VolDef(XMLModel):
    """A storage volume.  The pool gives the default volume type and format."""

    kind = "storagevol"
    root_tag = "volume"
    label = "storage volume"

    @classmethod
    def from_xml(
        cls,
        text: str | bytes,
        pool: PoolDef,
        *,
        validate: bool = False,
        no_capacity: bool = False,
    ) -> VolDef:
        """Parse a volume for ``pool``.

        ``no_capacity`` accepts a document without ``<capacity>`` (libvirt's
        ``VIR_VOL_XML_PARSE_NO_CAPACITY``, used when cloning a volume).
        """
        root, proxies, _found = cls._parse_root(text, validate=validate)
        checks.check_vol(root)
        defaults.vol_defaults(root, no_capacity=no_capacity)
        storage_rules.volume(root, pool.pool_type)
        return cls(root, proxies=proxies)

    @property
    def name(self) -> str:
        return self._text("name") or ""

    key = OptionalText("key")
    target_path = OptionalText("target/path")
    capacity = Int("capacity", unit="bytes")
    allocation = Int("allocation", unit="bytes")

    @property
    def vol_type(self) -> str:
        return self._root.get("type", "file")

    @property
    def format(self) -> str | None:
        return self._attr("target/format", "type")

    def to_xml(self, pool: PoolDef) -> str:
        """libvirt's volume XMLDesc (``pool`` is part of the contract for pool-dependent output)."""
        return self._cache.get(pool.pool_type) or self._format(pool.pool_type)
