"""Plain values that cross the driver interface.

Every argument and result of a driver call is one of these (or a str/int/bool), so the
remote driver can send them over a socket unchanged: NamedTuples become lists, IntEnums
become numbers, and the receiving side rebuilds them with ``TYPE(*fields)``.  Enum values are
libvirt's numbers, so code written against libvirt's constants maps one to one.

Every value is importable from here.  The ones listing and reading never need (state reasons and
event details, snapshot, checkpoint and node-device flags, typed parameters, I/O counters) live
in submodules loaded on first use: each enum member costs time to create, and this module is
on every start-up path.
"""

import enum

from pyvirt.records import NamedTuple

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see pyvirt.records)
if TYPE_CHECKING:
    from pyvirt.types.checkpoint import CheckpointCreateFlags as CheckpointCreateFlags
    from pyvirt.types.checkpoint import CheckpointDeleteFlags as CheckpointDeleteFlags
    from pyvirt.types.checkpoint import CheckpointListFlags as CheckpointListFlags
    from pyvirt.types.checkpoint import CheckpointXMLFlags as CheckpointXMLFlags
    from pyvirt.types.nodedev import NODE_DEVICE_CAP_NAMES as NODE_DEVICE_CAP_NAMES
    from pyvirt.types.nodedev import NodeDeviceCap as NodeDeviceCap
    from pyvirt.types.reasons import DefinedDetail as DefinedDetail
    from pyvirt.types.reasons import PausedReason as PausedReason
    from pyvirt.types.reasons import ResumedDetail as ResumedDetail
    from pyvirt.types.reasons import RunningReason as RunningReason
    from pyvirt.types.reasons import ShutdownDetail as ShutdownDetail
    from pyvirt.types.reasons import ShutoffReason as ShutoffReason
    from pyvirt.types.reasons import StartedDetail as StartedDetail
    from pyvirt.types.reasons import StoppedDetail as StoppedDetail
    from pyvirt.types.reasons import SuspendedDetail as SuspendedDetail
    from pyvirt.types.reasons import UndefinedDetail as UndefinedDetail
    from pyvirt.types.sched import TypedParam as TypedParam
    from pyvirt.types.sched import TypedParamType as TypedParamType
    from pyvirt.types.snapshot import SnapshotCreateFlags as SnapshotCreateFlags
    from pyvirt.types.stats import BlockStats as BlockStats
    from pyvirt.types.stats import InterfaceStats as InterfaceStats

_SUBMODULE = {
    **dict.fromkeys(
        ("CheckpointCreateFlags", "CheckpointDeleteFlags", "CheckpointListFlags", "CheckpointXMLFlags"), "checkpoint"
    ),
    **dict.fromkeys(("NODE_DEVICE_CAP_NAMES", "NodeDeviceCap"), "nodedev"),
    **dict.fromkeys(
        (
            "DefinedDetail",
            "PausedReason",
            "ResumedDetail",
            "RunningReason",
            "ShutdownDetail",
            "ShutoffReason",
            "StartedDetail",
            "StoppedDetail",
            "SuspendedDetail",
            "UndefinedDetail",
        ),
        "reasons",
    ),
    **dict.fromkeys(("TypedParam", "TypedParamType"), "sched"),
    "SnapshotCreateFlags": "snapshot",
    **dict.fromkeys(("BlockStats", "InterfaceStats"), "stats"),
}
"""Where each value loaded on first use lives."""


def __getattr__(name: str) -> object:
    submodule = _SUBMODULE.get(name)
    if submodule is None:
        raise AttributeError(f"module 'pyvirt.types' has no attribute {name!r}")
    value = getattr(__import__(f"pyvirt.types.{submodule}", fromlist=[name]), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULE})


class DomainState(enum.IntEnum):
    """libvirt's ``virDomainState``."""

    NOSTATE = 0
    RUNNING = 1
    BLOCKED = 2
    PAUSED = 3
    SHUTDOWN = 4
    SHUTOFF = 5
    CRASHED = 6
    PMSUSPENDED = 7

    @property
    def label(self) -> str:
        """The word virsh prints for this state (``shut off``, ``in shutdown``...)."""
        return _STATE_LABELS[self]


_STATE_LABELS = {
    DomainState.NOSTATE: "no state",
    DomainState.RUNNING: "running",
    DomainState.BLOCKED: "idle",
    DomainState.PAUSED: "paused",
    DomainState.SHUTDOWN: "in shutdown",
    DomainState.SHUTOFF: "shut off",
    DomainState.CRASHED: "crashed",
    DomainState.PMSUSPENDED: "pmsuspended",
}


class DomainEventType(enum.IntEnum):
    """libvirt's ``virDomainEventType``."""

    DEFINED = 0
    UNDEFINED = 1
    STARTED = 2
    SUSPENDED = 3
    RESUMED = 4
    STOPPED = 5
    SHUTDOWN = 6
    PMSUSPENDED = 7
    CRASHED = 8


