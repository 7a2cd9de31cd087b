"""The ssh transport: the command line it builds, and real connections through a private OpenSSH
server to pyvirtd (through pyvirt-ssh-helper and through nc) and to libvirt's own libvirtd."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sshd import Sshd

import pyvirt
from pyvirt.errors import URIError
from pyvirt.remote.ssh import remote_command, ssh_argv
from pyvirt.remote.target import DEFAULT_SOCKET_DIR, resolve
from pyvirt.uri import parse
from pyvirt_daemon.process import DaemonProcess


def _target(uri: str, read_only: bool = False):  # type: ignore[no-untyped-def]
    return resolve(parse(uri), read_only)


def test_argv_carries_port_user_key_and_verification_options() -> None:
    argv = ssh_argv(_target("test+ssh://alice@node:2222/default?keyfile=/k&no_tty=1&no_verify=1&known_hosts=/kh"))
    assert argv[:5] == ["ssh", "-p", "2222", "-l", "alice"]
    assert argv[argv.index("-i") + 1] == "/k"
    assert "-T" in argv and "BatchMode=yes" in argv
    assert "StrictHostKeyChecking=no" in argv and "UserKnownHostsFile=/kh" in argv
    assert argv[argv.index("--") + 1 : argv.index("--") + 4] == ["node", "sh", "-c"]


def test_argv_without_options_asks_nothing_special() -> None:
    argv = ssh_argv(_target("test+ssh://node/default?command=/opt/ssh"))
    assert argv[0] == "/opt/ssh"
    assert "-T" not in argv and "-i" not in argv and "StrictHostKeyChecking=no" not in argv


def test_far_side_command_follows_proxy_and_netcat() -> None:
    auto = remote_command(_target("test+ssh://node/default"))
    assert "pyvirt-ssh-helper -- test:///default" in auto and "-U /run/pyvirt/pyvirt-sock" in auto
    ro = remote_command(_target("test+ssh://node/default", read_only=True))
    assert "pyvirt-ssh-helper -r -- test:///default" in ro and "/run/pyvirt/pyvirt-sock-ro" in ro
    nc = remote_command(_target("test+ssh://node/default?netcat=/opt/nc&socket=/s"))
    assert "pyvirt-ssh-helper" not in nc and nc.endswith("exec /opt/nc $ARG -U /s")
    native = remote_command(_target("test+ssh://node/default?proxy=native&socket=/s"))
    assert native == "exec pyvirt-ssh-helper --socket /s -- test:///default"
    with pytest.raises(URIError, match="not permitted"):
        remote_command(_target("test+ssh://node/default?proxy=native&netcat=nc"))
    with pytest.raises(URIError, match="unsupported proxy mode"):
        remote_command(_target("test+ssh://node/default?proxy=carrier-pigeon"))


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    proc = DaemonProcess(tmp_path_factory.mktemp("node")).start()
    try:
        yield proc
    finally:
        assert proc.stop() == 0, proc.stderr()


def _uri(sshd: Sshd, socket: Path, extra: str, known_hosts: Path | None) -> str:
    verify = f"&known_hosts={known_hosts}" if known_hosts else ""
    return f"test+ssh://root@127.0.0.1:{sshd.port}/default?keyfile={sshd.client_key}&no_tty=1&socket={socket}{verify}{extra}"


@pytest.mark.parametrize("proxy", ["", "&proxy=native", "&proxy=netcat", "&netcat=nc"])
def test_pyvirtd_over_ssh(sshd: Sshd, daemon: DaemonProcess, tmp_path: Path, proxy: str) -> None:
    conn = pyvirt.open(_uri(sshd, daemon.socket, proxy, sshd.known_hosts(tmp_path / "known_hosts")))
    try:
        assert [d.name for d in conn.list_domains()] == ["test"]
        assert conn.lookup_domain_by_name("test").is_active()
        assert not conn.is_encrypted() and conn.is_secure(), "as libvirt answers over ssh"
    finally:
        conn.close()


def test_read_only_over_ssh_reaches_the_read_only_socket(sshd: Sshd, daemon: DaemonProcess, tmp_path: Path) -> None:
    conn = pyvirt.open_read_only(_uri(sshd, daemon.socket_ro, "", sshd.known_hosts(tmp_path / "known_hosts")))
    try:
        with pytest.raises(pyvirt.PyvirtError, match=r"read.only"):
            conn.lookup_domain_by_name("test").suspend()
    finally:
        conn.close()


def test_unknown_host_key_is_refused_with_ssh_s_reason(sshd: Sshd, daemon: DaemonProcess, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(pyvirt.PyvirtError, match="Host key verification failed"):
        pyvirt.open(_uri(sshd, daemon.socket, "", empty))


def test_no_verify_accepts_a_new_host_key(sshd: Sshd, daemon: DaemonProcess, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    conn = pyvirt.open(_uri(sshd, daemon.socket, "&no_verify=1", empty))
    try:
        assert len(conn.list_domains()) == 1
    finally:
        conn.close()
    assert "ssh-ed25519" in empty.read_text(), "ssh records the accepted key, as StrictHostKeyChecking=no does"


def test_a_missing_socket_on_the_far_side_is_reported(sshd: Sshd, tmp_path: Path) -> None:
    uri = _uri(sshd, tmp_path / "nowhere", "&proxy=native", sshd.known_hosts(tmp_path / "known_hosts"))
    with pytest.raises(pyvirt.PyvirtError, match="cannot connect to"):
        pyvirt.open(uri)


@pytest.mark.needs_libvirt("daemon")
def test_libvirtd_over_ssh_through_nc(sshd: Sshd, reference_libvirtd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    uri = _uri(sshd, reference_libvirtd.socket, "&netcat=nc", sshd.known_hosts(tmp_path / "known_hosts"))
    conn = pyvirt.open(uri)
    try:
        assert [d.name for d in conn.list_domains()] == ["test"]
        assert conn.get_hostname()
    finally:
        conn.close()


def _libvirt_uri(sshd: Sshd, daemon: DaemonProcess, tmp_path: Path) -> str:
    """A URI for libvirt's clients: netcat (their default helper reaches libvirtd), and, since
    libvirt's ssh transport has no known_hosts parameter, a wrapper that names the file."""
    wrapper = tmp_path / "ssh"
    known_hosts = sshd.known_hosts(tmp_path / "known_hosts")
    wrapper.write_text(f'#!/bin/sh\nexec ssh -o UserKnownHostsFile={known_hosts} "$@"\n')
    wrapper.chmod(0o755)
    return (
        f"test+ssh://root@127.0.0.1:{sshd.port}/default?keyfile={sshd.client_key}&no_tty=1"
        f"&netcat=nc&socket={daemon.socket}&command={wrapper}"
    )


