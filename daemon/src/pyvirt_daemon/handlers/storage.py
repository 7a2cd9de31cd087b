"""Storage pool and volume procedures, mapped onto :class:`pyvirt.StoragePool` and
:class:`pyvirt.StorageVol` (handles built from wire refs)."""

from __future__ import annotations

import pyvirt
from pyvirt.errors import ErrorDomain, InvalidArgumentError, NoStoragePoolError, UnsupportedError
from pyvirt.remote import wire_values as wv
from pyvirt.rpc import remote_protocol as rp
from pyvirt.types import PoolRef, VolRef
from pyvirt_daemon.handlers.table import handles
from pyvirt_daemon.session import Session


def _pool(s: Session, wire: rp.remote_nonnull_storage_pool) -> pyvirt.StoragePool:
    return pyvirt.StoragePool(s.conn, wv.pool_from_wire(wire))


def _vol(s: Session, wire: rp.remote_nonnull_storage_vol) -> pyvirt.StorageVol:
    return pyvirt.StorageVol(s.conn, wv.vol_from_wire(wire))


def _ret_pool(pool: pyvirt.StoragePool) -> rp.remote_nonnull_storage_pool:
    return wv.pool_to_wire(PoolRef(pool.name, pool.uuid))


def _ret_vol(vol: pyvirt.StorageVol) -> rp.remote_nonnull_storage_vol:
    return wv.vol_to_wire(VolRef(vol.pool_name, vol.name, vol.key))


# -- pools -----------------------------------------------------------------------------------------


@handles(rp.REMOTE_PROC_STORAGE_POOL_LOOKUP_BY_NAME)
def pool_lookup_by_name(
    s: Session, args: rp.remote_storage_pool_lookup_by_name_args
) -> rp.remote_storage_pool_lookup_by_name_ret:
    return rp.remote_storage_pool_lookup_by_name_ret(_ret_pool(s.conn.lookup_pool_by_name(args.name)))


@handles(rp.REMOTE_PROC_STORAGE_POOL_LOOKUP_BY_UUID)
def pool_lookup_by_uuid(
    s: Session, args: rp.remote_storage_pool_lookup_by_uuid_args
) -> rp.remote_storage_pool_lookup_by_uuid_ret:
    pool = s.conn.lookup_pool_by_uuid(wv.uuid_from_wire(args.uuid))
    return rp.remote_storage_pool_lookup_by_uuid_ret(_ret_pool(pool))


@handles(rp.REMOTE_PROC_STORAGE_POOL_LOOKUP_BY_VOLUME)
def pool_lookup_by_volume(
    s: Session, args: rp.remote_storage_pool_lookup_by_volume_args
) -> rp.remote_storage_pool_lookup_by_volume_ret:
    return rp.remote_storage_pool_lookup_by_volume_ret(_ret_pool(_vol(s, args.vol).pool()))


@handles(rp.REMOTE_PROC_STORAGE_POOL_DEFINE_XML)
def pool_define_xml(s: Session, args: rp.remote_storage_pool_define_xml_args) -> rp.remote_storage_pool_define_xml_ret:
    wv.check_flags(args.flags, wv.POOL_DEFINE_VALIDATE, "virStoragePoolDefineXML")
    pool = s.conn.define_pool(args.xml, validate=bool(args.flags & wv.POOL_DEFINE_VALIDATE))
    return rp.remote_storage_pool_define_xml_ret(_ret_pool(pool))


@handles(rp.REMOTE_PROC_STORAGE_POOL_CREATE_XML)
def pool_create_xml(s: Session, args: rp.remote_storage_pool_create_xml_args) -> rp.remote_storage_pool_create_xml_ret:
    wv.check_flags(args.flags, wv.POOL_CREATE_BUILDS, "virStoragePoolCreateXML")
    if args.flags & wv.POOL_CREATE_BUILDS:
        _build_new_pool(s.conn, args.xml)
    return rp.remote_storage_pool_create_xml_ret(_ret_pool(s.conn.create_pool(args.xml)))


