"""A call the access policy refuses fails with libvirt's own error: VIR_ERR_ACCESS_DENIED (88)
from VIR_FROM_ACCESS (55), worded as libvirt's generated ACL checks word it,
"access denied: '<driver>' denied access", naming the hypervisor driver by libvirt's name
and never the permission or object (those go to the daemon's log only)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tls_helpers import env, events

import pyvirt
from pyvirt.errors import ErrorCode
from pyvirt_daemon.process import DaemonProcess

READER = '["connect.*", "domain.getattr", "domain.read", "domain.search_domains"]'
DENIED = "access denied: 'Test' denied access"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    root = tmp_path_factory.mktemp("node")
    policy = root / "policy.toml"
    policy.write_text(f"[[rule]]\nuid = 0\nallow = {READER}\n")
    d = DaemonProcess(root, {"access_policy": str(policy), "log_format": "json"}).start()
    yield d
    assert d.stop() == 0, d.stderr()


def test_the_error_is_libvirts(daemon: DaemonProcess) -> None:
    with pyvirt.open(daemon.uri()) as conn:
        dom = conn.lookup_domain_by_name("test")
        with pytest.raises(pyvirt.PyvirtError) as info:
            dom.suspend()
    assert (info.value.code, int(info.value.domain), info.value.message) == (ErrorCode.ACCESS_DENIED, 55, DENIED)
    refused = [e for e in events(daemon, "access denied") if e.get("permission") == "domain.suspend"]
    assert refused and refused[-1]["object"] == "test", "the log keeps what the client is not told"


@pytest.mark.needs_libvirt("virsh")
def test_virsh_and_pyvirsh_show_it_alike(daemon: DaemonProcess, tmp_path: Path) -> None:
    runs = [
        subprocess.run(
            [*prog, "-c", daemon.uri(), "suspend", "test"],
            capture_output=True,
            text=True,
            timeout=60,
            env=env(),
            stdin=subprocess.DEVNULL,
        )
        for prog in (["virsh"], [sys.executable, "-m", "pyvirt.cli"])
    ]
    theirs, mine = ((r.returncode, r.stdout, r.stderr) for r in runs)
    assert theirs == (1, "\n", f"error: Failed to suspend domain 'test'\nerror: {DENIED}\n")
    assert mine == theirs


@pytest.mark.needs_libvirt("bindings")
def test_python3_libvirt_gets_code_and_domain(daemon: DaemonProcess) -> None:
    script = (
        "import sys, libvirt\n"
        "libvirt.registerErrorHandler(lambda *a: None, None)\n"
        "dom = libvirt.open(sys.argv[1]).lookupByName('test')\n"
        "try:\n"
        "    dom.suspend()\n"
        "except libvirt.libvirtError as e:\n"
        "    print(e.get_error_code(), e.get_error_domain(), e.get_error_message())\n"
    )
    done = subprocess.run(
        ["/usr/bin/python3", "-c", script, daemon.uri()], capture_output=True, text=True, timeout=60, env=env()
    )
    assert done.stdout.strip() == f"88 55 {DENIED}", done.stderr


@pytest.mark.needs_libvirt("virsh")
def test_a_refused_open_names_the_driver_of_the_uri(tmp_path: Path) -> None:
    """Before CONNECT_OPEN there is no connection yet: the driver is the one the URI names."""
    policy = tmp_path / "policy.toml"
    policy.write_text('[[rule]]\nuid = 0\nallow = ["domain.*"]\n')  # no connect.getattr
    with DaemonProcess(tmp_path / "node", {"access_policy": str(policy)}) as d:
        runs = [
            subprocess.run(
                [*prog, "-c", d.uri(), "list"],
                capture_output=True,
                text=True,
                timeout=60,
                env=env(),
                stdin=subprocess.DEVNULL,
            )
            for prog in (["virsh"], [sys.executable, "-m", "pyvirt.cli"])
        ]
    theirs, mine = ((r.returncode, r.stdout, r.stderr) for r in runs)
    assert theirs == mine == (1, "", f"error: failed to connect to the hypervisor\nerror: {DENIED}\n")
