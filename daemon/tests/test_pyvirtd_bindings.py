"""libvirt's Python bindings (python3-libvirt, run by /usr/bin/python3) through pyvirtd give
what they give on libvirt's own test driver: lookups, listings, lifecycle, errors, events."""

from __future__ import annotations

import json

import pytest
from pyvirtd_helpers import system_python

from pyvirt_daemon.process import DaemonProcess

pytestmark = pytest.mark.needs_libvirt("bindings")

SCRIPT = r"""
import json, sys, threading, time
import libvirt

libvirt.registerErrorHandler(lambda ctx, err: None, None)
libvirt.virEventRegisterDefaultImpl()
threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)], daemon=True).start()

out = {}
conn = libvirt.open(sys.argv[1])
out["node"] = [conn.getType(), conn.getVersion(), conn.getLibVersion(), conn.getInfo(),
               conn.getFreeMemory() > 0, conn.getCellsFreeMemory(0, 2)]
dom = conn.lookupByName("test")
out["dom"] = [dom.name(), dom.ID(), dom.UUIDString(), dom.state(), dom.info()[:4], dom.isActive(),
              dom.isPersistent(), dom.autostart(), dom.OSType(), dom.maxMemory(), dom.maxVcpus()]
out["same"] = conn.lookupByUUIDString(dom.UUIDString()).name() == conn.lookupByID(dom.ID()).name() == "test"
events = []
cb = conn.domainEventRegisterAny(
    None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, lambda c, d, ev, det, op: events.append([d.name(), ev, det]), None
)
dom.suspend(); dom.resume(); dom.destroy(); dom.create()
deadline = time.time() + 10
while len(events) < 4 and time.time() < deadline:
    time.sleep(0.05)
conn.domainEventDeregisterAny(cb)
out["events"] = events
try:
    conn.lookupByName("nosuch")
except libvirt.libvirtError as e:
    out["error"] = [e.get_error_code(), e.get_error_domain(), str(e)]
xml = "<domain type='test'><name>py</name><memory>65536</memory><os><type>hvm</type></os></domain>"
new = conn.defineXML(xml)
out["defined"] = sorted(d.name() for d in conn.listAllDomains())  # libvirt lists in hash order
new.undefine()
out["lists"] = [sorted(d.name() for d in conn.listAllDomains()), [n.name() for n in conn.listAllNetworks()],
                [p.name() for p in conn.listAllStoragePools()],
                [v.name() for v in conn.storagePoolLookupByName("default-pool").listAllVolumes()],
                conn.listDomainsID(), conn.listDefinedDomains(), conn.numOfDomains(), conn.listNetworks()]
conn.close()
ro = libvirt.openReadOnly(sys.argv[1])
try:
    ro.lookupByName("test").destroy()
except libvirt.libvirtError as e:
    out["readonly"] = [e.get_error_code(), str(e)]
print(json.dumps(out))
"""


def _run(uri: str) -> dict[str, object]:
    done = system_python(SCRIPT, uri)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_bindings_behave_as_on_libvirt(pyvirtd: DaemonProcess) -> None:
    remote, local = _run(pyvirtd.uri()), _run("test:///default")
    assert remote["events"] == [["test", 3, 0], ["test", 4, 0], ["test", 5, 1], ["test", 2, 0]]
    assert remote["error"] == [42, 12, "Domain not found"]
    assert remote["readonly"] == [29, "operation forbidden: read only access prevents virDomainDestroy"]
    assert remote == local


def test_bindings_on_read_only_socket(pyvirtd: DaemonProcess) -> None:
    script = (
        "import sys, libvirt\n"
        "libvirt.registerErrorHandler(lambda c, e: None, None)\n"
        "c = libvirt.open(sys.argv[1])\n"
        "print([d.name() for d in c.listAllDomains()])\n"
        "try:\n    c.lookupByName('test').suspend()\nexcept libvirt.libvirtError as e:\n    print(e)\n"
    )
    done = system_python(script, pyvirtd.uri(readonly=True))
    assert done.stdout.splitlines() == [
        "['test']",
        "operation forbidden: read only access prevents virDomainSuspend",
    ], done.stderr


UNSUPPORTED = r"""
import json, sys, libvirt
libvirt.registerErrorHandler(lambda c, e: None, None)
c = libvirt.open(sys.argv[1])
out = []
for call in (lambda: c.listAllNWFilters(), lambda: c.networkLookupByName("default").DHCPLeases()):
    try:
        call()
        out.append(None)
    except libvirt.libvirtError as e:
        out.append([e.get_error_code(), e.get_error_domain(), str(e)])
print(json.dumps(out))
"""


def test_missing_apis_refused_as_libvirt_refuses_them(shared_pyvirtd: DaemonProcess) -> None:
    """APIs neither pyvirt nor libvirt's test driver has: same code, error domain and text."""
    remote = system_python(UNSUPPORTED, shared_pyvirtd.uri())
    local = system_python(UNSUPPORTED, "test:///default")
    assert remote.returncode == 0 and local.returncode == 0, remote.stderr + local.stderr
    assert json.loads(remote.stdout) == json.loads(local.stdout)
    assert json.loads(remote.stdout)[0][:2] == [3, 33]
