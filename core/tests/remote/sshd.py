"""A private OpenSSH server for the ssh transport's tests.

It listens on a free loopback port with its own host key and configuration (key-only root
login, no PAM, StrictModes off so temp directories do), accepts one client key the test
generates, and puts the test's venv first on the remote PATH so ``pyvirt-ssh-helper`` is found
as it would be on an installed node.  :meth:`Sshd.known_hosts` writes the known_hosts line a
client needs to verify the host key.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

SSHD = "/usr/sbin/sshd"


def missing() -> str | None:
    """Why a private sshd cannot run here, or None."""
    if not os.access(SSHD, os.X_OK) or not shutil.which("ssh") or not shutil.which("ssh-keygen"):
        return "needs OpenSSH (sshd, ssh, ssh-keygen)"
    if os.geteuid() != 0:
        return "a private sshd with root login needs root"
    return None


def free_port() -> int:
    """A loopback TCP port nothing listens on now (for this server and the daemons beside it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


class Sshd:
    """One sshd child under ``workdir``; :meth:`stop` terminates and reaps it."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.host_key = workdir / "host_key"
        self.client_key = workdir / "client_key"
        self.log = workdir / "sshd.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Sshd:
        self.workdir.mkdir(parents=True, exist_ok=True)
        _keygen(self.host_key)
        _keygen(self.client_key)
        authorized = self.workdir / "authorized_keys"
        shutil.copyfile(f"{self.client_key}.pub", authorized)
        bindir = Path(sys.executable).parent
        config = self.workdir / "sshd_config"
        config.write_text(
            f"Port {self.port}\n"
            "ListenAddress 127.0.0.1\n"
            f"HostKey {self.host_key}\n"
            f"PidFile {self.workdir / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {authorized}\n"
            "PermitRootLogin prohibit-password\n"
            "PubkeyAuthentication yes\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "UsePAM no\n"
            "StrictModes no\n"
            f"SetEnv PATH={bindir}:/usr/local/bin:/usr/bin:/bin\n"
            "LogLevel ERROR\n"
        )
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
        with open(self.log, "ab") as log:
            self._proc = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", str(config)], stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        deadline = time.monotonic() + 20
        while True:
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"sshd did not come up: {self.log.read_text(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)

    def known_hosts(self, path: Path) -> Path:
        """Write a known_hosts file that vouches for this server's host key."""
        key = Path(f"{self.host_key}.pub").read_text().split()
        path.write_text(f"[127.0.0.1]:{self.port} {key[0]} {key[1]}\n")
        return path

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
