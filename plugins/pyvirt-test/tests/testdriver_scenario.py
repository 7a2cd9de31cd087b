"""One scenario language, run on pyvirt and (in a system-python subprocess) on real libvirt.

A scenario is a list of ``[operation, arguments...]``; each step yields ``["ok", value]`` or
``["err", code, domain, message]`` so the two runs compare step by step, errors included
(libvirt's error code, error domain and message, word for word).  :data:`LIBVIRT_RUNNER` is the same
interpreter for libvirt-python: it is source text run by ``/usr/bin/python3``, never imported
by pyvirt.
"""

from __future__ import annotations

import re
from typing import Any

import pyvirt
from pyvirt import ModifyScope

Step = list[Any]


def assert_same(steps: list[Step], mine: list[Any], real: list[Any]) -> None:
    """Fail listing every step whose result (value, or code/domain/message) differs."""
    assert len(mine) == len(real) == len(steps)
    diffs = [
        f"step {i} {step[:2]}:\n  pyvirt  {got}\n  libvirt {want}"
        for i, (step, got, want) in enumerate(zip(steps, mine, real, strict=True))
        if got != want
    ]
    assert not diffs, "\n".join(diffs)


def _error(exc: pyvirt.PyvirtError) -> list[Any]:
    return ["err", int(exc.code), int(exc.domain), exc.message]


def _xml_numbers(xml: str) -> list[Any]:
    memory = re.search(r"<memory unit='KiB'>(\d+)</memory>", xml)
    current = re.search(r"<currentMemory unit='KiB'>(\d+)</currentMemory>", xml)
    vcpu = re.search(r"<vcpu[^>]*?(?: current='(\d+)')?[^>]*>(\d+)</vcpu>", xml)
    return [
        int(memory.group(1)) if memory else None,
        int(current.group(1)) if current else None,
        int(vcpu.group(2)) if vcpu else None,
        int(vcpu.group(1)) if vcpu and vcpu.group(1) else None,
        " id='" in xml.split(">", 1)[0],
    ]


def run_pyvirt(uri: str, steps: list[Step]) -> dict[str, Any]:
    results: list[Any] = []
    events: list[Any] = []
    with pyvirt.open(uri) as conn:
        conn.domain_event_register(lambda e: events.append([e.domain.name, int(e.event), int(e.detail)]))
        for step in steps:
            try:
                results.append(["ok", _pyvirt_step(conn, step)])
            except pyvirt.PyvirtError as exc:
                results.append(_error(exc))
    return {"results": results, "events": events}


def _pyvirt_step(conn: pyvirt.Connection, step: Step) -> Any:
    op, *args = step
    if op == "define":
        return conn.define_domain(args[0]).name
    if op == "create_xml":
        return conn.create_domain(args[0]).name
    if op == "restore":
        return conn.restore_domain(args[0]).name
    if op == "list":
        return sorted(d.name for d in conn.list_domains(pyvirt.ListFilter(args[0])))
    if op == "cells":
        return conn.get_cells_free_memory(args[0], args[1])
    if op == "lookup_uuid":
        return conn.lookup_domain_by_uuid(args[0]).name
    if op == "lookup_id":
        return conn.lookup_domain_by_id(args[0]).name
    dom = conn.lookup_domain_by_name(args[0])
    rest = args[1:]
    simple = {
        "start": dom.start,
        "shutdown": dom.shutdown,
        "destroy": dom.destroy,
        "suspend": dom.suspend,
        "resume": dom.resume,
        "reboot": dom.reboot,
        "reset": dom.reset,
        "undefine": dom.undefine,
    }
    if op in simple:
        simple[op]()
        return 0
    if op == "lookup":
        return [dom.name, dom.id]
    if op == "save":
        dom.save(rest[0])
        return 0
    if op == "state":
        state, reason = dom.state()
        return [int(state), reason]
    if op == "persistent":
        return dom.is_persistent()
    if op == "info":
        info = dom.info()
        return [int(info.state), info.max_memory, info.memory, info.vcpus]
    if op == "setmem":
        kib, flags = rest
        if flags & 4:
            dom.set_max_memory(kib, ModifyScope(flags & 3))
        else:
            dom.set_memory(kib, ModifyScope(flags))
        return 0
    if op == "setvcpus":
        dom.set_vcpus(rest[0], ModifyScope(rest[1]))
        return 0
    if op == "getvcpus":
        return dom.vcpus_count(ModifyScope(rest[0]))
    if op == "xml":
        return _xml_numbers(dom.xml(inactive=bool(rest[0])))
    if op == "autostart":
        dom.set_autostart(bool(rest[0]))
        return dom.autostart
    if op == "memstats":
        return sorted(dom.memory_stats())
    if op == "seclabel":
        return list(dom.security_label()[1:])
    if op == "ostype":
        return dom.os_type()
    raise AssertionError(f"unknown step {op}")


