"""What a new driver author does, done for real: build the driver of docs/writing-a-driver.md
from the page's own code blocks, pip-install it into a new virtual environment, and run pyvirt's
conformance suite against it.  It must pass on the first run, with skips.  The scaffold must
write the same files as the page, and a scaffolded driver must pass its tests just the same."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
import venv
from pathlib import Path

import pytest
from lxml import etree

from pyvirt.testing import scaffold

REPO = Path(__file__).resolve().parents[1]
GUIDE = REPO / "docs" / "writing-a-driver.md"
FILE_BLOCK = re.compile(r"^`pyvirt-acme/([^`]+)`:\n\n```[a-z]*\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def guide_files() -> dict[str, str]:
    """The files the guide shows: path inside ``pyvirt-acme/`` -> text."""
    return {path: text for path, text in FILE_BLOCK.findall(GUIDE.read_text())}


def write_files(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


def test_the_guide_shows_exactly_what_the_scaffold_writes() -> None:
    assert guide_files() == scaffold.render("acme")


def test_the_layout_lists_every_file_the_guide_shows() -> None:
    layout = GUIDE.read_text().split("## 1. Layout", 1)[1].split("```", 2)[1]
    listed = {line.split()[0] for line in layout.splitlines()[2:] if line.strip()}
    assert listed == set(guide_files())


# -- a fresh environment, as the author has ------------------------------------------------


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv with the core installed from this checkout (not editable) and pytest.

    Third-party wheels come from the index (pip's cache makes that quick); pyvirt and the
    drivers are built in place with ``--no-build-isolation`` so no build environment is made.
    """
    env = tmp_path_factory.mktemp("author") / "venv"
    venv.create(env, with_pip=False)
    pip_install(env, "hatchling", "pytest", "pluggy", "lxml", "structlog")
    pip_install(env, "--no-deps", "--no-build-isolation", str(REPO / "core"))
    return env


def pip_install(env: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(env / "bin" / "python"), "install", "-q", *args],
        check=True,
        capture_output=True,
        timeout=600,
    )


def third_party_requirements(project: Path) -> list[str]:
    """A distribution's requirements except pyvirt's own (installed from this checkout, never
    from the index)."""
    with open(project / "pyproject.toml", "rb") as f:
        required: list[str] = tomllib.load(f)["project"]["dependencies"]
    return [r for r in required if not re.match(r"pyvirt\b", r)]


