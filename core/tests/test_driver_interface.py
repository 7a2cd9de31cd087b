"""The driver base class: every missing operation is a clear 'not supported' error."""

import inspect

import pytest

from pyvirt.driver import DriverConnection
from pyvirt.errors import ErrorCode, UnsupportedError
from pyvirt.types import DomainRef, ListFilter
from pyvirt.uri import parse


class Minimal(DriverConnection):
    name = "MINIMAL"

    def list_domains(self, filters: ListFilter) -> list[DomainRef]:
        return []


def _dummy_args(method: object) -> list[object]:
    params = list(inspect.signature(method).parameters.values())  # type: ignore[arg-type]
    return [None] * len(params)


def test_every_unimplemented_operation_raises_unsupported() -> None:
    driver = Minimal(parse("minimal:///"), lambda event: None)
    checked = 0
    for op in DriverConnection.operations():
        if Minimal.supports(op):
            continue
        method = getattr(driver, op)
        base = getattr(DriverConnection, op)
        if "_unsupported" not in inspect.getsource(base):
            continue  # operations with a harmless default (close, is_alive...)
        with pytest.raises(UnsupportedError, match=op) as info:
            method(*_dummy_args(method))
        assert info.value.code == ErrorCode.NO_SUPPORT
        assert "MINIMAL" in str(info.value)
        checked += 1
    assert checked > 60


def test_supports_reflects_overrides() -> None:
    assert Minimal.supports("list_domains")
    assert not Minimal.supports("domain_suspend")
    assert not Minimal.supports("no_such_operation")
    assert "domain_suspend" in DriverConnection.operations()
    assert "supports" not in DriverConnection.operations()
