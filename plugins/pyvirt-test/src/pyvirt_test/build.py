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
from typing import TYPE_CHECKING

from pyvirt.errors import InternalError, OperationFailedError, OperationInvalidError, XMLError
from pyvirt.types import DomainState
from pyvirt_test import defaults
from pyvirt_test.documents import parse_default_domain, parse_domain, parse_network, parse_pool, parse_volume
from pyvirt_test.domains import add_live_domain, define_domain
from pyvirt_test.networks import define_network
from pyvirt_test.state import DomainObj, NodeState, PendingDomain, PoolObj
from pyvirt_test.storage import add_volume, define_pool
from pyvirt_test.taints import check as check_taints

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pyvirt.xml.domain import DomainDef
    from pyvirt.xml.network import NetworkDef
    from pyvirt.xml.storagepool import PoolDef
    from pyvirt.xml.testnode import NodeDocument, NodeFile


def build_default_state() -> NodeState:
    """``test:///default``: domain ``test`` running as ID 1, network and pool active.

    Nothing is parsed here: the domain is known by its facts until its document is needed,
    and the network and pool are added when a network, pool or volume is first looked at.
    """
    state = NodeState(defaults.NODE_INFO, defaults.CELLS)
    facts = defaults.DOMAIN_FACTS
    pending = PendingDomain(facts, defaults.DOMAIN_XML, parse_default_domain)
    obj = DomainObj(pending, pending, facts.name, facts.uuid)
    state.add_domain(obj)
    state.mark_started(obj, DomainState.RUNNING, 0)
    state.load_later(_load_default_networks_and_pools)
    return state


def _load_default_networks_and_pools(state: NodeState) -> None:
    _load_network(state, parse_network(defaults.NETWORK_XML, False))
    _load_pool(state, parse_pool(defaults.POOL_XML, False))


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
