"""Listeners (libvirt's virNetServerService): one per socket the daemon accepts clients on.

A service knows its transport, whether its clients are read-only, which authentication they
must pass and which program they speak (remote or admin); the bytes themselves are moved by
:class:`~pyvirt_daemon.client.Client`, whatever the transport; the TLS listener only adds a
handshake in front of it (:mod:`pyvirt_daemon.tls`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import grp
import os
import socket
from collections.abc import Callable
from pathlib import Path

from pyvirt.remote import target
from pyvirt_daemon.config import Config, ConfigError

# The names the remote driver connects to by default, so client and daemon agree by construction.
SOCK_RW = target.RW_SOCKET_NAME
SOCK_RO = target.RO_SOCKET_NAME
SOCK_ADMIN = "pyvirt-admin-sock"


@dataclasses.dataclass(frozen=True)
class Service:
    """What a listener promises its clients."""

    name: str
    transport: str
    readonly: bool
    auth: str
    admin: bool = False
    path: Path | None = None


def services(config: Config, listen: bool) -> list[Service]:
    """The services ``config`` asks for (network ones only with ``--listen``, as libvirtd)."""
    sock_dir = config.socket_dir
    found = [
        Service("unix-rw", "unix", False, config.auth_unix_rw, path=sock_dir / SOCK_RW),
        Service("unix-ro", "unix-ro", True, config.auth_unix_ro, path=sock_dir / SOCK_RO),
        Service("admin", "admin", False, "none", admin=True, path=sock_dir / SOCK_ADMIN),
    ]
    if listen and config.listen_tls:
        found.append(Service("tls", "tls", False, config.auth_tls))
    if listen and config.listen_tcp:
        found.append(Service("tcp", "tcp", False, config.auth_tcp))
    for service in found:
        if service.auth == "polkit":
            raise ConfigError(
                f'authentication "polkit" for the {service.name} socket is not available: use "none" or "sasl"'
            )
    return found


def perms_for(config: Config, service: Service) -> int:
    if service.admin:
        return config.unix_sock_admin_perms
    return config.unix_sock_ro_perms if service.readonly else config.unix_sock_rw_perms


async def start(config: Config, service: Service, factory: Callable[[], asyncio.Protocol]) -> asyncio.AbstractServer:
    """Bind and listen.  A unix socket gets its permissions before it accepts anyone."""
    loop = asyncio.get_running_loop()
    backlog = max(config.max_queued_clients, 1)
    if service.path is None:
        return await loop.create_server(
            factory, config.listen_addr, config.tcp_port, backlog=backlog, reuse_address=True
        )
    sock = bind_unix(service.path, perms_for(config, service), config.unix_sock_group, backlog)
    return await loop.create_unix_server(factory, sock=sock)


def bind_unix(path: Path, perms: int, group: str, backlog: int) -> socket.socket:
    gid = -1
    if group:
        try:
            gid = grp.getgrnam(group).gr_gid
        except KeyError:
            raise ConfigError(f"unix_sock_group {group!r} is no group on this host") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        old_umask = os.umask(0o777)  # nobody can connect between bind and chmod
        try:
            sock.bind(str(path))
        finally:
            os.umask(old_umask)
        try:
            os.chown(path, -1, gid)
            os.chmod(path, perms)
            sock.listen(backlog)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _remove_stale(path: Path) -> None:
    """Remove a socket left by a daemon that died; refuse to steal one a live daemon serves."""
    if accepts(path):
        raise ConfigError(f"{path} is served by another running daemon")
    path.unlink(missing_ok=True)


def accepts(path: Path) -> bool:
    """Whether a daemon is listening on the unix socket ``path`` (a connection is accepted)."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(os.fspath(path))
    except OSError:
        return False
    finally:
        probe.close()
    return True


def remove(service: Service) -> None:
    if service.path is not None:
        try:
            service.path.unlink()
        except FileNotFoundError:
            pass