def _libvirt_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIBVIRT_", "VIRSH_"))}
    return env | {"LC_ALL": "C"}


@pytest.mark.needs_libvirt("bindings")
def test_python_libvirt_over_ssh_to_pyvirtd(sshd: Sshd, daemon: DaemonProcess, tmp_path: Path) -> None:
    script = (
        "import sys, libvirt\n"
        "c = libvirt.open(sys.argv[1])\n"
        "d = c.lookupByName('test')\n"
        "print(d.name(), d.isActive(), c.isEncrypted(), c.isSecure())\n"
        "c.close()\n"
    )
    done = subprocess.run(
        ["/usr/bin/python3", "-c", script, _libvirt_uri(sshd, daemon, tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=_libvirt_env(),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["test", "1", "0", "1"], "the answers pyvirt's client gives too"


@pytest.mark.needs_libvirt("virsh")
def test_virsh_over_ssh_to_pyvirtd(sshd: Sshd, daemon: DaemonProcess, tmp_path: Path) -> None:
    uri = _libvirt_uri(sshd, daemon, tmp_path)
    done = subprocess.run(
        ["virsh", "-c", uri, "list", "--all"], capture_output=True, text=True, timeout=60, env=_libvirt_env()
    )
    assert done.returncode == 0, done.stderr
    assert " test " in done.stdout and "running" in done.stdout


def test_helper_defaults_are_pyvirtd_s_sockets() -> None:
    from pyvirt_daemon import config, service, ssh_helper

    assert ssh_helper.SOCKET_DIR == config.Config.unix_sock_dir == DEFAULT_SOCKET_DIR
    assert (ssh_helper.SOCK_RW, ssh_helper.SOCK_RO) == (service.SOCK_RW, service.SOCK_RO)


def test_helper_refuses_a_non_uri_and_a_missing_socket(tmp_path: Path) -> None:
    helper = [sys.executable, "-m", "pyvirt_daemon.ssh_helper"]
    bad = subprocess.run([*helper, "nonsense"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "is not a URI" in bad.stderr
    gone = subprocess.run(
        [*helper, "--socket", str(tmp_path / "none"), "test:///default"], capture_output=True, text=True, timeout=30
    )
    assert gone.returncode == 1 and "cannot connect to" in gone.stderr
