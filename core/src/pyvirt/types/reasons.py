"""Why a domain is in its state, and the detail of each lifecycle event: libvirt's
``virDomain*Reason`` and ``virDomainEvent*DetailType`` numbers.

Drivers report them and event printers name them; listing and reading domains never need
them, so :mod:`pyvirt.types` loads this module on first use.
"""

import enum


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
