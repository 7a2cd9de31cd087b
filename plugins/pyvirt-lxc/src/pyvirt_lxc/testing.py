"""Helpers shared by the LXC tests and ``bench/bench_lxc.py``: a busybox root filesystem,
container XML, and a check that a root left nothing on the host."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

import pyvirt
from pyvirt.types import ListFilter
from pyvirt_lxc import cgroups
from pyvirt_lxc.driver import embed_scope

PATIENCE = float(os.environ.get("PYVIRT_LXC_TEST_PATIENCE", "20"))
"""Seconds a test waits for what should happen at once before it fails; raised on slow machines
(``tools/v2-vm.sh`` runs the tests in an emulated VM, where starting Python takes seconds)."""

BUSYBOX = "/bin/busybox"
"""Debian's ``busybox-static``: one static binary, so the rootfs needs no libraries."""


def build_rootfs(path: str) -> str:
    """Make a minimal root filesystem at ``path``: busybox and a link per applet."""
    if not os.path.exists(BUSYBOX):
        raise FileNotFoundError(f"{BUSYBOX} is missing: install Debian's busybox-static")
    for sub in ("bin", "sbin", "etc", "tmp", "proc", "sys", "dev", "mnt", "root"):
        os.makedirs(os.path.join(path, sub), exist_ok=True)
    shutil.copy2(BUSYBOX, os.path.join(path, "bin", "busybox"))
    applets = subprocess.run([BUSYBOX, "--list"], check=True, capture_output=True, text=True).stdout.split()
    for applet in applets:
        link = os.path.join(path, "bin", applet)
        if applet != "busybox" and not os.path.lexists(link):
            os.symlink("busybox", link)
    with open(os.path.join(path, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n")
    return path


def container_xml(
    name: str,
    rootfs: str,
    *,
    init: str = "/bin/sh",
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    initdir: str | None = None,
    memory_kib: int = 65536,
    extra_devices: str = "",
    extra: str = "",
    uuid: str | None = None,
) -> str:
    """A container document: ``rootfs`` as ``/`` plus whatever ``extra_devices`` adds."""
    os_lines = [f"<init>{escape(init)}</init>"]
    os_lines += [f"<initarg>{escape(a)}</initarg>" for a in args]
    os_lines += [f"<initenv name={quoteattr(k)}>{escape(v)}</initenv>" for k, v in (env or {}).items()]
    if initdir:
        os_lines.append(f"<initdir>{escape(initdir)}</initdir>")
    uuid_line = f"<uuid>{uuid}</uuid>" if uuid else ""
    return (
        f"<domain type='lxc'><name>{escape(name)}</name>{uuid_line}<memory unit='KiB'>{memory_kib}</memory>"
        f"<os><type>exe</type>{''.join(os_lines)}</os>{extra}<devices>"
        f"<filesystem type='mount'><source dir={quoteattr(rootfs)}/><target dir='/'/></filesystem>"
        f"{extra_devices}<console type='pty'/></devices></domain>"
    )


def scope_dirs(root: str) -> list[str]:
    """The cgroup directories that hold an embedded root's containers, in every hierarchy."""
    layout = cgroups.detect()
    mounts = list(dict.fromkeys(layout.v1.values())) + ([layout.v2] if layout.v2 else [])
    return [os.path.join(m, "pyvirt-lxc", embed_scope(root)) for m in mounts]


def leftovers(root: str) -> list[str]:
    """What an embedded root left on the host: cgroup directories and live console sockets
    (a monitor process holds its container's socket until it exits)."""
    found = [d for d in scope_dirs(root) if os.path.isdir(d)]
    run_dir = os.path.join(root, "run")
    with open("/proc/net/unix") as f:
        found += [line.split()[-1] for line in f if run_dir in line]
    return found


def empty_root(root: str) -> None:
    """Destroy and undefine everything in ``root``; then nothing of it may remain on the host."""
    if not os.path.isdir(os.path.join(root, "run")):
        return
    with pyvirt.open(f"lxc:///embed?root={root}") as conn:
        for dom in conn.list_domains(ListFilter.ACTIVE):
            dom.destroy()
        for dom in conn.list_domains():
            dom.undefine()
    left = leftovers(root)
    if left:
        raise AssertionError(f"LXC root {root} left {left} on the host")
