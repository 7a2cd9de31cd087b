"""Known limits of libvirt's test driver met by the conformance suite over the wire."""

from __future__ import annotations

import pytest

KNOWN_FAILURES = {
    "TestStorage::test_pool_lifecycle_and_volumes": (
        "libvirt 9.0's test driver has no virStorageVolResize (libvirtd answers 'this function is not "
        "supported by the connection driver'); pyvirt's test driver has it"
    ),
    "TestDomainEvents::test_lifecycle_events_in_order": (
        "over the wire events arrive after the call that caused them returns (libvirtd queues them); "
        "the suite reads them right after the calls"
    ),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "test_conformance_over_libvirtd.py" not in item.nodeid:
            continue
        for name, reason in KNOWN_FAILURES.items():
            if f"::{name}[" in item.nodeid:
                item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
