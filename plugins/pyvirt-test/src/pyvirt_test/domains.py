"""Domain calls: libvirt's test-driver state machine, IDs, events and errors for domains.

Every call takes the node's lock, reads or changes :class:`~pyvirt_test.state.DomainObj`
objects, releases the lock and then reports lifecycle events.  Errors are libvirt 9.0's own
(message, code and error domain), checked side by side with libvirt in the tests.
"""

from __future__ import annotations

import time

import pyvirt.types
from pyvirt.errors import (
    DomainExistsError,
    ErrorDomain,
    InternalError,
    InvalidArgumentError,
    NoDomainError,
    OperationInvalidError,
)
from pyvirt.types import (
    DomainEvent,
    DomainEventType,
    DomainInfo,
    DomainMessageKind,
    DomainRef,
    DomainState,
    ListFilter,
    ModifyScope,
)
from pyvirt_test import defaults
from pyvirt_test.documents import parse_domain
from pyvirt_test.flags import domain_filter, unsupported_flags
from pyvirt_test.state import DomainObj, NodeState, claim_identity

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time

if TYPE_CHECKING:  # values pyvirt.types loads on first use: imported where a call needs them
    from typing import NoReturn

    from pyvirt.types import (
        DefinedDetail,
        RunningReason,
        ShutoffReason,
        StartedDetail,
        StoppedDetail,
    )
    from pyvirt.xml.domain import DomainDef


MAX_VCPUS = 32
"""libvirt's test driver accepts at most 32 vCPUs per domain."""


SECURITY_LABEL = "libvirt-test"


Events = list[DomainEvent]


