"""docs/remote.md's first sections run: the unix-socket and plain-TCP daemon configurations
start a daemon, and every pyvirsh, virsh and pyvirt-admin line shown works against it (paths
and the port moved to the test's own directory and a free port)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from tls_helpers import free_port

from pyvirt_daemon import config
from pyvirt_daemon.process import DaemonProcess

DOC = Path(__file__).resolve().parents[2] / "docs" / "remote.md"
BIN = Path(sys.executable).parent


def _section(title: str) -> str:
    text = DOC.read_text()
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def _blocks(section: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", section, re.S)


def _commands(section: str) -> list[str]:
    lines = (line.split("  #")[0].strip() for block in _blocks(section, "sh") for line in block.splitlines())
    return [line for line in lines if line]


def _run(command: str) -> subprocess.CompletedProcess[str]:
    argv = shlex.split(command)
    if argv[0] != "virsh":
        argv[0] = str(BIN / argv[0])
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def _daemon(snippet: str, root: Path, port: int) -> DaemonProcess:
    """The documented configuration, checked by the daemon's own loader (the ``with`` block
    that uses it starts the daemon and stops it)."""
    settings = tomllib.loads(snippet) | {"root": str(root)}
    if "tcp_port" in settings:
        settings["tcp_port"] = str(port)
    path = root.parent / f"{root.name}.toml"
    path.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in settings.items()))
    config.load(path)
    listen = ("--listen",) if settings.get("listen_tcp") else ()
    return DaemonProcess(root, settings, args=listen)


def test_unix_section_runs(tmp_path: Path) -> None:
    section = _section("Starting pyvirtd")
    (snippet,) = _blocks(section, "toml")
    documented_root = tomllib.loads(snippet)["root"]
    root = tmp_path / "trial"
    with _daemon(snippet, root, 0) as daemon:
        for command in _commands(section):
            if command.startswith("virsh") and not shutil.which("virsh"):
                continue
            done = _run(command.replace(documented_root, str(root)))
            assert done.returncode == 0, (command, done.stderr, daemon.stderr())
            assert re.search(r"\b1\s+test\s+running", done.stdout), (command, done.stdout)


def test_tcp_section_runs(tmp_path: Path) -> None:
    section = _section("Plain TCP")
    (snippet,) = _blocks(section, "toml")
    documented_port = str(tomllib.loads(snippet)["tcp_port"])
    port = free_port()
    with _daemon(snippet, tmp_path / "tcp", port) as daemon:
        (command,) = _commands(section)
        done = _run(command.replace(f":{documented_port}/", f":{port}/"))
        assert done.returncode == 0, (done.stderr, daemon.stderr())
        assert re.search(r"\b1\s+test\s+running", done.stdout), done.stdout


def test_admin_section_runs(tmp_path: Path) -> None:
    documented_root = tomllib.loads(_blocks(_section("Starting pyvirtd"), "toml")[0])["root"]
    root = tmp_path / "trial"
    with DaemonProcess(root) as daemon:
        client = socket.socket(socket.AF_UNIX)
        client.connect(str(daemon.socket))
        try:
            listed = _run(f"pyvirt-admin --socket {daemon.socket_admin} --json clients")
            (mine,) = json.loads(listed.stdout)
            outputs = {}
            for command in _commands(_section("The admin command")):
                command = command.replace(documented_root, str(root))
                command = re.sub(r"disconnect \d+", f"disconnect {mine['id']}", command)
                done = _run(command)
                assert done.returncode == 0, (command, done.stderr)
                outputs[command.split()[3]] = done.stdout
            assert re.search(rf"^{mine['id']}\s+unix\b", outputs["clients"], re.M), outputs["clients"]
            client.settimeout(10)
            assert client.recv(1) == b"", "the disconnected client's socket is closed"
            assert "nclients_max         50" in outputs["set"]
            assert "debug" in outputs["log-level"]
        finally:
            client.close()


def test_plain_tcp_off_loopback_is_refused_as_documented(tmp_path: Path) -> None:
    snippet = _blocks(_section("Plain TCP"), "toml")[0].replace('"127.0.0.1"', '"0.0.0.0"')
    with pytest.raises(config.ConfigError, match=r"use listen_tls \(TLS"):
        _daemon(snippet, tmp_path / "tcp", free_port())
