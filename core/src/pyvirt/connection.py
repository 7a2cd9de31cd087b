"""Opening connections and the public :class:`Connection`.

This is where libvirt's public API wrappers live for the connection: the read-only check and
argument checks happen here once, so drivers never repeat them (libvirt's ``libvirt.c``).
Handles (:class:`~pyvirt.domain.Domain`...) keep their connection and delegate to it.
"""

from __future__ import annotations

import _thread
from collections.abc import Callable
from types import TracebackType

from pyvirt import uri as uri_mod
from pyvirt import uuids
from pyvirt.domain import Domain
from pyvirt.errors import (
    ConnectionLostError,
    ErrorCode,
    ErrorDomain,
    InternalError,
    InvalidArgumentError,
    OperationDeniedError,
    OperationInvalidError,
    PyvirtError,
    UnsupportedError,
)
from pyvirt.events import DomainEventCallback, EventBus
from pyvirt.log import get_logger
from pyvirt.network import Network
from pyvirt.storage import StoragePool, StorageVol
from pyvirt.types import CloseReason, DomainEvent, ListFilter, NodeInfo, Version

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see pyvirt.records)
if TYPE_CHECKING:
    from typing import Any, NoReturn

    from pyvirt.auth import Authenticator
    from pyvirt.driver import DriverConnection
    from pyvirt.interface import Interface
    from pyvirt.nodedevice import NodeDevice
    from pyvirt.plugins import PluginHost
    from pyvirt.types import NodeDeviceCap

CloseCallback = Callable[["Connection", CloseReason], None]
"""Told once that a connection's link ended: the connection, and why."""
_KEEPALIVE_INTERVAL_MAX = 2**31 // 1000
"""libvirt's bound on the interval (its timer counts milliseconds in an int)."""
log = get_logger("pyvirt.connection")

LIBRARY_VERSION = Version(9, 0, 0)
"""The libvirt API level pyvirt implements (``virsh version`` prints it as the library)."""


def open(name: str | None = None, *, auth: Authenticator | None = None) -> Connection:
    """Open a read-write connection to ``name`` (default: ``$PYVIRT_DEFAULT_URI``, else
    ``test:///default``).  ``auth`` answers credentials the driver asks for while it opens
    (libvirt's ``virConnectOpenAuth``; see :mod:`pyvirt.auth`)."""
    return _open(name, read_only=False, auth=auth)


def open_read_only(name: str | None = None, *, auth: Authenticator | None = None) -> Connection:
    """Open a connection that refuses every change."""
    return _open(name, read_only=True, auth=auth)


def _open(name: str | None, read_only: bool, auth: Authenticator | None) -> Connection:
    from pyvirt.plugins import host

    parsed = uri_mod.parse(name if name is not None else uri_mod.default_uri())
    bus = EventBus()
    plugin_host = host()
    driver = plugin_host.open_connection(parsed, read_only, bus.publish, auth)
    return Connection(driver, str(parsed), read_only, bus, plugin_host)


