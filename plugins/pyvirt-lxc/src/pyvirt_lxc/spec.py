"""What a container needs to start, read once from its domain XML and checked.

The driver stores and shows the XML itself (:class:`pyvirt.xml.domain.DomainDef`); this module
turns it into plain values the launcher acts on, refusing what it cannot honour with an error
that names the element, before anything is created on the host.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from pyvirt.errors import ErrorCode, PyvirtError
from pyvirt.xml.domain import DomainDef
from pyvirt.xml.units import scaled_to


class ConfigError(PyvirtError):
    """The domain XML asks for something an LXC container cannot be (libvirt's CONFIG_UNSUPPORTED)."""


def _fail(message: str) -> ConfigError:
    return ConfigError(message, code=ErrorCode.CONFIG_UNSUPPORTED)


@dataclass(frozen=True)
class Mount:
    """A further mount: ``bind`` (a host directory) or ``ram`` (a tmpfs of ``size_kib``)."""

    kind: str
    target: str
    source: str = ""
    readonly: bool = False
    size_kib: int = 0


@dataclass(frozen=True)
class IdRange:
    start: int
    target: int
    count: int


@dataclass(frozen=True)
class Nic:
    """One ``<interface>``: a veth pair, ``host`` on the host side (``""``: the driver names
    it), ``guest`` inside; ``bridge`` is ``None`` for ``type='ethernet'``."""

    type: str
    bridge: str | None
    mac: str
    host: str
    guest: str


@dataclass(frozen=True)
class Spec:
    name: str
    uuid: str
    rootfs: str
    init: str
    args: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    initdir: str
    memory_kib: int
    shares: int | None = None
    period_us: int | None = None
    quota_us: int | None = None
    mounts: tuple[Mount, ...] = ()
    uid_map: tuple[IdRange, ...] = ()
    gid_map: tuple[IdRange, ...] = ()
    nics: tuple[Nic, ...] = field(default=())

    @property
    def userns(self) -> bool:
        return bool(self.uid_map)

    @staticmethod
    def host_id(ranges: tuple[IdRange, ...], inner: int = 0) -> int:
        """The host ID that container ID ``inner`` maps to (the overflow ID if unmapped)."""
        for r in ranges:
            if r.start <= inner < r.start + r.count:
                return r.target + inner - r.start
        return 65534


def _int(el: etree._Element, path: str) -> int | None:
    text = el.findtext(path)
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise _fail(f"<{path}> must be an integer, not '{text}'") from None


def _ranges(root: etree._Element, kind: str) -> tuple[IdRange, ...]:
    found = []
    for el in root.iterfind(f"idmap/{kind}"):
        try:
            found.append(IdRange(int(el.get("start", "")), int(el.get("target", "")), int(el.get("count", ""))))
        except ValueError:
            raise _fail(f"<idmap><{kind}> needs integer start, target and count") from None
    return tuple(found)


def _mount(el: etree._Element) -> Mount | str:
    """A further mount, or the root filesystem's source directory (returned as a ``str``)."""
    kind = el.get("type", "mount")
    target_el = el.find("target")
    target = target_el.get("dir") if target_el is not None else None
    if not target or not target.startswith("/"):
        raise _fail("<filesystem> needs <target dir='/absolute/path'/>")
    readonly = el.find("readonly") is not None
    source = el.find("source")
    if kind == "mount":
        src = source.get("dir") if source is not None else None
        if not src:
            raise _fail(f"<filesystem type='mount'> for {target} needs <source dir='...'/>")
        return src if target == "/" else Mount("bind", target, src, readonly)
    if kind == "ram":
        usage = source.get("usage") if source is not None else None
        if source is None or usage is None:
            raise _fail(f"<filesystem type='ram'> for {target} needs <source usage='N'/>")
        size = scaled_to(usage, source.get("units"), out_unit=1024, default_unit=1024, what="source usage")
        return Mount("ram", target, "", readonly, size)
    raise _fail(f"<filesystem type='{kind}'> is not supported by the LXC driver (use 'mount' or 'ram')")


def _attr(el: etree._Element, child: str, name: str) -> str | None:
    found = el.find(child)
    return None if found is None else found.get(name)


def _nics(root: etree._Element) -> tuple[Nic, ...]:
    nics = []
    for index, el in enumerate(root.iterfind("devices/interface")):
        kind = el.get("type", "")
        source = el.find("source")
        if kind == "bridge":
            bridge = source.get("bridge") if source is not None else None
            if not bridge:
                raise _fail("<interface type='bridge'> needs <source bridge='...'/>")
        elif kind == "network":
            bridge = source.get("network") if source is not None else None
            if not bridge:
                raise _fail("<interface type='network'> needs <source network='...'/>")
        elif kind == "ethernet":
            bridge = None
        else:
            raise _fail(f"<interface type='{kind}'> is not supported by the LXC driver (bridge, network, ethernet)")
        mac = _attr(el, "mac", "address") or ""
        target = _attr(el, "target", "dev")
        guest = _attr(el, "guest", "dev")
        host = target or ""
        if len(host) > 15:
            raise _fail(f"interface name '{host}' is longer than 15 characters")
        nics.append(Nic(kind, bridge, mac, host, guest or f"eth{index}"))
    return tuple(nics)


def from_definition(definition: DomainDef) -> Spec:
    """Check ``definition`` is a container this driver can run and read what starting needs."""
    root = definition.root
    if definition.virt_type != "lxc":
        raise _fail(f"domain type '{definition.virt_type}' is not 'lxc'")
    if definition.os_type != "exe":
        raise _fail(f"os type '{definition.os_type}' is not 'exe': a container runs a program, <os><type>exe</type>")
    init = root.findtext("os/init")
    if not init:
        raise _fail("no <init> given: a container needs <os><init>/path/to/program</init>")
    rootfs = None
    mounts = []
    for el in root.iterfind("devices/filesystem"):
        found = _mount(el)
        if isinstance(found, str):
            rootfs = found
        else:
            mounts.append(found)
    if rootfs is None:
        raise _fail("no root filesystem: add <filesystem type='mount'><source dir='...'/><target dir='/'/>")
    uid_map, gid_map = _ranges(root, "uid"), _ranges(root, "gid")
    if bool(uid_map) != bool(gid_map):
        raise _fail("<idmap> needs both <uid> and <gid> ranges")
    hard = root.find("memtune/hard_limit")
    memory = definition.memory_kib
    if hard is not None and hard.text:
        memory = scaled_to(hard.text, hard.get("unit"), out_unit=1024, default_unit=1024, what="hard_limit")
    return Spec(
        name=definition.name,
        uuid=definition.uuid,
        rootfs=rootfs,
        init=init,
        args=tuple(el.text or "" for el in root.iterfind("os/initarg")),
        env=tuple((el.get("name", ""), el.text or "") for el in root.iterfind("os/initenv")),
        initdir=root.findtext("os/initdir") or "/",
        memory_kib=memory,
        shares=_int(root, "cputune/shares"),
        period_us=_int(root, "cputune/period"),
        quota_us=_int(root, "cputune/quota"),
        mounts=tuple(mounts),
        uid_map=uid_map,
        gid_map=gid_map,
        nics=_nics(root),
    )