LIBVIRT_RUNNER = r"""
import json, re, sys, threading, time
import libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
libvirt.virEventRegisterDefaultImpl()
def loop():
    while True:
        libvirt.virEventRunDefaultImpl()
threading.Thread(target=loop, daemon=True).start()
payload = json.load(sys.stdin)
conn = libvirt.open(payload["uri"])
events = []
conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
    lambda c, d, e, det, o: events.append([d.name(), e, det]), None)
def numbers(xml):
    memory = re.search(r"<memory unit='KiB'>(\d+)</memory>", xml)
    current = re.search(r"<currentMemory unit='KiB'>(\d+)</currentMemory>", xml)
    vcpu = re.search(r"<vcpu[^>]*?(?: current='(\d+)')?[^>]*>(\d+)</vcpu>", xml)
    return [int(memory.group(1)) if memory else None, int(current.group(1)) if current else None,
            int(vcpu.group(2)) if vcpu else None, int(vcpu.group(1)) if vcpu and vcpu.group(1) else None,
            " id='" in xml.split(">", 1)[0]]
def step(op, *args):
    if op == "define": return conn.defineXML(args[0]).name()
    if op == "create_xml": return conn.createXML(args[0], 0).name()
    if op == "restore":
        conn.restore(args[0])
        image = open(args[0], "rb").read().decode("latin-1")
        return re.search(r"<name>(.*?)</name>", image).group(1)
    if op == "list": return sorted(d.name() for d in conn.listAllDomains(args[0]))
    if op == "cells": return conn.getCellsFreeMemory(args[0], args[1])
    if op == "lookup_uuid": return conn.lookupByUUIDString(args[0]).name()
    if op == "lookup_id": return conn.lookupByID(args[0]).name()
    d = conn.lookupByName(args[0]); rest = args[1:]
    simple = {"start": d.create, "shutdown": d.shutdown, "destroy": d.destroy, "suspend": d.suspend,
              "resume": d.resume, "reboot": d.reboot, "reset": d.reset, "undefine": d.undefine}
    if op in simple: simple[op](); return 0
    if op == "lookup": return [d.name(), d.ID()]
    if op == "save": d.save(rest[0]); return 0
    if op == "state": return d.state()
    if op == "persistent": return bool(d.isPersistent())
    if op == "info": return d.info()[:4]
    if op == "setmem": d.setMemoryFlags(rest[0], rest[1]); return 0
    if op == "setvcpus": d.setVcpusFlags(rest[0], rest[1]); return 0
    if op == "getvcpus": return d.vcpusFlags(rest[0])
    if op == "xml": return numbers(d.XMLDesc(2 if rest[0] else 0))
    if op == "autostart": d.setAutostart(int(rest[0])); return bool(d.autostart())
    if op == "memstats": return sorted(d.memoryStats())
    if op == "seclabel": return [d.securityLabel()[0], bool(d.securityLabel()[1])]
    if op == "ostype": return d.OSType()
    raise SystemExit("unknown step " + op)
results = []
for s in payload["steps"]:
    try:
        results.append(["ok", step(*s)])
    except libvirt.libvirtError as e:
        results.append(["err", e.get_error_code(), e.get_error_domain(), e.get_error_message()])
time.sleep(0.3)
print(json.dumps({"results": results, "events": events}))
"""


