"""Where a driver keeps its files, and how it writes them.

One root holds everything: ``config/`` (persistent domain XML and ``autostart/`` marks, libvirt's
``/etc/libvirt/lxc``) and ``run/`` (what is running: the live XML, a JSON record, the console
socket and the exit status the monitor leaves; libvirt's ``/run/libvirt/lxc``).  Every file is
written with :func:`pyvirt.files.write_atomic`, so a crash leaves the old or the new file; runtime
files skip its fsync (``durable=False``).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from pyvirt.files import remove, write_atomic


@dataclass(frozen=True)
class Runtime:
    """What a running container is on the host: enough to find it again from another process."""

    init_pid: int
    init_start: int
    monitor_pid: int
    host_links: tuple[str, ...]
    persistent: bool

    @property
    def id(self) -> int:
        """The domain ID is the init's host PID, as libvirt's LXC driver makes it its process's
        PID: clients (``virsh lxc-enter-namespace``) read ``/proc/<ID>/cgroup`` to join the
        container's cgroups, so the ID must name a process inside them.  A new init (a reboot)
        brings a new ID."""
        return self.init_pid


class Store:
    """The files of one driver root."""

    def __init__(self, config_dir: str, run_dir: str) -> None:
        self.config_dir = config_dir
        self.run_dir = run_dir
        self.autostart_dir = os.path.join(config_dir, "autostart")
        for path in (config_dir, run_dir, self.autostart_dir):
            os.makedirs(path, mode=0o700, exist_ok=True)

    # -- persistent configs ---------------------------------------------------------------------

    def config_names(self) -> list[str]:
        return sorted(f[:-4] for f in os.listdir(self.config_dir) if f.endswith(".xml"))

    def config_path(self, name: str) -> str:
        return os.path.join(self.config_dir, f"{name}.xml")

    def read_config(self, name: str) -> str:
        with open(self.config_path(name)) as f:
            return f.read()

    def save_config(self, name: str, xml: str) -> None:
        write_atomic(self.config_path(name), xml)

    def remove_config(self, name: str) -> None:
        remove(self.config_path(name))
        self.set_autostart(name, False)

    def autostart(self, name: str) -> bool:
        return os.path.exists(os.path.join(self.autostart_dir, name))

    def set_autostart(self, name: str, on: bool) -> None:
        path = os.path.join(self.autostart_dir, name)
        if on:
            write_atomic(path, "")
        else:
            remove(path)

    # -- runtime ------------------------------------------------------------------------------

    def run_path(self, name: str, suffix: str) -> str:
        return os.path.join(self.run_dir, f"{name}.{suffix}")

    def running_names(self) -> list[str]:
        return sorted(f[:-5] for f in os.listdir(self.run_dir) if f.endswith(".json"))

    def save_runtime(self, name: str, runtime: Runtime, live_xml: str) -> None:
        write_atomic(self.run_path(name, "xml"), live_xml, durable=False)
        write_atomic(self.run_path(name, "json"), json.dumps(asdict(runtime)), durable=False)

    def read_runtime(self, name: str) -> tuple[Runtime, str]:
        with open(self.run_path(name, "json")) as f:
            raw = json.load(f)
        raw["host_links"] = tuple(raw["host_links"])
        with open(self.run_path(name, "xml")) as f:
            return Runtime(**raw), f.read()

    def recorded_init_pid(self, name: str) -> int | None:
        """The init PID a runtime record names, even one :meth:`read_runtime` cannot read."""
        try:
            with open(self.run_path(name, "json")) as f:
                pid = json.load(f).get("init_pid")
        except (OSError, ValueError, AttributeError):
            return None
        return pid if isinstance(pid, int) else None

    def read_exit(self, name: str) -> dict[str, int | None] | None:
        try:
            with open(self.run_path(name, "exit")) as f:
                loaded: dict[str, int | None] = json.load(f)
                return loaded
        except (FileNotFoundError, ValueError):
            return None

    def clear_runtime(self, name: str) -> None:
        for suffix in ("json", "xml", "exit", "console"):
            remove(self.run_path(name, suffix))
