"""Fixtures of the remote driver's tests shared by more than one module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sshd import Sshd, missing


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """A private OpenSSH server (skipped, with the reason, where one cannot run); stopped after the module."""
    reason = missing()
    if reason:
        pytest.skip(reason)
    server = Sshd(tmp_path_factory.mktemp("sshd")).start()
    try:
        yield server
    finally:
        server.stop()
