"""One domain's state as the driver keeps it, and its runtime status file.

A running domain has two definitions, as in libvirt: the persistent one (``None`` for a
transient domain) and the live one (everything assigned: pty paths, VNC port, aliases).  The
status file under the run directory holds the live XML plus what is needed to find the QEMU
process again after a restart: its pid, its start time and the monitor socket.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from pyvirt.errors import ErrorDomain, OperationInvalidError
from pyvirt.files import write_atomic
from pyvirt.types import DomainRef, DomainState, ShutoffReason
from pyvirt.xml.domain import DomainDef
from pyvirt.xml.parser import parse_document
from pyvirt_qemu.monitor import Monitor


@dataclass(eq=False)
class DomainObj:
    """A domain known to the driver.  Fields change under the driver's lock; long operations
    (start, stop, save) also hold ``job`` so two of them never overlap on one domain."""

    persistent: DomainDef | None
    live: DomainDef | None = None
    state: DomainState = DomainState.SHUTOFF
    reason: int = ShutoffReason.UNKNOWN
    id: int = -1
    pid: int = 0
    started: int | None = None
    monitor_path: str = ""
    monitor: Monitor | None = None
    autostart: bool = False
    stop_reason: ShutoffReason | None = None
    """Why the QEMU process is about to exit, set by whoever asked it to (destroy, save)."""
    expected_reason: int | None = None
    """The state reason of a pause or resume this driver asked for, while it is in flight: the
    QMP event that confirms it may arrive before the call returns."""
    guest_shutdown: bool = False
    rebooting: bool = False
    """An ACPI reboot is in progress: the guest's next shutdown is turned into a reset."""
    cancel_watch: Callable[[], None] | None = None
    job: threading.Lock = field(default_factory=threading.Lock)
    unplug_alias: str | None = None
    """The device a live detach is waiting for QEMU to delete (libvirt's ``priv->unplug``)."""
    unplugged: threading.Event = field(default_factory=threading.Event)
    """Set by the ``DEVICE_DELETED`` event of ``unplug_alias``: the waiting detach finishes it."""

    @property
    def definition(self) -> DomainDef:
        """The definition that describes the domain now: live while it runs."""
        found = self.live or self.persistent
        assert found is not None
        return found

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def uuid(self) -> str:
        return self.definition.uuid

    @property
    def active(self) -> bool:
        return self.id >= 0

    @property
    def ref(self) -> DomainRef:
        return DomainRef(self.name, self.uuid, self.id)


def persistent_of(obj: DomainObj) -> DomainDef:
    """The persistent definition a config change applies to; a transient domain has none."""
    if obj.persistent is None:
        raise OperationInvalidError(
            "Requested operation is not valid: transient domains do not have any persistent config",
            domain=ErrorDomain.QEMU,
        )
    return obj.persistent


def write_status(path: Path, obj: DomainObj) -> None:
    """Write the status file: the live XML and how to find the process again."""
    assert obj.live is not None
    head = (
        f"<domstatus state='{obj.state.name.lower()}' reason='{int(obj.reason)}' pid='{obj.pid}'"
        f" starttime='{obj.started or 0}' monitor='{obj.monitor_path}'>\n"
    )
    write_atomic(path, head + obj.live.to_xml(domain_id=obj.id) + "</domstatus>\n", durable=False)


@dataclass(frozen=True)
class Status:
    live: DomainDef
    domain_id: int
    state: DomainState
    reason: int
    pid: int
    started: int | None
    monitor_path: str


def read_status(path: Path) -> Status:
    root = parse_document(path.read_bytes(), kind="domstatus")
    dom = root.find("domain")
    if dom is None:
        raise ValueError(f"{path}: no <domain> in status file")
    live = DomainDef.from_xml(etree.tostring(dom))
    started = int(root.get("starttime", "0"))
    return Status(
        live=live,
        domain_id=live.live_id if live.live_id is not None else -1,
        state=DomainState[root.get("state", "running").upper()],
        reason=int(root.get("reason", "0")),
        pid=int(root.get("pid", "0")),
        started=started or None,
        monitor_path=root.get("monitor", ""),
    )
