"""The in-memory node: every object of one test node, behind one lock.

A :class:`NodeState` is what libvirt's test driver calls its private connection data: the
domains, networks, pools and volumes of one imaginary host.  ``test:///default`` has one
state per process, shared by all its connections and dropped when the last one closes (as
libvirt does); each open of a node file gets a fresh state of its own.

Objects are indexed by name, UUID and (domains) ID so lookups are one dict access.  Domains
keep libvirt's two definitions: ``config`` (the persistent one, None for a transient domain)
and ``live`` (while running).  At start both point at the same object; whichever side is
changed first is copied then (copy on write), so a start/destroy cycle copies nothing.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from pyvirt.driver import EventSink
from pyvirt.types import (
    DomainEvent,
    DomainRef,
    DomainState,
    NetworkRef,
    NodeInfo,
    PoolRef,
    VolRef,
)
from pyvirt.xml.capabilities import NumaCell

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyvirt.xml.domain import DomainDef
    from pyvirt.xml.network import NetworkDef
    from pyvirt.xml.storagepool import PoolDef
    from pyvirt.xml.storagevol import VolDef

POOL_CAPACITY = 107374182400
"""Every test pool reports 100 GiB, whatever its XML says (libvirt's test driver does)."""


class DomainObj:
    """One domain and its run state."""

    __slots__ = (
        "autostart",
        "config",
        "has_managed_save",
        "id",
        "live",
        "name",
        "reason",
        "ref",
        "state",
        "uuid",
    )

    def __init__(self, config: DomainDef | None, live: DomainDef | None, name: str, uuid: str) -> None:
        self.name = name
        self.uuid = uuid
        self.config = config
        self.live = live
        self.id = -1
        self.state = DomainState.SHUTOFF
        self.reason = 0
        self.autostart = False
        self.has_managed_save = False
        self.ref = DomainRef(name, uuid, -1)

    @property
    def active(self) -> bool:
        return self.id != -1

    @property
    def persistent(self) -> bool:
        return self.config is not None

    def current(self) -> DomainDef:
        """The definition that describes the domain now: live while running, else the config."""
        found = self.live if self.live is not None else self.config
        assert found is not None, "a domain always has at least one definition"
        return found

    def persistent_view(self) -> DomainDef:
        """What ``--inactive`` shows: the config, or a transient domain's own definition."""
        found = self.config if self.config is not None else self.live
        assert found is not None
        return found

    def live_for_write(self) -> DomainDef:
        """The live definition, copied first if it is still shared with the config."""
        assert self.live is not None
        if self.live is self.config:
            self.live = self.live.copy()
        return self.live

    def config_for_write(self) -> DomainDef:
        """The persistent definition, copied first if it is still shared with the live one."""
        assert self.config is not None
        if self.config is self.live:
            self.config = self.config.copy()
        return self.config


class NetworkObj:
    """One virtual network: its persistent and live definitions and flags."""

    __slots__ = ("autostart", "config", "live", "name", "ref", "uuid")

    def __init__(self, config: NetworkDef | None, live: NetworkDef | None, name: str, uuid: str) -> None:
        self.name = name
        self.uuid = uuid
        self.config = config
        self.live = live
        self.autostart = False
        self.ref = NetworkRef(name, uuid)

    @property
    def active(self) -> bool:
        return self.live is not None

    @property
    def persistent(self) -> bool:
        return self.config is not None

    def current(self) -> NetworkDef:
        found = self.live if self.live is not None else self.config
        assert found is not None
        return found


class VolObj:
    """One volume; its key and path are both ``<pool target path>/<name>`` (test driver rule)."""

    __slots__ = ("defn", "key", "pool", "ref")

    def __init__(self, defn: VolDef, pool: PoolObj, key: str) -> None:
        self.defn = defn
        self.pool = pool
        self.key = key
        self.ref = VolRef(pool.name, defn.name, key)


class PoolObj:
    """One storage pool, its volumes (by name) and its sizes."""

    __slots__ = ("active", "autostart", "defn", "name", "persistent", "ref", "uuid", "volumes")

    def __init__(self, defn: PoolDef, name: str, uuid: str, persistent: bool) -> None:
        self.defn = defn
        self.name = name
        self.uuid = uuid
        self.persistent = persistent
        self.active = False
        self.autostart = False
        self.volumes: dict[str, VolObj] = {}
        self.ref = PoolRef(name, uuid)


class NodeState:
    """All objects of one node, guarded by :attr:`lock` (hold it for every read and change)."""

    def __init__(self, node_info: NodeInfo, cells: tuple[NumaCell, ...]) -> None:
        self.lock = threading.Lock()
        self.node_info = node_info
        self.cells = cells
        self.domains_by_name: dict[str, DomainObj] = {}
        self.domains_by_uuid: dict[str, DomainObj] = {}
        self.domains_by_id: dict[int, DomainObj] = {}
        self.next_id = 1
        self.networks_by_name: dict[str, NetworkObj] = {}
        self.networks_by_uuid: dict[str, NetworkObj] = {}
        self.pools_by_name: dict[str, PoolObj] = {}
        self.pools_by_uuid: dict[str, PoolObj] = {}
        self.volumes_by_key: dict[str, VolObj] = {}
        self._sinks: tuple[EventSink, ...] = ()
        self._sinks_lock = threading.Lock()

    # -- connections and events -----------------------------------------------------------------

    def attach(self, sink: EventSink) -> None:
        with self._sinks_lock:
            self._sinks = (*self._sinks, sink)

    def detach(self, sink: EventSink) -> int:
        """Forget a connection's sink; returns how many connections remain."""
        with self._sinks_lock:
            sinks = list(self._sinks)
            if sink in sinks:
                sinks.remove(sink)
            self._sinks = tuple(sinks)
            return len(sinks)

    def emit(self, events: list[DomainEvent]) -> None:
        """Report events to every connection of this node (call without holding :attr:`lock`).

        libvirt's test driver queues events per node, so every connection to the shared
        default node sees the changes made through the others.
        """
        sinks = self._sinks
        for event in events:
            for sink in sinks:
                sink(event)

    # -- domain index -------------------------------------------------------------------------

    def add_domain(self, obj: DomainObj) -> None:
        self.domains_by_name[obj.name] = obj
        self.domains_by_uuid[obj.uuid] = obj

    def remove_domain(self, obj: DomainObj) -> None:
        del self.domains_by_name[obj.name]
        del self.domains_by_uuid[obj.uuid]
        if obj.id != -1:
            self.domains_by_id.pop(obj.id, None)

    def mark_started(self, obj: DomainObj, state: DomainState, reason: int) -> None:
        """Give ``obj`` the next ID (IDs are never reused) and its running state."""
        obj.id = self.next_id
        self.next_id += 1
        self.domains_by_id[obj.id] = obj
        obj.state = state
        obj.reason = reason
        obj.ref = DomainRef(obj.name, obj.uuid, obj.id)

    def mark_stopped(self, obj: DomainObj, reason: int) -> bool:
        """Shut ``obj`` off; a transient domain is removed.  True when it was removed."""
        self.domains_by_id.pop(obj.id, None)
        obj.id = -1
        obj.state = DomainState.SHUTOFF
        obj.reason = reason
        obj.ref = DomainRef(obj.name, obj.uuid, -1)
        if obj.config is None:
            self.remove_domain(obj)
            return True
        obj.live = None
        return False


class SharedDefault:
    """The process's ``test:///default`` state, reference counted by open connections."""

    _lock = threading.Lock()
    _state: NodeState | None = None
    _users = 0

    @classmethod
    def acquire(cls, build: Callable[[], NodeState]) -> NodeState:
        """The shared state, built by ``build()`` for the first connection."""
        with cls._lock:
            if cls._state is None:
                cls._state = build()
            cls._users += 1
            return cls._state

    @classmethod
    def release(cls, state: NodeState) -> None:
        """One connection closed; the last one drops the state, as libvirt does."""
        with cls._lock:
            if state is not cls._state:
                return
            cls._users -= 1
            if cls._users <= 0:
                cls._state = None
                cls._users = 0
