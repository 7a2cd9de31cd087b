"""Connection and node procedures: open/close, features, versions, node facts, legacy
counts and the bulk listings of every object kind."""

from __future__ import annotations

from typing import Any

import pyvirt
from pyvirt.errors import ErrorDomain, InternalError, InvalidArgumentError
from pyvirt.remote import wire_values as wv
from pyvirt.rpc import remote_protocol as rp
from pyvirt.types import NetworkRef, PoolRef
from pyvirt_daemon.handlers.table import handles
from pyvirt_daemon.session import Session

# virDrvFeature numbers, and what libvirtd 9.0 answers for them over its unix socket (probed):
# the daemon itself supports fd passing, keepalive, close and event callbacks; its test driver
# adds typed-parameter strings and the corrected network-update order.
FEATURE_PROGRAM_KEEPALIVE = 10
SUPPORTED_FEATURES = frozenset({8, 9, 10, 14, 15, 16})


@handles(rp.REMOTE_PROC_CONNECT_OPEN)
def connect_open(s: Session, args: rp.remote_connect_open_args) -> None:
    if s.is_open:
        raise InternalError("internal error: connection already open", domain=ErrorDomain.RPC)
    # 2 is VIR_CONNECT_NO_ALIASES; libvirt's client sends 4 as well when run by a non-root
    # user, and libvirtd accepts it, so pyvirtd does too.
    wv.check_flags(args.flags, wv.CONNECT_RO | 2 | 4, "virConnectOpenAuth")
    if s.readonly or args.flags & wv.CONNECT_RO:
        s.open(pyvirt.open_read_only(args.name))
    else:
        s.open(pyvirt.open(args.name))


@handles(rp.REMOTE_PROC_CONNECT_CLOSE)
def connect_close(s: Session, args: None) -> None:
    s.close()


@handles(rp.REMOTE_PROC_CONNECT_SUPPORTS_FEATURE)
def supports_feature(
    s: Session, args: rp.remote_connect_supports_feature_args
) -> rp.remote_connect_supports_feature_ret:
    if args.feature == FEATURE_PROGRAM_KEEPALIVE:  # asked before CONNECT_OPEN, as libvirt's clients do
        s.start_keepalive()
        return rp.remote_connect_supports_feature_ret(1)
    s.conn  # noqa: B018 - every other feature needs an open connection, as in libvirtd
    return rp.remote_connect_supports_feature_ret(int(args.feature in SUPPORTED_FEATURES))


@handles(rp.REMOTE_PROC_CONNECT_REGISTER_CLOSE_CALLBACK, rp.REMOTE_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK)
def close_callback(s: Session, args: None) -> None:
    """The client learns of a close from the socket itself; nothing to keep here."""
    s.conn  # noqa: B018


@handles(rp.REMOTE_PROC_CONNECT_GET_TYPE)
def get_type(s: Session, args: None) -> rp.remote_connect_get_type_ret:
    return rp.remote_connect_get_type_ret(s.conn.get_type())


@handles(rp.REMOTE_PROC_CONNECT_GET_VERSION)
def get_version(s: Session, args: None) -> rp.remote_connect_get_version_ret:
    return rp.remote_connect_get_version_ret(s.conn.get_version().number)


@handles(rp.REMOTE_PROC_CONNECT_GET_LIB_VERSION)
def get_lib_version(s: Session, args: None) -> rp.remote_connect_get_lib_version_ret:
    return rp.remote_connect_get_lib_version_ret(s.conn.get_lib_version().number)


@handles(rp.REMOTE_PROC_CONNECT_GET_HOSTNAME)
def get_hostname(s: Session, args: None) -> rp.remote_connect_get_hostname_ret:
    return rp.remote_connect_get_hostname_ret(s.conn.get_hostname())


@handles(rp.REMOTE_PROC_CONNECT_GET_URI)
def get_uri(s: Session, args: None) -> rp.remote_connect_get_uri_ret:
    return rp.remote_connect_get_uri_ret(s.conn.uri)


@handles(rp.REMOTE_PROC_CONNECT_IS_SECURE)
def is_secure(s: Session, args: None) -> rp.remote_connect_is_secure_ret:
    return rp.remote_connect_is_secure_ret(int(s.conn.is_secure()))


@handles(rp.REMOTE_PROC_CONNECT_GET_CAPABILITIES)
def get_capabilities(s: Session, args: None) -> rp.remote_connect_get_capabilities_ret:
    return rp.remote_connect_get_capabilities_ret(s.conn.get_capabilities())


