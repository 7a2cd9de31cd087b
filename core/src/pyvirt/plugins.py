"""The plugin manager, behind a typed facade.

Core code never calls the untyped ``pm.hook.*`` directly: it calls the methods here, which
load the plugins they need first (drivers per scheme, hook plugins on the first lifecycle
call) and turn a plugin's veto into :class:`~pyvirt.errors.OperationDeniedError`.

pluggy's manager is created only once some plugin needs more than a driver's plain
``connect_open`` (a hook plugin, a plugin registered in-process, a driver implementing other
hooks or ordering options): until then ``connect_open`` is called directly, with pluggy's
rules (last registered asked first, only the arguments it names, first non-None wins), so a
short-lived process such as ``pyvirsh`` does not pay for importing pluggy.
"""

from __future__ import annotations

import _thread  # threading's locks without importing threading (pyvirsh start-up)
from collections.abc import Callable

from pyvirt import hookspecs, registry
from pyvirt.errors import ConnectError, ErrorCode, OperationDeniedError, PyvirtError
from pyvirt.log import get_logger

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from typing import Any

    from pyvirt.auth import Authenticator
    from pyvirt.driver import DriverConnection, EventSink
    from pyvirt.types import DomainEvent, DomainRef
    from pyvirt.uri import URI

log = get_logger("pyvirt.plugins")

_IMPL = f"{hookspecs.PROJECT}_impl"
_PLAIN_IMPL = hookspecs.hookimpl(lambda: None).pyvirt_impl  # type: ignore[attr-defined]
_OTHER_HOOKS = tuple(
    name
    for name, obj in vars(hookspecs).items()
    if hasattr(obj, f"{hookspecs.PROJECT}_spec") and name != "connect_open"
)
"""The lifecycle hooks (and any other hook but ``connect_open``)."""


def _plain_connect_open(plugin: object) -> Callable[..., Any] | None:
    """The plugin's ``connect_open`` when calling it directly is what pluggy would do (a plain
    function or method, default options), else None; raises LookupError when the plugin needs
    pluggy for something else (other hooks, options)."""
    if any(hasattr(getattr(plugin, name, None), _IMPL) for name in _OTHER_HOOKS):
        raise LookupError("the plugin implements other hooks")
    impl = getattr(plugin, "connect_open", None)
    if impl is None or not hasattr(impl, _IMPL):
        return None
    if getattr(impl, _IMPL) != _PLAIN_IMPL or not hasattr(getattr(impl, "__func__", impl), "__code__"):
        raise LookupError("connect_open has options or is not a plain function")
    return impl  # type: ignore[no-any-return]


def _accepted(impl: Callable[..., Any], arguments: dict[str, object]) -> dict[str, object]:
    """The arguments ``impl`` names (pluggy lets an implementation take any subset)."""
    code = getattr(impl, "__func__", impl).__code__
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    if hasattr(impl, "__self__"):
        names = names[1:]
    return {name: arguments[name] for name in names if name in arguments}


