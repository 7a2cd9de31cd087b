"""Byte streams through pyvirtd with libvirt's own clients: real ``virsh vol-upload`` /
``vol-download`` round-trip a file byte for byte, python3-libvirt aborts streams both ways and
sees the driver's error, pyvirsh does the same transfers, a read-only client is refused, and
stream packets that belong to no stream (any serial, any status) leave the daemon serving,
with no descriptor or thread left behind."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pyvirtd_helpers import RawClient, is_error, system_python, virsh

from pyvirt.rpc import remote_protocol as rp
from pyvirt.rpc.message import Header, MessageType, Status, encode_message
from pyvirt_daemon.process import DaemonProcess

PYVIRSH = [sys.executable, "-m", "pyvirt.cli"]
SIZE = 4 * 1024 * 1024 + 321


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@pytest.mark.needs_libvirt("virsh")
def test_virsh_vol_upload_download_round_trip(pyvirtd: DaemonProcess, tmp_path: Path) -> None:
    source, back = tmp_path / "source.bin", tmp_path / "back.bin"
    source.write_bytes(os.urandom(SIZE))
    # test:///default starts afresh when its last client leaves: one virsh session does it all
    done = virsh(
        pyvirtd.uri(),
        f"vol-create-as default-pool big.img 1024; vol-upload --pool default-pool big.img {source};"
        f" vol-info --bytes --pool default-pool big.img; vol-download --pool default-pool big.img {back};"
        f" vol-download --pool default-pool --offset 1000 --length 24 big.img {back}.part",
    )
    assert done.returncode == 0, done.stderr
    assert f"Capacity:       {SIZE} bytes" in done.stdout
    assert back.read_bytes() == source.read_bytes()
    assert Path(f"{back}.part").read_bytes() == source.read_bytes()[1000:1024]


NODE = """<node>
  <pool type='dir'>
    <name>images</name><target><path>/images</path></target>
    <volume><name>disk.img</name><capacity>4096</capacity></volume>
  </pool>
</node>
"""


@pytest.mark.needs_libvirt("virsh")
def test_virsh_read_only_is_refused(pyvirtd: DaemonProcess, tmp_path: Path) -> None:
    node = tmp_path / "node.xml"
    node.write_text(NODE)
    uri = pyvirtd.uri(readonly=True, path=str(node))
    for command in (
        f"vol-download --pool images disk.img {tmp_path / 'x'}",
        f"vol-upload --pool images disk.img {node}",
    ):
        done = virsh(uri, command)
        assert done.returncode == 1
        api = "virStorageVolDownload" if "download" in command else "virStorageVolUpload"
        assert f"read only access prevents {api}" in done.stderr, done.stderr


def test_pyvirsh_vol_upload_download_round_trip(pyvirtd: DaemonProcess, tmp_path: Path) -> None:
    source, back = tmp_path / "source.bin", tmp_path / "back.bin"
    source.write_bytes(os.urandom(SIZE))
    script = (
        f"vol-create-as default-pool p.img 1024; vol-upload --pool default-pool p.img {source};"
        f" vol-download --pool default-pool p.img {back}; vol-upload --pool default-pool p.img /nonexistent"
    )
    done = subprocess.run([*PYVIRSH, "-c", pyvirtd.uri(), script], capture_output=True, text=True, timeout=120)
    assert back.read_bytes() == source.read_bytes()
    assert done.returncode == 1 and "cannot read /nonexistent" in done.stderr


LIBVIRT_ABORTS = """
import sys, libvirt
conn = libvirt.open(sys.argv[1])
vol = conn.storagePoolLookupByName("default-pool").createXML(
    "<volume><name>a.img</name><capacity>3000000</capacity></volume>", 0)
st = conn.newStream(0)
vol.upload(st, 0, 0, 0)
st.send(b"u" * 100000)
st.abort()                      # client abort of an upload: the volume is unchanged
st = conn.newStream(0)
vol.download(st, 0, 0, 0)
print("first", st.recv(5))     # zeros: the aborted upload left nothing
st.abort()                      # client abort mid-download
st = conn.newStream(0)
vol.upload(st, 0, 10, 0)        # announce 10 bytes, send more: the driver refuses
try:
    st.send(b"z" * 100)
    st.finish()
    print("no error")
except libvirt.libvirtError as e:
    print("refused", e.get_error_message())
