"""``virDomain``, ``virDomainSnapshot`` and ``virDomainCheckpoint`` over pyvirt's handles.

Return shapes are libvirt-python's: ``state()`` is ``[state, reason]``, ``info()`` is
``[state, maxMem, memory, nrVirtCpu, cpuTime]``, ``UUID()`` is 16 bytes, status calls return
``0`` and predicates ``0``/``1``.  Methods pyvirt lacks raise ``VIR_ERR_NO_SUPPORT`` through
the generated stubs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyvirt.types import ModifyScope
from pyvirt_libvirt._stubs import virDomainCheckpointStubs, virDomainSnapshotStubs, virDomainStubs
from pyvirt_libvirt.errors import VIR_ERR_INVALID_ARG, api, failure
from pyvirt_libvirt.handle import DefinedHandle

if TYPE_CHECKING:
    from pyvirt.checkpoint import Checkpoint
    from pyvirt.domain import Domain  # noqa: F401 (named in virDomain's base, as a string)
    from pyvirt_libvirt.connect import virConnect
    from pyvirt_libvirt.stream import virStream

VIR_DOMAIN_XML_SECURE = 1
VIR_DOMAIN_XML_INACTIVE = 2
VIR_DOMAIN_START_PAUSED = 1
VIR_DOMAIN_UNDEFINE_MANAGED_SAVE = 1
VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY = 16
VIR_ERR_NO_DOMAIN_SNAPSHOT = 72
VIR_FROM_DOMAIN_SNAPSHOT = 35
VIR_FROM_DOMAIN = 20
VIR_ERR_NO_DOMAIN_CHECKPOINT = 103
VIR_FROM_DOMAIN_CHECKPOINT = 69
_DRIVER_DOMAINS = {"QEMU": 10, "TEST": 12, "LXC": 17}  # VIR_FROM_QEMU, VIR_FROM_TEST, VIR_FROM_LXC
_SCOPE_MASK = 7  # VIR_DOMAIN_AFFECT_LIVE | _CONFIG | VIR_DOMAIN_MEM_MAXIMUM / VCPU_MAXIMUM


def _scope(flags: int) -> ModifyScope:
    return ModifyScope(flags & _SCOPE_MASK)


class virDomain(DefinedHandle["Domain"], virDomainStubs):
    """A domain; keeps its connection (``connect()``) like libvirt-python's."""

    def c_pointer(self) -> int:
        return id(self._o)

    @api
    def ID(self) -> int:
        return self._o.id

    # -- lifecycle --------------------------------------------------------------------

    @api
    def create(self) -> int:
        self._o.start()
        return 0

    @api
    def createWithFlags(self, flags: int = 0) -> int:
        self._o.start(paused=bool(flags & VIR_DOMAIN_START_PAUSED))
        return 0

    @api
    def destroy(self) -> int:
        self._o.destroy()
        return 0

    @api
    def destroyFlags(self, flags: int = 0) -> int:
        self._o.destroy()
        return 0

    @api
    def shutdown(self) -> int:
        self._o.shutdown()
        return 0

    @api
    def shutdownFlags(self, flags: int = 0) -> int:
        self._o.shutdown()
        return 0

    @api
    def reboot(self, flags: int = 0) -> int:
        self._o.reboot()
        return 0

    @api
    def reset(self, flags: int = 0) -> int:
        self._o.reset()
        return 0

    @api
    def suspend(self) -> int:
        self._o.suspend()
        return 0

    @api
    def resume(self) -> int:
        self._o.resume()
        return 0

    @api
    def save(self, to: str) -> int:
        self._o.save(to)
        return 0

    @api
    def managedSave(self, flags: int = 0) -> int:
        self._o.managed_save()
        return 0

    @api
    def managedSaveRemove(self, flags: int = 0) -> int:
        self._o.managed_save_remove()
        return 0

    @api
    def hasManagedSaveImage(self, flags: int = 0) -> int:
        return int(self._o.has_managed_save())

    @api
    def undefine(self) -> int:
        self._o.undefine()
        return 0

    @api
    def undefineFlags(self, flags: int = 0) -> int:
        self._o.undefine(managed_save=bool(flags & VIR_DOMAIN_UNDEFINE_MANAGED_SAVE))
        return 0

    # -- state and description ---------------------------------------------------------

    @api
    def state(self, flags: int = 0) -> list[int]:
        state, reason = self._o.state()
        return [int(state), int(reason)]

    @api
    def info(self) -> list[int]:
        i = self._o.info()
        return [int(i.state), i.max_memory, i.memory, i.vcpus, i.cpu_time]

    @api
    def XMLDesc(self, flags: int = 0) -> str:
        return self._o.xml(inactive=bool(flags & VIR_DOMAIN_XML_INACTIVE), secure=bool(flags & VIR_DOMAIN_XML_SECURE))

    @api
    def OSType(self) -> str:
        return self._o.os_type()

    @api
    def isUpdated(self) -> int:
        return int(self._o.is_updated())

    @api
    def securityLabel(self) -> list[Any]:
        label, _model, enforcing = self._o.security_label()
        return [label, int(enforcing)]

    @api
    def maxMemory(self) -> int:
        return self._o.info().max_memory

    # -- resources ----------------------------------------------------------------------

    @api
    def setMemory(self, memory: int) -> int:
        self._o.set_memory(memory, ModifyScope.LIVE)
        return 0

    @api
    def setMaxMemory(self, memory: int) -> int:
        self._o.set_max_memory(memory, ModifyScope.CURRENT)
        return 0

    @api
    def setMemoryFlags(self, memory: int, flags: int = 0) -> int:
        self._o.set_memory(memory, _scope(flags))
        return 0

    @api
    def setVcpus(self, nvcpus: int) -> int:
        self._o.set_vcpus(nvcpus, ModifyScope.LIVE)
        return 0

    @api
    def setVcpusFlags(self, nvcpus: int, flags: int = 0) -> int:
        self._o.set_vcpus(nvcpus, _scope(flags))
        return 0

    @api
    def vcpusFlags(self, flags: int = 0) -> int:
        return self._o.vcpus_count(_scope(flags))

    @api
    def memoryStats(self) -> dict[str, int]:
        return self._o.memory_stats()

    @api
    def blockStats(self, path: str) -> tuple[int, int, int, int, int]:
        s = self._o.block_stats(path)
        return tuple(s)[:5]  # type: ignore[return-value]

    @api
    def interfaceStats(self, path: str) -> tuple[int, ...]:
        return tuple(self._o.interface_stats(path))

    @api
    def attachDevice(self, xml: str) -> int:
        self._o.attach_device(xml, ModifyScope.LIVE)
        return 0

    @api
    def attachDeviceFlags(self, xml: str, flags: int = 0) -> int:
        self._o.attach_device(xml, _scope(flags))
        return 0

    @api
    def detachDevice(self, xml: str) -> int:
        self._o.detach_device(xml, ModifyScope.LIVE)
        return 0

    @api
    def detachDeviceFlags(self, xml: str, flags: int = 0) -> int:
        self._o.detach_device(xml, _scope(flags))
        return 0

    # -- scheduler, screenshot, console ---------------------------------------------------

    @api
    def schedulerType(self) -> list[Any]:
        name, count = self._o.scheduler_type()
        return [name, count]

    @api
    def schedulerParameters(self) -> dict[str, Any]:
        return {p.field: p.value for p in self._o.scheduler_parameters()}

    @api
    def schedulerParametersFlags(self, flags: int = 0) -> dict[str, Any]:
        return {p.field: p.value for p in self._o.scheduler_parameters(_scope(flags))}

    @api
    def setSchedulerParameters(self, params: dict[str, Any]) -> int:
        self._o.set_scheduler_parameters(self._typed(params, ModifyScope.CURRENT))
        return 0

    @api
    def setSchedulerParametersFlags(self, params: dict[str, Any], flags: int = 0) -> int:
        self._o.set_scheduler_parameters(self._typed(params, _scope(flags)), _scope(flags))
        return 0

    def _typed(self, params: dict[str, Any], scope: ModifyScope) -> list[Any]:
        """libvirt-python types each value by the driver's current parameter of that name."""
        from pyvirt.types import TypedParam, TypedParamType

        current = {p.field: p.type for p in self._o.scheduler_parameters(scope)}
        typed = []
        for field, value in params.items():
            kind = current.get(field)
            if kind is None:
                raise failure(VIR_ERR_INVALID_ARG, VIR_FROM_DOMAIN, f"Parameter {field} not supported")
            if kind == TypedParamType.STRING:
                typed.append(TypedParam(field, kind, str(value)))
            elif kind == TypedParamType.DOUBLE:
                typed.append(TypedParam(field, kind, float(value)))
            elif kind == TypedParamType.BOOLEAN:
                typed.append(TypedParam(field, kind, bool(value)))
            else:
                typed.append(TypedParam(field, kind, int(value)))
        return typed

    @api
    def screenshot(self, stream: virStream, screen: int, flags: int = 0) -> str:
        inner, mime = self._o.screenshot(screen)
        stream._bind(inner)
        return mime

    @api
    def openConsole(self, dev_name: str | None, st: virStream, flags: int = 0) -> int:
        st._bind(self._o.open_console(dev_name, force=bool(flags & 1)))
        return 0

    # -- snapshots ----------------------------------------------------------------------

    @api
    def snapshotCreateXML(self, xmlDesc: str, flags: int = 0) -> virDomainSnapshot:
        name = self._o.create_snapshot(xmlDesc, disk_only=bool(flags & VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY))
        return virDomainSnapshot(self, name)

    @api
    def snapshotListNames(self, flags: int = 0) -> list[str]:
        return self._o.snapshot_names()

    @api
    def snapshotNum(self, flags: int = 0) -> int:
        return len(self._o.snapshot_names())

    @api
    def listAllSnapshots(self, flags: int = 0) -> list[virDomainSnapshot]:
        return [virDomainSnapshot(self, n) for n in self._o.snapshot_names()]

    @api
    def snapshotLookupByName(self, name: str, flags: int = 0) -> virDomainSnapshot:
        if name not in self._o.snapshot_names():
            raise failure(
                VIR_ERR_NO_DOMAIN_SNAPSHOT, self._driver_domain(), f"no domain snapshot with matching name '{name}'"
            )
        return virDomainSnapshot(self, name)

    @api
    def hasCurrentSnapshot(self, flags: int = 0) -> int:
        return int(self._o.current_snapshot() is not None)

    @api
    def snapshotCurrent(self, flags: int = 0) -> virDomainSnapshot:
        name = self._o.current_snapshot()
        if name is None:
            raise failure(
                VIR_ERR_NO_DOMAIN_SNAPSHOT, self._driver_domain(), "the domain does not have a current snapshot"
            )
        return virDomainSnapshot(self, name)

    @api
    def revertToSnapshot(self, snap: virDomainSnapshot, flags: int = 0) -> int:
        self._o.revert_to_snapshot(snap._name)
        return 0

    def _driver_domain(self) -> int:
        """The error domain a driver reports its own lookups in (libvirt's VIR_FROM_THIS)."""
        return _DRIVER_DOMAINS.get(self._o.connection.get_type().upper(), VIR_FROM_DOMAIN_SNAPSHOT)

    # -- checkpoints --------------------------------------------------------------------

    @api
    def checkpointCreateXML(self, xmlDesc: str, flags: int = 0) -> virDomainCheckpoint:
        from pyvirt.types import CheckpointCreateFlags

        return virDomainCheckpoint(self, self._o.create_checkpoint(xmlDesc, CheckpointCreateFlags(flags)))

    @api
    def listAllCheckpoints(self, flags: int = 0) -> list[virDomainCheckpoint]:
        from pyvirt.types import CheckpointListFlags

        return [virDomainCheckpoint(self, c) for c in self._o.list_checkpoints(CheckpointListFlags(flags))]

    @api
    def checkpointLookupByName(self, checkpointname: str, flags: int = 0) -> virDomainCheckpoint:
        return virDomainCheckpoint(self, self._o.lookup_checkpoint(checkpointname))


