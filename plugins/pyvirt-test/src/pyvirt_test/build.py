"""Building a node's state: the built-in ``test:///default`` node, or a node file's.

Objects of a node file are loaded as libvirt loads them: domains in their ``runstate``
(default running) with the state reason 0, networks and pools active.  Errors name the node
file (or the referenced file) and the line.

Which volumes a pool of the node file has is :mod:`pyvirt.xml.testnode`'s reading of the file
(observed with libvirt 9.0: ``testnode.xml``'s ``default-pool`` has no volume,
``testnodeinline.xml``'s has ``default-vol``).
"""

from __future__ import annotations

from contextlib import contextmanager

from pyvirt.errors import InternalError, OperationFailedError, OperationInvalidError, XMLError
from pyvirt.types import DomainState
from pyvirt_test import defaults
from pyvirt_test.documents import parse_default_domain, parse_domain, parse_network, parse_pool, parse_volume
from pyvirt_test.domains import add_live_domain, define_domain
from pyvirt_test.networks import define_network
from pyvirt_test.state import DomainObj, NetworkObj, NodeState, Pending, PoolObj
from pyvirt_test.storage import add_volume, define_pool, sized
from pyvirt_test.taints import check as check_taints

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pyvirt.xml.domain import DomainDef
    from pyvirt.xml.network import NetworkDef
    from pyvirt.xml.storagepool import PoolDef
    from pyvirt.xml.testnode import NodeDocument, NodeFile


def build_default_state() -> NodeState:
    """``test:///default``: domain ``test`` running as ID 1, network and pool active.

    Nothing is parsed here: each object is known by its identity (and the domain by the facts
    its info shows) until its document is needed (:class:`~pyvirt_test.state.Pending`).
    """
    state = NodeState(defaults.NODE_INFO, defaults.CELLS)
    facts = defaults.DOMAIN_FACTS
    domain = Pending(defaults.DOMAIN_XML, parse_default_domain, facts)
    obj = DomainObj(domain, domain, facts.name, facts.uuid)
    state.add_domain(obj)
    state.mark_started(obj, DomainState.RUNNING, 0)
    name, uuid = defaults.NETWORK_IDENTITY
    network = Pending(defaults.NETWORK_XML, _parse_default_network)
    net = NetworkObj(network, network, name, uuid)
    state.networks_by_name[name] = state.networks_by_uuid[uuid] = net
    name, uuid = defaults.POOL_IDENTITY
    pool = PoolObj(Pending(defaults.POOL_XML, _parse_default_pool), name, uuid, persistent=True)
    pool.active = True
    state.pools_by_name[name] = state.pools_by_uuid[uuid] = pool
    return state


def _parse_default_network(xml: str) -> NetworkDef:
    return parse_network(xml, False)


def _parse_default_pool(xml: str) -> PoolDef:
    return sized(parse_pool(xml, False), 0)


def build_file_state(node: NodeFile) -> NodeState:
    """A fresh node from a node file; domains start in their ``runstate`` (default running)."""
    state = NodeState(node.node_info, ())
    for entry in node.domains:
        with _locating(entry.document):
            dfn = parse_domain(entry.document.xml, False)
            _load_domain(state, dfn, DomainState(entry.runstate), entry.transient, entry.has_managed_save)
    for document in node.networks:
        with _locating(document):
            _load_network(state, parse_network(document.xml, False))
    for pool_entry in node.pools:
        with _locating(pool_entry.document):
            pool = _load_pool(state, parse_pool(pool_entry.document.xml, False))
        for volume in pool_entry.volumes:
            with _locating(volume):
                add_volume(state, pool, parse_volume(volume.xml, pool.defn, False))
    return state


@contextmanager
def _locating(document: NodeDocument) -> Iterator[None]:
    """Errors while loading ``document`` name the node (or referenced) file and the line."""
    try:
        yield
    except XMLError as exc:
        raise document.locate(exc) from None
    except (OperationFailedError, OperationInvalidError, InternalError) as exc:
        raise XMLError(f"{document.origin}:{document.first_line}: {exc.message}", line=document.first_line) from None


def _load_domain(state: NodeState, dfn: DomainDef, run: DomainState, transient: bool, managed: bool) -> None:
    """A domain of a node as loaded: its state's reason is 0 (unknown), as libvirt reports it."""
    if run == DomainState.SHUTOFF:
        obj, _ = define_domain(state, dfn)
    else:
        obj = add_live_domain(state, dfn)
        if not transient:
            obj.config = dfn
        state.mark_started(obj, run, 0)
    obj.has_managed_save = managed
    obj.messages = check_taints(dfn)


def _load_network(state: NodeState, dfn: NetworkDef) -> None:
    obj = define_network(state, dfn)
    obj.live = obj.config


def _load_pool(state: NodeState, dfn: PoolDef) -> PoolObj:
    obj = define_pool(state, dfn, persistent=True)
    obj.active = True
    return obj
