"""Domain procedures, mapped onto :class:`pyvirt.Domain`.

Handles are built from the wire's ``remote_nonnull_domain`` (name, UUID, ID) without a lookup,
as libvirtd builds its virDomainPtr: the driver resolves the UUID on the call itself, so a
vanished domain gives the driver's own "not found" error, the same text as locally.
"""

from __future__ import annotations

import pyvirt
from pyvirt.errors import ErrorDomain, InvalidArgumentError
from pyvirt.remote import wire_values as wv
from pyvirt.rpc import remote_protocol as rp
from pyvirt.types import DomainMessageKind, ModifyScope
from pyvirt_daemon.handlers.table import handles
from pyvirt_daemon.session import Session

# virDomainModificationImpact / virDomainVcpuFlags / virDomainMemoryModFlags
_AFFECT_ANY = int(ModifyScope.LIVE | ModifyScope.CONFIG | ModifyScope.MAXIMUM)


def _dom(s: Session, wire: rp.remote_nonnull_domain) -> pyvirt.Domain:
    return pyvirt.Domain(s.conn, wv.domain_from_wire(wire))


def _ret_dom(dom: pyvirt.Domain) -> rp.remote_nonnull_domain:
    return wv.domain_to_wire(dom.ref)


# -- lookup, define, create --------------------------------------------------------------------


@handles(rp.REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME)
def lookup_by_name(s: Session, args: rp.remote_domain_lookup_by_name_args) -> rp.remote_domain_lookup_by_name_ret:
    return rp.remote_domain_lookup_by_name_ret(_ret_dom(s.conn.lookup_domain_by_name(args.name)))


@handles(rp.REMOTE_PROC_DOMAIN_LOOKUP_BY_UUID)
def lookup_by_uuid(s: Session, args: rp.remote_domain_lookup_by_uuid_args) -> rp.remote_domain_lookup_by_uuid_ret:
    return rp.remote_domain_lookup_by_uuid_ret(_ret_dom(s.conn.lookup_domain_by_uuid(wv.uuid_from_wire(args.uuid))))


@handles(rp.REMOTE_PROC_DOMAIN_LOOKUP_BY_ID)
def lookup_by_id(s: Session, args: rp.remote_domain_lookup_by_id_args) -> rp.remote_domain_lookup_by_id_ret:
    return rp.remote_domain_lookup_by_id_ret(_ret_dom(s.conn.lookup_domain_by_id(args.id)))


@handles(rp.REMOTE_PROC_DOMAIN_DEFINE_XML)
def define_xml(s: Session, args: rp.remote_domain_define_xml_args) -> rp.remote_domain_define_xml_ret:
    return rp.remote_domain_define_xml_ret(_ret_dom(s.conn.define_domain(args.xml)))


@handles(rp.REMOTE_PROC_DOMAIN_DEFINE_XML_FLAGS)
def define_xml_flags(s: Session, args: rp.remote_domain_define_xml_flags_args) -> rp.remote_domain_define_xml_flags_ret:
    wv.check_flags(args.flags, wv.DOMAIN_DEFINE_VALIDATE, "virDomainDefineXMLFlags")
    dom = s.conn.define_domain(args.xml, validate=bool(args.flags & wv.DOMAIN_DEFINE_VALIDATE))
    return rp.remote_domain_define_xml_flags_ret(_ret_dom(dom))


@handles(rp.REMOTE_PROC_DOMAIN_CREATE_XML)
def create_xml(s: Session, args: rp.remote_domain_create_xml_args) -> rp.remote_domain_create_xml_ret:
    wv.check_flags(args.flags, wv.DOMAIN_START_PAUSED | wv.DOMAIN_START_VALIDATE, "virDomainCreateXML")
    dom = s.conn.create_domain(
        args.xml_desc,
        validate=bool(args.flags & wv.DOMAIN_START_VALIDATE),
        paused=bool(args.flags & wv.DOMAIN_START_PAUSED),
    )
    return rp.remote_domain_create_xml_ret(_ret_dom(dom))


@handles(rp.REMOTE_PROC_DOMAIN_CREATE)
def create(s: Session, args: rp.remote_domain_create_args) -> None:
    _dom(s, args.dom).start()