class PoolState(enum.IntEnum):
    """libvirt's ``virStoragePoolState``."""

    INACTIVE = 0
    BUILDING = 1
    RUNNING = 2
    DEGRADED = 3
    INACCESSIBLE = 4


class VolType(enum.IntEnum):
    """libvirt's ``virStorageVolType``."""

    FILE = 0
    BLOCK = 1
    DIR = 2
    NETWORK = 3
    NETDIR = 4
    PLOOP = 5


class ListFilter(enum.IntFlag):
    """Filters for listing calls; the bits are libvirt's ``VIR_CONNECT_LIST_DOMAINS_*`` values.

    Networks and pools take the same names (libvirt numbers their ACTIVE/INACTIVE and AUTOSTART
    bits differently; pyvirt keeps one set so a filter means the same thing everywhere).

    Within one pair (active/inactive, persistent/transient, autostart/no-autostart) setting
    neither bit or both bits means "either"; pairs combine with AND, as in libvirt.
    """

    NONE = 0
    ACTIVE = 1 << 0
    INACTIVE = 1 << 1
    PERSISTENT = 1 << 2
    TRANSIENT = 1 << 3
    RUNNING = 1 << 4
    PAUSED = 1 << 5
    SHUTOFF = 1 << 6
    OTHER = 1 << 7
    MANAGEDSAVE = 1 << 8
    NO_MANAGEDSAVE = 1 << 9
    AUTOSTART = 1 << 10
    NO_AUTOSTART = 1 << 11


class ModifyScope(enum.IntFlag):
    """libvirt's ``VIR_DOMAIN_AFFECT_*``: change the running domain, its config, or both.

    ``CURRENT`` (0) means "live if running, else config", libvirt's default.
    """

    CURRENT = 0
    LIVE = 1
    CONFIG = 2
    MAXIMUM = 4


class DomainMessageKind(enum.IntFlag):
    """libvirt's ``VIR_DOMAIN_MESSAGE_*``: which messages :meth:`Domain.messages` returns.

    ``ALL`` (0) means every kind, as libvirt's flags 0 do.
    """

    ALL = 0
    DEPRECATION = 1
    TAINTING = 2


class DomainRef(NamedTuple):
    """A domain's identity as a driver reports it (libvirt's virDomainPtr fields).

    ``id`` is -1 while the domain is not running.
    """

    name: str
    uuid: str
    id: int


class NetworkRef(NamedTuple):
    name: str
    uuid: str


class PoolRef(NamedTuple):
    name: str
    uuid: str


class VolRef(NamedTuple):
    """A volume's identity: its pool, its name and its key (unique on the node)."""

    pool: str
    name: str
    key: str


class DomainInfo(NamedTuple):
    """libvirt's ``virDomainInfo``: memory in KiB, CPU time in nanoseconds."""

    state: DomainState
    max_memory: int
    memory: int
    vcpus: int
    cpu_time: int


class NodeInfo(NamedTuple):
    """libvirt's ``virNodeInfo``: memory in KiB, frequency in MHz."""

    model: str
    memory: int
    cpus: int
    mhz: int
    nodes: int
    sockets: int
    cores: int
    threads: int


class PoolInfo(NamedTuple):
    """libvirt's ``virStoragePoolInfo``: sizes in bytes."""

    state: PoolState
    capacity: int
    allocation: int
    available: int


class VolInfo(NamedTuple):
    """libvirt's ``virStorageVolInfo``: sizes in bytes."""

    type: VolType
    capacity: int
    allocation: int


class DomainDisk(NamedTuple):
    """One ``<disk>`` of a domain, as ``virsh domblklist --details`` shows it."""

    type: str
    device: str
    target: str
    source: str | None


class DomainInterface(NamedTuple):
    """One ``<interface>`` of a domain, as ``virsh domiflist`` shows it."""

    type: str
    source: str | None
    model: str | None
    mac: str | None
    target: str | None


class DomainEvent(NamedTuple):
    """A lifecycle event as subscribers receive it: which domain, what, and why."""

    domain: DomainRef
    event: DomainEventType
    detail: int


class CloseReason(enum.IntEnum):
    """Why a connection's link to its node ended (libvirt's ``VIR_CONNECT_CLOSE_REASON_*``),
    as a close callback receives it."""

    ERROR = 0  # reading or writing the link failed
    EOF = 1  # the far side closed the link
    KEEPALIVE = 2  # the far side stopped answering keepalive requests
    CLIENT = 3  # this side closed the connection


class Version(NamedTuple):
    """A version as libvirt encodes it: major * 1,000,000 + minor * 1,000 + micro."""

    major: int
    minor: int
    micro: int

    @classmethod
    def from_number(cls, number: int) -> "Version":
        return cls(number // 1_000_000, number // 1000 % 1000, number % 1000)

    @property
    def number(self) -> int:
        return self.major * 1_000_000 + self.minor * 1000 + self.micro

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.micro}"


class InterfaceRef(NamedTuple):
    """A host interface's identity: its name and MAC address ("" when it has none, as libvirt)."""

    name: str
    mac: str