print("type", conn.getType())
"""


@pytest.mark.needs_libvirt("bindings")
def test_python_libvirt_aborts_and_server_errors(pyvirtd: DaemonProcess) -> None:
    done = system_python(LIBVIRT_ABORTS, pyvirtd.uri())
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "first " + repr(b"\0" * 5)
    assert lines[1].startswith("refused") and "more than the 10 bytes" in lines[1]
    assert lines[2] == "type TEST"


def _header(proc: int, mtype: int, serial: int, status: int) -> Header:
    return Header(rp.REMOTE_PROGRAM, rp.REMOTE_PROTOCOL_VERSION, proc, mtype, serial, status)


def _make_vol(client: RawClient) -> rp.remote_nonnull_storage_vol:
    pool = client.call(
        rp.REMOTE_PROC_STORAGE_POOL_LOOKUP_BY_NAME, rp.remote_storage_pool_lookup_by_name_args("default-pool")
    )
    assert not is_error(pool), pool
    xml = "<volume><name>f.img</name><capacity>4096</capacity></volume>"
    made = client.call(rp.REMOTE_PROC_STORAGE_VOL_CREATE_XML, rp.remote_storage_vol_create_xml_args(pool.pool, xml, 0))
    assert not is_error(made), made
    vol: rp.remote_nonnull_storage_vol = made.vol
    return vol


def _settle(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for the daemon to have released what a gone client held (its loop runs async)."""
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_stream_packets_for_no_stream_are_dropped(pyvirtd: DaemonProcess) -> None:
    assert pyvirtd.proc is not None
    pid = pyvirtd.proc.pid
    fds = _fds(pid)
    client = RawClient(pyvirtd.socket)
    try:
        client.open()
        for serial in (0, 1, 7, 2**31 - 1, 2**32 - 1):
            for status, payload in ((0, b""), (1, b"\xff" * 9), (2, b"data"), (2, b""), (7, b"odd status")):
                for proc in (rp.REMOTE_PROC_STORAGE_VOL_UPLOAD, rp.REMOTE_PROC_CONNECT_GET_TYPE, 99999):
                    client.send(encode_message(_header(proc, MessageType.STREAM, serial, status), payload))
            client.send(encode_message(_header(rp.REMOTE_PROC_STORAGE_VOL_UPLOAD, MessageType.STREAM_HOLE, serial, 0)))
        assert client.call(rp.REMOTE_PROC_CONNECT_GET_TYPE).type == "TEST"
        assert client.unclaimed == []  # dropped silently, as libvirtd does
        # streams opened and never finished: they go with the client
        vol = _make_vol(client)
        for _ in range(5):
            client.call(rp.REMOTE_PROC_STORAGE_VOL_DOWNLOAD, rp.remote_storage_vol_download_args(vol, 0, 0, 0))
            client.call(rp.REMOTE_PROC_STORAGE_VOL_UPLOAD, rp.remote_storage_vol_upload_args(vol, 0, 0, 0))
        # a stream packet on a live stream's serial but another procedure is not its data
        upload_serial = client.serial
        client.send(encode_message(_header(rp.REMOTE_PROC_CONNECT_GET_TYPE, MessageType.STREAM, upload_serial, 0)))
        assert client.call(rp.REMOTE_PROC_CONNECT_GET_TYPE).type == "TEST"
    finally:
        client.close()
    other = RawClient(pyvirtd.socket)
    try:
        other.open()
        assert other.call(rp.REMOTE_PROC_CONNECT_GET_TYPE).type == "TEST"
    finally:
        other.close()
    _settle(lambda: _fds(pid) <= fds)
    assert _fds(pid) <= fds  # fewer: a descriptor of an earlier client closed meanwhile


def test_a_download_bigger_than_the_unread_limit_waits_for_its_reader(pyvirtd: DaemonProcess) -> None:
    """pyvirtd drops a client that leaves more than MESSAGE_MAX bytes unread; a download runs
    at its reader's pace instead, so a client that reads late still gets every byte."""
    size = 48 * 1024 * 1024  # above pyvirtd's 32 MiB unread limit
    client = RawClient(pyvirtd.socket, timeout=60)
    try:
        client.open()
        vol = _make_vol(client)
        assert client.call(rp.REMOTE_PROC_STORAGE_VOL_RESIZE, rp.remote_storage_vol_resize_args(vol, size, 0)) is None
        args = rp.remote_storage_vol_download_args(vol, 0, 0, 0)
        assert client.call(rp.REMOTE_PROC_STORAGE_VOL_DOWNLOAD, args) is None
        time.sleep(1)  # a slow reader: were the daemon not pacing, it would have queued it all
        got = sum(len(p) for h, p in client.unclaimed)
        client.unclaimed.clear()
        while True:
            header, payload = client.receive()
            assert (header.type, header.status) == (MessageType.STREAM, Status.CONTINUE)
            if not payload:
                break
            got += len(payload)
        assert got == size
        client.send(encode_message(header._replace(status=Status.OK)))  # finish
        ack, _ = client.receive()
        assert (ack.type, ack.status, ack.serial) == (MessageType.STREAM, Status.OK, header.serial)
    finally:
        client.close()
