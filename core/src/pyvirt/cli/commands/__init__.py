"""The command table: every pyvirsh command, registered by the module that implements it.

Each module holds the commands of one virsh help group.  Importing them costs well under a
millisecond (they import nothing heavy at module level), so the whole table is built on every
run; what a command needs beyond that is imported when it runs.
"""

from __future__ import annotations

from collections.abc import Callable

from pyvirt.cli.parser import Command, Handler, Opt

DOMAIN = "Domain Management (help keyword 'domain')"
MONITOR = "Domain Monitoring (help keyword 'monitor')"
EVENTS = "Domain Events (help keyword 'events')"
HOST = "Host and Hypervisor (help keyword 'host')"
NETWORK = "Networking (help keyword 'network')"
POOL = "Storage Pool (help keyword 'pool')"
VOLUME = "Storage Volume (help keyword 'volume')"
VIRSH = "Virsh itself (help keyword 'virsh')"
PYVIRSH = "Beyond virsh (help keyword 'pyvirsh')"

GROUPS = (DOMAIN, MONITOR, EVENTS, HOST, NETWORK, POOL, VOLUME, VIRSH, PYVIRSH)

COMMANDS: dict[str, Command] = {}
NO_CONNECT: set[str] = set()
"""Commands that run without a connection (virsh's VSH_CMD_FLAG_NOCONNECT)."""


def command(
    name: str, group: str, summary: str, description: str, *options: Opt, connect: bool = True
) -> Callable[[Handler], Handler]:
    """Register the decorated function as command ``name``; every command accepts --help."""

    def register(handler: Handler) -> Handler:
        COMMANDS[name] = Command(name, group, summary, description, options, handler)
        if not connect:
            NO_CONNECT.add(name)
        return handler

    return register


def table() -> dict[str, Command]:
    """All commands by name (importing the modules registers them)."""
    if not COMMANDS:
        from pyvirt.cli.commands import domain, events, meta, monitor, network, node, pool, volume  # noqa: F401
    return COMMANDS
