"""cgroup layouts: v1, v2 and hybrid are told apart from the mount table, each resource comes
from the hierarchy that offers it, and the v2 freezer and cgroup.kill work on a real kernel."""

from __future__ import annotations

import json
import os
import secrets
import stat
import subprocess
import time
from pathlib import Path

import pytest

import pyvirt
from pyvirt import DomainState
from pyvirt_lxc import cgroups, devbpf, extras
from pyvirt_lxc.cgroups import ContainerCgroup, Layout
from pyvirt_lxc.container import DEVICE_RULES
from pyvirt_lxc.driver import embed_scope
from pyvirt_lxc.store import Runtime
from pyvirt_lxc.testing import PATIENCE, container_xml, empty_root

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
        assert ticker.pid in cg.pids()  # (with the sleep it may have forked since)
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
    else:  # libvirt 9.0 writes the shares into cpu.weight as they are
        assert Path(str(layout.v2), rel, "cpu.max").read_text().split() == ["25000", "50000"]
        assert Path(str(layout.v2), rel, "cpu.weight").read_text().strip() == "512"
    dom.destroy()


def test_domstats_come_from_the_containers_cgroup(lxc: pyvirt.Connection, rootfs: str) -> None:
    busy = "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 1000"
    dom = lxc.define_domain(
        container_xml("counted", rootfs, args=["-c", busy], extra="<currentMemory unit='KiB'>49152</currentMemory>")
    )
    dom.start()
    cg = extras.cgroup(dom)
    deadline = time.monotonic() + 20
    while "sleep" not in Path(f"/proc/{live(dom).init_pid}/cmdline").read_text() and time.monotonic() < deadline:
        time.sleep(0.02)
    before = cg.cpu_time_ns()
    stats = dom.stats()
    after = cg.cpu_time_ns()
    assert stats["state.state"] == DomainState.RUNNING and stats["state.reason"] == 1
    assert 0 < before <= int(stats["cpu.time"]) <= after  # the loop is done: the counter stands still
    split = cg.cpu_user_system_ns()
    # (user/system are sampled at clock ticks on v1: they may still read 0 for a short loop)
    assert split is not None and 0 <= int(stats["cpu.user"]) <= split[0] and 0 <= int(stats["cpu.system"]) <= split[1]
    assert stats["balloon.current"] == 49152 and stats["balloon.maximum"] == 65536
    assert abs(int(stats["balloon.rss"]) - cg.memory_usage_kib()) < 1024  # the same counter, read twice
    assert dom.memory_stats()["actual"] == 49152
    dom.suspend()
    assert dom.stats()["state.state"] == DomainState.PAUSED
    dom.destroy()
    assert dom.stats() == {"state.state": DomainState.SHUTOFF, "state.reason": 2}  # destroyed


def test_v2_takes_devices_through_bpf_even_without_controllers(tmp_path: Path) -> None:
    root = tmp_path / "unified"
    root.mkdir()
    (root / "cgroup.controllers").write_text("")
    assert layout_of(tmp_path, f"cgroup2 {root} cgroup2 rw 0 0\n").backend("devices") == "v2"
    assert layout_of(tmp_path, V1 + "cgroup /sys/fs/cgroup/devices cgroup rw,devices 0 0\n").backend("devices") == "v1"


def test_device_rules_parse_as_v1_writes_them() -> None:
    assert devbpf.Rule.parse("c 136:* rw") == devbpf.Rule("c", 136, None, 6)
    assert devbpf.Rule.parse("a") == devbpf.Rule("a", None, None, 7)
    for bad in ("c 1 rwm", "x 1:3 rwm", "c 1:3 rwz", ""):
        with pytest.raises(ValueError, match="not a device rule"):
            devbpf.Rule.parse(bad)


UNIFIED = cgroups.detect().v2


