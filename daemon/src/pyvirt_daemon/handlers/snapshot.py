"""Snapshot procedures, mapped onto :class:`pyvirt.Domain`'s snapshot calls.

The wire names a snapshot by (name, domain); pyvirt's interface by domain UUID and name, so a
handler needs no lookup.  ``virDomainSnapshotLookupByName`` checks the snapshot exists by
reading its XML, as the name alone proves nothing.
"""

from __future__ import annotations

import functools
import operator

import pyvirt
from pyvirt.errors import ErrorDomain, NoDomainSnapshotError
from pyvirt.remote import wire_values as wv
from pyvirt.rpc import remote_protocol as rp
from pyvirt.types import SnapshotCreateFlags
from pyvirt_daemon.handlers.table import serves
from pyvirt_daemon.session import Session


def _listed(dom: pyvirt.Domain, flags: int, api: str) -> list[str]:
    wv.check_flags(flags, wv.SNAPSHOT_LIST_METADATA | wv.SNAPSHOT_LIST_NO_METADATA, api)
    if flags & wv.SNAPSHOT_LIST_NO_METADATA and not flags & wv.SNAPSHOT_LIST_METADATA:
        return []  # every snapshot pyvirt keeps has metadata
    return dom.snapshot_names()


def _dom(s: Session, wire: rp.remote_nonnull_domain) -> pyvirt.Domain:
    return pyvirt.Domain(s.conn, wv.domain_from_wire(wire))


def _snap(wire: rp.remote_nonnull_domain, name: str) -> rp.remote_nonnull_domain_snapshot:
    return rp.remote_nonnull_domain_snapshot(name, wire)


@serves(rp.REMOTE_PROC_DOMAIN_SNAPSHOT_CREATE_XML, "domain_snapshot_create")
def create_xml(s: Session, args: rp.remote_domain_snapshot_create_xml_args) -> rp.remote_domain_snapshot_create_xml_ret:
    known = functools.reduce(operator.or_, SnapshotCreateFlags)
    wv.check_flags(args.flags, known, "virDomainSnapshotCreateXML")  # the driver refuses what it lacks
    name = _dom(s, args.dom).create_snapshot(args.xml_desc, SnapshotCreateFlags(args.flags))
    return rp.remote_domain_snapshot_create_xml_ret(_snap(args.dom, name))


@serves(rp.REMOTE_PROC_DOMAIN_LIST_ALL_SNAPSHOTS, "domain_snapshot_list")
def list_all(s: Session, args: rp.remote_domain_list_all_snapshots_args) -> rp.remote_domain_list_all_snapshots_ret:
    names = _listed(_dom(s, args.dom), args.flags, "virDomainListAllSnapshots")
    snaps = [_snap(args.dom, n) for n in names] if args.need_results else []
    return rp.remote_domain_list_all_snapshots_ret(snaps, len(names))


@serves(rp.REMOTE_PROC_DOMAIN_SNAPSHOT_NUM, "domain_snapshot_list")
def num(s: Session, args: rp.remote_domain_snapshot_num_args) -> rp.remote_domain_snapshot_num_ret:
    return rp.remote_domain_snapshot_num_ret(len(_listed(_dom(s, args.dom), args.flags, "virDomainSnapshotNum")))


@serves(rp.REMOTE_PROC_DOMAIN_SNAPSHOT_LIST_NAMES, "domain_snapshot_list")
def list_names(s: Session, args: rp.remote_domain_snapshot_list_names_args) -> rp.remote_domain_snapshot_list_names_ret:
    names = _listed(_dom(s, args.dom), args.flags, "virDomainSnapshotListNames")
    return rp.remote_domain_snapshot_list_names_ret(names[: max(args.maxnames, 0)])


@serves(rp.REMOTE_PROC_DOMAIN_SNAPSHOT_LOOKUP_BY_NAME, "domain_snapshot_get_xml")
def lookup_by_name(
    s: Session, args: rp.remote_domain_snapshot_lookup_by_name_args
) -> rp.remote_domain_snapshot_lookup_by_name_ret:
    wv.check_flags(args.flags, 0, "virDomainSnapshotLookupByName")
    _dom(s, args.dom).snapshot_xml(args.name)
    return rp.remote_domain_snapshot_lookup_by_name_ret(_snap(args.dom, args.name))


