"""Checkpoint, scheduler-parameter and screenshot procedures, mapped onto :class:`pyvirt.Domain`.

A checkpoint is named by (name, domain) on the wire and by domain UUID and name in pyvirt, so
no handler needs a lookup.  ``virDomainCheckpointGetParent`` of a root is libvirt's
NO_DOMAIN_CHECKPOINT error ("does not have a parent"), where pyvirt answers None.
"""

from __future__ import annotations

import pyvirt
from pyvirt.checkpoint import Checkpoint
from pyvirt.errors import ErrorDomain, NoDomainCheckpointError
from pyvirt.remote import wire_values as wv
from pyvirt.remote.hostcalls import typed_from_wire, typed_to_wire
from pyvirt.rpc import remote_protocol as rp
from pyvirt.types import (
    CheckpointCreateFlags,
    CheckpointDeleteFlags,
    CheckpointListFlags,
    CheckpointXMLFlags,
    ModifyScope,
)
from pyvirt_daemon.handlers.table import serves
from pyvirt_daemon.session import Session


def _dom(s: Session, wire: rp.remote_nonnull_domain) -> pyvirt.Domain:
    return pyvirt.Domain(s.conn, wv.domain_from_wire(wire))


def _chk(s: Session, wire: rp.remote_nonnull_domain_checkpoint) -> Checkpoint:
    return Checkpoint(_dom(s, wire.dom), wire.name)


def _wire(dom: rp.remote_nonnull_domain, name: str) -> rp.remote_nonnull_domain_checkpoint:
    return rp.remote_nonnull_domain_checkpoint(name, dom)


@serves(rp.REMOTE_PROC_DOMAIN_CHECKPOINT_CREATE_XML, "domain_checkpoint_create")
def create_xml(
    s: Session, args: rp.remote_domain_checkpoint_create_xml_args
) -> rp.remote_domain_checkpoint_create_xml_ret:
    chk = _dom(s, args.dom).create_checkpoint(args.xml_desc, CheckpointCreateFlags(args.flags))
    return rp.remote_domain_checkpoint_create_xml_ret(_wire(args.dom, chk.name))


@serves(rp.REMOTE_PROC_DOMAIN_LIST_ALL_CHECKPOINTS, "domain_checkpoint_list")
def list_all(s: Session, args: rp.remote_domain_list_all_checkpoints_args) -> rp.remote_domain_list_all_checkpoints_ret:
    found = _dom(s, args.dom).list_checkpoints(CheckpointListFlags(args.flags))
    wire = [_wire(args.dom, c.name) for c in found] if args.need_results else []
    return rp.remote_domain_list_all_checkpoints_ret(wire, len(found))


@serves(rp.REMOTE_PROC_DOMAIN_CHECKPOINT_LIST_ALL_CHILDREN, "domain_checkpoint_children")
def list_all_children(
    s: Session, args: rp.remote_domain_checkpoint_list_all_children_args
) -> rp.remote_domain_checkpoint_list_all_children_ret:
    found = _chk(s, args.checkpoint).children(CheckpointListFlags(args.flags))
    wire = [_wire(args.checkpoint.dom, c.name) for c in found] if args.need_results else []
    return rp.remote_domain_checkpoint_list_all_children_ret(wire, len(found))


@serves(rp.REMOTE_PROC_DOMAIN_CHECKPOINT_LOOKUP_BY_NAME, "domain_checkpoint_lookup")
def lookup_by_name(
    s: Session, args: rp.remote_domain_checkpoint_lookup_by_name_args
) -> rp.remote_domain_checkpoint_lookup_by_name_ret:
    wv.check_flags(args.flags, 0, "virDomainCheckpointLookupByName")
    chk = _dom(s, args.dom).lookup_checkpoint(args.name)
    return rp.remote_domain_checkpoint_lookup_by_name_ret(_wire(args.dom, chk.name))


