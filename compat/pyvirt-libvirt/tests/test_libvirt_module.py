"""pyvirt-libvirt's ``libvirt`` module in-process: the API surface, errors and event loops."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Iterator
from typing import Any

import libvirt
import libvirtaio
import libvirtmod
import pytest
from pyvirt_libvirt import eventloop
from pyvirt_libvirt._stubs import C_NAMES


@pytest.fixture
def quiet() -> Iterator[list[Any]]:
    seen: list[Any] = []
    libvirt.registerErrorHandler(lambda ctx, err: seen.append(err), None)
    yield seen
    libvirt.registerErrorHandler(None, None)


@pytest.fixture
def conn(quiet: list[Any]) -> Iterator[libvirt.virConnect]:
    c = libvirt.open("test:///default")
    yield c
    c.close()


@pytest.fixture
def no_event_impl() -> Iterator[None]:
    saved = eventloop._impl
    eventloop._impl = None
    yield
    eventloop._impl = saved


def test_every_libvirt_python_method_exists_with_its_parameters() -> None:
    for qualified in C_NAMES:
        owner, name = qualified.rsplit(".", 1)
        if owner in ("libvirt_qemu", "libvirt_lxc"):
            continue
        target = libvirt if owner == "libvirt" else getattr(libvirt, owner)
        assert callable(getattr(target, name)), qualified


def test_missing_api_raises_no_support_naming_the_c_function(conn: libvirt.virConnect, quiet: list[Any]) -> None:
    dom = conn.lookupByName("test")
    with pytest.raises(libvirt.libvirtError) as caught:
        dom.blockPull("vda")
    assert caught.value.get_error_code() == libvirt.VIR_ERR_NO_SUPPORT
    assert caught.value.get_error_domain() == libvirt.VIR_FROM_DOMAIN
    assert str(caught.value) == "this function is not supported by the connection driver: virDomainBlockPull"
    assert quiet == [caught.value.err]
    assert list(inspect.signature(libvirt.virDomain.blockPull).parameters) == ["self", "disk", "bandwidth", "flags"]


def test_constants_have_libvirts_values() -> None:
    assert libvirt.VIR_DOMAIN_RUNNING == 1
    assert libvirt.VIR_ERR_NO_DOMAIN == 42
    assert libvirt.VIR_DOMAIN_SCHEDULER_WEIGHT == "weight"
    assert libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_DIR == 64
    assert libvirt.VIR_TYPED_PARAM_STRING == 7


def test_error_tuple_and_last_error(conn: libvirt.virConnect) -> None:
    with pytest.raises(libvirt.libvirtError) as caught:
        conn.networkLookupByName("nope")
    err = caught.value
    assert err.get_error_code() == libvirt.VIR_ERR_NO_NETWORK
    assert err.get_error_level() == 2
    assert err.get_str1() == "Network not found: %s"
    assert err.get_str2() == "no network with matching name 'nope'"
    assert libvirt.virGetLastError() == err.err
    assert conn.getType() == "TEST"
    assert libvirt.virGetLastError() is None


def test_default_handler_prints_as_libvirt(capsys: pytest.CaptureFixture[str]) -> None:
    c = libvirt.open("test:///default")
    with pytest.raises(libvirt.libvirtError):
        c.lookupByName("nope")
    assert capsys.readouterr().err == "libvirt: Test Driver error : Domain not found\n"
    c.close()


def test_events_need_an_event_loop(conn: libvirt.virConnect, no_event_impl: None) -> None:
    with pytest.raises(libvirt.libvirtError, match="could not initialize domain event timer"):
        conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, lambda *a: None, None)


@pytest.mark.parametrize("uri", ["qemu:///embed?root=/nonexistent/pyvirt", "test:///embed?root=/nonexistent/pyvirt"])
def test_an_embedded_driver_needs_an_event_loop_as_in_libvirt(uri: str, no_event_impl: None) -> None:
    """libvirt's virConnectOpen refuses every ``scheme:///embed?root=/DIR`` until a loop is
    registered (virEventRequireImpl): code, domain and words as python3-libvirt reports them."""
    with pytest.raises(libvirt.libvirtError) as refused:
        libvirt.open(uri)
    err = refused.value
    assert (err.get_error_code(), err.get_error_domain()) == (
        libvirt.VIR_ERR_CONFIG_UNSUPPORTED,
        libvirt.VIR_FROM_EVENT,
    )
    assert err.get_error_message() == "unsupported configuration: An event loop implementation must be registered"


class Recorder:
    """An event implementation that records what libvirt asks of it (libvirtmod's contract)."""

    def __init__(self) -> None:
        self.timers: dict[int, list[Any]] = {}
        self.freed: list[Any] = []
        self.next = 100

    def register(self) -> None:
        libvirtmod.virEventRegisterImpl(
            self.add_handle, self.update, self.remove, self.add_timeout, self.update, self.remove
        )

    def add_handle(self, fd: int, events: int, cb: Any, opaque: Any) -> int:
        raise AssertionError("the test driver watches no descriptor")

    def add_timeout(self, timeout: int, cb: Any, opaque: Any) -> int:
        self.next += 1
        self.timers[self.next] = [timeout, cb, opaque]
        return self.next

    def update(self, timer: int, timeout: int) -> None:
        self.timers[timer][0] = timeout

    def remove(self, timer: int) -> int:
        _timeout, _cb, opaque = self.timers.pop(timer)
        libvirt.virEventInvokeFreeCallback(opaque)
        return 0


def test_timer_added_armed_and_removed_as_libvirt_does(conn: libvirt.virConnect, no_event_impl: None) -> None:
    rec = Recorder()
    rec.register()
    seen: list[Any] = []
    cb_id = conn.domainEventRegisterAny(None, 0, lambda c, d, e, det, o: seen.append((d.name(), e, det, o)), "op")
    assert cb_id == 0
    [(timer, (timeout, callback, opaque))] = rec.timers.items()
    assert timeout == -1
    dom = conn.lookupByName("test")
    dom.destroy()
    assert rec.timers[timer][0] == 0
    assert seen == []  # nothing runs until the loop fires the timer
    callback(timer, opaque)
    assert rec.timers[timer][0] == -1
    assert seen == [("test", libvirt.VIR_DOMAIN_EVENT_STOPPED, libvirt.VIR_DOMAIN_EVENT_STOPPED_DESTROYED, "op")]
    second = conn.domainEventRegisterAny(dom, libvirt.VIR_DOMAIN_EVENT_ID_REBOOT, lambda *a: None, None)
    assert second == 1 and len(rec.timers) == 1
    conn.domainEventDeregisterAny(0)
    assert len(rec.timers) == 1
    conn.domainEventDeregisterAny(1)
    assert rec.timers == {}
    dom.create()


def test_default_loop_delivers_from_another_thread(conn: libvirt.virConnect) -> None:
    libvirt.virEventRegisterDefaultImpl()
    got = threading.Event()
    seen: list[int] = []

    def on_event(c: Any, d: Any, event: int, detail: int, opaque: Any) -> None:
        seen.append(event)
        got.set()

    conn.domainEventRegisterAny(None, 0, on_event, None)
    dom = conn.lookupByName("test")
    worker = threading.Thread(target=dom.suspend)
    worker.start()
    worker.join()
    while not got.is_set():
        assert libvirt.virEventRunDefaultImpl() == 0
    assert seen == [libvirt.VIR_DOMAIN_EVENT_SUSPENDED]
    conn.domainEventDeregisterAny(0)
    dom.resume()


def test_libvirtaio_goes_idle_after_deregistration(conn: libvirt.virConnect) -> None:
    async def run() -> list[int]:
        impl = libvirtaio.virEventRegisterAsyncIOImpl()
        assert libvirtaio.getCurrentImpl() is impl and impl.is_idle()
        seen: list[int] = []
        done = asyncio.Event()

        def on_event(c: Any, d: Any, event: int, detail: int, opaque: Any) -> None:
            seen.append(event)
            done.set()

        cb = conn.domainEventRegisterAny(None, 0, on_event, None)
        assert not impl.is_idle()
        dom = conn.lookupByName("test")
        dom.suspend()
        await asyncio.wait_for(done.wait(), 5)
        dom.resume()
        conn.domainEventDeregisterAny(cb)
        await impl.drain()
        assert impl.is_idle()
        return seen

    assert asyncio.run(run()) == [libvirt.VIR_DOMAIN_EVENT_SUSPENDED]


def test_stream_screenshot_and_volume_round_trip(conn: libvirt.virConnect) -> None:
    dom = conn.lookupByName("test")
    stream = conn.newStream()
    assert dom.screenshot(stream, 0, 0) == "image/png"
    chunks: list[bytes] = []
    stream.recvAll(lambda st, data, acc: acc.append(data), chunks)
    stream.finish()
    assert b"".join(chunks).startswith(b"\x89PNG")


def test_return_shapes(conn: libvirt.virConnect) -> None:
    dom = conn.lookupByName("test")
    state = dom.state()
    assert isinstance(state, list) and len(state) == 2 and state[0] == libvirt.VIR_DOMAIN_RUNNING
    assert len(dom.info()) == 5 and len(dom.UUID()) == 16
    assert conn.lookupByUUID(dom.UUID()).name() == "test"
    assert conn.getInfo()[0] == "i686"
    assert dom.schedulerParameters() == {"weight": 50}
    pool = conn.storagePoolLookupByName("default-pool")
    assert len(pool.info()) == 4
    assert [n.name() for n in conn.listAllNetworks(libvirt.VIR_CONNECT_LIST_NETWORKS_ACTIVE)] == ["default"]
    assert conn.listAllNetworks(libvirt.VIR_CONNECT_LIST_NETWORKS_INACTIVE) == []
    assert [p.name() for p in conn.listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_DIR)] == ["default-pool"]
    assert conn.listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_LOGICAL) == []


def test_open_without_uri_follows_libvirt_default_uri(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, quiet: list[Any]
) -> None:
    node = tmp_path / "node.xml"
    node.write_text("<node><network><name>only</name><bridge name='b0'/></network></node>")
    monkeypatch.setenv("LIBVIRT_DEFAULT_URI", f"test://{node}")
    c = libvirt.open(None)
    assert c.getURI() == f"test://{node}"
    assert c.listNetworks() == ["only"]
    c.close()