def run_pyvirt_objects(uri: str, steps: list[Step]) -> list[Any]:
    """Networks, pools and volumes: each step yields ``["ok", value]`` or an error as above."""
    results: list[Any] = []
    kept: dict[str, pyvirt.StorageVol] = {}
    with pyvirt.open(uri) as conn:
        for step in steps:
            try:
                results.append(["ok", _pyvirt_object_step(conn, step, kept)])
            except pyvirt.PyvirtError as exc:
                results.append(_error(exc))
    return results


def _pyvirt_object_step(conn: pyvirt.Connection, step: Step, kept: dict[str, pyvirt.StorageVol]) -> Any:
    """``keep`` holds a volume handle under a label so later ``kept_*`` steps act on it."""
    op, *args = step
    if op.startswith("kept_"):
        vol = kept[args[0]]
        action = op[5:]
        if action == "delete":
            vol.delete()
            return 0
        return {"info": lambda: [int(v) for v in vol.info()], "xml": lambda: len(vol.xml()) > 0, "path": vol.path}[
            action
        ]()
    if op == "net_define":
        return conn.define_network(args[0]).name
    if op == "net_create_xml":
        return conn.create_network(args[0]).name
    if op == "pool_define":
        return conn.define_pool(args[0]).name
    if op == "pool_create_xml":
        return conn.create_pool(args[0]).name
    if op == "net_uuid":
        return conn.lookup_network_by_uuid(args[0]).name
    if op == "pool_uuid":
        return conn.lookup_pool_by_uuid(args[0]).name
    if op == "vol_key":
        return conn.lookup_volume_by_key(args[0]).name
    if op == "vol_path":
        return conn.lookup_volume_by_path(args[0]).name
    if op == "nets":
        return sorted(
            [n.name, n.is_active(), n.is_persistent()] for n in conn.list_networks(pyvirt.ListFilter(args[0]))
        )
    if op == "pools":
        return sorted([p.name, p.is_active()] for p in conn.list_storage_pools(pyvirt.ListFilter(args[0])))
    if op.startswith("net_"):
        net = conn.lookup_network_by_name(args[0])
        action = op[4:]
        if action in ("start", "destroy", "undefine"):
            getattr(net, action)()
            return 0
        if action == "autostart":
            net.set_autostart(bool(args[1]))
            return net.autostart
        if action == "xml":
            return net.xml(inactive=bool(args[1]))
        return {"bridge": net.bridge_name, "active": net.is_active, "persistent": net.is_persistent}[action]()
    pool = conn.lookup_pool_by_name(args[0])
    action = op[5:] if op.startswith("pool_") else op
    if action in ("start", "destroy", "undefine", "build", "delete", "refresh"):
        getattr(pool, action)()
        return 0
    if action == "info":
        return [int(v) for v in pool.info()]
    if action == "autostart":
        pool.set_autostart(bool(args[1]))
        return pool.autostart
    if action == "xml":
        return pool.xml(inactive=bool(args[1]))
    if action == "active":
        return pool.is_active()
    if action == "persistent":
        return pool.is_persistent()
    if action == "vols":
        return sorted(v.name for v in pool.list_volumes())
    if action == "vol_create":
        vol = pool.create_volume(args[1])
        return [vol.name, vol.key, vol.path()]
    if action == "vol_clone":
        source = kept[args[2]]
        return pool.clone_volume(args[1], source).name
    vol = pool.lookup_volume(args[1])
    if action == "keep":
        kept[args[1]] = vol
        return 0
    if action == "vol_delete":
        vol.delete()
        return 0
    if action == "vol_info":
        return [int(v) for v in vol.info()]
    raise AssertionError(f"unknown step {op}")


