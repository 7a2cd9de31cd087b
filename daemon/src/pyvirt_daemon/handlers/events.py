"""Domain event subscriptions: the callback-based procedures modern clients use
(CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, one callbackID per registration, events sent as
DOMAIN_EVENT_CALLBACK_LIFECYCLE) and the older per-connection ones (DOMAIN_EVENT_REGISTER_ANY
and DOMAIN_EVENT_REGISTER, events sent as DOMAIN_EVENT_LIFECYCLE).

pyvirt's drivers report lifecycle events only; registrations for libvirt's other event IDs are
accepted (a client such as ``virsh event --all`` registers them all) and simply never fire.
"""

from __future__ import annotations

from pyvirt.errors import ErrorDomain, InternalError, InvalidArgumentError
from pyvirt.remote import wire_values as wv
from pyvirt.rpc import remote_protocol as rp
from pyvirt.types import DomainEvent
from pyvirt_daemon.handlers.table import handles
from pyvirt_daemon.session import Session

EVENT_ID_LAST = 26  # libvirt 9.0's VIR_DOMAIN_EVENT_ID_LAST
_CALLBACK_LIFECYCLE = rp.PROCEDURES[rp.REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE].args
_LEGACY_LIFECYCLE = rp.PROCEDURES[rp.REMOTE_PROC_DOMAIN_EVENT_LIFECYCLE].args
_LEGACY_KEY = -1  # legacy registrations are per event ID; they share the negative keys


def _check_event_id(event_id: int) -> None:
    if not 0 <= event_id < EVENT_ID_LAST:
        raise InvalidArgumentError(f"unsupported event ID {event_id}", domain=ErrorDomain.RPC)


@handles(rp.REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY)
def callback_register_any(
    s: Session, args: rp.remote_connect_domain_event_callback_register_any_args
) -> rp.remote_connect_domain_event_callback_register_any_ret:
    _check_event_id(args.eventID)
    conn = s.conn
    callback_id = next(s.callback_ids)
    only = wv.uuid_from_wire(args.dom.uuid) if args.dom is not None else None
    if args.eventID == wv.DOMAIN_EVENT_ID_LIFECYCLE:
        assert _CALLBACK_LIFECYCLE is not None

        def deliver(event: DomainEvent) -> None:
            if only is None or event.domain.uuid == only:
                s.send_event(
                    rp.REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE,
                    _CALLBACK_LIFECYCLE,
                    wv.lifecycle_event_to_wire(callback_id, event),
                )

        with s.lock:
            s.event_handles[callback_id] = conn.domain_event_register(deliver)
    else:
        with s.lock:
            s.event_handles[callback_id] = 0  # nothing to deliver; remembered so deregistering works
    return rp.remote_connect_domain_event_callback_register_any_ret(callback_id)


@handles(rp.REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY)
def callback_deregister_any(s: Session, args: rp.remote_connect_domain_event_callback_deregister_any_args) -> None:
    _drop(s, args.callbackID, f"domain event callback {args.callbackID} not registered")


@handles(rp.REMOTE_PROC_CONNECT_DOMAIN_EVENT_REGISTER_ANY)
def register_any(s: Session, args: rp.remote_connect_domain_event_register_any_args) -> None:
    _check_event_id(args.eventID)
    _legacy_register(s, args.eventID)


@handles(rp.REMOTE_PROC_CONNECT_DOMAIN_EVENT_DEREGISTER_ANY)
def deregister_any(s: Session, args: rp.remote_connect_domain_event_deregister_any_args) -> None:
    _check_event_id(args.eventID)
    _drop(s, _LEGACY_KEY - args.eventID, f"domain event {args.eventID} not registered")


@handles(rp.REMOTE_PROC_CONNECT_DOMAIN_EVENT_REGISTER)
def register(s: Session, args: None) -> rp.remote_connect_domain_event_register_ret:
    _legacy_register(s, wv.DOMAIN_EVENT_ID_LIFECYCLE)
    return rp.remote_connect_domain_event_register_ret(1)


@handles(rp.REMOTE_PROC_CONNECT_DOMAIN_EVENT_DEREGISTER)
def deregister(s: Session, args: None) -> rp.remote_connect_domain_event_deregister_ret:
    _drop(s, _LEGACY_KEY - wv.DOMAIN_EVENT_ID_LIFECYCLE, "domain event 0 not registered")
    return rp.remote_connect_domain_event_deregister_ret(0)


def _legacy_register(s: Session, event_id: int) -> None:
    conn = s.conn
    key = _LEGACY_KEY - event_id
    with s.lock:
        if key in s.event_handles:
            raise InternalError(f"internal error: domain event {event_id} already registered", domain=ErrorDomain.RPC)
        if event_id != wv.DOMAIN_EVENT_ID_LIFECYCLE:
            s.event_handles[key] = 0
            return
        assert _LEGACY_LIFECYCLE is not None

        def deliver(event: DomainEvent) -> None:
            msg = wv.lifecycle_event_to_wire(0, event).msg
            s.send_event(rp.REMOTE_PROC_DOMAIN_EVENT_LIFECYCLE, _LEGACY_LIFECYCLE, msg)

        s.event_handles[key] = conn.domain_event_register(deliver)


def _drop(s: Session, key: int, missing: str) -> None:
    conn = s.conn
    with s.lock:
        handle = s.event_handles.pop(key, None)
    if handle is None:
        raise InternalError(f"internal error: {missing}", domain=ErrorDomain.RPC)
    if handle:
        conn.domain_event_deregister(handle)
