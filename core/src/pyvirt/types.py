"""Plain values that cross the driver interface.

Every argument and result of a driver call is one of these (or a str/int/bool), so the
remote driver can send them over a socket unchanged: NamedTuples become lists, IntEnums
become numbers, and the receiving side rebuilds them with ``TYPE(*fields)``.  Enum values are
libvirt's numbers, so code written against libvirt's constants maps one to one.
"""

# No `from __future__ import annotations` here: NamedTuple would compile every field's annotation
# string at import, about a third of this module's import time on pyvirsh's start-up path.
import enum
from typing import NamedTuple


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


class RunningReason(enum.IntEnum):
    UNKNOWN = 0
    BOOTED = 1
    MIGRATED = 2
    RESTORED = 3
    FROM_SNAPSHOT = 4
    UNPAUSED = 5
    MIGRATION_CANCELED = 6
    SAVE_CANCELED = 7
    WAKEUP = 8
    CRASHED = 9
    POSTCOPY = 10


class PausedReason(enum.IntEnum):
    UNKNOWN = 0
    USER = 1
    MIGRATION = 2
    SAVE = 3
    DUMP = 4
    IOERROR = 5
    WATCHDOG = 6
    FROM_SNAPSHOT = 7
    SHUTTING_DOWN = 8
    SNAPSHOT = 9
    CRASHED = 10


class ShutoffReason(enum.IntEnum):
    UNKNOWN = 0
    SHUTDOWN = 1
    DESTROYED = 2
    CRASHED = 3
    MIGRATED = 4
    SAVED = 5
    FAILED = 6
    FROM_SNAPSHOT = 7
    DAEMON = 8


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


class DefinedDetail(enum.IntEnum):
    ADDED = 0
    UPDATED = 1
    RENAMED = 2
    FROM_SNAPSHOT = 3


class UndefinedDetail(enum.IntEnum):
    REMOVED = 0
    RENAMED = 1


class StartedDetail(enum.IntEnum):
    BOOTED = 0
    MIGRATED = 1
    RESTORED = 2
    FROM_SNAPSHOT = 3
    WAKEUP = 4


class SuspendedDetail(enum.IntEnum):
    PAUSED = 0
    MIGRATED = 1
    IOERROR = 2
    WATCHDOG = 3
    RESTORED = 4
    FROM_SNAPSHOT = 5
    API_ERROR = 6


class ResumedDetail(enum.IntEnum):
    UNPAUSED = 0
    MIGRATED = 1
    FROM_SNAPSHOT = 2


class StoppedDetail(enum.IntEnum):
    SHUTDOWN = 0
    DESTROYED = 1
    CRASHED = 2
    MIGRATED = 3
    SAVED = 4
    FAILED = 5
    FROM_SNAPSHOT = 6


class ShutdownDetail(enum.IntEnum):
    FINISHED = 0
    GUEST = 1
    HOST = 2


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


class SnapshotCreateFlags(enum.IntFlag):
    """libvirt's ``VIR_DOMAIN_SNAPSHOT_CREATE_*``: how :meth:`Domain.create_snapshot` works.

    ``REDEFINE`` stores a full ``<domainsnapshot>`` document as metadata without touching the
    guest (``CURRENT`` with it also makes it the current snapshot); ``HALT`` stops the guest
    after the snapshot; ``DISK_ONLY`` takes disk overlays and no memory.
    """

    NONE = 0
    REDEFINE = 0x1
    CURRENT = 0x2
    NO_METADATA = 0x4
    HALT = 0x8
    DISK_ONLY = 0x10
    REUSE_EXT = 0x20
    QUIESCE = 0x40
    ATOMIC = 0x80
    LIVE = 0x100
    VALIDATE = 0x200


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


class BlockStats(NamedTuple):
    """One disk's I/O counters (``virDomainBlockStats``); -1 where the driver cannot tell."""

    rd_req: int
    rd_bytes: int
    wr_req: int
    wr_bytes: int
    errs: int


class InterfaceStats(NamedTuple):
    """One interface's traffic counters, as the host sees its end (``virDomainInterfaceStats``)."""

    rx_bytes: int
    rx_packets: int
    rx_errs: int
    rx_drop: int
    tx_bytes: int
    tx_packets: int
    tx_errs: int
    tx_drop: int


