"""pyvirt: libvirt's architecture in Python — one typed API over pluggable hypervisor drivers.

    import pyvirt
    with pyvirt.open("test:///default") as conn:
        for dom in conn.list_domains():
            print(dom.name, dom.state())

Importing this package imports no driver, no lxml and no pluggy: a URI's driver plugin is
imported the first time that scheme is opened.
"""

from __future__ import annotations

from pyvirt.connection import Connection, open, open_read_only
from pyvirt.domain import Domain
from pyvirt.errors import (
    ConnectError,
    ErrorCode,
    ErrorDomain,
    InternalError,
    InvalidArgumentError,
    NoDomainCheckpointError,
    NoDomainError,
    NoDomainSnapshotError,
    NoInterfaceError,
    NoNetworkError,
    NoNodeDeviceError,
    NoStoragePoolError,
    NoStorageVolError,
    OperationDeniedError,
    OperationFailedError,
    OperationInvalidError,
    PyvirtError,
    UnsupportedError,
    URIError,
    XMLError,
)
from pyvirt.network import Network
from pyvirt.storage import StoragePool, StorageVol
from pyvirt.stream import Stream
from pyvirt.types import (
    CloseReason,
    DomainDisk,
    DomainEvent,
    DomainEventType,
    DomainInfo,
    DomainInterface,
    DomainMessageKind,
    DomainState,
    ListFilter,
    ModifyScope,
    NodeInfo,
    PoolInfo,
    PoolState,
    VolInfo,
    VolType,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see pyvirt.records)
if TYPE_CHECKING:
    from typing import Any

    from pyvirt.checkpoint import Checkpoint
    from pyvirt.hookspecs import hookimpl
    from pyvirt.interface import Interface
    from pyvirt.nodedevice import NodeDevice
    from pyvirt.types import (
        CheckpointCreateFlags,
        CheckpointDeleteFlags,
        CheckpointListFlags,
        CheckpointXMLFlags,
        NodeDeviceCap,
        TypedParam,
        TypedParamType,
    )

__all__ = [
    "Checkpoint",
    "CheckpointCreateFlags",
    "CheckpointDeleteFlags",
    "CheckpointListFlags",
    "CheckpointXMLFlags",
    "CloseReason",
    "ConnectError",
    "Connection",
    "Domain",
    "DomainDisk",
    "DomainEvent",
    "DomainEventType",
    "DomainInfo",
    "DomainInterface",
    "DomainMessageKind",
    "DomainState",
    "ErrorCode",
    "ErrorDomain",
    "Interface",
    "InternalError",
    "InvalidArgumentError",
    "ListFilter",
    "ModifyScope",
    "Network",
    "NoDomainCheckpointError",
    "NoDomainError",
    "NoDomainSnapshotError",
    "NoInterfaceError",
    "NoNetworkError",
    "NoNodeDeviceError",
    "NoStoragePoolError",
    "NoStorageVolError",
    "NodeDevice",
    "NodeDeviceCap",
    "NodeInfo",
    "OperationDeniedError",
    "OperationFailedError",
    "OperationInvalidError",
    "PoolInfo",
    "PoolState",
    "PyvirtError",
    "StoragePool",
    "StorageVol",
    "Stream",
    "TypedParam",
    "TypedParamType",
    "URIError",
    "UnsupportedError",
    "VolInfo",
    "VolType",
    "XMLError",
    "__version__",
    "hookimpl",
    "open",
    "open_read_only",
]


_LAZY = {
    "Checkpoint": "pyvirt.checkpoint",
    "Interface": "pyvirt.interface",
    "NodeDevice": "pyvirt.nodedevice",
    **dict.fromkeys(
        (
            "CheckpointCreateFlags",
            "CheckpointDeleteFlags",
            "CheckpointListFlags",
            "CheckpointXMLFlags",
            "NodeDeviceCap",
            "TypedParam",
            "TypedParamType",
        ),
        "pyvirt.types",
    ),
}
"""Names imported when first used: issue 14's handles, and the values pyvirt.types loads lazily."""


def __getattr__(name: str) -> Any:
    # Lazy: pluggy (hookimpl) and importlib.metadata (__version__) cost start-up time.
    if name == "hookimpl":
        from pyvirt.hookspecs import hookimpl

        return hookimpl
    if name in _LAZY:
        value = getattr(__import__(_LAZY[name], fromlist=[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if name == "__version__":
        from importlib.metadata import version

        return version("pyvirt")
    raise AttributeError(f"module 'pyvirt' has no attribute {name!r}")
