"""The plugin manager, behind a typed facade.

Core code never calls the untyped ``pm.hook.*`` directly: it calls the methods here, which
load the plugins they need first (drivers per scheme, hook plugins on the first lifecycle
call) and turn a plugin's veto into :class:`~pyvirt.errors.OperationDeniedError`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pluggy

from pyvirt import hookspecs, registry
from pyvirt.errors import ConnectError, ErrorCode, OperationDeniedError, PyvirtError
from pyvirt.log import get_logger

if TYPE_CHECKING:
    from pyvirt.driver import DriverConnection, EventSink
    from pyvirt.types import DomainEvent, DomainRef
    from pyvirt.uri import URI

log = get_logger("pyvirt.plugins")


class PluginHost:
    """Owns the process's pluggy manager and knows which plugins are registered."""

    def __init__(self) -> None:
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._lock = threading.Lock()
        self._hooks_loaded = False
        self.server_side = False
        """True inside pyvirtd: URIs are served by this process's drivers, never handed on to a
        daemon (libvirt's remote driver declines inside libvirtd the same way)."""
        self.root = ""
        """The directory the daemon's stateful drivers keep their files under (pyvirtd's
        ``root``, set before it opens any driver); empty means the host's own directories."""

    def register(self, plugin: object, name: str | None = None) -> None:
        """Register a plugin object directly (tests, embedding applications)."""
        with self._lock:
            if not self._pm.is_registered(plugin):
                self._pm.register(plugin, name=name)

    def unregister(self, plugin: object) -> None:
        with self._lock:
            if self._pm.is_registered(plugin):
                self._pm.unregister(plugin)

    def open_connection(self, uri: URI, read_only: bool, events: EventSink) -> DriverConnection:
        """Open ``uri`` with the driver that serves it (libvirt's ``virConnectOpenInternal``).

        A URI naming a transport or a host goes to the remote driver.  Otherwise the scheme's
        drivers are asked in turn; when none is installed or all decline, a client process hands
        the URI to the local daemon's unix socket, as libvirt's clients do for ``qemu:///system``.
        """
        if uri.is_remote:
            if self.server_side:
                raise ConnectError(
                    f"cannot open '{uri}' inside the daemon: it serves local URIs only", code=ErrorCode.NO_CONNECT
                )
            from pyvirt.remote.opening import open_remote  # the codec loads on the first remote open

            return open_remote(uri, read_only, events)
        try:
            plugins = registry.load_driver_plugins(uri.driver)
        except ConnectError:
            if self.server_side:
                raise
            from pyvirt.remote.target import local_daemon

            daemon = local_daemon(uri, read_only)
            if not daemon.socket_present():
                raise  # no driver and no daemon: the missing-driver message says what to install
            from pyvirt.remote.opening import open_target

            return open_target(daemon, events)
        for plugin in plugins:
            self.register(plugin, name=f"driver:{uri.driver}:{getattr(plugin, '__name__', id(plugin))}")
        conn: DriverConnection | None = self._pm.hook.connect_open(uri=uri, read_only=read_only, events=events)
        if conn is None:
            declined = f"the installed '{uri.driver}' driver declined it"
            if self.server_side:
                raise ConnectError(
                    f"no connection driver available for URI '{uri}': {declined}", code=ErrorCode.NO_CONNECT
                )
            from pyvirt.remote.opening import open_local_daemon

            return open_local_daemon(uri, read_only, events, declined)
        log.debug("connection opened", uri=str(uri), driver=conn.name, read_only=read_only)
        return conn

    # -- lifecycle hooks: raising vetoes -----------------------------------------------------

    def before_define(self, uri: str, xml: str) -> None:
        self._run_veto("domain_define", uri=uri, xml=xml)

    def before_create(self, uri: str, xml: str) -> None:
        self._run_veto("domain_create", uri=uri, xml=xml)

    def before_start(self, uri: str, domain: DomainRef) -> None:
        self._run_veto("domain_start", uri=uri, domain=domain)

    def before_stop(self, uri: str, domain: DomainRef, how: str) -> None:
        self._run_veto("domain_stop", uri=uri, domain=domain, how=how)

    def before_undefine(self, uri: str, domain: DomainRef) -> None:
        self._run_veto("domain_undefine", uri=uri, domain=domain)

    def notify_event(self, uri: str, event: DomainEvent) -> None:
        """Tell hook plugins about a completed event; their failures never reach the caller."""
        self._ensure_hook_plugins()
        caller = self._pm.hook.domain_event
        if not caller.get_hookimpls():
            return
        try:
            caller(uri=uri, event=event)
        except Exception as exc:  # an observer's bug must not undo what happened
            log.warning("domain_event hook failed", error=repr(exc))

    def _run_veto(self, hook_name: str, **kwargs: object) -> None:
        self._ensure_hook_plugins()
        caller = getattr(self._pm.hook, hook_name)
        if not caller.get_hookimpls():
            return
        try:
            caller(**kwargs)
        except PyvirtError:
            raise
        except Exception as exc:
            raise OperationDeniedError(
                f"operation forbidden: hook '{hook_name}' refused it: {exc}", code=ErrorCode.HOOK_SCRIPT_FAILED
            ) from exc

    def _ensure_hook_plugins(self) -> None:
        if self._hooks_loaded:
            return
        for plugin in registry.load_hook_plugins():
            self.register(plugin)
        self._hooks_loaded = True


_host: PluginHost | None = None
_host_lock = threading.Lock()


def host() -> PluginHost:
    """The process-wide plugin host, created on first use."""
    global _host
    if _host is None:
        with _host_lock:
            if _host is None:
                _host = PluginHost()
    return _host
