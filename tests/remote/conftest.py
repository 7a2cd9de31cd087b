"""Known limits of libvirt's test driver met by the conformance suite over the wire."""

from __future__ import annotations

import pytest

KNOWN_FAILURES = {
    # name: (reason, strict)
    "TestStorage::test_pool_lifecycle_and_volumes": (
        "libvirt 9.0's test driver has no virStorageVolResize (libvirtd answers 'this function is not "
        "supported by the connection driver'); pyvirt's test driver has it",
        True,
    ),
    "TestStorage::test_volume_upload_and_download": (
        "libvirt 9.0's test driver has no virStorageVolUpload/Download (libvirtd answers 'this function is "
        "not supported by the connection driver'); pyvirt's test driver has them",
        True,
    ),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "test_conformance_over_libvirtd.py" not in item.nodeid:
            continue
        for name, (reason, strict) in KNOWN_FAILURES.items():
            if f"::{name}[" in item.nodeid:
                item.add_marker(pytest.mark.xfail(reason=reason, strict=strict))
