"""Tap devices on host bridges for ``<interface type='bridge'>``.

QEMU (running as root) creates the tap itself when given an ``ifname``; the driver picks a free
name, writes it into the live XML as ``<target dev>``, and once QEMU runs enslaves the tap to
the bridge and brings it up with iproute2.  The tap is not persistent, so it disappears with
the QEMU process.  Names start with ``pvnet`` rather than libvirt's ``vnet`` so that a libvirtd
on the same host can never hand out the same name.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from pyvirt.errors import ErrorDomain, OperationFailedError

PREFIX = "pvnet"
_SYS_NET = Path("/sys/class/net")


def bridge_exists(name: str) -> bool:
    return bool(name) and "/" not in name and (_SYS_NET / name / "bridge").is_dir()


def free_names(count: int, taken: set[str]) -> list[str]:
    """``count`` tap names used neither on the host nor in ``taken``."""
    names: list[str] = []
    n = 0
    while len(names) < count:
        name = f"{PREFIX}{n}"
        if name not in taken and not (_SYS_NET / name).exists():
            names.append(name)
        n += 1
    return names


def attach(tap: str, bridge: str) -> None:
    """Enslave ``tap`` to ``bridge`` and bring it up."""
    for args in (["link", "set", "dev", tap, "master", bridge], ["link", "set", "dev", tap, "up"]):
        done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise OperationFailedError(
                f"Unable to add bridge {bridge} port {tap}: {done.stderr.strip()}", domain=ErrorDomain.QEMU
            )
