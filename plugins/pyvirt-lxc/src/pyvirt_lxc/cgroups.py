"""Control groups of one container, on cgroup v1, v2 or a hybrid of both.

Each resource is served by whichever hierarchy offers its controller: a v1 hierarchy that
mounts it, else the v2 hierarchy when its root lists it.  A hybrid host (v1 controllers plus a
cgroup2 mount without controllers, as here) therefore gets its limits from v1 and its process
tracking and ``cgroup.kill`` from v2; libvirt 9.0 refuses such a host, pyvirt does not.  Device
rules come from a v1 devices hierarchy, else from a BPF program on the v2 cgroup.

Every container gets a directory ``pyvirt-lxc/<scope>/<name>`` at the top of each hierarchy it
uses, so destroying it can find and kill every process, then remove the directories.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time
from dataclasses import dataclass

from pyvirt.errors import ErrorCode, OperationFailedError
from pyvirt_lxc import devbpf

_TOP = "pyvirt-lxc"
_WANTED = ("memory", "cpu", "cpuacct", "freezer", "devices")
_V2_OF = {"memory": "memory", "cpu": "cpu", "cpuacct": "cpu", "freezer": None, "devices": None}
"""The v2 controller that provides each v1 resource (``None``: always there: a core file, or for
devices a BPF program, which needs no controller)."""


@dataclass(frozen=True)
class Layout:
    """Where each resource lives: ``v1`` maps controller to mount point; ``v2`` the cgroup2 mount."""

    v1: dict[str, str]
    v2: str | None

    @property
    def kind(self) -> str:
        """``v1``, ``v2`` or ``hybrid``, as people name these layouts."""
        if self.v1 and self.v2:
            return "hybrid"
        return "v1" if self.v1 else "v2"

    def v2_controllers(self) -> set[str]:
        if self.v2 is None:
            return set()
        with open(os.path.join(self.v2, "cgroup.controllers")) as f:
            return set(f.read().split())

    def backend(self, resource: str) -> str | None:
        """``"v1"``, ``"v2"`` or ``None`` (this host cannot serve ``resource``)."""
        if resource in self.v1:
            return "v1"
        if self.v2 is None:
            return None
        needed = _V2_OF[resource]
        return "v2" if needed is None or needed in self.v2_controllers() else None


def detect(mounts: str = "/proc/self/mounts") -> Layout:
    """Read the host's cgroup mounts: every v1 hierarchy with a controller we use, the v2 mount."""
    v1: dict[str, str] = {}
    v2: str | None = None
    with open(mounts) as f:
        for line in f:
            fields = line.split()
            if len(fields) < 4:
                continue
            target, fstype, options = fields[1], fields[2], fields[3].split(",")
            if fstype == "cgroup2" and v2 is None:
                v2 = target
            elif fstype == "cgroup":
                for ctrl in _WANTED:
                    if ctrl in options:
                        v1.setdefault(ctrl, target)
    return Layout(v1, v2)


def _fail(message: str) -> OperationFailedError:
    return OperationFailedError(message, code=ErrorCode.OPERATION_FAILED)


