"""pyvirsh against real virsh for host interfaces, node devices, schedinfo, checkpoints and
screenshots (issue 14): same stdout, stderr and exit status on ``test:///default``.

Each case is one invocation (commands joined with ``;``) of a fresh process of each program, so
change sequences start from libvirt's default node.  Creation times are masked: the two
programs do not run in the same second.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.needs_libvirt("virsh")

IFACE_DOCS = {
    "br.xml": "<interface type='bridge' name='br0'><start mode='onboot'/><mtu size='1500'/>"
    "<protocol family='ipv4'><dhcp/></protocol><bridge stp='off' delay='0.01'>"
    "<interface type='ethernet' name='eth0'><mac address='ab:bb:cc:dd:ee:ff'/></interface>"
    "<interface type='ethernet' name='eth1'/></bridge></interface>",
    "bond.xml": "<interface type='bond' name='bond0'><start mode='none'/><protocol family='ipv4'>"
    "<ip address='192.168.50.7' prefix='24'/><route gateway='192.168.50.1'/></protocol>"
    "<bond mode='active-backup'><miimon freq='100' updelay='10' carrier='ioctl'/>"
    "<interface type='ethernet' name='eth1'><mac address='ab:bb:cc:dd:ee:fe'/></interface></bond></interface>",
    "vlan.xml": "<interface type='vlan' name='eth0.42'><start mode='onboot'/><protocol family='ipv4'>"
    "<dhcp peerdns='no'/></protocol><vlan tag='42'><interface name='eth0'/></vlan></interface>",
    "eth5.xml": "<interface type='ethernet' name='eth5'><mac address='aa:bb:cc:dd:ee:00'/>"
    "<link speed='1000' state='up'/><start mode='hotplug'/><protocol family='ipv6'><autoconf/><dhcp/>"
    "<ip address='fe80::1' prefix='64'/></protocol><protocol family='ipv4'><ip address='10.0.0.2' prefix='8'/>"
    "</protocol></interface>",
    "e2.xml": "<interface type='ethernet' name='e2'/>",
}
CHECKPOINT_META = """<domaincheckpoint>
  <name>a</name>
  <creationTime>1700000000</creationTime>
  <disks>
    <disk name='vda' checkpoint='bitmap' bitmap='a'/>
  </disks>
</domaincheckpoint>
"""
CHECKPOINT_FULL = CHECKPOINT_META.replace(
    "</domaincheckpoint>",
    "<domain type='test'><name>test</name><uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>"
    "<memory unit='KiB'>8388608</memory><os><type arch='i686'>hvm</type></os><devices>"
    "<disk type='file' device='disk'><source file='/guest/diskimage1'/><target dev='vda' bus='virtio'/></disk>"
    "</devices></domain></domaincheckpoint>",
)
VHBA_XML = """<device>
  <parent>scsi_host1</parent>
  <capability type='scsi_host'>
    <capability type='fc_host'>
      <wwnn>2001001b32a9da4e</wwnn>
      <wwpn>2101001b32a9da4e</wwpn>
    </capability>
  </capability>
