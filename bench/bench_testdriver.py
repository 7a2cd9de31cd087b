"""Benchmark: pyvirt's in-memory test driver against libvirt's own C test driver.

Runs the same operations, in the same order, on 10,000 distinct small domains on both, in one
run: pyvirt in-process (``test:///default``), libvirt through python3-libvirt in a
``/usr/bin/python3`` subprocess (libvirt's bindings live only in the system python; pyvirt never
imports them).  Prints one table of per-operation medians side by side with the ratio, and under
each row one line saying what both sides did in it; then the RSS growth per 10,000 defined
domains.  ``--json`` prints the numbers as JSON for tooling.

pyvirt's test driver formats a domain's dump when the domain is defined, so a dump of a defined
domain is a cache hit for pyvirt and a real formatting for libvirt: the table says so on that row,
times define and first dump together as one row, and times a dump pyvirt has not formatted
before (the live dump of a domain just started).

Also prints where pyvirt's time goes for each operation: the driver call alone (what the
test driver costs) against the whole public call (what the core adds: the Connection and
Domain handles, read-only checks and plugin hooks).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

COUNT = 10_000
LIST_REPEAT = 21
OPEN_REPEAT = 301
TARGET_RATIO = 2.0
SYSTEM_PYTHON = "/usr/bin/python3"

DOMAIN = (
    "<domain type='test'>\n"
    "  <name>{name}</name>\n"
    "  <uuid>{uuid}</uuid>\n"
    "  <memory unit='KiB'>{memory}</memory>\n"
    "  <vcpu>1</vcpu>\n"
    "  <os>\n"
    "    <type arch='i686'>hvm</type>\n"
    "  </os>\n"
    "</domain>\n"
)

ROWS: dict[str, tuple[str, str]] = {
    "define": (
        "define from XML",
        "pyvirt define_domain (parse, format the dump, insert) | libvirt defineXML (parse, insert)",
    ),
    "lookup": ("lookup by name", "pyvirt lookup_domain_by_name | libvirt lookupByName: one handle each"),
    "live_dump": (
        "first dump of a running domain",
        "both format a dump not made before: each domain started untimed, its live XML dumped once",
    ),
    "xml_dump": (
        "dump of a defined domain",
        "pyvirt returns the text it formatted at define (cache hit) | libvirt XMLDesc formats it",
    ),
    "define_dump": (
        "define + first dump",
        "both: define from XML, then dump it once (pyvirt's formatting moves into define)",
    ),
    "start_destroy": ("start + destroy", "both: start a defined domain, then destroy it"),
    "undefine": ("undefine", "both: undefine an inactive domain through its handle"),
    "list_all": (f"list all ({COUNT + 1:,} domains)", "pyvirt list_domains | libvirt listAllDomains: all handles"),
    "open": (
        "open + close (node held)",
        "both: open and close test:///default while another connection keeps its node alive",
    ),
    "open_use": (
        "open + first use + close",
        "both, no other connection (the node is built each time): open test:///default, list domains, "
        "networks, pools and each pool's volumes, dump each domain, network and pool, close",
    ),
}
"""Each row: its label and what both sides did in it."""


def documents(count: int = COUNT) -> list[tuple[str, str]]:
    """``count`` distinct small domains: (name, XML); UUIDs fixed so both sides get the same."""
    rng = uuid.UUID(int=0x5EED)
    out = []
    for i in range(count):
        name = f"bench-{i:05d}"
        dom_uuid = str(uuid.UUID(int=rng.int + i))
        out.append((name, DOMAIN.format(name=name, uuid=dom_uuid, memory=65536 + 4 * i)))
    return out


def rss_kib() -> int:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def timed_each(items: list[Any], call: Callable[[Any], object]) -> float:
    """Median seconds of ``call(item)`` over ``items`` (each timed on its own)."""
    clock = time.perf_counter_ns
    samples = []
    for item in items:
        start = clock()
        call(item)
        samples.append(clock() - start)
    return statistics.median(samples) / 1e9


def first_use_pyvirt() -> None:
    """Open ``test:///default``, list and dump everything on it, close (the ``open_use`` row)."""
    import pyvirt

    with pyvirt.open("test:///default") as conn:
        for dom in conn.list_domains():
            dom.xml()
        for net in conn.list_networks():
            net.xml()
        for pool in conn.list_storage_pools():
            pool.xml()
            pool.list_volumes()


