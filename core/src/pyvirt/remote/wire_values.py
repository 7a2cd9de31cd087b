"""Conversions between libvirt's wire structs and pyvirt's plain values, both directions.

The remote driver (client) and pyvirtd (server) share these, so a value means the same thing on
both ends and a PyvirtError that crosses the wire comes back as the same exception class with
the same text.  Rules the two sides rely on:

* UUIDs are 16 raw bytes on the wire and pyvirt's canonical lower-case dashed text in pyvirt;
* listing filters are libvirt's ``VIR_CONNECT_LIST_*`` numbers on the wire; pyvirt keeps one
  set of bits (:class:`~pyvirt.types.ListFilter`, the domain numbering) while libvirt numbers
  the network and pool bits differently, and a bit that has no meaning for the kind listed is
  refused as libvirt refuses unknown flags;
* an error travels as libvirt's error struct (code, domain, full message, level); the exact
  pyvirt class rides in ``str3`` as ``pyvirt.errors.<Class>`` (libvirt's clients show only the
  message), and errors from libvirtd, which carry no such hint, get the class their code names.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyvirt import errors
from pyvirt.errors import ErrorCode, ErrorDomain, InvalidArgumentError, PyvirtError
from pyvirt.rpc import remote_protocol as rp
from pyvirt.rpc import virnet_protocol as vp
from pyvirt.types import (
    DomainEvent,
    DomainEventType,
    DomainInfo,
    DomainRef,
    DomainState,
    ListFilter,
    NetworkRef,
    NodeInfo,
    PoolInfo,
    PoolRef,
    PoolState,
    VolInfo,
    VolRef,
    VolType,
)

ERROR_LEVEL = 2
"""libvirt's ``VIR_ERR_ERROR``: every error pyvirt raises is of this level."""

CLASS_HINT_PREFIX = "pyvirt.errors."

# -- identities ----------------------------------------------------------------------------------


def uuid_to_wire(uuid: str) -> bytes:
    """pyvirt's canonical UUID text -> the 16 bytes of ``remote_uuid``."""
    return bytes.fromhex(uuid.replace("-", ""))


def uuid_from_wire(raw: bytes) -> str:
    """The 16 bytes of ``remote_uuid`` -> pyvirt's canonical UUID text."""
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def domain_to_wire(ref: DomainRef) -> rp.remote_nonnull_domain:
    return rp.remote_nonnull_domain(ref.name, uuid_to_wire(ref.uuid), ref.id)


def domain_from_wire(dom: rp.remote_nonnull_domain) -> DomainRef:
    return DomainRef(dom.name, uuid_from_wire(dom.uuid), dom.id)


def network_to_wire(ref: NetworkRef) -> rp.remote_nonnull_network:
    return rp.remote_nonnull_network(ref.name, uuid_to_wire(ref.uuid))


def network_from_wire(net: rp.remote_nonnull_network) -> NetworkRef:
    return NetworkRef(net.name, uuid_from_wire(net.uuid))


def pool_to_wire(ref: PoolRef) -> rp.remote_nonnull_storage_pool:
    return rp.remote_nonnull_storage_pool(ref.name, uuid_to_wire(ref.uuid))


def pool_from_wire(pool: rp.remote_nonnull_storage_pool) -> PoolRef:
    return PoolRef(pool.name, uuid_from_wire(pool.uuid))


def vol_to_wire(ref: VolRef) -> rp.remote_nonnull_storage_vol:
    return rp.remote_nonnull_storage_vol(ref.pool, ref.name, ref.key)


def vol_from_wire(vol: rp.remote_nonnull_storage_vol) -> VolRef:
    return VolRef(vol.pool, vol.name, vol.key)


# -- info structs ------------------------------------------------------------------------------


def domain_info_to_wire(info: DomainInfo) -> rp.remote_domain_get_info_ret:
    return rp.remote_domain_get_info_ret(int(info.state), info.max_memory, info.memory, info.vcpus, info.cpu_time)


def domain_info_from_wire(ret: rp.remote_domain_get_info_ret) -> DomainInfo:
    return DomainInfo(DomainState(ret.state), ret.maxMem, ret.memory, ret.nrVirtCpu, ret.cpuTime)


def node_info_to_wire(info: NodeInfo) -> rp.remote_node_get_info_ret:
    return rp.remote_node_get_info_ret(
        _model_to_wire(info.model), info.memory, info.cpus, info.mhz, info.nodes, info.sockets, info.cores, info.threads
    )


