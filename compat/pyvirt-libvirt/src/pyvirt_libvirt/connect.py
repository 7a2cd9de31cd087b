"""``virConnect`` and the functions that open one (``open``, ``openReadOnly``, ``openAuth``).

Each method is the libvirt-python method of the same name over :class:`pyvirt.Connection`:
same parameters, same return shape (lists where libvirt-python gives lists, ``0`` where the C
call returns 0).  Methods pyvirt lacks come from :class:`~pyvirt_libvirt._stubs.virConnectStubs`
and raise ``VIR_ERR_NO_SUPPORT``.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pyvirt
from pyvirt.types import ListFilter
from pyvirt_libvirt import eventloop
from pyvirt_libvirt._constants import VIR_ERR_CONFIG_UNSUPPORTED, VIR_FROM_EVENT
from pyvirt_libvirt._stubs import virConnectStubs
from pyvirt_libvirt.domain import virDomain
from pyvirt_libvirt.domainevents import EventState
from pyvirt_libvirt.errors import VIR_ERR_INVALID_ARG, api, failure
from pyvirt_libvirt.objects import virInterface, virNetwork, virNodeDevice, virStoragePool, virStorageVol
from pyvirt_libvirt.stream import virStream
from pyvirt_libvirt.uuidbytes import from_bytes

if TYPE_CHECKING:
    from types import TracebackType

VIR_CONNECT_RO = 1
VIR_DOMAIN_START_PAUSED = 1
VIR_DOMAIN_START_VALIDATE = 16
VIR_DOMAIN_DEFINE_VALIDATE = 1
VIR_FROM_NONE = 0

# libvirt's VIR_CONNECT_LIST_{NETWORKS,STORAGE_POOLS}_* bits -> pyvirt's one filter set
_NET_POOL_BITS = (
    (1, ListFilter.INACTIVE),
    (2, ListFilter.ACTIVE),
    (4, ListFilter.PERSISTENT),
    (8, ListFilter.TRANSIENT),
    (16, ListFilter.AUTOSTART),
    (32, ListFilter.NO_AUTOSTART),
)
_POOL_TYPES = (
    "dir",
    "fs",
    "netfs",
    "logical",
    "disk",
    "iscsi",
    "scsi",
    "mpath",
    "rbd",
    "sheepdog",
    "gluster",
    "zfs",
    "vstorage",
    "iscsi-direct",
)
_POOL_TYPE = re.compile(r"<pool\s+type=['\"]([^'\"]+)")


def _net_pool_filter(flags: int) -> ListFilter:
    found = ListFilter.NONE
    for bit, value in _NET_POOL_BITS:
        if flags & bit:
            found |= value
    return found


def uuid_from_bytes(raw: bytes | str) -> str:
    if isinstance(raw, str):
        raw = raw.encode("latin-1")
    if len(raw) != 16:
        raise failure(VIR_ERR_INVALID_ARG, VIR_FROM_NONE, "uuid must be 16 bytes")
    return from_bytes(bytes(raw))


class virConnect(virConnectStubs):
    """A connection, as ``libvirt.open`` returns it."""

    def __init__(self, _obj: pyvirt.Connection) -> None:
        self._o = _obj
        self._events = EventState()

    def __del__(self) -> None:
        """Close when the last reference goes, as libvirt-python does; not while the interpreter
        shuts down (a remote connection's threads are gone then, and the process exits anyway)."""
        conn = getattr(self, "_o", None)
        if conn is not None and not sys.is_finalizing():
            conn.close()

    def __enter__(self) -> virConnect:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def c_pointer(self) -> int:
        return id(self._o)

    # -- the connection -----------------------------------------------------------------

    @api
    def close(self) -> int:
        self._o.close()
        return 0

    @api
    def isAlive(self) -> int:
        return int(self._o.is_alive())

    @api
    def isEncrypted(self) -> int:
        return int(self._o.is_encrypted())

    @api
    def isSecure(self) -> int:
        return int(self._o.is_secure())

    @api
    def getURI(self) -> str:
        return self._o.uri

    @api
    def getType(self) -> str:
        return self._o.get_type()

    @api
    def getVersion(self) -> int:
        return self._o.get_version().number

    @api
    def getLibVersion(self) -> int:
        return self._o.get_lib_version().number

    @api
    def getHostname(self) -> str:
        return self._o.get_hostname()

    @api
    def getInfo(self) -> list[Any]:
        i = self._o.get_node_info()
        return [i.model, i.memory >> 10, i.cpus, i.mhz, i.nodes, i.sockets, i.cores, i.threads]

    @api
    def getCapabilities(self) -> str:
        return self._o.get_capabilities()

    @api
    def getDomainCapabilities(
        self,
        emulatorbin: str | None = None,
        arch: str | None = None,
        machine: str | None = None,
        virttype: str | None = None,
        flags: int = 0,
    ) -> str:
        return self._o.get_domain_capabilities(emulatorbin, arch, machine, virttype)

    @api
    def getSysinfo(self, flags: int = 0) -> str:
        return self._o.get_sysinfo()

    @api
    def getFreeMemory(self) -> int:
        return self._o.get_free_memory()

    @api
    def getCellsFreeMemory(self, startCell: int, maxCells: int) -> list[int]:
        return self._o.get_cells_free_memory(startCell, maxCells)

    @api
    def getSecurityModel(self) -> list[str]:
        return list(self._o.get_security_model())

    # -- domains ----------------------------------------------------------------------------

    @api
    def listAllDomains(self, flags: int = 0) -> list[virDomain]:
        return [virDomain(self, d) for d in self._o.list_domains(ListFilter(flags))]

    @api
    def listDomainsID(self) -> list[int]:
        return [d.id for d in self._o.list_domains(ListFilter.ACTIVE)]

    @api
    def listDefinedDomains(self) -> list[str]:
        return [d.name for d in self._o.list_domains(ListFilter.INACTIVE)]

    @api
    def numOfDomains(self) -> int:
        return len(self._o.list_domains(ListFilter.ACTIVE))

    @api
    def numOfDefinedDomains(self) -> int:
        return len(self._o.list_domains(ListFilter.INACTIVE))

    @api
    def lookupByName(self, name: str) -> virDomain:
        return virDomain(self, self._o.lookup_domain_by_name(name))

    @api
    def lookupByID(self, id: int) -> virDomain:
        return virDomain(self, self._o.lookup_domain_by_id(id))

    @api
    def lookupByUUIDString(self, uuidstr: str) -> virDomain:
        return virDomain(self, self._o.lookup_domain_by_uuid(uuidstr))

    @api
    def lookupByUUID(self, uuid: bytes) -> virDomain:
        return virDomain(self, self._o.lookup_domain_by_uuid(uuid_from_bytes(uuid)))

    @api
    def defineXML(self, xml: str) -> virDomain:
        return virDomain(self, self._o.define_domain(xml))

    @api
    def defineXMLFlags(self, xml: str, flags: int = 0) -> virDomain:
        return virDomain(self, self._o.define_domain(xml, validate=bool(flags & VIR_DOMAIN_DEFINE_VALIDATE)))

    @api
    def createXML(self, xmlDesc: str, flags: int = 0) -> virDomain:
        dom = self._o.create_domain(
            xmlDesc, validate=bool(flags & VIR_DOMAIN_START_VALIDATE), paused=bool(flags & VIR_DOMAIN_START_PAUSED)
        )
        return virDomain(self, dom)

    def createLinux(self, xmlDesc: str, flags: int = 0) -> virDomain:
        return self.createXML(xmlDesc, flags)

    @api
    def restore(self, frm: str) -> int:
        self._o.restore_domain(frm)
        return 0

    # -- networks ---------------------------------------------------------------------------

    @api
    def listAllNetworks(self, flags: int = 0) -> list[virNetwork]:
        return [virNetwork(self, n) for n in self._o.list_networks(_net_pool_filter(flags))]

    @api
    def listNetworks(self) -> list[str]:
        return [n.name for n in self._o.list_networks(ListFilter.ACTIVE)]

    @api
    def listDefinedNetworks(self) -> list[str]:
        return [n.name for n in self._o.list_networks(ListFilter.INACTIVE)]

    @api
    def numOfNetworks(self) -> int:
        return len(self._o.list_networks(ListFilter.ACTIVE))

    @api
    def numOfDefinedNetworks(self) -> int:
        return len(self._o.list_networks(ListFilter.INACTIVE))

    @api
    def networkLookupByName(self, name: str) -> virNetwork:
        return virNetwork(self, self._o.lookup_network_by_name(name))

    @api
    def networkLookupByUUIDString(self, uuidstr: str) -> virNetwork:
        return virNetwork(self, self._o.lookup_network_by_uuid(uuidstr))

    @api
    def networkLookupByUUID(self, uuid: bytes) -> virNetwork:
        return virNetwork(self, self._o.lookup_network_by_uuid(uuid_from_bytes(uuid)))

    @api
    def networkDefineXML(self, xml: str) -> virNetwork:
        return virNetwork(self, self._o.define_network(xml))

    @api
    def networkDefineXMLFlags(self, xml: str, flags: int = 0) -> virNetwork:
        return virNetwork(self, self._o.define_network(xml, validate=bool(flags & 1)))

    @api
    def networkCreateXML(self, xmlDesc: str) -> virNetwork:
        return virNetwork(self, self._o.create_network(xmlDesc))

    @api
    def networkCreateXMLFlags(self, xmlDesc: str, flags: int = 0) -> virNetwork:
        return virNetwork(self, self._o.create_network(xmlDesc, validate=bool(flags & 1)))

    # -- storage ----------------------------------------------------------------------------

    @api
    def listAllStoragePools(self, flags: int = 0) -> list[virStoragePool]:
        pools = self._o.list_storage_pools(_net_pool_filter(flags))
        wanted = {t for i, t in enumerate(_POOL_TYPES) if flags & (64 << i)}
        if wanted:
            pools = [p for p in pools if _pool_type(p.xml()) in wanted]
        return [virStoragePool(self, p) for p in pools]

    @api
    def listStoragePools(self) -> list[str]:
        return [p.name for p in self._o.list_storage_pools(ListFilter.ACTIVE)]

    @api
    def listDefinedStoragePools(self) -> list[str]:
        return [p.name for p in self._o.list_storage_pools(ListFilter.INACTIVE)]

    @api
    def numOfStoragePools(self) -> int:
        return len(self._o.list_storage_pools(ListFilter.ACTIVE))

    @api
    def numOfDefinedStoragePools(self) -> int:
        return len(self._o.list_storage_pools(ListFilter.INACTIVE))

    @api
    def storagePoolLookupByName(self, name: str) -> virStoragePool:
        return virStoragePool(self, self._o.lookup_pool_by_name(name))

    @api
    def storagePoolLookupByUUIDString(self, uuidstr: str) -> virStoragePool:
        return virStoragePool(self, self._o.lookup_pool_by_uuid(uuidstr))

    @api
    def storagePoolLookupByUUID(self, uuid: bytes) -> virStoragePool:
        return virStoragePool(self, self._o.lookup_pool_by_uuid(uuid_from_bytes(uuid)))

    @api
    def storagePoolDefineXML(self, xml: str, flags: int = 0) -> virStoragePool:
        return virStoragePool(self, self._o.define_pool(xml, validate=bool(flags & 1)))

    @api
    def storagePoolCreateXML(self, xmlDesc: str, flags: int = 0) -> virStoragePool:
        return virStoragePool(self, self._o.create_pool(xmlDesc))

    @api
    def storageVolLookupByKey(self, key: str) -> virStorageVol:
        return virStorageVol(self, self._o.lookup_volume_by_key(key))

    @api
    def storageVolLookupByPath(self, path: str) -> virStorageVol:
        return virStorageVol(self, self._o.lookup_volume_by_path(path))

    # -- host interfaces and node devices ---------------------------------------------------

    @api
    def listAllInterfaces(self, flags: int = 0) -> list[virInterface]:
        # libvirt's VIR_CONNECT_LIST_INTERFACES_INACTIVE = 1, _ACTIVE = 2
        wanted = (ListFilter.INACTIVE if flags & 1 else ListFilter.NONE) | (
            ListFilter.ACTIVE if flags & 2 else ListFilter.NONE
        )
        return [virInterface(self, i) for i in self._o.list_interfaces(wanted)]

    @api
    def listInterfaces(self) -> list[str]:
        return [i.name for i in self._o.list_interfaces(ListFilter.ACTIVE)]

    @api
    def listDefinedInterfaces(self) -> list[str]:
        return [i.name for i in self._o.list_interfaces(ListFilter.INACTIVE)]

    @api
    def numOfInterfaces(self) -> int:
        return len(self._o.list_interfaces(ListFilter.ACTIVE))

    @api
    def numOfDefinedInterfaces(self) -> int:
        return len(self._o.list_interfaces(ListFilter.INACTIVE))

    @api
    def interfaceLookupByName(self, name: str) -> virInterface:
        return virInterface(self, self._o.lookup_interface_by_name(name))

    @api
    def interfaceLookupByMACString(self, macstr: str) -> virInterface:
        return virInterface(self, self._o.lookup_interface_by_mac(macstr))

    @api
    def interfaceDefineXML(self, xml: str, flags: int = 0) -> virInterface:
        return virInterface(self, self._o.define_interface(xml, validate=bool(flags & 1)))

    @api
    def changeBegin(self, flags: int = 0) -> int:
        self._o.interface_change_begin()
        return 0

    @api
    def changeCommit(self, flags: int = 0) -> int:
        self._o.interface_change_commit()
        return 0

    @api
    def changeRollback(self, flags: int = 0) -> int:
        self._o.interface_change_rollback()
        return 0

    @api
    def listAllDevices(self, flags: int = 0) -> list[virNodeDevice]:
        from pyvirt.types import NodeDeviceCap

        return [virNodeDevice(self, d) for d in self._o.list_node_devices(NodeDeviceCap(flags))]

    @api
    def listDevices(self, cap: str | None, flags: int = 0) -> list[str]:
        from pyvirt.types import NodeDeviceCap

        caps = NodeDeviceCap.from_name(cap) if cap else NodeDeviceCap.NONE
        return [d.name for d in self._o.list_node_devices(caps)]

    @api
    def numOfDevices(self, cap: str | None, flags: int = 0) -> int:
        return len(self.listDevices(cap, flags))

    @api
    def nodeDeviceLookupByName(self, name: str) -> virNodeDevice:
        return virNodeDevice(self, self._o.lookup_node_device_by_name(name))

    @api
    def nodeDeviceCreateXML(self, xmlDesc: str, flags: int = 0) -> virNodeDevice:
        return virNodeDevice(self, self._o.create_node_device(xmlDesc, validate=bool(flags & 1)))

    # -- streams and events -----------------------------------------------------------------

    def newStream(self, flags: int = 0) -> virStream:
        return virStream(self)

    @api
    def domainEventRegisterAny(self, dom: virDomain | None, eventID: int, cb: Callable[..., Any], opaque: Any) -> int:
        return self._events.register(self, eventID, None if dom is None else dom._o.uuid, cb, opaque, legacy=False)

    @api
    def domainEventDeregisterAny(self, callbackID: int) -> None:
        self._events.deregister(self, callbackID)

    @api
    def domainEventRegister(self, cb: Callable[..., Any], opaque: Any) -> None:
        """The old lifecycle-only registration; registering ``cb`` again updates its opaque."""
        self._events.register(self, 0, None, cb, opaque, legacy=True)

    @api
    def domainEventDeregister(self, cb: Callable[..., Any]) -> None:
        self._events.deregister_legacy(self, cb)


def _pool_type(xml: str) -> str:
    found = _POOL_TYPE.search(xml)
    return found.group(1) if found else ""


def _authenticator(auth: list[Any]) -> Any:
    """libvirt-python's ``[credtypes, callback, opaque]`` as a :class:`pyvirt.auth.Authenticator`:
    the callback gets ``[type, prompt, challenge, defresult, result]`` lists, fills ``[4]``,
    and refuses by returning a negative number."""
    from pyvirt.auth import Authenticator, Credential

    types, callback, opaque = [*auth, None, None, None][:3]

    def ask(creds: list[Credential]) -> None:
        rows: list[list[Any]] = [[int(c.type), c.prompt, c.challenge, c.default_result, None] for c in creds]
        if callback is None or callback(rows, opaque) < 0:
            raise RuntimeError("the credential callback refused")
        for cred, row in zip(creds, rows, strict=True):
            cred.result = row[4]

    return Authenticator(types or [], ask)


def _default_uri(name: str | None) -> str | None:
    """libvirt's choice for a NULL or empty name: ``$LIBVIRT_DEFAULT_URI``, else pyvirt's own
    default (``$PYVIRT_DEFAULT_URI``, else ``test:///default``) where libvirt would probe."""
    return name or os.environ.get("LIBVIRT_DEFAULT_URI") or None


def _require_loop_for_embed(uri: str | None) -> None:
    """libvirt refuses to open an embedded driver (``scheme:///embed?root=/DIR``) before an event
    loop is registered, whatever the scheme: the driver's timers and watches run in the caller's
    process.  Programs written for libvirt register one first; the same refusal keeps a program
    that works here from failing on libvirt."""
    if not uri or "://" not in uri:
        return
    rest = uri.split("://", 1)[1]
    path, _, query = rest.partition("?")
    params = dict(pair.partition("=")[::2] for pair in query.split("&"))
    if path == "/embed" and params.get("root", "").startswith("/") and not eventloop.has_impl():
        raise failure(VIR_ERR_CONFIG_UNSUPPORTED, VIR_FROM_EVENT, "An event loop implementation must be registered")


@api
def open(name: str | None = None) -> virConnect:
    _require_loop_for_embed(_default_uri(name))
    return virConnect(pyvirt.open(_default_uri(name)))


@api
def openReadOnly(name: str | None = None) -> virConnect:
    _require_loop_for_embed(_default_uri(name))
    return virConnect(pyvirt.open_read_only(_default_uri(name)))


@api
def openAuth(uri: str | None, auth: list[Any], flags: int = 0) -> virConnect:
    _require_loop_for_embed(_default_uri(uri))
    authenticator = _authenticator(auth) if auth else None
    if flags & VIR_CONNECT_RO:
        return virConnect(pyvirt.open_read_only(_default_uri(uri), auth=authenticator))
    return virConnect(pyvirt.open(_default_uri(uri), auth=authenticator))
