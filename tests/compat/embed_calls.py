"""A libvirt-python program's domain lifecycle on ``qemu:///embed?root=ROOT`` (ROOT: argv[1]),
printed one JSON line per call; run by ``test_qemu_embed.py`` under python3-libvirt and under
pyvirt-libvirt.  Events come through libvirt's default event loop, run in a thread."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import libvirt

libvirt.registerErrorHandler(lambda c, e: None, None)
libvirt.virEventRegisterDefaultImpl()


def loop() -> None:
    while True:
        libvirt.virEventRunDefaultImpl()


def show(label: str, call: Callable[[], Any]) -> None:
    try:
        print(json.dumps({"call": label, "value": call()}))
    except libvirt.libvirtError as e:
        print(json.dumps({"call": label, "error": [e.get_error_code(), e.get_error_domain(), str(e)]}))


threading.Thread(target=loop, daemon=True).start()
conn = libvirt.open("qemu:///embed?root=" + sys.argv[1])
got: list[Any] = []


def cb(c: Any, d: Any, e: int, det: int, o: Any) -> None:
    got.append([d.name(), e, det])


show("type", conn.getType)
show("caps has host", lambda: "<host>" in conn.getCapabilities())
show("register", lambda: conn.domainEventRegisterAny(None, 0, cb, None))
XML = (
    "<domain type='qemu'><name>e1</name><memory>65536</memory>"
    "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>"
)
show("define", lambda: conn.defineXML(XML).name())
dom = conn.lookupByName("e1")
show("state", dom.state)
show("create", dom.create)
show("state running", dom.state)
show("isActive", dom.isActive)
show("create again", dom.create)
show("suspend", dom.suspend)
show("state paused", dom.state)
show("resume", dom.resume)
show("destroy", dom.destroy)
show("state off", dom.state)
show("create paused", lambda: dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED))
show("state started paused", dom.state)
show("resume started paused", dom.resume)
show("save", lambda: dom.save(sys.argv[1] + "/e1.save"))
show("state saved", dom.state)
show("restore", lambda: conn.restore(sys.argv[1] + "/e1.save"))
show("state restored", dom.state)
show("reset", dom.reset)
show("managedSave", dom.managedSave)
show("hasManagedSaveImage", dom.hasManagedSaveImage)
show("create from managed save paused", lambda: dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED))
show("state from managed save", dom.state)
show("destroy again", dom.destroy)
show("undefine", dom.undefine)
show("lookup gone", lambda: conn.lookupByName("e1"))
deadline = time.monotonic() + 15  # the loop thread delivers the last events, late on a busy host
while not (got and got[-1][1] == libvirt.VIR_DOMAIN_EVENT_UNDEFINED) and time.monotonic() < deadline:
    time.sleep(0.05)
time.sleep(0.2)  # and nothing after the last one
show("events", lambda: got)
show("deregister", lambda: conn.domainEventDeregisterAny(0))
conn.close()
