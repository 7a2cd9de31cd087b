"""Hook specifications: how plugins take part in pyvirt.

Two kinds of plugin implement these hooks:

* **drivers** (entry-point group ``pyvirt.drivers``, the entry-point name is the URI scheme)
  implement :func:`connect_open`; a driver is imported and registered the first time a URI with
  its scheme is opened;
* **hook plugins** (entry-point group ``pyvirt.hooks``) implement the lifecycle hooks below to
  observe or veto what happens to domains on any connection, like libvirt's hook scripts.
  They are imported on the first lifecycle operation of the process.

Lifecycle hooks run *before* the operation: raising an exception vetoes it (the caller gets
:class:`~pyvirt.errors.OperationDeniedError` with the plugin's message, and nothing changes).
Observing completed operations is what :func:`domain_event` is for.

Implement a hook with ``@pyvirt.hookimpl`` on a function of the same name; you may accept any
subset of the parameters.
"""

from __future__ import annotations

from collections.abc import Callable

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: drivers import this at start-up
if TYPE_CHECKING:
    from typing import Any, TypeVar, overload

    from pyvirt.auth import Authenticator
    from pyvirt.driver import DriverConnection, EventSink
    from pyvirt.types import DomainEvent, DomainRef
    from pyvirt.uri import URI

    F = TypeVar("F", bound=Callable[..., Any])

PROJECT = "pyvirt"


class _Marker:
    """Marks hook specifications or implementations the way pluggy's markers do, in the
    ``pyvirt_spec`` / ``pyvirt_impl`` attribute with pluggy's option names, without importing
    pluggy: importing a driver (whose ``connect_open`` is marked) must not cost pluggy's import
    when the process runs no hook (:mod:`pyvirt.plugins` creates pluggy's manager on demand)."""

    def __init__(self, attribute: str, defaults: dict[str, Any]) -> None:
        self._attribute = attribute
        self._defaults = defaults

    if TYPE_CHECKING:  # the overloads only type checkers need

        @overload
        def __call__(self, function: F) -> F: ...

        @overload
        def __call__(self, function: None = None, **options: Any) -> Callable[[F], F]: ...

    def __call__(self, function: F | None = None, **options: Any) -> F | Callable[[F], F]:
        unknown = set(options) - set(self._defaults)
        if unknown:
            raise TypeError(f"unknown hook option(s): {', '.join(sorted(unknown))}")

        def mark(func: F) -> F:
            setattr(func, self._attribute, {**self._defaults, **options})
            return func

        return mark if function is None else mark(function)


hookspec = _Marker(
    f"{PROJECT}_spec", {"firstresult": False, "historic": False, "warn_on_impl": None, "warn_on_impl_args": None}
)
hookimpl = _Marker(
    f"{PROJECT}_impl",
    {
        "wrapper": False,
        "hookwrapper": False,
        "optionalhook": False,
        "tryfirst": False,
        "trylast": False,
        "specname": None,
    },
)


# -- opening connections ------------------------------------------------------------------------


@hookspec(firstresult=True)
def connect_open(uri: URI, read_only: bool, events: EventSink, auth: Authenticator | None) -> DriverConnection | None:
    """Open a connection for ``uri``, or decline by returning ``None``.

    Called by :func:`pyvirt.open` after the plugins registered for ``uri.driver`` were loaded.
    Every registered driver is asked in turn (libvirt's ``virConnectOpenInternal``); a driver
    that does not serve the URI returns ``None`` so the next one may.  A driver that serves it
    but cannot open it raises a :class:`~pyvirt.errors.PyvirtError` saying why.

    Stops at first non-None result.

    :param uri: the parsed connection URI.
    :param read_only: the caller asked for a read-only connection; the core already refuses
        mutating calls, a driver may additionally open its backend read-only.
    :param events: callable to report lifecycle events (:class:`~pyvirt.types.DomainEvent`).
    :param auth: the application's credential callback (libvirt's ``virConnectOpenAuth``), or
        ``None`` when it gave none; a driver that needs a secret to open asks through it
        (:mod:`pyvirt.auth`), one that never does leaves this parameter out.
    :return: a :class:`~pyvirt.driver.DriverConnection`, or ``None`` to decline.
    """


# -- domain lifecycle (before the operation; raise to veto) ----------------------------------------


@hookspec
def domain_define(uri: str, xml: str) -> None:
    """A domain is about to be defined (or redefined) from ``xml``.

    Called by :meth:`pyvirt.Connection.define_domain` before the driver sees the document.

    :param uri: the connection's URI.
    :param xml: the document as the caller gave it.
    """


@hookspec
def domain_create(uri: str, xml: str) -> None:
    """A transient domain is about to be created and started from ``xml``.

    Called by :meth:`pyvirt.Connection.create_domain` before the driver sees the document.

    :param uri: the connection's URI.
    :param xml: the document as the caller gave it.
    """


@hookspec
def domain_start(uri: str, domain: DomainRef) -> None:
    """A defined domain is about to be started.

    Called by :meth:`pyvirt.Domain.start`.

    :param uri: the connection's URI.
    :param domain: the domain's identity.
    """


@hookspec
def domain_stop(uri: str, domain: DomainRef, how: str) -> None:
    """A running domain is about to stop.

    Called by :meth:`pyvirt.Domain.shutdown`, ``destroy`` and ``save``.

    :param uri: the connection's URI.
    :param domain: the domain's identity.
    :param how: ``"shutdown"``, ``"destroy"`` or ``"save"``.
    """


@hookspec
def domain_undefine(uri: str, domain: DomainRef) -> None:
    """A domain's persistent configuration is about to be removed.

    Called by :meth:`pyvirt.Domain.undefine`.

    :param uri: the connection's URI.
    :param domain: the domain's identity.
    """


# -- observing ---------------------------------------------------------------------------------


@hookspec
def domain_event(uri: str, event: DomainEvent) -> None:
    """A lifecycle event happened on a connection of this process.

    Called by the connection whose driver reported the event, after the operation completed
    and before the connection's own subscribers are called.  Exceptions are logged and
    otherwise ignored: the event happened.

    :param uri: the connection's URI.
    :param event: which domain, what happened and why.
    """
