"""What the LXC driver says about its host beyond :mod:`pyvirt.hostinfo` (``nodeinfo`` and free
memory, shared with every local driver): its version, hostname and ``capabilities``."""

from __future__ import annotations

import platform
import socket


def kernel_version() -> int:
    """The running kernel's version, libvirt-encoded: what libvirt's LXC driver reports."""
    parts = [int("".join(ch for ch in p if ch.isdigit()) or 0) for p in platform.release().split(".")[:3]]
    parts += [0] * (3 - len(parts))
    return parts[0] * 1_000_000 + parts[1] * 1000 + parts[2]


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
