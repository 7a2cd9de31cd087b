"""Listing options networks and pools share with virsh: the filters and ``--name``/``--uuid``."""

from __future__ import annotations

from pyvirt.cli.context import Ctl
from pyvirt.cli.parser import Args
from pyvirt.types import ListFilter

_PAIRS = {
    "persistent": ListFilter.PERSISTENT,
    "transient": ListFilter.TRANSIENT,
    "autostart": ListFilter.AUTOSTART,
    "no-autostart": ListFilter.NO_AUTOSTART,
}


def list_filter(args: Args) -> ListFilter:
    """virsh's --inactive/--all/--persistent/... for networks and pools (default: active)."""
    filters = ListFilter.NONE
    for name, bit in _PAIRS.items():
        if args.flag(name):
            filters |= bit
    if args.flag("all"):
        return filters
    return filters | (ListFilter.INACTIVE if args.flag("inactive") else ListFilter.ACTIVE)


def names_or_uuids(ctl: Ctl, args: Args, objects: list[tuple[str, str]], name_width: int = 0) -> bool:
    """Print ``--name``/``--uuid`` listings; False when the caller should print a table.

    ``name_width`` pads names as ``pool-list`` does (``net-list`` does not).
    """
    by_uuid, by_name = args.flag("uuid"), args.flag("name")
    if not (by_uuid or by_name):
        return False
    lines = [
        f"{u} {n:<{name_width}}" if by_uuid and by_name else u if by_uuid else f"{n:<{name_width}}" for n, u in objects
    ]
    doc = [{"uuid": u, "name": n} if by_uuid and by_name else (u if by_uuid else n) for n, u in objects]
    ctl.output.data(doc, "".join(line + "\n" for line in lines))
    return True
