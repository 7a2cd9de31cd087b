"""libvirt's list filter rule, written once for every driver's listing calls.

Each driver knows its objects' facts (active, persistent, autostart, a managed save image, a
state); whether a :class:`~pyvirt.types.ListFilter` keeps such an object is the same rule for
domains, pools and networks in every driver, so it lives here rather than in each of them.
"""

from __future__ import annotations

from pyvirt.types import DomainState, ListFilter

__all__ = ["keeps"]

_STATES = ListFilter.RUNNING | ListFilter.PAUSED | ListFilter.SHUTOFF | ListFilter.OTHER
_STATE_BIT = {
    DomainState.RUNNING: ListFilter.RUNNING,
    DomainState.PAUSED: ListFilter.PAUSED,
    DomainState.SHUTOFF: ListFilter.SHUTOFF,
}


def keeps(
    filters: ListFilter,
    *,
    active: bool,
    persistent: bool,
    autostart: bool,
    managed_save: bool | None = None,
    state: DomainState | None = None,
) -> bool:
    """True when an object with these facts passes ``filters``.

    Within a pair (active/inactive...) neither bit or both bits mean "either"; pairs and the
    state bits combine with AND.  ``managed_save`` and ``state`` are ``None`` for object kinds
    that have no such fact (pools, networks): their bits are then ignored, as libvirt does.
    """
    pairs = [
        (active, ListFilter.ACTIVE, ListFilter.INACTIVE),
        (persistent, ListFilter.PERSISTENT, ListFilter.TRANSIENT),
        (autostart, ListFilter.AUTOSTART, ListFilter.NO_AUTOSTART),
    ]
    if managed_save is not None:
        pairs.append((managed_save, ListFilter.MANAGEDSAVE, ListFilter.NO_MANAGEDSAVE))
    for value, yes, no in pairs:
        has_yes, has_no = bool(filters & yes), bool(filters & no)
        if has_yes != has_no and value != has_yes:
            return False
    states = filters & _STATES
    if states and state is not None:
        return bool(states & _STATE_BIT.get(state, ListFilter.OTHER))
    return True
