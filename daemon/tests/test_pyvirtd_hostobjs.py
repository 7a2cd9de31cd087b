"""Real virsh and python3-libvirt through pyvirtd behave as on libvirt's own test driver for
host interfaces, node devices, scheduler parameters, checkpoints and screenshots (issue 14):
same stdout, stderr and exit status, and the same error codes and domains.

Each sequence runs in one virsh session on a fresh daemon (libvirt's default node), and on
``test:///default`` in a fresh real virsh; creation times are the only text that differs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pyvirtd_helpers import system_python, virsh

from pyvirt_daemon.process import DaemonProcess

pytestmark = pytest.mark.needs_libvirt("virsh")

VHBA_XML = (
    "<device><parent>scsi_host1</parent><capability type='scsi_host'><capability type='fc_host'>"
    "<wwnn>2001001b32a9da4e</wwnn><wwpn>2101001b32a9da4e</wwpn></capability></capability></device>"
)
IFACE_XML = "<interface type='ethernet' name='eth9'><mtu size='1500'/><mac address='52:54:00:00:00:09'/></interface>"

SEQUENCES = [
    "iface-list --all; iface-list --inactive; iface-dumpxml eth1; iface-mac eth1; iface-name aa:bb:cc:dd:ee:ff",
    "iface-dumpxml nosuch; iface-name 00:00:00:00:00:01; iface-start eth1",
    "iface-dumpxml eth1 --inactive",
    "iface-define {iface}; iface-list --all; iface-dumpxml eth9; iface-start eth9; iface-list; iface-destroy eth9; "
    "iface-undefine eth9; iface-list --all",
    "iface-begin; iface-define {iface}; iface-rollback; iface-list --all; iface-commit",
    "nodedev-list",
    "nodedev-list --cap scsi_host",
    "nodedev-create {vhba}; nodedev-dumpxml scsi_host12; nodedev-destroy scsi_host12; nodedev-destroy computer",
    "nodedev-dumpxml computer; nodedev-dumpxml scsi_host1; nodedev-dumpxml scsi_host11; nodedev-dumpxml nosuch",
    "schedinfo test; schedinfo test --weight 10; schedinfo test --set cpu_shares=3",
    "schedinfo test --config",
    "checkpoint-create-as test c1 --description first; checkpoint-create-as test c2; "
    "checkpoint-list test --parent; checkpoint-list test --roots; checkpoint-list test --leaves; "
    "checkpoint-parent test c2; checkpoint-parent test c1; checkpoint-dumpxml test c2; "
    "checkpoint-dumpxml test c1 --no-domain --size; checkpoint-info test c1",
    "checkpoint-create-as test c1; checkpoint-create-as test c2; checkpoint-create-as test c3; "
    "checkpoint-delete test c2; checkpoint-list test --parent; checkpoint-delete test c1 --children; "
    "checkpoint-list test; checkpoint-dumpxml test nosuch",
    "checkpoint-create-as test c1; snapshot-create-as test s1",
    "destroy test; checkpoint-create-as test x",
    "snapshot-create-as test s1; checkpoint-create-as test x",
]

_TIMES = [
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}"), "DATE"),
    (re.compile(r"<creationTime>\d+"), "<creationTime>T"),
]


def _stable(text: str) -> str:
    for pattern, replacement in _TIMES:
        text = pattern.sub(replacement, text)
    return text


@pytest.mark.parametrize("sequence", SEQUENCES)
def test_virsh_sequence_as_on_libvirt(sequence: str, pyvirtd: DaemonProcess, tmp_path: Path) -> None:
    iface = tmp_path / "iface.xml"
    iface.write_text(IFACE_XML)
    vhba = tmp_path / "vhba.xml"
    vhba.write_text(VHBA_XML)
    command = sequence.format(iface=iface, vhba=vhba)
    remote = virsh(pyvirtd.uri(), command)
    local = virsh("test:///default", command)
    assert (remote.returncode, _stable(remote.stdout), _stable(remote.stderr)) == (
        local.returncode,
        _stable(local.stdout),
        _stable(local.stderr),
    )


def test_screenshot_stream_and_mime_type(pyvirtd: DaemonProcess, tmp_path: Path) -> None:
    """virsh saves the stream and names libvirt's MIME type; the bytes are a PNG of pyvirt's own."""
    shot = tmp_path / "shot.png"
    remote = virsh(pyvirtd.uri(), f"screenshot test {shot}")
    assert remote.returncode == 0, remote.stderr
    assert remote.stdout.strip() == f"Screenshot saved to {shot}, with type of image/png"
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


ERRORS = r"""
import json, sys, libvirt
libvirt.registerErrorHandler(lambda c, e: None, None)
c = libvirt.open(sys.argv[1])
d = c.lookupByName("test")
out = []
calls = [
    lambda: [x.name() for x in c.listAllInterfaces(0)],
    lambda: c.listInterfaces(), lambda: c.listDefinedInterfaces(), lambda: c.numOfInterfaces(),
    lambda: c.interfaceLookupByMACString("aa:bb:cc:dd:ee:ff").name(),
    lambda: c.interfaceLookupByName("nosuch"),
    lambda: c.interfaceDefineXML("<x/>"),
    lambda: c.interfaceDefineXML("<interface name='a'/>"),
    lambda: c.interfaceDefineXML("<interface type='ethernet'/>"),
    lambda: c.interfaceLookupByName("eth1").isActive(),
    lambda: c.interfaceLookupByName("eth1").create(),
    lambda: c.changeCommit(),
    lambda: sorted(x.name() for x in c.listAllDevices(0)),
    lambda: sorted(x.name() for x in c.listAllDevices(libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_FC_HOST)),
    lambda: sorted(x.name() for x in c.listAllDevices(libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_VPORTS)),
    lambda: sorted(c.listDevices("scsi_host", 0)), lambda: c.numOfDevices(None, 0),
    lambda: c.listDevices("nosuchcap", 0), lambda: c.numOfDevices("nosuchcap", 0),
    lambda: sorted(c.listDevices("vports", 0)),
    lambda: c.nodeDeviceLookupByName("scsi_host11").parent(),
    lambda: c.nodeDeviceLookupByName("computer").parent(),
    lambda: c.nodeDeviceLookupByName("scsi_host1").listCaps(),
    lambda: c.nodeDeviceLookupByName("nosuch"),
    lambda: d.schedulerType(), lambda: d.schedulerParameters(),
    lambda: d.setSchedulerParameters({"weight": 7}),
    lambda: d.schedulerParametersFlags(0),
    lambda: d.checkpointCreateXML("<domaincheckpoint><name>a</name></domaincheckpoint>").getName(),
    lambda: d.checkpointCreateXML("<domaincheckpoint><name>a</name></domaincheckpoint>"),
    lambda: d.checkpointCreateXML("<domaincheckpoint><name>b</name></domaincheckpoint>").getParent().getName(),
    lambda: sorted(x.getName() for x in d.listAllCheckpoints(0)),  # libvirt: hash order
    lambda: [x.getName() for x in d.checkpointLookupByName("a").listAllChildren(0)],
    lambda: d.checkpointLookupByName("a").getParent(),
    lambda: d.checkpointLookupByName("nosuch"),
    lambda: d.checkpointLookupByName("a").delete(0),
    lambda: [x.getName() for x in d.listAllCheckpoints(libvirt.VIR_DOMAIN_CHECKPOINT_LIST_ROOTS)],
]
for call in calls:
    try:
        out.append(call())
    except libvirt.libvirtError as e:
        out.append([e.get_error_code(), e.get_error_domain(), str(e)])
print(json.dumps(out))
"""


def test_python_libvirt_calls_and_errors_as_on_libvirt(pyvirtd: DaemonProcess) -> None:
    remote = system_python(ERRORS, pyvirtd.uri())
    local = system_python(ERRORS, "test:///default")
    assert remote.returncode == 0 and local.returncode == 0, remote.stderr + local.stderr
    assert json.loads(remote.stdout) == json.loads(local.stdout)