def bench_pyvirt(hooks: bool) -> dict[str, Any]:
    """Measure pyvirt; ``hooks=False`` unregisters installed hook plugins (pyvirt.hooks) first."""
    import pyvirt
    from pyvirt import registry

    docs = documents()
    results: dict[str, float] = {}
    driver_only: dict[str, float] = {}
    gc.collect()
    gc.disable()  # the C side has no collector pauses either; both sides measure the same work
    try:
        with pyvirt.open("test:///default") as conn:
            conn.define_domain(DOMAIN.format(name="warm-up", uuid=uuid.uuid4(), memory=1024)).undefine()
            for plugin in registry.load_hook_plugins():  # the warm-up loaded them
                if hooks:
                    conn.plugins.register(plugin)
                else:
                    conn.plugins.unregister(plugin)
            rss_before = rss_kib()
            domains = {}

            def define(doc: tuple[str, str]) -> None:
                domains[doc[0]] = conn.define_domain(doc[1])

            results["define"] = timed_each(docs, define)
            rss_after = rss_kib()
            names = [name for name, _ in docs]
            results["lookup"] = timed_each(names, conn.lookup_domain_by_name)
            handles = [domains[name] for name in names]
            for dom in handles:
                dom.start()
            results["live_dump"] = timed_each(handles, lambda d: d.xml())
            for dom in handles:
                dom.destroy()
            results["xml_dump"] = timed_each(handles, lambda d: d.xml())

            def start_destroy(dom: pyvirt.Domain) -> None:
                dom.start()
                dom.destroy()

            results["start_destroy"] = timed_each(handles, start_destroy)
            lists = list(range(LIST_REPEAT))
            results["list_all"] = timed_each(lists, lambda _: conn.list_domains())
            assert len(conn.list_domains()) == COUNT + 1

            # The driver alone, on the same objects (what the core adds is the difference).
            driver = conn.driver
            uuids = [d.uuid for d in handles]
            driver_only["lookup"] = timed_each(names, driver.domain_lookup_by_name)
            driver_only["xml_dump"] = timed_each(uuids, lambda u: driver.domain_get_xml(u, False))

            def driver_start_destroy(u: str) -> None:
                driver.domain_create(u, False)
                driver.domain_destroy(u)

            driver_only["start_destroy"] = timed_each(uuids, driver_start_destroy)
            driver_only["list_all"] = timed_each(lists, lambda _: driver.list_domains(pyvirt.ListFilter.NONE))
            results["undefine"] = timed_each(handles, lambda d: d.undefine())

            def define_dump(doc: tuple[str, str]) -> None:
                domains[doc[0]] = conn.define_domain(doc[1])
                domains[doc[0]].xml()

            results["define_dump"] = timed_each(docs, define_dump)
            for name in names:
                domains[name].undefine()
            again = docs[: COUNT // 2]
            driver_only["define"] = timed_each(again, lambda doc: driver.domain_define_xml(doc[1], False))
            second = [driver.domain_lookup_by_name(name).uuid for name, _ in again]
            driver_only["undefine"] = timed_each(second, driver.domain_undefine)

            def open_close(_: int) -> None:
                pyvirt.open("test:///default").close()

            results["open"] = timed_each(list(range(OPEN_REPEAT)), open_close)
        # No connection open any more: each open builds the default node again, each close drops it.
        first_use_pyvirt()  # imports done once, as on the libvirt side after its first open
        results["open_use"] = timed_each(list(range(OPEN_REPEAT)), lambda _: first_use_pyvirt())
    finally:
        gc.enable()
    return {"median_s": results, "driver_median_s": driver_only, "rss_growth_kib": rss_after - rss_before}


LIBVIRT_SIDE = r"""
import gc, json, os, statistics, sys, time
import libvirt
payload = json.load(sys.stdin)
docs, list_repeat, open_repeat = payload["docs"], payload["list_repeat"], payload["open_repeat"]
def rss_kib():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
def timed_each(items, call):
    clock = time.perf_counter_ns
    samples = []
    for item in items:
        start = clock(); call(item); samples.append(clock() - start)
    return statistics.median(samples) / 1e9
def first_use(_):
    c = libvirt.open("test:///default")
    for d in c.listAllDomains(0):
        d.XMLDesc(0)
    for n in c.listAllNetworks(0):
        n.XMLDesc(0)
    for p in c.listAllStoragePools(0):
        p.XMLDesc(0)
        p.listAllVolumes(0)
    c.close()
results = {}
gc.collect(); gc.disable()
conn = libvirt.open("test:///default")
rss_before = rss_kib()
domains = {}
def define(doc):
    domains[doc[0]] = conn.defineXML(doc[1])
results["define"] = timed_each(docs, define)
rss_after = rss_kib()
names = [name for name, _ in docs]
results["lookup"] = timed_each(names, conn.lookupByName)
handles = [domains[name] for name in names]
for d in handles:
    d.create()
results["live_dump"] = timed_each(handles, lambda d: d.XMLDesc(0))
for d in handles:
    d.destroy()
results["xml_dump"] = timed_each(handles, lambda d: d.XMLDesc(0))
def start_destroy(d):
    d.create(); d.destroy()
results["start_destroy"] = timed_each(handles, start_destroy)
results["list_all"] = timed_each(list(range(list_repeat)), lambda _: conn.listAllDomains(0))
assert len(conn.listAllDomains(0)) == len(docs) + 1
results["undefine"] = timed_each(handles, lambda d: d.undefine())
def define_dump(doc):
    domains[doc[0]] = conn.defineXML(doc[1])
    domains[doc[0]].XMLDesc(0)
results["define_dump"] = timed_each(docs, define_dump)
for name in names:
    domains[name].undefine()
results["open"] = timed_each(list(range(open_repeat)), lambda _: libvirt.open("test:///default").close())
# A domain handle keeps its connection, and so the default node, alive: drop every one of them.
handles = domains = d = None
gc.collect()
assert conn.close() == 0, "a handle still holds the connection"
results["open_use"] = timed_each(list(range(open_repeat)), first_use)
print(json.dumps({"median_s": results, "rss_growth_kib": rss_after - rss_before}))
"""


def bench_libvirt() -> dict[str, Any] | None:
    """Run the same operations on libvirt's C test driver, or None when it is not installed."""
    payload = {"docs": documents(), "list_repeat": LIST_REPEAT, "open_repeat": OPEN_REPEAT}
    try:
        done = subprocess.run(
            [SYSTEM_PYTHON, "-c", LIBVIRT_SIDE],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"libvirt side not run: {exc}", file=sys.stderr)
        return None
    if done.returncode != 0:
        print(f"libvirt side not run: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def report(mine: dict[str, Any], hooked: dict[str, Any], real: dict[str, Any] | None) -> str:
    lines = [
        f"pyvirt test driver vs libvirt {('C test driver' if real else '(not available)')}: "
        f"medians over {COUNT:,} domains (list: {LIST_REPEAT} calls, open: {OPEN_REPEAT})",
        "pyvirt column: core + test driver, no hook plugins; 'with hooks': the hook plugins installed here",
        "under each row: what both sides did in it",
        "",
        f"{'operation':30} {'pyvirt':>10} {'libvirt':>10} {'ratio':>7} {'<=2x':>5}   {'driver alone':>12} "
        f"{'core adds':>10} {'with hooks':>11}",
    ]
    for op, (label, did) in ROWS.items():
        ours = mine["median_s"][op]
        theirs = real["median_s"][op] if real else None
        ratio = ours / theirs if theirs else None
        ok = "-" if ratio is None else ("yes" if ratio <= TARGET_RATIO else "NO")
        alone = mine["driver_median_s"].get(op)
        core = ours - alone if alone is not None else None
        lines.append(
            f"{label:30} {_fmt(ours):>10} {_fmt(theirs):>10} "
            f"{(f'{ratio:.2f}x' if ratio is not None else '-'):>7} {ok:>5}   {_fmt(alone):>12} {_fmt(core):>10} "
            f"{_fmt(hooked['median_s'][op]):>11}"
        )
        lines.append(f"    {did}")
    lines.append("")
    theirs_rss = real["rss_growth_kib"] if real else None
    lines.append(
        f"RSS growth per {COUNT:,} defined domains: pyvirt {mine['rss_growth_kib'] / 1024:.1f} MiB"
        + (f", libvirt {theirs_rss / 1024:.1f} MiB" if theirs_rss is not None else "")
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    parser.add_argument("--no-libvirt", action="store_true", help="measure pyvirt only")
    args = parser.parse_args(argv)
    real = None if args.no_libvirt else bench_libvirt()
    mine = bench_pyvirt(hooks=False)
    hooked = bench_pyvirt(hooks=True)
    if args.json:
        print(json.dumps({"pyvirt": mine, "pyvirt_with_hooks": hooked, "libvirt": real}, indent=2))
    else:
        print(report(mine, hooked, real))
    return 0


if __name__ == "__main__":
    sys.exit(main())
