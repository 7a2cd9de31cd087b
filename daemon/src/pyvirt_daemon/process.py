"""Run a pyvirtd as a child process: the one helper tests and benchmarks share.

It writes a configuration under a private ``root``, starts ``pyvirtd``, waits until the
read-write socket accepts connections, and on :meth:`stop` sends SIGTERM, reaps the process
and reports what it left behind, so callers can assert a clean exit.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from pyvirt_daemon.service import SOCK_ADMIN, SOCK_RO, SOCK_RW, accepts


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


class DaemonProcess:
    """A pyvirtd child with its files under ``root``; a context manager."""

    def __init__(self, root: Path, settings: dict[str, Any] | None = None, *, args: tuple[str, ...] = ()) -> None:
        self.root = root
        self.settings = {"root": str(root), "log_level": "info", **(settings or {})}
        self.args = args
        self.config_file = root / "pyvirtd.toml"
        self.log_file = root / "pyvirtd.stderr"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def sock_dir(self) -> Path:
        return Path(self.settings.get("unix_sock_dir") or self.root / "run" / "pyvirt")

    @property
    def socket(self) -> Path:
        return self.sock_dir / SOCK_RW

    @property
    def socket_ro(self) -> Path:
        return self.sock_dir / SOCK_RO

    @property
    def socket_admin(self) -> Path:
        return self.sock_dir / SOCK_ADMIN

    @property
    def pid_file(self) -> Path:
        return self.root / "run" / "pyvirtd.pid"

    def uri(self, readonly: bool = False, driver: str = "test", path: str = "/default") -> str:
        return f"{driver}+unix://{path}?socket={self.socket_ro if readonly else self.socket}"

    def write_config(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        text = "".join(f"{key} = {toml_value(value)}\n" for key, value in self.settings.items())
        self.config_file.write_text(text)

    def start(self, timeout: float = 60.0) -> DaemonProcess:
        if self.proc is not None and self.proc.poll() is None:
            # a second start would orphan the first daemon: stop() only knows the last one
            raise RuntimeError(f"pyvirtd under {self.root} is already running (pid {self.proc.pid})")
        self.write_config()
        with open(self.log_file, "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "pyvirt_daemon.main", "--config", str(self.config_file), *self.args],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                env=_child_env(),
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pyvirtd exited with {self.proc.returncode}: {self.stderr()}")
            if all(accepts(p) for p in (self.socket, self.socket_ro, self.socket_admin)) and self._tcp_ready():
                return self
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"pyvirtd did not come up within {timeout}s: {self.stderr()}")

    def _tcp_ready(self) -> bool:
        if "--listen" not in self.args or not self.settings.get("listen_tcp"):
            return True
        address = (str(self.settings.get("listen_addr", "127.0.0.1")), int(str(self.settings["tcp_port"])))
        try:
            socket.create_connection(address, timeout=1).close()
        except OSError:
            return False
        return True

    def stderr(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def signal(self, signum: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(signum)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, then wait; returns the exit status (SIGKILL and -9 if it hangs)."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def leftovers(self) -> list[Path]:
        """Files a clean stop must have removed: sockets and the pid file."""
        candidates = [self.socket, self.socket_ro, self.socket_admin, self.pid_file]
        return [p for p in candidates if p.exists() or p.is_symlink()]

    def __enter__(self) -> DaemonProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def zombie_children(pid: int) -> list[int]:
    """Children of ``pid`` that have exited and that it has not reaped (a daemon must reap what
    it spawns: PID 1 collects them only after the daemon itself is gone)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
        if state == "Z" and int(ppid) == pid:
            found.append(int(proc.name))
    return found


def _child_env() -> dict[str, str]:
    """The caller's environment, but with bytecode caching on (in a private prefix, so the
    source tree stays clean): compiling the generated protocol module costs a second a start."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", os.path.join(tempfile.gettempdir(), f"pyvirtd-pycache-{os.getuid()}"))
    return env
