"""Handlers of the remote program, one module per kind of object; importing this package
fills :data:`HANDLERS`."""

from pyvirt_daemon.handlers import (
    auth,
    checkpoint,
    connect,
    domain,
    domainops,
    events,
    hostobjs,
    network,
    snapshot,
    storage,
    streams,
)
from pyvirt_daemon.handlers.table import HANDLERS

__all__ = [
    "HANDLERS",
    "auth",
    "checkpoint",
    "connect",
    "domain",
    "domainops",
    "events",
    "hostobjs",
    "network",
    "snapshot",
    "storage",
    "streams",
]
