"""pyvirsh on an embedded root: one process starts a container, others enter it, talk to its
console and destroy it, as a user would from a shell."""

from __future__ import annotations

import os
import subprocess
import sys

from pyvirt_lxc.testing import container_xml


def pyvirsh(uri: str, *words: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "pyvirt.cli", "-c", uri, *words], input=stdin, capture_output=True, timeout=60
    )


def test_define_start_enter_console_destroy(lxc_uri: str, rootfs: str, tmp_path: str) -> None:
    path = os.path.join(str(tmp_path), "shell.xml")
    with open(path, "w") as f:
        f.write(container_xml("shell", rootfs, args=["-i"]))
    assert pyvirsh(lxc_uri, "define", path).returncode == 0
    assert pyvirsh(lxc_uri, "start", "shell").returncode == 0
    entered = pyvirsh(lxc_uri, "lxc-enter-namespace", "shell", "--", "/bin/sh", "-c", "hostname; echo $((40+2))")
    assert entered.returncode == 0 and entered.stdout.split() == [b"shell", b"42"]
    failed = pyvirsh(lxc_uri, "lxc-enter-namespace", "shell", "--", "/bin/false")
    assert failed.returncode == 1 and b"exit status 1" in failed.stderr
    talk = pyvirsh(lxc_uri, "console", "shell", stdin=b"echo from-$((6*7))-console\n")
    assert talk.returncode == 0 and b"Connected to domain 'shell'" in talk.stdout
    assert b"from-42-console" in talk.stdout
    info = pyvirsh(lxc_uri, "dominfo", "shell")
    assert b"running" in info.stdout
    assert pyvirsh(lxc_uri, "destroy", "shell").returncode == 0
    assert b"shut off" in pyvirsh(lxc_uri, "domstate", "shell").stdout
    missing = pyvirsh(lxc_uri, "console", "shell")
    assert missing.returncode == 1 and b"not running" in missing.stderr


def test_domstats_in_virshs_layout(lxc_uri: str, rootfs: str, tmp_path: str) -> None:
    path = os.path.join(str(tmp_path), "idle.xml")
    with open(path, "w") as f:
        f.write(container_xml("idle", rootfs, args=["-c", "exec sleep 1000"]))
    assert pyvirsh(lxc_uri, "define", path).returncode == 0
    assert pyvirsh(lxc_uri, "start", "idle").returncode == 0
    shown = pyvirsh(lxc_uri, "domstats", "idle")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.decode().splitlines()
    assert lines[0] == "Domain: 'idle'"
    stats = dict(line.strip().split("=", 1) for line in lines[1:] if line)
    assert stats["state.state"] == "1" and stats["state.reason"] == "1"
    assert int(stats["cpu.time"]) > 0 and stats["balloon.maximum"] == "65536"
    assert {"cpu.user", "cpu.system", "balloon.current", "balloon.rss"} <= stats.keys()
    assert pyvirsh(lxc_uri, "destroy", "idle").returncode == 0
    # a shut off domain has the state group only (this new process did not see why it stopped)
    off = pyvirsh(lxc_uri, "domstats", "idle").stdout.decode().split()
    assert off == ["Domain:", "'idle'", "state.state=5", "state.reason=0"]
