"""Driver discovery: which installed plugin serves a URI scheme (libvirt's virDriverLoadModule).

Drivers are separate distributions declaring an entry point in group ``pyvirt.drivers`` whose
*name is the URI scheme* they serve.  Nothing is imported until a scheme is opened; then only
that scheme's entry points are loaded, once per process, and registered with the plugin
manager (libvirt's virRegisterConnectDriver).  Hook plugins (group ``pyvirt.hooks``) are loaded
the first time a lifecycle hook is about to run.
"""

from __future__ import annotations

import _thread  # threading's locks without importing threading (pyvirsh start-up)
import importlib

from pyvirt import entrypoints
from pyvirt.errors import ConnectError, ErrorCode, ErrorDomain
from pyvirt.records import NamedTuple

DRIVER_GROUP = "pyvirt.drivers"
HOOK_GROUP = "pyvirt.hooks"


class DriverInfo(NamedTuple):  # (not a dataclass: dataclasses costs pyvirsh ~3 ms to import)
    """An installed driver as ``pyvirsh drivers`` shows it (found without importing it)."""

    scheme: str
    distribution: str
    version: str
    target: str


def installed_drivers() -> list[DriverInfo]:
    """Every driver entry point installed, sorted by scheme, without importing any driver."""
    return sorted(
        (DriverInfo(ep.name, ep.dist_name, ep.dist_version, ep.value) for ep in _driver_entry_points()),
        key=lambda d: (d.scheme, d.distribution),
    )


def load_driver_plugins(scheme: str) -> list[object]:
    """Import the plugin objects registered for ``scheme`` (cached), or explain what is missing.

    Raises :class:`ConnectError` naming the scheme and the installed schemes when no
    distribution serves it, and chaining the ImportError when one does but fails to import.
    """
    with _lock:
        cached = _loaded.get(scheme)
        if cached is not None:
            return cached
        eps = [ep for ep in _driver_entry_points() if ep.name == scheme]
        if not eps:
            raise ConnectError(_missing_message(scheme), code=ErrorCode.NO_CONNECT, domain=ErrorDomain.NONE)
        plugins = [_load(ep) for ep in eps]
        _loaded[scheme] = plugins
        return plugins


def load_hook_plugins() -> list[object]:
    """Import every ``pyvirt.hooks`` plugin (once per process)."""
    global _hook_plugins
    with _lock:
        if _hook_plugins is None:
            _hook_plugins = [_load(ep) for ep in entrypoints.find(HOOK_GROUP)]
        return _hook_plugins


def forget() -> None:
    """Drop the caches (after installing a distribution into a running process, and in tests)."""
    global _driver_eps, _hook_plugins
    with _lock:
        _driver_eps = None
        _hook_plugins = None
        _loaded.clear()


def _driver_entry_points() -> list[entrypoints.EntryPoint]:
    global _driver_eps
    if _driver_eps is None:
        _driver_eps = entrypoints.find(DRIVER_GROUP)
    return _driver_eps


def _load(ep: entrypoints.EntryPoint) -> object:
    try:
        obj: object = importlib.import_module(ep.module)
        if ep.attr:
            for part in ep.attr.split("."):
                obj = getattr(obj, part)
    except Exception as exc:
        raise ConnectError(
            f"driver plugin '{ep.name}' from {ep.dist_name} {ep.dist_version} failed to load "
            f"({ep.value}): {type(exc).__name__}: {exc}",
            code=ErrorCode.NO_CONNECT,
        ) from exc
    return obj


def _missing_message(scheme: str) -> str:
    import difflib  # only on this error path: keeps it off the start-up path

    schemes = sorted({ep.name for ep in _driver_entry_points()})
    message = f"no connection driver available for scheme '{scheme}'"
    close = difflib.get_close_matches(scheme, schemes, n=1)
    if close:
        message += f"; did you mean '{close[0]}'?"
    installed = ", ".join(schemes) if schemes else "none"
    return f"{message} (installed drivers: {installed}; install a 'pyvirt-{scheme}' plugin to add it)"


_lock = _thread.RLock()
_driver_eps: list[entrypoints.EntryPoint] | None = None
_hook_plugins: list[object] | None = None
_loaded: dict[str, list[object]] = {}