def run_tests(env: Path, project: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, list[str]]]:
    """``pytest`` in the driver's directory, as the guide says; the run and its outcomes."""
    report = project.parent / f"{project.name}-report.xml"
    done = subprocess.run(
        [str(env / "bin" / "python"), "-m", "pytest", f"--junitxml={report}"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    found: dict[str, list[str]] = {"passed": [], "skipped": [], "failed": []}
    for case in etree.parse(str(report)).iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            found["failed"].append(case.get("name", ""))
        elif (skip := case.find("skipped")) is not None:
            found["skipped"].append(skip.get("message", ""))
        else:
            found["passed"].append(case.get("name", ""))
    return done, found


@pytest.fixture(scope="module")
def guide_driver(fresh_env: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pyvirt-acme`` written from the guide's code blocks and pip-installed (not editable)."""
    project = write_files(tmp_path_factory.mktemp("author") / "pyvirt-acme", guide_files())
    pip_install(fresh_env, "--no-deps", "--no-build-isolation", str(project))
    return project


def test_the_guides_driver_passes_the_suite_on_its_first_run(fresh_env: Path, guide_driver: Path) -> None:
    project = guide_driver
    pyvirsh = str(fresh_env / "bin" / "pyvirsh")
    listed = subprocess.run([pyvirsh, "drivers", "--check"], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^ acme +pyvirt-acme +0\.1\.0 +pyvirt_acme\.plugin +yes$", listed, re.MULTILINE), listed
    shell = subprocess.run([pyvirsh, "-c", "acme:///test", "hostname; list --all"], capture_output=True, text=True)
    assert shell.returncode == 0, shell.stderr

    matrix = re.search(r'^ *python -c "(.*)"$', GUIDE.read_text(), re.MULTILINE)
    assert matrix, "the guide shows how to print the driver's column of the capability matrix"
    column = subprocess.run([str(fresh_env / "bin" / "python"), "-c", matrix.group(1)], capture_output=True, text=True)
    assert column.stdout.strip() == "['get_hostname', 'list_domains']", column.stderr

    done, outcome = run_tests(fresh_env, project)
    assert done.returncode == 0, done.stdout[-3000:]
    assert outcome["failed"] == []
    assert len(outcome["passed"]) >= 5  # type, hostname, listing, closing, read-only refusals
    assert outcome["skipped"] and all("driver 'ACME' does not implement " in s for s in outcome["skipped"])
    guide = GUIDE.read_text()
    sample_skip = re.search(r"(driver 'ACME' does not implement .*)$", guide, re.MULTILINE)
    assert sample_skip and sample_skip.group(1) in outcome["skipped"]
    sample_summary = re.search(r"^(pyvirt: .*?) \.\.\.$", guide, re.MULTILINE)
    assert sample_summary and re.sub(r"\d+", "N", sample_summary.group(1)) in re.sub(r"\d+", "N", done.stdout)


def test_the_guides_driver_is_served_by_pyvirtd_unchanged(fresh_env: Path, guide_driver: Path, tmp_path: Path) -> None:
    pip_install(fresh_env, *third_party_requirements(REPO / "daemon"))
    pip_install(fresh_env, "--no-deps", "--no-build-isolation", str(REPO / "daemon"))
    root = tmp_path / "node"
    root.mkdir()
    (root / "pyvirtd.toml").write_text(f'root = "{root}"\n')
    socket_path = root / "run" / "pyvirt" / "pyvirt-sock"
    with open(root / "pyvirtd.log", "wb") as log:
        daemon = subprocess.Popen(
            [str(fresh_env / "bin" / "pyvirtd"), "--config", str(root / "pyvirtd.toml")],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
    try:
        wait_for_socket(daemon, socket_path)
        remote = f"acme+unix:///test?socket={socket_path}"
        pyvirsh = str(fresh_env / "bin" / "pyvirsh")
        shell = subprocess.run([pyvirsh, "-c", remote, "hostname; list --all"], capture_output=True, text=True)
        assert shell.returncode == 0, shell.stderr
        assert shell.stdout.split()[0] == socket.gethostname()
        # the daemon's answer for what the guide's driver lacks names that driver
        version = subprocess.run([pyvirsh, "-c", remote, "version"], capture_output=True, text=True)
        assert version.returncode == 1
        assert "not supported by the connection driver: get_version (driver 'ACME')" in version.stderr
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            status = daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            status = daemon.wait()
    assert status == 0, (root / "pyvirtd.log").read_text()
    assert not socket_path.exists()


def wait_for_socket(daemon: subprocess.Popen[bytes], path: Path) -> None:
    """Until the daemon accepts on ``path``; a daemon that exits or never listens fails the test."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert daemon.poll() is None, f"pyvirtd exited with {daemon.returncode}"
        with socket.socket(socket.AF_UNIX) as probe:
            try:
                probe.connect(str(path))
                return
            except OSError:
                time.sleep(0.05)
    pytest.fail(f"pyvirtd did not listen on {path} within 60 s")


def test_a_scaffolded_driver_starts_green(fresh_env: Path, tmp_path: Path) -> None:
    made = subprocess.run(
        [str(fresh_env / "bin" / "python"), "-m", "pyvirt.testing.scaffold", "zeta", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    project = tmp_path / "pyvirt-zeta"
    assert str(project) in made.stdout
    pip_install(fresh_env, "--no-deps", "--no-build-isolation", str(project))
    done, outcome = run_tests(fresh_env, project)
    assert done.returncode == 0, done.stdout[-3000:]
    assert outcome["failed"] == [] and outcome["passed"] and outcome["skipped"]
    assert all("driver 'ZETA' does not implement " in s for s in outcome["skipped"])
