"""pytest plugin for guarding the suite's declarations: cut the driver down to what a test declares.

Loaded with ``-p declared_only`` in a separate pytest run.  Every connection opened during a test
gets the real driver's implementation of only the operations that test names in
``pyvirt_requires``; every other operation falls back to the :class:`DriverConnection` base, as
in a driver that never wrote it.  A test that calls an operation it did not declare then fails
with ``UnsupportedError`` naming it, instead of failing one day on a third party's driver.

With ``PYVIRT_ONLY=op,op`` set, every test instead sees a driver implementing only those
operations: the suite run of a minimal driver, which must give skips and passes, never failures.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator
from typing import Any

import pytest

import pyvirt
from pyvirt.driver import DriverConnection, EventSink
from pyvirt.plugins import host
from pyvirt.uri import URI

_allowed: frozenset[str] = frozenset()


def _delegate(operation: str) -> Callable[..., Any]:
    def call(self: _CutDown, *args: object, **kwargs: object) -> Any:
        return getattr(self.inner, operation)(*args, **kwargs)

    call.__name__ = operation
    return call


class _CutDown(DriverConnection):
    inner: DriverConnection

    def close(self) -> None:
        self.inner.close()


def cut_down(inner: DriverConnection, allowed: frozenset[str]) -> DriverConnection:
    """A driver that implements ``allowed`` (where ``inner`` does) by delegating, and nothing else."""
    methods = {op: _delegate(op) for op in sorted(allowed) if inner.supports(op)}
    cls = type(f"Only{type(inner).__name__}", (_CutDown,), {"name": inner.name, **methods})
    driver: _CutDown = cls(inner.uri, inner.events)
    driver.inner = inner
    return driver


class _Wrapper:
    @pyvirt.hookimpl(wrapper=True)
    def connect_open(self, uri: URI, read_only: bool, events: EventSink) -> Generator[None, Any, Any]:
        inner = yield
        return None if inner is None else cut_down(inner, _allowed)


def pytest_configure(config: pytest.Config) -> None:
    host().register(_Wrapper(), name="declared-only")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Set what the driver may do before any fixture opens a connection for ``item``."""
    global _allowed
    fixed = os.environ.get("PYVIRT_ONLY")
    if fixed is not None:
        _allowed = frozenset(op for op in fixed.split(",") if op)
    else:
        _allowed = frozenset(op for marker in item.iter_markers("pyvirt_requires") for op in marker.args)
