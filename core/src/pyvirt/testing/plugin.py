"""pytest plugin behind :mod:`pyvirt.testing`: URI parametrisation, connections, and the gate
that skips a test whose driver lacks an operation the test declares (``pyvirt_requires``),
with a closing line that ranks the missing operations for the driver's author."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator

import pytest

import pyvirt
from pyvirt.driver import DriverConnection

_names = itertools.count(1)
_MISSING = pytest.StashKey[list[tuple[str, list[str]]]]()
"""(driver type, operations it lacks) for each test skipped by ``pyvirt_requires``."""
_UNOPENABLE = pytest.StashKey[dict[str, str]]()
"""URI -> id of the test that reported it cannot be opened."""
_SHOWN = 6
"""Operations the closing line names before "and N more"."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pyvirt", "pyvirt driver conformance")
    group.addoption("--pyvirt-uri", action="append", default=[], help="connection URI to run the suite against")
    parser.addini("pyvirt_uris", "connection URIs to run the suite against", type="linelist", default=[])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "pyvirt_requires(*operations): the DriverConnection operations the test calls; "
        "skipped, naming the missing ones, on a driver that lacks any",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "pyvirt_uri" not in metafunc.fixturenames:
        return
    uris = metafunc.config.getoption("--pyvirt-uri") or metafunc.config.getini("pyvirt_uris")
    if uris and not _fixture_overridden(metafunc):
        metafunc.parametrize("pyvirt_uri", uris, scope="session")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A misspelt operation in ``pyvirt_requires`` would skip a test on every driver: refuse it."""
    known = set(DriverConnection.operations())
    for item in items:
        for marker in item.iter_markers("pyvirt_requires"):
            unknown = [op for op in marker.args if op not in known]
            if unknown:
                raise pytest.UsageError(f"{item.nodeid}: pyvirt_requires names no driver operation: {unknown}")


def _fixture_overridden(metafunc: pytest.Metafunc) -> bool:
    defs = metafunc._arg2fixturedefs.get("pyvirt_uri", ())
    return any(getattr(d.func, "__module__", __name__) != __name__ for d in defs)


@pytest.fixture
def pyvirt_uri() -> str:
    """The URI under test; set it with ``--pyvirt-uri`` or override this fixture."""
    pytest.skip("no URI given: use --pyvirt-uri, the pyvirt_uris ini option, or override 'pyvirt_uri'")


@pytest.fixture(autouse=True)
def _pyvirt_gate(request: pytest.FixtureRequest) -> None:
    """Before a suite test: open its URI once, and skip it if the driver lacks an operation it
    declares, naming every missing one.

    A URI that cannot be opened fails the first test that tries, in one line without a
    traceback, and skips the rest pointing at that failure: one error to fix, not one per test.
    Autouse, so it also guards tests that open their own connections instead of using ``conn``;
    it runs before the other function fixtures, so a skipped test never half-builds its state.
    """
    if "pyvirt_uri" not in request.fixturenames:
        return
    uri: str = request.getfixturevalue("pyvirt_uri")
    broken = request.config.stash.setdefault(_UNOPENABLE, {})
    if uri in broken:
        pytest.skip(f"{uri} cannot be opened: see {broken[uri]}")
    probe = _open_or_why(uri)
    if isinstance(probe, str):
        broken[uri] = request.node.nodeid
        pytest.fail(probe, pytrace=False)
    with probe:
        driver, driver_type = probe.driver, probe.get_type()
    needed = [op for marker in request.node.iter_markers("pyvirt_requires") for op in marker.args]
    missing = list(dict.fromkeys(op for op in needed if not driver.supports(op)))
    if missing:
        request.config.stash.setdefault(_MISSING, []).append((driver_type, missing))
        pytest.skip(f"driver '{driver_type}' does not implement {', '.join(missing)}")


def _open_or_why(uri: str) -> pyvirt.Connection | str:
    """A connection to ``uri``, or one line saying why there is none (whatever the driver raised)."""
    try:
        return pyvirt.open(uri)
    except Exception as exc:
        return f"cannot open {uri}: {type(exc).__name__}: {exc}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Tell a driver author which operations unlock the most skipped tests: the next ones to write."""
    skipped = config.stash.get(_MISSING, [])
    for driver_type in dict.fromkeys(name for name, _ in skipped):
        lacks = [missing for name, missing in skipped if name == driver_type]
        ranked = Counter(op for missing in lacks for op in missing).most_common()
        shown = ", ".join(f"{op} ({n})" for op, n in ranked[:_SHOWN])
        more = f" and {len(ranked) - _SHOWN} more" if len(ranked) > _SHOWN else ""
        terminalreporter.write_line(
            f"pyvirt: {len(lacks)} tests skipped: driver '{driver_type}' lacks operations they call; "
            f"most needed (by how many tests): {shown}{more}"
        )


@pytest.fixture
def conn(pyvirt_uri: str) -> Iterator[pyvirt.Connection]:
    """A read-write connection to the URI under test, closed after the test."""
    connection = pyvirt.open(pyvirt_uri)
    try:
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
    """The ``<domain type>`` to use in documents: the driver's ``domain_type``, else its type
    in lower case (a driver whose type is no libvirt virt type sets ``domain_type``)."""
    return conn.driver.domain_type or conn.get_type().lower()


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
