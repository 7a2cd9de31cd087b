"""Helpers of the TLS and SASL tests: free ports, a TLS daemon that is really listening, its
JSON log events, and virsh / python3-libvirt runs with a private ``auth.conf``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from pyvirt_daemon.process import DaemonProcess

SYSTEM_PYTHON = "/usr/bin/python3"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def start(root: Path, settings: dict[str, Any]) -> DaemonProcess:
    """A pyvirtd with JSON logs (and ``--listen`` when it serves TLS), its TLS port accepting."""
    listen = bool(settings.get("listen_tls"))
    daemon = DaemonProcess(root, {"log_format": "json", **settings}, args=("--listen",) if listen else ())
    daemon.start()
    if listen:
        try:
            wait_for_port(int(settings["tls_port"]))
        except OSError:
            daemon.stop()
            raise
    return daemon


def events(daemon: DaemonProcess, name: str | None = None) -> list[dict[str, Any]]:
    """The daemon's log events so far (only those called ``name``, if given)."""
    found = []
    for line in daemon.stderr().splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            if name is None or event.get("event") == name:
                found.append(event)
    return found


def wait_for_event(daemon: DaemonProcess, name: str, timeout: float = 10.0, **fields: Any) -> dict[str, Any]:
    """The first event ``name`` whose fields include ``fields`` (the daemon logs asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        for event in events(daemon, name):
            if all(event.get(k) == v for k, v in fields.items()):
                return event
        if time.monotonic() > deadline:
            raise AssertionError(f"no {name!r} event with {fields} in:\n{daemon.stderr()[-4000:]}")
        time.sleep(0.05)


def env(auth_file: Path | None = None) -> dict[str, str]:
    """The environment for libvirt's clients: no user config of the host, our auth.conf."""
    result = {k: v for k, v in os.environ.items() if not k.startswith(("LIBVIRT_", "VIRSH_"))}
    if auth_file is not None:
        result["LIBVIRT_AUTH_FILE"] = str(auth_file)
    return result


def virsh(
    uri: str, *command: str, auth_file: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["virsh", "-c", uri, *command],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env(auth_file),
        stdin=subprocess.DEVNULL,
    )


def bindings(script: str, *args: str, auth_file: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with python3-libvirt (``/usr/bin/python3``)."""
    return subprocess.run(
        [SYSTEM_PYTHON, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env(auth_file),
        stdin=subprocess.DEVNULL,
    )


def write_auth_conf(path: Path, user: str, password: str, hosts: tuple[str, ...] = ("localhost", "127.0.0.1")) -> Path:
    """libvirt's auth.conf (docs/auth.rst) giving ``user``/``password`` for ``hosts``."""
    lines = ["[credentials-test]", f"authname={user}", f"password={password}", ""]
    for host in hosts:
        lines += [f"[auth-libvirt-{host}]", "credentials=test", ""]
    path.write_text("\n".join(lines))
    return path