class DomainCalls:
    """The domain calls of :class:`~pyvirt_test.driver.TestConnection` (a mixin over its node)."""

    _state: NodeState

    def list_domains(self, filters: ListFilter) -> list[DomainRef]:
        with self._state.lock:
            objs = list(self._state.domains_by_name.values())
        if not filters:
            return [obj.ref for obj in objs]
        keep = domain_filter(int(filters))
        return [obj.ref for obj in objs if keep(obj)]

    def domain_lookup_by_name(self, name: str) -> DomainRef:
        obj = self._state.domains_by_name.get(name)
        if obj is None:
            raise _domain_not_found()
        return obj.ref

    def domain_lookup_by_uuid(self, uuid: str) -> DomainRef:
        obj = self._state.domains_by_uuid.get(uuid)
        if obj is None:
            raise _domain_not_found()
        return obj.ref

    def domain_lookup_by_id(self, domain_id: int) -> DomainRef:
        obj = self._state.domains_by_id.get(domain_id)
        if obj is None:
            raise _domain_not_found()
        return obj.ref

    def _dom(self, uuid: str) -> DomainObj:
        return domain_by_uuid(self._state, uuid)

    def domain_define_xml(self, xml: str, validate: bool) -> DomainRef:
        """Define, and format the new config once now, outside the node's lock: the first dump
        is then served from the model's cache instead of formatting while others wait."""
        dfn = parse_domain(xml, validate)
        dfn.to_xml(inactive=True)
        state = self._state
        with state.lock:
            obj, detail = define_domain(state, dfn)
            ref = obj.ref
        state.emit([DomainEvent(ref, DomainEventType.DEFINED, detail)])
        return ref

    def domain_create_xml(self, xml: str, validate: bool, paused: bool) -> DomainRef:
        """libvirt's test driver refuses ``paused`` (its only flag, 0x1) before anything else."""
        from pyvirt.types import RunningReason, StartedDetail

        if paused:
            unsupported_flags("testDomainCreateXML")
        dfn = parse_domain(xml, validate)
        state = self._state
        with state.lock:
            obj = add_live_domain(state, dfn)
            events = start_domain(state, obj, RunningReason.BOOTED, StartedDetail.BOOTED)
            ref = obj.ref
        state.emit(events)
        return ref

    def domain_undefine(self, uuid: str, managed_save: bool = False) -> None:
        """A managed save image is removed with the config only when ``managed_save`` says so."""
        from pyvirt.types import UndefinedDetail

        state = self._state
        with state.lock:
            obj = self._dom(uuid)
            if obj.snapshots and not obj.active:
                raise OperationInvalidError(
                    "Requested operation is not valid: cannot delete inactive domain with"
                    f" {len(obj.snapshots)} snapshots",
                    domain=ErrorDomain.TEST,
                )
            if obj.has_managed_save and not managed_save:
                raise OperationInvalidError(
                    "Requested operation is not valid: Refusing to undefine while domain managed save image exists",
                    domain=ErrorDomain.TEST,
                )
            ref = obj.ref
            if obj.active:
                if not obj.has_live():
                    obj.share_config_as_live()
                obj.config = None  # a running domain lives on as a transient one
            else:
                state.remove_domain(obj)
            obj.autostart = False
            obj.has_managed_save = False
        state.emit([DomainEvent(ref, DomainEventType.UNDEFINED, UndefinedDetail.REMOVED)])

    def domain_create(self, uuid: str, paused: bool) -> DomainRef:
        """libvirt's test driver refuses ``paused`` (flag 0x1) before looking the domain up."""
        from pyvirt.types import RunningReason, StartedDetail

        if paused:
            unsupported_flags("testDomainCreateWithFlags")
        state = self._state
        with state.lock:
            obj = self._dom(uuid)
            if obj.active:
                raise InternalError(f"internal error: Domain '{obj.name}' is already running", domain=ErrorDomain.TEST)
            obj.share_config_as_live()
            obj.has_managed_save = False  # "restored" from the managed save: libvirt says booted
            events = start_domain(state, obj, RunningReason.BOOTED, StartedDetail.BOOTED)
            ref = obj.ref
        state.emit(events)
        return ref

    def domain_shutdown(self, uuid: str) -> None:
        """A paused guest can be shut down too (libvirt's test driver only refuses a stopped one)."""
        from pyvirt.types import ShutoffReason, StoppedDetail

        self._stop(uuid, ShutoffReason.SHUTDOWN, StoppedDetail.SHUTDOWN)

    def domain_destroy(self, uuid: str) -> None:
        from pyvirt.types import ShutoffReason, StoppedDetail

        self._stop(uuid, ShutoffReason.DESTROYED, StoppedDetail.DESTROYED)

    def _stop(self, uuid: str, reason: ShutoffReason, detail: StoppedDetail) -> None:
        from pyvirt.types import ShutoffReason

        state = self._state
        with state.lock:
            obj = self._dom(uuid)
            if reason == ShutoffReason.SHUTDOWN:
                if not obj.active:
                    _not_in_state(obj, "running")
            else:
                check_active(obj)
            state.mark_stopped(obj, reason)
            ref = obj.ref
        state.emit([DomainEvent(ref, DomainEventType.STOPPED, detail)])

    def domain_reboot(self, uuid: str) -> None:
        """The guest restarts at once (``on_reboot`` restart): running again, same ID, no event."""
        from pyvirt.types import RunningReason

        with self._state.lock:
            obj = self._dom(uuid)
            check_active(obj)
            obj.state = DomainState.RUNNING
            obj.reason = RunningReason.BOOTED

    def domain_reset(self, uuid: str) -> None:
        with self._state.lock:
            check_active(self._dom(uuid))

    def domain_suspend(self, uuid: str) -> None:
        from pyvirt.types import PausedReason, SuspendedDetail

        state = self._state
        with state.lock:
            obj = self._dom(uuid)
            if obj.state != DomainState.RUNNING:
                _not_in_state(obj, "running")
            obj.state = DomainState.PAUSED
            obj.reason = PausedReason.USER
            ref = obj.ref
        state.emit([DomainEvent(ref, DomainEventType.SUSPENDED, SuspendedDetail.PAUSED)])

    def domain_resume(self, uuid: str) -> None:
        from pyvirt.types import ResumedDetail, RunningReason

        state = self._state
        with state.lock:
            obj = self._dom(uuid)
            if obj.state != DomainState.PAUSED:
                _not_in_state(obj, "paused")
            obj.state = DomainState.RUNNING
            obj.reason = RunningReason.UNPAUSED
            ref = obj.ref
        state.emit([DomainEvent(ref, DomainEventType.RESUMED, ResumedDetail.UNPAUSED)])

    def domain_get_state(self, uuid: str) -> tuple[DomainState, int]:
        with self._state.lock:
            obj = self._dom(uuid)
            return obj.state, int(obj.reason)

    def domain_get_info(self, uuid: str) -> DomainInfo:
        with self._state.lock:
            obj = self._dom(uuid)
            memory, current, vcpus = obj.sizes()
            return DomainInfo(obj.state, memory, current, vcpus, _cpu_time())

    def domain_get_xml(self, uuid: str, inactive: bool, secure: bool = False) -> str:
        """Live XML (with the ID) while running; otherwise the definition in its inactive form.

        An inactive domain has no runtime state to show, and a document defined from a live
        dump must not keep that dump's ``id`` (libvirt parses definitions as inactive).
        ``secure`` keeps secrets (graphics passwords).
        """
        with self._state.lock:
            obj = self._dom(uuid)
            if inactive or not obj.has_live():
                return obj.persistent_view().to_xml(inactive=True, secure=secure)
            live = obj.live
            assert live is not None
            return live.to_xml(domain_id=obj.id, secure=secure)

    def domain_get_os_type(self, uuid: str) -> str:
        """Always ``linux``: libvirt's test driver answers that whatever ``<os><type>`` says."""
        self._dom(uuid)
        return "linux"

    def domain_is_persistent(self, uuid: str) -> bool:
        return self._dom(uuid).persistent

    def domain_get_autostart(self, uuid: str) -> bool:
        return self._dom(uuid).autostart

    def domain_set_autostart(self, uuid: str, autostart: bool) -> None:
        with self._state.lock:
            self._dom(uuid).autostart = autostart

    def domain_has_managed_save(self, uuid: str) -> bool:
        return self._dom(uuid).has_managed_save

    def domain_memory_stats(self, uuid: str) -> dict[str, int]:
        with self._state.lock:
            obj = self._dom(uuid)
            check_active(obj)
            current = obj.current().current_memory_kib
        return {
            "actual": current,
            "swap_in": 0,
            "swap_out": 0,
            "major_fault": 0,
            "minor_fault": 0,
            "unused": current // 2,
            "available": current,
            "usable": current // 2,
            "last_update": int(time.time()),
            "disk_caches": current // 8,
            "hugetlb_pgalloc": 0,
            "hugetlb_pgfail": 0,
            "rss": current // 2,
        }

    def domain_security_label(self, uuid: str) -> tuple[str, str, bool]:
        """Running domains carry the label ``libvirt-test`` (enforcing); inactive ones none."""
        obj = self._dom(uuid)
        if obj.active:
            return defaults.SECURITY_MODEL, SECURITY_LABEL, True
        return defaults.SECURITY_MODEL, "", False

    def domain_get_messages(self, uuid: str, kinds: DomainMessageKind) -> list[str]:
        """Taints found when the node file was loaded (:mod:`pyvirt_test.taints`), kept while
        the domain exists."""
        return self._dom(uuid).messages.select(kinds)

    def domain_set_memory(self, uuid: str, kib: int, scope: ModifyScope) -> None:
        """libvirt's test driver rules: one of live/config; the maximum only on the config."""
        if kib == 0:
            raise InvalidArgumentError("memory in virDomainSetMemoryFlags must not be zero", domain=ErrorDomain.DOMAIN)
        _exclusive(scope)
        with self._state.lock:
            obj = self._dom(uuid)
            live = _wants_live(obj, scope)
            if scope & ModifyScope.MAXIMUM:
                if live:
                    raise OperationInvalidError(
                        "Requested operation is not valid: cannot resize the maximum memory on an active domain",
                        domain=ErrorDomain.TEST,
                    )
                dfn = obj.config_for_write()
                dfn.memory_kib = kib
                if dfn.current_memory_kib > kib:
                    dfn.current_memory_kib = kib
                return
            target = obj.live_for_write() if live else obj.config_for_write()
            if kib > target.memory_kib:
                raise InvalidArgumentError(
                    "invalid argument: cannot set memory higher than max memory", domain=ErrorDomain.TEST
                )
            target.current_memory_kib = kib

    def domain_set_vcpus(self, uuid: str, count: int, scope: ModifyScope) -> None:
        """Live and config together are allowed here; the maximum needs CONFIG, as in libvirt.

        MAXIMUM changes the config's maximum only: with LIVE too, libvirt's test driver sets
        the live domain's vCPUs in use (bounded by its maximum) and leaves its maximum.
        """
        if count == 0:
            raise InvalidArgumentError("nvcpus in virDomainSetVcpusFlags must not be zero", domain=ErrorDomain.DOMAIN)
        maximum = bool(scope & ModifyScope.MAXIMUM)
        if maximum and not scope & ModifyScope.CONFIG:
            raise InvalidArgumentError(
                "Flag 'VIR_DOMAIN_AFFECT_CONFIG' is required by flag 'VIR_DOMAIN_VCPU_MAXIMUM'",
                domain=ErrorDomain.DOMAIN,
            )
        if count > MAX_VCPUS:
            raise InvalidArgumentError(
                f"invalid argument: requested cpu amount exceeds maximum supported amount ({count} > {MAX_VCPUS})",
                domain=ErrorDomain.TEST,
            )
        with self._state.lock:
            obj = self._dom(uuid)
            if scope & (ModifyScope.LIVE | ModifyScope.CONFIG) == ModifyScope.LIVE | ModifyScope.CONFIG:
                check_active(obj)
                _check_persistent(obj)
                targets = [obj.live_for_write(), obj.config_for_write()]
            else:
                targets = [obj.live_for_write() if _wants_live(obj, scope) else obj.config_for_write()]
            config = obj.config if scope & ModifyScope.CONFIG else None
            for dfn in targets:
                if maximum and dfn is config:
                    continue  # the config's maximum is what changes: no bound but MAX_VCPUS
                if count > dfn.vcpus:
                    raise InvalidArgumentError(
                        f"invalid argument: requested cpu amount exceeds maximum ({count} > {dfn.vcpus})",
                        domain=ErrorDomain.TEST,
                    )
            for dfn in targets:
                if maximum and dfn is config:
                    dfn.vcpus = count
                else:  # with LIVE too, the live domain's vCPUs in use change, not its maximum
                    dfn.current_vcpus = count

    def domain_get_vcpus_count(self, uuid: str, scope: ModifyScope) -> int:
        _exclusive(scope)
        with self._state.lock:
            obj = self._dom(uuid)
            live = _wants_live(obj, scope)
            dfn = obj.current() if live else obj.persistent_view()
            return dfn.vcpus if scope & ModifyScope.MAXIMUM else dfn.current_vcpus


