"""The ``event`` command (virsh's 'events' group): print lifecycle events as they happen."""

from __future__ import annotations

import threading

from pyvirt.cli.commands import EVENTS, command
from pyvirt.cli.context import Ctl
from pyvirt.cli.errors import CommandError, failing
from pyvirt.cli.parser import Args, flag, number, string

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from pyvirt.types import DomainEvent

EVENT_TYPES = ("lifecycle",)
"""Event types ``event --list`` offers: pyvirt's API delivers lifecycle events only."""

_EVENTS = ("Defined", "Undefined", "Started", "Suspended", "Resumed", "Stopped", "Shutdown", "PMSuspended", "Crashed")
_DETAILS = (
    ("Added", "Updated", "Renamed", "Snapshot"),
    ("Removed", "Renamed"),
    ("Booted", "Migrated", "Restored", "Snapshot", "Event wakeup"),
    (
        "Paused",
        "Migrated",
        "I/O Error",
        "Watchdog",
        "Restored",
        "Snapshot",
        "API error",
        "Post-copy",
        "Post-copy Error",
    ),
    ("Unpaused", "Migrated", "Snapshot", "Post-copy", "Post-copy Error"),
    ("Shutdown", "Destroyed", "Crashed", "Migrated", "Saved", "Failed", "Snapshot"),
    ("Finished", "Finished after guest request", "Finished after host request"),
    ("Memory", "Disk"),
    ("Panicked", "Crashloaded"),
)


def describe(event: DomainEvent) -> tuple[str, str]:
    """The event's and its detail's words as virsh prints them (``Stopped``, ``Destroyed``)."""
    kind = int(event.event)
    if not 0 <= kind < len(_EVENTS):
        return "unknown", "unknown"
    details = _DETAILS[kind]
    return _EVENTS[kind], details[event.detail] if 0 <= event.detail < len(details) else "unknown"


@command(
    "event",
    EVENTS,
    "Domain Events",
    "List event types, or wait for domain events to occur",
    string("domain", "filter by domain name, id or uuid", complete="domain"),
    string("event", "which event type to wait for"),
    flag("all", "wait for all events instead of just one type"),
    flag("loop", "loop until timeout or interrupt, rather than one-shot"),
    number("timeout", "timeout seconds"),
    flag("list", "list valid event types"),
    flag("timestamp", "show timestamp for each printed event"),
)
def event(ctl: Ctl, args: Args) -> None:
    out = ctl.output
    args.exclusive("all", "event")
    args.exclusive("list", "all")
    args.exclusive("list", "event")
    if args.flag("list"):
        out.data(list(EVENT_TYPES), "".join(name + "\n" for name in EVENT_TYPES))
        return
    kind = args.get("event")
    if kind is None and not args.flag("all"):
        raise CommandError("one of --list, --all, or --event <type> is required")
    if kind is not None and kind not in EVENT_TYPES:
        raise CommandError(f"unknown event type {kind}")
    timeout = args.integer("timeout", minimum=1, maximum=2**31 // 1000)
    only = ctl.domain(args.req("domain")).uuid if args.get("domain") is not None else None
    loop, stamps = args.flag("loop"), args.flag("timestamp")
    lock, done = threading.Lock(), threading.Event()
    count = 0

    def on_event(ev: DomainEvent) -> None:
        nonlocal count
        if only is not None and ev.domain.uuid != only:
            return
        what, detail = describe(ev)
        with lock:
            count += 1
            doc = {"event": "lifecycle", "domain": ev.domain.name, "type": what, "detail": detail}
            text = f"event 'lifecycle' for domain '{ev.domain.name}': {what} {detail}\n"
            if stamps:
                now = _timestamp()
                doc["timestamp"] = now
                text = f"{now}: {text}"
            out.data(doc, text)
            out.out.flush()
        if not loop:
            done.set()

    with failing("failed to register event callback"):
        handle = ctl.conn.domain_event_register(on_event)
    try:
        timed_out = not done.wait(timeout)
    except KeyboardInterrupt:
        timed_out = False
    finally:
        ctl.conn.domain_event_deregister(handle)
    if timed_out:
        out.extra("event loop timed out")
    out.extra(f"events received: {count}")
    if timed_out:
        raise CommandError()  # virsh exits 1 after a timeout, with no message


def _timestamp() -> str:
    """virsh's event time stamp: ``2024-01-31 12:00:00.123+0000``."""
    import datetime

    now = datetime.datetime.now(datetime.UTC)
    return now.strftime("%Y-%m-%d %H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000"