def _build(pool: pyvirt.StoragePool) -> None:
    """Build ``pool`` where its driver can (libvirt builds only where the backend has a build
    step and starts the pool regardless).  The driver interface takes no build flags: the
    OVERWRITE/NO_OVERWRITE variants only matter for backends that format a device, and the
    pyvirt drivers' pools (directories) have none."""
    try:
        pool.build()
    except UnsupportedError:
        pass


def _build_new_pool(conn: pyvirt.Connection, xml: str) -> None:
    """Build the storage of a pool about to be created from ``xml`` (libvirt builds the new
    transient pool between adding and starting it): the public API builds defined pools only,
    so the pool is defined, built and undefined again (the built storage stays).  A document
    that does not parse, or names a pool that exists, is left to ``create_pool`` to refuse
    with its own error; nothing is defined over an existing pool."""
    from lxml import etree

    try:
        name = etree.fromstring(xml.encode()).findtext("name")
    except (etree.XMLSyntaxError, ValueError):
        return
    if not name:
        return
    try:
        conn.lookup_pool_by_name(name)
        return
    except NoStoragePoolError:
        pass
    staged = conn.define_pool(xml)
    try:
        _build(staged)
    finally:
        staged.undefine()


@handles(rp.REMOTE_PROC_STORAGE_POOL_BUILD)
def pool_build(s: Session, args: rp.remote_storage_pool_build_args) -> None:
    wv.check_flags(args.flags, 0, "virStoragePoolBuild")
    _pool(s, args.pool).build()


@handles(rp.REMOTE_PROC_STORAGE_POOL_CREATE)
def pool_create(s: Session, args: rp.remote_storage_pool_create_args) -> None:
    wv.check_flags(args.flags, wv.POOL_CREATE_BUILDS, "virStoragePoolCreate")
    pool = _pool(s, args.pool)
    if args.flags & wv.POOL_CREATE_BUILDS and not pool.is_active():  # an active pool: start's own error
        _build(pool)
    pool.start()


@handles(rp.REMOTE_PROC_STORAGE_POOL_DESTROY)
def pool_destroy(s: Session, args: rp.remote_storage_pool_destroy_args) -> None:
    _pool(s, args.pool).destroy()


@handles(rp.REMOTE_PROC_STORAGE_POOL_DELETE)
def pool_delete(s: Session, args: rp.remote_storage_pool_delete_args) -> None:
    wv.check_flags(args.flags, 0, "virStoragePoolDelete")
    _pool(s, args.pool).delete()


@handles(rp.REMOTE_PROC_STORAGE_POOL_UNDEFINE)
def pool_undefine(s: Session, args: rp.remote_storage_pool_undefine_args) -> None:
    _pool(s, args.pool).undefine()


@handles(rp.REMOTE_PROC_STORAGE_POOL_REFRESH)
def pool_refresh(s: Session, args: rp.remote_storage_pool_refresh_args) -> None:
    wv.check_flags(args.flags, 0, "virStoragePoolRefresh")
    _pool(s, args.pool).refresh()


@handles(rp.REMOTE_PROC_STORAGE_POOL_GET_INFO)
def pool_get_info(s: Session, args: rp.remote_storage_pool_get_info_args) -> rp.remote_storage_pool_get_info_ret:
    return wv.pool_info_to_wire(_pool(s, args.pool).info())


@handles(rp.REMOTE_PROC_STORAGE_POOL_GET_XML_DESC)
def pool_get_xml_desc(
    s: Session, args: rp.remote_storage_pool_get_xml_desc_args
) -> rp.remote_storage_pool_get_xml_desc_ret:
    wv.check_flags(args.flags, wv.STORAGE_XML_INACTIVE, "virStoragePoolGetXMLDesc")
    xml = _pool(s, args.pool).xml(inactive=bool(args.flags & wv.STORAGE_XML_INACTIVE))
    return rp.remote_storage_pool_get_xml_desc_ret(xml)