def domain_by_uuid(state: NodeState, uuid: str) -> DomainObj:
    """The domain a handle names.  libvirt adds the handle's name, which the driver is not given."""
    obj = state.domains_by_uuid.get(uuid)
    if obj is None:
        raise NoDomainError(f"Domain not found: no domain with matching uuid '{uuid}'", domain=ErrorDomain.TEST)
    return obj


def _conflict(state: NodeState, name: str, uuid: str) -> DomainObj | None:
    """The domain ``name``/``uuid`` refers to, or None; raise when they name two different ones."""
    return claim_identity(
        state.domains_by_uuid,
        state.domains_by_name,
        name,
        uuid,
        kind="domain",
        error=DomainExistsError,
        error_domain=ErrorDomain.DOMAIN,
    )


def identity(dfn: DomainDef) -> tuple[str, str]:
    """``(dfn.name, dfn.uuid)`` from ``<domain>``'s first children: each field read alone
    starts lxml's tag search over all the children.

    A define formats the new definition before it asks, and the formatted tree is in libvirt's
    order (virDomainDefFormatInternal prints ``<name>`` then ``<uuid>`` first), so two reads by
    index answer (about 3k instructions, against 7k for a pass whose walk makes an lxml proxy
    per child); a tree in the document's order (a create) takes the pass."""
    root = dfn.root
    if len(root) > 1:
        first, second = root[0], root[1]
        if first.tag == "name" and second.tag == "uuid":
            return first.text or "", second.text or ""
    name = uuid = None
    for child in root:
        tag = child.tag
        if tag == "name":
            if name is None:
                name = child.text or ""
        elif tag == "uuid":
            if uuid is None:
                uuid = child.text or ""
        else:
            continue
        if name is not None and uuid is not None:
            break
    return name or "", uuid or ""


