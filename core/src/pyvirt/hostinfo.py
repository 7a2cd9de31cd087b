"""What a local hypervisor driver reports about its host (``nodeinfo``, ``freecell``), read from
/proc as libvirt reads it; written once here for every driver that runs guests on this host."""

from __future__ import annotations

import os
import platform

from pyvirt.types import NodeInfo

__all__ = ["free_memory", "node_info"]


def _meminfo_kib(key: str) -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def free_memory() -> int:
    """Free memory in bytes: the kernel's ``MemFree``, as libvirt's ``virNodeGetFreeMemory``
    reports it (page cache it could reclaim does not count)."""
    return _meminfo_kib("MemFree") * 1024


def node_info() -> NodeInfo:
    """One NUMA cell, one socket, one thread per core: every online CPU counted as a core."""
    mhz = 0
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("cpu MHz"):
                mhz = int(float(line.split(":")[1]))
                break
    cpus = os.cpu_count() or 1
    return NodeInfo(platform.machine(), _meminfo_kib("MemTotal"), cpus, mhz, 1, 1, cpus, 1)
