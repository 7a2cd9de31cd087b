"""Fixtures of the pyvirsh tests."""

from __future__ import annotations

from typing import NamedTuple, Protocol

import pytest

from pyvirt import log
from pyvirt.cli.main import main


class Result(NamedTuple):
    status: int
    out: str
    err: str


class Run(Protocol):
    """The ``cli`` fixture's type (test modules import it under TYPE_CHECKING only)."""

    def __call__(self, *args: str) -> Result: ...


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