def node_info_from_wire(ret: rp.remote_node_get_info_ret) -> NodeInfo:
    return NodeInfo(
        c_string_from_wire(ret.model), ret.memory, ret.cpus, ret.mhz, ret.nodes, ret.sockets, ret.cores, ret.threads
    )


def pool_info_to_wire(info: PoolInfo) -> rp.remote_storage_pool_get_info_ret:
    return rp.remote_storage_pool_get_info_ret(int(info.state), info.capacity, info.allocation, info.available)


def pool_info_from_wire(ret: rp.remote_storage_pool_get_info_ret) -> PoolInfo:
    return PoolInfo(PoolState(ret.state), ret.capacity, ret.allocation, ret.available)


def vol_info_to_wire(info: VolInfo) -> rp.remote_storage_vol_get_info_ret:
    return rp.remote_storage_vol_get_info_ret(int(info.type), info.capacity, info.allocation)


def vol_info_from_wire(ret: rp.remote_storage_vol_get_info_ret) -> VolInfo:
    return VolInfo(VolType(ret.type), ret.capacity, ret.allocation)


_MODEL_LEN = 32


def _model_to_wire(model: str) -> bytes:
    """``char model[32]``: NUL-padded, cut to 31 bytes so a NUL always ends it (as libvirt's)."""
    raw = model.encode("utf-8")[: _MODEL_LEN - 1]
    return raw + b"\0" * (_MODEL_LEN - len(raw))


def c_string_to_wire(text: str) -> bytes:
    """A ``char x<MAX>`` field as libvirt sends it: the string with its terminating NUL."""
    return text.encode() + b"\0"


def c_string_from_wire(raw: bytes) -> str:
    """A ``char`` array field (NUL-ended or NUL-padded, as libvirt sends it) -> its text."""
    return raw.split(b"\0", 1)[0].decode("utf-8", errors="replace")


# -- flag numbers ------------------------------------------------------------------------------
# libvirt's (libvirt-host.h, libvirt-domain.h, libvirt-domain-snapshot.h, libvirt-network.h,
# libvirt-storage.h): the client sets them and pyvirtd reads them.  The AFFECT_* ones are
# pyvirt.types.ModifyScope.

CONNECT_RO = 1
"""``VIR_CONNECT_RO``: the far side refuses every change on this connection."""
DOMAIN_START_PAUSED, DOMAIN_START_VALIDATE = 1, 16  # virDomainCreateFlags
DOMAIN_DEFINE_VALIDATE = 1  # virDomainDefineFlags
DOMAIN_XML_SECURE, DOMAIN_XML_INACTIVE = 1, 2  # virDomainXMLFlags
DOMAIN_UNDEFINE_MANAGED_SAVE, DOMAIN_UNDEFINE_SNAPSHOTS_METADATA = 1, 2  # virDomainUndefineFlagsValues
DOMAIN_CONSOLE_FORCE, DOMAIN_CONSOLE_SAFE = 1, 2  # virDomainConsoleFlags
DOMAIN_EVENT_ID_LIFECYCLE = 0  # virDomainEventID
SNAPSHOT_CREATE_DISK_ONLY = 0x10  # virDomainSnapshotCreateFlags
SNAPSHOT_LIST_METADATA, SNAPSHOT_LIST_NO_METADATA = 0x2, 0x10  # virDomainSnapshotListFlags
NETWORK_XML_INACTIVE = 1  # virNetworkXMLFlags
NETWORK_DEFINE_VALIDATE = NETWORK_CREATE_VALIDATE = 1  # virNetworkDefineFlags, virNetworkCreateFlags
POOL_DEFINE_VALIDATE = 1  # virStoragePoolDefineFlags
STORAGE_XML_INACTIVE = 1  # virStorageXMLFlags
VOL_CREATE_VALIDATE = 4  # virStorageVolCreateFlags
POOL_CREATE_WITH_BUILD = 1  # virStoragePoolCreateFlags: build first, without build flags
POOL_CREATE_WITH_BUILD_OVERWRITE = 2  # build first with VIR_STORAGE_POOL_BUILD_OVERWRITE
POOL_CREATE_WITH_BUILD_NO_OVERWRITE = 4  # build first with VIR_STORAGE_POOL_BUILD_NO_OVERWRITE
POOL_CREATE_BUILDS = POOL_CREATE_WITH_BUILD | POOL_CREATE_WITH_BUILD_OVERWRITE | POOL_CREATE_WITH_BUILD_NO_OVERWRITE
VOL_RESIZE_ALLOCATE, VOL_RESIZE_DELTA, VOL_RESIZE_SHRINK = 1, 2, 4  # virStorageVolResizeFlags

