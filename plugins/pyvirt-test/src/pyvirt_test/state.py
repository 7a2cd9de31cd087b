"""The in-memory node: every object of one test node, behind one lock.

A :class:`NodeState` is what libvirt's test driver calls its private connection data: the
domains, networks, pools and volumes of one imaginary host.  ``test:///default`` has one
state per process, shared by all its connections and dropped when the last one closes (as
libvirt does); each open of a node file gets a fresh state of its own.

Objects are indexed by name, UUID and (domains) ID so lookups are one dict access.  Domains
keep libvirt's two definitions: ``config`` (the persistent one, None for a transient domain)
and ``live`` (while running).  At start both point at the same object; whichever side is
changed first is copied then (copy on write), so a start/destroy cycle copies nothing.

Opening ``test:///default`` and answering what lists and infos show must not pay for lxml and
the XML models (most of a short ``pyvirsh`` run).  So every built-in object starts with a
:class:`Pending` definition: its identity and state are known, its text is parsed the first time
anything needs the document (a dump, a change, a check against another object).  The same holds
for each kind: ``list``, ``dominfo``, ``net-list``, ``pool-list`` and ``vol-list`` parse nothing.
"""

from __future__ import annotations

import _thread  # threading's locks without importing threading (pyvirsh start-up)

from pyvirt.driver import EventSink
from pyvirt.errors import ErrorCode, ErrorDomain, PyvirtError
from pyvirt.records import NamedTuple
from pyvirt.types import (
    DomainEvent,
    DomainRef,
    DomainState,
    NetworkRef,
    NodeInfo,
    PoolRef,
    VolRef,
)
from pyvirt_test.taints import NONE as NO_MESSAGES

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Generic, Protocol, TypeVar

    from pyvirt.xml.domain import DomainDef
    from pyvirt.xml.network import NetworkDef
    from pyvirt.xml.snapshot import SnapshotDef
    from pyvirt.xml.storagepool import PoolDef
    from pyvirt.xml.storagevol import VolDef

    _Def = TypeVar("_Def")

    class _Named(Protocol):
        @property
        def name(self) -> str: ...

        @property
        def uuid(self) -> str: ...

    _Obj = TypeVar("_Obj", bound=_Named)
else:

    class Generic:
        """``typing.Generic`` at run time without importing :mod:`typing` (pyvirsh's start-up
        path avoids it): the classes here are only subscripted in annotations."""

        __slots__ = ()

        def __class_getitem__(cls, item: object) -> type:
            return cls

    _Def = None

POOL_CAPACITY = 107374182400
"""Every test pool reports 100 GiB, whatever its XML says (libvirt's test driver does)."""


class NumaCell(NamedTuple):
    """One NUMA cell of the imaginary host: memory in KiB, its page size and its CPUs."""

    id: int
    memory_kib: int
    page_size_kib: int
    pages: int
    cpus: range
    socket: int


class DomainFacts(NamedTuple):
    """What a domain's ``info`` needs from its definition, known without parsing it."""

    name: str
    uuid: str
    memory_kib: int
    current_memory_kib: int
    vcpus: int
    current_vcpus: int


class Pending(Generic[_Def]):
    """A definition not parsed yet: its text and the parser that will read it (domains also
    carry the :class:`DomainFacts` their info shows)."""

    __slots__ = ("facts", "parse", "xml")

    def __init__(self, xml: str, parse: Callable[[str], _Def], facts: DomainFacts | None = None) -> None:
        self.xml = xml
        self.parse = parse
        self.facts = facts


class _Definitions(Generic[_Def]):
    """libvirt's two definitions of an object: ``config`` (persistent; None for a transient
    object) and ``live`` (while active).  Either may still be :class:`Pending`; reading it
    parses it once, for both sides when they share it."""

    __slots__ = ("_config", "_live")
    _config: _Def | Pending[_Def] | None
    _live: _Def | Pending[_Def] | None

    @property
    def persistent(self) -> bool:
        return self._config is not None

    @property
    def config(self) -> _Def | None:
        found = self._config
        return self._resolve(found) if isinstance(found, Pending) else found

    @config.setter
    def config(self, value: _Def | None) -> None:
        self._config = value

    @property
    def live(self) -> _Def | None:
        found = self._live
        return self._resolve(found) if isinstance(found, Pending) else found

    @live.setter
    def live(self, value: _Def | None) -> None:
        self._live = value

    def has_live(self) -> bool:
        return self._live is not None

    def _resolve(self, pending: Pending[_Def]) -> _Def:
        parsed = pending.parse(pending.xml)
        if self._config is pending:
            self._config = parsed
        if self._live is pending:
            self._live = parsed
        return parsed