@handles(rp.REMOTE_PROC_STORAGE_POOL_IS_ACTIVE)
def pool_is_active(s: Session, args: rp.remote_storage_pool_is_active_args) -> rp.remote_storage_pool_is_active_ret:
    return rp.remote_storage_pool_is_active_ret(int(_pool(s, args.pool).is_active()))


@handles(rp.REMOTE_PROC_STORAGE_POOL_IS_PERSISTENT)
def pool_is_persistent(
    s: Session, args: rp.remote_storage_pool_is_persistent_args
) -> rp.remote_storage_pool_is_persistent_ret:
    return rp.remote_storage_pool_is_persistent_ret(int(_pool(s, args.pool).is_persistent()))


@handles(rp.REMOTE_PROC_STORAGE_POOL_GET_AUTOSTART)
def pool_get_autostart(
    s: Session, args: rp.remote_storage_pool_get_autostart_args
) -> rp.remote_storage_pool_get_autostart_ret:
    return rp.remote_storage_pool_get_autostart_ret(int(_pool(s, args.pool).autostart))


@handles(rp.REMOTE_PROC_STORAGE_POOL_SET_AUTOSTART)
def pool_set_autostart(s: Session, args: rp.remote_storage_pool_set_autostart_args) -> None:
    _pool(s, args.pool).set_autostart(bool(args.autostart))


@handles(rp.REMOTE_PROC_STORAGE_POOL_NUM_OF_VOLUMES)
def pool_num_of_volumes(
    s: Session, args: rp.remote_storage_pool_num_of_volumes_args
) -> rp.remote_storage_pool_num_of_volumes_ret:
    return rp.remote_storage_pool_num_of_volumes_ret(len(_pool(s, args.pool).list_volumes()))


@handles(rp.REMOTE_PROC_STORAGE_POOL_LIST_VOLUMES)
def pool_list_volumes(
    s: Session, args: rp.remote_storage_pool_list_volumes_args
) -> rp.remote_storage_pool_list_volumes_ret:
    if args.maxnames > rp.REMOTE_STORAGE_VOL_LIST_MAX:
        raise InvalidArgumentError("maxnames > REMOTE_STORAGE_VOL_LIST_MAX", domain=ErrorDomain.RPC)
    names = [v.name for v in _pool(s, args.pool).list_volumes()]
    return rp.remote_storage_pool_list_volumes_ret(names[: args.maxnames])


@handles(rp.REMOTE_PROC_STORAGE_POOL_LIST_ALL_VOLUMES)
def pool_list_all_volumes(
    s: Session, args: rp.remote_storage_pool_list_all_volumes_args
) -> rp.remote_storage_pool_list_all_volumes_ret:
    wv.check_flags(args.flags, 0, "virStoragePoolListAllVolumes")
    found = _pool(s, args.pool).list_volumes()
    wire = [_ret_vol(v) for v in found] if args.need_results else []
    return rp.remote_storage_pool_list_all_volumes_ret(wire, len(found))


# -- volumes ---------------------------------------------------------------------------------------


@handles(rp.REMOTE_PROC_STORAGE_VOL_LOOKUP_BY_NAME)
def vol_lookup_by_name(
    s: Session, args: rp.remote_storage_vol_lookup_by_name_args
) -> rp.remote_storage_vol_lookup_by_name_ret:
    return rp.remote_storage_vol_lookup_by_name_ret(_ret_vol(_pool(s, args.pool).lookup_volume(args.name)))


@handles(rp.REMOTE_PROC_STORAGE_VOL_LOOKUP_BY_KEY)
def vol_lookup_by_key(
    s: Session, args: rp.remote_storage_vol_lookup_by_key_args
) -> rp.remote_storage_vol_lookup_by_key_ret:
    return rp.remote_storage_vol_lookup_by_key_ret(_ret_vol(s.conn.lookup_volume_by_key(args.key)))


@handles(rp.REMOTE_PROC_STORAGE_VOL_LOOKUP_BY_PATH)
def vol_lookup_by_path(
    s: Session, args: rp.remote_storage_vol_lookup_by_path_args
) -> rp.remote_storage_vol_lookup_by_path_ret:
    return rp.remote_storage_vol_lookup_by_path_ret(_ret_vol(s.conn.lookup_volume_by_path(args.path)))


