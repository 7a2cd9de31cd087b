"""``host-model``: the named CPU model closest to this host, plus the features that make it the host.

libvirt computes host-model once per emulator: it expands the ``host`` CPU into CPUID features
and decodes them as the named model that needs the fewest changes (features to add and to
remove), then describes the guest CPU as that model with those changes.  The same here, from
QEMU's own answers under KVM: ``query-cpu-model-expansion`` of type ``static`` gives the
feature set of ``host`` and of every named, non-deprecated model (static expansions are pure
CPUID features over the ``base`` model, so they compare directly); the model with the smallest
symmetric difference wins, the one with more features (the newer) on a tie.  Features the host
lacks are turned off (``-f``; this is how a nested host that cannot run a model's ``pni`` still
gets a runnable CPU), those it has beyond the model turned on (``+f``).  The result is tried
once in a paused QEMU: a nested host may list a feature it cannot give (this one lists
``arch-capabilities``, whose MSR KVM then refuses, which aborts QEMU), so when the full set
does not start, the model with only its missing features off is used.

The search costs about a second (one expansion per model), so it runs only when a domain or
``domcapabilities`` asks for host-model, and its answer is cached like the capabilities, by
the binary's identity.  Without KVM there is no host to describe: the caller falls back.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pyvirt.errors import OperationFailedError
from pyvirt.files import write_atomic
from pyvirt.log import get_logger
from pyvirt_qemu import probe
from pyvirt_qemu.monitor import Monitor

log = get_logger("pyvirt_qemu")

FORMAT = 1
_SKIP = frozenset({"host", "max", "base"})


@dataclass(frozen=True)
class HostCPU:
    model: str
    require: list[str]
    """Host features the model lacks, turned on."""
    disable: list[str]
    """Model features the host lacks, turned off."""

    @property
    def argument(self) -> str:
        """The ``-cpu`` value."""
        return ",".join([self.model, *(f"+{f}" for f in self.require), *(f"-{f}" for f in self.disable)])


_memory: dict[tuple[str, int, int], HostCPU | None] = {}
_lock = threading.Lock()


def host_cpu(binary: str, cache_dir: Path) -> HostCPU | None:
    """The host-model CPU for ``binary`` under KVM; None when KVM does not work here."""
    caps = probe.capabilities(binary, cache_dir)
    if not caps.kvm:
        return None
    key = probe.identity(binary)
    cache_file = cache_dir / "hostcpu" / (hashlib.sha256(binary.encode()).hexdigest()[:16] + ".json")
    with _lock:
        if key in _memory:
            return _memory[key]
        found = _load(cache_file, key)
        if found is None:
            found = _runnable(binary, probe.with_monitor(binary, _search))
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(cache_file, json.dumps({"format": FORMAT, "key": list(key), "cpu": asdict(found)}), 0o644)
        _memory[key] = found
        return found


def _runnable(binary: str, found: HostCPU) -> HostCPU:
    """``found`` when QEMU starts with it, else the model with only the host's gaps off."""
    fallback = HostCPU(found.model, [], found.disable)
    for candidate in (found, fallback):
        try:
            probe.with_monitor(binary, lambda m: m.execute("query-status"), "pc", ("-cpu", candidate.argument))
        except OperationFailedError as exc:
            log.info("host-model candidate does not start", cpu=candidate.argument, error=exc.message)
            continue
        return candidate
    return fallback


def _load(cache_file: Path, key: tuple[str, int, int]) -> HostCPU | None:
    try:
        doc = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        return None
    if doc.get("format") != FORMAT or tuple(doc.get("key", ())) != key:
        return None
    cpu: dict[str, Any] = doc["cpu"]
    return HostCPU(model=cpu["model"], require=list(cpu["require"]), disable=list(cpu["disable"]))


def _features(monitor: Monitor, model: str) -> set[str]:
    expanded = monitor.execute("query-cpu-model-expansion", {"type": "static", "model": {"name": model}})
    return {name for name, on in expanded["model"].get("props", {}).items() if on is True}


def _search(monitor: Monitor) -> HostCPU:
    host = _features(monitor, "host")
    best: tuple[int, int, str, set[str]] | None = None
    for definition in monitor.execute("query-cpu-definitions"):
        name = definition["name"]
        if name in _SKIP or definition.get("alias-of") or definition.get("deprecated"):
            continue
        features = _features(monitor, name)
        rank = (len(host ^ features), -len(features), name, features)
        if best is None or rank[:3] < best[:3]:
            best = rank
    assert best is not None, "QEMU lists no CPU model"
    _, _, name, features = best
    return HostCPU(model=name, require=sorted(host - features), disable=sorted(features - host))
