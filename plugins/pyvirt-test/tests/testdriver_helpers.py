"""Helpers shared by the test driver's tests: real libvirt to compare with, small documents."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

SYSTEM_PYTHON = "/usr/bin/python3"
DATA = Path(__file__).resolve().parent / "data"


def corpus_path() -> Path:
    """The shared corpus: ``$PYVIRT_CORPUS``, else ``<checkout>/../shared/corpus`` (the suite's rule)."""
    env = os.environ.get("PYVIRT_CORPUS")
    return Path(env) if env else Path(__file__).resolve().parents[3].parent / "shared" / "corpus"


needs_libvirt = pytest.mark.needs_libvirt("bindings")
"""Runs python3-libvirt; skipped where it is missing (the suite's root ``conftest.py``)."""


def run_libvirt(script: str, payload: object = None) -> Any:
    """Run ``script`` with the system python (which has libvirt); it prints one JSON value.

    ``payload`` is given to the script as JSON on stdin.  pyvirt itself never imports libvirt.
    """
    done = subprocess.run(
        [SYSTEM_PYTHON, "-E", "-c", script],
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
