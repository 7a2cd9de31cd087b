"""Real virsh through pyvirtd behaves as virsh on libvirt's own test driver: same stdout,
stderr and exit status, command by command."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from pyvirtd_helpers import virsh

from pyvirt_daemon.process import DaemonProcess

pytestmark = pytest.mark.needs_libvirt("virsh")

LOCAL = "test:///default"

READ_ONLY_COMMANDS = [
    "list --all",
    "list --inactive",
    "list --all --name",
    "list --all --uuid",
    "dominfo test",
    "domstate test",
    "domstate --reason test",
    "domid test",
    "domuuid test",
    "domname 1",
    "dumpxml test",
    "dumpxml --inactive test",
    "vcpucount test",
    "domblklist test",
    "domiflist test",
    "version",
    "nodeinfo",
    "hostname",
    "capabilities",
    "sysinfo",
    "freecell --all",
    "net-list --all",
    "net-info default",
    "net-dumpxml default",
    "net-uuid default",
    "pool-list --all",
    "pool-list --all --details",
    "pool-info default-pool",
    "pool-dumpxml default-pool",
    "vol-list default-pool",
    "list --all --title",
    "list --all --managed-save",
    "domjobinfo test",
    "domif-getlink test vnet0",
    "domdisplay test",
    "domcapabilities",
    "nodememstats",
    "secret-list",
    # errors (including APIs that libvirt's test driver lacks as well: same refusal text)
    "nwfilter-list",
    "net-dhcp-leases default",
    "dominfo nosuch",
    "dumpxml nosuch",
    "domstate 42",
    "net-info nosuch",
    "pool-info nosuch",
    "vol-info --pool default-pool nosuch",
    "domuuid 00000000-0000-0000-0000-00000000000z",
]

DOMAIN_XML = (
    "<domain type='test'><name>foo</name><uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>"
    "<memory>1048576</memory><vcpu>2</vcpu><os><type>hvm</type></os></domain>"
)
NETWORK_XML = (
    "<network><name>net2</name><uuid>0b5e9a0c-3c66-4f5e-a2b2-9f5fbd7a1c11</uuid><bridge name='virbr9'/>"
    "<ip address='192.168.200.1' netmask='255.255.255.0'/></network>"
)

SEQUENCES = [
    "destroy test; list --all; start test; list --all",
    "suspend test; domstate --reason test; resume test; domstate --reason test",
    "shutdown test; list --all",
    "define {dom}; list --all; start foo; dominfo foo; destroy foo; undefine foo; list --all",
    "define {dom}; undefine foo; dominfo foo",
    "create {dom}; list --all; destroy foo; list --all",
    "start test",
    "undefine test; list --all; destroy test; list --all",
    "autostart test; dominfo test; autostart --disable test; dominfo test",
    "setmem test 500000; dominfo test",
    "setvcpus test 1 --live; vcpucount test",
    "net-destroy default; net-list --all; net-start default; net-list --all",
    "net-define {net}; net-list --all; net-start net2; net-info net2; net-destroy net2; net-undefine net2",
    "pool-destroy default-pool; pool-list --all; pool-start default-pool; pool-list --all",
    "define /nonexistent.xml",
    "vol-create-as default-pool v1 1M; vol-info --pool default-pool v1; vol-dumpxml --pool default-pool v1; "
    "vol-path --pool default-pool v1; "
    "vol-clone --pool default-pool v1 v2; vol-list default-pool; vol-delete --pool default-pool v2; "
    "vol-delete --pool default-pool v1; pool-refresh default-pool; vol-list default-pool",
    "net-autostart default; net-info default; pool-autostart default-pool; pool-info default-pool",
]


def _same(remote: subprocess.CompletedProcess[str], local: subprocess.CompletedProcess[str]) -> None:
    assert (remote.returncode, remote.stdout, remote.stderr) == (local.returncode, local.stdout, local.stderr)


@pytest.mark.parametrize("command", READ_ONLY_COMMANDS)
def test_read_only_commands_match_libvirt(shared_pyvirtd: DaemonProcess, command: str) -> None:
    _same(virsh(shared_pyvirtd.uri(), command), virsh(LOCAL, command))


@pytest.mark.parametrize("sequence", SEQUENCES)
def test_changes_match_libvirt(pyvirtd: DaemonProcess, tmp_path: Path, sequence: str) -> None:
    dom, net = tmp_path / "dom.xml", tmp_path / "net.xml"
    dom.write_text(DOMAIN_XML)
    net.write_text(NETWORK_XML)
    command = sequence.format(dom=dom, net=net)
    _same(virsh(pyvirtd.uri(), command), virsh(LOCAL, command))


@pytest.mark.parametrize(
    "command", ["destroy test", "suspend test", "net-destroy default", "pool-destroy default-pool"]
)
def test_read_only_socket_refuses_changes(shared_pyvirtd: DaemonProcess, command: str) -> None:
    local = virsh(LOCAL, command, readonly=True)
    assert local.returncode == 1 and "read only access prevents" in local.stderr
    _same(virsh(shared_pyvirtd.uri(readonly=True), command), local)
    # asking for read-only on the read-write socket is honoured by the daemon too
    _same(virsh(shared_pyvirtd.uri(), command, readonly=True), local)
    assert "running" in virsh(shared_pyvirtd.uri(), "domstate test").stdout


def test_read_only_socket_reads(shared_pyvirtd: DaemonProcess) -> None:
    _same(virsh(shared_pyvirtd.uri(readonly=True), "list --all"), virsh(LOCAL, "list --all"))


def test_event_loop_sees_lifecycle_events(pyvirtd: DaemonProcess) -> None:
    watcher = subprocess.Popen(
        ["virsh", "-c", pyvirtd.uri(), "event --loop --all --timeout 20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wanted = {
        "event 'lifecycle' for domain 'test': Suspended Paused",
        "event 'lifecycle' for domain 'test': Resumed Unpaused",
    }
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 20
        # the watcher registers asynchronously, possibly between a suspend and its resume:
        # repeat the pair until it has reported both
        while time.monotonic() < deadline and not wanted <= set(lines):
            assert virsh(pyvirtd.uri(), "suspend test; resume test").returncode == 0
            time.sleep(0.5)
            lines += [line for line in _read_available(watcher) if "lifecycle" in line]
    finally:
        watcher.terminate()
        out, _err = watcher.communicate(timeout=10)
    lines += [line for line in out.splitlines() if "lifecycle" in line]
    assert wanted <= set(lines), lines


def _read_available(proc: subprocess.Popen[str]) -> list[str]:
    import os
    import select

    assert proc.stdout is not None
    lines: list[str] = []
    fd = proc.stdout.fileno()
    chunks = b""
    while select.select([fd], [], [], 0)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks += chunk
    lines.extend(chunks.decode().splitlines())
    return lines