# -- host interfaces, node devices, scheduler parameters, checkpoints (issue 14) ---------------


class InterfaceRef(NamedTuple):
    """A host interface's identity: its name and MAC address ("" when it has none, as libvirt)."""

    name: str
    mac: str


class NodeDeviceCap(enum.IntFlag):
    """libvirt's ``VIR_CONNECT_LIST_NODE_DEVICES_*``: the capability bits a listing keeps, plus
    ACTIVE/INACTIVE.  No bit set means every device."""

    NONE = 0
    SYSTEM = 1 << 0
    PCI_DEV = 1 << 1
    USB_DEV = 1 << 2
    USB_INTERFACE = 1 << 3
    NET = 1 << 4
    SCSI_HOST = 1 << 5
    SCSI_TARGET = 1 << 6
    SCSI = 1 << 7
    STORAGE = 1 << 8
    FC_HOST = 1 << 9
    VPORTS = 1 << 10
    SCSI_GENERIC = 1 << 11
    DRM = 1 << 12
    MDEV_TYPES = 1 << 13
    MDEV = 1 << 14
    CCW_DEV = 1 << 15
    CSS_DEV = 1 << 16
    VDPA = 1 << 17
    AP_CARD = 1 << 18
    AP_QUEUE = 1 << 19
    AP_MATRIX = 1 << 20
    VPD = 1 << 21
    INACTIVE = 1 << 30
    ACTIVE = 1 << 31

    @classmethod
    def from_name(cls, name: str) -> "NodeDeviceCap":
        """The bit of a capability as the XML and ``virsh nodedev-list --cap`` spell it
        (``scsi_host``, ``pci``...); KeyError for a name libvirt does not know."""
        try:
            index = NODE_DEVICE_CAP_NAMES.index(name)
        except ValueError:
            raise KeyError(name) from None
        return cls(1 << index)


NODE_DEVICE_CAP_NAMES = (
    "system",
    "pci",
    "usb_device",
    "usb",
    "net",
    "scsi_host",
    "scsi_target",
    "scsi",
    "storage",
    "fc_host",
    "vports",
    "scsi_generic",
    "drm",
    "mdev_types",
    "mdev",
    "ccw",
    "css",
    "vdpa",
    "ap_card",
    "ap_queue",
    "ap_matrix",
    "vpd",
)
"""libvirt's capability names in bit order: name ``i`` is bit ``1 << i`` of :class:`NodeDeviceCap`."""


class TypedParamType(enum.IntEnum):
    """libvirt's ``virTypedParameterType``."""

    INT = 1
    UINT = 2
    LLONG = 3
    ULLONG = 4
    DOUBLE = 5
    BOOLEAN = 6
    STRING = 7


class TypedParam(NamedTuple):
    """One typed parameter (libvirt's ``virTypedParameter``): scheduler settings and the like."""

    field: str
    type: TypedParamType
    value: "int | float | bool | str"


class CheckpointCreateFlags(enum.IntFlag):
    """libvirt's ``VIR_DOMAIN_CHECKPOINT_CREATE_*``."""

    NONE = 0
    REDEFINE = 1
    QUIESCE = 2
    REDEFINE_VALIDATE = 4


class CheckpointListFlags(enum.IntFlag):
    """libvirt's ``VIR_DOMAIN_CHECKPOINT_LIST_*``: ROOTS for a domain's list, DESCENDANTS (the
    same bit) for a checkpoint's children."""

    NONE = 0
    ROOTS = 1
    DESCENDANTS = 1
    TOPOLOGICAL = 2
    LEAVES = 4
    NO_LEAVES = 8


class CheckpointXMLFlags(enum.IntFlag):
    """libvirt's ``VIR_DOMAIN_CHECKPOINT_XML_*``."""

    NONE = 0
    SECURE = 1
    NO_DOMAIN = 2
    SIZE = 4


class CheckpointDeleteFlags(enum.IntFlag):
    """libvirt's ``VIR_DOMAIN_CHECKPOINT_DELETE_*``."""

    NONE = 0
    CHILDREN = 1
    METADATA_ONLY = 2
    CHILDREN_ONLY = 4
