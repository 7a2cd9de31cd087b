"""``<domain>`` documents: the typed fields drivers need over the whole kept tree.

Parsing runs, in this order: safe parse, optional RelaxNG validation, libvirt's parse-time
defaults (:mod:`pyvirt.xml.defaults`), libvirt's semantic checks (:mod:`pyvirt.xml.checks`)
and sorting into libvirt's layout (:mod:`pyvirt.xml.canonical`).  Nothing of the document is
dropped except what libvirt itself drops: content its parser does not read
(:mod:`pyvirt.xml.known`) and foreign namespaces the driver does not know, when the caller
passes ``namespaces``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from weakref import ref

from lxml import etree

from pyvirt.xml import checks, defaults, livestate
from pyvirt.xml.canonical import serialize_body, start_tag
from pyvirt.xml.model import Attr, Int, OptionalText, Text, XMLModel
from pyvirt.xml.parser import first_child

_PLAIN = "plain"
"""Cache key of the body formatted before any stripping (:meth:`DomainDef.to_xml`)."""


class _Device:
    """A view on one device element; assignments go to the tree and clear the owner's cache.

    The owner is held weakly: the owner keeps its views, and a strong reference back would
    make every definition whose views were read garbage that only the cyclic collector frees
    (a medium domain parsed, its interfaces read and formatted: 2261k -> 2224k instructions
    with the collector on).
    """

    __slots__ = ("_el", "_owner")

    def __init__(self, owner: DomainDef, el: etree._Element) -> None:
        self._owner = ref(owner)
        self._el = el

    @property
    def element(self) -> etree._Element:
        return self._el

    def _attr(self, child: str, name: str) -> str | None:
        found = first_child(self._el, child)
        return None if found is None else found.get(name)


class InterfaceDef(_Device):
    """``<interface>``: what ``domiflist`` shows and what the test driver assigns."""

    __slots__ = ()

    @property
    def type(self) -> str:
        return self._el.get("type", "")

    @property
    def source(self) -> str | None:
        """The network, bridge or host device name, whichever the type uses."""
        src = first_child(self._el, "source")
        if src is None:
            return None
        for name in ("network", "bridge", "dev", "path", "name"):
            value = src.get(name)
            if value is not None:
                return value
        return None

    @property
    def model(self) -> str | None:
        return self._attr("model", "type")

    @property
    def mac(self) -> str | None:
        return self._attr("mac", "address")

    @property
    def target_dev(self) -> str | None:
        return self._attr("target", "dev")

    @target_dev.setter
    def target_dev(self, value: str | None) -> None:
        target = first_child(self._el, "target")
        if value is None:
            if target is not None:
                self._el.remove(target)
        else:
            if target is None:
                target = etree.SubElement(self._el, "target")
            target.set("dev", value)
        # the device list is unchanged: rebinding every view (invalidate) would make naming
        # each of a domain's n interfaces cost O(n), O(n^2) for all of them
        owner = self._owner()
        if owner is not None:
            owner._forget_output()


class DiskDef(_Device):
    """``<disk>``: what ``domblklist`` shows."""

    __slots__ = ()

    @property
    def type(self) -> str:
        return self._el.get("type", "file")

    @property
    def device(self) -> str:
        return self._el.get("device", "disk")

    @property
    def target_dev(self) -> str:
        return self._attr("target", "dev") or ""

    @property
    def target_bus(self) -> str | None:
        return self._attr("target", "bus")

    @property
    def source(self) -> str | None:
        """File, device, directory or network name of the source (``None`` for an empty cdrom)."""
        src = first_child(self._el, "source")
        if src is None:
            return None
        for name in ("file", "dev", "dir", "name", "volume", "path"):
            value = src.get(name)
            if value is not None:
                if name == "volume" and src.get("pool"):
                    return f"{src.get('pool')}/{value}"
                return value
        return None


class DomainDef(XMLModel):
    """A domain definition; see the package docstring for the contract."""

    kind = "domain"
    root_tag = "domain"
    label = "domain"

    def __init__(
        self, root: etree._Element, *, live_id: int | None = None, proxies: list[etree._Element] | None = None
    ) -> None:
        super().__init__(root, proxies=proxies)
        self._live_id = live_id
        self._devices: tuple[list[InterfaceDef], list[DiskDef]] | None = None
        """The device views, bound on first use: a define that never reads them (or changes
        the tree first, as a driver filling in defaults does) binds them at most once."""

    @property
    def interfaces(self) -> list[InterfaceDef]:
        return (self._devices or self._bind_devices())[0]

    @property
    def disks(self) -> list[DiskDef]:
        return (self._devices or self._bind_devices())[1]

    def _bind_devices(self) -> tuple[list[InterfaceDef], list[DiskDef]]:
        devices = first_child(self._root, "devices")
        if devices is None:
            self._devices = ([], [])
        else:
            self._devices = (
                [InterfaceDef(self, el) for el in devices.iterchildren("interface")],
                [DiskDef(self, el) for el in devices.iterchildren("disk")],
            )
        return self._devices

    def _after_copy(self) -> None:
        self._devices = None

    def invalidate(self) -> None:
        """Also rebinds :attr:`disks` and :attr:`interfaces` (on their next use): a device
        added or removed in the tree (hot-plug) shows in them at once."""
        super().invalidate()
        self._devices = None

    @classmethod
    def from_xml(
        cls,
        text: str | bytes,
        *,
        validate: bool = False,
        namespaces: Collection[str] | None = None,
        post_parse: Callable[[DomainDef, tuple[defaults.Groups, defaults.Groups]], None] | None = None,
    ) -> DomainDef:
        """Parse, apply libvirt's parse-time defaults and checks, and return the model.

        ``namespaces``: ``None`` keeps every namespaced extension element; a collection of
        namespace URIs keeps only those, dropping the rest the way a libvirt driver drops
        extensions it has no parser for (the test driver knows none).

        ``post_parse``: the driver's own step after the generic ones (libvirt's driver
        post-parse callbacks), given the model and the children of ``<domain>`` and of
        ``<devices>`` by tag as the document listed them (:func:`defaults.index`), so a driver
        needs no search of its own for the elements it completes.  The generic defaults add
        implicit elements and devices and drop some empty ones after that index was built;
        ``<os>`` (unless the defaults had to create it), interfaces and disks are neither added
        nor dropped.  The model is new (nothing formatted, no sub-object bound), so the step's
        edits of the tree need no :meth:`invalidate`.
        """
        root, proxies, found = cls._parse_root(text, validate=validate)
        groups = found.groups if found is not None else defaults.index(root)
        checks.check_domain(root, groups, found)
        live_id = defaults.domain_defaults(root, namespaces, groups, found)
        checks.check_domain_addresses(root)
        dfn = cls(root, live_id=live_id, proxies=proxies)
        if post_parse is not None:
            post_parse(dfn, groups)
        return dfn

    # -- typed fields -----------------------------------------------------------------------

    name = Text("name")

    @property
    def uuid(self) -> str:
        return self._text("uuid") or ""

    @uuid.setter
    def uuid(self, value: str) -> None:
        self._set_text("uuid", defaults.canonical_uuid(value, line=None))

    @property
    def virt_type(self) -> str:
        return self._root.get("type", "")

    @property
    def os_type(self) -> str:
        return self._text("os/type") or ""

    arch = Attr("os/type", "arch", doc="Drivers fill in their default architecture (libvirt's test driver: i686).")

    title = OptionalText("title")
    description = OptionalText("description")
    memory_kib = Int("memory", unit="KiB", doc="``<memory>``: the maximum memory at boot, KiB.")
    current_memory_kib = Int("currentMemory", unit="KiB")

    @property
    def vcpus(self) -> int:
        """``<vcpu>``: the maximum number of virtual CPUs."""
        return int(self._text("vcpu") or 1)

    @vcpus.setter
    def vcpus(self, value: int) -> None:
        current = self.current_vcpus
        self._set_text("vcpu", str(int(value)), attrs={"placement": "static"})
        self._set_current_vcpus(min(current, int(value)))

    @property
    def current_vcpus(self) -> int:
        el = self._find("vcpu")
        if el is None:
            return 1
        cur = el.get("current")
        return int(cur) if cur is not None else int(el.text or 1)

    @current_vcpus.setter
    def current_vcpus(self, value: int) -> None:
        self._set_current_vcpus(int(value))

    def _set_current_vcpus(self, value: int) -> None:
        el = self._find("vcpu")
        if el is None:
            self._set_text("vcpu", str(value), attrs={"placement": "static"})
            return
        maximum = int(el.text or 1)
        if value >= maximum:
            if "current" in el.attrib:
                del el.attrib["current"]
        else:
            el.set("current", str(value))
        self.invalidate()

    @property
    def live_id(self) -> int | None:
        """The ``id`` the parsed document carried (a live dump), if any."""
        return self._live_id

    # -- formatting -------------------------------------------------------------------------

    def to_xml(self, *, domain_id: int | None = None, inactive: bool = False, secure: bool = False) -> str:
        """libvirt's XMLDesc: canonical layout, ending with a newline.

        ``domain_id`` adds ``id='N'`` (the live form of a running domain); ``inactive`` drops
        what only describes a running instance (ids, runtime indexes, block-job mirrors...);
        ``secure`` keeps passwords and cookies (libvirt's ``VIR_DOMAIN_XML_SECURE``).
        """
        key = (domain_id, inactive, secure)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        body = self._cache.get((inactive, secure))
        if body is None:
            # Formatted once as it is; only the rare tree that may hold live-only state or
            # secrets (livestate.may_strip) has a copy stripped and formatted again.  Every
            # variant starts from the same text, cached as _PLAIN.
            tree = self._output_tree()
            body = self._cache.get(_PLAIN)
            if body is None:
                body = self._cache[_PLAIN] = serialize_body(tree)
            if livestate.may_strip(tree, body, inactive=inactive, secure=secure):
                stripped = livestate.strip_for_output(tree, inactive=inactive, secure=secure)
                if stripped is not tree:
                    body = serialize_body(stripped)
            self._cache[(inactive, secure)] = body
            self._proxies = None
        shown_id = None if inactive else (domain_id if domain_id is not None else self._live_id)
        text = start_tag(self._root, {"id": str(shown_id)} if shown_id is not None else None) + body
        self._cache[key] = text
        return text
