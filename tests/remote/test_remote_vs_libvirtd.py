"""pyvirt's remote driver against real libvirtd 9.0 (its test driver over unix and tcp).

The private libvirtd comes from the suite's ``reference_libvirtd`` fixture.  pyvirsh talks to
it through pyvirt's remote driver, virsh through libvirt's own client; for the same command
both must print the same bytes and exit the same way.  libvirtd's test driver resets its node
when its last connection closes, so every case (commands joined with ``;``) starts from the
same state, as long as no test keeps a connection open meanwhile.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import pyvirt
from pyvirt.errors import OperationDeniedError
from pyvirt.types import DomainEventType

pytestmark = [pytest.mark.needs_libvirt("daemon"), pytest.mark.needs_libvirt("virsh")]

TRANSPORTS = ("unix", "tcp")

DOMAIN_XML = """<domain type='test'>
  <name>t2</name>
  <uuid>7bb0d9fd-c298-4739-8aaa-9990f0f32179</uuid>
  <memory unit='KiB'>1048576</memory>
  <vcpu>2</vcpu>
  <os><type arch='i686'>hvm</type></os>
</domain>
"""

READ_ONLY = [
    "list --all",
    "dominfo test",
    "dumpxml test",
    "dumpxml --inactive test",
    "domstate --reason test",
    "domid test",
    "domuuid test",
    "domname 1",
    "dommemstat test",
    "vcpucount test",
    "domblklist test",
    "domiflist test",
    "net-list --all",
    "net-info default",
    "net-dumpxml default",
    "pool-list --all",
    "pool-info default-pool",
    "pool-dumpxml default-pool",
    "vol-list default-pool",
    "nodeinfo",
    "hostname",
    "capabilities",
    "freecell",
]

ERRORS = [
    "dominfo nope",
    "start test",
    "undefine nope",
    "suspend nope",
    "resume test",
    "net-info nope",
    "pool-info nope",
    "domuuid 42",
]

SEQUENCES = [
    "suspend test; domstate --reason test; resume test; domstate --reason test",
    "destroy test; list --all; start test; list --all; domid test",
    "shutdown test; domstate --reason test; list --all",
    "define t2.xml; list --all; start t2; dominfo t2; destroy t2; undefine t2; list --all",
    "autostart test; dominfo test; autostart --disable test; dominfo test",
    "setmem test 1048576 --live; dominfo test",
    "net-destroy default; net-list --all; net-start default; net-list --all",
    "pool-destroy default-pool; pool-list --all; pool-start default-pool; pool-list --all",
]

_CPU_TIME = re.compile(r"CPU time: +[0-9.]+s")
PYCACHE = Path(tempfile.gettempdir()) / f"pyvirt-tests-pycache-{os.getuid()}"


def _run(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    # bytecode caching on (in a private prefix): else every pyvirsh compiles the 2 MB generated codec
    drop = ("PYVIRT_", "LIBVIRT_", "PYTHONDONTWRITEBYTECODE")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    environment.update(LC_ALL="C", LANG="C", PYTHONPYCACHEPREFIX=str(PYCACHE))
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, env=environment, timeout=30)
    return proc.returncode, _CPU_TIME.sub("CPU time: <masked>", proc.stdout), proc.stderr


def _same_as_virsh(uri: str, command: str, cwd: Path) -> None:
    virsh = _run(["virsh", "-c", uri, command], cwd)
    mine = _run([sys.executable, "-m", "pyvirt.cli", "-c", uri, command], cwd)
    assert mine[2] == virsh[2]
    assert mine[1] == virsh[1]
    assert mine[0] == virsh[0]


@pytest.fixture(params=TRANSPORTS)
def uri(request: pytest.FixtureRequest, reference_libvirtd: Any) -> str:
    return str(reference_libvirtd.uri(request.param))


@pytest.mark.parametrize("command", READ_ONLY + ERRORS + SEQUENCES)
def test_pyvirsh_prints_what_virsh_prints(uri: str, command: str, tmp_path: Path) -> None:
    (tmp_path / "t2.xml").write_text(DOMAIN_XML)
    _same_as_virsh(uri, command, tmp_path)


def test_open_reports_the_far_driver_and_the_transport(reference_libvirtd: Any) -> None:
    with pyvirt.open(reference_libvirtd.uri("unix")) as conn:
        assert (conn.get_type(), conn.is_secure(), conn.is_encrypted()) == ("TEST", True, False)
        assert [d.name for d in conn.list_domains()] == ["test"]
        assert conn.is_alive()
    with pyvirt.open(reference_libvirtd.uri("tcp")) as conn:
        assert (conn.get_type(), conn.is_secure(), conn.is_encrypted()) == ("TEST", False, False)
        assert conn.lookup_domain_by_name("test").state()[0] == pyvirt.DomainState.RUNNING
    assert not conn.is_alive()


def test_bulk_listing_is_one_round_trip(reference_libvirtd: Any) -> None:
    with pyvirt.open(reference_libvirtd.uri("unix")) as conn:
        client = conn.driver.client  # type: ignore[attr-defined]
        calls: list[int] = []
        real = client.call

        def counting(procedure: int, args: Any = None) -> Any:
            calls.append(procedure)
            return real(procedure, args)

        conn.driver._call = counting  # type: ignore[attr-defined]
        conn.list_domains()
        conn.list_networks()
        conn.list_storage_pools()
        assert len(calls) == 3


@pytest.mark.parametrize("socket_kind", ["read-write socket, read-only flag", "read-only socket"])
def test_the_server_refuses_writes_on_read_only_opens(reference_libvirtd: Any, socket_kind: str) -> None:
    uri = reference_libvirtd.uri("unix", read_only=socket_kind == "read-only socket")
    with pyvirt.open_read_only(uri) as conn:
        dom = conn.lookup_domain_by_name("test")
        assert dom.info().state == pyvirt.DomainState.RUNNING  # reading is allowed
        with pytest.raises(OperationDeniedError, match="read only access prevents virDomainDestroy"):
            conn.driver.domain_destroy(dom.uuid)  # past the core's own check: the daemon refuses
        assert dom.state()[0] == pyvirt.DomainState.RUNNING


def test_lifecycle_events_arrive_from_libvirtd(reference_libvirtd: Any) -> None:
    seen: list[tuple[str, DomainEventType]] = []
    arrived = threading.Event()

    def on_event(event: pyvirt.DomainEvent) -> None:
        seen.append((event.domain.name, event.event))
        if len(seen) == 2:
            arrived.set()

    with pyvirt.open(reference_libvirtd.uri("unix")) as watcher, pyvirt.open(reference_libvirtd.uri("tcp")) as actor:
        watcher.domain_event_register(on_event)
        dom = actor.lookup_domain_by_name("test")
        dom.destroy()
        dom.start()
        assert arrived.wait(10), f"events seen: {seen}"
    assert seen == [("test", DomainEventType.STOPPED), ("test", DomainEventType.STARTED)]


def test_a_connection_lives_on_across_idle_time_with_keepalive(reference_libvirtd: Any) -> None:
    with pyvirt.open(reference_libvirtd.uri("unix")) as conn:
        time.sleep(0.3)  # the I/O thread takes over the socket after 50 ms without calls
        assert conn.get_hostname() and conn.is_alive()


def test_async_api_and_event_iterator_against_libvirtd(reference_libvirtd: Any) -> None:
    import asyncio

    import pyvirt.aio

    async def scenario() -> list[DomainEventType]:
        async with pyvirt.aio.open(reference_libvirtd.uri("unix")) as conn:
            dom = await conn.lookup_domain_by_name("test")
            async with conn.lifecycle_events() as events:
                await dom.suspend()
                await dom.resume()
                seen = [await asyncio.wait_for(anext(events), 10) for _ in range(2)]
            return [e.event for e in seen]

    assert asyncio.run(scenario()) == [DomainEventType.SUSPENDED, DomainEventType.RESUMED]
