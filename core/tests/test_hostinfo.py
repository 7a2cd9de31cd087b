"""pyvirt.hostinfo against the kernel's own counters, read another way (sysconf)."""

from __future__ import annotations

import os
import platform

from pyvirt.hostinfo import free_memory, node_info


def test_node_info_matches_sysconf() -> None:
    info = node_info()
    assert info.memory == os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 1024
    assert (info.model, info.cpus, info.nodes, info.sockets, info.threads) == (
        platform.machine(),
        os.cpu_count(),
        1,
        1,
        1,
    )
    assert info.cores == info.cpus


def test_free_memory_is_memfree_not_available_memory() -> None:
    """sysconf's available pages are sysinfo's freeram, the kernel's MemFree; the two reads
    happen a moment apart, so allow some churn."""
    free_pages = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert abs(free_memory() - free_pages) < 256 * 1024 * 1024