class virDomainSnapshot(virDomainSnapshotStubs):
    """A snapshot of a domain, named; pyvirt's snapshot calls take the name."""

    def __init__(self, dom: virDomain, _obj: str) -> None:
        self._dom = dom
        self._name = _obj

    def getName(self) -> str:
        return self._name

    def domain(self) -> virDomain:
        return self._dom

    def getDomain(self) -> virDomain:
        return self._dom

    def getConnect(self) -> virConnect:
        return self._dom._conn

    def connect(self) -> virConnect:
        return self._dom._conn

    @api
    def getXMLDesc(self, flags: int = 0) -> str:
        return self._dom._o.snapshot_xml(self._name)

    @api
    def delete(self, flags: int = 0) -> int:
        self._dom._o.delete_snapshot(self._name)
        return 0

    @api
    def isCurrent(self, flags: int = 0) -> int:
        return int(self._dom._o.current_snapshot() == self._name)


class virDomainCheckpoint(virDomainCheckpointStubs):
    def __init__(self, dom: virDomain, _obj: Checkpoint) -> None:
        self._dom = dom
        self._o = _obj

    def getName(self) -> str:
        return self._o.name

    def domain(self) -> virDomain:
        return self._dom

    def getDomain(self) -> virDomain:
        return self._dom

    def getConnect(self) -> virConnect:
        return self._dom._conn

    def connect(self) -> virConnect:
        return self._dom._conn

    @api
    def getXMLDesc(self, flags: int = 0) -> str:
        from pyvirt.types import CheckpointXMLFlags

        return self._o.xml(CheckpointXMLFlags(flags))

    @api
    def getParent(self, flags: int = 0) -> virDomainCheckpoint:
        parent = self._o.parent()
        if parent is None:
            raise failure(
                VIR_ERR_NO_DOMAIN_CHECKPOINT,
                VIR_FROM_DOMAIN_CHECKPOINT,
                f"checkpoint '{self._o.name}' does not have a parent",
            )
        return virDomainCheckpoint(self._dom, parent)

    @api
    def listAllChildren(self, flags: int = 0) -> list[virDomainCheckpoint]:
        from pyvirt.types import CheckpointListFlags

        return [virDomainCheckpoint(self._dom, c) for c in self._o.children(CheckpointListFlags(flags))]

    @api
    def delete(self, flags: int = 0) -> int:
        from pyvirt.types import CheckpointDeleteFlags

        self._o.delete(CheckpointDeleteFlags(flags))
        return 0