def _probe_in_cgroup(cgroup_dir: str, probes: list[tuple[str, str]]) -> list[str]:
    """Fork a child into ``cgroup_dir`` and try each probe there: ``("open-r", path)``,
    ``("open-w", path)`` or ``("mknod", "c MAJ:MIN path")``; each answer is ``ok`` or the error."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            Path(cgroup_dir, "cgroup.procs").write_text(str(os.getpid()))
            answers = []
            for what, arg in probes:
                try:
                    if what == "mknod":
                        _, numbers, path = arg.split()
                        major, minor = (int(n) for n in numbers.split(":"))
                        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(major, minor))
                    else:
                        os.close(os.open(arg, os.O_RDONLY if what == "open-r" else os.O_WRONLY))
                    answers.append("ok")
                except OSError as exc:
                    answers.append(exc.strerror or "error")
            os.write(write_end, json.dumps(answers).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as f:
            return list(json.loads(f.read() or b"[]"))
    finally:
        os.waitpid(pid, 0)


@pytest.mark.skipif(UNIFIED is None, reason="no cgroup2 mount here")
def test_device_program_on_the_real_unified_hierarchy(tmp_path: Path) -> None:
    """The BPF program itself, on this kernel's cgroup2 hierarchy (which needs no controller
    for it): what the rules allow opens, everything else is refused with EPERM, even to root."""
    cg = Path(str(UNIFIED), f"pyvirt-lxc-bpf-test-{secrets.token_hex(3)}")
    cg.mkdir()
    try:
        devbpf.attach(str(cg), [devbpf.Rule.parse(r) for r in ("c 1:3 rwm", "c 1:5 r", "c 136:* rw", "b 1:7 rwm")])
        nodes = tmp_path / "nodes"
        nodes.mkdir()
        os.mknod(nodes / "null", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        os.mknod(nodes / "full", 0o600 | stat.S_IFCHR, os.makedev(1, 7))  # allowed only as a block device
        os.mknod(nodes / "pty", 0o600 | stat.S_IFCHR, os.makedev(136, 4242))
        probes = [
            ("open-w", str(nodes / "null")),  # allowed rwm
            ("open-r", "/dev/zero"),  # allowed read
            ("open-w", "/dev/zero"),  # ...but not write
            ("open-r", str(nodes / "full")),  # c 1:7: only b 1:7 is allowed
            ("open-r", str(nodes / "pty")),  # the minor wildcard: past the check, no such pty (EIO)
            ("mknod", f"c 1:3 {nodes / 'null2'}"),  # m allowed
            ("mknod", f"c 1:5 {nodes / 'zero2'}"),  # m not allowed
        ]
        answers = _probe_in_cgroup(str(cg), probes)
        refused = "Operation not permitted"
        assert answers[:4] == ["ok", "ok", refused, refused]
        assert answers[4] not in ("ok", refused)
        assert answers[5:] == ["ok", refused]
        # outside the cgroup the same opens work: the refusals came from the program
        os.close(os.open("/dev/zero", os.O_WRONLY))
        os.close(os.open(nodes / "full", os.O_RDONLY))
    finally:
        cg.rmdir()


@pytest.fixture(params=["v1", "v2-bpf"])
def device_layout(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The host's layout (``v1``: its devices controller), or the same host as a v2-only host
    would be for devices: no v1 devices hierarchy, so the rules become a BPF program on the
    container's cgroup in the real unified hierarchy."""
    real = cgroups.detect()
    if request.param == "v1":
        if real.backend("devices") != "v1":
            pytest.skip(f"no v1 devices controller on this {real.kind} host")
    else:
        if real.v2 is None:
            pytest.skip("no cgroup2 mount here")
        without = Layout({k: v for k, v in real.v1.items() if k != "devices"}, real.v2)
        monkeypatch.setattr(cgroups, "detect", lambda *_: without)
    return str(request.param)


def test_only_the_minimal_dev_is_allowed(device_layout: str, tmp_path: Path, rootfs: str) -> None:
    root = str(tmp_path / "root")
    try:
        with pyvirt.open(f"lxc:///embed?root={root}") as lxc:
            dom = lxc.create_domain(container_xml("devs", rootfs, args=["-c", "exec sleep 1000"]))
            rel = Path("pyvirt-lxc", embed_scope(root), "devs")
            layout = cgroups.detect()
            if device_layout == "v1":
                listed = Path(layout.v1["devices"], rel, "devices.list").read_text()
                assert sorted(listed.split("\n")[:-1]) == sorted(DEVICE_RULES)
            else:
                assert Path(str(layout.v2), rel).is_dir()
                assert str(live(dom).init_pid) in Path(str(layout.v2), rel, "cgroup.procs").read_text().split()
            # a device outside the list cannot be opened from inside, even by root
            kmsg = f"/proc/{live(dom).init_pid}/root/tmp/kmsg-{device_layout}"
            os.mknod(kmsg, 0o600 | stat.S_IFCHR, os.makedev(1, 11))
            try:
                proc = extras.enter_namespace(
                    dom, ["sh", "-c", f"head -c1 /tmp/{Path(kmsg).name}"], stderr=subprocess.PIPE
                )
                assert proc.wait(timeout=PATIENCE) != 0 and b"Operation not permitted" in proc.stderr.read()  # type: ignore[union-attr]
                assert (
                    extras.enter_namespace(dom, ["sh", "-c", "head -c1 /dev/zero >/dev/null"]).wait(timeout=PATIENCE)
                    == 0
                )
                # and the init itself (not only what enter_namespace runs) is held to it
                with open(f"/proc/{live(dom).init_pid}/cgroup") as f:
                    assert any(line.startswith("0::/pyvirt-lxc/") for line in f) == (device_layout == "v2-bpf")
            finally:
                os.remove(kmsg)
            dom.destroy()
            assert not Path(str(layout.v2), rel).exists()
    finally:
        empty_root(root)


def live(dom: pyvirt.Domain) -> Runtime:
    found = extras.runtime(dom)
    assert found is not None
    return found
