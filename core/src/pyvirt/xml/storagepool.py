"""``<pool>`` documents: a storage pool's identity, type, target path and sizes."""

from __future__ import annotations

from collections.abc import Collection

from pyvirt.xml import checks, defaults
from pyvirt.xml.canonical import serialize
from pyvirt.xml.model import XMLModel, expect_root
from pyvirt.xml.parser import parse_document


class PoolDef(XMLModel):
    """A storage pool definition.  Sizes are bytes; drivers assign them as the pool fills."""

    kind = "storagepool"
    root_tag = "pool"

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
        root = parse_document(text, kind="storage pool")
        expect_root(root, "pool", "storage pool")
        if validate:
            from pyvirt.xml.schema import validate as schema_validate

            schema_validate(root, "storagepool")
        checks.check_pool(root)
        defaults.pool_defaults(root, namespaces)
        return cls(root)

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
    def available(self) -> int:
        return int(self._text("available") or 0)

    @available.setter
    def available(self, value: int) -> None:
        self._set_text("available", str(int(value)), attrs={"unit": "bytes"})

    def to_xml(self, *, inactive: bool = False) -> str:
        """libvirt's pool XMLDesc (sizes included in both forms, as libvirt prints them)."""
        cached = self._cache.get(inactive)
        if cached is None:
            cached = serialize(self._output_tree())
            self._cache[inactive] = cached
        return cached