# -- typed parameters ----------------------------------------------------------------------

TYPED_INT, TYPED_UINT, TYPED_LLONG, TYPED_ULLONG, TYPED_DOUBLE, TYPED_BOOLEAN, TYPED_STRING = range(1, 8)
"""libvirt's ``virTypedParameterType``: the tag of a typed parameter's value, in the remote and
the admin program alike."""


# -- memory statistics ---------------------------------------------------------------------

MEMORY_STAT_TAGS: tuple[str, ...] = (
    "swap_in",
    "swap_out",
    "major_fault",
    "minor_fault",
    "unused",
    "available",
    "actual",
    "rss",
    "usable",
    "last_update",
    "disk_caches",
    "hugetlb_pgalloc",
    "hugetlb_pgfail",
)
"""pyvirt's names of libvirt's ``VIR_DOMAIN_MEMORY_STAT_*`` tags, indexed by tag number."""
_MEMORY_STAT_NUMBERS = {name: number for number, name in enumerate(MEMORY_STAT_TAGS)}


def memory_stats_to_wire(stats: Mapping[str, int]) -> list[rp.remote_domain_memory_stat]:
    """Statistics by name -> libvirt's (tag, value) list; names libvirt has no tag for are dropped."""
    return [
        rp.remote_domain_memory_stat(_MEMORY_STAT_NUMBERS[name], value)
        for name, value in stats.items()
        if name in _MEMORY_STAT_NUMBERS
    ]


def memory_stats_from_wire(stats: list[rp.remote_domain_memory_stat]) -> dict[str, int]:
    """libvirt's (tag, value) list -> statistics by name, in the order sent; unknown tags skipped."""
    return {MEMORY_STAT_TAGS[s.tag]: s.val for s in stats if 0 <= s.tag < len(MEMORY_STAT_TAGS)}


# -- events ------------------------------------------------------------------------------------


def lifecycle_event_to_wire(callback_id: int, event: DomainEvent) -> rp.remote_domain_event_callback_lifecycle_msg:
    msg = rp.remote_domain_event_lifecycle_msg(domain_to_wire(event.domain), int(event.event), event.detail)
    return rp.remote_domain_event_callback_lifecycle_msg(callback_id, msg)


def lifecycle_event_from_wire(msg: rp.remote_domain_event_lifecycle_msg) -> DomainEvent:
    return DomainEvent(domain_from_wire(msg.dom), DomainEventType(msg.event), msg.detail)


# -- listing filters ---------------------------------------------------------------------------

# libvirt's VIR_CONNECT_LIST_NETWORKS_* and VIR_CONNECT_LIST_STORAGE_POOLS_* share these numbers.
_OTHER_KIND_BITS: Mapping[ListFilter, int] = {
    ListFilter.INACTIVE: 1 << 0,
    ListFilter.ACTIVE: 1 << 1,
    ListFilter.PERSISTENT: 1 << 2,
    ListFilter.TRANSIENT: 1 << 3,
    ListFilter.AUTOSTART: 1 << 4,
    ListFilter.NO_AUTOSTART: 1 << 5,
}


def domain_list_flags_to_wire(filters: ListFilter) -> int:
    """pyvirt's filter -> ``VIR_CONNECT_LIST_DOMAINS_*`` (the same numbers)."""
    return int(filters)


def domain_list_flags_from_wire(flags: int, function: str) -> ListFilter:
    """``VIR_CONNECT_LIST_DOMAINS_*`` -> pyvirt's filter; bits pyvirt cannot filter on are refused."""
    known = (
        ListFilter.ACTIVE
        | ListFilter.INACTIVE
        | ListFilter.PERSISTENT
        | ListFilter.TRANSIENT
        | ListFilter.RUNNING
        | ListFilter.PAUSED
        | ListFilter.SHUTOFF
        | ListFilter.OTHER
        | ListFilter.MANAGEDSAVE
        | ListFilter.NO_MANAGEDSAVE
        | ListFilter.AUTOSTART
        | ListFilter.NO_AUTOSTART
    )
    check_flags(flags, int(known), function)
    return ListFilter(flags)


def network_list_flags_to_wire(filters: ListFilter, function: str) -> int:
    """pyvirt's filter -> ``VIR_CONNECT_LIST_NETWORKS_*``."""
    return _other_kind_to_wire(filters, function)


def network_list_flags_from_wire(flags: int, function: str) -> ListFilter:
    return _other_kind_from_wire(flags, function)