def define_domain(state: NodeState, dfn: DomainDef) -> tuple[DomainObj, DefinedDetail]:
    # DefinedDetail is read off the package (which loads it on first use): an import
    # statement here would cost about 4k instructions on every define.
    DefinedDetail = pyvirt.types.DefinedDetail
    name, uuid = identity(dfn)
    obj = state.domains_by_uuid.get(uuid)
    if obj is None and name not in state.domains_by_name:  # a new domain: nothing to refuse
        obj = DomainObj(dfn, None, name, uuid)
        state.add_domain(obj)
        return obj, DefinedDetail.ADDED
    obj = _conflict(state, name, uuid)
    assert obj is not None, "the UUID or the name is taken: the domain holding both, or an error"
    # A transient domain that gets a config is "added"; an existing config is "updated".
    detail = DefinedDetail.UPDATED if obj.config is not None else DefinedDetail.ADDED
    if obj.active and not obj.has_live():
        obj.share_config_as_live()
    obj.config = dfn  # a running domain keeps its live definition until it stops
    return obj, detail


def add_live_domain(state: NodeState, dfn: DomainDef) -> DomainObj:
    """The object a create/restore starts: a new transient one, or an inactive defined one."""
    name, uuid = identity(dfn)
    obj = _conflict(state, name, uuid)
    if obj is None:
        obj = DomainObj(None, dfn, name, uuid)
        state.add_domain(obj)
        return obj
    if obj.active:
        raise OperationInvalidError(
            f"Requested operation is not valid: domain '{name}' is already active", domain=ErrorDomain.DOMAIN
        )
    obj.live = dfn
    return obj