@handles(rp.REMOTE_PROC_DOMAIN_CREATE_WITH_FLAGS)
def create_with_flags(
    s: Session, args: rp.remote_domain_create_with_flags_args
) -> rp.remote_domain_create_with_flags_ret:
    wv.check_flags(args.flags, wv.DOMAIN_START_PAUSED, "virDomainCreateWithFlags")
    dom = _dom(s, args.dom)
    dom.start(paused=bool(args.flags & wv.DOMAIN_START_PAUSED))
    return rp.remote_domain_create_with_flags_ret(_ret_dom(dom))


@handles(rp.REMOTE_PROC_DOMAIN_RESTORE)
def restore(s: Session, args: rp.remote_domain_restore_args) -> None:
    s.conn.restore_domain(args.from_)


@handles(rp.REMOTE_PROC_DOMAIN_RESTORE_FLAGS)
def restore_flags(s: Session, args: rp.remote_domain_restore_flags_args) -> None:
    wv.check_flags(args.flags, 0, "virDomainRestoreFlags")
    if args.dxml is not None:
        raise InvalidArgumentError("xml modification unsupported", domain=ErrorDomain.DOMAIN)
    s.conn.restore_domain(args.from_)


# -- lifecycle -----------------------------------------------------------------------------------


@handles(rp.REMOTE_PROC_DOMAIN_DESTROY)
def destroy(s: Session, args: rp.remote_domain_destroy_args) -> None:
    _dom(s, args.dom).destroy()


@handles(rp.REMOTE_PROC_DOMAIN_DESTROY_FLAGS)
def destroy_flags(s: Session, args: rp.remote_domain_destroy_flags_args) -> None:
    wv.check_flags(args.flags, 0, "virDomainDestroyFlags")
    _dom(s, args.dom).destroy()


@handles(rp.REMOTE_PROC_DOMAIN_SHUTDOWN)
def shutdown(s: Session, args: rp.remote_domain_shutdown_args) -> None:
    _dom(s, args.dom).shutdown()


@handles(rp.REMOTE_PROC_DOMAIN_SHUTDOWN_FLAGS)
def shutdown_flags(s: Session, args: rp.remote_domain_shutdown_flags_args) -> None:
    wv.check_flags(args.flags, 0, "virDomainShutdownFlags")
    _dom(s, args.dom).shutdown()


@handles(rp.REMOTE_PROC_DOMAIN_REBOOT)
def reboot(s: Session, args: rp.remote_domain_reboot_args) -> None:
    wv.check_flags(args.flags, 0, "virDomainReboot")
    _dom(s, args.dom).reboot()


@handles(rp.REMOTE_PROC_DOMAIN_RESET)
def reset(s: Session, args: rp.remote_domain_reset_args) -> None:
    wv.check_flags(args.flags, 0, "virDomainReset")
    _dom(s, args.dom).reset()


@handles(rp.REMOTE_PROC_DOMAIN_SUSPEND)
def suspend(s: Session, args: rp.remote_domain_suspend_args) -> None:
    _dom(s, args.dom).suspend()


@handles(rp.REMOTE_PROC_DOMAIN_RESUME)
def resume(s: Session, args: rp.remote_domain_resume_args) -> None:
    _dom(s, args.dom).resume()


@handles(rp.REMOTE_PROC_DOMAIN_SAVE)
def save(s: Session, args: rp.remote_domain_save_args) -> None:
    _dom(s, args.dom).save(args.to)


@handles(rp.REMOTE_PROC_DOMAIN_SAVE_FLAGS)
def save_flags(s: Session, args: rp.remote_domain_save_flags_args) -> None:
    wv.check_flags(args.flags, 0, "virDomainSaveFlags")
    if args.dxml is not None:
        raise InvalidArgumentError("xml modification unsupported", domain=ErrorDomain.DOMAIN)
    _dom(s, args.dom).save(args.to)


@handles(rp.REMOTE_PROC_DOMAIN_UNDEFINE)
def undefine(s: Session, args: rp.remote_domain_undefine_args) -> None:
    _dom(s, args.dom).undefine()


@handles(rp.REMOTE_PROC_DOMAIN_UNDEFINE_FLAGS)
def undefine_flags(s: Session, args: rp.remote_domain_undefine_flags_args) -> None:
    wv.check_flags(
        args.flags, wv.DOMAIN_UNDEFINE_MANAGED_SAVE | wv.DOMAIN_UNDEFINE_SNAPSHOTS_METADATA, "virDomainUndefineFlags"
    )
    _dom(s, args.dom).undefine(managed_save=bool(args.flags & wv.DOMAIN_UNDEFINE_MANAGED_SAVE))


