"""Where the driver keeps its files: one :class:`Layout` per driver instance.

libvirt's embedded mode puts everything under ``root`` (``etc/qemu``, ``run/qemu``...), and
pyvirtd with ``root = "DIR"`` does the same for ``qemu:///system``; without a root the system
driver uses the usual system directories and the session driver the user's XDG ones.  Nothing
else in the driver builds a path, so moving the tree is a change here only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MAX_SOCKET_PATH = 107
"""``sun_path`` holds 108 bytes including the terminating NUL."""


@dataclass(frozen=True)
class Layout:
    """The driver's directories: configs, runtime state, save images, logs and probe cache."""

    config: Path
    autostart: Path
    run: Path
    lib: Path
    log: Path
    cache: Path
    pools: Path
    """Storage pool definitions (``autostart/`` below them) and, under ``run``, active pools."""
    pools_run: Path

    @classmethod
    def embedded(cls, root: Path) -> Layout:
        """libvirt's embedded layout: every directory directly under ``root``."""
        return cls(
            config=root / "etc" / "qemu",
            autostart=root / "etc" / "qemu" / "autostart",
            run=root / "run" / "qemu",
            lib=root / "lib" / "qemu",
            log=root / "log" / "qemu",
            cache=root / "cache" / "qemu",
            pools=root / "etc" / "storage",
            pools_run=root / "run" / "storage",
        )

    @classmethod
    def system(cls, root: Path) -> Layout:
        """The privileged daemon's directories, moved under ``root`` (``/`` when none is set)."""
        return cls(
            config=root / "etc" / "pyvirt" / "qemu",
            autostart=root / "etc" / "pyvirt" / "qemu" / "autostart",
            run=root / "run" / "pyvirt" / "qemu",
            lib=root / "var" / "lib" / "pyvirt" / "qemu",
            log=root / "var" / "log" / "pyvirt" / "qemu",
            cache=root / "var" / "cache" / "pyvirt" / "qemu",
            pools=root / "etc" / "pyvirt" / "storage",
            pools_run=root / "run" / "pyvirt" / "storage",
        )

    @classmethod
    def session(cls) -> Layout:
        """A user's daemon: XDG config, runtime, data and cache directories."""
        home = Path.home()
        config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "pyvirt" / "qemu"
        runtime = Path(os.environ.get("XDG_RUNTIME_DIR") or home / ".cache") / "pyvirt" / "qemu" / "run"
        data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share") / "pyvirt" / "qemu"
        cache = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "pyvirt" / "qemu"
        pools = config.parent / "storage"
        return cls(config, config / "autostart", runtime, data, cache / "log", cache, pools, runtime.parent / "storage")

    def create(self) -> None:
        for path in (
            self.config,
            self.autostart,
            self.run,
            self.lib,
            self.log,
            self.cache,
            self.pools / "autostart",
            self.pools_run,
        ):
            path.mkdir(parents=True, exist_ok=True, mode=0o755)

    # -- per-domain files ---------------------------------------------------------------------

    def config_file(self, name: str) -> Path:
        return self.config / f"{name}.xml"

    def autostart_link(self, name: str) -> Path:
        return self.autostart / f"{name}.xml"

    def status_file(self, name: str) -> Path:
        return self.run / f"{name}.xml"

    def pid_file(self, name: str) -> Path:
        """QEMU writes its pid here (``-pidfile``), which also puts the root in its command line."""
        return self.run / f"{name}.pid"

    def runtime_files(self, name: str, uuid: str) -> tuple[Path, Path, Path]:
        """Every file a running domain has under the run directory."""
        return (self.status_file(name), self.monitor_socket(uuid), self.pid_file(name))

    def monitor_socket(self, uuid: str) -> Path:
        """Named by UUID, not name: names may be long or contain characters sockets dislike."""
        return self.run / f"{uuid}.qmp"

    def log_file(self, name: str) -> Path:
        return self.log / f"{name}.log"

    def managed_save(self, name: str) -> Path:
        return self.lib / "save" / f"{name}.save"

    def snapshot_dir(self, name: str) -> Path:
        return self.lib / "snapshot" / name