@serves(rp.REMOTE_PROC_DOMAIN_CHECKPOINT_GET_PARENT, "domain_checkpoint_get_parent")
def get_parent(
    s: Session, args: rp.remote_domain_checkpoint_get_parent_args
) -> rp.remote_domain_checkpoint_get_parent_ret:
    wv.check_flags(args.flags, 0, "virDomainCheckpointGetParent")
    parent = _chk(s, args.checkpoint).parent()
    if parent is None:
        raise NoDomainCheckpointError(
            f"Domain checkpoint not found: checkpoint '{args.checkpoint.name}' does not have a parent",
            domain=ErrorDomain.TEST,
        )
    return rp.remote_domain_checkpoint_get_parent_ret(_wire(args.checkpoint.dom, parent.name))


@serves(rp.REMOTE_PROC_DOMAIN_CHECKPOINT_GET_XML_DESC, "domain_checkpoint_get_xml")
def get_xml_desc(
    s: Session, args: rp.remote_domain_checkpoint_get_xml_desc_args
) -> rp.remote_domain_checkpoint_get_xml_desc_ret:
    return rp.remote_domain_checkpoint_get_xml_desc_ret(_chk(s, args.checkpoint).xml(CheckpointXMLFlags(args.flags)))


@serves(rp.REMOTE_PROC_DOMAIN_CHECKPOINT_DELETE, "domain_checkpoint_delete")
def delete(s: Session, args: rp.remote_domain_checkpoint_delete_args) -> None:
    _chk(s, args.checkpoint).delete(CheckpointDeleteFlags(args.flags))


# -- scheduler parameters and screenshots ---------------------------------------------------


@serves(rp.REMOTE_PROC_DOMAIN_GET_SCHEDULER_TYPE, "domain_get_scheduler_type")
def scheduler_type(
    s: Session, args: rp.remote_domain_get_scheduler_type_args
) -> rp.remote_domain_get_scheduler_type_ret:
    name, nparams = _dom(s, args.dom).scheduler_type()
    return rp.remote_domain_get_scheduler_type_ret(name, nparams)


@serves(rp.REMOTE_PROC_DOMAIN_GET_SCHEDULER_PARAMETERS, "domain_get_scheduler_parameters")
def scheduler_parameters(
    s: Session, args: rp.remote_domain_get_scheduler_parameters_args
) -> rp.remote_domain_get_scheduler_parameters_ret:
    params = _dom(s, args.dom).scheduler_parameters()
    return rp.remote_domain_get_scheduler_parameters_ret(typed_to_wire(params[: max(args.nparams, 0)]))


@serves(rp.REMOTE_PROC_DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS, "domain_get_scheduler_parameters")
def scheduler_parameters_flags(
    s: Session, args: rp.remote_domain_get_scheduler_parameters_flags_args
) -> rp.remote_domain_get_scheduler_parameters_flags_ret:
    """The flags go to the driver whole (libvirt's test driver refuses every bit, the
    TYPED_PARAM_STRING_OKAY that libvirt's client library adds included)."""
    params = _dom(s, args.dom).scheduler_parameters(ModifyScope(args.flags))
    return rp.remote_domain_get_scheduler_parameters_flags_ret(typed_to_wire(params[: max(args.nparams, 0)]))


@serves(rp.REMOTE_PROC_DOMAIN_SET_SCHEDULER_PARAMETERS, "domain_set_scheduler_parameters")
def set_scheduler_parameters(s: Session, args: rp.remote_domain_set_scheduler_parameters_args) -> None:
    _dom(s, args.dom).set_scheduler_parameters(typed_from_wire(args.params))


@serves(rp.REMOTE_PROC_DOMAIN_SET_SCHEDULER_PARAMETERS_FLAGS, "domain_set_scheduler_parameters")
def set_scheduler_parameters_flags(s: Session, args: rp.remote_domain_set_scheduler_parameters_flags_args) -> None:
    _dom(s, args.dom).set_scheduler_parameters(typed_from_wire(args.params), ModifyScope(args.flags))


@serves(rp.REMOTE_PROC_DOMAIN_SCREENSHOT, "domain_screenshot")
def screenshot(
    s: Session, args: rp.remote_domain_screenshot_args
) -> tuple[pyvirt.Stream, rp.remote_domain_screenshot_ret]:
    """A stream procedure with a reply: the stream and the MIME type (pyvirtd's client sends
    the second as the call's reply)."""
    wv.check_flags(args.flags, 0, "virDomainScreenshot")
    stream, mime = _dom(s, args.dom).screenshot(args.screen)
    return stream, rp.remote_domain_screenshot_ret(mime)