def _write(path: str, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _read(path: str) -> str:
    with open(path) as f:
        return f.read()


class ContainerCgroup:
    """The cgroup directories of one container (they may not exist yet)."""

    def __init__(self, layout: Layout, scope: str, name: str) -> None:
        self.layout = layout
        rel = os.path.join(_TOP, scope, name)
        self._rel = rel
        self._v1 = {ctrl: os.path.join(mount, rel) for ctrl, mount in layout.v1.items()}
        self._v2 = os.path.join(layout.v2, rel) if layout.v2 else None

    def paths(self) -> list[str]:
        """Every directory, deepest hierarchy order irrelevant; v1 co-mounts collapse to one."""
        found = list(dict.fromkeys(self._v1.values()))
        if self._v2:
            found.append(self._v2)
        return found

    def _dir(self, resource: str) -> tuple[str, str]:
        backend = self.layout.backend(resource)
        if backend == "v1":
            return "v1", self._v1[resource]
        if backend == "v2" and self._v2:
            return "v2", self._v2
        raise _fail(f"cgroup controller '{resource}' is not available on this host ({self.layout.kind} layout)")

    # -- creation and membership -------------------------------------------------------------

    def create(self, cpu_tuning: bool) -> None:
        """Make the directories the container needs; on v2 enable its controllers down the path.

        Each hierarchy joined costs the start a few milliseconds (moving a task between v1
        cgroups waits for an RCU grace period), so ``cpu`` is joined only for CPU tuning and
        a hybrid host's controller-less v2 hierarchy not at all.
        """
        v1 = {path for ctrl, path in self._v1.items() if ctrl != "cpu" or cpu_tuning}
        for path in v1:
            os.makedirs(path, exist_ok=True)
        uses_v2 = any(self.layout.backend(r) == "v2" for r in _WANTED if r != "cpu" or cpu_tuning)
        if self._v2 and uses_v2:
            os.makedirs(self._v2, exist_ok=True)
        if self._v2 and self.layout.v2 and uses_v2:
            wanted = {c for c in ("memory", "cpu") if self.layout.backend(c) == "v2"}
            if wanted:
                parent = self.layout.v2
                for part in self._rel.split("/"):
                    _write(os.path.join(parent, "cgroup.subtree_control"), " ".join(f"+{c}" for c in wanted))
                    parent = os.path.join(parent, part)

    def exists(self) -> bool:
        return any(os.path.isdir(p) for p in self.paths())

    def attach(self, pid: int) -> None:
        for path in self.paths():
            if os.path.isdir(path):
                _write(os.path.join(path, "cgroup.procs"), str(pid))

    def pids(self) -> list[int]:
        """Processes in the container's cgroup (empty when it does not exist)."""
        found: set[int] = set()
        for path in self.paths():
            try:
                found.update(int(x) for x in _read(os.path.join(path, "cgroup.procs")).split())
            except OSError:  # gone, or removed while we read it (ENODEV)
                continue
        return sorted(found)

    # -- limits -------------------------------------------------------------------------------

    def set_memory_limit(self, kib: int) -> None:
        """Hard memory limit; a value the kernel does not keep (it clamps or rejects) is an error."""
        wanted = kib * 1024
        kind, path = self._dir("memory")
        name = "memory.limit_in_bytes" if kind == "v1" else "memory.max"
        target = os.path.join(path, name)
        try:
            _write(target, str(wanted))
        except OSError as exc:
            raise _fail(f"the kernel refused memory limit {kib} KiB ({name}): {exc.strerror}") from None
        raw = _read(target).strip()
        got = None if raw == "max" else int(raw)
        page = os.sysconf("SC_PAGE_SIZE")
        if got is None or got == 0 or abs(got - wanted) >= page:
            raise _fail(f"the kernel refused memory limit {kib} KiB ({name}): it kept {raw} bytes instead")

    def set_cpu(self, shares: int | None, period_us: int | None, quota_us: int | None) -> None:
        """CPU weight and bandwidth, in libvirt's units (shares; period and quota in µs); on v2
        the shares go to ``cpu.weight`` unchanged, as libvirt's virCgroupV2SetCpuShares writes
        them, so a value above 10000 is refused there by the kernel."""
        kind, path = self._dir("cpu")
        try:
            if kind == "v1":
                if shares is not None:
                    _write(os.path.join(path, "cpu.shares"), str(shares))
                if period_us is not None:
                    _write(os.path.join(path, "cpu.cfs_period_us"), str(period_us))
                if quota_us is not None:
                    _write(os.path.join(path, "cpu.cfs_quota_us"), str(quota_us))
                return
            if shares is not None:  # as libvirt 9.0 does: the shares value itself (the kernel takes 1..10000)
                _write(os.path.join(path, "cpu.weight"), str(shares))
            if period_us is not None or quota_us is not None:
                quota = "max" if quota_us is None or quota_us < 0 else str(quota_us)
                _write(os.path.join(path, "cpu.max"), f"{quota} {period_us or 100000}")
        except OSError as exc:
            raise _fail(
                f"the kernel refused the CPU tuning (shares={shares}, period={period_us}, "
                f"quota={quota_us}): {exc.strerror}"
            ) from None

    def allow_devices(self, rules: tuple[str, ...]) -> None:
        """Deny every device but ``rules`` (``"c 1:3 rwm"``...): the v1 devices controller's
        files, or on v2 a device program (:mod:`pyvirt_lxc.devbpf`)."""
        if self.layout.backend("devices") is None:  # no cgroup2 mount and no v1 devices controller
            return
        kind, path = self._dir("devices")
        try:
            if kind == "v2":
                devbpf.attach(path, [devbpf.Rule.parse(rule) for rule in rules])
                return
            _write(os.path.join(path, "devices.deny"), "a")
            for rule in rules:
                _write(os.path.join(path, "devices.allow"), rule)
        except OSError as exc:
            raise _fail(f"the kernel refused the device rules of the container: {exc.strerror}") from None

    # -- accounting ---------------------------------------------------------------------------

    def cpu_time_ns(self) -> int:
        try:
            kind, path = self._dir("cpuacct")
            if kind == "v1":
                return int(_read(os.path.join(path, "cpuacct.usage")))
            for line in _read(os.path.join(path, "cpu.stat")).splitlines():
                key, _, value = line.partition(" ")
                if key == "usage_usec":
                    return int(value) * 1000
        except (OSError, ValueError):
            pass
        return 0

    def cpu_user_system_ns(self) -> tuple[int, int] | None:
        """CPU time spent in user and kernel mode (v1 ``cpuacct.stat`` in clock ticks, v2
        ``cpu.stat`` in µs), or ``None`` when this host does not account it."""
        try:
            kind, path = self._dir("cpuacct")
            fields = dict(
                line.split()
                for line in _read(os.path.join(path, "cpuacct.stat" if kind == "v1" else "cpu.stat")).splitlines()
            )
            if kind == "v1":
                tick = 1_000_000_000 // os.sysconf("SC_CLK_TCK")
                return int(fields["user"]) * tick, int(fields["system"]) * tick
            return int(fields["user_usec"]) * 1000, int(fields["system_usec"]) * 1000
        except (OSError, ValueError, KeyError, OperationFailedError):
            return None

    def swap_usage_kib(self) -> int | None:
        """Swap in use, as libvirt reads it (v1 ``memory.memsw.usage_in_bytes``, which exists only
        with swap accounting; v2 ``memory.swap.current``), or ``None``."""
        try:
            kind, path = self._dir("memory")
            name = "memory.memsw.usage_in_bytes" if kind == "v1" else "memory.swap.current"
            return int(_read(os.path.join(path, name))) // 1024
        except (OSError, ValueError, OperationFailedError):
            return None

    def memory_usage_kib(self) -> int:
        try:
            kind, path = self._dir("memory")
            name = "memory.usage_in_bytes" if kind == "v1" else "memory.current"
            return int(_read(os.path.join(path, name))) // 1024
        except (OSError, ValueError):
            return 0

    def oom_kills(self) -> int:
        """How many processes the kernel killed for exceeding the memory limit."""
        try:
            kind, path = self._dir("memory")
            text = _read(os.path.join(path, "memory.oom_control" if kind == "v1" else "memory.events"))
        except OSError:
            return 0
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    # -- freezer ------------------------------------------------------------------------------

    def freeze(self, frozen: bool, timeout: float = 5.0) -> None:
        """Freeze or thaw every process, returning once the kernel reports it done."""
        kind, path = self._dir("freezer")
        if kind == "v1":
            _write(os.path.join(path, "freezer.state"), "FROZEN" if frozen else "THAWED")
        else:
            _write(os.path.join(path, "cgroup.freeze"), "1" if frozen else "0")

        def done() -> bool:
            if kind == "v1":
                return _read(os.path.join(path, "freezer.state")).strip() == ("FROZEN" if frozen else "THAWED")
            return f"frozen {int(frozen)}" in _read(os.path.join(path, "cgroup.events"))

        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise _fail(f"the kernel did not {'freeze' if frozen else 'thaw'} the container within {timeout:g} s")
            time.sleep(0.002)

    def is_frozen(self) -> bool:
        try:
            kind, path = self._dir("freezer")
            if kind == "v1":
                return _read(os.path.join(path, "freezer.state")).strip() != "THAWED"
            return "frozen 1" in _read(os.path.join(path, "cgroup.events"))
        except OSError:
            return False

    # -- teardown -----------------------------------------------------------------------------

    def kill_all(self, timeout: float = 5.0) -> None:
        """SIGKILL every process in the cgroup (thawing it so the kill lands) until none is left."""
        kill_file = os.path.join(self._v2, "cgroup.kill") if self._v2 else None  # v2 only, when joined
        deadline = time.monotonic() + timeout
        while True:
            pids = self.pids()
            if not pids:
                return
            if kill_file and os.path.exists(kill_file):
                _write(kill_file, "1")
            else:
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            if self.layout.backend("freezer") and self.is_frozen():
                with contextlib.suppress(OSError):  # the monitor may remove the cgroup meanwhile
                    self.freeze(False)
            if time.monotonic() > deadline:
                raise _fail(f"processes {pids} of the container survived SIGKILL for {timeout:g} s")
            time.sleep(0.001)

    def remove(self, timeout: float = 5.0) -> None:
        """Remove every directory; a cgroup still emptying (zombies being reaped) is retried."""
        deadline = time.monotonic() + timeout
        for path in self.paths():
            while True:
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                        raise _fail(f"cannot remove cgroup {path}: {exc.strerror}") from None
                    time.sleep(0.002)
            with contextlib.suppress(OSError):  # the scope's directory, once its last container left
                os.rmdir(os.path.dirname(path))
