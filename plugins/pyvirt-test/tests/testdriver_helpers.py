"""Helpers shared by the test driver's tests: real libvirt to compare with, small documents."""

from __future__ import annotations

import functools
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"
DATA = Path(__file__).resolve().parent / "data"


@functools.cache
def libvirt_available() -> bool:
    """True when the system python has libvirt's bindings (only used to compare behaviour)."""
    try:
        done = subprocess.run([SYSTEM_PYTHON, "-c", "import libvirt"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


needs_libvirt = pytest.mark.skipif(
    not libvirt_available(), reason="python3-libvirt is not installed for /usr/bin/python3"
)


def run_libvirt(script: str, payload: object = None) -> Any:
    """Run ``script`` with the system python (which has libvirt); it prints one JSON value.

    ``payload`` is given to the script as JSON on stdin.  pyvirt itself never imports libvirt.
    """
    done = subprocess.run(
        [SYSTEM_PYTHON, "-c", script],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"libvirt script failed:\n{done.stderr}")
    return json.loads(done.stdout)


SMALL_DOMAIN = (
    "<domain type='test'><name>{name}</name>{uuid}<memory unit='KiB'>{memory}</memory>"
    "<vcpu>{vcpus}</vcpu><os><type>hvm</type></os></domain>"
)


def domain_xml(name: str, *, uuid: str | None = None, memory: int = 1048576, vcpus: int = 2) -> str:
    return SMALL_DOMAIN.format(name=name, uuid=f"<uuid>{uuid}</uuid>" if uuid else "", memory=memory, vcpus=vcpus)
