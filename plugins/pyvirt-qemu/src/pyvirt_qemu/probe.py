"""What an emulator binary can do, asked once and remembered by the binary's identity.

libvirt asks each ``qemu-system-*`` it finds for its machine types, accelerators, CPU models
and devices through QMP, and caches the answer until the binary changes.  The same here, for
what the driver consults (machines, KVM, CPU models; not devices): one short-lived
``qemu -machine none`` per binary, its answers stored as JSON under the driver's cache
directory keyed by (path, size, mtime), and kept in memory for the process's life.
A changed binary (an upgrade) is probed again on next use.

Under KVM, ``query-cpu-definitions`` lists for each model the features this host cannot give a
guest; that, not a table of known hosts, is how the driver picks CPU models (see :mod:`.cpu`).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pyvirt.errors import ErrorDomain, OperationFailedError
from pyvirt.files import write_atomic
from pyvirt_qemu import process
from pyvirt_qemu.monitor import Monitor

T = TypeVar("T")

PROBE_TIMEOUT = 20.0
FORMAT = 4
"""Bumped when the cached document changes shape; older caches are probed again."""


@dataclass(frozen=True)
class Machine:
    name: str
    alias: str | None
    is_default: bool
    max_cpus: int
    deprecated: bool = False


@dataclass(frozen=True)
class EmulatorCaps:
    """One binary's answers; plain data so it round-trips through JSON."""

    path: str
    version: tuple[int, int, int]
    package: str
    machines: list[Machine]
    kvm: bool
    cpu_unavailable: dict[str, list[str]] = field(default_factory=dict)
    """Every CPU model and, under KVM, the features this host cannot provide for it."""

    @property
    def version_number(self) -> int:
        major, minor, micro = self.version
        return major * 1_000_000 + minor * 1000 + micro

    def machine(self, name: str) -> Machine | None:
        """The machine type called ``name`` or aliased by it (``pc`` -> ``pc-i440fx-7.2``)."""
        for m in self.machines:
            if m.name == name or m.alias == name:
                return m
        return None

    @property
    def default_machine(self) -> Machine | None:
        return next((m for m in self.machines if m.is_default), None)


_memory: dict[tuple[str, int, int], EmulatorCaps] = {}
_lock = threading.Lock()


def identity(binary: str) -> tuple[str, int, int]:
    """What a cached answer about ``binary`` is keyed by: path, size and mtime (an upgrade
    changes them); a missing or non-executable binary is the error libvirt gives."""
    try:
        st = os.stat(binary)
    except OSError as exc:
        raise OperationFailedError(
            f"Cannot find QEMU binary {binary}: {exc.strerror}", domain=ErrorDomain.QEMU
        ) from exc
    if not os.access(binary, os.X_OK):
        raise OperationFailedError(f"QEMU binary {binary} is not executable", domain=ErrorDomain.QEMU)
    return (binary, st.st_size, st.st_mtime_ns)


def capabilities(binary: str, cache_dir: Path) -> EmulatorCaps:
    """The capabilities of ``binary``: from memory, else the on-disk cache, else a probe."""
    key = identity(binary)
    cache_file = cache_dir / "capabilities" / (hashlib.sha256(binary.encode()).hexdigest()[:16] + ".json")
    with _lock:
        found = _memory.get(key) or _load(cache_file, key)
        if found is None:
            found = _probe(binary)
        _memory[key] = found
        if not cache_file.exists():  # every root keeps its own cache, as each libvirtd does
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(cache_file, json.dumps({"format": FORMAT, "key": list(key), "caps": asdict(found)}), 0o644)
        return found


def _load(cache_file: Path, key: tuple[str, int, int]) -> EmulatorCaps | None:
    try:
        doc = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        return None
    if doc.get("format") != FORMAT or tuple(doc.get("key", ())) != key:
        return None
    caps: dict[str, Any] = doc["caps"]
    return EmulatorCaps(
        path=caps["path"],
        version=tuple(caps["version"]),
        package=caps["package"],
        machines=[Machine(**m) for m in caps["machines"]],
        kvm=caps["kvm"],
        cpu_unavailable=caps["cpu_unavailable"],
    )


def with_monitor(binary: str, ask: Callable[[Monitor], T], machine: str = "none", extra: Sequence[str] = ()) -> T:
    """Run ``binary -machine none`` (or ``machine``, with ``extra`` arguments) with KVM when it
    works (TCG otherwise) and ``ask`` its QMP monitor; the process is gone when this returns."""
    with tempfile.TemporaryDirectory(prefix="pyvirt-qemu-probe-") as tmp:
        path = os.path.join(tmp, "qmp")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(1)
        argv = [
            binary, "-machine", machine, "-accel", "kvm", "-accel", "tcg", "-nodefaults", "-no-user-config",
            "-display", "none", "-S", *extra,
            "-chardev", f"socket,id=qmp,fd={listener.fileno()},server=on,wait=off",
            "-mon", "chardev=qmp,mode=control",
        ]  # fmt: skip
        log = Path(tmp) / "log"
        pid = process.spawn(argv, log, [listener.fileno()])
        listener.close()
        monitor = Monitor("probe", lambda name, data: None)
        try:
            monitor.connect(path, PROBE_TIMEOUT)
            answer = ask(monitor)
            monitor.send("quit")
            return answer
        except OperationFailedError as exc:
            tail = log.read_text(errors="replace").strip()
            raise OperationFailedError(
                f"internal error: failed to probe capabilities of {binary}: {tail or exc.message}",
                domain=ErrorDomain.QEMU,
            ) from exc
        finally:
            monitor.close()
            if not process.wait_gone(pid, 5):
                process.kill(pid)
                process.wait_gone(pid, 5)


def _probe(binary: str) -> EmulatorCaps:
    def ask(monitor: Monitor) -> tuple[Any, Any, Any, Any]:
        return (
            monitor.execute("query-version"),
            monitor.execute("query-machines"),
            monitor.execute("query-kvm"),
            monitor.execute("query-cpu-definitions"),
        )

    version, machines, kvm, cpus = with_monitor(binary, ask)
    q = version["qemu"]
    return EmulatorCaps(
        path=binary,
        version=(q["major"], q["minor"], q["micro"]),
        package=version.get("package", ""),
        machines=_default_first(
            [
                Machine(
                    m["name"],
                    m.get("alias"),
                    bool(m.get("is-default")),
                    int(m.get("cpu-max", 1)),
                    bool(m.get("deprecated")),
                )
                for m in machines
                if m["name"] != "none"  # libvirt leaves QEMU's placeholder machine out
            ]
        ),
        kvm=bool(kvm.get("enabled")),
        cpu_unavailable={c["name"]: list(c.get("unavailable-features", [])) for c in cpus},
    )


def _default_first(machines: list[Machine]) -> list[Machine]:
    """QEMU's own order with its default machine moved to the front, as libvirt keeps them:
    tools such as virt-install take the first machine a guest arch lists as the one to use."""
    return sorted(machines, key=lambda m: not m.is_default)
