"""Domain monitoring commands (virsh's 'monitor' group): listing and inspecting domains."""

from __future__ import annotations

from pyvirt.cli.commands import MONITOR, command
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import failing
from pyvirt.cli.parser import Args, data, flag
from pyvirt.types import DomainState, ListFilter

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from pyvirt import Domain

_DOM = data("domain", "domain name, id or uuid", complete="domain")

_LIST_FILTERS = {
    "persistent": ListFilter.PERSISTENT,
    "transient": ListFilter.TRANSIENT,
    "autostart": ListFilter.AUTOSTART,
    "no-autostart": ListFilter.NO_AUTOSTART,
    "with-managed-save": ListFilter.MANAGEDSAVE,
    "without-managed-save": ListFilter.NO_MANAGEDSAVE,
    "state-running": ListFilter.RUNNING,
    "state-paused": ListFilter.PAUSED,
    "state-shutoff": ListFilter.SHUTOFF,
    "state-other": ListFilter.OTHER,
}


@command(
    "list",
    MONITOR,
    "list domains",
    "Returns list of domains.",
    flag("inactive", "list inactive domains"),
    flag("all", "list inactive & active domains"),
    flag("transient", "list transient domains"),
    flag("persistent", "list persistent domains"),
    flag("state-running", "list domains in running state"),
    flag("state-paused", "list domains in paused state"),
    flag("state-shutoff", "list domains in shutoff state"),
    flag("state-other", "list domains in other states"),
    flag("autostart", "list domains with autostart enabled"),
    flag("no-autostart", "list domains with autostart disabled"),
    flag("with-managed-save", "list domains with managed save state"),
    flag("without-managed-save", "list domains without managed save"),
    flag("uuid", "list uuid's only"),
    flag("name", "list domain names only"),
    flag("id", "list domain IDs only"),
    flag("table", "list table (default)"),
    flag("managed-save", "mark inactive domains with managed save state"),
    flag("title", "show domain title"),
)
def list_(ctl: Ctl, args: Args) -> None:
    for other in ("name", "uuid", "id"):
        args.exclusive("table", other)
    filters = ListFilter.NONE
    for name, bit in _LIST_FILTERS.items():
        if args.flag(name):
            filters |= bit
    if args.flag("all"):
        filters |= ListFilter.ACTIVE | ListFilter.INACTIVE
    elif args.flag("inactive"):
        filters |= ListFilter.INACTIVE
    elif not filters & (ListFilter.RUNNING | ListFilter.PAUSED | ListFilter.SHUTOFF | ListFilter.OTHER):
        filters |= ListFilter.ACTIVE  # virsh's default: running domains only, unless a state is asked for
    with failing("Failed to list domains"):
        domains = sorted(ctl.conn.list_domains(filters), key=_list_order)
    out = ctl.output
    fields = [name for name in ("uuid", "id", "name") if args.flag(name)]
    if fields:
        _list_fields(ctl, domains, fields)
        return
    records, rows = [], []
    for dom in domains:
        with failing():
            state = _list_state(dom, args.flag("managed-save"))
            title = (dom.title() or "") if args.flag("title") else None
        record: dict[str, object] = {
            "id": None if dom.id == -1 else dom.id,
            "name": dom.name,
            "uuid": dom.uuid,
            "state": state,
        }
        row = ["-" if dom.id == -1 else str(dom.id), dom.name, state]
        if title is not None:
            record["title"] = title
            row.append(title)
        records.append(record)
        rows.append(row)
    header = ["Id", "Name", "State", "Title"] if args.flag("title") else ["Id", "Name", "State"]
    out.table(records, header, rows)


def _list_fields(ctl: Ctl, domains: list[Domain], fields: list[str]) -> None:
    """``list --uuid/--id/--name``: the chosen fields in virsh's order, one domain a line.

    ``--id`` alone lists running domains only; combined, an inactive domain's ID shows as ``-``.
    """
    if fields == ["id"]:
        active = [d for d in domains if d.id != -1]
        ctl.output.data([d.id for d in active], "".join(f"{d.id}\n" for d in active))
        return
    values = [{"uuid": d.uuid, "id": None if d.id == -1 else d.id, "name": d.name} for d in domains]
    lines = [" ".join("-" if v[f] is None else str(v[f]) for f in fields) + "\n" for v in values]
    doc = [v[fields[0]] for v in values] if len(fields) == 1 else [{f: v[f] for f in fields} for v in values]
    ctl.output.data(doc, "".join(lines))


def _list_order(dom: Domain) -> tuple[bool, int, str]:
    """virsh's order: running domains by ID, then inactive ones by name, ignoring case."""
    return (dom.id == -1, dom.id, dom.name.lower())


def _list_state(dom: Domain, mark_saved: bool) -> str:
    state, _ = dom.state()
    if mark_saved and state == DomainState.SHUTOFF and dom.has_managed_save():
        return "saved"
    return state.label


