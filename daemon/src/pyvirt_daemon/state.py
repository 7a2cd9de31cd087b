"""The stateful drivers (libvirt's ``virStateInitialize``): opened once, when the daemon starts.

A stateful driver owns guests that outlive every client: it must start the autostart ones and
watch the running ones from the moment the daemon is up, not from the first client's open.  A
driver says which URIs need this with a ``STATE_URIS`` tuple in its plugin module (the QEMU
driver: ``qemu:///system``); the daemon opens each one here and keeps the connection for its
whole life.  A driver that fails to load or to open is logged and left out: the daemon serves
the others, and a client's own open of that URI reports the reason again.
"""

from __future__ import annotations

from pyvirt import registry
from pyvirt.driver import DriverConnection
from pyvirt.errors import PyvirtError
from pyvirt.log import get_logger
from pyvirt.plugins import host
from pyvirt.types import DomainEvent
from pyvirt.uri import parse

log = get_logger("pyvirtd.state")


def declared_uris() -> list[str]:
    """The URIs the installed drivers ask the daemon to hold open, in scheme order."""
    uris: list[str] = []
    for info in registry.installed_drivers():
        try:
            plugins = registry.load_driver_plugins(info.scheme)
        except PyvirtError as exc:
            log.error("driver plugin failed to load", scheme=info.scheme, error=str(exc))
            continue
        for plugin in plugins:
            uris.extend(u for u in getattr(plugin, "STATE_URIS", ()) if u not in uris)
    return uris


def _ignore(event: DomainEvent) -> None:
    """The daemon's own connections need no events: each client subscribes on its own."""


class StateDrivers:
    """The daemon's own connections to its stateful drivers."""

    def __init__(self) -> None:
        self.open: dict[str, DriverConnection] = {}

    def start(self) -> None:
        """Open every declared URI (autostart runs, guests are watched); never raises."""
        for uri in declared_uris():
            try:
                self.open[uri] = host().open_connection(parse(uri), False, _ignore)
            except Exception as exc:  # one broken driver must not keep the daemon down
                log.error("stateful driver not started", uri=uri, error=str(exc))
                continue
            log.info("stateful driver started", uri=uri)

    def stop(self) -> None:
        """Close the connections; the guests keep running, as they do when libvirtd stops."""
        for uri, conn in self.open.items():
            try:
                conn.close()
            except Exception as exc:
                log.warning("stateful driver did not close cleanly", uri=uri, error=str(exc))
        self.open.clear()
