"""Storage pool commands (virsh's 'pool' group)."""

from __future__ import annotations

from collections.abc import Callable

from pyvirt.cli.commands import POOL, command
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import failing, read_file
from pyvirt.cli.listing import list_filter, names_or_uuids
from pyvirt.cli.parser import Args, data, flag, string
from pyvirt.cli.units import pretty
from pyvirt.storage import StoragePool
from pyvirt.types import PoolInfo, PoolState

_POOL = data("pool", "pool name or uuid", complete="pool")
_YES_NO = ("no", "yes")
_STATES = {
    PoolState.INACTIVE: "inactive",
    PoolState.BUILDING: "building",
    PoolState.RUNNING: "running",
    PoolState.DEGRADED: "degraded",
    PoolState.INACCESSIBLE: "inaccessible",
}


def _has_sizes(info: PoolInfo) -> bool:
    return info.state in (PoolState.RUNNING, PoolState.DEGRADED)


@command(
    "pool-list",
    POOL,
    "list pools",
    "Returns list of pools.",
    flag("inactive", "list inactive pools"),
    flag("all", "list inactive & active pools"),
    flag("transient", "list transient pools"),
    flag("persistent", "list persistent pools"),
    flag("autostart", "list pools with autostart enabled"),
    flag("no-autostart", "list pools with autostart disabled"),
    flag("details", "display extended details for pools"),
    flag("uuid", "list UUID of active pools only"),
    flag("name", "list name of active pools only"),
)
def pool_list(ctl: Ctl, args: Args) -> None:
    args.exclusive("details", "uuid")
    args.exclusive("details", "name")
    with failing("Failed to list pools"):
        pools = sorted(
            ctl.conn.list_storage_pools(list_filter(args)), key=lambda p: p.name.lower()
        )  # virsh sorts with strcasecmp
        if names_or_uuids(ctl, args, [(p.name, p.uuid) for p in pools], name_width=20):
            return
        facts = [(p, p.info(), p.autostart, p.is_persistent()) for p in pools]
    docs, rows = [], []
    for pool, info, autostart, persistent in facts:
        sized = _has_sizes(info)
        docs.append(
            {
                "name": pool.name,
                "uuid": pool.uuid,
                "state": _STATES.get(info.state, "unknown"),
                "active": info.state != PoolState.INACTIVE,
                "autostart": autostart,
                "persistent": persistent,
                "capacity": info.capacity if sized else None,
                "allocation": info.allocation if sized else None,
                "available": info.available if sized else None,
            }
        )
        if args.flag("details"):
            sizes = [pretty(info.capacity), pretty(info.allocation), pretty(info.available)] if sized else ["-"] * 3
            rows.append(
                [pool.name, _STATES.get(info.state, "unknown"), _YES_NO[autostart], _YES_NO[persistent], *sizes]
            )
        else:
            rows.append([pool.name, "inactive" if info.state == PoolState.INACTIVE else "active", _YES_NO[autostart]])
    header = ["Name", "State", "Autostart"]
    if args.flag("details"):
        header += ["Persistent", "Capacity", "Allocation", "Available"]
    ctl.output.table(docs, header, rows)


@command(
    "pool-info",
    POOL,
    "storage pool information",
    "Returns basic information about the storage pool.",
    _POOL,
    flag("bytes", "Return pool info in bytes"),
)
def pool_info(ctl: Ctl, args: Args) -> None:
    pool = ctl.pool(args.req("pool"))
    with failing():
        info, persistent, autostart = pool.info(), pool.is_persistent(), pool.autostart
    doc: dict[str, object] = {
        "name": pool.name,
        "uuid": pool.uuid,
        "state": _STATES.get(info.state, "unknown"),
        "persistent": persistent,
        "autostart": autostart,
    }
    lines = [
        ("Name", pool.name),
        ("UUID", pool.uuid),
        ("State", _STATES.get(info.state, "unknown")),
        ("Persistent", _YES_NO[persistent]),
        ("Autostart", _YES_NO[autostart]),
    ]
    if _has_sizes(info):
        doc.update(capacity=info.capacity, allocation=info.allocation, available=info.available)
        show = str if args.flag("bytes") else pretty
        lines += [
            ("Capacity", show(info.capacity)),
            ("Allocation", show(info.allocation)),
            ("Available", show(info.available)),
        ]
    ctl.output.fields(doc, lines)