class PluginHost:
    """Owns the process's pluggy manager (created on demand) and knows which plugins are registered."""

    def __init__(self) -> None:
        self._pm: Any = None  # pluggy.PluginManager, once needed
        self._direct: dict[int, tuple[object, str | None, Callable[..., Any] | None]] = {}
        """Driver plugins registered while there is no manager, with their plain connect_open."""
        self._lock = _thread.RLock()
        self._hooks_loaded = False
        self._implemented: frozenset[str] | None = None
        """The hooks of :data:`_OTHER_HOOKS` some registered plugin implements, worked out on
        the first lifecycle call (after loading the hook plugins) and again after each
        (un)registration: a define then costs one set lookup when no plugin hooks it, not
        pluggy's hook lookup and implementation list (about 3k instructions a call)."""
        self.server_side = False
        """True inside pyvirtd: URIs are served by this process's drivers, never handed on to a
        daemon (libvirt's remote driver declines inside libvirtd the same way)."""
        self.root = ""
        """The directory the daemon's stateful drivers keep their files under (pyvirtd's
        ``root``, set before it opens any driver); empty means the host's own directories."""

    def register(self, plugin: object, name: str | None = None) -> None:
        """Register a plugin object directly (tests, embedding applications)."""
        with self._lock:
            pm = self._manager()
            if not pm.is_registered(plugin):
                pm.register(plugin, name=name)
                self._implemented = None

    def unregister(self, plugin: object) -> None:
        with self._lock:
            if self._direct.pop(id(plugin), None) is not None:
                return
            if self._pm is not None and self._pm.is_registered(plugin):
                self._pm.unregister(plugin)
                self._implemented = None

    def _manager(self) -> Any:
        """pluggy's manager, created (with the drivers registered so far) on first need."""
        with self._lock:
            if self._pm is None:
                import pluggy

                pm = pluggy.PluginManager(hookspecs.PROJECT)
                pm.add_hookspecs(hookspecs)
                for plugin, name, _ in self._direct.values():
                    pm.register(plugin, name=name)
                self._direct.clear()
                self._pm = pm
            return self._pm

    def _register_driver(self, plugin: object, name: str) -> None:
        with self._lock:
            if id(plugin) in self._direct:
                return
            if self._pm is None:
                try:
                    self._direct[id(plugin)] = (plugin, name, _plain_connect_open(plugin))
                    return
                except LookupError:
                    pass
            self.register(plugin, name)

    def _connect_open(
        self, uri: URI, read_only: bool, events: EventSink, auth: Authenticator | None
    ) -> DriverConnection | None:
        arguments: dict[str, object] = {"uri": uri, "read_only": read_only, "events": events, "auth": auth}
        with self._lock:
            pm = self._pm
            impls = [impl for _, _, impl in reversed(self._direct.values()) if impl is not None]
        if pm is not None:
            conn: DriverConnection | None = pm.hook.connect_open(**arguments)
            return conn
        for impl in impls:
            conn = impl(**_accepted(impl, arguments))
            if conn is not None:
                return conn
        return None

    def open_connection(
        self, uri: URI, read_only: bool, events: EventSink, auth: Authenticator | None = None
    ) -> DriverConnection:
        """Open ``uri`` with the driver that serves it (libvirt's ``virConnectOpenInternal``).

        ``auth`` answers the credentials a driver asks for while it opens (:mod:`pyvirt.auth`);
        drivers that never ask simply do not name it in their ``connect_open``.

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

            return open_remote(uri, read_only, events, auth)
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

            return open_target(daemon, events, auth)
        for plugin in plugins:
            self._register_driver(plugin, f"driver:{uri.driver}:{getattr(plugin, '__name__', id(plugin))}")
        conn = self._connect_open(uri, read_only, events, auth)
        if conn is None:
            declined = f"the installed '{uri.driver}' driver declined it"
            if self.server_side:
                raise ConnectError(
                    f"no connection driver available for URI '{uri}': {declined}", code=ErrorCode.NO_CONNECT
                )
            from pyvirt.remote.opening import open_local_daemon

            return open_local_daemon(uri, read_only, events, declined, auth)
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
        implemented = self._implemented
        if implemented is None:
            implemented = self._find_implemented()
        if "domain_event" not in implemented:
            return
        try:
            self._pm.hook.domain_event(uri=uri, event=event)
        except Exception as exc:  # an observer's bug must not undo what happened
            log.warning("domain_event hook failed", error=repr(exc))

    def _run_veto(self, hook_name: str, **kwargs: object) -> None:
        implemented = self._implemented
        if implemented is None:
            implemented = self._find_implemented()
        if hook_name not in implemented:  # no plugin implements it
            return
        caller = getattr(self._pm.hook, hook_name)
        try:
            caller(**kwargs)
        except PyvirtError:
            raise
        except Exception as exc:
            raise OperationDeniedError(
                f"operation forbidden: hook '{hook_name}' refused it: {exc}", code=ErrorCode.HOOK_SCRIPT_FAILED
            ) from exc

    def _find_implemented(self) -> frozenset[str]:
        """Load the hook plugins (once), then note which hooks have implementations.  Under the
        lock, as (un)registering is: a registration cannot slip between the look and the note."""
        with self._lock:
            self._ensure_hook_plugins()
            pm = self._pm
            implemented = frozenset(
                () if pm is None else (name for name in _OTHER_HOOKS if getattr(pm.hook, name).get_hookimpls())
            )
            self._implemented = implemented
            return implemented

    def _ensure_hook_plugins(self) -> None:
        if self._hooks_loaded:
            return
        for plugin in registry.load_hook_plugins():
            self.register(plugin)
        self._hooks_loaded = True


_host: PluginHost | None = None
_host_lock = _thread.allocate_lock()


def host() -> PluginHost:
    """The process-wide plugin host, created on first use."""
    global _host
    if _host is None:
        with _host_lock:
            if _host is None:
                _host = PluginHost()
    return _host
