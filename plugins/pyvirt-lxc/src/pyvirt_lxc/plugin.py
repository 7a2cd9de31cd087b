"""Entry point of the ``lxc`` scheme: which URIs this process serves itself.

* ``lxc:///embed?root=DIR`` runs the driver in the calling process, everything under ``DIR``;
* ``lxc:///system`` (and ``lxc:///``) is served only inside pyvirtd: a client process declines
  it (``None``) so the core hands it to the daemon, where containers outlive every client.
  Its files go under the daemon's root (the plugin host's ``root``, as the QEMU driver's), else ``/``.
"""

from __future__ import annotations

import os

from pyvirt.driver import DriverConnection, EventSink
from pyvirt.errors import ErrorDomain, URIError
from pyvirt.hookspecs import hookimpl
from pyvirt.plugins import host
from pyvirt.uri import URI

STATE_URIS = ("lxc:///system",)
"""Opened by pyvirtd when it starts, so autostart containers start and running containers are watched
before any client connects (:mod:`pyvirt_daemon.state`)."""


@hookimpl
def connect_open(uri: URI, read_only: bool, events: EventSink) -> DriverConnection | None:
    """Open an embedded root, or ``lxc:///system`` inside the daemon; decline the rest."""
    if uri.driver != "lxc" or uri.is_remote:
        return None
    path = uri.path.rstrip("/")
    if path == "/embed":
        root = uri.param("root")
        if not root or not root.startswith("/"):
            raise URIError(
                f"invalid connection URI '{uri}': lxc:///embed needs root=/absolute/directory", domain=ErrorDomain.LXC
            )
        from pyvirt_lxc.driver import LxcConnection  # the driver loads only when a URI is served

        return LxcConnection.open_embedded(uri, events, root)
    if path in ("", "/system"):
        if not host().server_side:
            return None
        from pyvirt_lxc.driver import LxcConnection

        return LxcConnection.open_system(uri, events, os.path.realpath(host().root or "/"))
    raise URIError(
        f"invalid connection URI '{uri}': the LXC driver serves lxc:///system and lxc:///embed?root=DIR",
        domain=ErrorDomain.LXC,
    )
