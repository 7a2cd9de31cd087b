"""``python -m pyvirt.testing.scaffold``: writes a whole driver or nothing, refuses what it cannot
name, and writes code that passes the linters and mypy --strict.  (That a scaffolded driver
installs and passes its tests, and equals the guide, is in test_driver_guide.py.)"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pyvirt.testing import scaffold


def tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in root.rglob("*") if p.is_file()}


def test_writes_the_guides_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert scaffold.main(["acme", str(tmp_path)]) == 0
    assert os.listdir(tmp_path) == ["pyvirt-acme"]  # no staging directory left behind
    assert tree(tmp_path / "pyvirt-acme") == scaffold.render("acme")
    assert "class AcmeConnection(DriverConnection):" in scaffold.render("acme")["src/pyvirt_acme/connection.py"]
    mode = stat.S_IMODE((tmp_path / "pyvirt-acme").stat().st_mode)
    assert mode & 0o055  # others may read it, as any directory the user makes (umask permitting)
    assert str(tmp_path / "pyvirt-acme") in capsys.readouterr().out


@pytest.mark.parametrize("name", ["Acme", "acme-cloud", "9acme", "pyvirt_acme", ""])
def test_refuses_a_name_that_is_no_scheme_and_package(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    assert scaffold.main([name, str(tmp_path)]) == 1
    assert f"'{name}' cannot name a driver" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def test_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "pyvirt-acme" / "pyproject.toml"
    mine.parent.mkdir()
    mine.write_text("# my work\n")
    assert scaffold.main(["acme", str(tmp_path)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert mine.read_text() == "# my work\n"
    assert os.listdir(tmp_path) == ["pyvirt-acme"] and os.listdir(mine.parent) == ["pyproject.toml"]


def test_runs_as_a_module(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pyvirt.testing.scaffold", "Bad", str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 1 and "cannot name a driver" in done.stderr


def test_the_code_it_writes_is_lint_and_type_clean(tmp_path: Path) -> None:
    scaffold.write("zeta", tmp_path)
    project = tmp_path / "pyvirt-zeta"
    for check in (
        ["ruff", "check", "--isolated", "--select", "E,F,W,I,B,UP,RUF", "--line-length", "100", "."],
        ["ruff", "format", "--isolated", "--line-length", "100", "--check", "."],
        ["mypy", "--strict", "src", "noxfile.py"],  # tests/ is the one import line of the suite
    ):
        done = subprocess.run([sys.executable, "-m", *check], cwd=project, capture_output=True, text=True)
        assert done.returncode == 0, f"{check[0]}: {done.stdout}{done.stderr}"


def test_its_noxfile_offers_the_tests_session(tmp_path: Path) -> None:
    scaffold.write("zeta", tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "nox", "--list"], cwd=tmp_path / "pyvirt-zeta", capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "* tests" in done.stdout