# -- state and description -------------------------------------------------------------------------


@handles(rp.REMOTE_PROC_DOMAIN_GET_STATE)
def get_state(s: Session, args: rp.remote_domain_get_state_args) -> rp.remote_domain_get_state_ret:
    wv.check_flags(args.flags, 0, "virDomainGetState")
    state, reason = _dom(s, args.dom).state()
    return rp.remote_domain_get_state_ret(int(state), reason)


@handles(rp.REMOTE_PROC_DOMAIN_GET_INFO)
def get_info(s: Session, args: rp.remote_domain_get_info_args) -> rp.remote_domain_get_info_ret:
    return wv.domain_info_to_wire(_dom(s, args.dom).info())


@handles(rp.REMOTE_PROC_DOMAIN_GET_XML_DESC)
def get_xml_desc(s: Session, args: rp.remote_domain_get_xml_desc_args) -> rp.remote_domain_get_xml_desc_ret:
    wv.check_flags(args.flags, wv.DOMAIN_XML_SECURE | wv.DOMAIN_XML_INACTIVE, "virDomainGetXMLDesc")
    xml = _dom(s, args.dom).xml(
        inactive=bool(args.flags & wv.DOMAIN_XML_INACTIVE), secure=bool(args.flags & wv.DOMAIN_XML_SECURE)
    )
    return rp.remote_domain_get_xml_desc_ret(xml)


@handles(rp.REMOTE_PROC_DOMAIN_GET_OS_TYPE)
def get_os_type(s: Session, args: rp.remote_domain_get_os_type_args) -> rp.remote_domain_get_os_type_ret:
    return rp.remote_domain_get_os_type_ret(_dom(s, args.dom).os_type())


@handles(rp.REMOTE_PROC_DOMAIN_IS_ACTIVE)
def is_active(s: Session, args: rp.remote_domain_is_active_args) -> rp.remote_domain_is_active_ret:
    return rp.remote_domain_is_active_ret(int(_dom(s, args.dom).is_active()))


@handles(rp.REMOTE_PROC_DOMAIN_IS_PERSISTENT)
def is_persistent(s: Session, args: rp.remote_domain_is_persistent_args) -> rp.remote_domain_is_persistent_ret:
    return rp.remote_domain_is_persistent_ret(int(_dom(s, args.dom).is_persistent()))


@handles(rp.REMOTE_PROC_DOMAIN_IS_UPDATED)
def is_updated(s: Session, args: rp.remote_domain_is_updated_args) -> rp.remote_domain_is_updated_ret:
    return rp.remote_domain_is_updated_ret(int(_dom(s, args.dom).is_updated()))


@handles(rp.REMOTE_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE)
def has_managed_save(
    s: Session, args: rp.remote_domain_has_managed_save_image_args
) -> rp.remote_domain_has_managed_save_image_ret:
    wv.check_flags(args.flags, 0, "virDomainHasManagedSaveImage")
    return rp.remote_domain_has_managed_save_image_ret(int(_dom(s, args.dom).has_managed_save()))


@handles(rp.REMOTE_PROC_DOMAIN_GET_AUTOSTART)
def get_autostart(s: Session, args: rp.remote_domain_get_autostart_args) -> rp.remote_domain_get_autostart_ret:
    return rp.remote_domain_get_autostart_ret(int(_dom(s, args.dom).autostart))


@handles(rp.REMOTE_PROC_DOMAIN_SET_AUTOSTART)
def set_autostart(s: Session, args: rp.remote_domain_set_autostart_args) -> None:
    _dom(s, args.dom).set_autostart(bool(args.autostart))


@handles(rp.REMOTE_PROC_DOMAIN_GET_SECURITY_LABEL)
def security_label(
    s: Session, args: rp.remote_domain_get_security_label_args
) -> rp.remote_domain_get_security_label_ret:
    _model, label, enforcing = _dom(s, args.dom).security_label()
    return rp.remote_domain_get_security_label_ret(wv.c_string_to_wire(label) if label else b"", int(enforcing))


@handles(rp.REMOTE_PROC_DOMAIN_GET_SECURITY_LABEL_LIST)
def security_label_list(
    s: Session, args: rp.remote_domain_get_security_label_list_args
) -> rp.remote_domain_get_security_label_list_ret:
    _model, label, enforcing = _dom(s, args.dom).security_label()
    labels = [rp.remote_domain_get_security_label_ret(wv.c_string_to_wire(label) if label else b"", int(enforcing))]
    return rp.remote_domain_get_security_label_list_ret(labels, len(labels))


