"""libvirt's XML formats: safe parsing, schema validation and typed models with faithful output.

``import pyvirt`` does not import this package (nor lxml); drivers import it lazily, the first
time they read or write a document.

Design: a model keeps the whole parsed lxml tree and types only the fields the API needs, so
whatever libvirt's schema allows survives parse -> format even when pyvirt has no field for it.
Parse-time defaults live in one module (:mod:`.defaults`), libvirt's semantic checks in another
(:mod:`.checks`), and formatting sorts the tree into libvirt's element/attribute order and
prints libvirt's exact layout (:mod:`.canonical`): 2-space indent, single-quoted attributes,
a trailing newline, the same bytes for the same input.

Contract (other packages code against these names)
--------------------------------------------------
``parser.parse_document(text: str | bytes, *, kind: str) -> lxml.etree._Element``
    Safe parse: no network, entities or DTDs (a DOCTYPE is refused), at most
    ``MAX_DOCUMENT_BYTES`` (10 MiB) and ``MAX_DEPTH`` levels.  Raises
    :class:`pyvirt.errors.XMLError` with ``line``; ``kind`` only names the document.

``schema.validate(root, kind: str) -> None``
    RelaxNG validation against libvirt 9.0.0's schemas shipped in ``schemas/`` (kinds: domain,
    network, storagepool, storagevol, capability, nodedev, interface, ...); compiled lazily and
    cached per kind.  Raises ``XMLError`` (code ``XML_INVALID_SCHEMA``) naming element and line.

``domain.DomainDef``
    ``from_xml(text, *, validate=False, namespaces=None)``; ``name``, ``uuid`` (canonical,
    generated if absent), ``virt_type``, ``os_type``, ``arch``, ``title``, ``description``,
    ``memory_kib``, ``current_memory_kib``, ``vcpus``, ``current_vcpus`` (the last four
    assignable), ``interfaces: list[InterfaceDef]`` (``type``, ``source``, ``model``, ``mac``,
    ``target_dev`` assignable), ``disks: list[DiskDef]`` (``type``, ``device``, ``target_dev``,
    ``target_bus``, ``source``), ``live_id`` (the ``id`` a live dump carried),
    ``to_xml(*, domain_id=None, inactive=False) -> str`` (cached until an assignment),
    ``copy()``.  ``namespaces``: ``None`` keeps every extension namespace; a collection of
    namespace URIs keeps only those, as a libvirt driver drops extensions it cannot parse
    (pass ``()`` for the test driver).

``network.NetworkDef``
    ``from_xml(text, *, validate=False, namespaces=None)``, ``name``, ``uuid``,
    ``bridge_name`` (assignable), ``forward_mode``, ``to_xml(*, inactive=False)``, ``copy()``.

``storagepool.PoolDef``
    ``from_xml(text, *, validate=False)``, ``name``, ``uuid``, ``pool_type``, ``target_path``,
    ``capacity``/``allocation``/``available`` (bytes, assignable), ``to_xml(*, inactive=False)``,
    ``copy()``.

``storagevol.VolDef``
    ``from_xml(text, pool, *, validate=False, no_capacity=False)``, ``name``, ``key`` and
    ``target_path`` (assignable), ``capacity``/``allocation`` (bytes, assignable), ``vol_type``,
    ``format``, ``to_xml(pool) -> str``, ``copy()``.

Every model also exposes ``root`` (the normalised tree; call ``invalidate()`` after changing it
directly).
"""

from __future__ import annotations

__all__ = ["parser", "schema"]