class Connection:
    """An open connection to one node through one driver.  Thread-safe; a context manager."""

    def __init__(self, driver: DriverConnection, uri: str, read_only: bool, bus: EventBus, plugins: PluginHost) -> None:
        self._driver = driver
        self.uri = uri
        self.read_only = read_only
        self._bus = bus
        self._plugins = plugins
        self._close_lock = _thread.allocate_lock()
        self._close_callback: CloseCallback | None = None
        self._close_watchers: list[Callable[[CloseReason], None]] = []
        self._lost: CloseReason | None = None
        bus.on_event = self._on_event
        driver.watch_close(self._link_closed)

    @property
    def driver(self) -> DriverConnection:
        """The driver behind this connection (for driver-specific extras; prefer the API)."""
        return self._driver

    @property
    def plugins(self) -> PluginHost:
        """The process's plugin host: register in-process hook plugins here (they then see every
        connection of the process, like installed ``pyvirt.hooks`` plugins)."""
        return self._plugins

    # -- life of the connection -----------------------------------------------------------

    def close(self) -> None:
        """Close the connection; later calls raise an 'invalid connection' error.  Idempotent."""
        with self._close_lock:
            driver, self._driver = self._driver, _ClosedDriver()  # type: ignore[assignment]
        if not isinstance(driver, _ClosedDriver):
            driver.close()
            self._closed_here()

    def __enter__(self) -> Connection:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def is_alive(self) -> bool:
        return not isinstance(self._driver, _ClosedDriver) and self._driver.is_alive()

    def is_encrypted(self) -> bool:
        return self._driver.is_encrypted()

    def is_secure(self) -> bool:
        return self._driver.is_secure()

    def check_writable(self, api: str) -> None:
        """Raise libvirt's 'read only access prevents ...' error on a read-only connection."""
        if self.read_only:
            raise OperationDeniedError(
                f"operation forbidden: read only access prevents {api}", code=ErrorCode.OPERATION_DENIED
            )

    # -- keepalive and the end of the link (libvirt's virConnectSetKeepAlive, close callback) --

    def set_keepalive(self, interval: float, count: int) -> bool:
        """Ping the node after ``interval`` seconds without a word from it, and give the link up
        (``ConnectionLostError``, close callbacks with ``KEEPALIVE``) after ``count`` pings in a
        row went unanswered; ``interval <= 0`` stops pinging, and ``count == 0`` gives up after
        one silent interval.  libvirt's virConnectSetKeepAlive: False (libvirt's 1) when the
        far side does not speak the keepalive protocol; drivers without a link to the node
        (every in-process driver) refuse with libvirt's 'not supported' error.  Unlike
        libvirt's, a second call while pinging takes the new values instead of keeping the old."""
        import math  # here, not at the top: only keepalive settings need it

        if count < 0:
            raise InvalidArgumentError(f"invalid argument: keepalive count {count} must not be negative")
        if not math.isfinite(interval) or interval > _KEEPALIVE_INTERVAL_MAX:
            raise InternalError(f"internal error: keepalive interval {interval:g} too large")
        driver = self._driver
        if not isinstance(driver, _ClosedDriver) and not driver.supports("set_keepalive"):
            raise UnsupportedError("this function is not supported by the connection driver: virConnectSetKeepAlive")
        return driver.set_keepalive(interval, count)

    def register_close_callback(self, callback: CloseCallback) -> None:
        """Call ``callback(conn, reason)`` once when the connection's link to its node ends
        (libvirt's virConnectRegisterCloseCallback): the far side closed it (``EOF``), reading
        or writing failed (``ERROR``), keepalive found the far side silent (``KEEPALIVE``), or
        :meth:`close` ended it (``CLIENT``).  Only drivers that hold a link report this (the
        remote driver); in-process drivers cannot lose their connection, so the callback never
        runs there.  One callback per connection, as in libvirt; it runs in the thread that saw
        the end, after the events that arrived before it.  Registering once the link is gone fails."""
        self._check_open("virConnectRegisterCloseCallback")
        with self._close_lock:
            if self._close_callback is not None:
                raise OperationInvalidError("Requested operation is not valid: A close callback is already registered")
            if self._lost is not None:
                raise ConnectionLostError(
                    f"cannot register a close callback: the connection's link ended ({self._lost.name})",
                    domain=ErrorDomain.RPC,
                )
            self._close_callback = callback

    def unregister_close_callback(self, callback: CloseCallback) -> None:
        """Remove the callback :meth:`register_close_callback` took (also after it ran, as libvirt
        allows); any other callable is refused with libvirt's error."""
        self._check_open("virConnectUnregisterCloseCallback")
        with self._close_lock:
            if self._close_callback is None or self._close_callback != callback:
                raise OperationInvalidError("Requested operation is not valid: A different callback was requested")
            self._close_callback = None

    def _watch_close(self, watcher: Callable[[CloseReason], None]) -> None:
        """pyvirt's own listeners to the end of the link (:mod:`pyvirt.aio`'s event iterators),
        beside the one application callback libvirt allows; told at once if it has ended."""
        with self._close_lock:
            lost = self._lost
            if lost is None:
                self._close_watchers = [*self._close_watchers, watcher]
        if lost is not None:
            watcher(lost)

    def _unwatch_close(self, watcher: Callable[[CloseReason], None]) -> None:
        with self._close_lock:
            self._close_watchers = [w for w in self._close_watchers if w != watcher]

    def _link_closed(self, reason: CloseReason) -> None:
        """The driver's report (once) that the link ended: the watchers, then the callback."""
        with self._close_lock:
            self._lost = reason
            callback = self._close_callback
            watchers, self._close_watchers = self._close_watchers, []
        for watcher in watchers:
            watcher(reason)
        if callback is not None:
            try:
                callback(self, reason)
            except Exception as exc:  # the application's bug must not break the thread that saw the end
                log.warning("close callback failed", uri=self.uri, callback=repr(callback), error=repr(exc))

    def _closed_here(self) -> None:
        """After :meth:`close`, pyvirt's own watchers hear ``CLIENT`` whatever the driver: an
        in-process driver reports nothing (its application callback never runs, as libvirt's),
        but an event iteration must still end; the remote driver has told them already."""
        with self._close_lock:
            watchers, self._close_watchers = self._close_watchers, []
            if self._lost is None:
                self._lost = CloseReason.CLIENT
        for watcher in watchers:
            watcher(CloseReason.CLIENT)

    def _check_open(self, api: str) -> None:
        if isinstance(self._driver, _ClosedDriver):
            raise PyvirtError("invalid connection pointer in " + api, code=ErrorCode.INVALID_CONN)

    # -- node ---------------------------------------------------------------------------------

    def get_type(self) -> str:
        return self._driver.get_type()

    def get_version(self) -> Version:
        return Version.from_number(self._driver.get_version())

    def get_lib_version(self) -> Version:
        return LIBRARY_VERSION

    def get_hostname(self) -> str:
        return self._driver.get_hostname()

    def get_node_info(self) -> NodeInfo:
        return self._driver.get_node_info()

    def get_capabilities(self) -> str:
        return self._driver.get_capabilities()

    def get_domain_capabilities(
        self,
        emulator: str | None = None,
        arch: str | None = None,
        machine: str | None = None,
        virt_type: str | None = None,
    ) -> str:
        """What the hypervisor offers domains of one emulator/arch/machine/type
        (``<domainCapabilities>``, libvirt's virConnectGetDomainCapabilities)."""
        return self._driver.get_domain_capabilities(emulator, arch, machine, virt_type)

    def get_sysinfo(self) -> str:
        return self._driver.get_sysinfo()

    def get_free_memory(self) -> int:
        return self._driver.get_free_memory()

    def get_security_model(self) -> tuple[str, str]:
        """(model, DOI) of the node's security driver (libvirt's virNodeGetSecurityModel);
        the model is ``""`` when none is active."""
        return self._driver.get_security_model()

    def get_cells_free_memory(self, start_cell: int = 0, max_cells: int = 1) -> list[int]:
        return self._driver.get_cells_free_memory(start_cell, max_cells)

    # -- domains ------------------------------------------------------------------------------

    def list_domains(self, filters: ListFilter = ListFilter.NONE) -> list[Domain]:
        """All domains matching ``filters`` (libvirt's virConnectListAllDomains)."""
        return [Domain(self, ref) for ref in self._driver.list_domains(filters)]

    def lookup_domain_by_name(self, name: str) -> Domain:
        return Domain(self, self._driver.domain_lookup_by_name(name))

    def lookup_domain_by_uuid(self, uuid: str) -> Domain:
        """Any form libvirt reads (case, dashes, spaces); a string that is no UUID is refused."""
        return Domain(self, self._driver.domain_lookup_by_uuid(_uuid_arg(uuid, "Invalid UUID", ErrorDomain.DOMAIN)))

    def lookup_domain_by_id(self, domain_id: int) -> Domain:
        return Domain(self, self._driver.domain_lookup_by_id(domain_id))

    def define_domain(self, xml: str, *, validate: bool = False) -> Domain:
        """Define a persistent domain (or update an existing one with the same name/UUID)."""
        self.check_writable("virDomainDefineXML")
        self._plugins.before_define(self.uri, xml)
        return Domain(self, self._driver.domain_define_xml(xml, validate))

    def create_domain(self, xml: str, *, validate: bool = False, paused: bool = False) -> Domain:
        """Create and start a transient domain."""
        self.check_writable("virDomainCreateXML")
        self._plugins.before_create(self.uri, xml)
        return Domain(self, self._driver.domain_create_xml(xml, validate, paused))

    def restore_domain(self, path: str) -> Domain:
        """Start a domain from a file written by :meth:`Domain.save`."""
        self.check_writable("virDomainRestore")
        return Domain(self, self._driver.domain_restore(path))

    # -- networks -----------------------------------------------------------------------------

    def list_networks(self, filters: ListFilter = ListFilter.NONE) -> list[Network]:
        return [Network(self, ref) for ref in self._driver.list_networks(filters)]

    def lookup_network_by_name(self, name: str) -> Network:
        return Network(self, self._driver.network_lookup_by_name(name))

    def lookup_network_by_uuid(self, uuid: str) -> Network:
        return Network(
            self,
            self._driver.network_lookup_by_uuid(
                _uuid_arg(uuid, _MUST_BE_UUID.format("virNetworkLookupByUUIDString"), ErrorDomain.NETWORK)
            ),
        )

    def define_network(self, xml: str, *, validate: bool = False) -> Network:
        self.check_writable("virNetworkDefineXML")
        return Network(self, self._driver.network_define_xml(xml, validate))

    def create_network(self, xml: str, *, validate: bool = False) -> Network:
        """Create and start a transient network."""
        self.check_writable("virNetworkCreateXML")
        return Network(self, self._driver.network_create_xml(xml, validate))

    # -- storage ------------------------------------------------------------------------------

    def list_storage_pools(self, filters: ListFilter = ListFilter.NONE) -> list[StoragePool]:
        return [StoragePool(self, ref) for ref in self._driver.list_storage_pools(filters)]

    def lookup_pool_by_name(self, name: str) -> StoragePool:
        return StoragePool(self, self._driver.pool_lookup_by_name(name))

    def lookup_pool_by_uuid(self, uuid: str) -> StoragePool:
        return StoragePool(
            self,
            self._driver.pool_lookup_by_uuid(
                _uuid_arg(uuid, _MUST_BE_UUID.format("virStoragePoolLookupByUUIDString"), ErrorDomain.STORAGE)
            ),
        )

    def define_pool(self, xml: str, *, validate: bool = False) -> StoragePool:
        self.check_writable("virStoragePoolDefineXML")
        return StoragePool(self, self._driver.pool_define_xml(xml, validate))

    def create_pool(self, xml: str, *, validate: bool = False) -> StoragePool:
        """Create and start a transient pool."""
        self.check_writable("virStoragePoolCreateXML")
        return StoragePool(self, self._driver.pool_create_xml(xml, validate))

    def lookup_volume_by_key(self, key: str) -> StorageVol:
        return StorageVol(self, self._driver.vol_lookup_by_key(key))

    def lookup_volume_by_path(self, path: str) -> StorageVol:
        return StorageVol(self, self._driver.vol_lookup_by_path(path))

    # -- host interfaces (the modules are imported on first use: not on pyvirsh's start-up path)

    def list_interfaces(self, filters: ListFilter = ListFilter.NONE) -> list[Interface]:
        """The host's interfaces; of ``filters`` only ACTIVE and INACTIVE apply
        (libvirt's virConnectListAllInterfaces)."""
        from pyvirt.interface import Interface

        return [Interface(self, ref) for ref in self._driver.list_interfaces(filters)]

    def lookup_interface_by_name(self, name: str) -> Interface:
        from pyvirt.interface import Interface

        return Interface(self, self._driver.interface_lookup_by_name(name))

    def lookup_interface_by_mac(self, mac: str) -> Interface:
        """The one interface with this MAC (MULTIPLE_INTERFACES error when several have it)."""
        from pyvirt.interface import Interface

        return Interface(self, self._driver.interface_lookup_by_mac(mac))

    def define_interface(self, xml: str, *, validate: bool = False) -> Interface:
        from pyvirt.interface import Interface

        self.check_writable("virInterfaceDefineXML")
        return Interface(self, self._driver.interface_define_xml(xml, validate))

    def interface_change_begin(self) -> None:
        """Remember the interface configuration, so :meth:`interface_change_rollback` can restore it."""
        self.check_writable("virInterfaceChangeBegin")
        self._driver.interface_change_begin()

    def interface_change_commit(self) -> None:
        self.check_writable("virInterfaceChangeCommit")
        self._driver.interface_change_commit()

    def interface_change_rollback(self) -> None:
        self.check_writable("virInterfaceChangeRollback")
        self._driver.interface_change_rollback()

    # -- node devices -------------------------------------------------------------------------

    def list_node_devices(self, caps: NodeDeviceCap | None = None) -> list[NodeDevice]:
        """Devices having any capability of ``caps`` (None or NONE: all), libvirt's
        virConnectListAllNodeDevices; ACTIVE/INACTIVE go to the driver as given."""
        from pyvirt.nodedevice import NodeDevice
        from pyvirt.types import NodeDeviceCap

        caps = NodeDeviceCap.NONE if caps is None else caps
        return [NodeDevice(self, name) for name in self._driver.list_node_devices(caps)]

    def lookup_node_device_by_name(self, name: str) -> NodeDevice:
        from pyvirt.nodedevice import NodeDevice

        return NodeDevice(self, self._driver.node_device_lookup_by_name(name))

    def create_node_device(self, xml: str, *, validate: bool = False) -> NodeDevice:
        """Create a device from ``<device>`` XML (libvirt's virNodeDeviceCreateXML: a vHBA)."""
        from pyvirt.nodedevice import NodeDevice

        self.check_writable("virNodeDeviceCreateXML")
        return NodeDevice(self, self._driver.node_device_create_xml(xml, validate))

    # -- events -------------------------------------------------------------------------------

    def domain_event_register(self, callback: DomainEventCallback) -> int:
        """Call ``callback(event)`` for every lifecycle event; returns a handle to deregister."""
        return self._bus.subscribe(callback)

    def domain_event_deregister(self, handle: int) -> None:
        try:
            self._bus.unsubscribe(handle)
        except KeyError:
            raise PyvirtError(
                f"no event callback registered with handle {handle}", code=ErrorCode.INVALID_ARG
            ) from None

    def _on_event(self, event: DomainEvent) -> None:
        self._plugins.notify_event(self.uri, event)

    def __repr__(self) -> str:
        return f"<pyvirt.Connection {self.uri!r}{' read-only' if self.read_only else ''}>"


_MUST_BE_UUID = "uuidstr in {} must be a valid UUID"


def _uuid_arg(text: str, refusal: str, error_domain: ErrorDomain) -> str:
    """The canonical form drivers index by, or libvirt's refusal (worded per API, as libvirt's)."""
    found = uuids.canonical(text)
    if found is None:
        raise InvalidArgumentError(refusal, domain=error_domain)
    return found


class _ClosedDriver:
    """Stands in for the driver after close, so every call fails with libvirt's error."""

    name = "closed"

    def __getattr__(self, name: str) -> Any:
        def fail(*args: object, **kwargs: object) -> NoReturn:
            raise PyvirtError("invalid connection pointer in " + name, code=ErrorCode.INVALID_CONN)

        return fail

    def is_alive(self) -> bool:
        return False
