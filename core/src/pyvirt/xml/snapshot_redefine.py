"""Snapshot redefinition (``VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE``): metadata only, no guest change.

A redefined snapshot is a full ``<domainsnapshot>`` document as a driver once wrote it (its
state, creation time and parent included); the driver stores it as it stands.  libvirt checks
it the same way in every driver (its snapshot_conf.c), so the test and QEMU drivers share these
checks and give libvirt's messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from pyvirt.errors import (
    ErrorCode,
    ErrorDomain,
    InternalError,
    InvalidArgumentError,
    UnsupportedError,
    XMLError,
)
from pyvirt.types import SnapshotCreateFlags
from pyvirt.xml.parser import parse_document
from pyvirt.xml.snapshot import SnapshotDef

STATES = frozenset({"running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended", "disk-snapshot"})
"""libvirt's snapshot states a redefinition may name (``nostate`` is not one of them)."""

_ONLINE = frozenset({"running", "paused"})


def parse_redefinition(
    xml: str,
    *,
    domain_uuid: str,
    snapshots: Mapping[str, SnapshotDef],
    flags: SnapshotCreateFlags,
    domain: ErrorDomain,
) -> SnapshotDef:
    """The snapshot ``xml`` redefines, checked against the domain (``domain_uuid``) and its
    ``snapshots`` by name (the one of the same name is replaced, a parent must be among them)."""
    root = parse_document(xml, kind="domainsnapshot")
    name = (root.findtext("name") or "").strip()
    if not name:
        raise XMLError("XML error: a redefined snapshot must have a name", domain=domain)
    if not (root.findtext("creationTime") or "").strip().lstrip("-").isdigit():
        raise InternalError("internal error: missing creationTime from existing snapshot", domain=domain)
    state = (root.findtext("state") or "").strip()
    if not state:
        raise XMLError("XML error: missing state from existing snapshot", domain=domain)
    if state not in STATES:
        raise UnsupportedError(
            f"unsupported configuration: Invalid state '{state}' in domain snapshot XML",
            code=ErrorCode.CONFIG_UNSUPPORTED,
            domain=domain,
        )
    snap = SnapshotDef.from_xml(xml)
    if snap.parent == name:
        raise InvalidArgumentError(f"invalid argument: cannot set moment {name} as its own parent", domain=domain)
    if snap.parent is not None and snap.parent not in snapshots:
        raise InvalidArgumentError(f"invalid argument: parent {snap.parent} for moment {name} not found", domain=domain)
    if flags & SnapshotCreateFlags.DISK_ONLY and state != "disk-snapshot":
        raise InvalidArgumentError(
            f"invalid argument: disk-only flag for snapshot {name} requires disk-snapshot state", domain=domain
        )
    typed = root.find("domain[@type]")  # a <domain> without type is an old stub libvirt ignores
    uuid = (typed.findtext("uuid") or "").strip().lower() if typed is not None else ""
    if uuid and uuid.replace("-", "") != domain_uuid.lower().replace("-", ""):
        raise InvalidArgumentError(
            f"invalid argument: definition for snapshot {name} must use uuid {domain_uuid}", domain=domain
        )
    existing = snapshots.get(name)
    if existing is not None:
        if (existing.state in _ONLINE) != (state in _ONLINE):
            raise InvalidArgumentError(
                f"invalid argument: cannot change between online and offline snapshot state in snapshot {name}",
                domain=domain,
            )
        if (existing.state == "disk-snapshot") != (state == "disk-snapshot"):
            raise InvalidArgumentError(
                f"invalid argument: cannot change between disk only and full system in snapshot {name}",
                domain=domain,
            )
    if typed is None:
        if existing is None or not existing.domain_xml:
            raise InternalError("internal error: missing domain in snapshot", domain=domain)
        snap = replace(snap, domain_xml=existing.domain_xml)  # libvirt keeps what it knew
    return snap
