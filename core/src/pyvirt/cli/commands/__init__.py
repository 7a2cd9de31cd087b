"""The command table: every pyvirsh command, registered by the module that implements it.

Each module holds the commands of one virsh help group.  A run imports only the modules of
the commands it runs (:func:`lookup`, through :data:`MODULES`); ``help``, completion and the
shell import them all (:func:`table`).  What a command needs beyond that is imported when it
runs.  A test checks that :data:`MODULES` names exactly what each module registers.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from pyvirt.cli.parser import Command, Handler, Opt

DOMAIN = "Domain Management (help keyword 'domain')"
MONITOR = "Domain Monitoring (help keyword 'monitor')"
EVENTS = "Domain Events (help keyword 'events')"
SNAPSHOT = "Snapshot (help keyword 'snapshot')"
HOST = "Host and Hypervisor (help keyword 'host')"
CHECKPOINT = "Checkpoint (help keyword 'checkpoint')"
INTERFACE = "Interface (help keyword 'interface')"
NODEDEV = "Node Device (help keyword 'nodedev')"
NETWORK = "Networking (help keyword 'network')"
POOL = "Storage Pool (help keyword 'pool')"
VOLUME = "Storage Volume (help keyword 'volume')"
VIRSH = "Virsh itself (help keyword 'virsh')"
PYVIRSH = "Beyond virsh (help keyword 'pyvirsh')"

GROUPS = (
    DOMAIN,
    MONITOR,
    EVENTS,
    SNAPSHOT,
    HOST,
    CHECKPOINT,
    INTERFACE,
    NETWORK,
    NODEDEV,
    POOL,
    VOLUME,
    VIRSH,
    PYVIRSH,
)

MODULES: dict[str, str] = {
    name: module
    for module, names in {
        "domain": "define create undefine start shutdown destroy reboot reset suspend resume save restore autostart "
        "setmem setmaxmem setvcpus vcpucount dumpxml domid domname domuuid",
        "monitor": "list dominfo domstate dommemstat domblklist domiflist",
        "events": "event",
        "snapshot": "snapshot-create snapshot-create-as snapshot-list snapshot-current snapshot-dumpxml "
        "snapshot-revert snapshot-delete",
        "domainops": "attach-device detach-device domblkstat domifstat domstats managedsave managedsave-remove "
        "domcapabilities",
        "node": "nodeinfo capabilities sysinfo hostname uri version freecell",
        "network": "net-list net-info net-dumpxml net-define net-create net-start net-destroy net-undefine "
        "net-autostart net-uuid net-name",
        "pool": "pool-list pool-info pool-dumpxml pool-define pool-define-as pool-build pool-start pool-destroy "
        "pool-delete pool-undefine pool-refresh pool-autostart",
        "volume": "vol-list vol-info vol-dumpxml vol-create vol-create-as vol-clone vol-delete vol-wipe vol-resize "
        "vol-path vol-key",
        "transfer": "vol-upload vol-download",
        "console": "console",
        "meta": "help quit exit connect drivers completion",
        "lxc": "lxc-enter-namespace",
        "interface": "iface-list iface-dumpxml iface-name iface-mac iface-define iface-undefine iface-start "
        "iface-destroy iface-begin iface-commit iface-rollback",
        "nodedev": "nodedev-list nodedev-dumpxml nodedev-create nodedev-destroy",
        "schedinfo": "schedinfo",
        "screenshot": "screenshot",
        "checkpoint": "checkpoint-create checkpoint-create-as checkpoint-list checkpoint-dumpxml checkpoint-parent "
        "checkpoint-delete checkpoint-info",
    }.items()
    for name in names.split()
}
"""Which module of this package defines each command."""

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


def lookup(name: str) -> Command | None:
    """Command ``name``, importing only the module that defines it; None if there is none."""
    module = MODULES.get(name)
    if module is None:
        return None
    importlib.import_module(f"{__name__}.{module}")
    return COMMANDS[name]


def table() -> dict[str, Command]:
    """All commands by name (importing every module registers them)."""
    for module in set(MODULES.values()):
        importlib.import_module(f"{__name__}.{module}")
    return COMMANDS
