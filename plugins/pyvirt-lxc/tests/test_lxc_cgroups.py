"""cgroup layouts: v1, v2 and hybrid are told apart from the mount table, each resource comes
from the hierarchy that offers it, and the v2 freezer and cgroup.kill work on a real kernel."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import time
from pathlib import Path

import pytest

import pyvirt
from pyvirt_lxc import cgroups, extras
from pyvirt_lxc.cgroups import ContainerCgroup, Layout
from pyvirt_lxc.container import DEVICE_RULES
from pyvirt_lxc.driver import embed_scope
from pyvirt_lxc.store import Runtime
from pyvirt_lxc.testing import container_xml

V1 = """\
tmpfs /sys/fs/cgroup tmpfs rw 0 0
cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0
cgroup /sys/fs/cgroup/freezer cgroup rw,freezer 0 0
cgroup /sys/fs/cgroup/systemd cgroup rw,name=systemd 0 0
"""


def layout_of(tmp_path: Path, mounts: str) -> Layout:
    table = tmp_path / "mounts"
    table.write_text(mounts)
    return cgroups.detect(str(table))


def test_v1(tmp_path: Path) -> None:
    layout = layout_of(tmp_path, V1)
    assert layout.kind == "v1"
    assert layout.v1 == {
        "cpu": "/sys/fs/cgroup/cpu,cpuacct",
        "cpuacct": "/sys/fs/cgroup/cpu,cpuacct",
        "memory": "/sys/fs/cgroup/memory",
        "freezer": "/sys/fs/cgroup/freezer",
    }
    cg = ContainerCgroup(layout, "s", "c")
    assert cg.paths() == [  # co-mounted cpu and cpuacct share one directory
        "/sys/fs/cgroup/cpu,cpuacct/pyvirt-lxc/s/c",
        "/sys/fs/cgroup/memory/pyvirt-lxc/s/c",
        "/sys/fs/cgroup/freezer/pyvirt-lxc/s/c",
    ]


def test_v2_takes_what_its_root_offers(tmp_path: Path) -> None:
    root = tmp_path / "unified"
    root.mkdir()
    (root / "cgroup.controllers").write_text("cpu memory pids\n")
    layout = layout_of(tmp_path, f"cgroup2 {root} cgroup2 rw 0 0\n")
    assert layout.kind == "v2"
    assert {r: layout.backend(r) for r in ("memory", "cpu", "cpuacct", "freezer")} == dict.fromkeys(
        ("memory", "cpu", "cpuacct", "freezer"), "v2"
    )
    (root / "cgroup.controllers").write_text("pids\n")
    assert layout.backend("memory") is None and layout.backend("freezer") == "v2"


def test_hybrid_uses_v1_controllers_and_an_empty_v2(tmp_path: Path) -> None:
    root = tmp_path / "unified"
    root.mkdir()
    (root / "cgroup.controllers").write_text("")
    layout = layout_of(tmp_path, V1 + f"cgroup2 {root} cgroup2 rw 0 0\n")
    assert layout.kind == "hybrid"
    assert {layout.backend(r) for r in ("memory", "cpu", "cpuacct", "freezer")} == {"v1"}


def test_this_host_is_detected() -> None:
    layout = cgroups.detect()
    assert layout.kind in ("v1", "v2", "hybrid")
    assert all(layout.backend(r) for r in ("memory", "cpuacct", "freezer"))


@pytest.mark.skipif(cgroups.detect().v2 is None, reason="no cgroup2 mount here")
def test_v2_freezer_and_kill_on_the_real_kernel() -> None:
    """The v2 code paths, even on a hybrid host: cgroup.freeze and cgroup.kill are core files."""
    real = cgroups.detect()
    layout = Layout({}, real.v2)
    cg = ContainerCgroup(layout, f"test-{secrets.token_hex(3)}", "frozen")
    cg.create(cpu_tuning=False)
    ticker = subprocess.Popen(["sh", "-c", "while :; do echo t; sleep 0.005; done"], stdout=subprocess.PIPE)
    try:
        cg.attach(ticker.pid)
        assert cg.pids() == [ticker.pid]
        cg.freeze(True)
        assert cg.is_frozen()
        os.set_blocking(ticker.stdout.fileno(), False)  # type: ignore[union-attr]
        time.sleep(0.05)
        ticker.stdout.read()  # type: ignore[union-attr]
        time.sleep(0.2)
        assert ticker.stdout.read() is None  # type: ignore[union-attr]  # nothing while frozen
        cg.freeze(False)
        deadline = time.monotonic() + 10
        while not ticker.stdout.read() and time.monotonic() < deadline:  # type: ignore[union-attr]
            time.sleep(0.01)
        assert time.monotonic() < deadline, "the thawed loop never wrote again"
        cg.kill_all()
        assert ticker.wait(timeout=5) == -9
        assert cg.pids() == []
    finally:
        ticker.kill()
        ticker.wait()
        cg.remove()
    assert not cg.exists()


def test_cpu_tuning_reaches_the_kernel(lxc: pyvirt.Connection, lxc_root: str, rootfs: str) -> None:
    tune = "<cputune><shares>512</shares><period>50000</period><quota>25000</quota></cputune>"
    dom = lxc.create_domain(container_xml("tuned", rootfs, args=["-c", "exec sleep 1000"], extra=tune))
    layout = cgroups.detect()
    rel = os.path.join("pyvirt-lxc", embed_scope(lxc_root), "tuned")
    if layout.backend("cpu") == "v1":
        cpu_dir = Path(layout.v1["cpu"], rel)
        read = {f: (cpu_dir / f).read_text().strip() for f in ("cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us")}
        assert read == {"cpu.shares": "512", "cpu.cfs_period_us": "50000", "cpu.cfs_quota_us": "25000"}
    else:
        assert Path(str(layout.v2), rel, "cpu.max").read_text().split() == ["25000", "50000"]
    dom.destroy()


def test_only_the_minimal_dev_is_allowed(lxc: pyvirt.Connection, lxc_root: str, rootfs: str) -> None:
    layout = cgroups.detect()
    if layout.backend("devices") != "v1":
        pytest.skip(f"no v1 devices controller on this {layout.kind} host (v2 needs BPF)")
    dom = lxc.create_domain(container_xml("devs", rootfs, args=["-c", "exec sleep 1000"]))
    listed = Path(layout.v1["devices"], "pyvirt-lxc", embed_scope(lxc_root), "devs", "devices.list").read_text()
    assert sorted(listed.split("\n")[:-1]) == sorted(DEVICE_RULES)
    # a device outside the list cannot be opened from inside, even by root
    kmsg = f"/proc/{live(dom).init_pid}/root/tmp/kmsg"
    os.mknod(kmsg, 0o600 | stat.S_IFCHR, os.makedev(1, 11))
    try:
        proc = extras.enter_namespace(dom, ["sh", "-c", "head -c1 /tmp/kmsg"], stderr=subprocess.PIPE)
        assert proc.wait(timeout=20) != 0 and b"Operation not permitted" in proc.stderr.read()  # type: ignore[union-attr]
        assert extras.enter_namespace(dom, ["sh", "-c", "head -c1 /dev/zero >/dev/null"]).wait(timeout=20) == 0
    finally:
        os.remove(kmsg)
    dom.destroy()


def live(dom: pyvirt.Domain) -> Runtime:
    found = extras.runtime(dom)
    assert found is not None
    return found