</device>
"""
IFACE_XML = "<interface type='ethernet' name='eth9'><mtu size='1500'/><mac address='52:54:00:00:00:09'/></interface>"

CASES = [
    "iface-list; iface-list --all; iface-list --inactive",
    "iface-dumpxml eth1; iface-dumpxml aa:bb:cc:dd:ee:ff; iface-mac eth1; iface-name aa:bb:cc:dd:ee:ff",
    "iface-mac nosuch; iface-name 00:11:22:33:44:55; iface-dumpxml nosuch; iface-dumpxml eth1 --inactive",
    "iface-define if.xml; iface-list --all; iface-dumpxml eth9; iface-start eth9; iface-start eth9; iface-list",
    "iface-destroy eth1; iface-list --all",
    "iface-undefine eth1; iface-list --all; iface-define nosuch.xml",
    "iface-begin; iface-begin; iface-define if.xml; iface-rollback; iface-list --all; iface-commit",
    "iface-begin; iface-commit; iface-rollback",
    "iface-define br.xml; iface-define bond.xml; iface-define vlan.xml; iface-define eth5.xml; iface-define e2.xml; "
    "iface-dumpxml br0; iface-dumpxml bond0; iface-dumpxml eth0.42; iface-dumpxml eth5; iface-dumpxml e2; "
    "iface-list --all",
    "nodedev-list",
    "nodedev-list --all",
    "nodedev-list --cap scsi_host",
    "nodedev-list --cap nosuch",
    "nodedev-list --tree --cap system",
    "nodedev-dumpxml computer; nodedev-dumpxml scsi_host1; nodedev-dumpxml scsi_host2; nodedev-dumpxml scsi_host11",
    "nodedev-dumpxml nosuch",
    "nodedev-create vhba.xml; nodedev-dumpxml scsi_host12; nodedev-create vhba.xml; nodedev-destroy scsi_host12; "
    "nodedev-dumpxml scsi_host12",
    "nodedev-create computer.xml; nodedev-create nowwn.xml; nodedev-create vhba11.xml; nodedev-create if.xml",
    "nodedev-destroy computer; nodedev-dumpxml computer; nodedev-destroy nosuch",
    "schedinfo test; schedinfo 1; schedinfo nosuch",
    "schedinfo test --weight 10; schedinfo test --set weight=20",
    "schedinfo test --set weight=abc",
    "schedinfo test --set cpu_shares=3",
    "schedinfo test --set weight",
    "schedinfo test --cap 5",
    "schedinfo test --live",
    "schedinfo test --config --weight 5",
    "checkpoint-create-as test c1 --description first; checkpoint-create-as test c2; checkpoint-create test; "
    "checkpoint-list test --parent; checkpoint-list test --roots; checkpoint-list test --leaves --name",
    "checkpoint-create-as test a; checkpoint-create-as test b; checkpoint-create-as test c; "
    "checkpoint-list test --tree; checkpoint-list test --from a; checkpoint-list test --from a --descendants --tree; "
    "checkpoint-list test --no-leaves; checkpoint-list test --topological --name",
    "checkpoint-create-as test a; checkpoint-create-as test b; checkpoint-info test b; checkpoint-info test a; "
    "checkpoint-parent test b; checkpoint-parent test a; checkpoint-parent test",
    "checkpoint-create-as test a; checkpoint-dumpxml test a; checkpoint-dumpxml test a --no-domain; "
    "checkpoint-dumpxml test a --size --no-domain; checkpoint-dumpxml test nosuch",
    "checkpoint-create-as test a; checkpoint-create-as test b; checkpoint-create-as test c; "
    "checkpoint-delete test b; checkpoint-list test --parent; checkpoint-delete test a --children-only; "
    "checkpoint-list test --name; checkpoint-delete test a --children; checkpoint-list test",
    "checkpoint-create-as test --print-xml --name x --description d --diskspec vda,checkpoint=bitmap,bitmap=bb",
    "checkpoint-create-as test --diskspec vdz; checkpoint-create-as test --diskspec vda,foo=1; "
    "checkpoint-create-as test --diskspec vda,checkpoint=no; checkpoint-list test --name",
    "checkpoint-create test --xmlfile if.xml; checkpoint-list test --descendants; checkpoint-list test --tree --name",
    "destroy test; checkpoint-create-as test x",
    "checkpoint-create test meta.xml --redefine; checkpoint-list test --name; checkpoint-create-as test b; "
    "checkpoint-list test --parent; checkpoint-create test meta.xml --redefine; checkpoint-dumpxml test a",
    "checkpoint-create test full.xml --redefine; checkpoint-dumpxml test a; checkpoint-info test a",
    "checkpoint-create test full.xml --redefine-validate; "
    "checkpoint-create test full.xml --redefine --redefine-validate",
    "checkpoint-create test if.xml --redefine; checkpoint-create test nocreation.xml --redefine",
    "snapshot-create-as test s1; checkpoint-create-as test x",
    "checkpoint-create-as test c1; snapshot-create-as test s1; checkpoint-delete test c1; snapshot-create-as test s1",
    "screenshot test shot.png; screenshot nosuch",
]

_MASKS = [
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}"), "<time>"),
    (re.compile(r"<creationTime>\d+"), "<creationTime>"),
    (re.compile(r"\b1\d{9}\b"), "<epoch>"),  # checkpoints named after their creation time
]
PYVIRSH = [sys.executable, "-m", "pyvirt.cli"]


def _run(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PYVIRT_", "LIBVIRT_"))}
    environment.update(LC_ALL="C", LANG="C")
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, env=environment, timeout=30)
    out, err = proc.stdout, proc.stderr
    for pattern, replacement in _MASKS:
        out, err = pattern.sub(replacement, out), pattern.sub(replacement, err)
    return proc.returncode, out, err


@pytest.mark.parametrize("command", CASES)
def test_same_as_virsh(command: str, tmp_path: Path) -> None:
    (tmp_path / "if.xml").write_text(IFACE_XML)
    (tmp_path / "vhba.xml").write_text(VHBA_XML)
    (tmp_path / "meta.xml").write_text(CHECKPOINT_META)
    (tmp_path / "full.xml").write_text(CHECKPOINT_FULL)
    (tmp_path / "nocreation.xml").write_text(CHECKPOINT_META.replace("<creationTime>1700000000</creationTime>", ""))
    for name, text in IFACE_DOCS.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "computer.xml").write_text(VHBA_XML.replace("scsi_host1<", "computer<"))
    (tmp_path / "vhba11.xml").write_text(VHBA_XML.replace("scsi_host1<", "scsi_host11<"))
    (tmp_path / "nowwn.xml").write_text(VHBA_XML.replace("<wwnn>2001001b32a9da4e</wwnn>", ""))
    real = _run(["virsh", "-c", "test:///default", command], tmp_path)
    ours = _run([*PYVIRSH, "-c", "test:///default", command], tmp_path)
    assert ours == real


def test_screenshot_without_a_file_names_it_after_the_domain(tmp_path: Path) -> None:
    """virsh's generated name: domain, local time, the MIME type's extension; the file is a PNG."""
    status, out, err = _run([*PYVIRSH, "-c", "test:///default", "screenshot test"], tmp_path)
    assert (status, err) == (0, ""), err
    made = list(tmp_path.glob("test-*.png"))
    assert len(made) == 1 and re.fullmatch(r"test-\d{4}-\d\d-\d\d-\d\d:\d\d:\d\d\.png", made[0].name)
    assert out == f"Screenshot saved to {made[0].name}, with type of image/png\n"
    assert made[0].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
