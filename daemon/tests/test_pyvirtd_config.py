"""pyvirtd's configuration: libvirtd.conf's keys and defaults, TOML, refusals that name key
and file, and a daemon that does not start on a bad file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pyvirtd_helpers import virsh
from tls_helpers import free_port

from pyvirt_daemon.config import Config, ConfigError, load
from pyvirt_daemon.process import DaemonProcess


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pyvirtd.toml"
    path.write_text(text)
    return path


def test_defaults_are_libvirts() -> None:
    c = load(None)
    assert (c.tcp_port, c.tls_port, c.listen_tcp, c.listen_tls) == (16509, 16514, False, True)
    assert (c.unix_sock_rw_perms, c.unix_sock_ro_perms, c.unix_sock_dir) == (0o700, 0o777, "/run/pyvirt")
    assert (c.max_clients, c.max_anonymous_clients, c.max_workers, c.max_client_requests) == (5000, 20, 20, 5)
    assert (c.keepalive_interval, c.keepalive_count, c.auth_tcp) == (5, 5, "sasl")
    assert c.pid_file == "/run/pyvirtd.pid"


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ('tcp_port = "16600"', "tcp_port", 16600),
        ("tcp_port = 16600", "tcp_port", 16600),
        ("listen_tls = 1", "listen_tls", True),
        ("listen_tls = 0", "listen_tls", False),
        ("listen_tls = false", "listen_tls", False),
        ('unix_sock_rw_perms = "0770"', "unix_sock_rw_perms", 0o770),
        ("unix_sock_rw_perms = 0o770", "unix_sock_rw_perms", 0o770),
        ('tls_allowed_dn_list = ["C=GB,O=x"]', "tls_allowed_dn_list", ("C=GB,O=x",)),
        ("log_level = 1", "log_level", "debug"),
        ('log_format = "json"', "log_format", "json"),
    ],
)
def test_values_as_libvirtd_conf_writes_them(tmp_path: Path, text: str, field: str, value: object) -> None:
    assert getattr(load(_write(tmp_path, text + "\n")), field) == value


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("max_clientz = 3", ["unknown key 'max_clientz'", "did you mean 'max_clients'"]),
        ('max_clients = "many"', ["key 'max_clients'", "non-negative integer"]),
        ("max_workers = 0", ["key 'max_workers'", "at least 1"]),
        ("listen_tcp = 2", ["key 'listen_tcp'", "true/false or 1/0"]),
        ('tcp_port = "http"', ["key 'tcp_port'", "port number"]),
        ("tcp_port = 70000", ["key 'tcp_port'", "port number"]),
        ('unix_sock_ro_perms = "rwx"', ["key 'unix_sock_ro_perms'", "permission bits"]),
        ('auth_unix_rw = "kerberos"', ["key 'auth_unix_rw'", "'none'"]),
        ('log_level = "loud"', ["key 'log_level'"]),
        ("tls_allowed_dn_list = 3", ["key 'tls_allowed_dn_list'", "list of strings"]),
        ('root = "relative/dir"', ["key 'root'", "absolute"]),
        ("max_clients = [", ["not valid TOML"]),
    ],
)
def test_bad_values_name_key_and_file(tmp_path: Path, text: str, words: list[str]) -> None:
    path = _write(tmp_path, text + "\n")
    with pytest.raises(ConfigError) as caught:
        load(path)
    message = str(caught.value)
    assert str(path) in message
    for word in words:
        assert word in message


def test_root_holds_every_file(tmp_path: Path) -> None:
    c = load(_write(tmp_path, f'root = "{tmp_path}"\nlog_file = "log/pyvirtd.log"\n'))
    assert c.unix_sock_dir == str(tmp_path / "run" / "pyvirt")
    assert c.pid_file == str(tmp_path / "run" / "pyvirtd.pid")
    assert c.log_file == str(tmp_path / "log" / "pyvirtd.log")
    explicit = load(_write(tmp_path, f'root = "{tmp_path}"\nunix_sock_dir = "/elsewhere"\n'))
    assert explicit.unix_sock_dir == "/elsewhere"


@pytest.mark.parametrize(
    "text",
    [
        'listen_tcp = 1\nauth_tcp = "none"\nlisten_addr = "0.0.0.0"',
        'listen_tcp = 1\nauth_tcp = "sasl"\nlisten_addr = "127.0.0.1"',
        "listen_tcp = 1",
    ],
)
def test_plain_tcp_only_on_loopback_without_auth(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match="use listen_tls"):
        load(_write(tmp_path, text + "\n"))


def _pyvirtd(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pyvirt_daemon.main", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_daemon_refuses_to_start_on_a_bad_file(tmp_path: Path) -> None:
    config = _write(tmp_path, f'root = "{tmp_path}"\nmax_clients = "lots"\n')
    done = _pyvirtd(config)
    assert done.returncode == 1
    assert "key 'max_clients'" in done.stderr and str(config) in done.stderr
    assert not (tmp_path / "run").exists()


def test_daemon_refuses_plain_tcp_off_loopback(tmp_path: Path) -> None:
    config = _write(tmp_path, f'root = "{tmp_path}"\nlisten_tcp = 1\nlisten_tls = 0\nauth_tcp = "none"\n')
    done = _pyvirtd(config, "--listen")
    assert done.returncode == 1 and "TLS" in done.stderr
    assert not (tmp_path / "run" / "pyvirt").exists()


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    done = _pyvirtd(tmp_path / "nope.toml")
    assert done.returncode == 1 and "cannot read configuration file" in done.stderr


def test_second_daemon_with_same_root_refused(pyvirtd: DaemonProcess) -> None:
    done = _pyvirtd(pyvirtd.config_file)
    assert done.returncode == 1
    assert "another pyvirtd" in done.stderr or "served by another running daemon" in done.stderr
    assert pyvirtd.proc is not None and pyvirtd.proc.poll() is None


@pytest.mark.needs_libvirt("virsh")
def test_loopback_tcp_serves_virsh(tmp_path: Path) -> None:
    port = free_port()
    settings = {
        "listen_tcp": True,
        "listen_tls": False,
        "auth_tcp": "none",
        "listen_addr": "127.0.0.1",
        "tcp_port": str(port),
    }
    with DaemonProcess(tmp_path / "node", settings, args=("--listen",)) as daemon:
        remote = virsh(f"test+tcp://127.0.0.1:{port}/default", "list --all")
        assert remote.returncode == 0, daemon.stderr() + remote.stderr
        assert remote.stdout == virsh("test:///default", "list --all").stdout


def test_config_dataclass_is_frozen() -> None:
    with pytest.raises(AttributeError):
        Config().max_clients = 3  # type: ignore[misc]


def test_pid_file_option(tmp_path: Path) -> None:
    pid_file = tmp_path / "elsewhere" / "my.pid"
    daemon = DaemonProcess(tmp_path / "node", args=("--pid-file", str(pid_file))).start()
    try:
        assert daemon.proc is not None and int(pid_file.read_text()) == daemon.proc.pid
        assert not daemon.pid_file.exists()
    finally:
        assert daemon.stop() == 0
    assert not pid_file.exists()


@pytest.mark.parametrize("script", ["pyvirtd", "pyvirt-admin"])
def test_console_scripts_installed(script: str) -> None:
    path = Path(sys.executable).parent / script
    done = subprocess.run([str(path), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and f"usage: {script}" in done.stdout