LIBVIRT_OBJECT_RUNNER = r"""
import json, sys
import libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
payload = json.load(sys.stdin)
conn = libvirt.open(payload["uri"])
# pyvirt's ListFilter uses the domain bits; libvirt's network/pool bits differ.
BITS = {1: 2, 2: 1, 4: 4, 8: 8, 1 << 10: 16, 1 << 11: 32}
def object_flags(flags):
    return sum(theirs for ours, theirs in BITS.items() if flags & ours)
kept = {}
def step(op, *args):
    if op.startswith("kept_"):
        v = kept[args[0]]; action = op[5:]
        if action == "delete": v.delete(0); return 0
        return {"info": v.info, "xml": lambda: len(v.XMLDesc(0)) > 0, "path": v.path}[action]()
    if op == "net_define": return conn.networkDefineXML(args[0]).name()
    if op == "net_create_xml": return conn.networkCreateXML(args[0]).name()
    if op == "pool_define": return conn.storagePoolDefineXML(args[0]).name()
    if op == "pool_create_xml": return conn.storagePoolCreateXML(args[0]).name()
    if op == "net_uuid": return conn.networkLookupByUUIDString(args[0]).name()
    if op == "pool_uuid": return conn.storagePoolLookupByUUIDString(args[0]).name()
    if op == "vol_key": return conn.storageVolLookupByKey(args[0]).name()
    if op == "vol_path": return conn.storageVolLookupByPath(args[0]).name()
    if op == "nets":
        nets = conn.listAllNetworks(object_flags(args[0]))
        return sorted([n.name(), bool(n.isActive()), bool(n.isPersistent())] for n in nets)
    if op == "pools":
        return sorted([p.name(), bool(p.isActive())] for p in conn.listAllStoragePools(object_flags(args[0])))
    if op.startswith("net_"):
        n = conn.networkLookupByName(args[0]); action = op[4:]
        if action in ("start", "destroy", "undefine"):
            {"start": n.create, "destroy": n.destroy, "undefine": n.undefine}[action](); return 0
        if action == "autostart": n.setAutostart(int(args[1])); return bool(n.autostart())
        if action == "xml": return n.XMLDesc(1 if args[1] else 0)
        return {"bridge": n.bridgeName, "active": lambda: bool(n.isActive()),
                "persistent": lambda: bool(n.isPersistent())}[action]()
    p = conn.storagePoolLookupByName(args[0])
    action = op[5:] if op.startswith("pool_") else op
    if action in ("start", "destroy", "undefine", "build", "delete", "refresh"):
        {"start": p.create, "destroy": p.destroy, "undefine": p.undefine, "build": p.build,
         "delete": p.delete, "refresh": p.refresh}[action](); return 0
    if action == "info": return p.info()
    if action == "autostart": p.setAutostart(int(args[1])); return bool(p.autostart())
    if action == "xml": return p.XMLDesc(1 if args[1] else 0)
    if action == "active": return bool(p.isActive())
    if action == "persistent": return bool(p.isPersistent())
    if action == "vols": return sorted(v.name() for v in p.listAllVolumes())
    if action == "vol_create":
        v = p.createXML(args[1], 0); return [v.name(), v.key(), v.path()]
    if action == "vol_clone": return p.createXMLFrom(args[1], kept[args[2]], 0).name()
    v = p.storageVolLookupByName(args[1])
    if action == "keep": kept[args[1]] = v; return 0
    if action == "vol_delete": v.delete(); return 0
    if action == "vol_info": return v.info()
    raise SystemExit("unknown step " + op)
results = []
for s in payload["steps"]:
    try:
        results.append(["ok", step(*s)])
    except libvirt.libvirtError as e:
        results.append(["err", e.get_error_code(), e.get_error_domain(), e.get_error_message()])
print(json.dumps(results))
"""
