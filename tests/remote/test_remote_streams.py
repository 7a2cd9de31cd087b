"""Byte streams over pyvirt's remote driver: against pyvirtd (volume upload/download through
the public API, interleaved with calls, aborted from either side) and against real libvirtd
9.0 (its test driver has a read stream, the screenshot: read to end of file, finish, abort).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

import pyvirt
from pyvirt.remote import wire_values as wv
from pyvirt.remote.driver import RemoteConnection
from pyvirt.rpc import remote_protocol as rp

pyvirt_daemon = pytest.importorskip("pyvirt_daemon")
from pyvirt_daemon.process import DaemonProcess  # noqa: E402

VOLUME = "<volume><name>{}</name><capacity>4096</capacity></volume>"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    proc = DaemonProcess(tmp_path_factory.mktemp("node")).start()
    try:
        yield proc
    finally:
        assert proc.stop() == 0, proc.stderr()


@pytest.fixture
def vol(daemon: DaemonProcess, request: pytest.FixtureRequest) -> Iterator[pyvirt.StorageVol]:
    with pyvirt.open(daemon.uri()) as conn:
        pool = conn.lookup_pool_by_name("default-pool")
        created = pool.create_volume(VOLUME.format(request.node.name[:40]))
        yield created
        created.delete()


def _download(vol: pyvirt.StorageVol, offset: int = 0, length: int = 0) -> bytes:
    with vol.download(offset, length) as stream:
        return b"".join(stream)


def test_upload_then_download_round_trip_with_calls_in_between(vol: pyvirt.StorageVol) -> None:
    data = os.urandom(3 * 1024 * 1024 + 5)
    conn = vol._conn
    with vol.upload() as stream:
        for start in range(0, len(data), 1 << 20):
            stream.send(data[start : start + (1 << 20)])
            assert conn.get_type() == "TEST"  # the same connection serves calls meanwhile
    assert vol.info().capacity == len(data)
    got = bytearray()
    with vol.download() as stream:
        while chunk := stream.recv(100_000):
            assert len(chunk) <= 100_000
            got += chunk
            assert vol.pool().name == "default-pool"
    assert got == data
    assert _download(vol, 10, 7) == data[10:17]


def test_upload_at_an_offset_keeps_the_rest(vol: pyvirt.StorageVol) -> None:
    with vol.upload() as stream:
        stream.send(b"a" * 100)
    with vol.upload(10, 5) as stream:
        stream.send(b"BBBBB")
    assert _download(vol, 0, 20) == b"a" * 10 + b"BBBBB" + b"a" * 5


def test_client_abort_of_an_upload_changes_nothing(vol: pyvirt.StorageVol) -> None:
    before = _download(vol)
    stream = vol.upload()
    stream.send(b"x" * 200_000)
    stream.abort()
    assert _download(vol) == before
    with pytest.raises(pyvirt.OperationInvalidError):
        stream.send(b"more")


def test_client_abort_mid_download_leaves_the_connection_usable(vol: pyvirt.StorageVol) -> None:
    with vol.upload() as stream:
        stream.send(os.urandom(2 * 1024 * 1024))
    stream = vol.download()
    assert stream.recv(1000)
    stream.abort()
    assert vol.info().capacity == 2 * 1024 * 1024
    assert len(_download(vol)) == 2 * 1024 * 1024


def test_server_side_error_reaches_the_client_and_ends_the_stream(vol: pyvirt.StorageVol) -> None:
    """More bytes than announced: the driver refuses, pyvirtd sends STREAM/ERROR."""
    stream = vol.upload(0, 10)
    with pytest.raises(pyvirt.InvalidArgumentError, match="more than the 10 bytes"):
        stream.send(b"y" * 100)
        stream.finish()
    stream.abort()
    assert vol.info().capacity == 4096


def test_read_only_connections_are_refused_by_the_daemon(daemon: DaemonProcess, vol: pyvirt.StorageVol) -> None:
    with pyvirt.open_read_only(daemon.uri(readonly=True)) as ro:
        # the core refuses before any call; the daemon refuses too (checked with virsh -r)
        target = ro.lookup_volume_by_key(vol.key)
        with pytest.raises(pyvirt.OperationDeniedError):
            target.download()


# -- against real libvirtd ----------------------------------------------------------------------


@pytest.mark.needs_libvirt("daemon")
def test_libvirtd_read_stream_to_end_of_file_then_finish(reference_libvirtd: object) -> None:
    with pyvirt.open(reference_libvirtd.uri()) as conn:  # type: ignore[attr-defined]
        driver = conn.driver
        assert isinstance(driver, RemoteConnection)
        dom = conn.lookup_domain_by_name("test")
        args = rp.remote_domain_screenshot_args(wv.domain_to_wire(dom.ref), 0, 0)
        stream = pyvirt.Stream(driver.client.open_stream(rp.REMOTE_PROC_DOMAIN_SCREENSHOT, args))
        image = b"".join(stream)
        stream.finish()  # libvirtd acknowledges the finish
        assert image.startswith(b"\x89PNG\r\n\x1a\n")
        assert conn.get_type() == "TEST"


@pytest.mark.needs_libvirt("daemon")
def test_libvirtd_read_stream_aborted_by_the_client(reference_libvirtd: object) -> None:
    with pyvirt.open(reference_libvirtd.uri()) as conn:  # type: ignore[attr-defined]
        driver = conn.driver
        assert isinstance(driver, RemoteConnection)
        dom = conn.lookup_domain_by_name("test")
        args = rp.remote_domain_screenshot_args(wv.domain_to_wire(dom.ref), 0, 0)
        stream = pyvirt.Stream(driver.client.open_stream(rp.REMOTE_PROC_DOMAIN_SCREENSHOT, args))
        assert stream.recv(8) == b"\x89PNG\r\n\x1a\n"
        stream.abort()
        assert conn.get_type() == "TEST"  # the connection carries on


@pytest.mark.needs_libvirt("daemon")
def test_libvirtd_test_driver_lacks_volume_streams_and_says_so(reference_libvirtd: object) -> None:
    with pyvirt.open(reference_libvirtd.uri()) as conn:  # type: ignore[attr-defined]
        vol = conn.lookup_pool_by_name("default-pool").create_volume(VOLUME.format("v"))
        with pytest.raises(pyvirt.UnsupportedError, match="virStorageVolUpload"):
            vol.upload()
        with pytest.raises(pyvirt.UnsupportedError, match="virDomainOpenConsole"):
            conn.lookup_domain_by_name("test").open_console()
        assert conn.get_type() == "TEST"
