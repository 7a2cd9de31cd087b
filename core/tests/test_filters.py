"""pyvirt.filters.keeps: libvirt's list filter rule every driver's listing calls use."""

from __future__ import annotations

import pytest

from pyvirt.filters import keeps
from pyvirt.types import DomainState, ListFilter


def running_persistent(filters: ListFilter, managed_save: bool | None = None, state: DomainState | None = None) -> bool:
    """Whether ``filters`` keeps an active, persistent object without autostart."""
    return keeps(filters, active=True, persistent=True, autostart=False, managed_save=managed_save, state=state)


@pytest.mark.parametrize(
    ("filters", "kept"),
    [
        (ListFilter.NONE, True),
        (ListFilter.ACTIVE, True),
        (ListFilter.INACTIVE, False),
        (ListFilter.ACTIVE | ListFilter.INACTIVE, True),  # both bits of a pair: either
        (ListFilter.ACTIVE | ListFilter.TRANSIENT, False),  # pairs combine with AND
        (ListFilter.PERSISTENT | ListFilter.NO_AUTOSTART, True),
        (ListFilter.AUTOSTART, False),
    ],
)
def test_pairs(filters: ListFilter, kept: bool) -> None:
    assert running_persistent(filters) is kept


def test_managed_save_and_state_bits_apply_only_when_the_object_has_them() -> None:
    for filters in (ListFilter.MANAGEDSAVE, ListFilter.PAUSED):
        assert running_persistent(filters)  # a pool: no such facts, bits ignored
    assert not running_persistent(ListFilter.MANAGEDSAVE, managed_save=False)
    assert running_persistent(ListFilter.NO_MANAGEDSAVE, managed_save=False)
    assert not running_persistent(ListFilter.PAUSED, state=DomainState.RUNNING)
    assert running_persistent(ListFilter.PAUSED | ListFilter.RUNNING, state=DomainState.RUNNING)
    assert running_persistent(ListFilter.OTHER, state=DomainState.CRASHED)
    assert not running_persistent(ListFilter.RUNNING | ListFilter.INACTIVE, state=DomainState.RUNNING)