@handles(rp.REMOTE_PROC_STORAGE_VOL_CREATE_XML)
def vol_create_xml(s: Session, args: rp.remote_storage_vol_create_xml_args) -> rp.remote_storage_vol_create_xml_ret:
    wv.check_flags(args.flags, wv.VOL_CREATE_VALIDATE, "virStorageVolCreateXML")
    vol = _pool(s, args.pool).create_volume(args.xml, validate=bool(args.flags & wv.VOL_CREATE_VALIDATE))
    return rp.remote_storage_vol_create_xml_ret(_ret_vol(vol))


@handles(rp.REMOTE_PROC_STORAGE_VOL_CREATE_XML_FROM)
def vol_create_xml_from(
    s: Session, args: rp.remote_storage_vol_create_xml_from_args
) -> rp.remote_storage_vol_create_xml_from_ret:
    wv.check_flags(args.flags, 0, "virStorageVolCreateXMLFrom")
    vol = _pool(s, args.pool).clone_volume(args.xml, _vol(s, args.clonevol))
    return rp.remote_storage_vol_create_xml_from_ret(_ret_vol(vol))


@handles(rp.REMOTE_PROC_STORAGE_VOL_DELETE)
def vol_delete(s: Session, args: rp.remote_storage_vol_delete_args) -> None:
    wv.check_flags(args.flags, 0, "virStorageVolDelete")
    _vol(s, args.vol).delete()


@handles(rp.REMOTE_PROC_STORAGE_VOL_WIPE)
def vol_wipe(s: Session, args: rp.remote_storage_vol_wipe_args) -> None:
    wv.check_flags(args.flags, 0, "virStorageVolWipe")
    _vol(s, args.vol).wipe()


@handles(rp.REMOTE_PROC_STORAGE_VOL_RESIZE)
def vol_resize(s: Session, args: rp.remote_storage_vol_resize_args) -> None:
    wv.check_flags(
        args.flags, wv.VOL_RESIZE_ALLOCATE | wv.VOL_RESIZE_DELTA | wv.VOL_RESIZE_SHRINK, "virStorageVolResize"
    )
    _vol(s, args.vol).resize(
        args.capacity, delta=bool(args.flags & wv.VOL_RESIZE_DELTA), shrink=bool(args.flags & wv.VOL_RESIZE_SHRINK)
    )


@handles(rp.REMOTE_PROC_STORAGE_VOL_GET_INFO)
def vol_get_info(s: Session, args: rp.remote_storage_vol_get_info_args) -> rp.remote_storage_vol_get_info_ret:
    return wv.vol_info_to_wire(_vol(s, args.vol).info())


@handles(rp.REMOTE_PROC_STORAGE_VOL_GET_INFO_FLAGS)
def vol_get_info_flags(
    s: Session, args: rp.remote_storage_vol_get_info_flags_args
) -> rp.remote_storage_vol_get_info_flags_ret:
    wv.check_flags(args.flags, 0, "virStorageVolGetInfoFlags")
    return rp.remote_storage_vol_get_info_flags_ret(*wv.vol_info_to_wire(_vol(s, args.vol).info()))


@handles(rp.REMOTE_PROC_STORAGE_VOL_GET_XML_DESC)
def vol_get_xml_desc(
    s: Session, args: rp.remote_storage_vol_get_xml_desc_args
) -> rp.remote_storage_vol_get_xml_desc_ret:
    wv.check_flags(args.flags, 0, "virStorageVolGetXMLDesc")
    return rp.remote_storage_vol_get_xml_desc_ret(_vol(s, args.vol).xml())


@handles(rp.REMOTE_PROC_STORAGE_VOL_GET_PATH)
def vol_get_path(s: Session, args: rp.remote_storage_vol_get_path_args) -> rp.remote_storage_vol_get_path_ret:
    return rp.remote_storage_vol_get_path_ret(_vol(s, args.vol).path())
