"""The test driver's connection: one open ``test:`` URI over an in-memory node.

:class:`TestConnection` is the driver interface as libvirt's test driver implements it,
assembled from one class per kind of object (libvirt's hypervisor, network and storage
driver tables): :mod:`.node`, :mod:`.domains`, :mod:`.networks` and :mod:`.storage`, and the
rarer calls (save images, snapshots, checkpoints, host interfaces, node devices...) whose
modules load on first use (:mod:`.deferred`).  The node itself (:mod:`.state`) is shared by every connection to
``test:///default`` and fresh for each open of a node file (:mod:`.build`).
"""

from __future__ import annotations

from pyvirt.driver import DriverConnection, EventSink
from pyvirt.errors import ErrorDomain, URIError
from pyvirt.uri import URI
from pyvirt_test import defaults
from pyvirt_test.build import build_default_state, build_file_state
from pyvirt_test.deferred import DeferredCalls
from pyvirt_test.domains import DomainCalls
from pyvirt_test.networks import NetworkCalls
from pyvirt_test.node import NodeCalls
from pyvirt_test.state import NodeState, SharedDefault
from pyvirt_test.storage import StorageCalls

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from typing import Any

_DEFAULT_PATH = "/default"


class TestConnection(NodeCalls, DomainCalls, NetworkCalls, StorageCalls, DeferredCalls, DriverConnection):
    """An open connection to a test node (shared default node, or a node file)."""

    name = "TEST"
    __test__ = False  # not a pytest test class, whatever its name says

    def __init__(self, uri: URI, events: EventSink, state: NodeState, shared: bool) -> None:
        super().__init__(uri, events)
        self._state = state
        self._shared = shared
        self._closed = False
        state.attach(events)

    @classmethod
    def open(cls, uri: URI, events: EventSink) -> TestConnection:
        """Open ``test:///default`` (shared) or ``test:///ABSOLUTE/PATH.xml`` (fresh)."""
        path = uri.path
        if path == _DEFAULT_PATH:
            return cls(uri, events, SharedDefault.acquire(build_default_state), shared=True)
        if not path or path == "/":
            raise URIError("invalid argument: testOpen: supply a path or use test:///default", domain=ErrorDomain.TEST)
        from pyvirt.xml.testnode import load_node_file

        return cls(uri, events, build_file_state(load_node_file(path, defaults.NODE_INFO)), shared=False)

    def domain_snapshot_create(self, uuid: str, *args: Any, **kwargs: Any) -> str:
        """Refused while the domain has checkpoints, then handed on unchanged."""
        from pyvirt_test.checkpoints import refuse_snapshot_with_checkpoints

        with self._state.lock:
            refuse_snapshot_with_checkpoints(self._state, self._dom(uuid))
        return super().domain_snapshot_create(uuid, *args, **kwargs)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._state.detach(self.events)
        if self._shared:
            SharedDefault.release(self._state)
