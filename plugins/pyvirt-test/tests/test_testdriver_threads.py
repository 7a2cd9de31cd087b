"""One node, many connections and threads: one lock per node keeps it consistent."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from testdriver_helpers import domain_xml

import pyvirt
from pyvirt import DomainEventType

WORKERS, ROUNDS = 8, 30


def test_parallel_lifecycles_on_the_shared_default_node() -> None:
    events: list[pyvirt.DomainEvent] = []
    lock = threading.Lock()

    def record(event: pyvirt.DomainEvent) -> None:
        with lock:
            events.append(event)

    with pyvirt.open("test:///default") as watcher:
        watcher.domain_event_register(record)

        def work(worker: int) -> list[int]:
            ids = []
            with pyvirt.open("test:///default") as conn:
                for i in range(ROUNDS):
                    dom = conn.define_domain(domain_xml(f"w{worker}-{i}"))
                    dom.start()
                    ids.append(dom.id)
                    dom.suspend()
                    dom.resume()
                    dom.destroy()
                    dom.undefine()
            return ids

        with ThreadPoolExecutor(WORKERS) as pool:
            ids = [i for chunk in pool.map(work, range(WORKERS)) for i in chunk]
        assert len(set(ids)) == WORKERS * ROUNDS
        assert sorted(ids) == list(range(2, 2 + WORKERS * ROUNDS))
        assert [d.name for d in watcher.list_domains()] == ["test"]
    per_kind = {kind: sum(1 for e in events if e.event == kind) for kind in DomainEventType}
    for kind in (
        DomainEventType.DEFINED,
        DomainEventType.STARTED,
        DomainEventType.SUSPENDED,
        DomainEventType.RESUMED,
        DomainEventType.STOPPED,
        DomainEventType.UNDEFINED,
    ):
        assert per_kind[kind] == WORKERS * ROUNDS, kind
