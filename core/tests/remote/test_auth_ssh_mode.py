"""``mode=`` and ``sshauth=`` on ssh URIs, as libvirt 9.0 treats them, checked through a real
OpenSSH server against pyvirtd, with virsh and pyvirsh compared on the same URIs.

libvirt: ``mode`` (auto|legacy|direct) chooses libvirtd's socket or a per-driver daemon's;
over ssh ``auto`` means the one daemon's socket, ``direct`` is refused (the far side cannot be
probed) unless ``socket=`` names the socket; an unknown value is an invalid argument.
``sshauth`` is read only by the libssh/libssh2 transports: over ``+ssh`` it is consumed and
has no effect (the ssh binary authenticates as the user's ssh configuration says).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sshd import Sshd

import pyvirt
from pyvirt.errors import ErrorCode, InvalidArgumentError, UnsupportedError
from pyvirt.remote.ssh import remote_command
from pyvirt.remote.target import open_name, resolve
from pyvirt.uri import parse
from pyvirt_daemon.process import DaemonProcess


def test_modes_are_checked_where_libvirt_checks_them() -> None:
    for uri in (
        "test+ssh://h/default?mode=auto",
        "test+ssh://h/default?mode=legacy",
        "test+tls://h/default?mode=direct",
    ):
        resolve(parse(uri), False)
    assert "/run/pyvirt/pyvirt-sock" in remote_command(resolve(parse("test+ssh://h/default?mode=legacy"), False))
    with_socket = resolve(parse("test+ssh://h/default?mode=direct&socket=/s"), False)
    assert "-U /s" in remote_command(with_socket), "socket= decides, mode=direct is then moot"
    with pytest.raises(UnsupportedError, match="Cannot use direct socket mode for ssh transport") as info:
        resolve(parse("test+ssh://h/default?mode=direct"), False)
    assert info.value.code == ErrorCode.OPERATION_UNSUPPORTED
    with pytest.raises(UnsupportedError, match="pyvirt has no per-driver daemons"):
        resolve(parse("test+unix:///default?mode=direct"), False)
    with pytest.raises(InvalidArgumentError, match="Unknown remote mode 'bogus'"):
        resolve(parse("test+ssh://h/default?mode=bogus"), False)


def test_mode_and_sshauth_stay_on_the_client() -> None:
    assert open_name(parse("test+ssh://h/default?mode=legacy&sshauth=privkey&x=1")) == "test:///default?x=1"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    proc = DaemonProcess(tmp_path_factory.mktemp("node")).start()
    try:
        yield proc
    finally:
        assert proc.stop() == 0, proc.stderr()


def _ssh_wrapper(sshd: Sshd, tmp_path: Path) -> Path:
    """libvirt's +ssh has no known_hosts parameter: a wrapper names the file for every client."""
    wrapper = tmp_path / "ssh"
    known_hosts = sshd.known_hosts(tmp_path / "known_hosts")
    wrapper.write_text(f'#!/bin/sh\nexec ssh -o UserKnownHostsFile={known_hosts} "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


def _uri(sshd: Sshd, tmp_path: Path, extra: str) -> str:
    return (
        f"test+ssh://root@127.0.0.1:{sshd.port}/default?keyfile={sshd.client_key}&no_tty=1"
        f"&command={_ssh_wrapper(sshd, tmp_path)}{extra}"
    )


@pytest.mark.parametrize(
    "extra",
    ["&mode=legacy", "&mode=auto", "&mode=direct", "&mode=legacy&sshauth=password", "&sshauth=agent,privkey"],
)
def test_pyvirt_over_real_ssh_with_mode_and_sshauth(
    sshd: Sshd, daemon: DaemonProcess, tmp_path: Path, extra: str
) -> None:
    """socket= given, so every mode reaches it; sshauth=password changes nothing (the server
    refuses passwords here, so a login that used it would fail)."""
    with pyvirt.open(_uri(sshd, tmp_path, f"&netcat=nc&socket={daemon.socket}{extra}")) as conn:
        assert [d.name for d in conn.list_domains()] == ["test"]


def _clients(uri: str) -> list[tuple[int, str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIBVIRT_", "VIRSH_"))} | {"LC_ALL": "C"}
    runs = [
        subprocess.run(
            [*prog, "-c", uri, "list", "--name"],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            stdin=subprocess.DEVNULL,
        )
        for prog in (["virsh"], [sys.executable, "-m", "pyvirt.cli"])
    ]
    return [(r.returncode, r.stdout, r.stderr) for r in runs]


@pytest.mark.needs_libvirt("virsh")
@pytest.mark.parametrize("extra", ["&mode=legacy", "&mode=direct", "&mode=legacy&sshauth=password"])
def test_virsh_and_pyvirsh_alike_over_real_ssh(sshd: Sshd, daemon: DaemonProcess, tmp_path: Path, extra: str) -> None:
    virsh, pyvirsh = _clients(_uri(sshd, tmp_path, f"&netcat=nc&socket={daemon.socket}{extra}"))
    assert virsh == pyvirsh
    assert virsh[0] == 0 and virsh[1].split() == ["test"]


@pytest.mark.needs_libvirt("virsh")
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("&mode=direct", "Operation not supported: Cannot use direct socket mode for ssh transport"),
        ("&mode=bogus", "invalid argument: Unknown remote mode 'bogus'"),
    ],
)
def test_virsh_and_pyvirsh_refuse_alike(sshd: Sshd, tmp_path: Path, extra: str, message: str) -> None:
    virsh, pyvirsh = _clients(_uri(sshd, tmp_path, extra))
    assert virsh == pyvirsh
    assert virsh == (1, "", f"error: failed to connect to the hypervisor\nerror: {message}\n")
