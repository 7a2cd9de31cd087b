"""Conformance: storage pools and volumes (a directory pool under the test's tmp dir)."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

import pyvirt
from pyvirt import PoolState

Namer = Callable[[str], str]


def pool_xml(name: str, path: str) -> str:
    return f"<pool type='dir'>\n  <name>{name}</name>\n  <target>\n    <path>{path}</path>\n  </target>\n</pool>\n"


def volume_xml(name: str, capacity: int) -> str:
    return f"<volume>\n  <name>{name}</name>\n  <capacity unit='bytes'>{capacity}</capacity>\n</volume>\n"


class TestStorage:
    @pytest.mark.pyvirt_requires(
        "pool_define_xml",
        "pool_undefine",
        "pool_build",
        "pool_create",
        "pool_destroy",
        "pool_get_info",
        "pool_is_active",
        "pool_list_volumes",
        "pool_lookup_by_name",
        "vol_create_xml",
        "vol_create_xml_from",
        "vol_get_info",
        "vol_get_path",
        "vol_lookup_by_key",
        "vol_lookup_by_path",
        "vol_lookup_by_name",
        "vol_resize",
        "vol_wipe",
        "vol_delete",
    )
    def test_pool_lifecycle_and_volumes(
        self, conn: pyvirt.Connection, unique_name: Namer, tmp_path: os.PathLike[str]
    ) -> None:
        name = unique_name("pool")
        path = os.path.join(tmp_path, name)
        pool = conn.define_pool(pool_xml(name, path))
        try:
            assert pool.info().state == PoolState.INACTIVE
            pool.build()
            pool.start()
            assert pool.is_active() and pool.info().state == PoolState.RUNNING
            vol = pool.create_volume(volume_xml("disk0.img", 1 << 20))
            assert vol.name == "disk0.img" and vol.pool_name == name
            assert vol.info().capacity == 1 << 20
            assert vol.path().endswith("/disk0.img")
            assert conn.lookup_volume_by_key(vol.key).name == "disk0.img"
            assert conn.lookup_volume_by_path(vol.path()).key == vol.key
            assert [v.name for v in pool.list_volumes()] == ["disk0.img"]
            with pytest.raises(pyvirt.PyvirtError, match="already"):
                pool.create_volume(volume_xml("disk0.img", 1 << 20))
            vol.resize(2 << 20)
            assert vol.info().capacity == 2 << 20
            clone = pool.clone_volume(volume_xml("disk1.img", 2 << 20), vol)
            assert clone.info().capacity == 2 << 20
            vol.wipe()
            clone.delete()
            vol.delete()
            assert pool.list_volumes() == []
            with pytest.raises(pyvirt.NoStorageVolError):
                pool.lookup_volume("disk0.img")
            pool.destroy()
            assert not pool.is_active()
        finally:
            pool.undefine()
        with pytest.raises(pyvirt.NoStoragePoolError):
            conn.lookup_pool_by_name(name)

    @pytest.mark.pyvirt_requires("pool_define_xml", "pool_undefine", "vol_create_xml")
    def test_volumes_need_an_active_pool(
        self, conn: pyvirt.Connection, unique_name: Namer, tmp_path: os.PathLike[str]
    ) -> None:
        pool = conn.define_pool(pool_xml(unique_name("ipool"), os.path.join(tmp_path, "p")))
        try:
            with pytest.raises(pyvirt.OperationInvalidError, match="not active"):
                pool.create_volume(volume_xml("v.img", 1024))
        finally:
            pool.undefine()

    @pytest.mark.pyvirt_requires(
        "pool_define_xml", "pool_build", "pool_create", "pool_destroy", "pool_undefine", "vol_create_xml",
        "vol_delete", "vol_upload", "vol_download",
    )  # fmt: skip
    def test_volume_upload_and_download(
        self, conn: pyvirt.Connection, unique_name: Namer, tmp_path: os.PathLike[str]
    ) -> None:
        pool = conn.define_pool(pool_xml(unique_name("spool"), os.path.join(tmp_path, "s")))
        pool.build()
        pool.start()
        vol = pool.create_volume(volume_xml("s.img", 1 << 20))
        try:
            data = os.urandom(300_000)
            with vol.upload() as stream:
                stream.send(data)
            assert b"".join(vol.download(0, len(data))) == data
            with vol.upload(10, 4) as stream:
                stream.send(b"ABCD")
            assert b"".join(vol.download(8, 8)) == data[8:10] + b"ABCD" + data[14:16]
            aborted = vol.upload()
            aborted.send(b"\0" * 1000)
            aborted.abort()
            assert b"".join(vol.download(0, 4)) == data[:4]
        finally:
            vol.delete()
            pool.destroy()
            pool.undefine()
