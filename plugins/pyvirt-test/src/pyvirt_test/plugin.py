"""Entry point of the ``test`` scheme: accept local ``test:///...`` URIs, decline the rest.

A URI with a host or a transport (``test+tcp://host/default``) belongs to the remote driver,
so it is declined (``None``), as libvirt's test driver declines it.
"""

from __future__ import annotations

from pyvirt.driver import DriverConnection, EventSink
from pyvirt.hookspecs import hookimpl
from pyvirt.uri import URI


@hookimpl
def connect_open(uri: URI, read_only: bool, events: EventSink) -> DriverConnection | None:
    """Open the node ``uri`` names: the shared default node, or a fresh node from a file."""
    if uri.driver != "test" or uri.is_remote:
        return None
    from pyvirt_test.driver import TestConnection  # imported only when a test: URI is opened

    return TestConnection.open(uri, events)
