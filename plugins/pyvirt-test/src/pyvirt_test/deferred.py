"""Driver calls whose modules load on first use.

Why: most runs on a test node list or read domains, networks and pools, while the calls for
save images, snapshots, checkpoints, host interfaces, node devices, scheduler parameters and
volume streams live in seven more modules that cost every start ~2 ms to import.
:class:`DeferredCalls` stands in the connection's bases where those mixins stood: each of their
functions is a placeholder here that imports the mixin's module the first time one of its
calls is looked up, then puts all the mixin's functions in place, so later lookups are plain
attribute reads.  A test checks that :data:`MIXINS` names exactly each mixin's functions.
"""

from __future__ import annotations

from importlib import import_module

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at run time
if TYPE_CHECKING:
    from pyvirt_test.checkpoints import CheckpointCalls
    from pyvirt_test.interfaces import InterfaceCalls
    from pyvirt_test.nodedevs import NodeDeviceCalls
    from pyvirt_test.saveimage import SaveCalls
    from pyvirt_test.sched import SchedulerCalls
    from pyvirt_test.snapshots import SnapshotCalls
    from pyvirt_test.volstreams import VolumeStreamCalls

MIXINS: dict[tuple[str, str], tuple[str, ...]] = {
    ("pyvirt_test.saveimage", "SaveCalls"): ("domain_save", "domain_restore"),
    ("pyvirt_test.snapshots", "SnapshotCalls"): (
        "_obj",
        "domain_snapshot_create",
        "domain_snapshot_list",
        "domain_snapshot_current",
        "domain_snapshot_get_xml",
        "domain_snapshot_revert",
        "domain_snapshot_delete",
        "domain_block_stats",
        "domain_interface_stats",
        "domain_stats",
        "domain_managed_save",
        "domain_managed_save_remove",
    ),
    ("pyvirt_test.volstreams", "VolumeStreamCalls"): ("vol_upload", "vol_download"),
    ("pyvirt_test.interfaces", "InterfaceCalls"): (
        "_ifaces",
        "_load_interfaces",
        "_iface",
        "list_interfaces",
        "interface_lookup_by_name",
        "interface_lookup_by_mac",
        "interface_define_xml",
        "interface_undefine",
        "interface_create",
        "interface_destroy",
        "_set_active",
        "interface_get_xml",
        "interface_is_active",
        "interface_change_begin",
        "interface_change_commit",
        "interface_change_rollback",
    ),
    ("pyvirt_test.nodedevs", "NodeDeviceCalls"): (
        "_devices",
        "_load_devices",
        "_device",
        "list_node_devices",
        "node_device_lookup_by_name",
        "node_device_get_xml",
        "node_device_get_parent",
        "node_device_list_caps",
        "node_device_create_xml",
        "_vport_parent",
        "node_device_destroy",
    ),
    ("pyvirt_test.sched", "SchedulerCalls"): (
        "domain_get_scheduler_type",
        "domain_get_scheduler_parameters",
        "domain_set_scheduler_parameters",
        "domain_screenshot",
    ),
    ("pyvirt_test.checkpoints", "CheckpointCalls"): (
        "_checkpoints",
        "_checkpoint",
        "domain_checkpoint_create",
        "domain_checkpoint_list",
        "domain_checkpoint_children",
        "domain_checkpoint_lookup",
        "domain_checkpoint_get_parent",
        "domain_checkpoint_get_xml",
        "domain_checkpoint_delete",
    ),
}
"""The deferred mixins, in the connection's former base order, and the functions each defines."""


class _Placeholder:
    """One deferred function: looking it up loads its mixin and installs the real functions."""

    __slots__ = ("mixin", "module", "name")

    def __init__(self, module: str, mixin: str, name: str) -> None:
        self.module = module
        self.mixin = mixin
        self.name = name

    def __get__(self, obj: object, owner: type | None = None) -> object:
        functions = vars(getattr(import_module(self.module), self.mixin))
        for name in MIXINS[(self.module, self.mixin)]:
            setattr(DeferredCalls, name, functions[name])
        function = functions[self.name]
        return function if obj is None else function.__get__(obj, owner)


if TYPE_CHECKING:

    class DeferredCalls(
        SaveCalls,
        SnapshotCalls,
        VolumeStreamCalls,
        InterfaceCalls,
        NodeDeviceCalls,
        SchedulerCalls,
        CheckpointCalls,
    ):
        """What type checkers see: the mixins themselves."""

else:

    class DeferredCalls:
        """The deferred mixins' calls, each loaded with its module on first lookup."""

    for (_module, _mixin), _names in MIXINS.items():
        for _name in _names:
            setattr(DeferredCalls, _name, _Placeholder(_module, _mixin, _name))
