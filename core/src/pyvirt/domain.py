"""The public :class:`Domain` handle.

A handle is a thin, cheap value (name, UUID, ID) that keeps its connection, like libvirt's
``virDomainPtr``: every method delegates to the connection's driver by UUID.  Mutating methods
check the connection is writable and run the lifecycle hooks first, here and only here.
"""

from __future__ import annotations

from pyvirt.errors import ErrorCode, NoDomainError, OperationDeniedError
from pyvirt.stream import Stream
from pyvirt.types import DomainDisk, DomainInfo, DomainInterface, DomainMessageKind, DomainRef, DomainState, ModifyScope

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see pyvirt.records)
if TYPE_CHECKING:
    from pyvirt.checkpoint import Checkpoint
    from pyvirt.connection import Connection
    from pyvirt.types import (
        BlockStats,
        CheckpointCreateFlags,
        CheckpointListFlags,
        InterfaceStats,
        SnapshotCreateFlags,
        TypedParam,
    )
    from pyvirt.xml.domain import DomainDef


class Domain:
    """A virtual machine or container on a node."""

    __slots__ = ("_conn", "id", "name", "uuid")

    def __init__(self, conn: Connection, ref: DomainRef) -> None:
        self._conn = conn
        self.name, self.uuid, self.id = ref

    @property
    def connection(self) -> Connection:
        return self._conn

    @property
    def ref(self) -> DomainRef:
        return DomainRef(self.name, self.uuid, self.id)

    def __repr__(self) -> str:
        return f"<pyvirt.Domain {self.name!r} id={self.id} uuid={self.uuid}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Domain) and other.uuid == self.uuid and other._conn is self._conn

    def __hash__(self) -> int:
        return hash(self.uuid)

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, *, paused: bool = False) -> None:
        """Boot a defined, inactive domain (libvirt's virDomainCreate); ``paused`` leaves it
        paused where the driver supports that (libvirt's test driver does not)."""
        self._conn.check_writable("virDomainCreate")
        self._conn.plugins.before_start(self._conn.uri, self.ref)
        self.id = self._conn.driver.domain_create(self.uuid, paused).id

    def shutdown(self, *, timeout: float | None = None) -> None:
        """Ask the guest to power off (libvirt's virDomainShutdown: the ACPI power button where
        the driver has one), returning at once.  With ``timeout`` (seconds, a pyvirt extension)
        wait until the domain is shut off; a guest that has not stopped by then is left running
        and a ``PyvirtError`` with code ``OPERATION_TIMEOUT`` says so."""
        from pyvirt import shutdown_wait

        shutdown_wait.check_timeout(timeout)
        self._conn.check_writable("virDomainShutdown")
        self._conn.plugins.before_stop(self._conn.uri, self.ref, "shutdown")
        self._conn.driver.domain_shutdown(self.uuid)
        if timeout is not None:
            shutdown_wait.wait_shut_off(self, timeout)
        try:
            self._live_id()
        except NoDomainError:  # a transient domain is gone once it has stopped
            self.id = -1

    def destroy(self) -> None:
        """Stop the domain at once (pull the plug)."""
        self._conn.check_writable("virDomainDestroy")
        self._conn.plugins.before_stop(self._conn.uri, self.ref, "destroy")
        self._conn.driver.domain_destroy(self.uuid)
        self.id = -1

    def reboot(self) -> None:
        self._conn.check_writable("virDomainReboot")
        self._conn.driver.domain_reboot(self.uuid)

    def reset(self) -> None:
        self._conn.check_writable("virDomainReset")
        self._conn.driver.domain_reset(self.uuid)

    def suspend(self) -> None:
        self._conn.check_writable("virDomainSuspend")
        self._conn.driver.domain_suspend(self.uuid)

    def resume(self) -> None:
        self._conn.check_writable("virDomainResume")
        self._conn.driver.domain_resume(self.uuid)

    def save(self, path: str) -> None:
        """Save the running domain's state to ``path`` and stop it."""
        self._conn.check_writable("virDomainSave")
        self._conn.plugins.before_stop(self._conn.uri, self.ref, "save")
        self._conn.driver.domain_save(self.uuid, path)
        self.id = -1

    def undefine(self, *, managed_save: bool = False) -> None:
        """Remove the persistent configuration (a running domain becomes transient).

        A domain with a managed save image is refused unless ``managed_save=True``, which
        removes the image as well (libvirt's ``VIR_DOMAIN_UNDEFINE_MANAGED_SAVE``).
        """
        self._conn.check_writable("virDomainUndefineFlags" if managed_save else "virDomainUndefine")
        self._conn.plugins.before_undefine(self._conn.uri, self.ref)
        if managed_save:
            self._conn.driver.domain_undefine(self.uuid, managed_save=True)
        else:
            self._conn.driver.domain_undefine(self.uuid)

    # -- state and description -----------------------------------------------------------------

    def state(self) -> tuple[DomainState, int]:
        """The state and its reason (an int of the matching ``*Reason`` enum)."""
        return self._conn.driver.domain_get_state(self.uuid)

    def info(self) -> DomainInfo:
        return self._conn.driver.domain_get_info(self.uuid)

    def xml(self, *, inactive: bool = False, secure: bool = False) -> str:
        """The domain's XML; ``inactive=True`` gives the persistent config, not the live one.

        ``secure=True`` keeps secrets such as graphics passwords (libvirt's
        ``VIR_DOMAIN_XML_SECURE``); a read-only connection refuses it, as libvirt does.
        """
        if not secure:
            return self._conn.driver.domain_get_xml(self.uuid, inactive)
        if self._conn.read_only:
            raise OperationDeniedError(
                "operation forbidden: virDomainGetXMLDesc with secure flag", code=ErrorCode.OPERATION_DENIED
            )
        return self._conn.driver.domain_get_xml(self.uuid, inactive, secure=True)

    def os_type(self) -> str:
        return self._conn.driver.domain_get_os_type(self.uuid)

    def is_active(self) -> bool:
        """True while the domain runs (or is paused); refreshes :attr:`id` on the way."""
        return self._live_id() != -1

    def is_persistent(self) -> bool:
        return self._conn.driver.domain_is_persistent(self.uuid)

    def is_updated(self) -> bool:
        return self._conn.driver.domain_is_updated(self.uuid)

    def has_managed_save(self) -> bool:
        return self._conn.driver.domain_has_managed_save(self.uuid)

    def security_label(self) -> tuple[str, str, bool]:
        return self._conn.driver.domain_security_label(self.uuid)

    def messages(self, kinds: DomainMessageKind = DomainMessageKind.ALL) -> list[str]:
        """Messages reported against the domain (libvirt's virDomainGetMessages): taint
        reasons (``tainted: ...``), then deprecation notes; ``kinds`` narrows them."""
        return self._conn.driver.domain_get_messages(self.uuid, kinds)

    @property
    def autostart(self) -> bool:
        return self._conn.driver.domain_get_autostart(self.uuid)

    def set_autostart(self, autostart: bool) -> None:
        self._conn.check_writable("virDomainSetAutostart")
        self._conn.driver.domain_set_autostart(self.uuid, autostart)

    # -- description read from the XML (every driver gets these for free) ------------------

    def title(self, *, inactive: bool = False) -> str | None:
        return self._definition(inactive).title

    def description(self, *, inactive: bool = False) -> str | None:
        return self._definition(inactive).description

    def disks(self, *, inactive: bool = False) -> list[DomainDisk]:
        return [DomainDisk(d.type, d.device, d.target_dev, d.source) for d in self._definition(inactive).disks]

    def interfaces(self, *, inactive: bool = False) -> list[DomainInterface]:
        return [
            DomainInterface(i.type, i.source, i.model, i.mac, i.target_dev)
            for i in self._definition(inactive).interfaces
        ]

    def _definition(self, inactive: bool) -> DomainDef:
        from pyvirt.xml.domain import DomainDef  # lxml only when a caller needs the document

        return DomainDef.from_xml(self.xml(inactive=inactive))

    # -- resources --------------------------------------------------------------------------

    def set_memory(self, kib: int, scope: ModifyScope = ModifyScope.CURRENT) -> None:
        """Set the current (balloon) memory in KiB."""
        self._conn.check_writable("virDomainSetMemoryFlags")
        self._conn.driver.domain_set_memory(self.uuid, kib, scope)

    def set_max_memory(self, kib: int, scope: ModifyScope = ModifyScope.CURRENT) -> None:
        """Set the maximum memory in KiB."""
        self._conn.check_writable("virDomainSetMaxMemory")
        self._conn.driver.domain_set_memory(self.uuid, kib, scope | ModifyScope.MAXIMUM)

    def set_vcpus(self, count: int, scope: ModifyScope = ModifyScope.CURRENT) -> None:
        self._conn.check_writable("virDomainSetVcpusFlags")
        self._conn.driver.domain_set_vcpus(self.uuid, count, scope)

    def vcpus_count(self, scope: ModifyScope = ModifyScope.CURRENT) -> int:
        return self._conn.driver.domain_get_vcpus_count(self.uuid, scope)

    def memory_stats(self) -> dict[str, int]:
        return self._conn.driver.domain_memory_stats(self.uuid)

    # -- snapshots ----------------------------------------------------------------------------

    def create_snapshot(
        self, xml: str = "", flags: SnapshotCreateFlags | None = None, *, disk_only: bool = False
    ) -> str:
        """Take a snapshot from ``<domainsnapshot>`` XML (empty: all defaults) and return its
        name; ``disk_only`` (or ``flags`` DISK_ONLY) puts each disk on a new overlay file (an
        external snapshot).  ``flags`` REDEFINE stores the given full document as metadata
        (CURRENT with it makes it current), HALT stops the guest afterwards.  The flag rules
        every driver shares are checked here, as ``virDomainSnapshotCreateXML`` does."""
        from pyvirt.types import SnapshotCreateFlags

        self._conn.check_writable("virDomainSnapshotCreateXML")
        if flags is None:
            flags = SnapshotCreateFlags.NONE
        if disk_only:
            flags |= SnapshotCreateFlags.DISK_ONLY
        _check_snapshot_flags(flags)
        name = self._conn.driver.domain_snapshot_create(self.uuid, xml, flags)
        if flags & SnapshotCreateFlags.HALT:
            self._live_id()
        return name

    def snapshot_names(self) -> list[str]:
        return self._conn.driver.domain_snapshot_list(self.uuid)

    def current_snapshot(self) -> str | None:
        """The current snapshot's name, None when there is none."""
        return self._conn.driver.domain_snapshot_current(self.uuid)

    def snapshot_xml(self, name: str) -> str:
        return self._conn.driver.domain_snapshot_get_xml(self.uuid, name)

    def revert_to_snapshot(self, name: str) -> None:
        self._conn.check_writable("virDomainRevertToSnapshot")
        self._conn.driver.domain_snapshot_revert(self.uuid, name)
        self._live_id()

    def delete_snapshot(self, name: str) -> None:
        self._conn.check_writable("virDomainSnapshotDelete")
        self._conn.driver.domain_snapshot_delete(self.uuid, name)

    # -- devices, statistics, managed save -------------------------------------------------

    def attach_device(self, xml: str, scope: ModifyScope = ModifyScope.CURRENT) -> None:
        """Hot-plug (or add to the config, by ``scope``) a ``<disk>`` or ``<interface>``."""
        self._conn.check_writable("virDomainAttachDeviceFlags")
        self._conn.driver.domain_attach_device(self.uuid, xml, scope)

    def detach_device(self, xml: str, scope: ModifyScope = ModifyScope.CURRENT) -> None:
        self._conn.check_writable("virDomainDetachDeviceFlags")
        self._conn.driver.domain_detach_device(self.uuid, xml, scope)

    def block_stats(self, disk: str) -> BlockStats:
        return self._conn.driver.domain_block_stats(self.uuid, disk)

    def interface_stats(self, device: str) -> InterfaceStats:
        return self._conn.driver.domain_interface_stats(self.uuid, device)

    def stats(self) -> dict[str, int | str]:
        """The domain's record of libvirt's virConnectGetAllDomainStats, by field name."""
        return self._conn.driver.domain_stats(self.uuid)

    def managed_save(self) -> None:
        """Save the running domain to the driver's own image and stop it; :meth:`start`
        restores it from there."""
        self._conn.check_writable("virDomainManagedSave")
        self._conn.plugins.before_stop(self._conn.uri, self.ref, "save")
        self._conn.driver.domain_managed_save(self.uuid)
        self.id = -1

    def managed_save_remove(self) -> None:
        self._conn.check_writable("virDomainManagedSaveRemove")
        self._conn.driver.domain_managed_save_remove(self.uuid)

    # -- console ----------------------------------------------------------------------------

    def open_console(self, dev_name: str | None = None, *, force: bool = False) -> Stream:
        """A byte stream to the domain's console (``dev_name``: an alias such as ``serial0``;
        None: the first one).  Refused on read-only connections, as libvirt does: typing on a
        console changes the guest."""
        self._conn.check_writable("virDomainOpenConsole")
        return Stream(self._conn.driver.domain_open_console(self.uuid, dev_name, force))

    # -- scheduler parameters and screenshots ----------------------------------------------

    def scheduler_type(self) -> tuple[str, int]:
        """(scheduler name, number of parameters), libvirt's virDomainGetSchedulerType."""
        return self._conn.driver.domain_get_scheduler_type(self.uuid)

    def scheduler_parameters(self, scope: ModifyScope = ModifyScope.CURRENT) -> list[TypedParam]:
        """The scheduler's parameters with their libvirt types (``weight`` UINT on the test driver)."""
        return self._conn.driver.domain_get_scheduler_parameters(self.uuid, scope)

    def set_scheduler_parameters(self, params: list[TypedParam], scope: ModifyScope = ModifyScope.CURRENT) -> None:
        """Set parameters; each carries the type the driver expects (read it from
        :meth:`scheduler_parameters`), as libvirt checks the types it receives."""
        self._conn.check_writable("virDomainSetSchedulerParametersFlags")
        self._conn.driver.domain_set_scheduler_parameters(self.uuid, list(params), scope)

    def screenshot(self, screen: int = 0) -> tuple[Stream, str]:
        """An image of the domain's ``screen`` as a stream to read, and its MIME type.
        Refused on read-only connections, as libvirt does."""
        self._conn.check_writable("virDomainScreenshot")
        inner, mime = self._conn.driver.domain_screenshot(self.uuid, screen)
        return Stream(inner), mime

    # -- checkpoints --------------------------------------------------------------------------

    def create_checkpoint(self, xml: str = "", flags: CheckpointCreateFlags | None = None) -> Checkpoint:
        """Create a checkpoint from ``<domaincheckpoint>`` XML (``<domaincheckpoint/>``: every
        default; libvirt needs a document, so empty text is refused as it is there)."""
        from pyvirt.checkpoint import Checkpoint
        from pyvirt.types import CheckpointCreateFlags

        self._conn.check_writable("virDomainCheckpointCreateXML")
        flags = CheckpointCreateFlags.NONE if flags is None else flags
        return Checkpoint(self, self._conn.driver.domain_checkpoint_create(self.uuid, xml, flags))

    def list_checkpoints(self, flags: CheckpointListFlags | None = None) -> list[Checkpoint]:
        """The domain's checkpoints (ROOTS: only those without a parent; TOPOLOGICAL: parents first)."""
        from pyvirt.checkpoint import Checkpoint
        from pyvirt.types import CheckpointListFlags

        flags = CheckpointListFlags.NONE if flags is None else flags
        return [Checkpoint(self, name) for name in self._conn.driver.domain_checkpoint_list(self.uuid, flags)]

    def lookup_checkpoint(self, name: str) -> Checkpoint:
        from pyvirt.checkpoint import Checkpoint

        return Checkpoint(self, self._conn.driver.domain_checkpoint_lookup(self.uuid, name))

    # -- helpers --------------------------------------------------------------------------------

    def _live_id(self) -> int:
        self.id = self._conn.driver.domain_lookup_by_uuid(self.uuid).id
        return self.id


def _check_snapshot_flags(flags: SnapshotCreateFlags) -> None:
    """libvirt's public checks of snapshot-create flags, with its flag names in the message."""
    from pyvirt.errors import InvalidArgumentError
    from pyvirt.types import SnapshotCreateFlags

    def name(flag: SnapshotCreateFlags) -> str:
        return f"VIR_DOMAIN_SNAPSHOT_CREATE_{flag.name}"

    if flags & SnapshotCreateFlags.CURRENT and not flags & SnapshotCreateFlags.REDEFINE:
        raise InvalidArgumentError(
            f"Flag '{name(SnapshotCreateFlags.REDEFINE)}' is required by flag '{name(SnapshotCreateFlags.CURRENT)}'"
        )
    for other in (SnapshotCreateFlags.NO_METADATA, SnapshotCreateFlags.HALT):
        if flags & SnapshotCreateFlags.REDEFINE and flags & other:
            raise InvalidArgumentError(
                f"Flags '{name(SnapshotCreateFlags.REDEFINE)}' and '{name(other)}' are mutually exclusive"
            )
