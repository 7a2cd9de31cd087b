"""One connection shared by many threads: no lost updates, no duplicate IDs."""

from concurrent.futures import ThreadPoolExecutor

import pyvirt

DOMAIN = "<domain type='test'><name>{}</name><memory>65536</memory><os><type>hvm</type></os></domain>"
WORKERS, PER_WORKER = 8, 25


def test_concurrent_define_start_destroy_undefine() -> None:
    with pyvirt.open("test:///default") as conn:
        before = len(conn.list_domains())

        def work(worker: int) -> list[int]:
            ids = []
            for i in range(PER_WORKER):
                dom = conn.define_domain(DOMAIN.format(f"thr-{worker}-{i}"))
                dom.start()
                ids.append(dom.id)
            return ids

        with ThreadPoolExecutor(WORKERS) as pool:
            all_ids = [i for ids in pool.map(work, range(WORKERS)) for i in ids]
        assert len(set(all_ids)) == WORKERS * PER_WORKER
        running = [d for d in conn.list_domains(pyvirt.ListFilter.ACTIVE) if d.name.startswith("thr-")]
        assert len(running) == WORKERS * PER_WORKER

        def cleanup(dom: pyvirt.Domain) -> None:
            dom.destroy()
            dom.undefine()

        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(cleanup, running))
        assert len(conn.list_domains()) == before
