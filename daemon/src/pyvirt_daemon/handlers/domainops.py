"""Domain procedures of issue 9 beyond snapshots: device hot-plug, I/O statistics, managed save
and domain capabilities, each mapped onto one :class:`pyvirt.Domain` or Connection call."""

from __future__ import annotations

import pyvirt
from pyvirt.remote import wire_values as wv
from pyvirt.rpc import remote_protocol as rp
from pyvirt.types import ModifyScope
from pyvirt_daemon.handlers.table import serves
from pyvirt_daemon.session import Session


def _dom(s: Session, wire: rp.remote_nonnull_domain) -> pyvirt.Domain:
    return pyvirt.Domain(s.conn, wv.domain_from_wire(wire))


@serves(rp.REMOTE_PROC_DOMAIN_ATTACH_DEVICE, "domain_attach_device")
def attach_device(s: Session, args: rp.remote_domain_attach_device_args) -> None:
    _dom(s, args.dom).attach_device(args.xml)


@serves(rp.REMOTE_PROC_DOMAIN_ATTACH_DEVICE_FLAGS, "domain_attach_device")
def attach_device_flags(s: Session, args: rp.remote_domain_attach_device_flags_args) -> None:
    wv.check_flags(args.flags, int(ModifyScope.LIVE | ModifyScope.CONFIG), "virDomainAttachDeviceFlags")
    _dom(s, args.dom).attach_device(args.xml, ModifyScope(args.flags))


@serves(rp.REMOTE_PROC_DOMAIN_DETACH_DEVICE, "domain_detach_device")
def detach_device(s: Session, args: rp.remote_domain_detach_device_args) -> None:
    _dom(s, args.dom).detach_device(args.xml)


@serves(rp.REMOTE_PROC_DOMAIN_DETACH_DEVICE_FLAGS, "domain_detach_device")
def detach_device_flags(s: Session, args: rp.remote_domain_detach_device_flags_args) -> None:
    wv.check_flags(args.flags, int(ModifyScope.LIVE | ModifyScope.CONFIG), "virDomainDetachDeviceFlags")
    _dom(s, args.dom).detach_device(args.xml, ModifyScope(args.flags))


@serves(rp.REMOTE_PROC_DOMAIN_BLOCK_STATS, "domain_block_stats")
def block_stats(s: Session, args: rp.remote_domain_block_stats_args) -> rp.remote_domain_block_stats_ret:
    return rp.remote_domain_block_stats_ret(*_dom(s, args.dom).block_stats(args.path))


@serves(rp.REMOTE_PROC_DOMAIN_INTERFACE_STATS, "domain_interface_stats")
def interface_stats(s: Session, args: rp.remote_domain_interface_stats_args) -> rp.remote_domain_interface_stats_ret:
    return rp.remote_domain_interface_stats_ret(*_dom(s, args.dom).interface_stats(args.device))


@serves(rp.REMOTE_PROC_CONNECT_GET_ALL_DOMAIN_STATS, "domain_stats")
def all_domain_stats(
    s: Session, args: rp.remote_connect_get_all_domain_stats_args
) -> rp.remote_connect_get_all_domain_stats_ret:
    """The domains named, or every domain when none is (list filters by flags are refused)."""
    wv.check_flags(args.flags, 0, "virConnectGetAllDomainStats")
    doms = [_dom(s, wire) for wire in args.doms] if args.doms else s.conn.list_domains()
    records = []
    for dom in doms:
        params = [
            rp.remote_typed_param(
                field, (wv.TYPED_STRING, value) if isinstance(value, str) else (wv.TYPED_LLONG, value)
            )
            for field, value in dom.stats().items()
        ]
        records.append(rp.remote_domain_stats_record(wv.domain_to_wire(dom.ref), params))
    return rp.remote_connect_get_all_domain_stats_ret(records)


@serves(rp.REMOTE_PROC_DOMAIN_MANAGED_SAVE, "domain_managed_save")
def managed_save(s: Session, args: rp.remote_domain_managed_save_args) -> None:
    wv.check_flags(args.flags, 0, "virDomainManagedSave")
    _dom(s, args.dom).managed_save()


@serves(rp.REMOTE_PROC_DOMAIN_MANAGED_SAVE_REMOVE, "domain_managed_save_remove")
def managed_save_remove(s: Session, args: rp.remote_domain_managed_save_remove_args) -> None:
    wv.check_flags(args.flags, 0, "virDomainManagedSaveRemove")
    _dom(s, args.dom).managed_save_remove()


@serves(rp.REMOTE_PROC_CONNECT_GET_DOMAIN_CAPABILITIES, "get_domain_capabilities")
def domain_capabilities(
    s: Session, args: rp.remote_connect_get_domain_capabilities_args
) -> rp.remote_connect_get_domain_capabilities_ret:
    wv.check_flags(args.flags, 0, "virConnectGetDomainCapabilities")
    xml = s.conn.get_domain_capabilities(args.emulatorbin, args.arch, args.machine, args.virttype)
    return rp.remote_connect_get_domain_capabilities_ret(xml)
