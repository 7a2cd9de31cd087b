"""Calls a libvirt-python program makes on ``test:///default``, printed one JSON line each.

Run by ``test_differential.py`` twice: with ``/usr/bin/python3`` (python3-libvirt, real libvirt
9.0.0) and with pyvirt-libvirt's ``libvirt`` first on ``sys.path``; the two outputs must match
line for line.  A failing call prints its error tuple, as libvirt-python hands it to the error
handler, and the handler's calls are recorded too.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import libvirt

handled: list[Any] = []


def handler(ctx: Any, err: Any) -> None:
    handled.append([ctx, list(err)])


def show(label: str, call: Callable[[], Any]) -> None:
    handled.clear()
    try:
        value = call()
        out: dict[str, Any] = {"call": label, "value": value if not isinstance(value, bytes) else value.hex()}
    except libvirt.libvirtError as exc:
        out = {"call": label, "error": list(exc.err or ()), "str": str(exc)}
    out["handled"] = list(handled)
    print(json.dumps(out, sort_keys=True, default=repr))


AUTH_NODE = """<node>
  <auth>
    <user password="2147483647">marin</user>
    <user password="87539319">srinivasa</user>
  </auth>
</node>"""


def auth_cases() -> None:
    """openAuth against a test-driver node file with an <auth> section: what the callback is
    asked, one credential per call, and libvirt's errors for a wrong or missing answer."""
    import os
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as node:
        node.write(AUTH_NODE)
    try:
        for label, answers, types in (
            ("auth good", {2: "srinivasa", 5: "87539319"}, [2, 5]),
            ("auth bad password", {2: "srinivasa", 5: "2147483647"}, [2, 5]),
            ("auth refused", {}, [2, 5]),
            ("auth no passphrase type", {2: "marin"}, [2]),
        ):
            asked: list[Any] = []

            def callback(
                creds: list[list[Any]], opaque: Any, answers: dict[int, str] = answers, asked: list[Any] = asked
            ) -> int:
                asked.append([c[:4] for c in creds])
                for cred in creds:
                    if cred[0] not in answers:
                        return -1
                    cred[4] = answers[cred[0]]
                return 0

            show(
                label,
                lambda types=types, callback=callback: (
                    libvirt.openAuth(f"test://{node.name}", [types, callback, None], 0).getURI()
                    == f"test://{node.name}"
                ),
            )
            show(label + " asked", lambda asked=asked: asked)
    finally:
        os.unlink(node.name)


