"""Bad input gives a clear error and leaves nothing behind: no cgroup, no monitor, no veth."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import pyvirt
from pyvirt import DomainState
from pyvirt_lxc import netdev, testing
from pyvirt_lxc.testing import container_xml

IDMAP_OVERLAP = (
    "<idmap><uid start='0' target='300000' count='1000'/><uid start='500' target='400000' count='1000'/>"
    "<gid start='0' target='300000' count='1000'/></idmap>"
)


@pytest.mark.parametrize(
    ("what", "xml_args", "message"),
    [
        ("no rootfs", {"rootfs": "/nonexistent/rootfs"}, "root filesystem '/nonexistent/rootfs' does not exist"),
        ("no init", {"init": "/bin/no-such-init"}, "cannot run <init> '/bin/no-such-init' inside the container"),
        ("tiny memory", {"memory_kib": 1}, "memory limit"),
        ("huge memory", {"memory_kib": 2**53}, "the kernel refused memory limit"),
        ("bad idmap", {"extra": IDMAP_OVERLAP}, "the kernel refused the <idmap> uid ranges"),
        ("bad initdir", {"initdir": "/no/such/dir"}, "cannot enter <initdir> '/no/such/dir'"),
    ],
)
def test_refused_start_leaves_nothing(
    lxc: pyvirt.Connection, lxc_root: str, rootfs: str, what: str, xml_args: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"rootfs": rootfs, **xml_args}
    eth = "<interface type='ethernet'><target dev='pvtbad0'/></interface>"
    xml = container_xml("bad", str(args.pop("rootfs")), extra_devices=eth, **args)  # type: ignore[arg-type]
    dom = lxc.define_domain(xml)
    mounts_before = Path("/proc/self/mountinfo").read_text()
    with pytest.raises(pyvirt.PyvirtError, match=re.escape(message)) as info:
        dom.start()
    assert info.value.code == pyvirt.ErrorCode.OPERATION_FAILED
    assert dom.state()[0] == DomainState.SHUTOFF and not dom.is_active()
    assert testing.leftovers(lxc_root) == []
    assert netdev.existing(["pvtbad0"]) == []
    assert Path("/proc/self/mountinfo").read_text() == mounts_before
    assert sorted(os.listdir(os.path.join(lxc_root, "run"))) == ["driver.lock"]
    # the process keeps serving: the same domain starts once fixed
    dom.undefine()


def test_xml_that_is_no_container_is_refused_at_define(lxc: pyvirt.Connection, rootfs: str) -> None:
    with pytest.raises(pyvirt.PyvirtError, match="not 'exe'"):
        lxc.define_domain(container_xml("vm", rootfs).replace(">exe<", ">hvm<"))
    with pytest.raises(pyvirt.PyvirtError, match="no <init> given"):
        lxc.define_domain(container_xml("noinit", rootfs).replace("<init>/bin/sh</init>", ""))
    with pytest.raises(pyvirt.PyvirtError, match="no root filesystem"):
        lxc.define_domain(
            "<domain type='lxc'><name>x</name><memory>1024</memory>"
            "<os><type>exe</type><init>/bin/sh</init></os></domain>"
        )
    assert lxc.list_domains() == []
