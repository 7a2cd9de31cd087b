"""pytest glue for pyvirt.xml's tests: the report fixture and the match-rate summary."""

from __future__ import annotations

import pytest
from xmlcorpus import REPORT, MatchReport


@pytest.fixture(scope="session")
def report() -> MatchReport:
    return REPORT


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORT.results:
        terminalreporter.section("pyvirt.xml match rates against libvirt 9.0.0")
        for line in REPORT.lines():
            terminalreporter.write_line(line)