def main() -> None:
    libvirt.registerErrorHandler(handler, "ctx")
    conn = libvirt.open(sys.argv[1] if len(sys.argv) > 1 else "test:///default")
    dom = conn.lookupByName("test")
    net = conn.networkLookupByName("default")
    pool = conn.storagePoolLookupByName("default-pool")
    show("getVersion", libvirt.getVersion)
    show("getType", conn.getType)
    show("getURI", lambda: conn.getURI().split("+")[0].split(":")[0])
    show("getInfo", conn.getInfo)
    show("getLibVersion", conn.getLibVersion)
    show("isAlive", conn.isAlive)
    show("listAllDomains", lambda: [d.name() for d in conn.listAllDomains()])
    show("listDomainsID", conn.listDomainsID)
    show("listDefinedDomains", conn.listDefinedDomains)
    show("numOfDomains", conn.numOfDomains)
    show("lookupByName missing", lambda: conn.lookupByName("nope"))
    show("lookupByUUIDString bad", lambda: conn.lookupByUUIDString("zz"))
    show("lookupByID", lambda: conn.lookupByID(1).name())
    show("lookupByUUID", lambda: conn.lookupByUUID(dom.UUID()).name())
    show("dom.UUID", dom.UUID)
    show("dom.UUIDString", dom.UUIDString)
    show("dom.ID", dom.ID)
    show("dom.state", dom.state)
    show("dom.info", lambda: dom.info()[:4])  # cpuTime is the clock
    show("dom.isActive", dom.isActive)
    show("dom.isPersistent", dom.isPersistent)
    show("dom.OSType", dom.OSType)
    show("dom.autostart", dom.autostart)
    show("dom.hasManagedSaveImage", dom.hasManagedSaveImage)
    show("dom.schedulerType", dom.schedulerType)
    show("dom.schedulerParameters", dom.schedulerParameters)
    show("dom.blockPull unsupported", lambda: dom.blockPull("vda"))
    show("dom.create running", dom.create)
    show("dom.suspend", dom.suspend)
    show("dom.state paused", dom.state)
    show("dom.resume", dom.resume)
    show("dom.destroy", dom.destroy)
    show("dom.state shutoff", dom.state)
    show("dom.ID shutoff", dom.ID)
    show("dom.destroy again", dom.destroy)
    show("dom.create", dom.create)
    show("dom.state booted", dom.state)
    show("snapshot", lambda: dom.snapshotCreateXML("<domainsnapshot><name>s1</name></domainsnapshot>").getName())
    show("snapshotListNames", dom.snapshotListNames)
    show("snapshotCurrent", lambda: dom.snapshotCurrent().getName())
    show("snapshotLookupByName missing", lambda: dom.snapshotLookupByName("nope"))
    show("snapshot delete", lambda: dom.snapshotLookupByName("s1").delete())
    show("hasCurrentSnapshot", dom.hasCurrentSnapshot)
    show("defineXML bad", lambda: conn.defineXML("<domain"))
    show("net.name", net.name)
    show("net.isActive", net.isActive)
    show("net.bridgeName", net.bridgeName)
    show("net.autostart", net.autostart)
    show("networkLookupByName missing", lambda: conn.networkLookupByName("nope"))
    show("listNetworks", conn.listNetworks)
    show("listAllNetworks", lambda: [n.name() for n in conn.listAllNetworks()])
    show("pool.info", pool.info)
    show("pool.listVolumes", pool.listVolumes)
    show("listAllStoragePools", lambda: [p.name() for p in conn.listAllStoragePools()])
    show("storagePoolLookupByName missing", lambda: conn.storagePoolLookupByName("nope"))
    show("storageVolLookupByPath missing", lambda: conn.storageVolLookupByPath("/nope/x.img"))
    show(
        "iface", lambda: [conn.interfaceLookupByName("eth1").MACString(), conn.interfaceLookupByName("eth1").isActive()]
    )
    show("nodedev", lambda: conn.nodeDeviceLookupByName("computer").listCaps())
    show("nodedev missing", lambda: conn.nodeDeviceLookupByName("nope"))
    vhba = (
        "<device><parent>scsi_host11</parent><capability type='scsi_host'>"
        "<capability type='fc_host'><wwnn>2000000012341234</wwnn><wwpn>1000000012341234</wwpn>"
        "</capability></capability></device>"
    )
    show("nodedev create", lambda: conn.nodeDeviceCreateXML(vhba, 0).name())
    show("nodedev created xml", lambda: conn.nodeDeviceLookupByName("scsi_host12").XMLDesc(0))
    show("nodedev destroy", lambda: conn.nodeDeviceLookupByName("scsi_host12").destroy())
    show("nodedev destroyed", lambda: conn.nodeDeviceLookupByName("scsi_host12"))
    show("getDomainCapabilities", conn.getDomainCapabilities)
    show("event without loop", lambda: conn.domainEventRegisterAny(None, 0, lambda *a: None, None))
    libvirt.virEventRegisterDefaultImpl()
    got: list[Any] = []
    show(
        "event register",
        lambda: conn.domainEventRegisterAny(None, 0, lambda c, d, e, det, o: got.append([d.name(), e, det, o]), "op"),
    )
    show("event register reboot", lambda: conn.domainEventRegisterAny(dom, 1, lambda *a: got.append(a), None))
    dom.destroy()
    dom.create()
    libvirt.virEventRunDefaultImpl()
    show("events", lambda: got)
    show("event deregister", lambda: [conn.domainEventDeregisterAny(0), conn.domainEventDeregisterAny(1)])
    show("event deregister unknown", lambda: conn.domainEventDeregisterAny(7))
    if conn.getURI() == "test:///default":
        auth_cases()
    libvirt.registerErrorHandler(None, None)
    show("default handler", lambda: conn.lookupByName("nope"))
    conn.close()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
