"""The suite keeps its promise to driver authors: what a test calls, it declares.

Each check runs the whole suite in its own pytest process against ``test:///default`` seen
through ``declared_only.py``, which hides every operation a test did not declare (or, with
``PYVIRT_ONLY``, every operation but a fixed few).  A test that calls an undeclared operation
then fails, as it would on a third party's driver that lacks it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

HERE = Path(__file__).resolve().parent
SUITE = "from pyvirt.testing.suite import *  # noqa: F403\n"


def run_suite(
    tmp_path: Path, only: str | None = None, extra: str = "", uri: str = "test:///default"
) -> dict[str, list[str]]:
    """Outcome -> test ids (skips as ``id: reason``) of a suite run in a fresh pytest process."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_suite.py").write_text(SUITE + extra)
    env = {k: v for k, v in os.environ.items() if k != "PYVIRT_ONLY"}
    env["PYTHONPATH"] = str(HERE)
    if only is not None:
        env["PYVIRT_ONLY"] = only
    report = tmp_path / "report.xml"
    plugins = ["-p", "pyvirt.testing.plugin", "-p", "declared_only"]
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *plugins, "--pyvirt-uri", uri, f"--junitxml={report}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=300,
    )
    return outcomes(report)


def outcomes(junit_report: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"passed": [], "skipped": [], "failed": []}
    for case in etree.parse(str(junit_report)).iter("testcase"):
        name = f"{case.get('classname')}.{case.get('name')}"
        problem = case.find("failure") if case.find("failure") is not None else case.find("error")
        skip = case.find("skipped")
        if problem is not None:
            found["failed"].append(f"{name}: {problem.get('message')}")
        elif skip is not None:
            found["skipped"].append(f"{name}: {skip.get('message')}")
        else:
            found["passed"].append(name)
    return found


def test_every_test_passes_on_a_driver_with_only_what_it_declares(tmp_path: Path) -> None:
    result = run_suite(tmp_path)
    assert result["failed"] == []
    assert result["skipped"] == []  # the test driver implements everything the suite uses
    assert len(result["passed"]) >= 30


def test_the_guard_catches_an_undeclared_call(tmp_path: Path) -> None:
    sneaky = (
        "\n\nclass TestSneaky:\n"
        "    def test_node_info_undeclared(self, conn):\n"
        "        assert conn.get_node_info().cpus >= 1\n"
    )
    result = run_suite(tmp_path, extra=sneaky)
    (failure,) = result["failed"]
    assert "test_node_info_undeclared" in failure and "get_node_info" in failure


@pytest.mark.parametrize("only", ["get_hostname,list_domains", ""], ids=["hostname+list", "nothing"])
def test_a_minimal_driver_gets_skips_naming_what_it_lacks(tmp_path: Path, only: str) -> None:
    result = run_suite(tmp_path, only=only)
    assert result["failed"] == []
    assert len(result["passed"]) >= 3  # uri/type, closing, read-only refusals need no operation
    assert result["skipped"]
    implemented = set(filter(None, only.split(",")))
    for skip in result["skipped"]:
        assert "does not implement " in skip, skip
        named = set(skip.split("does not implement ", 1)[1].split(", "))
        assert named and not named & implemented, skip


def test_a_uri_that_cannot_be_opened_is_one_failure(tmp_path: Path) -> None:
    result = run_suite(tmp_path, uri="nosuch:///x")
    (failure,) = result["failed"]
    assert "cannot open nosuch:///x: ConnectError: no connection driver available for scheme 'nosuch'" in failure
    first = failure.split("[", 1)[0].rsplit(".", 1)[1]  # the failing test function
    assert len(result["skipped"]) >= 30 and result["passed"] == []
    assert all("nosuch:///x cannot be opened: see " in s and first in s for s in result["skipped"])


def test_a_misspelt_requirement_stops_the_run(tmp_path: Path) -> None:
    typo = "\n\nimport pytest\n\n@pytest.mark.pyvirt_requires('domain_teleport')\ndef test_typo(conn):\n    pass\n"
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_suite.py").write_text(SUITE + typo)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "pyvirt.testing.plugin", "--pyvirt-uri", "test:///default"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "domain_teleport" in done.stderr and "passed" not in done.stdout
