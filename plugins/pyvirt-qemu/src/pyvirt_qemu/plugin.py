"""Entry point of the ``qemu`` scheme.

``qemu:///embed?root=DIR`` is served in-process, everything under DIR.  ``qemu:///system`` and
``qemu:///session`` are served only where this driver runs inside pyvirtd (the core's
``server_side``); in a client process they are declined, so the core hands them to the daemon,
where the guests outlive every client.
"""

from __future__ import annotations

import os
from pathlib import Path

from pyvirt.driver import DriverConnection, EventSink
from pyvirt.errors import ConnectError, ErrorCode
from pyvirt.hookspecs import hookimpl
from pyvirt.plugins import host
from pyvirt.uri import URI

STATE_URIS = ("qemu:///system",)
"""Opened by pyvirtd when it starts, so autostart guests start and running guests are watched
before any client connects (:mod:`pyvirt_daemon.state`)."""


@hookimpl
def connect_open(uri: URI, read_only: bool, events: EventSink) -> DriverConnection | None:
    """Open ``uri`` when this process serves it; ``None`` (declined) when a daemon should."""
    if uri.driver != "qemu" or uri.is_remote:
        return None
    from pyvirt_qemu.connection import QemuConnection  # imported only when a qemu: URI is opened
    from pyvirt_qemu.layout import Layout

    if uri.path == "/embed":
        root = uri.param("root")
        if not root or not os.path.isabs(root):
            raise ConnectError(
                f"invalid argument: the embedded QEMU driver needs an absolute 'root' parameter: '{uri}'",
                code=ErrorCode.INVALID_ARG,
            )
        tree = Path(root).resolve()
        return QemuConnection(uri, events, tree, Layout.embedded(tree))
    if uri.path not in ("/system", "/session"):
        raise ConnectError(
            f"unexpected QEMU URI path '{uri.path}', try qemu:///system, qemu:///session or qemu:///embed?root=DIR",
            code=ErrorCode.INVALID_ARG,
        )
    if not host().server_side:
        return None
    if uri.path == "/session":
        layout = Layout.session()
        return QemuConnection(uri, events, layout.run, layout, resident=True)
    layout = Layout.system(Path(host().root or "/"))
    return QemuConnection(uri, events, layout.run, layout, resident=True)