@command(
    "pool-dumpxml",
    POOL,
    "pool information in XML",
    "Output the pool information as an XML dump to stdout.",
    _POOL,
    flag("inactive", "show inactive defined XML"),
)
def pool_dumpxml(ctl: Ctl, args: Args) -> None:
    pool = ctl.pool(args.req("pool"))
    with failing():
        xml = pool.xml(inactive=args.flag("inactive"))
    ctl.output.print(xml.rstrip("\n"))


@command(
    "pool-define",
    POOL,
    "define an inactive persistent storage pool or modify an existing persistent one from an XML file",
    "Define or modify a persistent storage pool.",
    data("file", "file containing an XML pool description", complete="file"),
    flag("validate", "validate the XML against the schema"),
)
def pool_define(ctl: Ctl, args: Args) -> None:
    path = args.req("file")
    xml = read_file(path)
    with failing(f"Failed to define pool from {path}"):
        pool = ctl.conn.define_pool(xml, validate=args.flag("validate"))
    ctl.output.extra(f"Pool {pool.name} defined from {path}")


@command(
    "pool-define-as",
    POOL,
    "define a pool from a set of args",
    "Define a pool.",
    data("name", "name of the pool"),
    data("type", "type of the pool"),
    flag("print-xml", "print XML document, but don't define/create"),
    string("source-host", "source-host for underlying storage"),
    string("source-path", "source path for underlying storage"),
    string("source-dev", "source device for underlying storage"),
    string("source-name", "source name for underlying storage"),
    string("target", "target for underlying storage", complete="file"),
    string("source-format", "format for underlying storage"),
)
def pool_define_as(ctl: Ctl, args: Args) -> None:
    name = args.req("name")
    xml = pool_xml(name, args.req("type"), args)
    if args.flag("print-xml"):
        ctl.output.print(xml.rstrip("\n"))
        return
    with failing(f"Failed to define pool {name}"):
        pool = ctl.conn.define_pool(xml)
    ctl.output.extra(f"Pool {pool.name} defined")


def pool_xml(name: str, pool_type: str, args: Args) -> str:
    """The pool XML virsh's pool-define-as builds from its options (same element order)."""
    from pyvirt.xml.build import pool_document

    with failing():
        return pool_document(
            name,
            pool_type,
            source_host=args.get("source-host"),
            source_path=args.get("source-path"),
            source_dev=args.get("source-dev"),
            source_format=args.get("source-format"),
            source_name=args.get("source-name"),
            target=args.get("target"),
        )


def _action(name: str, summary: str, description: str, done: str, call: Callable[[StoragePool], None]) -> None:
    """Register a command that applies one argument-less call to a pool (virsh words it alike)."""
    verb = name.removeprefix("pool-")

    def handler(ctl: Ctl, args: Args) -> None:
        pool = ctl.pool(args.req("pool"))
        with failing(f"Failed to {verb} pool {pool.name}"):
            call(pool)
        ctl.output.extra(f"Pool {pool.name} {done}")

    command(name, POOL, summary, description, _POOL)(handler)


_action("pool-build", "build a pool", "Build a given pool.", "built", StoragePool.build)
_action("pool-start", "start a (previously defined) inactive pool", "Start a pool.", "started", StoragePool.start)
_action(
    "pool-destroy",
    "destroy (stop) a pool",
    "Forcefully stop a given pool. Raw data in the pool is untouched",
    "destroyed",
    StoragePool.destroy,
)
_action("pool-delete", "delete a pool", "Delete a given pool.", "deleted", StoragePool.delete)
_action(
    "pool-undefine",
    "undefine an inactive pool",
    "Undefine the configuration for an inactive pool.",
    "has been undefined",
    StoragePool.undefine,
)
_action("pool-refresh", "refresh a pool", "Refresh a given pool.", "refreshed", StoragePool.refresh)


@command(
    "pool-autostart",
    POOL,
    "autostart a pool",
    "Configure a pool to be automatically started at boot.",
    _POOL,
    flag("disable", "disable autostarting"),
)
def pool_autostart(ctl: Ctl, args: Args) -> None:
    pool = ctl.pool(args.req("pool"))
    enable = not args.flag("disable")
    verb = "mark" if enable else "unmark"
    with failing(f"failed to {verb} pool {pool.name} as autostarted"):
        pool.set_autostart(enable)
    ctl.output.extra(f"Pool {pool.name} {verb}ed as autostarted")