@serves(rp.REMOTE_PROC_DOMAIN_HAS_CURRENT_SNAPSHOT, "domain_snapshot_current")
def has_current(
    s: Session, args: rp.remote_domain_has_current_snapshot_args
) -> rp.remote_domain_has_current_snapshot_ret:
    wv.check_flags(args.flags, 0, "virDomainHasCurrentSnapshot")
    return rp.remote_domain_has_current_snapshot_ret(int(_dom(s, args.dom).current_snapshot() is not None))


@serves(rp.REMOTE_PROC_DOMAIN_SNAPSHOT_CURRENT, "domain_snapshot_current")
def current(s: Session, args: rp.remote_domain_snapshot_current_args) -> rp.remote_domain_snapshot_current_ret:
    wv.check_flags(args.flags, 0, "virDomainSnapshotCurrent")
    dom = _dom(s, args.dom)
    name = dom.current_snapshot()
    if name is None:
        raise NoDomainSnapshotError(
            "Domain snapshot not found: the domain does not have a current snapshot",
            domain=ErrorDomain.DOMAIN_SNAPSHOT,
        )
    return rp.remote_domain_snapshot_current_ret(_snap(args.dom, name))


@serves(rp.REMOTE_PROC_DOMAIN_SNAPSHOT_IS_CURRENT, "domain_snapshot_current")
def is_current(s: Session, args: rp.remote_domain_snapshot_is_current_args) -> rp.remote_domain_snapshot_is_current_ret:
    wv.check_flags(args.flags, 0, "virDomainSnapshotIsCurrent")
    return rp.remote_domain_snapshot_is_current_ret(int(_dom(s, args.snap.dom).current_snapshot() == args.snap.name))


@serves(rp.REMOTE_PROC_DOMAIN_SNAPSHOT_HAS_METADATA, "domain_snapshot_get_xml")
def has_metadata(
    s: Session, args: rp.remote_domain_snapshot_has_metadata_args
) -> rp.remote_domain_snapshot_has_metadata_ret:
    wv.check_flags(args.flags, 0, "virDomainSnapshotHasMetadata")
    _dom(s, args.snap.dom).snapshot_xml(args.snap.name)
    return rp.remote_domain_snapshot_has_metadata_ret(1)


@serves(rp.REMOTE_PROC_DOMAIN_SNAPSHOT_GET_PARENT, "domain_snapshot_get_xml")
def get_parent(s: Session, args: rp.remote_domain_snapshot_get_parent_args) -> rp.remote_domain_snapshot_get_parent_ret:
    from pyvirt.xml.snapshot import SnapshotDef

    wv.check_flags(args.flags, 0, "virDomainSnapshotGetParent")
    parent = SnapshotDef.from_xml(_dom(s, args.snap.dom).snapshot_xml(args.snap.name)).parent
    if parent is None:
        raise NoDomainSnapshotError(
            f"Domain snapshot not found: snapshot '{args.snap.name}' does not have a parent",
            domain=ErrorDomain.DOMAIN_SNAPSHOT,
        )
    return rp.remote_domain_snapshot_get_parent_ret(_snap(args.snap.dom, parent))


@serves(rp.REMOTE_PROC_DOMAIN_SNAPSHOT_GET_XML_DESC, "domain_snapshot_get_xml")
def get_xml_desc(
    s: Session, args: rp.remote_domain_snapshot_get_xml_desc_args
) -> rp.remote_domain_snapshot_get_xml_desc_ret:
    wv.check_flags(args.flags, 0, "virDomainSnapshotGetXMLDesc")
    return rp.remote_domain_snapshot_get_xml_desc_ret(_dom(s, args.snap.dom).snapshot_xml(args.snap.name))


@serves(rp.REMOTE_PROC_DOMAIN_REVERT_TO_SNAPSHOT, "domain_snapshot_revert")
def revert(s: Session, args: rp.remote_domain_revert_to_snapshot_args) -> None:
    wv.check_flags(args.flags, 0, "virDomainRevertToSnapshot")
    _dom(s, args.snap.dom).revert_to_snapshot(args.snap.name)


@serves(rp.REMOTE_PROC_DOMAIN_SNAPSHOT_DELETE, "domain_snapshot_delete")
def delete(s: Session, args: rp.remote_domain_snapshot_delete_args) -> None:
    wv.check_flags(args.flags, 0, "virDomainSnapshotDelete")
    _dom(s, args.snap.dom).delete_snapshot(args.snap.name)
