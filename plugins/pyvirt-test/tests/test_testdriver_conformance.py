"""pyvirt's driver conformance suite, run against the shared default node and a node file."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyvirt.testing.suite import *  # noqa: F403

TESTNODE = Path(__file__).resolve().parent / "data" / "small-node.xml"


@pytest.fixture(params=["default", "file"])
def pyvirt_uri(request: pytest.FixtureRequest) -> str:
    """Both kinds of test node: libvirt's built-in one and one loaded from a node file."""
    if request.param == "file" and "ro_conn" in request.fixturenames:
        pytest.skip("each open of a node file is a fresh node, as in libvirt: a second connection sees none of it")
    return "test:///default" if request.param == "default" else f"test://{TESTNODE}"
