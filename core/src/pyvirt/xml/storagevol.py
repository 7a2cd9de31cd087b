"""``<volume>`` documents, always read in the context of their pool (as libvirt does)."""

from __future__ import annotations

from pyvirt.xml import checks, defaults
from pyvirt.xml.canonical import serialize
from pyvirt.xml.model import XMLModel, expect_root
from pyvirt.xml.parser import parse_document
from pyvirt.xml.storagepool import PoolDef


class VolDef(XMLModel):
    """A storage volume.  The pool gives the default volume type and format."""

    kind = "storagevol"
    root_tag = "volume"

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
        root = parse_document(text, kind="storage volume")
        expect_root(root, "volume", "storage volume")
        if validate:
            from pyvirt.xml.schema import validate as schema_validate

            schema_validate(root, "storagevol")
        checks.check_vol(root)
        defaults.vol_defaults(root, pool.pool_type, no_capacity=no_capacity)
        return cls(root)

    @property
    def name(self) -> str:
        return self._text("name") or ""

    @property
    def key(self) -> str | None:
        return self._text("key")

    @key.setter
    def key(self, value: str | None) -> None:
        self._set_text("key", value)

    @property
    def target_path(self) -> str | None:
        return self._text("target/path")

    @target_path.setter
    def target_path(self, value: str | None) -> None:
        self._set_text("target/path", value)

    @property
    def capacity(self) -> int:
        return int(self._text("capacity") or 0)

    @capacity.setter
    def capacity(self, value: int) -> None:
        self._set_text("capacity", str(int(value)), attrs={"unit": "bytes"})

    @property
    def allocation(self) -> int:
        return int(self._text("allocation") or 0)

    @allocation.setter
    def allocation(self, value: int) -> None:
        self._set_text("allocation", str(int(value)), attrs={"unit": "bytes"})

    @property
    def vol_type(self) -> str:
        return self._root.get("type", "file")

    @property
    def format(self) -> str | None:
        el = self._find("target/format")
        return None if el is None else el.get("type")

    def to_xml(self, pool: PoolDef) -> str:
        """libvirt's volume XMLDesc (``pool`` is part of the contract for pool-dependent output)."""
        cached = self._cache.get(pool.pool_type)
        if cached is None:
            cached = serialize(self._output_tree())
            self._cache[pool.pool_type] = cached
        return cached
