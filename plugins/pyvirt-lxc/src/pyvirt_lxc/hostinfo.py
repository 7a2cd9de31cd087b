"""What the host is, for ``nodeinfo``, ``capabilities`` and the driver's version."""

from __future__ import annotations

import os
import platform
import socket

from pyvirt.types import NodeInfo


def kernel_version() -> int:
    """The running kernel's version, libvirt-encoded: what libvirt's LXC driver reports."""
    parts = [int("".join(ch for ch in p if ch.isdigit()) or 0) for p in platform.release().split(".")[:3]]
    parts += [0] * (3 - len(parts))
    return parts[0] * 1_000_000 + parts[1] * 1000 + parts[2]


def _meminfo(key: str) -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def node_info() -> NodeInfo:
    model = platform.machine()
    mhz = 0
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("cpu MHz"):
                mhz = int(float(line.split(":")[1]))
                break
    cpus = os.cpu_count() or 1
    return NodeInfo(model, _meminfo("MemTotal"), cpus, mhz, 1, 1, cpus, 1)


def free_memory() -> int:
    return _meminfo("MemAvailable") * 1024


def hostname() -> str:
    return socket.gethostname()


def capabilities(uuid: str) -> str:
    arch = platform.machine()
    return (
        "<capabilities>\n  <host>\n"
        f"    <uuid>{uuid}</uuid>\n    <cpu>\n      <arch>{arch}</arch>\n    </cpu>\n"
        "  </host>\n  <guest>\n    <os_type>exe</os_type>\n"
        f"    <arch name='{arch}'>\n      <wordsize>64</wordsize>\n"
        "      <domain type='lxc'/>\n    </arch>\n  </guest>\n</capabilities>\n"
    )