@command("dominfo", MONITOR, "domain information", "Returns basic information about the domain.", _DOM)
def dominfo(ctl: Ctl, args: Args) -> None:
    from pyvirt.errors import PyvirtError

    dom = ctl.domain(args.req("domain"))
    with failing():
        info = dom.info()
        os_type = dom.os_type()
    doc: dict[str, object] = {
        "id": None if dom.id == -1 else dom.id,
        "name": dom.name,
        "uuid": dom.uuid,
        "os_type": os_type,
        "state": info.state.label,
        "cpus": info.vcpus,
        "cpu_time_ns": info.cpu_time,
        "max_memory_kib": info.max_memory,
        "memory_kib": info.memory,
    }
    lines = [
        ("Id", "-" if dom.id == -1 else str(dom.id)),
        ("Name", dom.name),
        ("UUID", dom.uuid),
        ("OS Type", os_type),
        ("State", info.state.label),
        ("CPU(s)", str(info.vcpus)),
    ]
    if info.cpu_time:
        lines.append(("CPU time", f"{info.cpu_time / 1e9:.1f}s"))
    lines.append(("Max memory", f"{info.max_memory} KiB" if info.max_memory else "no limit"))
    lines.append(("Used memory", f"{info.memory} KiB"))
    for label, key, call, words in (
        ("Persistent", "persistent", dom.is_persistent, ("yes", "no", "unknown")),
        ("Autostart", "autostart", lambda: dom.autostart, ("enable", "disable", "no autostart")),
        ("Managed save", "managed_save", dom.has_managed_save, ("yes", "no", "unknown")),
    ):
        try:
            value: bool | None = call()
        except PyvirtError:
            value = None
        doc[key] = value
        lines.append((label, words[2] if value is None else words[0] if value else words[1]))
    _security_lines(ctl, dom, doc, lines)
    try:
        messages = dom.messages()
    except PyvirtError:
        messages = []
    if messages:
        doc["messages"] = messages
        lines += [("Messages" if i == 0 else "", text) for i, text in enumerate(messages)]
    ctl.output.fields(doc, lines)


def _security_lines(ctl: Ctl, dom: Domain, doc: dict[str, object], lines: list[tuple[str, str]]) -> None:
    """virsh's security lines: the node's model and DOI when a model is active, then the
    domain's label when it has one (only running domains do)."""
    from pyvirt.errors import PyvirtError

    try:
        model, doi = ctl.conn.get_security_model()
    except PyvirtError:
        return
    if not model:
        return
    lines += [("Security model", model), ("Security DOI", doi)]
    doc.update(security_model=model, security_doi=doi)
    try:
        _, label, enforcing = dom.security_label()
    except PyvirtError:
        return
    if label:
        lines.append(("Security label", f"{label} ({'enforcing' if enforcing else 'permissive'})"))
        doc.update(security_label=label, security_enforcing=enforcing)


_REASONS: dict[DomainState, tuple[str, ...]] = {
    DomainState.RUNNING: (
        "unknown",
        "booted",
        "migrated",
        "restored",
        "from snapshot",
        "unpaused",
        "migration canceled",
        "save canceled",
        "event wakeup",
        "crashed",
        "post-copy",
    ),
    DomainState.PAUSED: (
        "unknown",
        "user",
        "migrating",
        "saving",
        "dumping",
        "I/O error",
        "watchdog",
        "from snapshot",
        "shutting down",
        "creating snapshot",
        "crashed",
        "starting up",
        "post-copy",
        "post-copy failed",
    ),
    DomainState.SHUTDOWN: ("unknown", "user"),
    DomainState.SHUTOFF: (
        "unknown",
        "shutdown",
        "destroyed",
        "crashed",
        "migrated",
        "saved",
        "failed",
        "from snapshot",
        "daemon",
    ),
    DomainState.CRASHED: ("unknown", "panicked"),
}


def reason_label(state: DomainState, reason: int) -> str:
    """The words virsh prints for a state's reason code."""
    words = _REASONS.get(state, ("unknown",))
    return words[reason] if 0 <= reason < len(words) else "unknown"


@command(
    "domstate",
    MONITOR,
    "domain state",
    "Returns state about a domain.",
    _DOM,
    flag("reason", "also print reason for the state"),
)
def domstate(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"))
    with failing():
        state, reason = dom.state()
    why = reason_label(state, reason)
    text = f"{state.label} ({why})\n" if args.flag("reason") else f"{state.label}\n"
    ctl.output.data({"state": state.label, "state_code": int(state), "reason": why, "reason_code": reason}, text)


@command(
    "dommemstat", MONITOR, "get memory statistics for a domain", "Get memory statistics for a running domain.", _DOM
)
def dommemstat(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"))
    with failing(f"Failed to get memory statistics for domain {dom.name}"):
        stats = dom.memory_stats()
    ctl.output.data(stats, "".join(f"{name} {value}\n" for name, value in stats.items()))


@command(
    "domblklist",
    MONITOR,
    "list all domain blocks",
    "Get the summary of block devices for a domain.",
    _DOM,
    flag("inactive", "get inactive rather than running configuration"),
    flag("details", "additionally display the type and device value"),
)
def domblklist(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"))
    with failing():
        disks = dom.disks(inactive=args.flag("inactive"))
    doc = [d._asdict() for d in disks]
    if args.flag("details"):
        rows = [(d.type, d.device, d.target, d.source or "-") for d in disks]
        ctl.output.table(doc, ["Type", "Device", "Target", "Source"], rows)
    else:
        ctl.output.table(doc, ["Target", "Source"], [(d.target, d.source or "-") for d in disks])


@command(
    "domiflist",
    MONITOR,
    "list all domain virtual interfaces",
    "Get the summary of virtual interfaces for a domain.",
    _DOM,
    flag("inactive", "get inactive rather than running configuration"),
)
def domiflist(ctl: Ctl, args: Args) -> None:
    dom = ctl.domain(args.req("domain"))
    with failing():
        ifaces = dom.interfaces(inactive=args.flag("inactive"))
    doc = [i._asdict() for i in ifaces]
    rows = [(i.target or "-", i.type, i.source or "-", i.model or "-", i.mac or "-") for i in ifaces]
    ctl.output.table(doc, ["Interface", "Type", "Source", "Model", "MAC"], rows)