@handles(rp.REMOTE_PROC_CONNECT_GET_SYSINFO)
def get_sysinfo(s: Session, args: rp.remote_connect_get_sysinfo_args) -> rp.remote_connect_get_sysinfo_ret:
    wv.check_flags(args.flags, 0, "virConnectGetSysinfo")
    return rp.remote_connect_get_sysinfo_ret(s.conn.get_sysinfo())


@handles(rp.REMOTE_PROC_NODE_GET_INFO)
def node_get_info(s: Session, args: None) -> rp.remote_node_get_info_ret:
    return wv.node_info_to_wire(s.conn.get_node_info())


@handles(rp.REMOTE_PROC_NODE_GET_FREE_MEMORY)
def node_free_memory(s: Session, args: None) -> rp.remote_node_get_free_memory_ret:
    return rp.remote_node_get_free_memory_ret(s.conn.get_free_memory())


@handles(rp.REMOTE_PROC_NODE_GET_CELLS_FREE_MEMORY)
def node_cells_free_memory(
    s: Session, args: rp.remote_node_get_cells_free_memory_args
) -> rp.remote_node_get_cells_free_memory_ret:
    if args.maxcells > rp.REMOTE_NODE_MAX_CELLS:
        raise InvalidArgumentError("maxCells > REMOTE_NODE_MAX_CELLS", domain=ErrorDomain.RPC)
    return rp.remote_node_get_cells_free_memory_ret(s.conn.get_cells_free_memory(args.startCell, args.maxcells))


@handles(rp.REMOTE_PROC_NODE_GET_SECURITY_MODEL)
def node_security_model(s: Session, args: None) -> rp.remote_node_get_security_model_ret:
    model, doi = s.conn.get_security_model()
    return rp.remote_node_get_security_model_ret(wv.c_string_to_wire(model), wv.c_string_to_wire(doi))


# -- bulk listing (one round trip) ------------------------------------------------------------


@handles(rp.REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS)
def list_all_domains(
    s: Session, args: rp.remote_connect_list_all_domains_args
) -> rp.remote_connect_list_all_domains_ret:
    found = s.conn.list_domains(wv.domain_list_flags_from_wire(args.flags, "virConnectListAllDomains"))
    wire = [wv.domain_to_wire(d.ref) for d in found] if args.need_results else []
    return rp.remote_connect_list_all_domains_ret(wire, len(found))


@handles(rp.REMOTE_PROC_CONNECT_LIST_ALL_NETWORKS)
def list_all_networks(
    s: Session, args: rp.remote_connect_list_all_networks_args
) -> rp.remote_connect_list_all_networks_ret:
    found = s.conn.list_networks(wv.network_list_flags_from_wire(args.flags, "virConnectListAllNetworks"))
    wire = [wv.network_to_wire(NetworkRef(n.name, n.uuid)) for n in found] if args.need_results else []
    return rp.remote_connect_list_all_networks_ret(wire, len(found))


@handles(rp.REMOTE_PROC_CONNECT_LIST_ALL_STORAGE_POOLS)
def list_all_pools(
    s: Session, args: rp.remote_connect_list_all_storage_pools_args
) -> rp.remote_connect_list_all_storage_pools_ret:
    found = s.conn.list_storage_pools(wv.pool_list_flags_from_wire(args.flags, "virConnectListAllStoragePools"))
    wire = [wv.pool_to_wire(PoolRef(p.name, p.uuid)) for p in found] if args.need_results else []
    return rp.remote_connect_list_all_storage_pools_ret(wire, len(found))


# -- legacy counts and name lists (old clients, virsh fallbacks) ------------------------------

ACTIVE, INACTIVE = pyvirt.ListFilter.ACTIVE, pyvirt.ListFilter.INACTIVE


def _limited(items: list[Any], limit: int, what: str, wire_max: int) -> list[Any]:
    if limit > wire_max:
        raise InvalidArgumentError(f"{what} > {wire_max}", domain=ErrorDomain.RPC)
    return items[:limit]


@handles(rp.REMOTE_PROC_CONNECT_NUM_OF_DOMAINS)
def num_of_domains(s: Session, args: None) -> rp.remote_connect_num_of_domains_ret:
    return rp.remote_connect_num_of_domains_ret(len(s.conn.list_domains(ACTIVE)))


