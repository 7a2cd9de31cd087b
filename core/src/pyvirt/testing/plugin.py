"""pytest plugin behind :mod:`pyvirt.testing`: URI parametrisation, connections, capabilities."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest

import pyvirt

_names = itertools.count(1)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pyvirt", "pyvirt driver conformance")
    group.addoption("--pyvirt-uri", action="append", default=[], help="connection URI to run the suite against")
    parser.addini("pyvirt_uris", "connection URIs to run the suite against", type="linelist", default=[])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "pyvirt_requires(*operations): skip unless the driver implements these DriverConnection calls"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "pyvirt_uri" not in metafunc.fixturenames:
        return
    uris = metafunc.config.getoption("--pyvirt-uri") or metafunc.config.getini("pyvirt_uris")
    if uris and not _fixture_overridden(metafunc):
        metafunc.parametrize("pyvirt_uri", uris, scope="session")


def _fixture_overridden(metafunc: pytest.Metafunc) -> bool:
    defs = metafunc._arg2fixturedefs.get("pyvirt_uri", ())
    return any(getattr(d.func, "__module__", __name__) != __name__ for d in defs)


@pytest.fixture
def pyvirt_uri() -> str:
    """The URI under test; set it with ``--pyvirt-uri`` or override this fixture."""
    pytest.skip("no URI given: use --pyvirt-uri, the pyvirt_uris ini option, or override 'pyvirt_uri'")


@pytest.fixture
def conn(pyvirt_uri: str, request: pytest.FixtureRequest) -> Iterator[pyvirt.Connection]:
    """A read-write connection to the URI under test, closed after the test."""
    connection = pyvirt.open(pyvirt_uri)
    try:
        for marker in request.node.iter_markers("pyvirt_requires"):
            missing = [op for op in marker.args if not connection.driver.supports(op)]
            if missing:
                pytest.skip(f"driver '{connection.get_type()}' does not implement {', '.join(missing)}")
        yield connection
    finally:
        connection.close()


@pytest.fixture
def ro_conn(pyvirt_uri: str, conn: pyvirt.Connection) -> Iterator[pyvirt.Connection]:
    """A read-only connection to the same node as ``conn``."""
    connection = pyvirt.open_read_only(pyvirt_uri)
    yield connection
    connection.close()


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """Names that no other test uses, so tests can share a node."""
    return lambda prefix: f"{prefix}-conf-{next(_names)}"


@pytest.fixture
def domain_type(conn: pyvirt.Connection) -> str:
    """The ``<domain type>`` to use in documents; override for drivers that differ."""
    return conn.get_type().lower()


@pytest.fixture
def domain_xml(domain_type: str) -> Callable[..., str]:
    """Build a small, valid domain document."""

    def build(name: str, *, memory_kib: int = 524288, vcpus: int = 2, uuid: str | None = None) -> str:
        uuid_line = f"  <uuid>{uuid}</uuid>\n" if uuid else ""
        return (
            f"<domain type='{domain_type}'>\n  <name>{name}</name>\n{uuid_line}"
            f"  <memory unit='KiB'>{memory_kib}</memory>\n  <vcpu>{vcpus}</vcpu>\n"
            "  <os>\n    <type arch='x86_64'>hvm</type>\n  </os>\n</domain>\n"
        )

    return build