class DomainObj(_Definitions["DomainDef"]):
    """One domain and its run state; :attr:`persistent`, :meth:`has_live` and :meth:`sizes`
    answer without parsing a pending definition."""

    __slots__ = (
        "autostart",
        "current_snapshot",
        "has_managed_save",
        "id",
        "messages",
        "name",
        "reason",
        "ref",
        "snapshots",
        "state",
        "uuid",
    )

    def __init__(
        self,
        config: DomainDef | Pending[DomainDef] | None,
        live: DomainDef | Pending[DomainDef] | None,
        name: str,
        uuid: str,
    ) -> None:
        self.name = name
        self.uuid = uuid
        self._config = config
        self._live = live
        self.id = -1
        self.state = DomainState.SHUTOFF
        self.reason = 0
        self.autostart = False
        self.has_managed_save = False
        self.snapshots: dict[str, SnapshotDef] = {}
        """By name, oldest first (dicts keep insertion order)."""
        self.current_snapshot: str | None = None
        self.messages = NO_MESSAGES
        self.ref = DomainRef(name, uuid, -1)

    @property
    def active(self) -> bool:
        return self.id != -1

    def share_config_as_live(self) -> None:
        """Run on the persistent definition (a start, or a running domain kept when undefined)."""
        self._live = self._config

    def sizes(self) -> tuple[int, int, int]:
        """(maximum memory KiB, current memory KiB, vCPUs in use) of the current definition."""
        found = self._live if self._live is not None else self._config
        if isinstance(found, Pending):
            facts = found.facts
            assert facts is not None, "a pending domain carries its facts"
            return facts.memory_kib, facts.current_memory_kib, facts.current_vcpus
        assert found is not None, "a domain always has at least one definition"
        return found.memory_kib, found.current_memory_kib, found.current_vcpus

    def current(self) -> DomainDef:
        """The definition that describes the domain now: live while running, else the config."""
        found = self.live if self.live is not None else self.config
        assert found is not None, "a domain always has at least one definition"
        return found

    def persistent_view(self) -> DomainDef:
        """What ``--inactive`` shows: the config, or a transient domain's own definition."""
        found = self.config if self._config is not None else self.live
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


class NetworkObj(_Definitions["NetworkDef"]):
    """One virtual network: its persistent and live definitions and flags."""

    __slots__ = ("autostart", "name", "ref", "uuid")

    def __init__(
        self,
        config: NetworkDef | Pending[NetworkDef] | None,
        live: NetworkDef | Pending[NetworkDef] | None,
        name: str,
        uuid: str,
    ) -> None:
        self.name = name
        self.uuid = uuid
        self._config = config
        self._live = live
        self.autostart = False
        self.ref = NetworkRef(name, uuid)

    @property
    def active(self) -> bool:
        return self._live is not None

    def current(self) -> NetworkDef:
        found = self.live if self.live is not None else self.config
        assert found is not None
        return found


class VolObj:
    """One volume; its key and path are both ``<pool target path>/<name>`` (test driver rule)."""

    __slots__ = ("content", "defn", "key", "pool", "ref")

    def __init__(self, defn: VolDef, pool: PoolObj, key: str) -> None:
        self.defn = defn
        self.pool = pool
        self.key = key
        self.ref = VolRef(pool.name, defn.name, key)
        self.content = b""
        """Bytes uploaded so far; the rest of the capacity reads as zeros (see :mod:`.volstreams`)."""


class PoolObj:
    """One storage pool, its volumes (by name) and its sizes (kept in its definition)."""

    __slots__ = ("_defn", "active", "autostart", "name", "persistent", "ref", "uuid", "volumes")

    def __init__(self, defn: PoolDef | Pending[PoolDef], name: str, uuid: str, persistent: bool) -> None:
        self._defn = defn
        self.name = name
        self.uuid = uuid
        self.persistent = persistent
        self.active = False
        self.autostart = False
        self.volumes: dict[str, VolObj] = {}
        self.ref = PoolRef(name, uuid)

    @property
    def defn(self) -> PoolDef:
        found = self._defn
        if isinstance(found, Pending):
            found = self._defn = found.parse(found.xml)
        return found

    @defn.setter
    def defn(self, value: PoolDef) -> None:
        self._defn = value

    def sizes(self) -> tuple[int, int, int]:
        """(capacity, allocation, available) in bytes, without parsing a pending definition:
        a pool is parsed before its first volume is added, so a pending one has none."""
        found = self._defn
        if isinstance(found, Pending):
            assert not self.volumes, "a pool is parsed before it gets volumes"
            return POOL_CAPACITY, 0, POOL_CAPACITY
        return found.capacity, found.allocation, found.available


class NodeState:
    """All objects of one node, guarded by :attr:`lock` (hold it for every read and change)."""

    def __init__(self, node_info: NodeInfo, cells: tuple[NumaCell, ...]) -> None:
        self.lock = _thread.allocate_lock()
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
        self.side_tables: dict[type[object], object] = {}
        """Tables of the kinds kept beside the node (:mod:`pyvirt_test.sidetables`), by kind."""
        self._sinks: tuple[EventSink, ...] = ()
        self._sinks_lock = _thread.allocate_lock()

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

    _lock = _thread.allocate_lock()
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


def claim_identity(
    by_uuid: dict[str, _Obj],
    by_name: dict[str, _Obj],
    name: str,
    uuid: str,
    *,
    kind: str,
    error: type[PyvirtError],
    error_domain: ErrorDomain,
) -> _Obj | None:
    """The object a new definition replaces, or None; refuse a name or UUID held by another.

    libvirt checks the UUID first ("'old' is already defined with uuid U"), then the name
    ("'name' already exists with uuid U"), with the same wording for domains and networks.
    """
    obj = by_uuid.get(uuid)
    if obj is not None:
        if obj.name != name:
            raise error(
                f"operation failed: {kind} '{obj.name}' is already defined with uuid {uuid}",
                code=ErrorCode.OPERATION_FAILED,
                domain=error_domain,
            )
        return obj
    other = by_name.get(name)
    if other is not None:
        raise error(
            f"operation failed: {kind} '{name}' already exists with uuid {other.uuid}",
            code=ErrorCode.OPERATION_FAILED,
            domain=error_domain,
        )
    return None
