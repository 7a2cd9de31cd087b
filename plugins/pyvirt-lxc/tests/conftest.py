"""Fixtures for the LXC driver's tests: a busybox rootfs, embedded roots that are emptied and
checked for leftovers after each test, bridges, and running commands inside containers."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import pyvirt
from pyvirt_lxc import extras
from pyvirt_lxc.testing import PATIENCE, build_rootfs, empty_root


@pytest.fixture(scope="session")
def rootfs(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build_rootfs(str(tmp_path_factory.mktemp("rootfs")))


@pytest.fixture
def lxc_root(tmp_path: Path) -> Iterator[str]:
    root = str(tmp_path / "root")
    try:
        yield root
    finally:
        empty_root(root)


@pytest.fixture
def lxc_uri(lxc_root: str) -> str:
    return f"lxc:///embed?root={lxc_root}"


@pytest.fixture
def lxc(lxc_uri: str) -> Iterator[pyvirt.Connection]:
    with pyvirt.open(lxc_uri) as conn:
        yield conn


@pytest.fixture
def inside() -> Callable[..., str]:
    """``inside(dom, "sh", "-c", "...")``: run a command in the container, return its stdout."""

    def run(dom: pyvirt.Domain, *argv: str, check: bool = True) -> str:
        proc = extras.enter_namespace(dom, argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = proc.communicate(timeout=PATIENCE)
        if check and proc.returncode != 0:
            raise AssertionError(f"{argv} exited {proc.returncode}: {err.decode()}")
        return out.decode()

    return run


@pytest.fixture
def bridge() -> Iterator[str]:
    """A host bridge made for the test and deleted after it, whatever happened."""
    from pyroute2 import IPRoute  # type: ignore[import-untyped]

    name = f"pvtbr{secrets.token_hex(3)}"
    with IPRoute() as ip:
        ip.link("add", ifname=name, kind="bridge")
        ip.link("set", index=ip.link_lookup(ifname=name)[0], state="up")
    try:
        yield name
    finally:
        with IPRoute() as ip:
            for index in ip.link_lookup(ifname=name):
                ip.link("del", index=index)
