"""pytest glue for pyvirt.xml's tests: the report fixture, the pyvirt runner and libvirt oracle
the differential tests share (one of each per test module: the oracle is a /usr/bin/python3
process), and the match-rate summary."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fresh_documents import Oracle
from libvirt_data import Runner
from xmlcorpus import REPORT, MatchReport


@pytest.fixture(scope="session")
def report() -> MatchReport:
    return REPORT


@pytest.fixture(scope="module")
def runner() -> Iterator[Runner]:
    run = Runner()
    yield run
    run.close()


@pytest.fixture(scope="module")
def oracle() -> Iterator[Oracle]:
    ask = Oracle()
    yield ask
    ask.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT.results:
        terminalreporter.section("pyvirt.xml match rates against libvirt 9.0.0")
        for line in REPORT.lines():
            terminalreporter.write_line(line)