def pool_list_flags_to_wire(filters: ListFilter, function: str) -> int:
    """pyvirt's filter -> ``VIR_CONNECT_LIST_STORAGE_POOLS_*`` (pool-type bits are not used)."""
    return _other_kind_to_wire(filters, function)


def pool_list_flags_from_wire(flags: int, function: str) -> ListFilter:
    return _other_kind_from_wire(flags, function)


def _other_kind_to_wire(filters: ListFilter, function: str) -> int:
    wire = 0
    left = int(filters)
    for bit, number in _OTHER_KIND_BITS.items():
        if filters & bit:
            wire |= number
            left &= ~int(bit)
    check_flags(left, 0, function)
    return wire


def _other_kind_from_wire(flags: int, function: str) -> ListFilter:
    found = ListFilter.NONE
    left = flags
    for bit, number in _OTHER_KIND_BITS.items():
        if flags & number:
            found |= bit
            left &= ~number
    check_flags(left, 0, function)
    return found


def check_flags(flags: int, allowed: int, function: str) -> None:
    """libvirt's virCheckFlags: a bit the call does not know is refused, never ignored (pyvirtd
    checks every call's flags with it, the client the filters it cannot express)."""
    if flags & ~allowed:
        raise InvalidArgumentError(f"unsupported flags (0x{flags & ~allowed:x}) in function {function}")


# -- errors ------------------------------------------------------------------------------------


def _class_by_code(code: int) -> type[PyvirtError]:
    """The class an error gets from its code alone (errors from libvirtd, which carry no hint);
    a function, not a table built at import: only a failed call needs it."""
    classes: dict[int, type[PyvirtError]] = {
        ErrorCode.INTERNAL_ERROR: errors.InternalError,
        ErrorCode.INVALID_ARG: errors.InvalidArgumentError,
        ErrorCode.NO_SUPPORT: errors.UnsupportedError,
        ErrorCode.NO_CONNECT: errors.ConnectError,
        ErrorCode.OPERATION_INVALID: errors.OperationInvalidError,
        ErrorCode.OPERATION_FAILED: errors.OperationFailedError,
        ErrorCode.OPERATION_DENIED: errors.OperationDeniedError,
        ErrorCode.ACCESS_DENIED: errors.OperationDeniedError,
        ErrorCode.XML_ERROR: errors.XMLError,
        ErrorCode.XML_DETAIL: errors.XMLError,
        ErrorCode.XML_INVALID_SCHEMA: errors.XMLError,
        ErrorCode.NO_DOMAIN: errors.NoDomainError,
        ErrorCode.NO_DOMAIN_SNAPSHOT: errors.NoDomainSnapshotError,
        ErrorCode.NO_NETWORK: errors.NoNetworkError,
        ErrorCode.NO_STORAGE_POOL: errors.NoStoragePoolError,
        ErrorCode.NO_STORAGE_VOL: errors.NoStorageVolError,
        ErrorCode.DOM_EXIST: errors.DomainExistsError,
        ErrorCode.NETWORK_EXIST: errors.NetworkExistsError,
        ErrorCode.STORAGE_VOL_EXIST: errors.StorageVolExistsError,
        ErrorCode.NO_INTERFACE: errors.NoInterfaceError,
        ErrorCode.NO_NODE_DEVICE: errors.NoNodeDeviceError,
        ErrorCode.NO_DOMAIN_CHECKPOINT: errors.NoDomainCheckpointError,
    }
    return classes.get(code, PyvirtError)


def error_to_wire(exc: PyvirtError) -> vp.virNetMessageError:
    """A pyvirt error as libvirt's error struct: code, domain, full message, level error."""
    return vp.virNetMessageError(
        int(exc.code),
        int(exc.domain),
        exc.message,
        ERROR_LEVEL,
        None,
        None,
        None,
        CLASS_HINT_PREFIX + type(exc).__name__,
        -1,
        -1,
        None,
    )


def error_from_wire(err: vp.virNetMessageError) -> PyvirtError:
    """libvirt's error struct -> the pyvirt exception to raise (not raised here)."""
    cls = _hinted_class(err.str3) or _class_by_code(err.code)
    message = err.message if err.message is not None else "an error occurred, but the cause is unknown"
    return cls(message, code=ErrorCode(err.code), domain=ErrorDomain(err.domain))


def _hinted_class(hint: str | None) -> type[PyvirtError] | None:
    if not hint or not hint.startswith(CLASS_HINT_PREFIX):
        return None
    found = getattr(errors, hint[len(CLASS_HINT_PREFIX) :], None)
    if isinstance(found, type) and issubclass(found, PyvirtError):
        return found
    return None
