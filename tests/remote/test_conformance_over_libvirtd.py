"""The conformance suite through pyvirt's remote driver, with real libvirtd at the far end.

The same classes a third-party driver collects, with ``pyvirt_uri`` pointing at the suite's
private libvirtd over unix and over tcp.  One test cannot pass against libvirt 9.0's test
driver whatever the client does; it is an expected failure (see ``conftest.py`` here).
"""

from __future__ import annotations

from typing import Any

import pytest

from pyvirt.testing.suite import *  # noqa: F403

pytestmark = pytest.mark.needs_libvirt("daemon")


@pytest.fixture(params=["unix", "tcp"], scope="session")
def pyvirt_uri(request: pytest.FixtureRequest, reference_libvirtd: Any) -> str:
    return str(reference_libvirtd.uri(request.param))
