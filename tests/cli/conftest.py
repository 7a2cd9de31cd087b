"""Helpers shared by the pyvirsh tests: run pyvirsh (and virsh) as whole processes or in-process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import NamedTuple

import pytest

from pyvirt import log
from pyvirt.cli.main import main


class Result(NamedTuple):
    status: int
    out: str
    err: str


def run_process(argv: Sequence[str], cwd: str | None = None, env: dict[str, str] | None = None) -> Result:
    """Run ``argv`` in the C locale, without the caller's pyvirt environment variables."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYVIRT_")}
    environment.update(LC_ALL="C", LANG="C", **(env or {}))
    proc = subprocess.run(list(argv), capture_output=True, text=True, cwd=cwd, env=environment, timeout=60)
    return Result(proc.returncode, proc.stdout, proc.stderr)


PYVIRSH = [sys.executable, "-m", "pyvirt.cli"]

Run = Callable[..., Result]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """``cli(*args)`` runs pyvirsh in this process (fast) and returns status, stdout, stderr."""
    monkeypatch.delenv("PYVIRT_DEFAULT_URI", raising=False)
    monkeypatch.delenv("PYVIRT_LOG_LEVEL", raising=False)

    def call(*args: str) -> Result:
        capsys.readouterr()
        try:
            status = main(list(args))
        finally:
            log.silence()  # -d turns logging on for the process; the next test must not inherit it
        captured = capsys.readouterr()
        return Result(status, captured.out, captured.err)

    return call


@pytest.fixture
def run() -> Callable[..., Result]:
    """``run(argv, cwd=None, env=None)``: a whole process, as :func:`run_process`."""
    return run_process