@handles(rp.REMOTE_PROC_DOMAIN_GET_MESSAGES)
def get_messages(s: Session, args: rp.remote_domain_get_messages_args) -> rp.remote_domain_get_messages_ret:
    wv.check_flags(args.flags, int(DomainMessageKind.DEPRECATION | DomainMessageKind.TAINTING), "virDomainGetMessages")
    return rp.remote_domain_get_messages_ret(_dom(s, args.dom).messages(DomainMessageKind(args.flags)))


# -- resources -------------------------------------------------------------------------------------


@handles(rp.REMOTE_PROC_DOMAIN_GET_MAX_MEMORY)
def get_max_memory(s: Session, args: rp.remote_domain_get_max_memory_args) -> rp.remote_domain_get_max_memory_ret:
    return rp.remote_domain_get_max_memory_ret(_dom(s, args.dom).info().max_memory)


@handles(rp.REMOTE_PROC_DOMAIN_SET_MAX_MEMORY)
def set_max_memory(s: Session, args: rp.remote_domain_set_max_memory_args) -> None:
    _dom(s, args.dom).set_max_memory(args.memory)


@handles(rp.REMOTE_PROC_DOMAIN_SET_MEMORY)
def set_memory(s: Session, args: rp.remote_domain_set_memory_args) -> None:
    _dom(s, args.dom).set_memory(args.memory, ModifyScope.LIVE)


@handles(rp.REMOTE_PROC_DOMAIN_SET_MEMORY_FLAGS)
def set_memory_flags(s: Session, args: rp.remote_domain_set_memory_flags_args) -> None:
    wv.check_flags(args.flags, _AFFECT_ANY, "virDomainSetMemoryFlags")
    _dom(s, args.dom).set_memory(args.memory, ModifyScope(args.flags))


@handles(rp.REMOTE_PROC_DOMAIN_GET_MAX_VCPUS)
def get_max_vcpus(s: Session, args: rp.remote_domain_get_max_vcpus_args) -> rp.remote_domain_get_max_vcpus_ret:
    return rp.remote_domain_get_max_vcpus_ret(_dom(s, args.dom).vcpus_count(ModifyScope.LIVE | ModifyScope.MAXIMUM))


@handles(rp.REMOTE_PROC_DOMAIN_SET_VCPUS)
def set_vcpus(s: Session, args: rp.remote_domain_set_vcpus_args) -> None:
    _dom(s, args.dom).set_vcpus(args.nvcpus, ModifyScope.LIVE)


@handles(rp.REMOTE_PROC_DOMAIN_SET_VCPUS_FLAGS)
def set_vcpus_flags(s: Session, args: rp.remote_domain_set_vcpus_flags_args) -> None:
    wv.check_flags(args.flags, _AFFECT_ANY, "virDomainSetVcpusFlags")
    _dom(s, args.dom).set_vcpus(args.nvcpus, ModifyScope(args.flags))


@handles(rp.REMOTE_PROC_DOMAIN_GET_VCPUS_FLAGS)
def get_vcpus_flags(s: Session, args: rp.remote_domain_get_vcpus_flags_args) -> rp.remote_domain_get_vcpus_flags_ret:
    wv.check_flags(args.flags, _AFFECT_ANY, "virDomainGetVcpusFlags")
    return rp.remote_domain_get_vcpus_flags_ret(_dom(s, args.dom).vcpus_count(ModifyScope(args.flags)))


@handles(rp.REMOTE_PROC_DOMAIN_MEMORY_STATS)
def memory_stats(s: Session, args: rp.remote_domain_memory_stats_args) -> rp.remote_domain_memory_stats_ret:
    wv.check_flags(args.flags, 0, "virDomainMemoryStats")
    if args.maxStats > rp.REMOTE_DOMAIN_MEMORY_STATS_MAX:
        raise InvalidArgumentError("maxStats > REMOTE_DOMAIN_MEMORY_STATS_MAX", domain=ErrorDomain.RPC)
    stats = wv.memory_stats_to_wire(_dom(s, args.dom).memory_stats())
    return rp.remote_domain_memory_stats_ret(stats[: args.maxStats])