@handles(rp.REMOTE_PROC_CONNECT_LIST_DOMAINS)
def list_domains(s: Session, args: rp.remote_connect_list_domains_args) -> rp.remote_connect_list_domains_ret:
    ids = sorted(d.id for d in s.conn.list_domains(ACTIVE))
    return rp.remote_connect_list_domains_ret(_limited(ids, args.maxids, "maxids", rp.REMOTE_DOMAIN_LIST_MAX))


@handles(rp.REMOTE_PROC_CONNECT_NUM_OF_DEFINED_DOMAINS)
def num_of_defined_domains(s: Session, args: None) -> rp.remote_connect_num_of_defined_domains_ret:
    return rp.remote_connect_num_of_defined_domains_ret(len(s.conn.list_domains(INACTIVE)))


@handles(rp.REMOTE_PROC_CONNECT_LIST_DEFINED_DOMAINS)
def list_defined_domains(
    s: Session, args: rp.remote_connect_list_defined_domains_args
) -> rp.remote_connect_list_defined_domains_ret:
    names = [d.name for d in s.conn.list_domains(INACTIVE)]
    return rp.remote_connect_list_defined_domains_ret(
        _limited(names, args.maxnames, "maxnames", rp.REMOTE_DOMAIN_LIST_MAX)
    )


@handles(rp.REMOTE_PROC_CONNECT_NUM_OF_NETWORKS)
def num_of_networks(s: Session, args: None) -> rp.remote_connect_num_of_networks_ret:
    return rp.remote_connect_num_of_networks_ret(len(s.conn.list_networks(ACTIVE)))


@handles(rp.REMOTE_PROC_CONNECT_LIST_NETWORKS)
def list_networks(s: Session, args: rp.remote_connect_list_networks_args) -> rp.remote_connect_list_networks_ret:
    names = [n.name for n in s.conn.list_networks(ACTIVE)]
    return rp.remote_connect_list_networks_ret(_limited(names, args.maxnames, "maxnames", rp.REMOTE_NETWORK_LIST_MAX))


@handles(rp.REMOTE_PROC_CONNECT_NUM_OF_DEFINED_NETWORKS)
def num_of_defined_networks(s: Session, args: None) -> rp.remote_connect_num_of_defined_networks_ret:
    return rp.remote_connect_num_of_defined_networks_ret(len(s.conn.list_networks(INACTIVE)))


@handles(rp.REMOTE_PROC_CONNECT_LIST_DEFINED_NETWORKS)
def list_defined_networks(
    s: Session, args: rp.remote_connect_list_defined_networks_args
) -> rp.remote_connect_list_defined_networks_ret:
    names = [n.name for n in s.conn.list_networks(INACTIVE)]
    return rp.remote_connect_list_defined_networks_ret(
        _limited(names, args.maxnames, "maxnames", rp.REMOTE_NETWORK_LIST_MAX)
    )


@handles(rp.REMOTE_PROC_CONNECT_NUM_OF_STORAGE_POOLS)
def num_of_pools(s: Session, args: None) -> rp.remote_connect_num_of_storage_pools_ret:
    return rp.remote_connect_num_of_storage_pools_ret(len(s.conn.list_storage_pools(ACTIVE)))


@handles(rp.REMOTE_PROC_CONNECT_LIST_STORAGE_POOLS)
def list_pools(s: Session, args: rp.remote_connect_list_storage_pools_args) -> rp.remote_connect_list_storage_pools_ret:
    names = [p.name for p in s.conn.list_storage_pools(ACTIVE)]
    return rp.remote_connect_list_storage_pools_ret(
        _limited(names, args.maxnames, "maxnames", rp.REMOTE_STORAGE_POOL_LIST_MAX)
    )


@handles(rp.REMOTE_PROC_CONNECT_NUM_OF_DEFINED_STORAGE_POOLS)
def num_of_defined_pools(s: Session, args: None) -> rp.remote_connect_num_of_defined_storage_pools_ret:
    return rp.remote_connect_num_of_defined_storage_pools_ret(len(s.conn.list_storage_pools(INACTIVE)))


@handles(rp.REMOTE_PROC_CONNECT_LIST_DEFINED_STORAGE_POOLS)
def list_defined_pools(
    s: Session, args: rp.remote_connect_list_defined_storage_pools_args
) -> rp.remote_connect_list_defined_storage_pools_ret:
    names = [p.name for p in s.conn.list_storage_pools(INACTIVE)]
    return rp.remote_connect_list_defined_storage_pools_ret(
        _limited(names, args.maxnames, "maxnames", rp.REMOTE_STORAGE_POOL_LIST_MAX)
    )