def start_domain(state: NodeState, obj: DomainObj, reason: RunningReason, detail: StartedDetail) -> Events:
    state.mark_started(obj, DomainState.RUNNING, reason)
    return [DomainEvent(obj.ref, DomainEventType.STARTED, detail)]


def _domain_not_found() -> NoDomainError:
    """libvirt's lookups by name, UUID or ID say only this, without the key looked for."""
    return NoDomainError("Domain not found", domain=ErrorDomain.TEST)


def _not_in_state(obj: DomainObj, wanted: str) -> NoReturn:
    """libvirt's test driver reports suspend/resume/shutdown in the wrong state as internal errors."""
    raise InternalError(f"internal error: domain '{obj.name}' not {wanted}", domain=ErrorDomain.TEST)


def check_active(obj: DomainObj) -> None:
    if obj.id == -1:
        raise OperationInvalidError(
            "Requested operation is not valid: domain is not running", domain=ErrorDomain.DOMAIN
        )


def _check_persistent(obj: DomainObj) -> None:
    if obj.config is None:
        raise OperationInvalidError(
            "Requested operation is not valid: transient domains do not have any persistent config",
            domain=ErrorDomain.DOMAIN,
        )


def _exclusive(scope: ModifyScope) -> None:
    if scope & ModifyScope.LIVE and scope & ModifyScope.CONFIG:
        raise InvalidArgumentError(
            "Flags 'VIR_DOMAIN_AFFECT_LIVE' and 'VIR_DOMAIN_AFFECT_CONFIG' are mutually exclusive",
            domain=ErrorDomain.DOMAIN,
        )


def _wants_live(obj: DomainObj, scope: ModifyScope) -> bool:
    """Resolve CURRENT and check the chosen side exists (libvirt's virDomainObjGetOneDef)."""
    if scope & ModifyScope.LIVE:
        check_active(obj)
        return True
    if scope & ModifyScope.CONFIG:
        _check_persistent(obj)
        return False
    return obj.active


def _cpu_time() -> int:
    """libvirt's test driver reports the wall clock as CPU time (ns, microsecond resolution)."""
    return time.time_ns() // 1000 * 1000
