"""libvirt's flag rules that every object kind shares: list filters and refused flags."""

from __future__ import annotations

from pyvirt.errors import ErrorDomain, InvalidArgumentError
from pyvirt.types import DomainState, ListFilter
from pyvirt_test.state import DomainObj

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import NoReturn


def domain_filter(flags: int) -> Callable[[DomainObj], bool]:
    """libvirt's virConnectListAllDomains filter: bits of one group OR, groups AND."""
    states = flags & (ListFilter.RUNNING | ListFilter.PAUSED | ListFilter.SHUTOFF | ListFilter.OTHER)
    managed = flags & (ListFilter.MANAGEDSAVE | ListFilter.NO_MANAGEDSAVE)

    def keep(obj: DomainObj) -> bool:
        if not keep_common(flags, obj.id != -1, obj.persistent, obj.autostart):
            return False
        if states:
            state = obj.state
            if state == DomainState.RUNNING:
                bit = ListFilter.RUNNING
            elif state == DomainState.PAUSED:
                bit = ListFilter.PAUSED
            elif state == DomainState.SHUTOFF:
                bit = ListFilter.SHUTOFF
            else:
                bit = ListFilter.OTHER
            if not states & bit:
                return False
        if managed and managed != ListFilter.MANAGEDSAVE | ListFilter.NO_MANAGEDSAVE:
            want = bool(managed & ListFilter.MANAGEDSAVE)
            if obj.has_managed_save != want:
                return False
        return True

    return keep


def keep_common(flags: int, active: bool, persistent: bool, autostart: bool) -> bool:
    """The active/persistent/autostart groups every object kind shares."""
    if not flags:
        return True
    for value, yes, no in (
        (active, ListFilter.ACTIVE, ListFilter.INACTIVE),
        (persistent, ListFilter.PERSISTENT, ListFilter.TRANSIENT),
        (autostart, ListFilter.AUTOSTART, ListFilter.NO_AUTOSTART),
    ):
        has_yes, has_no = bool(flags & yes), bool(flags & no)
        if has_yes != has_no and value != has_yes:
            return False
    return True


def unsupported_flags(function: str) -> NoReturn:
    raise InvalidArgumentError(f"unsupported flags (0x1) in function {function}", domain=ErrorDomain.TEST)
