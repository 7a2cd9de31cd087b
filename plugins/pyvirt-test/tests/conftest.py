"""Fixtures for the test driver's tests: connections to fresh nodes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import pyvirt


@pytest.fixture
def default_conn() -> Iterator[pyvirt.Connection]:
    """A connection to ``test:///default``; the node is fresh because no other one is open."""
    with pyvirt.open("test:///default") as conn:
        yield conn


@pytest.fixture
def empty_node(tmp_path: Path) -> str:
    path = tmp_path / "empty.xml"
    path.write_text("<node/>\n")
    return f"test://{path}"


@pytest.fixture
def empty_conn(empty_node: str) -> Iterator[pyvirt.Connection]:
    with pyvirt.open(empty_node) as conn:
        yield conn
