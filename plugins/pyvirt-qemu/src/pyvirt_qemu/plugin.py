"""Entry point of the QEMU driver: it claims its scheme but cannot open it yet.

Claiming the scheme (rather than not being installed) lets users see *why* `qemu://` URIs fail:
the driver exists as a distribution, its implementation is a later milestone.
"""

from __future__ import annotations

from pyvirt.driver import DriverConnection, EventSink
from pyvirt.errors import ConnectError, ErrorCode
from pyvirt.hookspecs import hookimpl
from pyvirt.uri import URI


@hookimpl
def connect_open(uri: URI, read_only: bool, events: EventSink) -> DriverConnection | None:
    """Decline URIs of other schemes and remote ones; refuse local `qemu://` with a clear reason."""
    if uri.driver != "qemu" or uri.is_remote:
        return None
    raise ConnectError(
        f"the QEMU driver (pyvirt-qemu) is not implemented yet: cannot open '{uri}'",
        code=ErrorCode.NO_SUPPORT,
    )
