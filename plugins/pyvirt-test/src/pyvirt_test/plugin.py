"""Entry point of the ``test`` scheme: accept local ``test:///...`` URIs, decline the rest.

A URI with a host or a transport (``test+tcp://host/default``) belongs to the remote driver,
so it is declined (``None``), as libvirt's test driver declines it.
"""

from __future__ import annotations

from pyvirt.driver import DriverConnection, EventSink
from pyvirt.hookspecs import hookimpl
from pyvirt.uri import URI

DEFAULT_NODE_PATH = "/default"

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from pyvirt.auth import Authenticator


@hookimpl
def connect_open(uri: URI, read_only: bool, events: EventSink, auth: Authenticator | None) -> DriverConnection | None:
    """Open the node ``uri`` names: the shared default node, or a fresh node from a file (whose
    ``<auth>`` users must then log in through ``auth``, :mod:`pyvirt_test.nodeauth`)."""
    if uri.driver != "test" or uri.is_remote:
        return None
    from pyvirt_test.driver import TestConnection  # imported only when a test: URI is opened

    conn = TestConnection.open(uri, events)
    if uri.path == DEFAULT_NODE_PATH:
        return conn  # the built-in node has no users
    from pyvirt_test import nodeauth

    try:
        nodeauth.authenticate(uri, nodeauth.users(uri.path), auth)
    except BaseException:
        conn.close()
        raise
    return conn
