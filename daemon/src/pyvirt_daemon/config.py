"""pyvirtd's configuration: libvirtd.conf's keys and defaults, read from a TOML file.

Keys mean what they mean in libvirtd.conf, with libvirt's defaults, so an administrator who
knows libvirtd reads this file without a manual.  Two liberties follow libvirtd.conf's own
habits: ports may be strings (``tcp_port = "16509"``) or integers, and flags may be booleans
or 0/1.  Anything else (an unknown key, a value of the wrong type or range) is a
:class:`ConfigError` naming the key and the file, and the daemon does not start: a typo must
never silently mean "default".

``root`` moves every file the daemon and its drivers own (sockets, pid file, logs, state)
under one directory, so several daemons can run side by side and tests never touch ``/run``.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from pathlib import Path
from typing import Any

from pyvirt.remote.target import DEFAULT_SOCKET_DIR, TCP_PORT, TLS_PORT

AUTH_SCHEMES = ("none", "sasl", "polkit")
LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("text", "json")
_NUMERIC_LOG_LEVELS = {1: "debug", 2: "info", 3: "warning", 4: "error"}  # libvirtd.conf's numbers


class ConfigError(Exception):
    """A configuration the daemon refuses to start with; the message names key and file."""


@dataclasses.dataclass(frozen=True)
class Config:
    """Every setting, with libvirtd's default.  Paths are resolved (see :func:`load`)."""

    # listeners
    listen_tls: bool = True
    listen_tcp: bool = False
    listen_addr: str = "0.0.0.0"
    tcp_port: int = TCP_PORT
    tls_port: int = TLS_PORT
    unix_sock_dir: str = DEFAULT_SOCKET_DIR
    unix_sock_group: str = ""
    unix_sock_ro_perms: int = 0o777
    unix_sock_rw_perms: int = 0o700
    unix_sock_admin_perms: int = 0o700
    # authentication: "none" or "sasl" (SCRAM-SHA-256, see pyvirt_daemon.auth); polkit is refused
    auth_unix_rw: str = "none"
    auth_unix_ro: str = "none"
    auth_tcp: str = "sasl"
    auth_tls: str = "none"
    key_file: str = ""
    cert_file: str = ""
    ca_file: str = ""
    crl_file: str = ""
    tls_priority: str = ""
    """GnuTLS priority string as libvirtd's, for the forms Python's ssl can honour
    (:mod:`pyvirt.remote.tlspriority`); empty: pyvirt's defaults (TLS 1.2 and 1.3)."""
    tls_allowed_dn_list: tuple[str, ...] | None = None
    sasl_allowed_username_list: tuple[str, ...] | None = None
    """As libvirtd: absent (None) checks nothing, an empty list lets nobody in."""
    sasl_db: str = ""
    """SCRAM-SHA-256 password file (see :mod:`pyvirt_daemon.sasl`); default etc/pyvirt/sasl-passwd under root."""
    access_policy: str = ""
    """TOML file of access rules (see :mod:`pyvirt_daemon.acl`); empty: every call is allowed."""
    # limits
    max_clients: int = 5000
    max_queued_clients: int = 1000
    max_anonymous_clients: int = 20
    min_workers: int = 5
    max_workers: int = 20
    prio_workers: int = 5
    max_client_requests: int = 5
    admin_max_clients: int = 5
    keepalive_interval: int = 5
    keepalive_count: int = 5
    # logging
    log_level: str = "info"
    log_format: str = "text"
    log_file: str = ""
    # files
    root: str = ""
    pid_file: str = ""

    def path(self, relative: str) -> Path:
        """Where a file of the daemon lives: under ``root`` when one is set, else under ``/``."""
        return Path(self.root or "/") / relative.lstrip("/")

    @property
    def socket_dir(self) -> Path:
        return Path(self.unix_sock_dir)


_FIELDS = {f.name: f for f in dataclasses.fields(Config)}
_FLAGS = {name for name, f in _FIELDS.items() if f.type == "bool"}
_PORTS = {"tcp_port", "tls_port"}
_PERMS = {"unix_sock_ro_perms", "unix_sock_rw_perms", "unix_sock_admin_perms"}
_LISTS = {name for name, f in _FIELDS.items() if f.type == "tuple[str, ...] | None"}
_COUNTS = {name for name, f in _FIELDS.items() if f.type == "int"} - _PORTS - _PERMS
_CHOICES = {
    "auth_unix_rw": AUTH_SCHEMES,
    "auth_unix_ro": AUTH_SCHEMES,
    "auth_tcp": AUTH_SCHEMES,
    "auth_tls": AUTH_SCHEMES,
    "log_level": LOG_LEVELS,
    "log_format": LOG_FORMATS,
}
_AT_LEAST_ONE = {"max_clients", "max_workers", "max_client_requests", "admin_max_clients"}


def load(path: str | Path | None, *, overrides: dict[str, Any] | None = None) -> Config:
    """Read ``path`` (None: defaults only), apply ``overrides`` (command-line options), then
    resolve paths against ``root``.  Raises :class:`ConfigError`."""
    where = str(path) if path is not None else "<defaults>"
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            with open(path, "rb") as f:
                raw = tomllib.load(f)
        except OSError as exc:
            raise ConfigError(f"cannot read configuration file {where}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    values = {key: _convert(key, value, where) for key, value in raw.items()}
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return _resolve(Config(**values), where)


def _convert(key: str, value: Any, where: str) -> Any:
    if key not in _FIELDS:
        close = difflib.get_close_matches(key, _FIELDS, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConfigError(f"{where}: unknown key '{key}'{hint}")

    def bad(expected: str) -> ConfigError:
        return ConfigError(f"{where}: key '{key}' must be {expected}, not {value!r}")

    if key in _FLAGS:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise bad("true/false or 1/0")
    if key in _PORTS:
        port = _integer(value, 10)
        if port is None or not 0 < port < 65536:
            raise bad("a port number (1-65535), as an integer or a string")
        return port
    if key in _PERMS:
        perms = _integer(value, 8)
        if perms is None or not 0 <= perms <= 0o777:
            raise bad('permission bits such as "0770" (a string in octal) or an integer')
        return perms
    if key in _LISTS:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise bad("a list of strings")
        return tuple(value)
    if key in _COUNTS:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise bad("a non-negative integer")
        if key in _AT_LEAST_ONE and value < 1:
            raise bad("at least 1")
        return value
    if key == "log_level" and isinstance(value, int) and not isinstance(value, bool):
        if value not in _NUMERIC_LOG_LEVELS:
            raise bad("one of " + ", ".join(LOG_LEVELS) + " (or libvirt's 1-4)")
        return _NUMERIC_LOG_LEVELS[value]
    if not isinstance(value, str):
        raise bad("a string")
    choices = _CHOICES.get(key)
    if choices is not None and value not in choices:
        raise bad("one of " + ", ".join(repr(c) for c in choices))
    return value


def _integer(value: Any, base: int) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value, base)
        except ValueError:
            return None
    return None


def _resolve(config: Config, where: str) -> Config:
    """Anchor relative paths and apply ``root``, then check combinations of keys."""
    changes: dict[str, Any] = {}
    if config.root:
        root = Path(config.root)
        if not root.is_absolute():
            raise ConfigError(f"{where}: key 'root' must be an absolute directory, not {config.root!r}")
        if config.unix_sock_dir == Config.unix_sock_dir:
            changes["unix_sock_dir"] = str(config.path("run/pyvirt"))
    if not config.pid_file:
        changes["pid_file"] = str(config.path("run/pyvirtd.pid"))
    for key in ("pid_file", "log_file", "key_file", "cert_file", "ca_file", "crl_file", "sasl_db", "access_policy"):
        value = getattr(config, key)
        if value and not Path(value).is_absolute():
            changes[key] = str(config.path(value))
    resolved = dataclasses.replace(config, **changes)
    check_listeners(resolved, where)
    if resolved.tls_priority:
        check_tls_priority(resolved.tls_priority, where)
    if resolved.access_policy:
        from pyvirt_daemon.acl import PolicyError, load

        try:
            load(resolved.access_policy)
        except PolicyError as exc:
            raise ConfigError(f"{where}: key 'access_policy': {exc}") from None
    return resolved


def check_tls_priority(priority: str, where: str) -> None:
    """Refuse a ``tls_priority`` pyvirt cannot honour at start (and reload), not at the first
    TLS client."""
    import ssl

    from pyvirt.remote.tlspriority import PriorityError, apply

    try:
        apply(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER), priority)
    except PriorityError as exc:
        raise ConfigError(f"{where}: key 'tls_priority' = {priority!r} cannot be used: {exc}") from None


LOOPBACK = ("127.0.0.1", "::1", "localhost")


def check_listeners(config: Config, where: str) -> None:
    """Plain TCP carries no encryption: serve it only unauthenticated on loopback (for tests
    and measurements); anything else must use TLS.  Called at start and on reload."""
    if not config.listen_tcp:
        return
    if config.auth_tcp != "none" or config.listen_addr not in LOOPBACK:
        raise ConfigError(
            f'{where}: plain TCP (listen_tcp) is served only with auth_tcp = "none" on a loopback '
            f"listen_addr (127.0.0.1 or ::1), not auth_tcp = {config.auth_tcp!r} on {config.listen_addr!r}: "
            "use listen_tls (TLS, port tls_port) to reach pyvirtd over the network"
        )
